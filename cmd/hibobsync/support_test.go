package main

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"hibobsync/hibob/simulator"
	"hibobsync/model"
	"hibobsync/starter"
	"hibobsync/store"
	"hibobsync/systemtest"
	"hibobsync/workflows"
)

// supportSystem is the dev server, Postgres, the simulated HiBob and a worker, with the
// environment the support verbs read to reach them.
type supportSystem struct {
	t       *testing.T
	env     map[string]string
	company *simulator.Company
	user    simulator.ServiceUser
	starter *starter.Starter
	outputs []string // everything the verbs printed, to search for the token
}

func startSupportSystem(t *testing.T) *supportSystem {
	t.Helper()
	sys := systemtest.Start(t, systemtest.Options{Company: "CLI Co", Employees: 30, Seed: 5})
	env := workerEnv(t, map[string]string{
		"DATABASE_URL":       sys.DatabaseURL,
		store.SecretKeyEnv:   sys.SecretKey,
		"TEMPORAL_ADDRESS":   sys.Dev.FrontendHostPort(),
		"TEMPORAL_NAMESPACE": sys.Dev.Namespace(),
	})
	user := sys.ServiceUserWithout(model.PermPersonal)
	env["HIBOB_SERVICE_USER_ID"], env["HIBOB_TOKEN"] = user.ID, user.Token
	return &supportSystem{t: t, env: env, company: sys.Company, user: user, starter: starter.New(sys.Client, sys.Store)}
}

func (s *supportSystem) run(env map[string]string, args ...string) (code int, stdout, stderr string) {
	s.t.Helper()
	var out, errOut bytes.Buffer
	c := &cli{stdout: &out, stderr: &errOut, getenv: func(k string) string { return env[k] }}
	code = run(context.Background(), args, c)
	s.outputs = append(s.outputs, out.String(), errOut.String())
	return code, out.String(), errOut.String()
}

func (s *supportSystem) support(args ...string) (int, string, string) {
	s.t.Helper()
	return s.run(s.env, args...)
}

func (s *supportSystem) status(tenant string) workflows.Status {
	s.t.Helper()
	code, out, errOut := s.support("status", tenant, "--json")
	require.Equal(s.t, 0, code, errOut)
	var st workflows.Status
	require.NoError(s.t, json.Unmarshal([]byte(out), &st), out)
	return st
}

func (s *supportSystem) waitFor(tenant string, ok func(workflows.Status) bool) workflows.Status {
	s.t.Helper()
	var st workflows.Status
	require.Eventually(s.t, func() bool { st = s.status(tenant); return ok(st) }, time.Minute, 200*time.Millisecond,
		"never reached; last status %+v", st)
	return st
}

func TestSupportVerbs(t *testing.T) {
	s := startSupportSystem(t)

	// connect: the credentials from the environment, never flags.
	noToken := map[string]string{}
	for k, v := range s.env {
		noToken[k] = v
	}
	delete(noToken, "HIBOB_TOKEN")
	code, _, errOut := s.run(noToken, "connect", "--company", "CLI Co")
	require.Equal(t, supportExitInvalidInput, code, errOut)
	require.Contains(t, errOut, "HIBOB_TOKEN: the token is empty")
	code, _, errOut = s.support("connect", "--company", "Service User")
	require.Equal(t, supportExitInvalidInput, code, errOut)
	require.Contains(t, errOut, "invalid company")

	code, out, errOut := s.support("connect", "--company", "CLI Co")
	require.Equal(t, 0, code, errOut)
	require.Regexp(t, `Tenant\s+cli-co`, out)
	require.Contains(t, out, "(started)")
	require.Contains(t, out, "version 1")
	code, out, errOut = s.support("connect", "--company", "CLI Co Service User", "--json")
	require.Equal(t, 0, code, errOut)
	var conn starter.Connection
	require.NoError(t, json.Unmarshal([]byte(out), &conn), out)
	require.Equal(t, model.TenantKey("cli-co"), conn.Tenant)
	require.True(t, conn.Reconnect)
	require.False(t, conn.Started)

	// status: a readable table, and refusals with their exit statuses.
	s.waitFor("cli-co", func(st workflows.Status) bool { return st.Phase == model.PhasePermissionsMissing })
	code, out, errOut = s.support("status", "cli-co")
	require.Equal(t, 0, code, errOut)
	require.Regexp(t, `Phase\s+permissions_missing since `, out)
	require.Regexp(t, `Missing permissions\s+Personal`, out)
	require.Contains(t, out, "CLI Co (cli-co) is permissions_missing")

	code, _, errOut = s.support("approve", "cli-co", "--reviewer", "support@gifted")
	require.Equal(t, supportExitWrongPhase, code, errOut)
	require.Contains(t, errOut, "refused (phase permissions_missing)")
	code, _, errOut = s.support("approve", "cli-co")
	require.Equal(t, supportExitInvalidInput, code, errOut)
	require.Contains(t, errOut, "invalid reviewer")
	code, _, errOut = s.support("status", "nobody")
	require.Equal(t, supportExitUnknown, code, errOut)
	require.Contains(t, errOut, "unknown tenant")
	code, _, errOut = s.support("status", "Not A Key")
	require.Equal(t, supportExitInvalidInput, code, errOut)
	require.Contains(t, errOut, "invalid tenant")
	code, _, errOut = s.support("status")
	require.Equal(t, supportExitInvalidInput, code, errOut)
	require.Contains(t, errOut, "exit status: 0 done; 2 invalid input; 3 refused, wrong phase; 4 unknown tenant; 5 Temporal unavailable")
	code, _, errOut = s.support("connections", "--phase", "sleeping")
	require.Equal(t, supportExitInvalidInput, code, errOut)

	// The customer grants the permission; support sees the connection awaiting review.
	require.NoError(t, s.company.Grant(s.user.ID, model.PermPersonal, true))
	_, err := s.starter.RecheckPermissions(context.Background(), "cli-co")
	require.NoError(t, err)
	s.waitFor("cli-co", func(st workflows.Status) bool { return st.Phase == model.PhaseAwaitingReview })
	require.Eventually(t, func() bool {
		code, out, _ = s.support("connections", "--phase", "awaiting_review")
		return code == 0 && strings.Contains(out, "cli-co")
	}, 30*time.Second, 200*time.Millisecond, "connections never listed cli-co: %s", out)
	require.Regexp(t, `TENANT\s+COMPANY\s+PHASE\s+IN PHASE FOR\s+CONNECTED`, out)
	require.Regexp(t, `cli-co\s+CLI Co\s+awaiting_review\s+`, out)
	code, out, errOut = s.support("connections", "--json", "--phase", "awaiting_review")
	require.Equal(t, 0, code, errOut)
	var list []starter.ConnectionSummary
	require.NoError(t, json.Unmarshal([]byte(out), &list), out)
	require.Len(t, list, 1)
	require.Equal(t, model.PhaseAwaitingReview, list[0].Phase)
	code, out, errOut = s.support("connections", "--phase", "active")
	require.Equal(t, 0, code, errOut)
	require.Contains(t, out, "No running connection is active.")
	code, out, _ = s.support("connections", "--phase", "active", "--json")
	require.Equal(t, 0, code)
	require.JSONEq(t, "[]", out)

	// reject needs a reason; approve goes through.
	code, _, errOut = s.support("reject", "cli-co", "--reviewer", "support@gifted")
	require.Equal(t, supportExitInvalidInput, code, errOut)
	require.Contains(t, errOut, "invalid reason")
	code, out, errOut = s.support("approve", "cli-co", "--reviewer", "support@gifted", "--note", "complete", "--json")
	require.Equal(t, 0, code, errOut)
	var ack ackReport
	require.NoError(t, json.Unmarshal([]byte(out), &ack), out)
	require.Equal(t, ackReport{Tenant: "cli-co", Phase: model.PhaseAwaitingReview, Message: "approved by support@gifted"}, ack)
	st := s.waitFor("cli-co", func(st workflows.Status) bool { return st.Phase == model.PhaseActive && st.LastSync != nil })

	// sync-now on an active connection; reject now is refused with the phase.
	code, out, errOut = s.support("sync-now", "cli-co")
	require.Equal(t, 0, code, errOut)
	require.Equal(t, "cli-co (active): a sync starts now\n", out)
	s.waitFor("cli-co", func(now workflows.Status) bool {
		return now.LastSync != nil && now.LastSync.RunID != st.LastSync.RunID && now.SyncingSince == nil
	})
	code, out, errOut = s.support("status", "cli-co")
	require.Equal(t, 0, code, errOut)
	require.Regexp(t, `Last sync\s+run \d+ \(manual\) applied`, out)
	require.Regexp(t, `Decision\s+connection approved by support@gifted at .*: complete`, out)
	code, _, errOut = s.support("reject", "cli-co", "--reviewer", "support@gifted", "--reason", "too late")
	require.Equal(t, supportExitWrongPhase, code, errOut)
	require.Contains(t, errOut, "refused (phase active)")

	for _, o := range s.outputs {
		require.NotContains(t, o, s.user.Token, "the token is in a verb's output")
	}
}

func TestSupportVerbsWithoutTemporal(t *testing.T) {
	old := supportDialTimeout
	supportDialTimeout = 2 * time.Second
	t.Cleanup(func() { supportDialTimeout = old })
	env := workerEnv(t, map[string]string{"TEMPORAL_ADDRESS": "127.0.0.1:1", "DATABASE_URL": "postgres://127.0.0.1:1/none"})
	delete(env, store.SecretKeyEnv) // only connect needs it
	s := &supportSystem{t: t}
	for _, args := range [][]string{
		{"status", "acme"},
		{"approve", "acme", "--reviewer", "support"},
		{"connections"},
		{"sync-now", "acme"},
	} {
		code, _, errOut := s.run(env, args...)
		require.Equal(t, supportExitUnavailable, code, "%v: %s", args, errOut)
		require.Contains(t, errOut, "Temporal is unavailable", args)
	}
	code, _, errOut := s.run(env, "connect", "--company", "Acme")
	require.Equal(t, supportExitInvalidInput, code, errOut)
	require.Contains(t, errOut, "HIBOB_SERVICE_USER_ID")
	env["HIBOB_SERVICE_USER_ID"], env["HIBOB_TOKEN"] = "SERVICE-12345", "tok"
	code, _, errOut = s.run(env, "connect", "--company", "Acme")
	require.Equal(t, 1, code, errOut)
	require.Contains(t, errOut, store.SecretKeyEnv)
}
