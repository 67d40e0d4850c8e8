package demo

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/log"
	sdkworker "go.temporal.io/sdk/worker"
	"go.uber.org/zap"
	"go.uber.org/zap/exp/zapslog"

	"hibobsync/activities"
	"hibobsync/devserver"
	"hibobsync/hibob"
	"hibobsync/hibob/simulator"
	"hibobsync/httpapi"
	"hibobsync/starter"
	"hibobsync/store"
	"hibobsync/store/pglocal"
	"hibobsync/worker"
)

// demoDatabase is the database the demo keeps its tables in on a Postgres it found or started
// (not on DATABASE_URL, which is used as given), apart from anything else on that server.
const demoDatabase = "hibobsync_demo"

// rateWindow is the simulated HiBob's rate-limit window: HiBob's limits per minute, compressed
// into a second, so pacing is real and the demo quick.
const rateWindow = time.Second

// system is everything the demo started, and how to stop it.
type system struct {
	opts    Options
	dataDir string

	dev      *devserver.Server
	temporal client.Client
	pg       *pglocal.Server
	store    *store.Store
	sim      *simulator.Server
	simURL   string // the API root, …/v1
	company  *simulator.Company
	user     simulator.ServiceUser
	earlier  []string // company names of earlier runs
	apiURL   string
	apiKeys  httpapi.Keys
	starter  *starter.Starter
	keysFrom string

	workerLogPath   string
	temporalLogPath string

	stops []func() error // in start order; stop runs them backwards
}

func (s *system) onStop(f func() error) { s.stops = append(s.stops, f) }

// stop stops everything started, the last started first.
func (s *system) stop() error {
	var errs []error
	for i := len(s.stops) - 1; i >= 0; i-- {
		if err := s.stops[i](); err != nil {
			errs = append(errs, err)
		}
	}
	s.stops = nil
	return errors.Join(errs...)
}

// start brings the system up, printing where each part is. On error, what started is in the
// returned system's stop list.
func start(ctx context.Context, opts Options, dataDir string, out *printer) (*system, error) {
	s := &system{opts: opts, dataDir: dataDir}

	// Logs: the worker's, the SDK client's and the API's go to one file; the dev server's to another.
	s.workerLogPath = filepath.Join(dataDir, "demo-worker.log")
	logFile, err := os.OpenFile(s.workerLogPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return s, fmt.Errorf("demo: the worker's log: %w", err)
	}
	s.onStop(logFile.Close)
	logger, err := worker.NewLogger(logFile, worker.LogOptions{})
	if err != nil {
		return s, err
	}
	s.onStop(func() error { _ = logger.Sync(); return nil })
	sdkLogger := log.NewStructuredLogger(slog.New(zapslog.NewHandler(logger.Core(), zapslog.WithName("temporal"))))

	if err := s.startTemporal(ctx, sdkLogger, out); err != nil {
		return s, err
	}
	if err := s.startPostgres(ctx, out); err != nil {
		return s, err
	}
	if err := s.startHiBob(ctx, out); err != nil {
		return s, err
	}
	if err := s.startWorker(logger, out); err != nil {
		return s, err
	}
	if err := s.startAPI(logger, out); err != nil {
		return s, err
	}
	return s, nil
}

func (s *system) startTemporal(ctx context.Context, sdkLogger log.Logger, out *printer) error {
	bin, err := devserver.Binary()
	if err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	s.temporalLogPath = filepath.Join(s.dataDir, "temporal.log")
	tlog, err := os.OpenFile(s.temporalLogPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return fmt.Errorf("demo: the dev server's log: %w", err)
	}
	s.onStop(tlog.Close)
	frontend, uiPort := "", 0
	if s.opts.TemporalPort > 0 && portFree(s.opts.TemporalPort) {
		frontend = "127.0.0.1:" + strconv.Itoa(s.opts.TemporalPort)
	}
	if s.opts.UIPort > 0 && portFree(s.opts.UIPort) {
		uiPort = s.opts.UIPort
	}
	dbFile := filepath.Join(s.dataDir, "temporal.db")
	_, statErr := os.Stat(dbFile)
	out.step("starting the Temporal dev server (%s, the design's dynamic config, search attributes HibobTenant and HibobPhase)", bin)
	dev, err := devserver.Start(ctx, devserver.Options{
		HostPort: frontend, DBFilename: dbFile, UI: true, UIPort: uiPort, LogLevel: "warn",
		SearchAttributes: worker.SearchAttributes(), Output: tlog, Logger: sdkLogger,
	})
	if err != nil {
		return fmt.Errorf("demo: %w (its log: %s)", err, s.temporalLogPath)
	}
	s.dev, s.temporal = dev, dev.Client()
	s.onStop(dev.Stop)
	state := "new, kept in " + dbFile
	if statErr == nil {
		state = "reused from " + dbFile
	}
	out.detail("frontend %s%s, Web UI %s%s", dev.FrontendHostPort(), takenNote(frontend == "" && s.opts.TemporalPort > 0, s.opts.TemporalPort),
		dev.UIAddress(), takenNote(uiPort == 0 && s.opts.UIPort > 0, s.opts.UIPort))
	out.detail("state %s; its log: %s", state, s.temporalLogPath)
	return nil
}

func takenNote(taken bool, port int) string {
	if taken {
		return fmt.Sprintf(" (port %d was taken)", port)
	}
	return ""
}

// portFree reports whether 127.0.0.1:port can be listened on now.
func portFree(port int) bool {
	l, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(port))
	if err != nil {
		return false
	}
	l.Close()
	return true
}

// listen listens on addr, else on a free port of the same host.
func listen(addr string) (net.Listener, bool, error) {
	if l, err := net.Listen("tcp", addr); err == nil {
		return l, false, nil
	} else if strings.HasSuffix(addr, ":0") {
		return nil, false, err
	}
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, false, err
	}
	l, err := net.Listen("tcp", net.JoinHostPort(host, "0"))
	return l, true, err
}

func (s *system) startPostgres(ctx context.Context, out *printer) error {
	pg, err := pglocal.Find(ctx, s.opts.Getenv, filepath.Join(s.dataDir, "postgres"))
	if err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	s.pg = pg
	if pg.Started {
		s.onStop(pg.Stop)
	}
	dbURL, where := pg.URL, pg.Source
	if pg.Source != "DATABASE_URL" {
		if dbURL, err = ensureDatabase(ctx, pg.URL, demoDatabase); err != nil {
			return err
		}
		where = fmt.Sprintf("database %s on %s", demoDatabase, pg.Source)
	}

	keys, keySource, err := secretKey(s.opts.Getenv, filepath.Join(s.dataDir, "secret-key"))
	if err != nil {
		return err
	}
	st, err := store.Open(ctx, dbURL, keys)
	if err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	s.store = st
	s.onStop(func() error { st.Close(); return nil })
	applied, err := store.Migrate(ctx, st.Pool())
	if err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	schema := "schema up to date"
	if len(applied) > 0 {
		schema = fmt.Sprintf("%d migrations applied", len(applied))
	}
	out.step("Postgres: %s (%s)", where, schema)
	out.detail("tokens sealed with the secret key from %s", keySource)
	return nil
}

// ensureDatabase creates database name on the server adminURL connects to, when missing, and
// returns the URL of that database.
func ensureDatabase(ctx context.Context, adminURL, name string) (string, error) {
	conn, err := pgx.Connect(ctx, adminURL)
	if err != nil {
		return "", fmt.Errorf("demo: connect to Postgres: %w", err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	var exists bool
	if err := conn.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)`, name).Scan(&exists); err != nil {
		return "", fmt.Errorf("demo: look for database %s: %w", name, err)
	}
	if !exists {
		if _, err := conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
			return "", fmt.Errorf("demo: create database %s: %w", name, err)
		}
	}
	u, err := url.Parse(adminURL)
	if err != nil || u.Scheme == "" {
		return "", fmt.Errorf("demo: the Postgres URL is not a URL; set DATABASE_URL to a postgres:// URL")
	}
	u.Path = "/" + name
	return u.String(), nil
}

// secretKey is HIBOBSYNC_SECRET_KEY when set, else the key kept in path (made on first use,
// mode 0600), so that a later run opens the tokens an earlier one sealed.
func secretKey(getenv func(string) string, path string) (*store.Keyring, string, error) {
	if getenv(store.SecretKeyEnv) != "" {
		k, err := store.KeyringFromEnv(getenv)
		return k, store.SecretKeyEnv, err
	}
	if b, err := os.ReadFile(path); err == nil {
		k, err := store.ParseKeyring(string(b))
		if err != nil {
			return nil, "", fmt.Errorf("demo: %s: %w (remove it to start over)", path, err)
		}
		return k, path, nil
	} else if !errors.Is(err, os.ErrNotExist) {
		return nil, "", fmt.Errorf("demo: %w", err)
	}
	k, spec, err := store.GenerateKeyring()
	if err != nil {
		return nil, "", err
	}
	if err := os.WriteFile(path, []byte(spec+"\n"), 0o600); err != nil {
		return nil, "", fmt.Errorf("demo: keep the secret key: %w", err)
	}
	return k, path + " (new)", nil
}

func (s *system) startHiBob(ctx context.Context, out *printer) error {
	name, earlier, err := s.companyName(ctx)
	if err != nil {
		return err
	}
	s.earlier = earlier
	s.sim = simulator.New(simulator.Options{Window: rateWindow})
	s.company = s.sim.AddCompany(name, s.opts.Employees, s.opts.Seed)
	// The customer's permission group, as customers often set it up: everything but Personal
	// (so no birthdays).
	group := simulator.FullAccess()
	group.View[personal], group.ViewHistory[personal] = false, false
	s.user = s.company.AddServiceUser(group)

	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return fmt.Errorf("demo: listen for the simulated HiBob: %w", err)
	}
	srv := &http.Server{Handler: s.sim, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(l) }()
	s.onStop(func() error { return srv.Close() })
	s.simURL = "http://" + l.Addr().String() + "/v1"
	out.step("simulated HiBob at %s: %q, %d employees (seed %d), rate limits per %s instead of per minute",
		s.simURL, name, len(s.company.EmployeeIDs()), s.opts.Seed, rateWindow)
	out.detail("service user %s, in a permission group without Personal; admin API: http://%s/_sim/companies", s.user.ID, l.Addr())
	return nil
}

func (s *system) startWorker(logger *zap.Logger, out *printer) error {
	limits := hibob.DefaultLimits()
	for e, l := range limits {
		limits[e] = hibob.Limit{Requests: l.Requests, Per: rateWindow}
	}
	acts := &activities.Activities{Store: s.store, Clients: activities.NewClientFactory(s.simURL, nil, limits)}
	w := sdkworker.New(s.temporal, activities.TaskQueue, sdkworker.Options{})
	worker.Register(w, acts)
	if err := w.Start(); err != nil {
		return fmt.Errorf("demo: start the worker: %w", err)
	}
	s.onStop(func() error { w.Stop(); return nil })
	logger.Info("demo worker running", zap.String("taskQueue", activities.TaskQueue), zap.String("hibob", s.simURL))
	out.step("worker running in this process on task queue %q; its log: %s", activities.TaskQueue, s.workerLogPath)
	return nil
}

func (s *system) startAPI(logger *zap.Logger, out *printer) error {
	keys, err := httpapi.KeysFromEnv(s.opts.Getenv)
	s.keysFrom = httpapi.BackendKeyEnv + " and " + httpapi.SupportKeyEnv
	if err != nil {
		if keys, err = httpapi.GenerateKeys(); err != nil {
			return err
		}
		s.keysFrom = "generated for this run"
	}
	s.apiKeys = keys
	s.starter = starter.New(s.temporal, s.store)
	checks := []httpapi.Check{
		{Name: "postgres", Run: func(ctx context.Context) error { return s.store.Pool().Ping(ctx) }},
		{Name: "temporal", Run: func(ctx context.Context) error {
			_, err := s.temporal.CheckHealth(ctx, &client.CheckHealthRequest{})
			return err
		}},
	}
	api, err := httpapi.New(s.starter, s.store, keys, logger.Named("api"), checks...)
	if err != nil {
		return err
	}
	l, taken, err := listen(s.opts.APIAddr)
	if err != nil {
		return fmt.Errorf("demo: listen for the API: %w", err)
	}
	srv := &http.Server{Handler: api, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(l) }()
	s.onStop(func() error {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		return srv.Shutdown(ctx)
	})
	s.apiURL = "http://" + l.Addr().String()
	note := ""
	if taken {
		note = fmt.Sprintf(" (%s was taken)", s.opts.APIAddr)
	}
	out.step("HTTP API at %s%s, bearer keys %s:", s.apiURL, note, s.keysFrom)
	out.detail("backend (Gifted's backend): %s\nsupport (Gifted's support): %s", keys.Backend, keys.Support)
	return nil
}

// ui is the Web UI's URL for path (which starts with "/").
func (s *system) ui(path string) string { return s.dev.UIAddress() + path }

// uiWorkflow is the Web UI's page of a workflow.
func (s *system) uiWorkflow(workflowID string) string {
	return s.ui("/namespaces/" + s.dev.Namespace() + "/workflows/" + url.PathEscape(workflowID))
}

// uiQuery is the Web UI's workflow list filtered by a visibility query.
func (s *system) uiQuery(query string) string {
	return s.ui("/namespaces/" + s.dev.Namespace() + "/workflows?query=" + strings.ReplaceAll(url.QueryEscape(query), "+", "%20"))
}
