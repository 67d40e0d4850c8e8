// Package demo is `hibobsync demo`, the project's main job: the whole system in one process on
// a fresh machine (the pinned Temporal dev server with its Web UI, Postgres, a simulated HiBob,
// the worker and the HTTP API), then one customer's connection told end to end as Gifted's
// backend and support would drive it through the API: connect, the audit naming the missing
// permission, the grant and the re-check, review, approval, the initial sync, HR changes in Bob,
// a sync and the change events.
//
// State lives in a data folder (.data/ from the checkout): the dev server's SQLite database
// (temporal.db), a throwaway Postgres cluster when no other server is found (postgres/), the
// secret key sealing the stored tokens (secret-key) and the logs. A second run reuses all of it.
// Every run connects a company of its own ("Demo Co", then "Demo Co #2", …: the first name no
// earlier run used, in Postgres or in Temporal) and first disconnects the connections earlier
// runs left open, so each run tells the whole story from the start while the earlier runs stay
// visible, disconnected, in the UI.
package demo

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// Options configure a demo run. The zero value of a field means its default.
type Options struct {
	// DataDir keeps the state between runs; "" is ".data".
	DataDir string
	// Exit ends the run when the story is told instead of staying up for exploration.
	Exit bool
	// Employees and Seed shape the simulated company (500 and 7).
	Employees int
	Seed      int64
	// Preferred ports: Temporal's frontend (7233), its Web UI (8233) and the API's address
	// (127.0.0.1:8080). A taken one is replaced by a free port, and the run says so; a negative
	// port (or port 0 in APIAddr) asks for a free one straight away.
	TemporalPort int
	UIPort       int
	APIAddr      string
	// Stdout receives the story; Getenv is os.Getenv outside tests.
	Stdout io.Writer
	Getenv func(string) string
	// StepTimeout bounds each wait for the workflow (2 minutes).
	StepTimeout time.Duration
}

func (o *Options) defaults() {
	if o.DataDir == "" {
		o.DataDir = ".data"
	}
	if o.Employees == 0 {
		o.Employees = 500
	}
	if o.Seed == 0 {
		o.Seed = 7
	}
	if o.TemporalPort == 0 {
		o.TemporalPort = 7233
	}
	if o.UIPort == 0 {
		o.UIPort = 8233
	}
	if o.APIAddr == "" {
		o.APIAddr = "127.0.0.1:8080"
	}
	if o.Stdout == nil {
		o.Stdout = os.Stdout
	}
	if o.Getenv == nil {
		o.Getenv = os.Getenv
	}
	if o.StepTimeout == 0 {
		o.StepTimeout = 2 * time.Minute
	}
}

// Run starts everything, tells the story and, without Exit, stays up until ctx ends (Ctrl-C).
// It stops everything it started before returning. The error is nil only when every step of
// the story happened as expected.
func Run(ctx context.Context, opts Options) (err error) {
	opts.defaults()
	dataDir, err := filepath.Abs(opts.DataDir)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dataDir, 0o755); err != nil {
		return fmt.Errorf("demo: the data folder: %w", err)
	}
	out := &printer{w: opts.Stdout}
	started := time.Now()
	sys, err := start(ctx, opts, dataDir, out)
	defer func() {
		out.step("stopping what the demo started")
		if stopErr := sys.stop(); stopErr != nil {
			err = errors.Join(err, stopErr)
		}
	}()
	if err != nil {
		return err
	}

	s := &story{sys: sys, out: out, timeout: opts.StepTimeout}
	if err := s.tell(ctx); err != nil {
		out.step("FAILED: %v", err)
		out.detail("the worker's log: %s; the dev server's: %s", sys.workerLogPath, sys.temporalLogPath)
		return err
	}
	out.step("the story is told, every step as expected (%s)", time.Since(started).Round(100*time.Millisecond))
	if opts.Exit {
		return nil
	}
	s.explore()
	<-ctx.Done()
	fmt.Fprintln(opts.Stdout)
	return nil
}

// printer writes the story: "==> what happened" lines, indented details under them.
type printer struct {
	w io.Writer
}

func (p *printer) step(format string, args ...any) {
	fmt.Fprintf(p.w, "==> "+format+"\n", args...)
}

func (p *printer) detail(format string, args ...any) {
	for _, line := range strings.Split(fmt.Sprintf(format, args...), "\n") {
		fmt.Fprintln(p.w, "    "+line)
	}
}
