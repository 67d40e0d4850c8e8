package httpapi_test

import (
	"context"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"hibobsync/httpapi"
	"hibobsync/model"
	"hibobsync/starter"
	"hibobsync/store/storetest"
	"hibobsync/systemtest"
)

func TestMain(m *testing.M) { storetest.Main(m) }

// TestAPIOnTheRealSystem drives the API over HTTP on everything real: a Temporal dev server, a
// worker running the tenant workflow, Postgres, the simulated HiBob, *starter.Starter and
// *store.Store.
func TestAPIOnTheRealSystem(t *testing.T) {
	sys := systemtest.Start(t, systemtest.Options{Company: "Api Integration Co", Employees: 40, Seed: 7})
	company, st, sdkLogs := sys.Company, sys.Store, sys.Logs
	// The customer's permission group lacks Personal: the audit stops at permissions_missing.
	user := sys.ServiceUserWithout(model.PermPersonal)

	apiLogs := &systemtest.LogBuffer{}
	logger := zap.New(zapcore.NewCore(zapcore.NewJSONEncoder(zap.NewProductionEncoderConfig()), zapcore.AddSync(apiLogs), zapcore.DebugLevel))
	keys := httpapi.Keys{Backend: "it-backend-key-0001", Support: "it-support-key-0002"}
	tc := sys.Client
	api, err := httpapi.New(starter.New(tc, st), st, keys, logger,
		httpapi.Check{Name: "postgres", Run: func(ctx context.Context) error { return st.Pool().Ping(ctx) }},
		httpapi.Check{Name: "temporal", Run: func(ctx context.Context) error {
			_, err := tc.CheckHealth(ctx, &client.CheckHealthRequest{})
			return err
		}})
	require.NoError(t, err)
	srv := httptest.NewServer(api)
	t.Cleanup(srv.Close)

	call := func(method, path, key, body string) (int, map[string]any, string) {
		t.Helper()
		return systemtest.CallJSON(t, method, srv.URL+path, key, body)
	}
	waitPhase := func(tenant string, phase model.Phase) map[string]any {
		t.Helper()
		var last string
		deadline := time.Now().Add(2 * time.Minute)
		for time.Now().Before(deadline) {
			code, body, raw := call("GET", "/v1/connections/"+tenant, keys.Support, "")
			last = raw
			if code == 200 && body["phase"] == string(phase) {
				return body
			}
			time.Sleep(100 * time.Millisecond)
		}
		t.Fatalf("tenant %s never reached %s; last status: %s", tenant, phase, last)
		return nil
	}
	waitListed := func(phase model.Phase, tenant string) {
		t.Helper()
		var last string
		require.Eventually(t, func() bool {
			code, body, raw := call("GET", "/v1/connections?phase="+string(phase), keys.Support, "")
			last = raw
			if code != 200 {
				return false
			}
			for _, c := range body["connections"].([]any) {
				if c.(map[string]any)["tenant"] == tenant {
					return true
				}
			}
			return false
		}, time.Minute, 200*time.Millisecond, "tenant %s never listed in %s; last list: %s", tenant, phase, func() string { return last }())
	}

	code, body, raw := call("GET", "/healthz", "", "")
	require.Equal(t, 200, code, raw)

	// Gifted's backend connects the company: a new workflow, 201.
	connect := `{"company":"` + company.Name() + `","serviceUserId":"` + user.ID + `","token":"` + user.Token + `"}`
	code, body, raw = call("POST", "/v1/connections", keys.Backend, connect)
	require.Equal(t, 201, code, raw)
	tenant := body["tenant"].(string)
	require.Equal(t, "api-integration-co", tenant)
	require.Equal(t, 1.0, body["credentialVersion"])
	require.Equal(t, false, body["reconnect"])

	// Support may not connect; connecting again is safe and answers 200 on the same version.
	code, _, _ = call("POST", "/v1/connections", keys.Support, connect)
	require.Equal(t, 403, code)
	code, body, raw = call("POST", "/v1/connections", keys.Backend, connect)
	require.Equal(t, 200, code, raw)
	require.Equal(t, 1.0, body["credentialVersion"])

	// Status, then the list of what misses permissions.
	status := waitPhase(tenant, model.PhasePermissionsMissing)
	require.Contains(t, status["lastError"], "Personal")
	require.Equal(t, "24h0m0s", status["syncInterval"])
	waitListed(model.PhasePermissionsMissing, tenant)

	// Approve is refused: nothing awaits review (409 with the phase).
	code, body, raw = call("POST", "/v1/connections/"+tenant+"/approve", keys.Support, `{"reviewer":"sam@gifted"}`)
	require.Equal(t, 409, code, raw)
	require.Equal(t, "permissions_missing", body["phase"])
	require.Equal(t, tenant, body["tenant"])
	require.Contains(t, body["error"], "cannot approve tenant "+tenant)
	// So is a sync, and an unknown tenant is 404.
	code, body, raw = call("POST", "/v1/connections/"+tenant+"/sync", keys.Backend, "")
	require.Equal(t, 409, code, raw)
	code, _, raw = call("GET", "/v1/connections/nobody-here", keys.Support, "")
	require.Equal(t, 404, code, raw)
	code, _, raw = call("POST", "/v1/connections/nobody-here/pause", keys.Backend, "")
	require.Equal(t, 404, code, raw)
	code, _, raw = call("GET", "/v1/connections/nobody-here/changes", keys.Backend, "")
	require.Equal(t, 404, code, raw)

	// The customer grants the permission; the backend asks for a re-check; support approves.
	require.NoError(t, company.Grant(user.ID, model.PermPersonal, true))
	code, _, raw = call("POST", "/v1/connections/"+tenant+"/recheck", keys.Backend, "")
	require.Equal(t, 200, code, raw)
	waitPhase(tenant, model.PhaseAwaitingReview)
	waitListed(model.PhaseAwaitingReview, tenant)
	code, body, raw = call("POST", "/v1/connections/"+tenant+"/approve", keys.Support, `{"reviewer":"sam@gifted","note":"preview complete"}`)
	require.Equal(t, 200, code, raw)
	require.Contains(t, body["message"], "approved by sam@gifted")

	// The initial sync stores everyone; the feed has no per-employee changes for a baseline.
	require.Eventually(t, func() bool {
		code, body, _ := call("GET", "/v1/connections/"+tenant, keys.Backend, "")
		return code == 200 && body["phase"] == "active" && body["lastSync"] != nil
	}, 2*time.Minute, 200*time.Millisecond)
	code, body, raw = call("GET", "/v1/connections/"+tenant+"/employees?limit=5000", keys.Backend, "")
	require.Equal(t, 200, code, raw)
	employees := body["employees"].([]any)
	require.Len(t, employees, len(company.Truth()))
	first := employees[0].(map[string]any)["id"].(string)
	code, body, raw = call("GET", "/v1/connections/"+tenant+"/employees/"+first, keys.Backend, "")
	require.Equal(t, 200, code, raw)
	require.Equal(t, first, body["id"])
	code, body, raw = call("GET", "/v1/connections/"+tenant+"/changes", keys.Backend, "")
	require.Equal(t, 200, code, raw)
	require.Equal(t, []any{}, body["changes"])

	// The token never reached a log line or an answer.
	require.NotContains(t, apiLogs.String(), user.Token)
	require.NotContains(t, sdkLogs.String(), user.Token)
	require.NotContains(t, apiLogs.String(), keys.Backend)
}
