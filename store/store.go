// Package store keeps hibobsync's state in Postgres: tenants, sealed credentials, sync runs,
// staged fetches, the tenants' employees and history, the change feed and the outbox.
//
// Every statement is pgx-native SQL; a run's diff and apply is set-based and runs in one
// transaction, so a run is applied whole or not at all, and applying it again changes nothing.
package store

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5/pgxpool"
)

// Store is the project's one handle on Postgres. It is safe for concurrent use.
type Store struct {
	pool *pgxpool.Pool
	keys *Keyring
}

// Open connects to the database at url. keys seals and opens credential tokens. Open does not
// migrate: call Migrate first (the worker and `hibobsync migrate` do).
func Open(ctx context.Context, url string, keys *Keyring) (*Store, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("store: the database URL is not valid: %w", err)
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("store: connect to Postgres at %s:%d: %w", cfg.ConnConfig.Host, cfg.ConnConfig.Port, err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("store: Postgres at %s:%d does not answer: %w", cfg.ConnConfig.Host, cfg.ConnConfig.Port, err)
	}
	return &Store{pool: pool, keys: keys}, nil
}

// Pool is the connection pool, for callers that run their own SQL (tests, benchmarks).
func (s *Store) Pool() *pgxpool.Pool { return s.pool }

func (s *Store) Close() { s.pool.Close() }
