package main

import (
	"bytes"
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	enumspb "go.temporal.io/api/enums/v1"

	"hibobsync/activities"
	"hibobsync/store"
	"hibobsync/store/storetest"
	"hibobsync/systemtest"
)

// workerEnv is a complete environment for `hibobsync worker` but for what the test changes:
// a fresh secret key, a fresh database, no Temporal profile file.
func workerEnv(t *testing.T, vars map[string]string) map[string]string {
	t.Helper()
	_, spec, err := store.GenerateKeyring()
	require.NoError(t, err)
	env := map[string]string{
		store.SecretKeyEnv:     spec,
		"TEMPORAL_CONFIG_FILE": filepath.Join(t.TempDir(), "none.toml"),
		"HIBOB_BASE_URL":       "http://127.0.0.1:1/v1",
	}
	for k, v := range vars {
		env[k] = v
	}
	if _, ok := env["DATABASE_URL"]; !ok {
		env["DATABASE_URL"] = storetest.NewEmptyDatabase(t)
	}
	return env
}

func runWorker(ctx context.Context, env map[string]string, stderr *systemtest.LogBuffer, args ...string) int {
	c := &cli{stdout: &bytes.Buffer{}, stderr: stderr, getenv: func(k string) string { return env[k] }}
	return run(ctx, append([]string{"worker"}, args...), c)
}

func TestWorkerCommandRunsUntilCancelled(t *testing.T) {
	srv := systemtest.Temporal(t)
	env := workerEnv(t, map[string]string{"TEMPORAL_ADDRESS": srv.FrontendHostPort()})

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stderr systemtest.LogBuffer
	done := make(chan int, 1)
	go func() { done <- runWorker(ctx, env, &stderr, "--stop-timeout", "3s") }()

	require.Eventually(t, func() bool {
		resp, err := srv.Client().DescribeTaskQueue(ctx, activities.TaskQueue, enumspb.TASK_QUEUE_TYPE_WORKFLOW)
		return err == nil && len(resp.GetPollers()) > 0
	}, time.Minute, 100*time.Millisecond, "the worker never polled; its log:\n%s", stderr.String())

	cancel() // as SIGINT/SIGTERM do through main's signal.NotifyContext
	select {
	case code := <-done:
		require.Equal(t, 0, code, stderr.String())
	case <-time.After(15 * time.Second):
		t.Fatalf("the worker did not stop within its stop timeout; its log:\n%s", stderr.String())
	}
	require.Contains(t, stderr.String(), `"msg":"worker stopped"`)
}

func TestWorkerCommandErrors(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name string
		vars map[string]string
		args []string
		code int
		want []string
	}{
		{"bad secret key", map[string]string{store.SecretKeyEnv: "k1:dG9vIHNob3J0"}, nil, 1,
			[]string{"hibobsync worker: ", "HIBOBSYNC_SECRET_KEY", "hibobsync gen-key"}},
		{"no secret key", map[string]string{store.SecretKeyEnv: ""}, nil, 1,
			[]string{"HIBOBSYNC_SECRET_KEY is not set"}},
		{"unreachable Temporal", map[string]string{"TEMPORAL_ADDRESS": "127.0.0.1:1"}, []string{"--dial-timeout", "2s"}, 1,
			[]string{"cannot reach Temporal at 127.0.0.1:1", "TEMPORAL_ADDRESS", "make temporal"}},
		{"unreachable Postgres", map[string]string{"DATABASE_URL": "postgres://postgres@127.0.0.1:1/none?sslmode=disable&connect_timeout=2"}, nil, 1,
			[]string{"127.0.0.1:1", "DATABASE_URL"}},
		{"bad log format", nil, []string{"--log-format", "xml"}, 2, []string{"--log-format \"xml\""}},
		{"bad log level", nil, []string{"--log-level", "loud"}, 2, []string{`"loud"`}},
		{"arguments", nil, []string{"extra"}, 2, []string{"takes no arguments"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var stderr systemtest.LogBuffer
			start := time.Now()
			code := runWorker(ctx, workerEnv(t, tc.vars), &stderr, tc.args...)
			require.Equal(t, tc.code, code, stderr.String())
			for _, w := range tc.want {
				require.Contains(t, stderr.String(), w)
			}
			require.NotContains(t, stderr.String(), "dG9vIHNob3J0", "key material is never echoed")
			require.Less(t, time.Since(start), 20*time.Second)
		})
	}
}
