package pglocal

import (
	"context"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/stretchr/testify/require"
)

// dataDir makes a folder for one test's cluster under the module's .data/ (two folders up from
// this package): reachable by the cluster's account, unlike the 0700 folders of t.TempDir().
func dataDir(t *testing.T, prefix string) string {
	t.Helper()
	pkg, err := os.Getwd()
	require.NoError(t, err)
	parent := filepath.Join(filepath.Dir(filepath.Dir(pkg)), ".data", "test-postgres")
	require.NoError(t, os.MkdirAll(parent, 0o755))
	dir, err := os.MkdirTemp(parent, prefix)
	require.NoError(t, err)
	require.NoError(t, os.Chmod(dir, 0o755))
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	return filepath.Join(dir, "cluster")
}

// The "postgres" account exists on machines with Debian's PostgreSQL packages, so the other
// tests take that path; this one proves the fallback to "nobody" works as well.
func TestThrowawayRunsAsNobody(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("only root hands the cluster to another account")
	}
	as, err := account("nobody")
	if err != nil {
		t.Skipf("no nobody account: %v", err)
	}
	dir := dataDir(t, "pglocal-nobody-")
	s, err := startThrowaway(context.Background(), dir, as)
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.Stop() })
	require.NoError(t, Ping(context.Background(), s.URL))
	fi, err := os.Stat(filepath.Join(dir, "pgdata", "PG_VERSION"))
	require.NoError(t, err)
	require.Equal(t, as.cred.Uid, fi.Sys().(*syscall.Stat_t).Uid)
	require.NoError(t, s.Stop())
}

// With no DATABASE_URL and nothing answering where the local server would be, Find starts a
// throwaway cluster: the fresh-machine path of `make test` and the demo.
func TestFindFallsBackToAThrowawayCluster(t *testing.T) {
	nowhere := "postgres://postgres@127.0.0.1:1/postgres?sslmode=disable"
	s, err := find(context.Background(), func(string) string { return "" }, dataDir(t, "pglocal-find-"), nowhere)
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.Stop() })
	require.True(t, s.Started)
	require.Contains(t, s.Source, "throwaway cluster in ")
	require.NoError(t, Ping(context.Background(), s.URL))
	require.NoError(t, s.Stop())
}

// When every way fails, the error names each one and says what to do.
func TestFindSaysWhatWasTriedAndWhatToDo(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("the failure staged here is root's cluster account unable to reach the folder")
	}
	nowhere := "postgres://postgres@127.0.0.1:1/postgres?sslmode=disable"
	_, err := find(context.Background(), func(string) string { return "" }, filepath.Join(t.TempDir(), "cluster"), nowhere)
	require.Error(t, err)
	t.Log(err)
	for _, want := range []string{"DATABASE_URL is not set", "nothing answers at 127.0.0.1:1", "throwaway cluster", "cannot enter",
		"set DATABASE_URL, or install PostgreSQL (Debian: apt-get install postgresql)"} {
		require.Contains(t, err.Error(), want)
	}
}
