package store

import (
	"context"
	"embed"
	"fmt"
	"io/fs"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
)

// migrations are the schema's versioned SQL files, in the binary so that `hibobsync migrate` and
// the worker need nothing beside them.
//
//go:embed migrations/*.sql
var migrations embed.FS

// Lock waiting: goose polls Postgres's advisory lock. The default poll (every 5 s) would make
// the loser of two processes starting together wait 5 s for a migration that takes
// milliseconds; 1 s is goose's minimum. 600 polls wait out a long migration (10 min) before
// giving up.
const (
	lockPollSeconds = 1
	lockPolls       = 600
)

// Migrate brings the database's schema up to date: it applies, in order, the files in
// migrations/ that the database has not applied yet, recording each in goose's version table
// (goose_db_version), and returns the versions it applied (none when the schema was current).
//
// Two processes migrating at once are safe: goose holds a Postgres session-level advisory lock
// (pg_try_advisory_lock, per database) for the whole run, so the second waits, then finds
// nothing to do. Each file runs in its own transaction.
func Migrate(ctx context.Context, pool *pgxpool.Pool) ([]int64, error) {
	fsys, err := fs.Sub(migrations, "migrations")
	if err != nil {
		return nil, fmt.Errorf("store: migrations: %w", err)
	}
	locker, err := lock.NewPostgresSessionLocker(lock.WithLockTimeout(lockPollSeconds, lockPolls))
	if err != nil {
		return nil, fmt.Errorf("store: migration lock: %w", err)
	}
	// goose speaks database/sql; this *sql.DB borrows the pool's connections, and closing it
	// leaves the pool open.
	db := stdlib.OpenDBFromPool(pool)
	defer db.Close()
	provider, err := goose.NewProvider(goose.DialectPostgres, db, fsys,
		goose.WithSessionLocker(locker),
		// Only the files above: no Go migrations registered by any package's init.
		goose.WithDisableGlobalRegistry(true),
	)
	if err != nil {
		return nil, fmt.Errorf("store: migrations: %w", err)
	}
	results, err := provider.Up(ctx)
	if err != nil {
		return nil, fmt.Errorf("store: migrate: %w", err)
	}
	applied := make([]int64, 0, len(results))
	for _, r := range results {
		applied = append(applied, r.Source.Version)
	}
	return applied, nil
}
