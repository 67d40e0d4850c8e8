package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"path/filepath"

	"hibobsync/store/pglocal"
	"hibobsync/worker"
)

// workerDataDir is where `hibobsync worker` keeps a throwaway Postgres cluster when neither
// DATABASE_URL nor a local server is there, relative to the working directory (the project's
// .data/ when run from the checkout); the same folder as `hibobsync migrate` uses.
var workerDataDir = filepath.Join(".data", "postgres")

// worker runs the Temporal worker until SIGINT or SIGTERM (main's ctx), then stops it
// gracefully. Its configuration is the environment's (see worker.ConfigFromEnv); flags only
// shape the logs and the patience at start.
func (c *cli) worker(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("worker", flag.ContinueOnError)
	fs.SetOutput(c.stderr)
	logFormat := fs.String("log-format", "json", "log lines as `json` (for a log pipeline) or console (for people)")
	logLevel := fs.String("log-level", "info", "the least `level` logged: debug, info, warn or error")
	dialTimeout := fs.Duration("dial-timeout", worker.DefaultDialTimeout, "how long to try reaching Temporal at start")
	stopTimeout := fs.Duration("stop-timeout", worker.DefaultStopTimeout, "how long running activities may take to finish on shutdown")
	fs.Usage = func() {
		fmt.Fprintln(c.stderr, "usage: hibobsync worker [flags]")
		fmt.Fprintln(c.stderr, "runs the tenant workflows' worker until SIGINT or SIGTERM. Environment: TEMPORAL_ADDRESS (localhost:7233),")
		fmt.Fprintln(c.stderr, "TEMPORAL_NAMESPACE (default) and the other TEMPORAL_* client variables, DATABASE_URL (else a local or")
		fmt.Fprintln(c.stderr, "throwaway Postgres), HIBOBSYNC_SECRET_KEY (required), HIBOB_BASE_URL (HiBob's production API).")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return &exitError{code: 2, err: err}
	}
	if fs.NArg() > 0 {
		return &exitError{code: 2, err: fmt.Errorf("worker takes no arguments (got %q); its configuration comes from the environment", fs.Args())}
	}
	var logOpts worker.LogOptions
	switch *logFormat {
	case "json":
	case "console":
		logOpts.Development = true
	default:
		return &exitError{code: 2, err: fmt.Errorf("--log-format %q: use json or console", *logFormat)}
	}
	logOpts.Level = *logLevel
	logger, err := worker.NewLogger(c.stderr, logOpts)
	if err != nil {
		return &exitError{code: 2, err: err}
	}
	defer func() { _ = logger.Sync() }()

	// The configuration first: a missing secret key should not wait for a Postgres to start.
	cfg, err := worker.ConfigFromEnv(c.getenv)
	if err != nil {
		return err
	}
	cfg.DialTimeout = *dialTimeout
	cfg.StopTimeout = *stopTimeout
	dataDir, err := filepath.Abs(workerDataDir)
	if err != nil {
		return err
	}
	srv, err := pglocal.Find(ctx, c.getenv, dataDir)
	if err != nil {
		return err
	}
	cfg.DatabaseURL = srv.URL
	err = worker.Run(ctx, cfg, logger)
	if srv.Started {
		// Started for this worker alone; one found running belongs to whoever started it.
		if stopErr := srv.Stop(); stopErr != nil {
			err = errors.Join(err, stopErr)
		}
	}
	return err
}
