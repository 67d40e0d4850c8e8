package activities

import (
	"context"
	"sync"
	"time"
)

// batchCount is what one staged batch held.
type batchCount struct {
	fetched, rejected int
}

// fetchTracker is the shared state of one FetchEmployees: which batches are staged, the
// lowest one that is not (Next), and why the fetch stopped, if it did.
type fetchTracker struct {
	mu sync.Mutex
	FetchProgress
	done     map[int]batchCount // staged batches at or above Next
	resumeAt time.Time          // set when HiBob's budget is spent
	err      error              // the first failure
}

func (t *fetchTracker) progress() FetchProgress {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.FetchProgress
}

// stopped reports whether the fetch should send no more requests.
func (t *fetchTracker) stopped() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.err != nil || !t.resumeAt.IsZero()
}

// rateLimited stops the fetch until at (the latest of the times reported).
func (t *fetchTracker) rateLimited(at time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if at.After(t.resumeAt) {
		t.resumeAt = at
	}
}

// finish records the outcome of batch seq. A 429 stops the fetch for HiBob's reset; any other
// failure stops it at once (cancel) and is kept, unless one came first (the others then
// fail with the cancellation). It returns the progress and whether Next moved.
func (t *fetchTracker) finish(seq int, n batchCount, err error, now time.Time, cancel context.CancelFunc) (FetchProgress, bool) {
	if err != nil {
		if at, ok := rateLimitedUntil(err, now); ok {
			t.rateLimited(at)
			return FetchProgress{}, false
		}
		t.mu.Lock()
		defer t.mu.Unlock()
		if t.err == nil {
			t.err = err
			cancel()
		}
		return FetchProgress{}, false
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	t.done[seq] = n
	advanced := false
	for {
		c, ok := t.done[t.Next]
		if !ok {
			break
		}
		delete(t.done, t.Next)
		t.Next++
		t.Fetched += c.fetched
		t.Rejected += c.rejected
		advanced = true
	}
	return t.FetchProgress, advanced
}

func (t *fetchTracker) failure() error {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.err
}

// result is the activity's result: batches below Next are staged; a ResumeAt only while
// batches of [From, to) remain.
func (t *fetchTracker) result(to int) FetchResult {
	t.mu.Lock()
	defer t.mu.Unlock()
	res := FetchResult{Next: t.Next, Fetched: t.Fetched, Rejected: t.Rejected}
	if t.Next < to {
		res.ResumeAt = t.resumeAt
	}
	return res
}
