package activities_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"hibobsync/activities"
	"hibobsync/model"
	"hibobsync/store"
)

func TestStartRunIsIdempotentByRequestKey(t *testing.T) {
	t.Parallel()
	f := newFixture(t, fixtureOptions{employees: 5})
	in := activities.StartRunInput{Tenant: f.tenant, RequestKey: "wf/1", Kind: store.RunInitial, AsOf: model.MustDate("2026-06-15")}
	var a, b activities.StartRunResult
	require.NoError(t, f.run(&a, f.acts.StartRun, in))
	require.NoError(t, f.run(&b, f.acts.StartRun, in))
	require.Equal(t, a, b)
	run, err := f.store.Run(context.Background(), f.tenant, a.RunID)
	require.NoError(t, err)
	require.True(t, run.FullRead)
	require.Equal(t, store.RunRunning, run.Status)

	in.RequestKey = ""
	requireAppError(t, f.run(nil, f.acts.StartRun, in), activities.ErrInvalidInput)
	in.RequestKey, in.Tenant = "wf/2", "nobody"
	requireAppError(t, f.run(nil, f.acts.StartRun, in), activities.ErrInvalidInput)
}

func TestApplyRefusesAnotherTenantsRun(t *testing.T) {
	t.Parallel()
	f := newFixture(t, fixtureOptions{employees: 5})
	runID := f.startRun()
	other, _, err := f.store.EnsureTenant(context.Background(), "Other Co")
	require.NoError(t, err)
	err = f.run(nil, f.acts.ApplyRun, activities.ApplyInput{Tenant: other.Key, RunID: runID})
	requireAppError(t, err, activities.ErrInvalidInput)
}

func TestFailRunAndRecordPhase(t *testing.T) {
	t.Parallel()
	f := newFixture(t, fixtureOptions{employees: 5})
	ctx := context.Background()
	runID := f.startRun()
	in := activities.FailRunInput{RunID: runID, Reason: "HiBob refused the credentials"}
	require.NoError(t, f.run(nil, f.acts.FailRun, in))
	require.NoError(t, f.run(nil, f.acts.FailRun, in))
	run, err := f.store.Run(ctx, f.tenant, runID)
	require.NoError(t, err)
	require.Equal(t, store.RunFailed, run.Status)
	require.Equal(t, in.Reason, run.Error)

	change := activities.PhaseChange{Tenant: f.tenant, Phase: model.PhaseAwaitingReview, Detail: "audit passed", Key: "wf-1/3"}
	require.NoError(t, f.run(nil, f.acts.RecordPhase, change))
	require.NoError(t, f.run(nil, f.acts.RecordPhase, change))
	var n int
	var payload map[string]string
	require.NoError(t, f.store.Pool().QueryRow(ctx,
		`SELECT count(*) OVER (), payload FROM outbox WHERE tenant_key = $1 AND event_type = 'connection.phase_changed'`,
		f.tenant).Scan(&n, &payload))
	require.Equal(t, 1, n)
	require.Equal(t, map[string]string{"phase": "awaiting_review", "detail": "audit passed"}, payload)
	requireAppError(t, f.run(nil, f.acts.RecordPhase, activities.PhaseChange{Tenant: f.tenant, Phase: model.PhaseActive}),
		activities.ErrInvalidInput)
}

func TestResolveGuard(t *testing.T) {
	t.Parallel()
	f := newFixture(t, fixtureOptions{employees: 400})
	ctx := context.Background()
	runID := f.startRun()
	f.list(runID)
	_, err := f.fetch(runID, 0, 2)
	require.NoError(t, err)
	_, err = f.apply(runID)
	require.NoError(t, err)

	// A second run that reads only the first batch: 200 of 400 would go, the guard holds them.
	second := f.startRun()
	f.list(second)
	_, err = f.fetch(second, 0, 1)
	require.NoError(t, err)
	_, err = f.store.Pool().Exec(ctx, `DELETE FROM sync_run_batches WHERE run_id = $1 AND seq = 1`, second)
	require.NoError(t, err)
	sum, err := f.apply(second)
	require.NoError(t, err)
	require.Equal(t, store.RunGuardTripped, sum.Status)
	require.NotNil(t, sum.Guard)
	require.Equal(t, 200, sum.Guard.WouldRemove)

	in := activities.ResolveGuardInput{Tenant: f.tenant, RunID: second, Remove: false}
	var res activities.RunSummary
	require.NoError(t, f.run(&res, f.acts.ResolveGuard, in))
	require.Equal(t, "kept", res.Guard.Resolution)
	// A retry of the same decision returns the run as it is; the other decision is refused.
	var again activities.RunSummary
	require.NoError(t, f.run(&again, f.acts.ResolveGuard, in))
	require.Equal(t, res, again)
	in.Remove = true
	requireAppError(t, f.run(nil, f.acts.ResolveGuard, in), activities.ErrInvalidInput)
}
