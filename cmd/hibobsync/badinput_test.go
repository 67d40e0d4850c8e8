package main

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"hibobsync/badinput"
	"hibobsync/hibob/simulator"
	"hibobsync/model"
	"hibobsync/starter"
	"hibobsync/store"
	"hibobsync/systemtest"
	"hibobsync/workflows"
)

// TestBadInputCLI runs the CLI rows of the bad-input table (package badinput) on the whole
// system: the exact exit status and message of each, that the system still answers a verb
// afterwards, and that nothing stored was lost or changed.
func TestBadInputCLI(t *testing.T) {
	sys := systemtest.Start(t, systemtest.Options{Company: badinput.Company, Employees: 30, Seed: 11})
	env := workerEnv(t, map[string]string{
		"DATABASE_URL":       sys.DatabaseURL,
		store.SecretKeyEnv:   sys.SecretKey,
		"TEMPORAL_ADDRESS":   sys.Dev.FrontendHostPort(),
		"TEMPORAL_NAMESPACE": sys.Dev.Namespace(),
	})
	s := &supportSystem{t: t, env: env, company: sys.Company}

	// The table's tenant: connected, approved, its initial sync stored everyone.
	ctx := context.Background()
	user := sys.Company.AddServiceUser(simulator.FullAccess())
	st := starter.New(sys.Client, sys.Store)
	conn, err := st.Connect(ctx, starter.ConnectRequest{Company: badinput.Company, ServiceUserID: user.ID, Token: user.Token})
	require.NoError(t, err)
	require.Equal(t, model.TenantKey(badinput.Tenant), conn.Tenant)
	s.waitFor(badinput.Tenant, func(st workflows.Status) bool { return st.Phase == model.PhaseAwaitingReview })
	_, err = st.Approve(ctx, conn.Tenant, badinput.Reviewer, "")
	require.NoError(t, err)
	s.waitFor(badinput.Tenant, func(st workflows.Status) bool { return st.Phase == model.PhaseActive && st.LastSync != nil })

	stored := func() string {
		t.Helper()
		var out string
		require.NoError(t, sys.Store.Pool().QueryRow(ctx, `
SELECT (SELECT string_agg(t::text, ';' ORDER BY key) FROM tenants t)
    || '|' || (SELECT string_agg(c::text, ';' ORDER BY c::text) FROM credentials c)
    || '|' || (SELECT count(*) FROM employees WHERE tenant_key = $1 AND removed_at IS NULL)::text
    || '|' || (SELECT md5(string_agg(e::text, ';' ORDER BY employee_id)) FROM employees e WHERE tenant_key = $1)`,
			badinput.Tenant).Scan(&out))
		return out
	}
	count := func() int {
		list, err := sys.Store.Employees(ctx, badinput.Tenant, store.EmployeeQuery{Limit: 5000})
		require.NoError(t, err)
		return len(list)
	}
	require.Equal(t, len(sys.Company.Truth()), count())

	for _, c := range badinput.Cases {
		if c.CLI == nil {
			continue
		}
		t.Run(c.Name, func(t *testing.T) {
			s.t = t
			before := stored()
			rowEnv := map[string]string{}
			for k, v := range env {
				rowEnv[k] = v
			}
			rowEnv["HIBOB_SERVICE_USER_ID"], rowEnv["HIBOB_TOKEN"] = c.CLI.ServiceUserID, c.CLI.Token
			start := time.Now()
			code, out, errOut := s.run(rowEnv, c.CLI.Args...)
			lines := strings.Split(strings.TrimRight(errOut, "\n"), "\n")
			require.Equal(t, c.CLI.Exit, code, errOut)
			require.Equal(t, c.CLI.Stderr, lines[len(lines)-1], errOut)
			require.Empty(t, out)
			require.Less(t, time.Since(start), 30*time.Second, "the verb took too long to refuse")
			require.NotContains(t, errOut, badinput.Token)

			// The system still serves: a verb on the tenant works, and it is as it was.
			code, out, errOut = s.support("status", badinput.Tenant, "--json")
			require.Equal(t, 0, code, errOut)
			var now workflows.Status
			require.NoError(t, json.Unmarshal([]byte(out), &now), out)
			require.Equal(t, model.PhaseActive, now.Phase)
			require.Equal(t, before, stored(), "a refused verb changed what is stored")
			require.Equal(t, len(sys.Company.Truth()), count())
		})
	}
	s.t = t
}
