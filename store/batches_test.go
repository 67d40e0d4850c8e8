package store_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"hibobsync/store"
)

func TestRunBatchesSaveReplaceAndRead(t *testing.T) {
	f := newSyncFixture(t, nil, "Acme")
	ctx := context.Background()
	run := f.stage(people(3), nil, nil)

	require.NoError(t, f.s.SaveRunBatches(ctx, run.ID, [][]string{{"a", "b"}, {"c"}, {"d", "e", "f"}}))
	got, err := f.s.RunBatch(ctx, run.ID, 2)
	require.NoError(t, err)
	require.Equal(t, []string{"d", "e", "f"}, got)

	// Saving again replaces: a shorter listing leaves no stale batch behind.
	require.NoError(t, f.s.SaveRunBatches(ctx, run.ID, [][]string{{"x"}, {}}))
	got, err = f.s.RunBatch(ctx, run.ID, 0)
	require.NoError(t, err)
	require.Equal(t, []string{"x"}, got)
	got, err = f.s.RunBatch(ctx, run.ID, 1)
	require.NoError(t, err)
	require.Empty(t, got)
	_, err = f.s.RunBatch(ctx, run.ID, 2)
	require.ErrorIs(t, err, store.ErrUnknownBatch)

	// No batches at all is a listing too.
	require.NoError(t, f.s.SaveRunBatches(ctx, run.ID, nil))
	_, err = f.s.RunBatch(ctx, run.ID, 0)
	require.ErrorIs(t, err, store.ErrUnknownBatch)

	require.ErrorIs(t, f.s.SaveRunBatches(ctx, run.ID+100, [][]string{{"a"}}), store.ErrUnknownRun)
	_, err = f.s.RunBatch(ctx, run.ID+100, 0)
	require.ErrorIs(t, err, store.ErrUnknownBatch)
}
