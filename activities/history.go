package activities

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"go.temporal.io/sdk/activity"

	"hibobsync/hibob"
	"hibobsync/model"
)

// historyPageSize is how many employees (with all their rows) one bulk history page holds.
const historyPageSize = hibob.MaxHistoryLimit

// FetchHistory pages a bulk history table from the input's cursor, staging each page as page
// Seq, until the table ends (Done) or HiBob's budget is spent (ResumeAt; call again from the
// result's Cursor and Seq). It heartbeats the next page's cursor and number and, when retried,
// resumes from there; staging a page again replaces it.
func (a *Activities) FetchHistory(ctx context.Context, in HistoryInput) (HistoryResult, error) {
	logger := activity.GetLogger(ctx)
	tenant := in.Credentials.Tenant
	if !slices.Contains(model.HistoryTables, in.Table) {
		return HistoryResult{}, invalidInput("tenant %q run %d: %q is not a history table the sync reads", tenant, in.RunID, in.Table)
	}
	if in.Seq < 0 || (in.Cursor == "" && in.Seq > 0) {
		return HistoryResult{}, invalidInput("tenant %q run %d: %s history page %d has no cursor", tenant, in.RunID, in.Table, in.Seq)
	}
	p := &historyTracker{p: HistoryProgress{Cursor: in.Cursor, Seq: in.Seq}}
	if activity.HasHeartbeatDetails(ctx) {
		var hb HistoryProgress
		if err := activity.GetHeartbeatDetails(ctx, &hb); err == nil && hb.Seq >= in.Seq && (hb.Cursor != "" || hb.Seq == 0) {
			p.set(hb)
			logger.Info("resuming the history from its heartbeat", "tenant", tenant, "run", in.RunID, "table", in.Table, "page", hb.Seq)
		} else {
			logger.Warn("ignoring a heartbeat that does not fit the input", "tenant", tenant, "run", in.RunID, "table", in.Table, "error", err)
		}
	}
	conn, err := a.connect(ctx, in.Credentials)
	if err != nil {
		return HistoryResult{}, err
	}
	stopHeartbeat := keepHeartbeating(ctx, func() any { return p.get() })
	defer stopHeartbeat()

	ep := hibob.HistoryEndpoint(in.Table)
	seen := map[string]bool{}
	paused := func(at time.Time, why string) (HistoryResult, error) {
		cur := p.get()
		logger.Info(why, "tenant", tenant, "run", in.RunID, "table", in.Table, "page", cur.Seq, "rows", cur.Rows, "resumeAt", at)
		return HistoryResult{Cursor: cur.Cursor, Seq: cur.Seq, Rows: cur.Rows, ResumeAt: at}, nil
	}
	for {
		cur := p.get()
		if d := conn.pacer.Delay(ep); a.waitTooLong(d) {
			return paused(a.now().Add(d), "history paused for the rate limit")
		}
		page, err := retryTransient(ctx, func() (hibob.HistoryPage, error) {
			return conn.client.HistoryPage(ctx, in.Table, hibob.HistoryQuery{Limit: historyPageSize, Cursor: cur.Cursor})
		})
		if at, ok := rateLimitedUntil(err, a.now()); ok {
			return paused(at, "history rate-limited")
		}
		if err != nil {
			return HistoryResult{}, failure(tenant, fmt.Sprintf("reading page %d of the %s history of run %d", cur.Seq+1, in.Table, in.RunID), err, a.now())
		}
		if err := a.Store.StageHistory(ctx, in.RunID, in.Table, cur.Seq, page.Entries); err != nil {
			return HistoryResult{}, failure(tenant, fmt.Sprintf("staging page %d of the %s history of run %d", cur.Seq+1, in.Table, in.RunID), err, a.now())
		}
		if len(page.Denied) > 0 {
			logger.Warn("HiBob refused some employees' history rows", "tenant", tenant, "run", in.RunID, "table", in.Table,
				"page", cur.Seq, "denied", len(page.Denied))
		}
		if page.NextCursor != "" && (seen[page.NextCursor] || page.NextCursor == cur.Cursor) {
			return HistoryResult{}, fmt.Errorf("tenant %q: the %s history of run %d: HiBob repeated a cursor after page %d: refusing to loop",
				tenant, in.Table, in.RunID, cur.Seq+1)
		}
		seen[page.NextCursor] = true
		next := HistoryProgress{Cursor: page.NextCursor, Seq: cur.Seq + 1, Rows: cur.Rows + len(page.Entries)}
		p.set(next)
		activity.RecordHeartbeat(ctx, next)
		if next.Cursor == "" {
			logger.Info("history read", "tenant", tenant, "run", in.RunID, "table", in.Table, "pages", next.Seq, "rows", next.Rows)
			return HistoryResult{Seq: next.Seq, Done: true, Rows: next.Rows}, nil
		}
	}
}

// historyTracker is FetchHistory's progress, read by the heartbeat goroutine.
type historyTracker struct {
	mu sync.Mutex
	p  HistoryProgress
}

func (t *historyTracker) get() HistoryProgress {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.p
}

func (t *historyTracker) set(p HistoryProgress) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.p = p
}
