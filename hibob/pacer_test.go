package hibob_test

import (
	"context"
	"net/http"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"hibobsync/hibob"
)

// fakeClock is virtual time: sleeping advances it, so paced loops run instantly.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func newFakeClock() *fakeClock { return &fakeClock{now: time.Date(2026, 10, 7, 9, 0, 0, 0, time.UTC)} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	return nil
}

// maxInWindow is the most of times falling in any window [t, t+w).
func maxInWindow(times []time.Time, w time.Duration) int {
	best := 0
	for i := range times {
		n := 0
		for _, t := range times {
			if !t.Before(times[i]) && t.Before(times[i].Add(w)) {
				n++
			}
		}
		best = max(best, n)
	}
	return best
}

func TestPacerNeverExceedsTheLimit(t *testing.T) {
	clock := newFakeClock()
	p := hibob.NewPacer(map[hibob.Endpoint]hibob.Limit{hibob.EndpointSearch: {Requests: 50, Per: time.Minute}},
		hibob.WithClock(clock.Now, clock.Sleep))
	start := clock.Now()
	var times []time.Time
	for range 500 {
		require.NoError(t, p.Wait(context.Background(), hibob.EndpointSearch))
		times = append(times, clock.Now())
	}
	require.LessOrEqual(t, maxInWindow(times, time.Minute), 50)
	require.Equal(t, start, times[49], "a first burst of 50 goes at once")
	require.True(t, times[50].After(start.Add(time.Minute)))
	// …and pacing costs little more than the limit itself: 500 requests in ~10 windows.
	require.Less(t, times[499].Sub(start), 10*time.Minute)

	// Other endpoints are paced separately; endpoints without a limit are not paced.
	before := clock.Now()
	require.NoError(t, p.Wait(context.Background(), hibob.EndpointFields))
	require.Equal(t, before, clock.Now())
}

func TestPacerConcurrent(t *testing.T) {
	const limit, per = 5, 300 * time.Millisecond
	p := hibob.NewPacer(map[hibob.Endpoint]hibob.Limit{hibob.EndpointBulkWork: {Requests: limit, Per: per}})
	var mu sync.Mutex
	var times []time.Time
	var wg sync.WaitGroup
	for range 16 {
		wg.Go(func() {
			require.NoError(t, p.Wait(context.Background(), hibob.EndpointBulkWork))
			mu.Lock()
			times = append(times, time.Now())
			mu.Unlock()
		})
	}
	wg.Wait()
	require.Len(t, times, 16)
	require.LessOrEqual(t, maxInWindow(times, per), limit)
}

func TestPacerHoldsUntilResetWhenNothingRemains(t *testing.T) {
	clock := newFakeClock()
	p := hibob.NewPacer(hibob.DefaultLimits(), hibob.WithClock(clock.Now, clock.Sleep))
	ctx := context.Background()
	require.NoError(t, p.Wait(ctx, hibob.EndpointSearch))

	// Remaining > 0: no hold.
	p.Observe(hibob.EndpointSearch, hibob.RateLimit{Limit: 50, Remaining: 3, Reset: clock.Now().Add(40 * time.Second)})
	before := clock.Now()
	require.NoError(t, p.Wait(ctx, hibob.EndpointSearch))
	require.Equal(t, before, clock.Now())

	// Remaining == 0: hold until Reset, on that endpoint only.
	reset := clock.Now().Add(40 * time.Second)
	p.Observe(hibob.EndpointSearch, hibob.RateLimit{Limit: 50, Remaining: 0, Reset: reset})
	require.NoError(t, p.Wait(ctx, hibob.EndpointFields))
	require.Equal(t, before, clock.Now())
	require.NoError(t, p.Wait(ctx, hibob.EndpointSearch))
	require.False(t, clock.Now().Before(reset))

	// A reset far in the future holds at most 5 minutes.
	now := clock.Now()
	p.Observe(hibob.EndpointBulkWork, hibob.RateLimit{Remaining: 0, Reset: now.Add(24 * time.Hour)})
	require.NoError(t, p.Wait(ctx, hibob.EndpointBulkWork))
	require.Equal(t, now.Add(5*time.Minute), clock.Now())

	// A reset in the past, or none, holds nothing.
	now = clock.Now()
	p.Observe(hibob.EndpointBulkLifecycle, hibob.RateLimit{Remaining: 0, Reset: now.Add(-time.Second)})
	p.Observe(hibob.EndpointBulkLifecycle, hibob.RateLimit{Remaining: 0})
	require.NoError(t, p.Wait(ctx, hibob.EndpointBulkLifecycle))
	require.Equal(t, now, clock.Now())
}

func TestPacerRespectsTheContext(t *testing.T) {
	p := hibob.NewPacer(map[hibob.Endpoint]hibob.Limit{hibob.EndpointSearch: {Requests: 1, Per: time.Hour}})
	require.NoError(t, p.Wait(context.Background(), hibob.EndpointSearch))
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	require.ErrorIs(t, p.Wait(ctx, hibob.EndpointSearch), context.DeadlineExceeded)

	var nilPacer *hibob.Pacer
	require.NoError(t, nilPacer.Wait(context.Background(), hibob.EndpointSearch))
}

func TestClientFeedsThePacer(t *testing.T) {
	// The first answer says the budget is spent until one second from now; the client's next
	// request must wait for it.
	var mu sync.Mutex
	var arrivals []time.Time
	reset := time.Now().Add(1500 * time.Millisecond).Truncate(time.Second).Add(time.Second)
	f := newFake(t, func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		arrivals = append(arrivals, time.Now())
		mu.Unlock()
		w.Header().Set("X-RateLimit-Limit", "50")
		w.Header().Set("X-RateLimit-Remaining", "0")
		w.Header().Set("X-RateLimit-Reset", strconv.FormatInt(reset.Unix(), 10))
		serveJSON(200, []byte(`{"employees":[]}`))(w, r)
	})
	c := f.client(t, hibob.WithPacer(hibob.NewPacer(hibob.DefaultLimits())))
	for range 2 {
		_, err := c.Search(context.Background(), hibob.SearchRequest{})
		require.NoError(t, err)
	}
	require.Len(t, arrivals, 2)
	require.False(t, arrivals[1].Before(reset), "second request at %v, before the reset %v", arrivals[1], reset)
	rl, ok := c.RateLimit(hibob.EndpointSearch)
	require.True(t, ok)
	require.Equal(t, hibob.RateLimit{Limit: 50, Remaining: 0, Reset: time.Unix(reset.Unix(), 0)}, rl)
}

func TestClientHoldsAfter429(t *testing.T) {
	var mu sync.Mutex
	var arrivals []time.Time
	f := newFake(t, func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		arrivals = append(arrivals, time.Now())
		if len(arrivals) == 1 {
			w.Header().Set("Retry-After", "1")
			w.WriteHeader(429)
			return
		}
		serveJSON(200, []byte(`[]`))(w, r)
	})
	c := f.client(t, hibob.WithPacer(hibob.NewPacer(nil)))
	_, err := c.Fields(context.Background())
	require.ErrorIs(t, err, hibob.ErrRateLimited)
	_, err = c.Fields(context.Background())
	require.NoError(t, err)
	require.GreaterOrEqual(t, arrivals[1].Sub(arrivals[0]), 900*time.Millisecond)
}

func TestDefaultLimits(t *testing.T) {
	l := hibob.DefaultLimits()
	for _, e := range []hibob.Endpoint{hibob.EndpointFields, hibob.EndpointSearch, hibob.EndpointReadEmployee,
		hibob.EndpointBulkLifecycle, hibob.EndpointBulkWork, hibob.EndpointBulkEmployment} {
		require.Equal(t, hibob.Limit{Requests: 50, Per: time.Minute}, l[e], e)
	}
}

func TestPacerWaitPastTheDeadlineIsTransient(t *testing.T) {
	f := newFake(t, serveJSON(200, []byte(`[]`)))
	p := hibob.NewPacer(map[hibob.Endpoint]hibob.Limit{hibob.EndpointFields: {Requests: 1, Per: time.Hour}})
	c := f.client(t, hibob.WithPacer(p))
	_, err := c.Fields(context.Background())
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, err = c.Fields(ctx)
	require.ErrorIs(t, err, hibob.ErrTransient)
	require.ErrorIs(t, err, context.DeadlineExceeded)
	require.EqualValues(t, 1, f.count.Load(), "nothing sent while waiting")
}

func TestPacerDelayForecastsWaitWithoutReserving(t *testing.T) {
	clock := newFakeClock()
	p := hibob.NewPacer(map[hibob.Endpoint]hibob.Limit{hibob.EndpointSearch: {Requests: 2, Per: time.Minute}},
		hibob.WithClock(clock.Now, clock.Sleep))
	ctx := context.Background()
	start := clock.Now()

	// Nothing sent yet: no delay, and asking reserves nothing.
	for range 5 {
		require.Zero(t, p.Delay(hibob.EndpointSearch))
	}
	require.NoError(t, p.Wait(ctx, hibob.EndpointSearch))
	require.Zero(t, p.Delay(hibob.EndpointSearch), "one of two sent")
	require.NoError(t, p.Wait(ctx, hibob.EndpointSearch))
	require.Equal(t, start, clock.Now(), "the two went at once")

	// Budget spent: the delay is what Wait then blocks for (the window plus its guard).
	d := p.Delay(hibob.EndpointSearch)
	require.Equal(t, time.Minute+time.Minute/50, d)
	require.Equal(t, d, p.Delay(hibob.EndpointSearch), "Delay does not count a request")
	require.NoError(t, p.Wait(ctx, hibob.EndpointSearch))
	require.Equal(t, start.Add(d), clock.Now())

	// Other endpoints are unaffected; unpaced endpoints never wait.
	require.Zero(t, p.Delay(hibob.EndpointBulkWork))

	// A hold (no budget left, or a 429) shows as the time until its end, also on unpaced endpoints.
	reset := clock.Now().Add(30 * time.Second)
	p.Observe(hibob.EndpointBulkWork, hibob.RateLimit{Remaining: 0, Reset: reset})
	require.Equal(t, 30*time.Second, p.Delay(hibob.EndpointBulkWork))
	require.NoError(t, clock.Sleep(ctx, 30*time.Second))
	require.Zero(t, p.Delay(hibob.EndpointBulkWork))

	var nilPacer *hibob.Pacer
	require.Zero(t, nilPacer.Delay(hibob.EndpointSearch))
}
