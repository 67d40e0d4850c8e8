// Package systemtest assembles the whole system in a test, the way the end-to-end tests of
// several packages need it: a Temporal dev server with the project's search attributes, a fresh
// Postgres database (see storetest), the simulated HiBob over HTTP with its rate limits
// compressed from a minute to a second, and a worker running the tenant workflow and its
// activities.
//
// It is a normal package used only by tests, as net/http/httptest is. It imports worker (and so
// workflows and activities), so only external test packages of those (package worker_test,
// workflows_test) can use it, not their internal tests. A package that uses it needs
//
//	func TestMain(m *testing.M) { storetest.Main(m) }
package systemtest

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"go.temporal.io/sdk/client"

	"hibobsync/devserver"
	"hibobsync/hibob/simulator"
	"hibobsync/model"
	"hibobsync/store"
	"hibobsync/worker"
	"hibobsync/workflows"
)

// Window is the simulated HiBob's rate-limit window, and the period of the worker's limits:
// HiBob's real limits compressed 60× (a minute into a second), so pacing is exercised.
const Window = time.Second

// Options says what Start builds.
type Options struct {
	// Company is the simulated HiBob's one company, with Employees people generated from Seed.
	Company   string
	Employees int
	Seed      int64
	// LogLevel of the SDK client's logger, whose lines go to System.Logs (0 is slog.LevelInfo).
	LogLevel slog.Level
}

// System is everything real, started by Start and stopped when the test ends.
type System struct {
	Dev     *devserver.Server
	Client  client.Client // Dev's client, whose logger writes to Logs
	Store   *store.Store
	Sim     *simulator.Server
	Company *simulator.Company
	// HiBobURL is the simulator's API base URL, as the worker calls it (".../v1").
	HiBobURL string
	// DatabaseURL and SecretKey (the keyring as store.SecretKeyEnv spells it) are Store's, for
	// a process under test that opens the same database.
	DatabaseURL string
	SecretKey   string
	// Logs are the SDK client's log lines, the worker's included, as JSON.
	Logs *LogBuffer

	logLevel slog.Level
	devOpts  devserver.Options // as Build started Dev, for RestartTemporal
}

// Temporal starts a dev server with the project's search attributes.
func Temporal(t testing.TB) *devserver.Server {
	t.Helper()
	return devserver.StartForTest(t, devserver.Options{SearchAttributes: worker.SearchAttributes()})
}

// Start builds the system and a worker on activities.TaskQueue, running until the test ends.
func Start(t testing.TB, opts Options) *System {
	t.Helper()
	s := Build(t, opts, devserver.Options{})
	s.StartWorker(t)
	return s
}

// ServiceUserWithout adds a service user to the company whose permission group grants
// everything but viewing (and viewing the history of) the missing sections.
func (s *System) ServiceUserWithout(missing ...model.Permission) simulator.ServiceUser {
	group := simulator.FullAccess()
	for _, p := range missing {
		group.View[p], group.ViewHistory[p] = false, false
	}
	return s.Company.AddServiceUser(group)
}

// QueryStatus asks the tenant's workflow for its status.
func (s *System) QueryStatus(ctx context.Context, tenant model.TenantKey) (workflows.Status, error) {
	var st workflows.Status
	v, err := s.Client.QueryWorkflow(ctx, workflows.WorkflowID(tenant), "", workflows.QueryStatus)
	if err != nil {
		return st, err
	}
	err = v.Get(&st)
	return st, err
}

// WaitFor reads status every 100ms until ok holds of it, and returns that status. After within,
// it fails the test with what it waited for and the last status it read.
func WaitFor(t testing.TB, what string, within time.Duration, status func() (workflows.Status, error), ok func(workflows.Status) bool) workflows.Status {
	t.Helper()
	var last workflows.Status
	deadline := time.Now().Add(within)
	for time.Now().Before(deadline) {
		st, err := status()
		if err == nil {
			if ok(st) {
				return st
			}
			last = st
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("waiting for %s: last status %+v", what, last)
	return last
}
