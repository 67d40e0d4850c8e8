package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"time"

	"hibobsync/hibob/simulator"
)

// fakeHibob serves a simulated HiBob with one company and one full-access service user. The
// token is written only to --credentials-file (mode 0600), never to the terminal or logs.
func (c *cli) fakeHibob(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("fake-hibob", flag.ContinueOnError)
	fs.SetOutput(c.stderr)
	addr := fs.String("addr", "127.0.0.1:8090", "listen address")
	company := fs.String("company", "Demo Co", "company (tenant) name")
	employees := fs.Int("employees", 500, "number of generated employees")
	seed := fs.Int64("seed", 7, "seed of the generated data and credentials")
	window := fs.Duration("rate-window", time.Minute, "rate-limit window")
	searchLimit := fs.Int("search-limit", simulator.DefaultLimit, "POST /people/search requests per window (0 = unlimited)")
	credsFile := fs.String("credentials-file", "", "write the service user's credentials here as JSON (mode 0600)")
	if err := fs.Parse(args); err != nil {
		return &exitError{code: 2, err: err}
	}
	if fs.NArg() > 0 {
		return &exitError{code: 2, err: fmt.Errorf("unexpected arguments %q", fs.Args())}
	}
	if *employees < 0 {
		return &exitError{code: 2, err: errors.New("--employees must not be negative")}
	}

	srv := simulator.New(simulator.Options{Window: *window})
	srv.SetLimit(simulator.EndpointSearch, *searchLimit)
	co := srv.AddCompany(*company, *employees, *seed)
	su := co.AddServiceUser(simulator.FullAccess())
	if tok := c.getenv("FAKE_HIBOB_TOKEN"); tok != "" {
		if err := co.SetToken(su.ID, tok); err != nil {
			return fmt.Errorf("FAKE_HIBOB_TOKEN: %w", err)
		}
		su.Token = tok
	}

	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", *addr, err)
	}
	baseURL := "http://" + ln.Addr().String() + "/v1"
	if *credsFile != "" {
		if err := writeCredentials(*credsFile, *company, su, baseURL); err != nil {
			ln.Close()
			return err
		}
		fmt.Fprintf(c.stderr, "fake-hibob: credentials written to %s\n", *credsFile)
	}
	fmt.Fprintf(c.stderr, "fake-hibob: serving company %q (%d employees, service user %s) at %s; admin at http://%s/_sim/\n",
		*company, *employees, su.ID, baseURL, ln.Addr())

	hs := &http.Server{Handler: srv, ReadHeaderTimeout: 10 * time.Second}
	served := make(chan error, 1)
	go func() { served <- hs.Serve(ln) }()
	select {
	case err := <-served:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := hs.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("shut down: %w", err)
	}
	return nil
}

func writeCredentials(path, company string, su simulator.ServiceUser, baseURL string) error {
	b, err := json.MarshalIndent(map[string]string{
		"company": company, "serviceUserId": su.ID, "token": su.Token, "baseUrl": baseURL,
	}, "", "  ")
	if err != nil {
		return fmt.Errorf("encode credentials: %w", err)
	}
	// Create with 0600 and chmod too, since an existing file keeps its old mode on open.
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return fmt.Errorf("write credentials: %w", err)
	}
	if err := f.Chmod(0o600); err != nil {
		f.Close()
		return fmt.Errorf("write credentials: %w", err)
	}
	if _, err := f.Write(append(b, '\n')); err != nil {
		f.Close()
		return fmt.Errorf("write credentials: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("write credentials: %w", err)
	}
	return nil
}
