package activities

import (
	"context"
	"sync"
	"time"

	"go.temporal.io/sdk/activity"
)

// FetchProgress is FetchEmployees' heartbeat: every batch below Next is staged, holding
// Fetched employees and Rejected refusals. A retried attempt resumes from Next.
type FetchProgress struct {
	Next     int `json:"next"`
	Fetched  int `json:"fetched"`
	Rejected int `json:"rejected"`
}

// HistoryProgress is FetchHistory's heartbeat: the next page's cursor and number, and the
// rows staged so far by the activity. A retried attempt resumes from Cursor.
type HistoryProgress struct {
	Cursor string `json:"cursor,omitempty"`
	Seq    int    `json:"seq"`
	Rows   int    `json:"rows"`
}

// maxHeartbeatEvery bounds the interval of keepHeartbeating.
const maxHeartbeatEvery = 10 * time.Second

// keepHeartbeating records details() as the activity's heartbeat at a steady pace until stop
// is called, so an activity blocked in one long step (a rate-limit wait, a slow HiBob answer,
// a big COPY) is neither timed out nor deaf to cancellation. The SDK throttles what it sends.
func keepHeartbeating(ctx context.Context, details func() any) (stop func()) {
	every := maxHeartbeatEvery
	if t := activity.GetInfo(ctx).HeartbeatTimeout; t > 0 {
		every = min(every, max(t/3, time.Second))
	}
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		tick := time.NewTicker(every)
		defer tick.Stop()
		for {
			select {
			case <-tick.C:
				activity.RecordHeartbeat(ctx, details())
			case <-done:
				return
			case <-ctx.Done():
				return
			}
		}
	})
	var once sync.Once
	return func() {
		once.Do(func() { close(done) })
		wg.Wait()
	}
}
