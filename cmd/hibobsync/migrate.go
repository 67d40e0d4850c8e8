package main

import (
	"context"
	"errors"
	"flag"
	"fmt"

	"github.com/jackc/pgx/v5/pgxpool"

	"hibobsync/store"
	"hibobsync/store/pglocal"
)

// migrate brings the database's schema up to date. The database is DATABASE_URL, else the
// server on 127.0.0.1:5432, else a throwaway cluster in .data/postgres (see pglocal); a cluster
// this command started is stopped again when it is done, and keeps its data for the next start.
func (c *cli) migrate(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("migrate", flag.ContinueOnError)
	fs.SetOutput(c.stderr)
	fs.Usage = func() {
		fmt.Fprintln(c.stderr, "usage: [DATABASE_URL=postgres://…] hibobsync migrate")
		fmt.Fprintln(c.stderr, "applies the schema's migrations to DATABASE_URL, else to 127.0.0.1:5432, else to a throwaway cluster in .data/postgres")
	}
	if err := fs.Parse(args); err != nil {
		return &exitError{code: 2, err: err}
	}
	if fs.NArg() > 0 {
		return &exitError{code: 2, err: fmt.Errorf("migrate takes no arguments (got %q); the database comes from DATABASE_URL", fs.Args())}
	}

	srv, err := c.findPostgres(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(c.stdout, "Postgres: %s\n", srv.Source)
	applied, err := migrateServer(ctx, srv)
	if srv.Started {
		// We started it for this command alone; a cluster found running belongs to whoever
		// started it (the demo, a worker) and stays up.
		if stopErr := srv.Stop(); stopErr != nil {
			err = errors.Join(err, stopErr)
		}
	}
	if err != nil {
		return err
	}
	if len(applied) == 0 {
		fmt.Fprintln(c.stdout, "The schema is up to date: nothing to apply.")
		return nil
	}
	for _, v := range applied {
		fmt.Fprintf(c.stdout, "Applied migration %05d.\n", v)
	}
	return nil
}

func migrateServer(ctx context.Context, srv *pglocal.Server) ([]int64, error) {
	pool, err := pgxpool.New(ctx, srv.URL)
	if err != nil {
		return nil, fmt.Errorf("the database URL from %s: %w", srv.Source, err)
	}
	defer pool.Close()
	if err := pool.Ping(ctx); err != nil {
		return nil, fmt.Errorf("connect to Postgres (%s): %w", srv.Source, err)
	}
	return store.Migrate(ctx, pool)
}
