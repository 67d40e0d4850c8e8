// Package activities holds the tenant workflow's Temporal activities: thin adapters between
// the workflow and the hibob client and the store. Activities exchange run IDs, counts,
// cursors and summaries with the workflow; employee records stay in Postgres, and the token
// is loaded from the store inside each activity (CredentialsRef), so neither ever travels
// through Temporal.
//
// Every activity is idempotent: a retry, a killed worker or a replayed sync produces the same
// rows. 401, 403 and unusable configuration are non-retryable ApplicationErrors (types in
// types.go and errors.go); a spent rate limit is handed back to the workflow as a ResumeAt in
// the result, so the workflow waits on a durable timer rather than an activity idling.
package activities

import (
	"time"

	"hibobsync/store"
)

// Defaults of the Activities' tuning fields. Eight requests in flight keep a fetch ahead of
// HiBob's limit while each batch waits on Postgres (fewer left `make bench` below 50 searches a
// second); the transport's auth door keeps a revoked token at one 401 however many there are.
const (
	DefaultFetchConcurrency = 8
	DefaultMaxInlineWait    = 2 * time.Second
)

// NoInlineWait, as MaxInlineWait, hands every rate-limit wait back to the workflow: an
// activity stops as soon as its next request would have to wait at all.
const NoInlineWait time.Duration = -1

// Activities are the tenant workflow's activities, as methods holding their dependencies.
// Workflows reference them through a nil pointer:
//
//	var a *activities.Activities
//	workflow.ExecuteActivity(ctx, a.FetchEmployees, in)
type Activities struct {
	Store   *store.Store
	Clients *ClientFactory
	// Now is the clock (nil: time.Now): the audit's "today", and ResumeAt.
	Now func() time.Time
	// FetchConcurrency is how many HiBob requests one FetchEmployees keeps in flight
	// (0: DefaultFetchConcurrency).
	FetchConcurrency int
	// MaxInlineWait is the longest rate-limit wait a fetch activity sits out itself; a longer
	// one ends the activity with a ResumeAt, so that the workflow waits durably
	// (0: DefaultMaxInlineWait; negative, e.g. NoInlineWait: never wait inline).
	MaxInlineWait time.Duration
}

func (a *Activities) now() time.Time {
	if a.Now != nil {
		return a.Now()
	}
	return time.Now()
}

func (a *Activities) fetchConcurrency() int {
	if a.FetchConcurrency > 0 {
		return a.FetchConcurrency
	}
	return DefaultFetchConcurrency
}

// waitTooLong reports whether a rate-limit delay d should end the activity.
func (a *Activities) waitTooLong(d time.Duration) bool {
	limit := a.MaxInlineWait
	if limit == 0 {
		limit = DefaultMaxInlineWait
	}
	return d > 0 && d > limit
}
