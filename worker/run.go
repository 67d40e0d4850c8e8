// Package worker runs hibobsync's Temporal worker: it reads the configuration from the
// environment, brings the database schema up to date, dials Temporal with zap as the SDK's
// logger, registers the tenant workflow and its activities on task queue activities.TaskQueue,
// and runs until its context ends, letting running activities finish.
package worker

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/interceptor"
	sdkworker "go.temporal.io/sdk/worker"
	"go.uber.org/zap"

	"hibobsync/activities"
	"hibobsync/store"
)

// Run runs a worker until ctx ends (SIGINT or SIGTERM in the command), then stops it
// gracefully: it stops polling at once and gives running activities up to cfg.StopTimeout to
// finish before their contexts are cancelled. It returns nil after a shutdown asked for by ctx,
// and an error when the worker cannot start or fails for good.
func Run(ctx context.Context, cfg Config, logger *zap.Logger) error {
	if err := cfg.check(); err != nil {
		return err
	}
	logger.Info("worker starting",
		zap.String("temporal", cfg.address()), zap.String("namespace", cfg.namespace()),
		zap.String("taskQueue", activities.TaskQueue), zap.String("database", databaseForLogs(cfg.DatabaseURL)),
		zap.String("hibob", cfg.HiBobBaseURL), zap.Strings("secretKeyIDs", cfg.Keys.KeyIDs()))

	st, err := store.Open(ctx, cfg.DatabaseURL, cfg.Keys)
	if err != nil {
		return fmt.Errorf("worker: %w (DATABASE_URL)", err)
	}
	defer st.Close()
	applied, err := store.Migrate(ctx, st.Pool())
	if err != nil {
		return fmt.Errorf("worker: %w", err)
	}
	logger.Info("database schema up to date", zap.Int64s("applied", applied))

	c, err := Dial(ctx, cfg, logger)
	if err != nil {
		return err
	}
	defer c.Close()
	if err := checkSearchAttributes(ctx, c, cfg.namespace(), logger); err != nil {
		return err
	}

	w := sdkworker.New(c, activities.TaskQueue, workerOptions(cfg))
	Register(w, newActivities(st, cfg))

	// Worker.Run stops on a fatal error or when this channel closes; ctx closes it.
	interrupt := make(chan any)
	stop := context.AfterFunc(ctx, func() { close(interrupt) })
	defer stop()
	logger.Info("worker running", zap.Int("maxActivities", cfg.maxConcurrentActivities()),
		zap.Int("maxWorkflowTasks", cfg.maxConcurrentWorkflowTasks()), zap.Duration("stopTimeout", cfg.stopTimeout()))
	started := time.Now()
	if err := w.Run(interrupt); err != nil {
		return fmt.Errorf("worker: on task queue %q of namespace %q at %s: %w", activities.TaskQueue, cfg.namespace(), cfg.address(), err)
	}
	logger.Info("worker stopped", zap.Duration("ran", time.Since(started)))
	return nil
}

// Dial connects a Temporal client with cfg's options and zap as its logger, giving up after
// cfg.DialTimeout. The demo and the API dial through it too.
func Dial(ctx context.Context, cfg Config, logger *zap.Logger) (client.Client, error) {
	opts := cfg.Client
	opts.HostPort, opts.Namespace = cfg.address(), cfg.namespace()
	opts.Logger = sdkLogger(logger)
	dctx, cancel := context.WithTimeout(ctx, cfg.dialTimeout())
	defer cancel()
	c, err := client.DialContext(dctx, opts)
	if err != nil {
		return nil, fmt.Errorf("worker: cannot reach Temporal at %s (namespace %q; tried for up to %s): %w; "+
			"set TEMPORAL_ADDRESS (and TEMPORAL_NAMESPACE) to a running server, or start the dev server: "+
			"make temporal && bin/temporal server start-dev %s",
			opts.HostPort, opts.Namespace, cfg.dialTimeout(), err, devServerFlags())
	}
	return c, nil
}

func workerOptions(cfg Config) sdkworker.Options {
	return sdkworker.Options{
		MaxConcurrentActivityExecutionSize:     cfg.maxConcurrentActivities(),
		MaxConcurrentWorkflowTaskExecutionSize: cfg.maxConcurrentWorkflowTasks(),
		WorkerStopTimeout:                      cfg.stopTimeout(),
		Interceptors:                           []interceptor.WorkerInterceptor{&tenantLogging{}},
	}
}

// newActivities wires the activities to the store and to HiBob.
func newActivities(st *store.Store, cfg Config) *activities.Activities {
	return &activities.Activities{
		Store:   st,
		Clients: activities.NewClientFactory(cfg.HiBobBaseURL, nil, nil),
	}
}

// check reports what Run cannot do without, naming the variable that supplies it.
func (c Config) check() error {
	var errs []error
	if c.DatabaseURL == "" {
		errs = append(errs, errors.New("no database: set DATABASE_URL"))
	}
	if c.Keys == nil {
		errs = append(errs, fmt.Errorf("no secret key: set %s (generate one with `hibobsync gen-key`)", store.SecretKeyEnv))
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("worker: %w", err)
	}
	return nil
}
