package worker

import (
	"fmt"
	"net/url"
	"os"
	"strings"
	"time"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/contrib/envconfig"

	"hibobsync/hibob"
	"hibobsync/store"
)

// Defaults of the worker's tuning (Config's zero values mean these).
const (
	// DefaultMaxConcurrentActivities: activities mostly wait on HiBob (paced to 50 requests a
	// minute per tenant) or on Postgres, so many fit on two cores; the bound keeps a burst of
	// tenants from queueing more Postgres work than the pool can serve at once.
	DefaultMaxConcurrentActivities = 64
	// DefaultMaxConcurrentWorkflowTasks: workflow tasks are short and CPU-bound.
	DefaultMaxConcurrentWorkflowTasks = 16
	// DefaultStopTimeout is how long a stopping worker lets running activities finish: applying
	// a 100,000-employee run takes seconds, fetches heartbeat their progress and resume from it
	// on another worker. Under Kubernetes' default 30 s grace period, so the process exits
	// before it is killed.
	DefaultStopTimeout = 25 * time.Second
	// DefaultDialTimeout bounds reaching Temporal at start.
	DefaultDialTimeout = 30 * time.Second
)

// Default Temporal address and namespace: the dev server's (`temporal server start-dev`).
const (
	DefaultAddress   = "localhost:7233"
	DefaultNamespace = "default"
)

// Config is everything a worker needs. ConfigFromEnv builds it from the environment; tests and
// the demo build it directly.
type Config struct {
	// Client dials Temporal: address, namespace, TLS, API key, gRPC headers. Run sets its Logger.
	Client client.Options
	// DatabaseURL is the project's Postgres (not Temporal's).
	DatabaseURL string
	// Keys seal and open the tenants' HiBob tokens.
	Keys *store.Keyring
	// HiBobBaseURL is HiBob's API root: production, the sandbox or the simulator.
	HiBobBaseURL string

	// Zero means the default of the same name.
	MaxConcurrentActivities    int
	MaxConcurrentWorkflowTasks int
	StopTimeout                time.Duration
	DialTimeout                time.Duration
}

// ConfigFromEnv reads the worker's configuration from getenv (os.Getenv outside tests):
//
//   - Temporal: the standard client variables read by go.temporal.io/sdk/contrib/envconfig,
//     as the temporal CLI reads them: TEMPORAL_ADDRESS (default localhost:7233),
//     TEMPORAL_NAMESPACE (default "default"), TEMPORAL_API_KEY, TEMPORAL_TLS*,
//     TEMPORAL_GRPC_META_*, and a profile from TEMPORAL_CONFIG_FILE / TEMPORAL_PROFILE;
//   - DATABASE_URL, left empty when unset: the caller decides what an unset one means (the
//     command finds or starts a local Postgres through pglocal);
//   - HIBOBSYNC_SECRET_KEY (required; see `hibobsync gen-key`);
//   - HIBOB_BASE_URL (default: HiBob's production API).
//
// Errors name the variable at fault and what to do about it.
func ConfigFromEnv(getenv func(string) string) (Config, error) {
	keys, err := store.KeyringFromEnv(getenv)
	if err != nil {
		return Config{}, fmt.Errorf("worker: %w", err)
	}
	opts, err := envconfig.LoadClientOptions(envconfig.LoadClientOptionsRequest{EnvLookup: envLookup(getenv)})
	if err != nil {
		return Config{}, fmt.Errorf("worker: the Temporal client configuration (TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TEMPORAL_TLS*, "+
			"TEMPORAL_API_KEY, TEMPORAL_CONFIG_FILE, TEMPORAL_PROFILE) is not usable: %w", err)
	}
	if opts.HostPort == "" {
		opts.HostPort = DefaultAddress
	}
	if opts.Namespace == "" {
		opts.Namespace = DefaultNamespace
	}
	return Config{
		Client:       opts,
		DatabaseURL:  strings.TrimSpace(getenv("DATABASE_URL")),
		Keys:         keys,
		HiBobBaseURL: hibob.BaseURLFromEnv(getenv),
	}, nil
}

// envLookup adapts a getenv function to envconfig's lookup. An empty variable counts as unset,
// as everywhere else in the project.
type envLookup func(string) string

func (e envLookup) LookupEnv(key string) (string, bool) {
	v := e(key)
	return v, v != ""
}

// Environ serves envconfig's scan for TEMPORAL_GRPC_META_* headers. A getenv function cannot
// list variables, so the names come from the process's environment and the values from getenv:
// with os.Getenv that is the environment itself, and a test's map cannot add headers.
func (e envLookup) Environ() []string {
	var out []string
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		if !strings.HasPrefix(name, "TEMPORAL_GRPC_META_") {
			continue
		}
		if v := e(name); v != "" {
			out = append(out, name+"="+v)
		}
	}
	return out
}

func (c Config) maxConcurrentActivities() int {
	return orDefault(c.MaxConcurrentActivities, DefaultMaxConcurrentActivities)
}

func (c Config) maxConcurrentWorkflowTasks() int {
	return orDefault(c.MaxConcurrentWorkflowTasks, DefaultMaxConcurrentWorkflowTasks)
}

func (c Config) stopTimeout() time.Duration { return orDefault(c.StopTimeout, DefaultStopTimeout) }
func (c Config) dialTimeout() time.Duration { return orDefault(c.DialTimeout, DefaultDialTimeout) }

func (c Config) address() string { return orDefault(c.Client.HostPort, DefaultAddress) }

func (c Config) namespace() string { return orDefault(c.Client.Namespace, DefaultNamespace) }

func orDefault[T comparable](v, def T) T {
	var zero T
	if v == zero {
		return def
	}
	return v
}

// databaseForLogs is the database URL as user@host/database, for logs: no password, and no
// query string (which may carry one too).
func databaseForLogs(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme == "" {
		// A keyword/value connection string may carry password=…; say only what kind it is.
		return "(a keyword/value connection string)"
	}
	out := url.URL{Scheme: u.Scheme, Host: u.Host, Path: u.Path}
	if u.User != nil {
		out.User = url.User(u.User.Username())
	}
	return out.String()
}
