package main

import (
	"context"
	"errors"
	"flag"
	"fmt"

	"hibobsync/worker"
)

// worker runs the Temporal worker until SIGINT or SIGTERM (main's ctx), then stops it
// gracefully. Its configuration is the environment's (see worker.ConfigFromEnv); flags only
// shape the logs and the patience at start.
func (c *cli) worker(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("worker", flag.ContinueOnError)
	fs.SetOutput(c.stderr)
	logs := addLogFlags(fs)
	dialTimeout := fs.Duration("dial-timeout", worker.DefaultDialTimeout, "how long to try reaching Temporal at start")
	stopTimeout := fs.Duration("stop-timeout", worker.DefaultStopTimeout, "how long running activities may take to finish on shutdown")
	fs.Usage = func() {
		fmt.Fprintln(c.stderr, "usage: hibobsync worker [flags]")
		fmt.Fprintln(c.stderr, "runs the tenant workflows' worker until SIGINT or SIGTERM. Environment: TEMPORAL_ADDRESS (localhost:7233),")
		fmt.Fprintln(c.stderr, "TEMPORAL_NAMESPACE (default) and the other TEMPORAL_* client variables, DATABASE_URL (else a local or")
		fmt.Fprintln(c.stderr, "throwaway Postgres), HIBOBSYNC_SECRET_KEY (required), HIBOB_BASE_URL (HiBob's production API),")
		fmt.Fprintln(c.stderr, "GOGC (200 unless set).")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return &exitError{code: 2, err: err}
	}
	if fs.NArg() > 0 {
		return &exitError{code: 2, err: fmt.Errorf("worker takes no arguments (got %q); its configuration comes from the environment", fs.Args())}
	}
	logger, err := logs.logger(c.stderr)
	if err != nil {
		return err
	}
	defer func() { _ = logger.Sync() }()

	// The configuration first: a missing secret key should not wait for a Postgres to start.
	cfg, err := worker.ConfigFromEnv(c.getenv)
	if err != nil {
		return err
	}
	cfg.DialTimeout = *dialTimeout
	cfg.StopTimeout = *stopTimeout
	srv, err := c.findPostgres(ctx)
	if err != nil {
		return err
	}
	cfg.DatabaseURL = srv.URL
	worker.TuneGC(c.getenv)
	err = worker.Run(ctx, cfg, logger)
	if srv.Started {
		// Started for this worker alone; one found running belongs to whoever started it.
		if stopErr := srv.Stop(); stopErr != nil {
			err = errors.Join(err, stopErr)
		}
	}
	return err
}
