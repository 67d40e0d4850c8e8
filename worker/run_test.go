package worker_test

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"

	"hibobsync/activities"
	"hibobsync/devserver"
	"hibobsync/store"
	"hibobsync/store/storetest"
	"hibobsync/systemtest"
	"hibobsync/worker"
)

// TestMain gives the package's tests their Postgres server (see storetest) and stops it after.
func TestMain(m *testing.M) { storetest.Main(m) }

// config is a worker's configuration against srv and a fresh, unmigrated database (Run
// migrates it).
func config(t *testing.T, srv *devserver.Server) worker.Config {
	t.Helper()
	keys, _, err := store.GenerateKeyring()
	require.NoError(t, err)
	return worker.Config{
		Client:       client.Options{HostPort: srv.FrontendHostPort(), Namespace: srv.Namespace()},
		DatabaseURL:  storetest.NewEmptyDatabase(t),
		Keys:         keys,
		HiBobBaseURL: "http://127.0.0.1:1/v1", // never called: no tenant connects in these tests
		StopTimeout:  5 * time.Second,
		DialTimeout:  20 * time.Second,
	}
}

func TestRunPollsAndStopsOnCancel(t *testing.T) {
	srv := systemtest.Temporal(t)
	cfg := config(t, srv)
	var logs systemtest.LogBuffer
	logger, err := worker.NewLogger(&logs, worker.LogOptions{Level: "debug"})
	require.NoError(t, err)

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- worker.Run(ctx, cfg, logger) }()

	// Polling both kinds of task on the queue: the workflow and the activities are registered.
	for _, kind := range []enumspb.TaskQueueType{enumspb.TASK_QUEUE_TYPE_WORKFLOW, enumspb.TASK_QUEUE_TYPE_ACTIVITY} {
		require.Eventually(t, func() bool {
			select {
			case err := <-done:
				t.Fatalf("Run returned early: %v\nlogs:\n%s", err, logs.String())
			default:
			}
			resp, err := srv.Client().DescribeTaskQueue(ctx, activities.TaskQueue, kind)
			return err == nil && len(resp.GetPollers()) > 0
		}, 60*time.Second, 100*time.Millisecond, "no %s poller on %s\nlogs:\n%s", kind, activities.TaskQueue, logs.String())
	}

	// The database was migrated at start.
	pool, err := pgxpool.New(ctx, cfg.DatabaseURL)
	require.NoError(t, err)
	defer pool.Close()
	var versions int
	require.NoError(t, pool.QueryRow(ctx, "SELECT count(*) FROM goose_db_version WHERE version_id > 0").Scan(&versions))
	require.Positive(t, versions)

	cancel()
	select {
	case err := <-done:
		require.NoError(t, err)
	case <-time.After(cfg.StopTimeout + 10*time.Second):
		t.Fatalf("Run did not return within the stop timeout after cancel\nlogs:\n%s", logs.String())
	}

	out := logs.String()
	require.Contains(t, out, `"msg":"worker running"`)
	require.Contains(t, out, `"msg":"worker stopped"`)
	require.Contains(t, out, `"logger":"temporal"`, "the SDK's own lines go through zap")
}

func TestRunRefusesANamespaceWithoutTheSearchAttributes(t *testing.T) {
	srv := devserver.StartForTest(t, devserver.Options{})
	logger, err := worker.NewLogger(&systemtest.LogBuffer{}, worker.LogOptions{})
	require.NoError(t, err)

	err = worker.Run(context.Background(), config(t, srv), logger)
	require.ErrorContains(t, err, "HibobTenant (Keyword)")
	require.ErrorContains(t, err, "HibobPhase (Keyword)")
	require.ErrorContains(t, err, "temporal operator search-attribute create --namespace default --name HibobPhase --type Keyword")
}

func TestRunWithAnUnknownNamespace(t *testing.T) {
	srv := systemtest.Temporal(t)
	cfg := config(t, srv)
	cfg.Client.Namespace = "nope"
	logger, err := worker.NewLogger(&systemtest.LogBuffer{}, worker.LogOptions{})
	require.NoError(t, err)

	err = worker.Run(context.Background(), cfg, logger)
	require.ErrorContains(t, err, `namespace "nope" does not exist`)
	require.ErrorContains(t, err, "TEMPORAL_NAMESPACE")
}

func TestRunWithUnreachableTemporal(t *testing.T) {
	keys, _, err := store.GenerateKeyring()
	require.NoError(t, err)
	cfg := worker.Config{
		Client:      client.Options{HostPort: "127.0.0.1:1"},
		DatabaseURL: storetest.NewDatabase(t),
		Keys:        keys,
		DialTimeout: 2 * time.Second,
	}
	logger, err := worker.NewLogger(&systemtest.LogBuffer{}, worker.LogOptions{})
	require.NoError(t, err)

	start := time.Now()
	err = worker.Run(context.Background(), cfg, logger)
	require.Less(t, time.Since(start), 15*time.Second, "the dial timeout bounds the wait")
	require.ErrorContains(t, err, "cannot reach Temporal at 127.0.0.1:1")
	require.ErrorContains(t, err, "TEMPORAL_ADDRESS")
	require.ErrorContains(t, err, "make temporal")
}

func TestRunConfigErrors(t *testing.T) {
	logger, err := worker.NewLogger(&systemtest.LogBuffer{}, worker.LogOptions{})
	require.NoError(t, err)

	err = worker.Run(context.Background(), worker.Config{}, logger)
	require.ErrorContains(t, err, "DATABASE_URL")
	require.ErrorContains(t, err, "HIBOBSYNC_SECRET_KEY")

	keys, _, err := store.GenerateKeyring()
	require.NoError(t, err)
	err = worker.Run(context.Background(), worker.Config{
		DatabaseURL: "postgres://postgres@127.0.0.1:1/none?sslmode=disable&connect_timeout=2", Keys: keys,
	}, logger)
	require.ErrorContains(t, err, "127.0.0.1:1")
	require.ErrorContains(t, err, "DATABASE_URL")
}
