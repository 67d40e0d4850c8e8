package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"time"

	"hibobsync/hibob"
	"hibobsync/hibob/simulator"
	"hibobsync/model"
)

// demo tells the story this build can tell end to end, over real HTTP: a customer's service user
// is checked, the missing permission is named, the customer grants it, and the check passes.
// It exits non-zero unless every step happened as expected.
func (c *cli) demo(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	fs.SetOutput(c.stderr)
	employees := fs.Int("employees", 500, "employees in the simulated company")
	seed := fs.Int64("seed", 7, "seed of the simulated company's data")
	if err := fs.Parse(args); err != nil {
		return &exitError{code: 2, err: err}
	}

	step := func(format string, a ...any) { fmt.Fprintf(c.stdout, "==> "+format+"\n", a...) }

	sim := simulator.New(simulator.Options{})
	company := sim.AddCompany("Demo Co", *employees, *seed)
	group := simulator.FullAccess()
	group.View[model.PermPersonal], group.ViewHistory[model.PermPersonal] = false, false
	user := company.AddServiceUser(group)

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return fmt.Errorf("listen for the simulated HiBob: %w", err)
	}
	srv := &http.Server{Handler: sim, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	defer srv.Close()
	baseURL := "http://" + ln.Addr().String() + "/v1"
	step("simulated HiBob serving %s: company %q, %d employees, service user %s (Personal not granted)",
		baseURL, company.Name(), *employees, user.ID)

	client, err := hibob.New(hibob.NewCredentials(user.ID, user.Token), hibob.WithBaseURL(baseURL))
	if err != nil {
		return err
	}
	audit := func() (hibob.Audit, error) {
		a, err := hibob.AuditConnection(ctx, client, hibob.AuditOptions{Today: model.DateOf(time.Now())})
		if err != nil {
			return a, err
		}
		c.printCheck(checkReport{ServiceUserID: user.ID, BaseURL: baseURL, CredentialsValid: true, Passes: a.Passes(), Audit: &a}, false)
		return a, nil
	}

	step("checking the service user as Gifted would before connecting")
	first, err := audit()
	if err != nil {
		return err
	}
	if missing := first.MissingPermissions(); len(missing) != 1 || missing[0] != model.PermPersonal {
		return fmt.Errorf("demo expected the audit to find exactly Personal missing, found %v", missing)
	}
	step("the audit names the missing permission: Personal (no birthdays without it)")

	if err := company.Grant(user.ID, model.PermPersonal, true); err != nil {
		return err
	}
	step("the customer grants Personal in Bob; checking again")
	second, err := audit()
	if err != nil {
		return err
	}
	if !second.Passes() {
		return errors.New("demo expected the audit to pass after Personal was granted")
	}
	if second.Coverage.Birthday == 0 {
		return errors.New("demo expected birthdays to be visible after Personal was granted")
	}
	step("the connection now passes the audit: %d employees, %d with a birthday on file",
		second.Employees, second.Coverage.Birthday)
	return nil
}
