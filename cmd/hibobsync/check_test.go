package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"hibobsync/hibob/simulator"
	"hibobsync/model"
)

// runCheck runs `hibobsync check` as a user would, with the credentials in the environment.
func runCheck(t *testing.T, url, id, token string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	env := map[string]string{"HIBOB_SERVICE_USER_ID": id, "HIBOB_TOKEN": token}
	c := &cli{stdout: &out, stderr: &errOut, getenv: func(k string) string { return env[k] }}
	code = run(context.Background(), append([]string{"check", "--hibob-url", url}, args...), c)
	return code, out.String(), errOut.String()
}

func TestCheckExitStatuses(t *testing.T) {
	sim := simulator.New(simulator.Options{})
	company := sim.AddCompany("Check Co", 120, 3)
	srv := httptest.NewServer(sim)
	defer srv.Close()
	url := srv.URL + "/v1"

	full := company.AddServiceUser(simulator.FullAccess())
	noPersonal := simulator.FullAccess()
	noPersonal.View[model.PermPersonal], noPersonal.ViewHistory[model.PermPersonal] = false, false
	partial := company.AddServiceUser(noPersonal)

	t.Run("passes", func(t *testing.T) {
		code, out, errOut := runCheck(t, url, full.ID, full.Token)
		require.Equal(t, 0, code, errOut)
		require.Contains(t, out, "Credentials: valid")
		require.Contains(t, out, "would pass")
		require.NotContains(t, out+errOut, full.Token)
	})

	t.Run("bad token", func(t *testing.T) {
		code, out, errOut := runCheck(t, url, full.ID, "wrong-token")
		require.Equal(t, exitCredentialsInvalid, code)
		require.Contains(t, out, "REFUSED")
		require.Contains(t, errOut, full.ID)
		require.Contains(t, errOut, "check the ID and token")
		require.NotContains(t, out+errOut, "wrong-token")
	})

	t.Run("no credentials in the environment", func(t *testing.T) {
		code, _, errOut := runCheck(t, url, "", "")
		require.Equal(t, exitCredentialsInvalid, code)
		require.Contains(t, errOut, "HIBOB_SERVICE_USER_ID")
	})

	t.Run("missing permission", func(t *testing.T) {
		code, out, errOut := runCheck(t, url, partial.ID, partial.Token)
		require.Equal(t, exitPermissionsMissing, code)
		require.Contains(t, out, "To fix Personal, enable: View selected employees' Personal sections")
		require.Contains(t, errOut, "lacks permissions: Personal")
		require.NotContains(t, out+errOut, partial.Token)
	})

	t.Run("json and employees", func(t *testing.T) {
		code, out, errOut := runCheck(t, url, full.ID, full.Token, "--json", "--employees")
		require.Equal(t, 0, code, errOut)
		dec := json.NewDecoder(strings.NewReader(out))
		var report checkReport
		require.NoError(t, dec.Decode(&report))
		require.True(t, report.CredentialsValid)
		require.True(t, report.Passes)
		require.Len(t, report.Audit.Permissions, len(model.Permissions))

		truth := company.Truth()
		var ids []string
		for dec.More() {
			var e model.Employee
			require.NoError(t, dec.Decode(&e))
			ids = append(ids, e.ID)
		}
		require.Len(t, ids, len(truth))
		require.NotContains(t, out, full.Token)
	})
}
