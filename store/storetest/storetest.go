// Package storetest gives tests a real Postgres: one server per test binary, found or started
// through pglocal, and a fresh, migrated database per test, dropped when the test ends. Tests of
// different packages run as parallel processes against the same server, so every database name
// is unique across processes.
//
// Use it from a package's tests with
//
//	func TestMain(m *testing.M) { storetest.Main(m) }
//
// and then storetest.NewDatabase(t) or storetest.NewStore(t) in any test. With
// HIBOBSYNC_TEST_PG=throwaway the tests start a throwaway cluster even when a server answers on
// 127.0.0.1:5432, to rehearse a machine that has the PostgreSQL binaries and no server.
package storetest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"hibobsync/checkout"
	"hibobsync/store"
	"hibobsync/store/pglocal"
)

// EnvMode is the variable that chooses the server: unset finds one as the program does
// (DATABASE_URL, 127.0.0.1:5432, a throwaway cluster); "throwaway" skips straight to a throwaway
// cluster.
const EnvMode = "HIBOBSYNC_TEST_PG"

// setupTimeout bounds finding or starting the server, and creating, migrating or dropping one
// database.
const setupTimeout = 2 * time.Minute

// shared is the test binary's one server. It is package state, against the project's rule,
// because its lifetime is the test binary's: every test of the binary shares the server,
// TestMain (Main) owns its shutdown, and a test has no other handle to reach it through.
// The sync.Once makes the first test that needs Postgres find it, so binaries whose tests never
// touch Postgres start nothing.
var shared struct {
	inMain bool // set by Main before any test runs

	once    sync.Once
	server  *pglocal.Server
	admin   *pgxpool.Pool // the server's administrative database, for CREATE/DROP DATABASE
	pidDir  string        // this process's throwaway folder, removed at the end
	initErr error
}

// Main runs the package's tests (call it from TestMain) and then stops and removes the
// throwaway cluster, if the tests started one.
func Main(m *testing.M) {
	shared.inMain = true
	code := m.Run()
	if err := shutdown(); err != nil {
		fmt.Fprintf(os.Stderr, "storetest: %v\n", err)
		if code == 0 {
			code = 1
		}
	}
	os.Exit(code)
}

// NewDatabase creates a fresh database on the shared server, migrates it to the current schema
// and returns its URL. The database is dropped when the test ends, closing any connection the
// test left open.
func NewDatabase(t testing.TB) string {
	t.Helper()
	dbURL := NewEmptyDatabase(t)
	ctx, cancel := context.WithTimeout(context.Background(), setupTimeout)
	defer cancel()
	pool, err := pgxpool.New(ctx, dbURL)
	if err != nil {
		t.Fatalf("storetest: connect to the new database: %v", err)
	}
	defer pool.Close()
	if _, err := store.Migrate(ctx, pool); err != nil {
		t.Fatalf("storetest: migrate the new database: %v", err)
	}
	return dbURL
}

// NewEmptyDatabase is NewDatabase without the migration, for tests of the migration itself.
func NewEmptyDatabase(t testing.TB) string {
	t.Helper()
	admin := adminPool(t)
	ctx, cancel := context.WithTimeout(context.Background(), setupTimeout)
	defer cancel()

	name := databaseName(t.Name())
	// template0: template1 may carry whatever someone installed on a shared server, and
	// CREATE DATABASE from a template fails while another session is connected to it.
	if _, err := admin.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()+" TEMPLATE template0"); err != nil {
		t.Fatalf("storetest: create database %s on %s: %v", name, shared.server.Source, err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), setupTimeout)
		defer cancel()
		if _, err := admin.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)"); err != nil {
			t.Errorf("storetest: drop database %s: %v", name, err)
		}
	})
	dbURL, err := withDatabase(shared.server.URL, name)
	if err != nil {
		t.Fatalf("storetest: %v", err)
	}
	return dbURL
}

// NewStore is NewDatabase opened as a Store, with a freshly generated keyring; the store is
// closed when the test ends.
func NewStore(t testing.TB) *store.Store {
	t.Helper()
	dbURL := NewDatabase(t)
	keys, _, err := store.GenerateKeyring()
	if err != nil {
		t.Fatalf("storetest: generate keyring: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), setupTimeout)
	defer cancel()
	s, err := store.Open(ctx, dbURL, keys)
	if err != nil {
		t.Fatalf("storetest: %v", err)
	}
	t.Cleanup(s.Close)
	return s
}

// adminPool returns the shared server's administrative pool, finding the server on first use.
func adminPool(t testing.TB) *pgxpool.Pool {
	t.Helper()
	if !shared.inMain {
		t.Fatal("storetest: the package's tests must run through storetest.Main, which stops the server they use: " +
			"add func TestMain(m *testing.M) { storetest.Main(m) }")
	}
	shared.once.Do(func() { shared.initErr = setup() })
	if shared.initErr != nil {
		t.Fatalf("storetest: %v", shared.initErr)
	}
	return shared.admin
}

func setup() error {
	ctx, cancel := context.WithTimeout(context.Background(), setupTimeout)
	defer cancel()
	root, err := checkout.Root()
	if err != nil {
		return err
	}
	base := filepath.Join(root, ".data", "test-postgres")
	sweep(base)
	shared.pidDir = filepath.Join(base, strconv.Itoa(os.Getpid()))

	var srv *pglocal.Server
	switch mode := os.Getenv(EnvMode); mode {
	case "":
		srv, err = pglocal.Find(ctx, os.Getenv, shared.pidDir)
	case "throwaway":
		srv, err = pglocal.StartThrowaway(ctx, shared.pidDir)
	default:
		return fmt.Errorf("%s=%q: the only value is \"throwaway\" (or leave it unset)", EnvMode, mode)
	}
	if err != nil {
		return err
	}
	shared.server = srv
	if testing.Verbose() {
		fmt.Fprintf(os.Stderr, "storetest: Postgres: %s\n", srv.Source)
	}
	cfg, err := pgxpool.ParseConfig(srv.URL)
	if err != nil {
		return fmt.Errorf("the server URL from %s: %w", srv.Source, err)
	}
	cfg.MaxConns = 4 // CREATE/DROP DATABASE only; Postgres serialises them anyway
	shared.admin, err = pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return fmt.Errorf("connect to %s: %w", srv.Source, err)
	}
	if err := shared.admin.Ping(ctx); err != nil {
		return fmt.Errorf("the Postgres from %s does not answer: %w", srv.Source, err)
	}
	return nil
}

func shutdown() error {
	if shared.admin != nil {
		shared.admin.Close()
	}
	if shared.server == nil || shared.server.DataDir == "" {
		return nil
	}
	err := shared.server.Stop()
	if rmErr := os.RemoveAll(shared.pidDir); rmErr != nil {
		err = errors.Join(err, rmErr)
	}
	return err
}

// sweep removes the throwaway folders of test binaries that died without cleaning up (killed
// by a timeout, say). A server still running in one stops by itself within a minute of its
// folder vanishing: Postgres rechecks its lock file and shuts down when it is gone.
func sweep(base string) {
	entries, err := os.ReadDir(base)
	if err != nil {
		return
	}
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == os.Getpid() {
			continue
		}
		if err := syscall.Kill(pid, 0); errors.Is(err, syscall.ESRCH) {
			_ = os.RemoveAll(filepath.Join(base, e.Name()))
		}
	}
}

var unsafeChars = regexp.MustCompile(`[^a-z0-9]+`)

// databaseName is unique across the parallel test processes sharing a server (the process ID
// and random bits) and says which test it belongs to, within Postgres's 63-byte limit.
func databaseName(test string) string {
	var b [5]byte
	_, _ = rand.Read(b[:])
	slug := strings.Trim(unsafeChars.ReplaceAllString(strings.ToLower(test), "_"), "_")
	if len(slug) > 32 {
		slug = slug[:32]
	}
	return fmt.Sprintf("t%d_%s_%s", os.Getpid(), hex.EncodeToString(b[:]), slug)
}

// withDatabase points a connection string at another database on the same server. Both URL
// and keyword/value forms are accepted (in the latter the last dbname wins).
func withDatabase(conn, name string) (string, error) {
	if u, err := url.Parse(conn); err == nil && (u.Scheme == "postgres" || u.Scheme == "postgresql") {
		u.Path = "/" + name
		u.RawPath = ""
		return u.String(), nil
	}
	if _, err := pgx.ParseConfig(conn); err != nil {
		return "", fmt.Errorf("the server's connection string does not parse: %w", err)
	}
	return conn + " dbname=" + name, nil
}
