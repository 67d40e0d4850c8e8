package main

import (
	"context"
	"flag"
	"fmt"

	"hibobsync/demo"
)

// demo runs the project's main job (package demo): the whole system in this process and one
// customer's connection told end to end through the API. Without --exit it stays up for
// exploration until Ctrl-C; with --exit it ends when the story is told, and exits 0 only if
// every step happened as expected.
func (c *cli) demo(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	fs.SetOutput(c.stderr)
	exit := fs.Bool("exit", false, "end when the story is told (for tests and CI) instead of staying up until Ctrl-C")
	dataDir := fs.String("data-dir", ".data", "where the demo keeps its state between runs: Temporal's database, a throwaway Postgres, the secret key, logs")
	employees := fs.Int("employees", 500, "employees of the simulated company")
	seed := fs.Int64("seed", 7, "seed of the simulated company's data")
	temporalPort := fs.Int("temporal-port", 7233, "the Temporal dev server's frontend port, when free (else, or with 0, a free one)")
	uiPort := fs.Int("ui-port", 8233, "the Temporal Web UI's port, when free (else, or with 0, a free one)")
	apiAddr := fs.String("api-addr", "127.0.0.1:8080", "the HTTP API's address, when free (else, or with port 0, a free port)")
	fs.Usage = func() {
		fmt.Fprintln(c.stderr, "usage: hibobsync demo [flags]")
		fmt.Fprintln(c.stderr, "starts the Temporal dev server (bin/temporal: make temporal), Postgres, a simulated HiBob, the worker and the API,")
		fmt.Fprintln(c.stderr, "then connects a company as Gifted's backend would and follows it to its first change events.")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return &exitError{code: 2, err: err}
	}
	if fs.NArg() > 0 {
		return &exitError{code: 2, err: fmt.Errorf("demo takes no arguments (got %q)", fs.Args())}
	}
	if *employees < 10 {
		return &exitError{code: 2, err: fmt.Errorf("--employees %d: the story needs at least 10", *employees)}
	}
	anyPort := func(p int) int { // 0 asks for a free port; demo.Options reads 0 as the default
		if p == 0 {
			return -1
		}
		return p
	}
	return demo.Run(ctx, demo.Options{
		DataDir: *dataDir, Exit: *exit, Employees: *employees, Seed: *seed,
		TemporalPort: anyPort(*temporalPort), UIPort: anyPort(*uiPort), APIAddr: *apiAddr,
		Stdout: c.stdout, Getenv: c.getenv,
	})
}
