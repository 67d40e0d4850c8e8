package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"hibobsync/hibob"
	"hibobsync/model"
)

// Exit statuses of check, for scripts.
const (
	exitCredentialsInvalid = 2
	exitPermissionsMissing = 3
)

// checkReport is check's whole answer, the --json document.
type checkReport struct {
	ServiceUserID    string       `json:"serviceUserId"`
	BaseURL          string       `json:"baseUrl"`
	CredentialsValid bool         `json:"credentialsValid"`
	Passes           bool         `json:"passes"`
	Audit            *hibob.Audit `json:"audit,omitempty"`
}

// check reads the service user's credentials from the environment (never from flags: argv is
// visible to every user of the machine) and reports what the service user can read.
func (c *cli) check(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("check", flag.ContinueOnError)
	fs.SetOutput(c.stderr)
	baseURL := fs.String("hibob-url", hibob.BaseURLFromEnv(c.getenv), "HiBob API base URL (default from HIBOB_BASE_URL)")
	asJSON := fs.Bool("json", false, "print the report as one JSON document")
	withEmployees := fs.Bool("employees", false, "also print every employee, normalised, as JSON lines (reads all employees)")
	sampleSize := fs.Int("sample", 1000, "employees to read in full for the permission probe and coverage; 0 reads all")
	fs.Usage = func() {
		fmt.Fprintln(c.stderr, "usage: HIBOB_SERVICE_USER_ID=… HIBOB_TOKEN=… hibobsync check [--hibob-url URL] [--json] [--employees] [--sample N]")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return &exitError{code: 2, err: err}
	}

	id, token := strings.TrimSpace(c.getenv("HIBOB_SERVICE_USER_ID")), c.getenv("HIBOB_TOKEN")
	if id == "" || token == "" {
		return &exitError{code: exitCredentialsInvalid, err: errors.New(
			"set HIBOB_SERVICE_USER_ID and HIBOB_TOKEN to the service user's ID and token (Bob: Settings → Integrations → Service users)")}
	}
	client, err := hibob.New(hibob.NewCredentials(id, token),
		hibob.WithBaseURL(*baseURL), hibob.WithPacer(hibob.NewPacer(hibob.DefaultLimits())))
	if err != nil {
		return err
	}

	var employees []model.Employee
	opts := hibob.AuditOptions{Sample: *sampleSize, Today: model.DateOf(time.Now())}
	if *withEmployees {
		opts.Sample = 0
		opts.OnEmployee = func(e model.Employee) error { employees = append(employees, e); return nil }
	}

	report := checkReport{ServiceUserID: id, BaseURL: *baseURL}
	audit, err := hibob.AuditConnection(ctx, client, opts)
	switch {
	case errors.Is(err, hibob.ErrUnauthorized):
		c.printCheck(report, *asJSON)
		return &exitError{code: exitCredentialsInvalid, err: fmt.Errorf(
			"HiBob refused the credentials of service user %s: check the ID and token, or create a new token in Bob (Settings → Integrations → Service users)", id)}
	case err != nil:
		return err
	}
	report.CredentialsValid, report.Audit, report.Passes = true, &audit, audit.Passes()
	c.printCheck(report, *asJSON)
	if *withEmployees {
		enc := json.NewEncoder(c.stdout)
		for _, e := range employees {
			if err := enc.Encode(e); err != nil {
				return err
			}
		}
	}
	if !report.Passes {
		var names []string
		for _, p := range audit.MissingPermissions() {
			names = append(names, string(p))
		}
		return &exitError{code: exitPermissionsMissing, err: fmt.Errorf(
			"service user %s lacks permissions: %s; grant them in Bob (Settings → Account → Permission Groups → the service user's group → People's Data)",
			id, strings.Join(names, ", "))}
	}
	return nil
}

func (c *cli) printCheck(r checkReport, asJSON bool) {
	if asJSON {
		enc := json.NewEncoder(c.stdout)
		enc.SetIndent("", "  ")
		_ = enc.Encode(r)
		return
	}
	w := c.stdout
	fmt.Fprintf(w, "HiBob service user %s at %s\n", r.ServiceUserID, r.BaseURL)
	if !r.CredentialsValid {
		fmt.Fprintln(w, "Credentials: REFUSED (401)")
		return
	}
	fmt.Fprintln(w, "Credentials: valid")
	a := r.Audit
	fmt.Fprintln(w, "\nPermissions:")
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	for _, p := range a.Permissions {
		fmt.Fprintf(tw, "  %s\t%s\t%s\n", p.Permission, p.State, p.Detail)
	}
	_ = tw.Flush()
	for _, p := range a.Permissions {
		if p.State == hibob.Missing {
			fmt.Fprintf(w, "  To fix %s, enable: %s\n", p.Permission, strings.Join(p.Fix, "; "))
		}
	}

	fmt.Fprintf(w, "\nEmployees: %d visible, %d of them inactive", a.Employees, a.Inactive)
	if len(a.ByLifecycle) > 0 {
		statuses := make([]string, 0, len(a.ByLifecycle))
		for s, n := range a.ByLifecycle {
			statuses = append(statuses, fmt.Sprintf("%s %d", s, n))
		}
		slices.Sort(statuses)
		fmt.Fprintf(w, " (%s; %d future starters)", strings.Join(statuses, ", "), a.FutureStarters)
	}
	fmt.Fprintln(w)
	if len(a.AudienceWarning) == 0 {
		fmt.Fprintln(w, "Audience: leavers and future starters are visible")
	}
	for _, warning := range a.AudienceWarning {
		fmt.Fprintf(w, "Audience: %s\n", warning)
	}

	cv := a.Coverage
	fmt.Fprintf(w, "\nCoverage over %d employees read in full:\n", cv.Sampled)
	for _, row := range []struct {
		name string
		n    int
	}{{"birthday", cv.Birthday}, {"start date", cv.StartDate}, {"home address", cv.HomeAddress}, {"work email", cv.WorkEmail}, {"personal email", cv.PersonalEmail}} {
		fmt.Fprintf(w, "  %-15s %6d  %s\n", row.name, row.n, percent(row.n, cv.Sampled))
	}
	if r.Passes {
		fmt.Fprintln(w, "\nResult: this connection would pass the permission audit.")
	} else {
		fmt.Fprintln(w, "\nResult: permissions are missing; the connection would wait in permissions_missing.")
	}
}

func percent(n, of int) string {
	if of == 0 {
		return "-"
	}
	return fmt.Sprintf("%.1f%%", 100*float64(n)/float64(of))
}
