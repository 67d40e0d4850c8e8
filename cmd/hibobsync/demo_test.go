package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"hibobsync/store/storetest"
)

// TestDemoTellsTheStoryTwice runs `hibobsync demo --exit` twice on one data folder and one
// database, as two `make demo` in a row on the same machine: the first run tells the whole story
// as "Demo Co"; the second reuses the Temporal database, the secret key and the tables, ends the
// connection the first left open, and tells it again as "Demo Co #2".
func TestDemoTellsTheStoryTwice(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the Temporal dev server, Postgres and the whole system")
	}
	dataDir := t.TempDir()
	env := map[string]string{"DATABASE_URL": storetest.NewEmptyDatabase(t)}
	args := []string{"demo", "--exit", "--data-dir", dataDir, "--temporal-port", "0", "--ui-port", "0", "--api-addr", "127.0.0.1:0"}

	demo := func() string {
		t.Helper()
		var out, errOut bytes.Buffer
		c := &cli{stdout: &out, stderr: &errOut, getenv: func(k string) string { return env[k] }}
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
		defer cancel()
		started := time.Now()
		code := run(ctx, args, c)
		t.Logf("demo --exit took %s", time.Since(started).Round(100*time.Millisecond))
		require.Equal(t, 0, code, "stdout:\n%s\nstderr:\n%s", out.String(), errOut.String())
		return out.String()
	}

	first := demo()
	for _, line := range []string{
		"==> first run on this data folder: the company is \"Demo Co\"",
		"POST /v1/connections → 201, tenant demo-co,",
		"the permission audit stops at permissions_missing, naming Personal",
		"fix in Bob: ",
		"==> the audit passes: awaiting_review",
		"500 employees visible",
		"lists demo-co",
		"HibobPhase%3D%22awaiting_review%22",
		"the baseline, 500 fetched, 500 inserted",
		"4 change events",
		" hired ", " terminated ", " home_address_changed ", " birthday_changed ",
		"exactly the four expected",
		"==> the story is told, every step as expected",
		"==> stopping what the demo started",
	} {
		require.Contains(t, first, line)
	}
	require.NotContains(t, first, "FAILED")
	info, err := os.Stat(filepath.Join(dataDir, "secret-key"))
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o600), info.Mode().Perm())
	require.FileExists(t, filepath.Join(dataDir, "temporal.db"))
	require.FileExists(t, filepath.Join(dataDir, "demo-worker.log"))

	second := demo()
	for _, line := range []string{
		"state reused from ",
		"tokens sealed with the secret key from " + filepath.Join(dataDir, "secret-key") + "\n",
		"==> earlier runs on this data folder: 1 (kept, their data too); this run's company is \"Demo Co #2\"",
		"disconnected the connections they left open (DELETE /v1/connections/{tenant}): demo-co\n",
		"POST /v1/connections → 201, tenant demo-co-2,",
		"exactly the four expected",
		"==> the story is told, every step as expected",
	} {
		require.Contains(t, second, line)
	}
}
