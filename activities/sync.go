package activities

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.temporal.io/sdk/activity"

	"hibobsync/hibob"
)

// ListEmployees lists every employee ID the service user can see, saves the listing in the
// run's batches of hibob.MaxBatch IDs and records its size and refused entries. Listing again
// replaces both. A spent rate limit returns a ResumeAt and lists nothing.
func (a *Activities) ListEmployees(ctx context.Context, in ListInput) (ListResult, error) {
	tenant := in.Credentials.Tenant
	conn, err := a.connect(ctx, in.Credentials)
	if err != nil {
		return ListResult{}, err
	}
	if d := conn.pacer.Delay(hibob.EndpointSearch); a.waitTooLong(d) {
		return ListResult{ResumeAt: a.now().Add(d)}, nil
	}
	listing, err := retryTransient(ctx, func() (hibob.Listing, error) { return conn.client.ListEmployeeIDs(ctx) })
	if at, ok := rateLimitedUntil(err, a.now()); ok {
		activity.GetLogger(ctx).Info("employee listing rate-limited", "tenant", tenant, "run", in.RunID, "resumeAt", at)
		return ListResult{ResumeAt: at}, nil
	}
	if err != nil {
		return ListResult{}, failure(tenant, fmt.Sprintf("listing the employees of run %d", in.RunID), err, a.now())
	}
	batches := hibob.Batches(listing.IDs, hibob.MaxBatch)
	if err := a.Store.SaveRunBatches(ctx, in.RunID, batches); err != nil {
		return ListResult{}, failure(tenant, fmt.Sprintf("saving the listing of run %d", in.RunID), err, a.now())
	}
	if err := a.Store.RecordListing(ctx, in.RunID, len(listing.IDs), listing.Rejected); err != nil {
		return ListResult{}, failure(tenant, fmt.Sprintf("saving the listing of run %d", in.RunID), err, a.now())
	}
	res := ListResult{Employees: len(listing.IDs), Batches: len(batches), Rejected: len(listing.Rejected)}
	activity.GetLogger(ctx).Info("employees listed", "tenant", tenant, "run", in.RunID,
		"employees", res.Employees, "batches", res.Batches, "rejected", res.Rejected)
	return res, nil
}

// FetchEmployees fetches batches [From, To) of the run's listing (one people search each) and
// stages them. It keeps up to FetchConcurrency requests in flight and asks the pacer before
// each request, once the previous one has been counted. (Bad credentials still cost one 401,
// not one per request in flight: the factory's transport lets one request per token at a time
// await HiBob's answer, and refuses the token locally once HiBob has.) It heartbeats the
// lowest batch not yet staged and, when retried, resumes from there; staging a batch again
// replaces it, so overlapping attempts leave one copy.
//
// When HiBob's budget is spent — the pacer would wait longer than MaxInlineWait, or HiBob
// answered 429 — it stops and returns Next (every batch below it staged) with a ResumeAt for
// the workflow to wait for. Budget spent elsewhere at the same moment (another activity of the
// service user) can still make a request wait inline, heartbeating, for up to one window.
func (a *Activities) FetchEmployees(ctx context.Context, in FetchInput) (FetchResult, error) {
	logger := activity.GetLogger(ctx)
	tenant := in.Credentials.Tenant
	if in.From < 0 || in.To < in.From {
		return FetchResult{}, invalidInput("tenant %q run %d: batch range [%d, %d) is negative or reversed", tenant, in.RunID, in.From, in.To)
	}
	tr := &fetchTracker{FetchProgress: FetchProgress{Next: in.From}, done: map[int]batchCount{}}
	if activity.HasHeartbeatDetails(ctx) {
		var hb FetchProgress
		if err := activity.GetHeartbeatDetails(ctx, &hb); err == nil && hb.Next >= in.From && hb.Next <= in.To {
			tr.FetchProgress = hb
			logger.Info("resuming the fetch from its heartbeat", "tenant", tenant, "run", in.RunID, "batch", hb.Next)
		} else {
			logger.Warn("ignoring a heartbeat that does not fit the batch range", "tenant", tenant, "run", in.RunID, "error", err)
		}
	}
	if tr.Next == in.To {
		return tr.result(in.To), nil
	}
	conn, err := a.connect(ctx, in.Credentials)
	if err != nil {
		return FetchResult{}, err
	}

	stopHeartbeat := keepHeartbeating(ctx, func() any { return tr.progress() })
	defer stopHeartbeat()
	fetchCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	slots := make(chan struct{}, a.fetchConcurrency())
dispatch:
	for seq := tr.Next; seq < in.To; seq++ {
		select {
		case slots <- struct{}{}:
		case <-fetchCtx.Done():
			break dispatch
		}
		if tr.stopped() {
			<-slots
			break
		}
		if d := conn.pacer.Delay(hibob.EndpointSearch); a.waitTooLong(d) {
			tr.rateLimited(a.now().Add(d))
			<-slots
			break
		}
		finished := make(chan struct{})
		reqCtx, sent := whenSent(fetchCtx)
		go func() {
			defer close(finished)
			defer func() { <-slots }()
			n, err := a.fetchBatch(reqCtx, conn.client, in.RunID, seq)
			if hb, advanced := tr.finish(seq, n, err, a.now(), cancel); advanced {
				activity.RecordHeartbeat(ctx, hb)
			}
		}()
		// Until the request has left, the pacer has not counted it: the next Delay would be
		// too hopeful, and requests would pile up waiting for budget inside the activity.
		select {
		case <-sent:
		case <-finished:
		}
	}
	// Wait for everything in flight: every slot free again.
	for range cap(slots) {
		slots <- struct{}{}
	}
	stopHeartbeat()
	activity.RecordHeartbeat(ctx, tr.progress())

	res := tr.result(in.To)
	if err := tr.failure(); err != nil {
		logger.Warn("fetch failed", "tenant", tenant, "run", in.RunID, "next", res.Next, "error", err)
		return FetchResult{}, failure(tenant, fmt.Sprintf("fetching the employees of run %d from batch %d", in.RunID, res.Next), err, a.now())
	}
	if res.Next < in.To && res.ResumeAt.IsZero() {
		// Stopped without a failure or a rate limit: the activity was cancelled.
		if err := ctx.Err(); err != nil {
			return FetchResult{}, err
		}
		return FetchResult{}, fmt.Errorf("tenant %q run %d: the fetch stopped at batch %d of [%d, %d) for no reason", tenant, in.RunID, res.Next, in.From, in.To)
	}
	logger.Info("employee batches fetched", "tenant", tenant, "run", in.RunID, "from", in.From, "next", res.Next,
		"to", in.To, "of", in.Batches, "fetched", res.Fetched, "rejected", res.Rejected, "resumeAt", res.ResumeAt)
	return res, nil
}

// fetchBatch reads and stages one batch of the run's listing.
func (a *Activities) fetchBatch(ctx context.Context, client *hibob.Client, runID int64, seq int) (batchCount, error) {
	ids, err := a.Store.RunBatch(ctx, runID, seq)
	if err != nil {
		return batchCount{}, err
	}
	batch, err := retryTransient(ctx, func() (hibob.Batch, error) { return client.FetchEmployees(ctx, ids) })
	if err != nil {
		return batchCount{}, err
	}
	if err := a.Store.StageEmployees(ctx, runID, seq, batch.Employees, batch.Rejected); err != nil {
		return batchCount{}, err
	}
	return batchCount{fetched: len(batch.Employees), rejected: len(batch.Rejected)}, nil
}

// rateLimitedUntil reports whether err is HiBob's 429, and when to come back.
func rateLimitedUntil(err error, now time.Time) (time.Time, bool) {
	if !errors.Is(err, hibob.ErrRateLimited) {
		return time.Time{}, false
	}
	if e, ok := errors.AsType[*hibob.APIError](err); ok && !e.RetryAt.IsZero() {
		return e.RetryAt, true
	}
	return now.Add(time.Minute), true
}
