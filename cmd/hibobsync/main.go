// Command hibobsync is Gifted's HiBob integration: the worker, the API, support verbs and the tools
// around them (a simulated HiBob, a credentials check), as subcommands of one binary.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
	"syscall"
)

// cli holds what every subcommand talks to, so tests can run a subcommand with their own
// output and environment.
type cli struct {
	stdout io.Writer
	stderr io.Writer
	getenv func(string) string
}

type subcommand struct {
	summary string
	run     func(c *cli, ctx context.Context, args []string) error
}

var subcommands = map[string]subcommand{
	"fake-hibob":  {"serve a simulated HiBob API (for tests, demos and docker-compose)", (*cli).fakeHibob},
	"check":       {"try a service user's credentials and permissions before connecting", (*cli).check},
	"demo":        {"the main job: the whole system in one process and a customer's connection, from connect to change events (--exit: end when told)", (*cli).demo},
	"migrate":     {"apply the database schema's migrations (DATABASE_URL, else a local or throwaway Postgres)", (*cli).migrate},
	"gen-key":     {"print a new HIBOBSYNC_SECRET_KEY value (--rotate: prepend it to the current one)", (*cli).genKey},
	"worker":      {"run the Temporal worker of the tenant workflows until SIGINT or SIGTERM (TEMPORAL_*, DATABASE_URL, HIBOBSYNC_SECRET_KEY)", (*cli).worker},
	"connections": {"list running connections, oldest first (--phase awaiting_review: what awaits support; --json)", (*cli).connections},
	"status":      {"show where a tenant's connection stands: hibobsync status TENANT [--json]", (*cli).status},
	"approve":     {"approve a connection awaiting review: hibobsync approve TENANT --reviewer NAME [--note …]", (*cli).approve},
	"reject":      {"reject a connection awaiting review: hibobsync reject TENANT --reviewer NAME --reason …", (*cli).reject},
	"sync-now":    {"sync an active connection now: hibobsync sync-now TENANT", (*cli).syncNow},
	"api":         {"serve the JSON API for Gifted's backend and support until SIGINT or SIGTERM (HIBOBSYNC_BACKEND_API_KEY, HIBOBSYNC_SUPPORT_API_KEY; --addr)", (*cli).api},
	"connect":     {"connect a company as Gifted's backend does (--company NAME; HIBOB_SERVICE_USER_ID, HIBOB_TOKEN)", (*cli).connect},
}

// exitError carries the process exit status a subcommand wants, beside the reason.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], &cli{stdout: os.Stdout, stderr: os.Stderr, getenv: os.Getenv})
	stop()
	os.Exit(code)
}

// run dispatches to a subcommand and turns its error into an exit status.
func run(ctx context.Context, args []string, c *cli) int {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		c.usage()
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	sub, ok := subcommands[args[0]]
	if !ok {
		fmt.Fprintf(c.stderr, "hibobsync: unknown command %q; run 'hibobsync help' for the list\n", args[0])
		return 2
	}
	err := sub.run(c, ctx, args[1:])
	if err == nil {
		return 0
	}
	fmt.Fprintf(c.stderr, "hibobsync %s: %v\n", args[0], err)
	if ee := (*exitError)(nil); errors.As(err, &ee) {
		return ee.code
	}
	return 1
}

func (c *cli) usage() {
	fmt.Fprintln(c.stderr, "usage: hibobsync <command> [flags]\n\ncommands:")
	names := make([]string, 0, len(subcommands))
	for name := range subcommands {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		fmt.Fprintf(c.stderr, "  %-12s %s\n", name, subcommands[name].summary)
	}
}
