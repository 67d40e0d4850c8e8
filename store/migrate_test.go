package store_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"hibobsync/store"
	"hibobsync/store/storetest"
)

// TestMain gives the package's tests their Postgres server (see storetest) and stops it after.
func TestMain(m *testing.M) { storetest.Main(m) }

func openPool(t *testing.T, url string) *pgxpool.Pool {
	t.Helper()
	pool, err := pgxpool.New(context.Background(), url)
	require.NoError(t, err)
	t.Cleanup(pool.Close)
	return pool
}

// schemaVersion is what goose's version table says the schema is at, and how many times each
// version was recorded as applied.
func schemaVersion(t *testing.T, pool *pgxpool.Pool) (int64, map[int64]int) {
	t.Helper()
	ctx := context.Background()
	var current int64
	require.NoError(t, pool.QueryRow(ctx,
		"SELECT max(version_id) FROM goose_db_version WHERE is_applied").Scan(&current))
	rows, err := pool.Query(ctx, "SELECT version_id FROM goose_db_version WHERE is_applied AND version_id > 0")
	require.NoError(t, err)
	counts := map[int64]int{}
	for rows.Next() {
		var v int64
		require.NoError(t, rows.Scan(&v))
		counts[v]++
	}
	require.NoError(t, rows.Err())
	return current, counts
}

func requireSchema(t *testing.T, pool *pgxpool.Pool) {
	t.Helper()
	for _, table := range []string{"tenants", "credentials", "sync_runs"} {
		var exists bool
		require.NoError(t, pool.QueryRow(context.Background(),
			"SELECT to_regclass($1) IS NOT NULL", "public."+table).Scan(&exists))
		require.True(t, exists, "table %s after migrating", table)
	}
}

// allVersions are the migrations in store/migrations, each applied once.
var (
	allVersions = []int64{1, 2, 3, 4, 5}
	latest      = allVersions[len(allVersions)-1]
	appliedOnce = map[int64]int{1: 1, 2: 1, 3: 1, 4: 1, 5: 1}
)

func TestMigrateEmptyDatabaseThenAgain(t *testing.T) {
	ctx := context.Background()
	pool := openPool(t, storetest.NewEmptyDatabase(t))

	applied, err := store.Migrate(ctx, pool)
	require.NoError(t, err)
	require.Equal(t, allVersions, applied)
	requireSchema(t, pool)
	current, counts := schemaVersion(t, pool)
	require.Equal(t, latest, current)
	require.Equal(t, appliedOnce, counts)

	// On a migrated database there is nothing to do, and nothing is recorded twice.
	applied, err = store.Migrate(ctx, pool)
	require.NoError(t, err)
	require.Empty(t, applied)
	current, counts = schemaVersion(t, pool)
	require.Equal(t, latest, current)
	require.Equal(t, appliedOnce, counts)
}

// Two processes (a worker and `hibobsync migrate`, say) starting at once on a fresh database:
// separate pools stand for the processes. Both must succeed, the schema must be applied exactly
// once, and the loser must wait for the winner rather than fail on half-made tables.
func TestMigrateConcurrentlyOnAFreshDatabase(t *testing.T) {
	url := storetest.NewEmptyDatabase(t)
	const processes = 3
	pools := make([]*pgxpool.Pool, processes)
	for i := range pools {
		pools[i] = openPool(t, url)
	}

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var wg sync.WaitGroup
	applied := make([][]int64, processes)
	errs := make([]error, processes)
	start := make(chan struct{})
	for i := range pools {
		wg.Go(func() {
			<-start
			applied[i], errs[i] = store.Migrate(ctx, pools[i])
		})
	}
	close(start)
	wg.Wait()

	var all []int64
	for i := range pools {
		require.NoError(t, errs[i], "migration %d", i)
		all = append(all, applied[i]...)
	}
	require.Equal(t, allVersions, all, "every version applied by exactly one of them")
	requireSchema(t, pools[0])
	current, counts := schemaVersion(t, pools[0])
	require.Equal(t, latest, current)
	require.Equal(t, appliedOnce, counts)
}
