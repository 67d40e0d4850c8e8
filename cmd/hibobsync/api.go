package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"time"

	"go.temporal.io/sdk/client"
	"go.uber.org/zap"

	"hibobsync/httpapi"
	"hibobsync/starter"
	"hibobsync/store"
	"hibobsync/worker"
)

// api serves the HTTP API (package httpapi) until SIGINT or SIGTERM (main's ctx), then shuts
// down gracefully, letting requests in flight finish.
func (c *cli) api(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("api", flag.ContinueOnError)
	fs.SetOutput(c.stderr)
	addr := fs.String("addr", "127.0.0.1:8080", "the `host:port` to listen on (\":8080\" for every interface)")
	devKeys := fs.Bool("insecure-dev-keys", false, "generate and print the API keys that are not set (for a demo on your machine, never for production)")
	logs := addLogFlags(fs)
	dialTimeout := fs.Duration("dial-timeout", worker.DefaultDialTimeout, "how long to try reaching Temporal at start")
	shutdownTimeout := fs.Duration("shutdown-timeout", 20*time.Second, "how long requests in flight may take to finish on shutdown")
	fs.Usage = func() {
		fmt.Fprintln(c.stderr, "usage: hibobsync api [flags]")
		fmt.Fprintln(c.stderr, "serves the JSON API for Gifted's backend and support (described at /openapi.json) until SIGINT or SIGTERM.")
		fmt.Fprintln(c.stderr, "Environment: "+httpapi.BackendKeyEnv+" and "+httpapi.SupportKeyEnv+" (required: the bearer keys of the")
		fmt.Fprintln(c.stderr, "backend and support roles), HIBOBSYNC_SECRET_KEY (required), TEMPORAL_ADDRESS (localhost:7233), TEMPORAL_NAMESPACE")
		fmt.Fprintln(c.stderr, "(default) and the other TEMPORAL_* client variables, DATABASE_URL (else a local or throwaway Postgres).")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return &exitError{code: 2, err: err}
	}
	if fs.NArg() > 0 {
		return &exitError{code: 2, err: fmt.Errorf("api takes no arguments (got %q); its configuration comes from the environment and flags", fs.Args())}
	}
	logger, err := logs.logger(c.stderr)
	if err != nil {
		return err
	}
	defer func() { _ = logger.Sync() }()

	// The keys and the configuration first: neither should wait for Postgres or Temporal.
	keys, err := c.apiKeys(*devKeys)
	if err != nil {
		return err
	}
	cfg, err := worker.ConfigFromEnv(c.getenv)
	if err != nil {
		return err
	}
	cfg.DialTimeout = *dialTimeout

	pg, err := c.findPostgres(ctx)
	if err != nil {
		return err
	}
	if pg.Started {
		// Started for this process alone; one found running belongs to whoever started it.
		defer func() {
			if err := pg.Stop(); err != nil {
				logger.Warn("stop the throwaway Postgres", zap.Error(err))
			}
		}()
	}
	st, err := store.Open(ctx, pg.URL, cfg.Keys)
	if err != nil {
		return fmt.Errorf("%w (Postgres from %s)", err, pg.Source)
	}
	defer st.Close()
	if _, err := store.Migrate(ctx, st.Pool()); err != nil {
		return err
	}
	tc, err := worker.Dial(ctx, cfg, logger)
	if err != nil {
		return err
	}
	defer tc.Close()

	handler, err := httpapi.New(starter.New(tc, st), st, keys, logger,
		httpapi.Check{Name: "postgres", Run: func(ctx context.Context) error { return st.Pool().Ping(ctx) }},
		httpapi.Check{Name: "temporal", Run: func(ctx context.Context) error {
			_, err := tc.CheckHealth(ctx, &client.CheckHealthRequest{})
			return err
		}},
	)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w; choose another address with --addr", *addr, err)
	}
	errLog, err := zap.NewStdLogAt(logger.Named("http"), zap.WarnLevel)
	if err != nil {
		return err
	}
	srv := &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      2 * time.Minute, // an action waits for the workflow to accept it
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          errLog,
		BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	url := "http://" + ln.Addr().String()
	logger.Info("API listening", zap.String("url", url), zap.String("temporal", cfg.Client.HostPort),
		zap.String("namespace", cfg.Client.Namespace), zap.String("postgres", pg.Source))
	fmt.Fprintf(c.stdout, "hibobsync API listening on %s (OpenAPI description at %s/openapi.json, health at %s/healthz)\n", url, url, url)

	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	select {
	case err := <-served:
		return fmt.Errorf("serve on %s: %w", url, err)
	case <-ctx.Done():
	}
	logger.Info("API shutting down", zap.Duration("timeout", *shutdownTimeout))
	sctx, cancel := context.WithTimeout(context.Background(), *shutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		_ = srv.Close()
		return fmt.Errorf("shut down the API: requests still running after %s: %w", *shutdownTimeout, err)
	}
	if err := <-served; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	logger.Info("API stopped")
	return nil
}

// apiKeys reads the roles' bearer keys from the environment. With devKeys it generates the
// missing ones and prints them, for a demo; without, missing keys refuse the start.
func (c *cli) apiKeys(devKeys bool) (httpapi.Keys, error) {
	keys, err := httpapi.KeysFromEnv(c.getenv)
	if err == nil {
		return keys, nil
	}
	if !devKeys {
		return keys, fmt.Errorf("%w (or, for a demo on your own machine only, start with --insecure-dev-keys to generate them)", err)
	}
	gen, genErr := httpapi.GenerateKeys()
	if genErr != nil {
		return keys, genErr
	}
	fmt.Fprintln(c.stdout, "--insecure-dev-keys: generated API keys for this run only (set "+httpapi.BackendKeyEnv+" and "+
		httpapi.SupportKeyEnv+" for real use):")
	if keys.Backend == "" || keys.Backend == keys.Support {
		keys.Backend = gen.Backend
		fmt.Fprintf(c.stdout, "  %s=%s\n", httpapi.BackendKeyEnv, keys.Backend)
	}
	if keys.Support == "" {
		keys.Support = gen.Support
		fmt.Fprintf(c.stdout, "  %s=%s\n", httpapi.SupportKeyEnv, keys.Support)
	}
	return keys, nil
}
