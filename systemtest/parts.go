package systemtest

import (
	"context"
	"log/slog"
	"net/http/httptest"
	"sync"
	"testing"

	"go.temporal.io/sdk/log"
	sdkworker "go.temporal.io/sdk/worker"

	"hibobsync/activities"
	"hibobsync/devserver"
	"hibobsync/hibob"
	"hibobsync/hibob/simulator"
	"hibobsync/store"
	"hibobsync/store/storetest"
	"hibobsync/worker"
)

// Build is Start without the worker: a test that runs its own (StartWorker, or the worker as a
// process: StartWorkerProcess) builds the system with it. dev configures the Temporal dev
// server (DBFilename keeps its state on disk, for RestartTemporal); Build sets its search
// attributes and its client's logger.
func Build(t testing.TB, opts Options, dev devserver.Options) *System {
	t.Helper()
	s := &System{Logs: &LogBuffer{}}
	s.logLevel = opts.LogLevel
	dev.SearchAttributes = worker.SearchAttributes()
	dev.Logger = s.sdkLogger()
	s.devOpts = dev
	s.Dev = devserver.StartForTest(t, dev)
	s.Client = s.Dev.Client()

	s.Sim = simulator.New(simulator.Options{Window: Window})
	s.Company = s.Sim.AddCompany(opts.Company, opts.Employees, opts.Seed)
	srv := httptest.NewServer(s.Sim)
	t.Cleanup(srv.Close)
	s.HiBobURL = srv.URL + "/v1"

	s.DatabaseURL = storetest.NewDatabase(t)
	keys, spec, err := store.GenerateKeyring()
	if err != nil {
		t.Fatalf("systemtest: generate keyring: %v", err)
	}
	s.SecretKey = spec
	s.Store, err = store.Open(context.Background(), s.DatabaseURL, keys)
	if err != nil {
		t.Fatalf("systemtest: %v", err)
	}
	t.Cleanup(s.Store.Close)
	return s
}

func (s *System) sdkLogger() log.Logger {
	return log.NewStructuredLogger(slog.New(slog.NewJSONHandler(s.Logs, &slog.HandlerOptions{Level: s.logLevel})))
}

// CompressedLimits are HiBob's default limits with their period compressed to Window, as the
// in-process worker paces its requests.
func CompressedLimits() map[hibob.Endpoint]hibob.Limit {
	limits := hibob.DefaultLimits()
	for e, l := range limits {
		limits[e] = hibob.Limit{Requests: l.Requests, Per: Window}
	}
	return limits
}

// Worker is an in-process worker on activities.TaskQueue (see StartWorker).
type Worker struct {
	w    sdkworker.Worker
	once sync.Once
}

// Stop stops the worker; it is safe to call more than once.
func (w *Worker) Stop() { w.once.Do(w.w.Stop) }

// StartWorker starts a worker on s.Client, as Start does, running until Stop or the end of the
// test. Its activities pace HiBob requests to CompressedLimits.
func (s *System) StartWorker(t testing.TB) *Worker {
	t.Helper()
	w := sdkworker.New(s.Client, activities.TaskQueue, sdkworker.Options{})
	worker.Register(w, &activities.Activities{Store: s.Store, Clients: activities.NewClientFactory(s.HiBobURL, nil, CompressedLimits())})
	if err := w.Start(); err != nil {
		t.Fatalf("systemtest: start the worker: %v", err)
	}
	sw := &Worker{w: w}
	t.Cleanup(sw.Stop)
	return sw
}
