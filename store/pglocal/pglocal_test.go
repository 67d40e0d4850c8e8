package pglocal_test

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"hibobsync/store/pglocal"
)

// projectDataDir makes a folder under the module's .data/ for one test's cluster. Not
// t.TempDir(): as root the cluster runs as an unprivileged account, which cannot enter the 0700
// folders t.TempDir() makes.
func projectDataDir(t *testing.T) string {
	t.Helper()
	pkg, err := os.Getwd() // store/pglocal
	require.NoError(t, err)
	parent := filepath.Join(filepath.Dir(filepath.Dir(pkg)), ".data", "test-postgres")
	require.NoError(t, os.MkdirAll(parent, 0o755))
	d, err := os.MkdirTemp(parent, "pglocal-")
	require.NoError(t, err)
	require.NoError(t, os.Chmod(d, 0o755)) // MkdirTemp makes it 0700; StartThrowaway sets what it needs
	t.Cleanup(func() { _ = os.RemoveAll(d) })
	return filepath.Join(d, "cluster")
}

func query(t *testing.T, url, sql string, args ...any) []any {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, url)
	require.NoError(t, err)
	defer conn.Close(ctx)
	rows, err := conn.Query(ctx, sql, args...)
	require.NoError(t, err)
	defer rows.Close()
	var out []any
	for rows.Next() {
		vals, err := rows.Values()
		require.NoError(t, err)
		out = append(out, vals...)
	}
	require.NoError(t, rows.Err())
	return out
}

func TestStartThrowawayStartsStopsAndReuses(t *testing.T) {
	ctx := context.Background()
	dataDir := projectDataDir(t)

	start := time.Now()
	s, err := pglocal.StartThrowaway(ctx, dataDir)
	require.NoError(t, err)
	t.Logf("initdb + start: %v, %s (%s)", time.Since(start).Round(time.Millisecond), s.URL, s.Source)
	t.Cleanup(func() { _ = s.Stop() })
	require.True(t, s.Started)
	require.Equal(t, dataDir, s.DataDir)
	require.True(t, strings.HasPrefix(s.URL, "postgres://postgres@127.0.0.1:"), s.URL)

	query(t, s.URL, "CREATE TABLE kept (id int PRIMARY KEY, name text)")
	query(t, s.URL, "INSERT INTO kept VALUES (1, 'one')")
	require.Equal(t, []any{"off"}, query(t, s.URL, "SHOW fsync"))
	require.Equal(t, []any{"127.0.0.1"}, query(t, s.URL, "SHOW listen_addresses"))

	if os.Geteuid() == 0 {
		// The root path: the server runs as an unprivileged account and owns its folder.
		fi, err := os.Stat(filepath.Join(dataDir, "pgdata"))
		require.NoError(t, err)
		require.NotZero(t, statUID(fi), "the cluster's files must not belong to root")
		_, err = os.Stat(filepath.Join(dataDir, ".s.PGSQL."+portOf(t, s.URL)))
		require.NoError(t, err, "the unix socket belongs in the data folder")
	}

	// A second start while it runs finds it and does not start another.
	again, err := pglocal.StartThrowaway(ctx, dataDir)
	require.NoError(t, err)
	require.False(t, again.Started)
	require.Equal(t, s.URL, again.URL)

	require.NoError(t, s.Stop())
	require.NoError(t, s.Stop(), "Stop twice is harmless")
	require.Error(t, pglocal.Ping(ctx, s.URL), "the server must be down after Stop")

	// Restarting an initialised folder keeps its data.
	start = time.Now()
	restarted, err := pglocal.StartThrowaway(ctx, dataDir)
	require.NoError(t, err)
	t.Logf("restart: %v", time.Since(start).Round(time.Millisecond))
	t.Cleanup(func() { _ = restarted.Stop() })
	require.True(t, restarted.Started)
	require.Equal(t, []any{"one"}, query(t, restarted.URL, "SELECT name FROM kept WHERE id = 1"))
	require.NoError(t, restarted.Stop())
}

func TestStartThrowawaySaysWhenTheAccountCannotReachTheFolder(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("only root hands the cluster to another account")
	}
	dir := filepath.Join(t.TempDir(), "cluster") // t.TempDir() is 0700 root: unreachable for postgres
	require.NoError(t, os.Chmod(filepath.Dir(filepath.Dir(dir)), 0o700))
	_, err := pglocal.StartThrowaway(context.Background(), dir)
	require.Error(t, err)
	require.Contains(t, err.Error(), "cannot enter")
	require.Contains(t, err.Error(), ".data/")
}

func TestFindUsesDatabaseURLFirst(t *testing.T) {
	want := "postgres://someone:secret@db.example.invalid:6543/app?sslmode=require"
	env := map[string]string{"DATABASE_URL": want}
	s, err := pglocal.Find(context.Background(), func(k string) string { return env[k] }, "/nonexistent")
	require.NoError(t, err)
	require.Equal(t, want, s.URL)
	require.Equal(t, "DATABASE_URL", s.Source)
	require.NotContains(t, s.Source, "secret")
	require.False(t, s.Started)
	require.NoError(t, s.Stop(), "Stop does nothing for a server pglocal does not manage")
}

func TestFindUsesTheLocalServer(t *testing.T) {
	if err := pglocal.Ping(context.Background(), pglocal.DefaultURL); err != nil {
		t.Skipf("nothing answers at %s: %v", pglocal.DefaultURL, err)
	}
	s, err := pglocal.Find(context.Background(), func(string) string { return "" }, "/nonexistent")
	require.NoError(t, err)
	require.Equal(t, pglocal.DefaultURL, s.URL)
	require.Empty(t, s.DataDir)
	require.NoError(t, s.Stop())
}

func portOf(t *testing.T, url string) string {
	t.Helper()
	cfg, err := pgx.ParseConfig(url)
	require.NoError(t, err)
	return strconv.Itoa(int(cfg.Port))
}

func statUID(fi os.FileInfo) uint32 { return fi.Sys().(*syscall.Stat_t).Uid }
