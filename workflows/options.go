package workflows

import (
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"hibobsync/activities"
)

// nonRetryable are the failures retrying cannot mend; retrying a 401 or 403 would also get
// every tenant's egress IP blocked by HiBob's WAF.
var nonRetryable = []string{
	activities.ErrCredentialsInvalid, activities.ErrPermissionsMissing,
	activities.ErrInvalidConfiguration, activities.ErrStagingIncomplete,
}

// withHiBobOptions is for one short call to HiBob (the credentials check).
func withHiBobOptions(ctx workflow.Context, summary string) workflow.Context {
	return workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		Summary:             summary,
		StartToCloseTimeout: time.Minute,
		RetryPolicy: &temporal.RetryPolicy{InitialInterval: 2 * time.Second, BackoffCoefficient: 2,
			MaximumInterval: time.Minute, MaximumAttempts: 5, NonRetryableErrorTypes: nonRetryable},
	})
}

// withAuditOptions is for the permission audit: a handful of HiBob calls, paced.
func withAuditOptions(ctx workflow.Context) workflow.Context {
	return workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		Summary:             "audit permissions",
		StartToCloseTimeout: 10 * time.Minute,
		RetryPolicy: &temporal.RetryPolicy{InitialInterval: 5 * time.Second, BackoffCoefficient: 2,
			MaximumInterval: 2 * time.Minute, MaximumAttempts: 5, NonRetryableErrorTypes: nonRetryable},
	})
}

// withStoreOptions is for Postgres work: starting, applying and closing runs, outbox events.
// Applying 100,000 employees takes seconds; the timeout leaves room for a busy database.
func withStoreOptions(ctx workflow.Context, summary string) workflow.Context {
	return workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		Summary:             summary,
		StartToCloseTimeout: 10 * time.Minute,
		RetryPolicy: &temporal.RetryPolicy{InitialInterval: time.Second, BackoffCoefficient: 2,
			MaximumInterval: time.Minute, MaximumAttempts: 10, NonRetryableErrorTypes: nonRetryable},
	})
}

// withFetchOptions is for the long fetch activities: they heartbeat their progress and resume
// from it when retried, so a killed worker costs one batch, not the run.
func withFetchOptions(ctx workflow.Context, summary string) workflow.Context {
	return workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		Summary:             summary,
		StartToCloseTimeout: 30 * time.Minute,
		HeartbeatTimeout:    time.Minute,
		RetryPolicy: &temporal.RetryPolicy{InitialInterval: 5 * time.Second, BackoffCoefficient: 2,
			MaximumInterval: 2 * time.Minute, MaximumAttempts: 8, NonRetryableErrorTypes: nonRetryable},
	})
}

// fetchOptions are withFetchOptions with the input's heartbeat timeout, when it sets one.
func (t *tenant) fetchOptions(ctx workflow.Context, summary string) workflow.Context {
	ctx = withFetchOptions(ctx, summary)
	if t.in.HeartbeatTimeout > 0 {
		ctx = workflow.WithHeartbeatTimeout(ctx, t.in.HeartbeatTimeout)
	}
	return ctx
}

// applyOptions are withStoreOptions with the input's apply timeout, when it sets one.
func (t *tenant) applyOptions(ctx workflow.Context, summary string) workflow.Context {
	ctx = withStoreOptions(ctx, summary)
	if t.in.ApplyTimeout > 0 {
		ctx = workflow.WithStartToCloseTimeout(ctx, t.in.ApplyTimeout)
	}
	return ctx
}
