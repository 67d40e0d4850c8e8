// Package pglocal finds a PostgreSQL server to use, or starts one: DATABASE_URL when it is set,
// else a server answering on 127.0.0.1:5432, else a throwaway cluster started from the machine's
// PostgreSQL binaries in a data folder of the caller's. `make test`, the demo and
// `hibobsync migrate` all go through it, so they work the same on a developer's machine, in CI
// and on a fresh machine with only the PostgreSQL packages installed.
package pglocal

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
)

// DefaultURL is where a locally installed PostgreSQL answers on Debian and most machines set up
// for development, with trust (or peer-equivalent) authentication for the postgres user.
const DefaultURL = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"

// pingTimeout bounds the probe of DefaultURL: a server that exists answers in milliseconds, and a
// missing one refuses at once; only a filtered port would wait this long.
const pingTimeout = 2 * time.Second

// installHint is what every "no PostgreSQL" error ends with.
const installHint = "set DATABASE_URL, or install PostgreSQL (Debian: apt-get install postgresql)"

// ErrNoBinaries: no initdb, pg_ctl and postgres were found to start a throwaway cluster with.
var ErrNoBinaries = errors.New("no PostgreSQL server binaries (initdb, pg_ctl, postgres) on PATH or under /usr/lib/postgresql/*/bin")

// Server is a PostgreSQL server to connect to.
type Server struct {
	// URL connects as a superuser to the server's administrative database ("postgres"), or is
	// DATABASE_URL as given.
	URL string
	// Source says where the server came from, for messages: "DATABASE_URL", "127.0.0.1:5432" or
	// "throwaway cluster in <dir>". It never contains a password.
	Source string
	// DataDir is the throwaway cluster's folder, empty for a server found elsewhere.
	DataDir string
	// Started is true when this call started the cluster, false when it found it running (or the
	// server is not a throwaway one). A command that should leave a server it did not start
	// alone checks it before calling Stop.
	Started bool

	stopOnce sync.Once
	stopErr  error
	stop     func() error // nil for servers this package does not manage
}

// Stop stops a throwaway cluster (pg_ctl stop -m fast), whether this process started it or found
// it running; for any other server it does nothing. It is safe to call more than once.
func (s *Server) Stop() error {
	s.stopOnce.Do(func() {
		if s.stop != nil {
			s.stopErr = s.stop()
		}
	})
	return s.stopErr
}

// Find returns the server to use, in this order: DATABASE_URL when getenv returns it (not
// probed: a wrong URL should fail loudly where it is used, not silently fall through to another
// server); DefaultURL when a server answers there; else a throwaway cluster in dataDir (see
// StartThrowaway). getenv is os.Getenv outside tests.
func Find(ctx context.Context, getenv func(string) string, dataDir string) (*Server, error) {
	return find(ctx, getenv, dataDir, DefaultURL)
}

// find is Find with the local server's URL as a parameter, so tests can make it miss.
func find(ctx context.Context, getenv func(string) string, dataDir, localURL string) (*Server, error) {
	if u := getenv("DATABASE_URL"); u != "" {
		return &Server{URL: u, Source: "DATABASE_URL"}, nil
	}
	local := hostPort(localURL)
	localErr := Ping(ctx, localURL)
	if localErr == nil {
		return &Server{URL: localURL, Source: local}, nil
	}
	s, err := throwaway(ctx, dataDir)
	if err != nil {
		return nil, fmt.Errorf("pglocal: no PostgreSQL to use: DATABASE_URL is not set; nothing answers at %s (%v); "+
			"and no throwaway cluster could be started (%w); %s", local, localErr, err, installHint)
	}
	return s, nil
}

// hostPort is "host:port" of a connection URL, for messages.
func hostPort(url string) string {
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		return redact(url)
	}
	return fmt.Sprintf("%s:%d", cfg.Host, cfg.Port)
}

// Ping connects to url and pings the server, giving up after a couple of seconds.
func Ping(ctx context.Context, url string) error {
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		return fmt.Errorf("parse %q: %w", redact(url), err)
	}
	cfg.ConnectTimeout = pingTimeout
	ctx, cancel := context.WithTimeout(ctx, pingTimeout)
	defer cancel()
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	return conn.Ping(ctx)
}
