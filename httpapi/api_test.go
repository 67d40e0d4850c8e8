package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/stretchr/testify/require"

	"hibobsync/model"
	"hibobsync/starter"
	"hibobsync/store"
	"hibobsync/workflows"
)

const (
	backend = "backend"
	support = "support"
)

func keyOf(role string) string {
	switch role {
	case backend:
		return testKeys.Backend
	case support:
		return testKeys.Support
	}
	return role
}

// routeCase is one route's happy path through the fakes.
type routeCase struct {
	method, path, role, body string
	status                   int
	call                     string         // the fake's last call
	want                     map[string]any // fields of the answer
}

func happyCases() []routeCase {
	return []routeCase{
		{"POST", "/v1/connections", backend, `{"company":"Acme Service User","serviceUserId":"SERVICE-1","token":"tok","syncInterval":"6h"}`, 201,
			"Connect Acme Service User SERVICE-1 6h0m0s", map[string]any{"tenant": "acme", "reconnect": true, "credentialVersion": 1.0, "phase": "validating_credentials"}},
		{"GET", "/v1/connections?phase=awaiting_review", support, "", 200, "ListConnections awaiting_review", nil},
		{"GET", "/v1/connections", backend, "", 200, "ListConnections ", nil},
		{"GET", "/v1/connections/acme", support, "", 200, "Status acme", map[string]any{"tenant": "acme", "phase": "awaiting_review", "syncInterval": "6h0m0s"}},
		{"DELETE", "/v1/connections/acme", backend, "", 200, "Disconnect acme", map[string]any{"tenant": "acme", "message": "disconnect accepted"}},
		{"PUT", "/v1/connections/acme/credentials", backend, `{"serviceUserId":"SERVICE-2","token":"tok2"}`, 200, "UpdateCredentials acme SERVICE-2", map[string]any{"message": "credentials accepted"}},
		{"POST", "/v1/connections/acme/recheck", backend, "", 200, "RecheckPermissions acme", map[string]any{"phase": "active"}},
		{"POST", "/v1/connections/acme/sync", backend, "{}", 200, "SyncNow acme", map[string]any{"message": "sync accepted"}},
		{"POST", "/v1/connections/acme/pause", backend, "", 200, "Pause acme", nil},
		{"POST", "/v1/connections/acme/resume", backend, "", 200, "Resume acme", nil},
		{"POST", "/v1/connections/acme/approve", support, `{"reviewer":"sam","note":"looks complete"}`, 200, "Approve acme sam looks complete", map[string]any{"message": "approve accepted"}},
		{"POST", "/v1/connections/acme/reject", support, `{"reviewer":"sam","reason":"wrong company"}`, 200, "Reject acme sam wrong company", nil},
		{"GET", "/v1/connections/acme/employees?includeRemoved=true&after=100&limit=2", backend, "", 200, `Employees acme removed=true after="100" limit=2`, nil},
		{"GET", "/v1/connections/acme/employees/101", backend, "", 200, "Employee acme 101", map[string]any{"id": "101", "firstName": "Ada", "firstRunId": 1.0}},
		{"GET", "/v1/connections/acme/changes?after=1&limit=10", backend, "", 200, "Changes acme after=1 limit=10", map[string]any{"next": 3.0}},
	}
}

func seed(h *harness) {
	removed := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	h.feed.employees = []store.StoredEmployee{
		{Employee: model.Employee{ID: "100", FirstName: "Grace"}, FirstRunID: 1, LastRunID: 2},
		{Employee: model.Employee{ID: "101", FirstName: "Ada"}, FirstRunID: 1, LastRunID: 2},
		{Employee: model.Employee{ID: "102", FirstName: "Alan"}, FirstRunID: 1, LastRunID: 1, RemovedAt: &removed},
		{Employee: model.Employee{ID: "103", FirstName: "Edsger"}, FirstRunID: 2, LastRunID: 2},
	}
	h.feed.changes = []model.Change{
		{Cursor: 1, Tenant: "acme", RunID: 2, EmployeeID: "103", Kind: model.ChangeHired},
		{Cursor: 2, Tenant: "acme", RunID: 2, EmployeeID: "102", Kind: model.ChangeRemoved},
		{Cursor: 3, Tenant: "acme", RunID: 2, EmployeeID: "101", Kind: model.ChangeBirthday, Field: "birthday", OldValue: "01-02", NewValue: "02-01"},
	}
	h.conns.list = []starter.ConnectionSummary{{Tenant: "acme", Company: "Acme", Phase: model.PhaseAwaitingReview,
		StartedAt: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), PhaseSince: time.Date(2026, 1, 1, 1, 0, 0, 0, time.UTC)}}
}

func (h *harness) lastCall() string {
	if c := h.conns.lastCall(); c != "" {
		return c
	}
	return h.feed.lastCall()
}

func TestEveryRouteHappyPath(t *testing.T) {
	covered := map[string]bool{}
	for _, tc := range happyCases() {
		t.Run(tc.method+" "+tc.path, func(t *testing.T) {
			h := newHarness(t)
			seed(h)
			r := h.do(tc.method, tc.path, keyOf(tc.role), tc.body)
			require.Equal(t, tc.status, r.status, r.raw)
			require.Equal(t, tc.call, h.lastCall())
			for k, v := range tc.want {
				require.Equal(t, v, r.body[k], "field %s of %s", k, r.raw)
			}
			require.Equal(t, "application/json; charset=utf-8", r.header.Get("Content-Type"))
			require.NotEmpty(t, r.header.Get("X-Request-Id"))
		})
		covered[tc.method+" "+patternOf(tc.path)] = true
	}
	// Every authenticated route has a happy path here.
	h := newHarness(t)
	for _, rt := range h.srv.routes {
		if rt.roles != nil {
			require.True(t, covered[rt.method+" "+rt.path], "no happy-path case for %s %s", rt.method, rt.path)
		}
	}
}

// patternOf maps a test path back to its route pattern.
func patternOf(path string) string {
	path, _, _ = strings.Cut(path, "?")
	parts := strings.Split(path, "/")
	if len(parts) > 3 {
		parts[3] = "{tenant}"
	}
	if len(parts) > 5 && parts[4] == "employees" {
		parts[5] = "{id}"
	}
	return strings.Join(parts, "/")
}

func TestConnectAnswers(t *testing.T) {
	h := newHarness(t)
	r := h.do("POST", "/v1/connections", testKeys.Backend, `{"company":"Acme","serviceUserId":"SERVICE-1","token":"tok"}`)
	require.Equal(t, 201, r.status, r.raw)
	require.Equal(t, "/v1/connections/acme", r.header.Get("Location"))
	require.Equal(t, time.Duration(0), h.conns.connect.SyncInterval)
	require.Equal(t, "tok", h.conns.connect.Token)
	require.ElementsMatch(t, []string{"tenant", "company", "credentialVersion", "reconnect", "phase", "message"}, keys(r.body))

	// An existing connection: 200.
	h.conns.conn = starter.Connection{Tenant: "acme", Company: "Acme", CredentialVersion: 3, Started: false,
		Ack: workflows.Ack{Phase: model.PhaseActive, Message: "checking credentials version 3"}}
	r = h.do("POST", "/v1/connections", testKeys.Backend, `{"company":"Acme","serviceUserId":"SERVICE-1","token":"tok"}`)
	require.Equal(t, 200, r.status, r.raw)
	require.Equal(t, "active", r.str("phase"))
	require.Equal(t, 3.0, r.body["credentialVersion"])
	require.Empty(t, r.header.Get("Location"))
}

func keys(m map[string]any) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}

func TestListsAndPages(t *testing.T) {
	h := newHarness(t)
	seed(h)
	r := h.do("GET", "/v1/connections?phase=awaiting_review", testKeys.Support, "")
	require.Equal(t, 200, r.status)
	require.JSONEq(t, `{"connections":[{"tenant":"acme","company":"Acme","phase":"awaiting_review","startedAt":"2026-01-01T00:00:00Z","phaseSince":"2026-01-01T01:00:00Z"}]}`, r.raw)

	h.conns.list = nil
	r = h.do("GET", "/v1/connections", testKeys.Support, "")
	require.JSONEq(t, `{"connections":[]}`, r.raw)

	// Employees: pages of 2, removed ones only when asked.
	r = h.do("GET", "/v1/connections/acme/employees?limit=2", testKeys.Backend, "")
	require.Equal(t, 200, r.status, r.raw)
	require.Len(t, r.body["employees"], 2)
	require.Equal(t, "101", r.str("next"))
	r = h.do("GET", "/v1/connections/acme/employees?limit=2&after=101", testKeys.Backend, "")
	require.Len(t, r.body["employees"], 1, "102 is removed")
	require.NotContains(t, r.body, "next", "the last page has no next")
	r = h.do("GET", "/v1/connections/acme/employees?limit=5000&includeRemoved=1", testKeys.Backend, "")
	require.Len(t, r.body["employees"], 4)
	require.Contains(t, r.raw, `"removedAt": "2026-01-02T03:04:05Z"`)
	require.Equal(t, `Employees acme removed=true after="" limit=5000`, h.feed.lastCall())
	r = h.do("GET", "/v1/connections/acme/employees", testKeys.Backend, "")
	require.Equal(t, `Employees acme removed=false after="" limit=500`, h.feed.lastCall())

	// Changes: next is the last cursor, or the one asked from.
	r = h.do("GET", "/v1/connections/acme/changes?limit=2", testKeys.Backend, "")
	require.Equal(t, 200, r.status, r.raw)
	require.Len(t, r.body["changes"], 2)
	require.Equal(t, 2.0, r.body["next"])
	r = h.do("GET", "/v1/connections/acme/changes?after=3", testKeys.Backend, "")
	require.JSONEq(t, `{"changes":[],"next":3}`, r.raw)
	require.Equal(t, "Changes acme after=3 limit=500", h.feed.lastCall())
}

func TestInvalidQueryParameters(t *testing.T) {
	h := newHarness(t)
	for _, tc := range []struct{ path, role, field string }{
		{"/v1/connections?phase=waiting", support, "phase"},
		{"/v1/connections?state=active", support, "state"},
		{"/v1/connections/acme?verbose=1", support, "verbose"},
		{"/v1/connections/acme/employees?limit=0", backend, "limit"},
		{"/v1/connections/acme/employees?limit=5001", backend, "limit"},
		{"/v1/connections/acme/employees?limit=ten", backend, "limit"},
		{"/v1/connections/acme/employees?includeRemoved=maybe", backend, "includeRemoved"},
		{"/v1/connections/acme/employees?include_removed=true", backend, "include_removed"},
		{"/v1/connections/acme/changes?after=-1", backend, "after"},
		{"/v1/connections/acme/changes?after=abc", backend, "after"},
		{"/v1/connections/acme/employees/" + strings.Repeat("9", 65), backend, "id"},
	} {
		r := h.do("GET", tc.path, keyOf(tc.role), "")
		require.Equal(t, 400, r.status, "%s: %s", tc.path, r.raw)
		require.Equal(t, tc.field, r.str("field"), tc.path)
		require.NotEmpty(t, r.str("error"))
	}
	require.Empty(t, h.conns.calls, "nothing reached the starter")
	require.Empty(t, h.feed.calls, "nothing reached the store")
}

func TestInvalidTenantKeyInPath(t *testing.T) {
	h := newHarness(t)
	for _, tenant := range []string{"Acme", "acme--ltd", "acme_ltd", "-acme", "acme%20ltd", "acme-ltd-"} {
		for _, tc := range []struct{ method, suffix, role, body string }{
			{"GET", "", support, ""},
			{"POST", "/approve", support, `{"reviewer":"sam"}`},
			{"POST", "/sync", backend, ""},
			{"GET", "/employees", backend, ""},
		} {
			r := h.do(tc.method, "/v1/connections/"+tenant+tc.suffix, keyOf(tc.role), tc.body)
			require.Equal(t, 400, r.status, "%s %s: %s", tc.method, tenant, r.raw)
			require.Equal(t, "tenant", r.str("field"))
			require.Contains(t, r.str("error"), "not a tenant key")
			require.Contains(t, r.str("error"), "POST /v1/connections returned")
		}
	}
	require.Empty(t, h.conns.calls)
	require.Empty(t, h.feed.calls)
}

// errorCase: what the fake returns and what the caller gets.
type errorCase struct {
	name   string
	err    error
	status int
	field  string
	phase  string
	says   []string
}

func errorCases() []errorCase {
	return []errorCase{
		{"unknown tenant", fmt.Errorf("%w: acme has no connection; connect it first", starter.ErrUnknownTenant), 404, "", "",
			[]string{"no connection for tenant acme", "POST /v1/connections"}},
		{"unknown tenant in the store", fmt.Errorf("store: %w", store.ErrUnknownTenant), 404, "", "", []string{"tenant acme"}},
		{"wrong phase", &starter.WrongPhaseError{Tenant: "acme", Phase: model.PhaseActive,
			Message: "cannot approve tenant acme: it is active, and nothing awaits review"}, 409, "", "active",
			[]string{"cannot approve tenant acme: it is active", "GET /v1/connections/acme"}},
		{"wrong phase without the tenant", &starter.WrongPhaseError{Tenant: "acme", Phase: model.PhasePaused, Message: "already paused"}, 409, "", "paused",
			[]string{"tenant acme is paused: already paused"}},
		{"invalid input", &starter.InvalidInputError{Field: "reviewer", Message: "approve needs the reviewer's name"}, 400, "reviewer", "",
			[]string{"tenant acme: approve needs the reviewer's name", "correct reviewer"}},
		{"Temporal down", fmt.Errorf("%w (tenant acme): connection refused", starter.ErrTemporalUnavailable), 503, "", "",
			[]string{"Temporal is unavailable", "tenant acme", "retry"}},
		{"store down", fmt.Errorf("%w: dial tcp 127.0.0.1:5432: connection refused", starter.ErrStoreUnavailable), 503, "", "",
			[]string{"Postgres", "tenant acme", "retry"}},
		{"pgx cannot connect", fmt.Errorf("store: read: %w", &pgconn.ConnectError{}), 503, "", "", []string{"Postgres"}},
		{"Postgres shutting down", fmt.Errorf("store: read: %w", &pgconn.PgError{Code: "57P01"}), 503, "", "", []string{"Postgres"}},
		{"timeout", fmt.Errorf("update: %w", context.DeadlineExceeded), 503, "", "", []string{"timed out", "tenant acme"}},
		{"anything else", errors.New("boom"), 500, "", "", []string{"unexpected error", "tenant acme", "request"}},
	}
}

func TestErrorMappingOnEveryTenantRoute(t *testing.T) {
	for _, tc := range happyCases() {
		if !strings.Contains(patternOf(tc.path), "{tenant}") {
			continue
		}
		for _, ec := range errorCases() {
			t.Run(tc.method+" "+tc.path+"/"+ec.name, func(t *testing.T) {
				h := newHarness(t)
				seed(h)
				h.conns.err, h.feed.err = ec.err, ec.err
				r := h.do(tc.method, tc.path, keyOf(tc.role), tc.body)
				require.Equal(t, ec.status, r.status, r.raw)
				require.Equal(t, ec.field, r.str("field"))
				require.Equal(t, ec.phase, r.str("phase"))
				require.Equal(t, "acme", r.str("tenant"))
				require.Equal(t, r.header.Get("X-Request-Id"), r.str("requestId"))
				for _, s := range ec.says {
					require.Contains(t, r.str("error"), s)
				}
				if ec.status == 503 {
					require.Equal(t, "30", r.header.Get("Retry-After"))
				}
				require.NotContains(t, r.raw, "boom", "causes are logged, not sent")
				require.Contains(t, h.logs.String(), `"requestId":"`+r.str("requestId")+`"`)
			})
		}
	}
}

func TestErrorMappingWithoutTenant(t *testing.T) {
	h := newHarness(t)
	h.conns.err = &starter.InvalidInputError{Field: "company", Message: "invalid company name: the company name is 120 characters long, at most 100 are allowed"}
	r := h.do("POST", "/v1/connections", testKeys.Backend, `{"company":"x","serviceUserId":"S","token":"t"}`)
	require.Equal(t, 400, r.status)
	require.Equal(t, "company", r.str("field"))
	require.Contains(t, r.str("error"), "at most 100")

	h.conns.err = fmt.Errorf("%w: list: unavailable", starter.ErrTemporalUnavailable)
	r = h.do("GET", "/v1/connections?phase=awaiting_review", testKeys.Support, "")
	require.Equal(t, 503, r.status)
	require.Contains(t, r.str("error"), "Temporal is unavailable")
	require.Contains(t, r.str("error"), "the connections")

	h.conns.err = fmt.Errorf("%w: dial tcp: connection refused", starter.ErrStoreUnavailable)
	r = h.do("POST", "/v1/connections", testKeys.Backend, `{"company":"Acme","serviceUserId":"S","token":"t"}`)
	require.Equal(t, 503, r.status)
	require.Contains(t, r.str("error"), "Postgres")

	// Unknown employee: 404 naming it.
	h = newHarness(t)
	seed(h)
	r = h.do("GET", "/v1/connections/acme/employees/999", testKeys.Backend, "")
	require.Equal(t, 404, r.status)
	require.Equal(t, "id", r.str("field"))
	require.Contains(t, r.str("error"), `tenant acme has no employee "999"`)
}

func TestBodyValidation(t *testing.T) {
	h := newHarness(t)
	for _, tc := range []struct {
		name, method, path, role, body string
		status                         int
		field                          string
		says                           string
	}{
		{"malformed JSON", "POST", "/v1/connections", backend, `{"company": "Acme",`, 400, "", "not valid JSON"},
		{"syntax error", "POST", "/v1/connections", backend, `{"company": Acme}`, 400, "", "not valid JSON (at byte"},
		{"not an object", "POST", "/v1/connections", backend, `["Acme"]`, 400, "", "must be a JSON object"},
		{"wrong type", "POST", "/v1/connections", backend, `{"company": 42, "serviceUserId": "S", "token": "t"}`, 400, "company", "company must be a string, not a number"},
		{"unknown field", "POST", "/v1/connections", backend, `{"company":"Acme","serviceUserId":"S","token":"t","interval":"6h"}`, 400, "interval", `unknown field "interval"`},
		{"two values", "POST", "/v1/connections", backend, `{"company":"Acme","serviceUserId":"S","token":"t"} {}`, 400, "", "more than one JSON value"},
		{"empty body", "POST", "/v1/connections", backend, ``, 400, "", "the request body is empty"},
		{"missing company", "POST", "/v1/connections", backend, `{"serviceUserId":"S","token":"t"}`, 400, "company", "company is missing"},
		{"blank service user", "POST", "/v1/connections", backend, `{"company":"Acme","serviceUserId":" ","token":"t"}`, 400, "serviceUserId", "serviceUserId is missing"},
		{"missing token", "POST", "/v1/connections", backend, `{"company":"Acme","serviceUserId":"S"}`, 400, "token", "token is missing"},
		{"bad interval", "POST", "/v1/connections", backend, `{"company":"Acme","serviceUserId":"S","token":"t","syncInterval":"daily"}`, 400, "syncInterval", `"daily" is not a positive duration`},
		{"negative interval", "POST", "/v1/connections", backend, `{"company":"Acme","serviceUserId":"S","token":"t","syncInterval":"-1h"}`, 400, "syncInterval", "positive duration"},
		{"credentials without token", "PUT", "/v1/connections/acme/credentials", backend, `{"serviceUserId":"S"}`, 400, "token", "token is missing"},
		{"credentials without user", "PUT", "/v1/connections/acme/credentials", backend, `{"token":"t"}`, 400, "serviceUserId", "serviceUserId is missing"},
		{"approve without reviewer", "POST", "/v1/connections/acme/approve", support, `{"note":"ok"}`, 400, "reviewer", "reviewer is missing"},
		{"approve with no body", "POST", "/v1/connections/acme/approve", support, ``, 400, "", "the request body is empty"},
		{"reject without reason", "POST", "/v1/connections/acme/reject", support, `{"reviewer":"sam"}`, 400, "reason", "reason the customer can act on"},
		{"action with a body", "POST", "/v1/connections/acme/sync", backend, `{"now":true}`, 400, "now", `unknown field "now"`},
		{"action with garbage", "POST", "/v1/connections/acme/pause", backend, `pause!`, 400, "", "not valid JSON"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := h.do(tc.method, tc.path, keyOf(tc.role), tc.body)
			require.Equal(t, tc.status, r.status, r.raw)
			require.Equal(t, tc.field, r.str("field"), r.raw)
			require.Contains(t, r.str("error"), tc.says)
		})
	}
	require.Empty(t, h.conns.calls, "no invalid request reached the starter")
}

func TestOversizedBody(t *testing.T) {
	h := newHarness(t)
	big := `{"company":"Acme","serviceUserId":"S","token":"` + strings.Repeat("x", MaxBodyBytes) + `"}`
	for _, tc := range []struct{ method, path, role string }{
		{"POST", "/v1/connections", backend},
		{"PUT", "/v1/connections/acme/credentials", backend},
		{"POST", "/v1/connections/acme/approve", support},
		{"POST", "/v1/connections/acme/sync", backend},
	} {
		r := h.do(tc.method, tc.path, keyOf(tc.role), big)
		require.Equal(t, 413, r.status, r.raw)
		require.Contains(t, r.str("error"), "over the limit of 64 KiB")
	}
	require.Empty(t, h.conns.calls)
	// Just under the limit is read (and refused for its content, not its size).
	body := `{"company":"Acme","serviceUserId":"S","token":"t","note":"` + strings.Repeat("x", MaxBodyBytes-100) + `"}`
	r := h.do("POST", "/v1/connections", testKeys.Backend, body)
	require.Equal(t, 400, r.status, r.raw)
	require.Equal(t, "note", r.str("field"))
}

func TestAuthMatrix(t *testing.T) {
	h := newHarness(t)
	seed(h)
	cases := happyCases()
	for _, tc := range cases {
		rt := h.routeOf(tc.method, patternOf(tc.path))
		for _, caller := range []string{"", "wrong-key", backend, support} {
			r := h.do(tc.method, tc.path, keyOf(caller), tc.body)
			switch {
			case caller == "" || caller == "wrong-key":
				require.Equal(t, 401, r.status, "%s %s as %q: %s", tc.method, tc.path, caller, r.raw)
				require.Equal(t, `Bearer realm="hibobsync"`, r.header.Get("WWW-Authenticate"))
				require.Contains(t, r.str("error"), "Authorization: Bearer")
			case slices.Contains(rt.roles, Role(caller)):
				require.Equal(t, tc.status, r.status, "%s %s as %s: %s", tc.method, tc.path, caller, r.raw)
			default:
				require.Equal(t, 403, r.status, "%s %s as %s: %s", tc.method, tc.path, caller, r.raw)
				require.Contains(t, r.str("error"), "the "+caller+" key may not")
			}
		}
	}
	// The roles as the issue has them.
	require.Equal(t, []Role{RoleSupport}, h.routeOf("POST", "/v1/connections/{tenant}/approve").roles)
	require.Equal(t, []Role{RoleSupport}, h.routeOf("POST", "/v1/connections/{tenant}/reject").roles)
	for _, rt := range h.srv.routes {
		switch {
		case rt.roles == nil:
			require.Contains(t, []string{"/healthz", "/openapi.json"}, rt.path)
		case strings.HasSuffix(rt.path, "/approve") || strings.HasSuffix(rt.path, "/reject"):
		case rt.method == "GET" && (rt.path == "/v1/connections" || rt.path == "/v1/connections/{tenant}"):
			require.Equal(t, []Role{RoleBackend, RoleSupport}, rt.roles, rt.path)
		default:
			require.Equal(t, []Role{RoleBackend}, rt.roles, "%s %s", rt.method, rt.path)
		}
	}

	// The explicit cases of the brief.
	for _, tc := range []struct {
		name, method, path, auth, body string
		status                         int
		logged                         string
	}{
		{"no key", "GET", "/v1/connections/acme", "", "", 401, "no Authorization header"},
		{"wrong key", "GET", "/v1/connections/acme", "Bearer not-the-key-at-all", "", 401, "wrong API key"},
		{"not bearer", "GET", "/v1/connections/acme", "Basic " + testKeys.Support, "", 401, "without a bearer key"},
		{"empty bearer", "GET", "/v1/connections/acme", "Bearer ", "", 401, "without a bearer key"},
		{"backend approves", "POST", "/v1/connections/acme/approve", "Bearer " + testKeys.Backend, `{"reviewer":"x"}`, 403, "role backend may not call POST /v1/connections/{tenant}/approve"},
		{"support connects", "POST", "/v1/connections", "Bearer " + testKeys.Support, `{"company":"Acme","serviceUserId":"S","token":"t"}`, 403, "role support may not call POST /v1/connections"},
		{"lower-case scheme", "GET", "/v1/connections/acme", "bearer " + testKeys.Support, "", 200, `"role":"support"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			req, err := http.NewRequest(tc.method, h.url+tc.path, strings.NewReader(tc.body))
			require.NoError(t, err)
			if tc.auth != "" {
				req.Header.Set("Authorization", tc.auth)
			}
			resp, err := http.DefaultClient.Do(req)
			require.NoError(t, err)
			resp.Body.Close()
			require.Equal(t, tc.status, resp.StatusCode)
			logs := h.logs.String()
			require.Contains(t, logs, tc.logged)
			if tc.status >= 400 {
				require.Contains(t, logs, `"level":"warn"`)
				require.Empty(t, h.conns.calls, "a refused caller reaches nothing")
			}
			for _, k := range []string{testKeys.Backend, testKeys.Support, "not-the-key-at-all"} {
				require.NotContains(t, logs, k, "keys are never logged")
			}
		})
	}
}

func (h *harness) routeOf(method, path string) route {
	for _, rt := range h.srv.routes {
		if rt.method == method && rt.path == path {
			return rt
		}
	}
	h.t.Fatalf("no route %s %s", method, path)
	return route{}
}

func TestMethodNotAllowedAndUnknownRoutes(t *testing.T) {
	h := newHarness(t)
	for _, tc := range []struct{ method, path, allow string }{
		{"PUT", "/v1/connections", "GET, HEAD, POST"},
		{"POST", "/v1/connections/acme", "DELETE, GET, HEAD"},
		{"GET", "/v1/connections/acme/approve", "POST"},
		{"DELETE", "/v1/connections/acme/employees/1", "GET, HEAD"},
		{"POST", "/healthz", "GET, HEAD"},
		{"PATCH", "/v1/connections/acme/credentials", "PUT"},
	} {
		r := h.do(tc.method, tc.path, testKeys.Backend, "")
		require.Equal(t, 405, r.status, "%s %s: %s", tc.method, tc.path, r.raw)
		require.Equal(t, tc.allow, r.header.Get("Allow"))
		require.Contains(t, r.str("error"), tc.method+" is not allowed")
	}
	for _, path := range []string{"/", "/v1", "/v1/connections/acme/unknown", "/v2/connections"} {
		r := h.do("GET", path, testKeys.Backend, "")
		require.Equal(t, 404, r.status, path)
		require.Contains(t, r.str("error"), "/openapi.json")
	}
	// HEAD of a GET route answers without a body.
	r := h.do("HEAD", "/v1/connections/acme", testKeys.Support, "")
	require.Equal(t, 200, r.status)
	require.Empty(t, r.raw)
}

func TestHealth(t *testing.T) {
	ok := func(context.Context) error { return nil }
	h := newHarness(t, Check{"postgres", ok}, Check{"temporal", ok})
	r := h.do("GET", "/healthz", "", "")
	require.Equal(t, 200, r.status, r.raw)
	require.JSONEq(t, `{"status":"ok","checks":{"postgres":"ok","temporal":"ok"}}`, r.raw)

	down := func(context.Context) error { return errors.New("dial tcp 127.0.0.1:7233: connect: connection refused") }
	h = newHarness(t, Check{"postgres", ok}, Check{"temporal", down})
	r = h.do("GET", "/healthz", "", "")
	require.Equal(t, 503, r.status, r.raw)
	require.Equal(t, "unavailable", r.str("status"))
	require.Equal(t, map[string]any{"postgres": "ok", "temporal": "down"}, r.body["checks"])
	require.Contains(t, r.str("error"), "temporal down")
	require.NotContains(t, r.raw, "7233", "the details are logged, not served unauthenticated")
	require.Contains(t, h.logs.String(), "connection refused")

	h = newHarness(t, Check{"postgres", down}, Check{"temporal", down})
	r = h.do("GET", "/healthz", testKeys.Backend, "")
	require.Equal(t, 503, r.status)
	require.Contains(t, r.str("error"), "postgres and temporal down")

	// A check that hangs is bounded.
	hang := func(ctx context.Context) error { <-ctx.Done(); return ctx.Err() }
	h = newHarness(t, Check{"postgres", hang})
	start := time.Now()
	r = h.do("GET", "/healthz", "", "")
	require.Equal(t, 503, r.status)
	require.Less(t, time.Since(start), healthTimeout+2*time.Second)
}

// TestTokensNeverLoggedOrEchoed sends a token in every body that takes one, on success and on
// every kind of refusal, with a starter that even puts the token in its error messages.
func TestTokensNeverLoggedOrEchoed(t *testing.T) {
	const token = "sk-live-5b0e1f7c9d2a4e6b8f0a"
	h := newHarness(t)
	seed(h)
	bodies := []struct {
		method, path, body string
		err                error
	}{
		{"POST", "/v1/connections", `{"company":"Acme","serviceUserId":"SERVICE-1","token":"` + token + `"}`, nil},
		{"POST", "/v1/connections", `{"company":"","serviceUserId":"SERVICE-1","token":"` + token + `"}`, nil},
		{"POST", "/v1/connections", `{"company":"Acme","serviceUserId":"","token":"` + token + `"}`, nil},
		{"POST", "/v1/connections", `{"company":"Acme","serviceUserId":"S","token":"` + token + `","extra":1}`, nil},
		{"POST", "/v1/connections", `{"company":"Acme","serviceUserId":"S","token":"` + token + `","syncInterval":"often"}`, nil},
		{"POST", "/v1/connections", `{"company":7,"serviceUserId":"S","token":"` + token + `"}`, nil},
		{"POST", "/v1/connections", `{"company":"Acme","serviceUserId":"S","token":"` + token + `"`, nil},
		{"POST", "/v1/connections", `{"company":"Acme","serviceUserId":"S","token":"  ` + token + `  "}`,
			&starter.InvalidInputError{Field: "token", Message: "the token \"  " + token + "  \" is not a HiBob token"}},
		{"POST", "/v1/connections", `{"company":"Acme","serviceUserId":"S","token":"` + token + `"}`,
			&starter.InvalidInputError{Field: "token", Message: "the token " + token + " is not a HiBob token"}},
		{"POST", "/v1/connections", `{"company":"Acme","serviceUserId":"S","token":"` + token + `"}`,
			fmt.Errorf("seal %s: %w", token, errors.New("boom"))},
		{"PUT", "/v1/connections/acme/credentials", `{"serviceUserId":"S","token":"` + token + `"}`, nil},
		{"PUT", "/v1/connections/acme/credentials", `{"serviceUserId":"","token":"` + token + `"}`, nil},
		{"PUT", "/v1/connections/acme/credentials", `{"serviceUserId":"S","token":"` + token + `"}`,
			&starter.WrongPhaseError{Tenant: "acme", Phase: model.PhaseRejected, Message: "cannot use " + token + ": rejected"}},
		{"PUT", "/v1/connections/acme/credentials", `{"serviceUserId":"S","token":"` + token + `"}`,
			fmt.Errorf("%w: %s", starter.ErrTemporalUnavailable, token)},
	}
	for _, b := range bodies {
		h.conns.err = b.err
		r := h.do(b.method, b.path, testKeys.Backend, b.body)
		require.NotContains(t, r.raw, token, "%s %s: %s", b.method, b.path, r.raw)
		require.NotContains(t, fmt.Sprint(r.header), token)
		if b.err != nil {
			require.GreaterOrEqual(t, r.status, 400)
		}
	}
	logs := h.logs.String()
	require.NotEmpty(t, logs)
	require.NotContains(t, logs, token)
	require.Contains(t, logs, "[redacted]", "the messages that carried it were redacted, not dropped")
	for _, k := range []string{testKeys.Backend, testKeys.Support} {
		require.NotContains(t, logs, k)
	}
}

func TestKeys(t *testing.T) {
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	_, err := KeysFromEnv(env(nil))
	require.ErrorContains(t, err, BackendKeyEnv+" and "+SupportKeyEnv+" not set")
	_, err = KeysFromEnv(env(map[string]string{BackendKeyEnv: "b"}))
	require.ErrorContains(t, err, SupportKeyEnv+" not set")
	_, err = KeysFromEnv(env(map[string]string{BackendKeyEnv: "k-7731", SupportKeyEnv: " k-7731 "}))
	require.ErrorContains(t, err, "the same key")
	require.NotContains(t, err.Error(), "k-7731")
	k, err := KeysFromEnv(env(map[string]string{BackendKeyEnv: "b-key", SupportKeyEnv: "s-key"}))
	require.NoError(t, err)
	require.Equal(t, Keys{Backend: "b-key", Support: "s-key"}, k)
	for _, format := range []string{"%v", "%+v", "%#v", "%s"} {
		require.NotContains(t, fmt.Sprintf(format, k), "b-key")
	}
	g, err := GenerateKeys()
	require.NoError(t, err)
	require.Len(t, g.Backend, 64)
	require.NotEqual(t, g.Backend, g.Support)

	_, err = New(&fakeConns{}, &fakeFeed{}, Keys{Backend: "x", Support: "x"}, nil)
	require.Error(t, err)
	_, err = New(nil, &fakeFeed{}, testKeys, nil)
	require.Error(t, err)
}

// TestOpenAPIDescribesEveryRoute: every route is in the description with its roles, and the
// description has no operation the API does not serve.
func TestOpenAPIDescribesEveryRoute(t *testing.T) {
	h := newHarness(t)
	r := h.do("GET", "/openapi.json", "", "")
	require.Equal(t, 200, r.status)
	require.Equal(t, "3.1.0", r.str("openapi"))
	var spec struct {
		Paths map[string]map[string]struct {
			OperationID string   `json:"operationId"`
			Roles       []string `json:"x-roles"`
			Responses   map[string]any
			Parameters  []map[string]any
		} `json:"paths"`
	}
	require.NoError(t, json.Unmarshal([]byte(r.raw), &spec))
	described := map[string]bool{}
	for path, ops := range spec.Paths {
		for method, op := range ops {
			described[strings.ToUpper(method)+" "+path] = true
			rt := h.routeOf(strings.ToUpper(method), path)
			require.Equal(t, rt.operation, op.OperationID, "%s %s", method, path)
			var roles []string
			for _, r := range rt.roles {
				roles = append(roles, string(r))
			}
			require.ElementsMatch(t, roles, op.Roles, "x-roles of %s %s", method, path)
			if rt.roles != nil {
				for _, code := range []string{"401", "403"} {
					require.Contains(t, op.Responses, code, "%s %s", method, path)
				}
			}
			if strings.Contains(path, "{tenant}") {
				require.Contains(t, op.Responses, "404", "%s %s", method, path)
			}
		}
	}
	var served []string
	for _, route := range h.srv.Routes() {
		served = append(served, route)
		require.True(t, described[route], "%s is served but not in openapi.json", route)
	}
	require.Len(t, described, len(served), "openapi.json describes a route the API does not serve")

	// Every $ref resolves.
	var doc any
	require.NoError(t, json.Unmarshal([]byte(r.raw), &doc))
	var walk func(v any)
	walk = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			for k, x := range v {
				if k == "$ref" {
					ref := x.(string)
					require.True(t, strings.HasPrefix(ref, "#/"), ref)
					node := doc
					for _, part := range strings.Split(strings.TrimPrefix(ref, "#/"), "/") {
						m, ok := node.(map[string]any)
						require.True(t, ok, ref)
						node, ok = m[part]
						require.True(t, ok, "unresolved %s", ref)
					}
				}
				walk(x)
			}
		case []any:
			for _, x := range v {
				walk(x)
			}
		}
	}
	walk(doc)
	require.JSONEq(t, string(OpenAPI()), r.raw)
}
