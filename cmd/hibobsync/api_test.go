package main

import (
	"context"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"hibobsync/httpapi"
	"hibobsync/systemtest"
)

func runAPI(ctx context.Context, env map[string]string, stdout, stderr *systemtest.LogBuffer, args ...string) int {
	c := &cli{stdout: stdout, stderr: stderr, getenv: func(k string) string { return env[k] }}
	return run(ctx, append([]string{"api"}, args...), c)
}

func TestAPICommandRefusesWithoutKeys(t *testing.T) {
	for _, tc := range []struct {
		name string
		vars map[string]string
		want []string
	}{
		{"neither", nil, []string{httpapi.BackendKeyEnv + " and " + httpapi.SupportKeyEnv + " not set", "--insecure-dev-keys"}},
		{"no support key", map[string]string{httpapi.BackendKeyEnv: "backend-secret-1"}, []string{httpapi.SupportKeyEnv + " not set"}},
		{"the same key twice", map[string]string{httpapi.BackendKeyEnv: "same-secret-1", httpapi.SupportKeyEnv: "same-secret-1"}, []string{"the same key"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// No database: the keys are checked before anything is reached.
			env := workerEnv(t, map[string]string{"DATABASE_URL": "postgres://postgres@127.0.0.1:1/none?sslmode=disable"})
			for k, v := range tc.vars {
				env[k] = v
			}
			var stdout, stderr systemtest.LogBuffer
			start := time.Now()
			code := runAPI(context.Background(), env, &stdout, &stderr)
			require.Equal(t, 1, code, stderr.String())
			for _, w := range tc.want {
				require.Contains(t, stderr.String(), w)
			}
			require.NotContains(t, stderr.String(), "secret-1", "keys are never echoed")
			require.Less(t, time.Since(start), 5*time.Second)
		})
	}
	var stdout, stderr systemtest.LogBuffer
	require.Equal(t, 2, runAPI(context.Background(), workerEnv(t, nil), &stdout, &stderr, "extra"))
	require.Contains(t, stderr.String(), "takes no arguments")
}

// TestAPICommandServesUntilCancelled runs `hibobsync api` on a real Temporal dev server and
// Postgres: first with generated demo keys, then with keys from the environment.
func TestAPICommandServesUntilCancelled(t *testing.T) {
	dev := systemtest.Temporal(t)
	env := workerEnv(t, map[string]string{"TEMPORAL_ADDRESS": dev.FrontendHostPort()})

	serve := func(env map[string]string, args ...string) (url string, stdout *systemtest.LogBuffer, stop func()) {
		ctx, cancel := context.WithCancel(context.Background())
		stdout = &systemtest.LogBuffer{}
		var stderr systemtest.LogBuffer
		done := make(chan int, 1)
		go func() {
			done <- runAPI(ctx, env, stdout, &stderr, append([]string{"--addr", "127.0.0.1:0"}, args...)...)
		}()
		re := regexp.MustCompile(`listening on (http://\S+) `)
		require.Eventually(t, func() bool { return re.MatchString(stdout.String()) }, time.Minute, 50*time.Millisecond,
			"the API never listened; stdout:\n%s\nstderr:\n%s", stdout, &stderr)
		url = re.FindStringSubmatch(stdout.String())[1]
		return url, stdout, func() {
			cancel()
			select {
			case code := <-done:
				require.Equal(t, 0, code, stderr.String())
			case <-time.After(30 * time.Second):
				t.Fatalf("the API did not stop; its log:\n%s", stderr.String())
			}
			require.Contains(t, stderr.String(), `"msg":"API stopped"`)
		}
	}
	get := func(url, key string) (int, map[string]any) {
		code, body, _ := systemtest.CallJSON(t, "GET", url, key, "")
		return code, body
	}

	// --insecure-dev-keys: the printed keys work.
	url, stdout, stop := serve(env, "--insecure-dev-keys")
	keys := map[string]string{}
	for _, m := range regexp.MustCompile(`(HIBOBSYNC_\w+_API_KEY)=([0-9a-f]{64})`).FindAllStringSubmatch(stdout.String(), -1) {
		keys[m[1]] = m[2]
	}
	require.Len(t, keys, 2, stdout.String())
	code, body := get(url+"/healthz", "")
	require.Equal(t, 200, code, body)
	require.Equal(t, map[string]any{"postgres": "ok", "temporal": "ok"}, body["checks"])
	code, body = get(url+"/v1/connections?phase=awaiting_review", keys[httpapi.SupportKeyEnv])
	require.Equal(t, 200, code, body)
	require.Equal(t, []any{}, body["connections"])
	code, _ = get(url+"/v1/connections/nobody/employees", keys[httpapi.BackendKeyEnv])
	require.Equal(t, 404, code)
	code, _ = get(url+"/v1/connections", "wrong")
	require.Equal(t, 401, code)
	stop()

	// Keys from the environment; nothing printed about keys.
	env[httpapi.BackendKeyEnv], env[httpapi.SupportKeyEnv] = "env-backend-key-123", "env-support-key-456"
	url, stdout, stop = serve(env)
	require.NotContains(t, stdout.String(), "API_KEY")
	code, _ = get(url+"/v1/connections", "env-backend-key-123")
	require.Equal(t, 200, code)
	code, _ = get(url+"/v1/connections/acme/changes", "env-support-key-456")
	require.Equal(t, 403, code)
	stop()
	require.False(t, strings.Contains(stdout.String(), "env-backend-key-123"))
}
