package worker_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"hibobsync/hibob"
	"hibobsync/store"
	"hibobsync/worker"
)

// env is a getenv over a map, with a valid secret key unless the test sets another.
func env(t *testing.T, vars map[string]string) func(string) string {
	t.Helper()
	if _, ok := vars[store.SecretKeyEnv]; !ok {
		_, spec, err := store.GenerateKeyring()
		require.NoError(t, err)
		vars[store.SecretKeyEnv] = spec
	}
	// A profile file on the machine running the tests must not change what they see.
	if _, ok := vars["TEMPORAL_CONFIG_FILE"]; !ok {
		vars["TEMPORAL_CONFIG_FILE"] = t.TempDir() + "/none.toml"
	}
	return func(k string) string { return vars[k] }
}

func TestConfigFromEnvDefaults(t *testing.T) {
	cfg, err := worker.ConfigFromEnv(env(t, map[string]string{}))
	require.NoError(t, err)
	require.Equal(t, "localhost:7233", cfg.Client.HostPort)
	require.Equal(t, "default", cfg.Client.Namespace)
	require.Nil(t, cfg.Client.ConnectionOptions.TLS)
	require.Empty(t, cfg.DatabaseURL, "an unset DATABASE_URL is the caller's to resolve")
	require.Equal(t, hibob.DefaultBaseURL, cfg.HiBobBaseURL)
	require.Len(t, cfg.Keys.KeyIDs(), 1)
}

func TestConfigFromEnvReadsTheStandardVariables(t *testing.T) {
	cfg, err := worker.ConfigFromEnv(env(t, map[string]string{
		"TEMPORAL_ADDRESS":   "temporal.internal:7233",
		"TEMPORAL_NAMESPACE": "gifted-prod",
		"TEMPORAL_API_KEY":   "not-a-real-key",
		"DATABASE_URL":       " postgres://hibobsync@db:5432/hibobsync ",
		"HIBOB_BASE_URL":     "http://127.0.0.1:8090/v1",
	}))
	require.NoError(t, err)
	require.Equal(t, "temporal.internal:7233", cfg.Client.HostPort)
	require.Equal(t, "gifted-prod", cfg.Client.Namespace)
	require.NotNil(t, cfg.Client.Credentials, "TEMPORAL_API_KEY")
	require.NotNil(t, cfg.Client.ConnectionOptions.TLS, "an API key turns TLS on")
	require.Equal(t, "postgres://hibobsync@db:5432/hibobsync", cfg.DatabaseURL)
	require.Equal(t, "http://127.0.0.1:8090/v1", cfg.HiBobBaseURL)
}

func TestConfigFromEnvErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		vars map[string]string
		want []string
	}{
		{"no secret key", map[string]string{store.SecretKeyEnv: ""}, []string{"HIBOBSYNC_SECRET_KEY is not set", "hibobsync gen-key"}},
		{"bad secret key", map[string]string{store.SecretKeyEnv: "k1:c2hvcnQ="}, []string{"HIBOBSYNC_SECRET_KEY", "32", "hibobsync gen-key"}},
		{"unknown profile", map[string]string{"TEMPORAL_PROFILE": "staging"}, []string{"TEMPORAL_PROFILE", "staging"}},
		{"bad TLS", map[string]string{"TEMPORAL_TLS_CLIENT_CERT_PATH": "/nonexistent/cert.pem"}, []string{"TEMPORAL_TLS", "cert"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := worker.ConfigFromEnv(env(t, tc.vars))
			require.Error(t, err)
			for _, w := range tc.want {
				require.ErrorContains(t, err, w)
			}
			require.NotContains(t, err.Error(), "c2hvcnQ", "key material is never echoed")
		})
	}
}
