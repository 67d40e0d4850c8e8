package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"path/filepath"

	"go.uber.org/zap"

	"hibobsync/store/pglocal"
	"hibobsync/worker"
)

// postgresDataDir is where a subcommand keeps a throwaway Postgres cluster when neither
// DATABASE_URL nor a local server answers: relative to the working directory, so the project's
// .data/postgres when run from the checkout. Every subcommand uses the same folder, so the
// demo, a worker, the API and migrate share one cluster.
var postgresDataDir = filepath.Join(".data", "postgres")

// findPostgres finds the project's Postgres as every subcommand does (see pglocal.Find). The
// caller stops the server only when Started: one found running belongs to whoever started it.
func (c *cli) findPostgres(ctx context.Context) (*pglocal.Server, error) {
	dataDir, err := filepath.Abs(postgresDataDir)
	if err != nil {
		return nil, err
	}
	return pglocal.Find(ctx, c.getenv, dataDir)
}

// logFlags are the flags of the long-running subcommands' logs.
type logFlags struct {
	format, level *string
}

func addLogFlags(fs *flag.FlagSet) logFlags {
	return logFlags{
		format: fs.String("log-format", "json", "log lines as `json` (for a log pipeline) or console (for people)"),
		level:  fs.String("log-level", "info", "the least `level` logged: debug, info, warn or error"),
	}
}

// logger builds the process's zap logger from the flags; a bad flag is a usage error.
func (l logFlags) logger(w io.Writer) (*zap.Logger, error) {
	opts := worker.LogOptions{Level: *l.level}
	switch *l.format {
	case "json":
	case "console":
		opts.Development = true
	default:
		return nil, &exitError{code: 2, err: fmt.Errorf("--log-format %q: use json or console", *l.format)}
	}
	logger, err := worker.NewLogger(w, opts)
	if err != nil {
		return nil, &exitError{code: 2, err: err}
	}
	return logger, nil
}
