package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"hibobsync/model"
	"hibobsync/starter"
	"hibobsync/store"
	"hibobsync/worker"
	"hibobsync/workflows"
)

// Exit statuses of the support verbs (connections, status, approve, reject, sync-now,
// connect), for scripts. 1 is any other failure.
const (
	supportExitInvalidInput = 2 // a bad flag, argument or value (and usage errors)
	supportExitWrongPhase   = 3 // the workflow refused: the connection's phase does not allow it
	supportExitUnknown      = 4 // no connection has that tenant key
	supportExitUnavailable  = 5 // Temporal (or its worker) could not be reached or did not answer
)

// supportDialTimeout bounds reaching Temporal: a support verb should fail fast, not hang.
var supportDialTimeout = 10 * time.Second

// supportExitCodes is the help text's account of the statuses.
const supportExitCodes = "exit status: 0 done; 2 invalid input; 3 refused, wrong phase; 4 unknown tenant; 5 Temporal unavailable; 1 other errors"

// supportEnv is the help text's account of the environment.
const supportEnv = "environment: TEMPORAL_ADDRESS (localhost:7233), TEMPORAL_NAMESPACE (default) and the other TEMPORAL_* client variables"

// withStarter dials Temporal (and for connect, opens the store) as the worker's configuration
// says, and runs f with a Starter. Only connect needs HIBOBSYNC_SECRET_KEY and Postgres.
func (c *cli) withStarter(ctx context.Context, needStore bool, f func(*starter.Starter) error) error {
	getenv := c.getenv
	if !needStore {
		// The key seals tokens; nothing else reads it. A throwaway one satisfies ConfigFromEnv.
		_, spec, err := store.GenerateKeyring()
		if err != nil {
			return err
		}
		getenv = func(k string) string {
			if k == store.SecretKeyEnv {
				return spec
			}
			return c.getenv(k)
		}
	}
	cfg, err := worker.ConfigFromEnv(getenv)
	if err != nil {
		return err
	}
	if !needStore {
		cfg.Keys = nil
	}
	cfg.DialTimeout = supportDialTimeout
	logger, err := worker.NewLogger(c.stderr, worker.LogOptions{Development: true, Level: "error"})
	if err != nil {
		return err
	}
	defer func() { _ = logger.Sync() }()
	tc, err := worker.Dial(ctx, cfg, logger)
	if err != nil {
		return &exitError{code: supportExitUnavailable, err: fmt.Errorf("%w: %w", starter.ErrTemporalUnavailable, err)}
	}
	defer tc.Close()

	var st *store.Store
	if needStore {
		srv, err := c.findPostgres(ctx)
		if err != nil {
			return err
		}
		if srv.Started {
			defer func() { _ = srv.Stop() }()
		}
		st, err = store.Open(ctx, srv.URL, cfg.Keys)
		if err != nil {
			return fmt.Errorf("connect to Postgres (%s): %w", srv.Source, err)
		}
		defer st.Close()
	}
	return supportError(f(starter.New(tc, st)))
}

// supportError gives a Starter's refusal its exit status and a reason a person can act on.
func supportError(err error) error {
	var (
		wrong *starter.WrongPhaseError
		inv   *starter.InvalidInputError
		ee    *exitError
	)
	switch {
	case err == nil:
		return nil
	case errors.As(err, &ee):
		return err
	case errors.As(err, &wrong):
		phase := ""
		if wrong.Phase != "" {
			phase = fmt.Sprintf(" (phase %s)", wrong.Phase)
		}
		return &exitError{code: supportExitWrongPhase, err: fmt.Errorf("refused%s: %s", phase, wrong.Message)}
	case errors.As(err, &inv):
		return &exitError{code: supportExitInvalidInput, err: fmt.Errorf("invalid %s: %s", inv.Field, inv.Message)}
	case errors.Is(err, starter.ErrUnknownTenant):
		return &exitError{code: supportExitUnknown, err: fmt.Errorf("%w; `hibobsync connections` lists the tenants", err)}
	case errors.Is(err, starter.ErrTemporalUnavailable):
		return &exitError{code: supportExitUnavailable, err: fmt.Errorf("%w (is Temporal running at TEMPORAL_ADDRESS, and a `hibobsync worker`?)", err)}
	}
	return err
}

// supportFlags is a verb's flag set, with --json and a usage that names the exit statuses.
func (c *cli) supportFlags(name, usage string, extraEnv ...string) (*flag.FlagSet, *bool) {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(c.stderr)
	asJSON := fs.Bool("json", false, "print the answer as JSON, for scripts")
	fs.Usage = func() {
		fmt.Fprintln(c.stderr, "usage: "+usage)
		fs.PrintDefaults()
		fmt.Fprintln(c.stderr, supportEnv+strings.Join(extraEnv, ""))
		fmt.Fprintln(c.stderr, supportExitCodes)
	}
	return fs, asJSON
}

// parseSupport parses args with flags before or after the positional arguments, and checks
// their number.
func parseSupport(fs *flag.FlagSet, args []string, positional int) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, &exitError{code: supportExitInvalidInput, err: err}
		}
		if fs.NArg() == 0 {
			break
		}
		pos = append(pos, fs.Arg(0))
		args = fs.Args()[1:]
	}
	if len(pos) != positional {
		fs.Usage()
		if positional == 1 {
			return nil, &exitError{code: supportExitInvalidInput, err: fmt.Errorf("%s takes one tenant key (got %d arguments), e.g. %s acme-ltd", fs.Name(), len(pos), fs.Name())}
		}
		return nil, &exitError{code: supportExitInvalidInput, err: fmt.Errorf("%s takes no arguments (got %q)", fs.Name(), pos)}
	}
	return pos, nil
}

func supportJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// connections lists the running connections, by phase: what support looks at each morning.
func (c *cli) connections(ctx context.Context, args []string) error {
	fs, asJSON := c.supportFlags("connections", "hibobsync connections [--phase PHASE] [--json]")
	phase := fs.String("phase", "", "only connections in this `phase` (e.g. awaiting_review); all running ones when empty")
	if _, err := parseSupport(fs, args, 0); err != nil {
		return err
	}
	return c.withStarter(ctx, false, func(s *starter.Starter) error {
		list, err := s.ListConnections(ctx, model.Phase(strings.TrimSpace(*phase)))
		if err != nil {
			return err
		}
		if *asJSON {
			if list == nil {
				list = []starter.ConnectionSummary{}
			}
			return supportJSON(c.stdout, list)
		}
		if len(list) == 0 {
			if *phase != "" {
				fmt.Fprintf(c.stdout, "No running connection is %s.\n", *phase)
			} else {
				fmt.Fprintln(c.stdout, "No running connections.")
			}
			return nil
		}
		tw := tabwriter.NewWriter(c.stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "TENANT\tCOMPANY\tPHASE\tIN PHASE FOR\tCONNECTED")
		now := time.Now()
		for _, l := range list {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", l.Tenant, l.Company, l.Phase, supportSince(now, l.PhaseSince), supportStamp(l.StartedAt))
		}
		if err := tw.Flush(); err != nil {
			return err
		}
		fmt.Fprintf(c.stdout, "%d connection(s), oldest first. The list comes from Temporal's visibility store and may lag a second behind.\n", len(list))
		return nil
	})
}

// status shows where one connection stands.
func (c *cli) status(ctx context.Context, args []string) error {
	fs, asJSON := c.supportFlags("status", "hibobsync status TENANT [--json]")
	pos, err := parseSupport(fs, args, 1)
	if err != nil {
		return err
	}
	return c.withStarter(ctx, false, func(s *starter.Starter) error {
		st, err := s.Status(ctx, model.TenantKey(pos[0]))
		if err != nil {
			return err
		}
		if *asJSON {
			return supportJSON(c.stdout, st)
		}
		return printStatus(c.stdout, st)
	})
}

func printStatus(w io.Writer, st workflows.Status) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	row := func(k, format string, args ...any) { fmt.Fprintf(tw, "%s\t"+format+"\n", append([]any{k}, args...)...) }
	row("Tenant", "%s", st.Tenant)
	row("Company", "%s", st.Company)
	row("Phase", "%s since %s", st.Phase, supportStamp(st.PhaseSince))
	row("Credentials", "version %d", st.CredentialVersion)
	row("Approved", "%s", supportYesNo(st.Approved))
	if a := st.Audit; a != nil {
		row("Employees", "%d (%d inactive)", a.Audit.Employees, a.Audit.Inactive)
		if len(a.Missing) > 0 {
			names := make([]string, len(a.Missing))
			for i, p := range a.Missing {
				names[i] = string(p)
			}
			row("Missing permissions", "%s", strings.Join(names, ", "))
		}
	}
	if r := st.Review; r != nil && st.Phase == model.PhaseAwaitingReview {
		due := supportStamp(r.DueAt)
		if r.Breached {
			due += " (SLA BREACHED)"
		}
		row("Review", "requested %s, due %s", supportStamp(r.RequestedAt), due)
	}
	if h := st.Hold; h != nil {
		row("Removals on hold", "run %d would remove %d of %d (at most %d without review)", h.RunID, h.WouldRemove, h.Of, h.Allowed)
	}
	if st.SyncingSince != nil {
		row("Syncing since", "%s", supportStamp(*st.SyncingSince))
	}
	if ls := st.LastSync; ls != nil {
		row("Last sync", "run %d (%s) %s at %s: %d fetched, %d new, %d updated, %d removed, %d rejected, %d changes",
			ls.RunID, ls.Kind, ls.Outcome, supportStamp(ls.FinishedAt), ls.Counts.Fetched, ls.Counts.Inserted, ls.Counts.Updated,
			ls.Counts.Removed, ls.Counts.Rejected, ls.Changes)
	}
	if st.NextSyncAt != nil {
		row("Next sync", "%s (every %s)", supportStamp(*st.NextSyncAt), st.SyncInterval)
	}
	if st.Failures > 0 {
		row("Failures", "%d in a row", st.Failures)
	}
	if st.LastError != "" {
		row("Last error", "%s", st.LastError)
	}
	for _, d := range st.Decisions {
		verdict := "rejected"
		if d.Approved {
			verdict = "approved"
		}
		note := ""
		if d.Note != "" {
			note = ": " + d.Note
		}
		row("Decision", "%s %s by %s at %s%s", d.About, verdict, d.Reviewer, supportStamp(d.At), note)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	_, err := fmt.Fprintf(w, "\n%s\n", st.Description)
	return err
}

// approve is support's approval of a connection awaiting review (or of removals on hold).
func (c *cli) approve(ctx context.Context, args []string) error {
	fs, asJSON := c.supportFlags("approve", "hibobsync approve TENANT --reviewer NAME [--note TEXT] [--json]")
	reviewer := fs.String("reviewer", "", "who approves (required; recorded in the workflow)")
	note := fs.String("note", "", "an optional note kept with the decision")
	pos, err := parseSupport(fs, args, 1)
	if err != nil {
		return err
	}
	return c.withStarter(ctx, false, func(s *starter.Starter) error {
		ack, err := s.Approve(ctx, model.TenantKey(pos[0]), *reviewer, *note)
		return c.printAck(pos[0], ack, err, *asJSON)
	})
}

// reject is support's rejection of a connection awaiting review (or of removals on hold).
func (c *cli) reject(ctx context.Context, args []string) error {
	fs, asJSON := c.supportFlags("reject", "hibobsync reject TENANT --reviewer NAME --reason TEXT [--json]")
	reviewer := fs.String("reviewer", "", "who rejects (required; recorded in the workflow)")
	reason := fs.String("reason", "", "why, in words the customer can act on (required)")
	pos, err := parseSupport(fs, args, 1)
	if err != nil {
		return err
	}
	return c.withStarter(ctx, false, func(s *starter.Starter) error {
		ack, err := s.Reject(ctx, model.TenantKey(pos[0]), *reviewer, *reason)
		return c.printAck(pos[0], ack, err, *asJSON)
	})
}

// syncNow starts a sync of an active connection now.
func (c *cli) syncNow(ctx context.Context, args []string) error {
	fs, asJSON := c.supportFlags("sync-now", "hibobsync sync-now TENANT [--json]")
	pos, err := parseSupport(fs, args, 1)
	if err != nil {
		return err
	}
	return c.withStarter(ctx, false, func(s *starter.Starter) error {
		ack, err := s.SyncNow(ctx, model.TenantKey(pos[0]))
		return c.printAck(pos[0], ack, err, *asJSON)
	})
}

// ackReport is an accepted action's --json document.
type ackReport struct {
	Tenant  string      `json:"tenant"`
	Phase   model.Phase `json:"phase"`
	Message string      `json:"message"`
}

func (c *cli) printAck(tenant string, ack workflows.Ack, err error, asJSON bool) error {
	if err != nil {
		return err
	}
	if asJSON {
		return supportJSON(c.stdout, ackReport{Tenant: tenant, Phase: ack.Phase, Message: ack.Message})
	}
	_, err = fmt.Fprintf(c.stdout, "%s (%s): %s\n", tenant, ack.Phase, ack.Message)
	return err
}

// connect does what Gifted's backend does when a customer presses Sync. The service user ID
// and token come from the environment, never from flags: argv is visible to every user of the
// machine.
func (c *cli) connect(ctx context.Context, args []string) error {
	fs, asJSON := c.supportFlags("connect",
		"HIBOB_SERVICE_USER_ID=… HIBOB_TOKEN=… hibobsync connect --company NAME [--sync-interval D] [--json]",
		", DATABASE_URL (else a local or throwaway Postgres), HIBOBSYNC_SECRET_KEY (required), HIBOB_SERVICE_USER_ID and HIBOB_TOKEN (required)")
	company := fs.String("company", "", "the company's name as the customer entered it (required); \"<name> Service User\" re-connects")
	interval := fs.Duration("sync-interval", 0, "how often to sync a new connection (default 24h; at least 1m)")
	if _, err := parseSupport(fs, args, 0); err != nil {
		return err
	}
	req := starter.ConnectRequest{Company: *company, ServiceUserID: c.getenv("HIBOB_SERVICE_USER_ID"), Token: c.getenv("HIBOB_TOKEN"), SyncInterval: *interval}
	// Check what needs no server first: a typo should not wait for Temporal or Postgres.
	if _, err := starter.New(nil, nil).Connect(ctx, req); err != nil {
		var inv *starter.InvalidInputError
		if errors.As(err, &inv) {
			return supportError(connectEnvField(inv))
		}
	}
	return c.withStarter(ctx, true, func(s *starter.Starter) error {
		conn, err := s.Connect(ctx, req)
		if err != nil {
			var inv *starter.InvalidInputError
			if errors.As(err, &inv) {
				return connectEnvField(inv)
			}
			return err
		}
		if *asJSON {
			return supportJSON(c.stdout, conn)
		}
		tw := tabwriter.NewWriter(c.stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintf(tw, "Tenant\t%s\n", conn.Tenant)
		fmt.Fprintf(tw, "Company\t%s\n", conn.Company)
		fmt.Fprintf(tw, "Credentials\tversion %d (stored sealed)\n", conn.CredentialVersion)
		fmt.Fprintf(tw, "Re-connect\t%s\n", supportYesNo(conn.Reconnect))
		fmt.Fprintf(tw, "Workflow\t%s (%s)\n", workflows.WorkflowID(conn.Tenant), map[bool]string{true: "started", false: "already running"}[conn.Started])
		fmt.Fprintf(tw, "Answer\t%s (%s)\n", conn.Ack.Message, conn.Ack.Phase)
		if err := tw.Flush(); err != nil {
			return err
		}
		_, err = fmt.Fprintf(c.stdout, "Follow it with: hibobsync status %s\n", conn.Tenant)
		return err
	})
}

// envField names the environment variable of a credential field, as connect reads them.
func connectEnvField(inv *starter.InvalidInputError) error {
	switch inv.Field {
	case "serviceUserId":
		return &starter.InvalidInputError{Field: inv.Field, Message: "HIBOB_SERVICE_USER_ID: " + inv.Message}
	case "token":
		return &starter.InvalidInputError{Field: inv.Field, Message: "HIBOB_TOKEN: " + inv.Message}
	case "company":
		return &starter.InvalidInputError{Field: inv.Field, Message: "--company: " + inv.Message}
	case "syncInterval":
		return &starter.InvalidInputError{Field: inv.Field, Message: "--sync-interval: " + inv.Message}
	}
	return inv
}

func supportYesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

func supportStamp(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format("2006-01-02 15:04 UTC")
}

// since is how long ago t was, rounded for people; "-" when unknown.
func supportSince(now, t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	d := now.Sub(t)
	switch {
	case d < time.Minute:
		return "<1m"
	case d < time.Hour:
		return fmt.Sprintf("%dm", int(d.Minutes()))
	case d < 48*time.Hour:
		return fmt.Sprintf("%dh%02dm", int(d.Hours()), int(d.Minutes())%60)
	}
	return fmt.Sprintf("%dd%02dh", int(d.Hours())/24, int(d.Hours())%24)
}
