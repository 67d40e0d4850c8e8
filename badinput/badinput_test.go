package badinput_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"
	sdkworker "go.temporal.io/sdk/worker"

	"hibobsync/activities"
	"hibobsync/badinput"
	"hibobsync/hibob"
	"hibobsync/hibob/simulator"
	"hibobsync/httpapi"
	"hibobsync/model"
	"hibobsync/starter"
	"hibobsync/store"
	"hibobsync/store/storetest"
	"hibobsync/systemtest"
	"hibobsync/worker"
	"hibobsync/workflows"
)

func TestMain(m *testing.M) { storetest.Main(m) }

// fullRetry runs the failing HiBob rows until the cycle fails (sync_failing), which the
// production retry policy of the fetch (8 attempts, 5 s doubling to 2 min) takes about seven
// minutes to reach. Without it they stop the bad answers once the fetch has been retried.
var fullRetry = os.Getenv("BADINPUT_FULL_RETRY") == "1"

// TestBadInputREADMEIsCurrent: the README's section is the table, as rendered now.
func TestBadInputREADMEIsCurrent(t *testing.T) {
	readme, err := os.ReadFile("../README.md")
	require.NoError(t, err)
	want := badinput.Markdown()
	if !strings.Contains(string(readme), want) {
		t.Fatalf("README.md does not hold the bad-input table as badinput.Markdown renders it: replace its section "+
			"\"Bad input and what it gets\" (at the end of the README) with:\n\n%s", want)
	}
}

// TestBadInput sends every API and HiBob row of badinput.Cases to the whole system and checks
// the exact answer, that the system keeps serving and that nothing stored is lost.
func TestBadInput(t *testing.T) {
	sys := start(t)

	// Every connection starts at once: the table's tenant, and one per HiBob row.
	ref := sys.connect(t, sys.sim.AddCompany(badinput.Company, 40, 11))
	hib := map[badinput.Answer]*conn{}
	for i, c := range badinput.Cases {
		if c.HiBob != nil {
			hib[c.HiBob.Answer] = sys.connect(t, sys.sim.AddCompany("HiBob "+string(c.HiBob.Answer)+" Co", 30, int64(100+i)))
		}
	}
	require.Equal(t, model.TenantKey(badinput.Tenant), ref.tenant)
	sys.activate(t, ref)
	for _, c := range hib {
		sys.activate(t, c)
	}

	for _, c := range badinput.Cases {
		t.Run(c.Name, func(t *testing.T) {
			switch {
			case c.HTTP != nil:
				sys.httpRow(t, ref, c.HTTP)
			case c.HiBob != nil:
				t.Parallel()
				sys.hibobRow(t, hib[c.HiBob.Answer], c.HiBob, c.Bug)
			}
		})
	}
}

// system is the whole system with the simulated HiBob behind a rewriter, and the API.
//
// It is systemtest.Start but for the simulator's server: Start serves the simulator directly,
// and the HiBob rows need its answers rewritten, so the rewriter must sit between the worker
// and the simulator.
type system struct {
	client   client.Client
	store    *store.Store
	sim      *simulator.Server
	rw       *rewriter
	hibobURL string
	api      string
	keys     httpapi.Keys
}

func start(t *testing.T) *system {
	dev := systemtest.Temporal(t)
	s := &system{client: dev.Client(), sim: simulator.New(simulator.Options{Window: systemtest.Window})}
	s.rw = &rewriter{sim: s.sim, answers: map[string]rewrite{}, spoiled: map[string]int{}}
	hs := httptest.NewServer(s.rw)
	t.Cleanup(hs.Close)
	s.hibobURL = hs.URL + "/v1"

	keys, _, err := store.GenerateKeyring()
	require.NoError(t, err)
	s.store, err = store.Open(context.Background(), storetest.NewDatabase(t), keys)
	require.NoError(t, err)
	t.Cleanup(s.store.Close)

	limits := hibob.DefaultLimits()
	for e, l := range limits {
		limits[e] = hibob.Limit{Requests: l.Requests, Per: systemtest.Window}
	}
	w := sdkworker.New(s.client, activities.TaskQueue, sdkworker.Options{})
	worker.Register(w, &activities.Activities{Store: s.store, Clients: activities.NewClientFactory(s.hibobURL, nil, limits)})
	require.NoError(t, w.Start())
	t.Cleanup(w.Stop)

	s.keys = httpapi.Keys{Backend: "badinput-backend-key-0001", Support: "badinput-support-key-0002"}
	st, tc := s.store, s.client
	api, err := httpapi.New(starter.New(tc, st), st, s.keys, nil,
		httpapi.Check{Name: "postgres", Run: func(ctx context.Context) error { return st.Pool().Ping(ctx) }},
		httpapi.Check{Name: "temporal", Run: func(ctx context.Context) error {
			_, err := tc.CheckHealth(ctx, &client.CheckHealthRequest{})
			return err
		}})
	require.NoError(t, err)
	as := httptest.NewServer(api)
	t.Cleanup(as.Close)
	s.api = as.URL
	return s
}

// conn is a connected company.
type conn struct {
	company *simulator.Company
	user    simulator.ServiceUser
	tenant  model.TenantKey
}

func (s *system) key(k badinput.Key) string {
	switch k {
	case badinput.KeyBackend:
		return s.keys.Backend
	case badinput.KeySupport:
		return s.keys.Support
	case badinput.KeyWrong:
		return "not-the-key-of-anyone"
	}
	return ""
}

func (s *system) call(t *testing.T, method, path string, key badinput.Key, body string) (int, map[string]any, string) {
	t.Helper()
	return systemtest.CallJSON(t, method, s.api+path, s.key(key), body)
}

func (s *system) connect(t *testing.T, company *simulator.Company) *conn {
	t.Helper()
	user := company.AddServiceUser(simulator.FullAccess())
	code, body, raw := s.call(t, "POST", "/v1/connections", badinput.KeyBackend,
		fmt.Sprintf(`{"company":%q,"serviceUserId":%q,"token":%q}`, company.Name(), user.ID, user.Token))
	require.Equal(t, 201, code, raw)
	return &conn{company: company, user: user, tenant: model.TenantKey(body["tenant"].(string))}
}

// status reads the connection's status through the API.
func (s *system) status(t *testing.T, tenant model.TenantKey) workflows.Status {
	t.Helper()
	code, _, raw := s.call(t, "GET", "/v1/connections/"+string(tenant), badinput.KeySupport, "")
	require.Equal(t, 200, code, raw)
	var st workflows.Status
	var shadow struct {
		workflows.Status
		SyncInterval string `json:"syncInterval"`
	}
	require.NoError(t, json.Unmarshal([]byte(raw), &shadow), raw)
	st = shadow.Status
	return st
}

func (s *system) waitFor(t *testing.T, c *conn, what string, within time.Duration, ok func(workflows.Status) bool) workflows.Status {
	t.Helper()
	var last workflows.Status
	deadline := time.Now().Add(within)
	for ; time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		// A status query can time out while the worker is busy (seen once, on a loaded machine,
		// the moment a cycle failed): a 503 is logged and asked again, anything else fails.
		if code, _, raw := s.call(t, "GET", "/v1/connections/"+string(c.tenant), badinput.KeySupport, ""); code == http.StatusServiceUnavailable {
			t.Logf("tenant %s: status answered 503, asking again: %s", c.tenant, raw)
			continue
		}
		last = s.status(t, c.tenant)
		if ok(last) {
			return last
		}
	}
	t.Fatalf("tenant %s: waiting for %s: last status %+v", c.tenant, what, last)
	return last
}

// activate approves the connection once it awaits review and waits for its initial sync.
func (s *system) activate(t *testing.T, c *conn) {
	t.Helper()
	s.waitFor(t, c, "awaiting_review", time.Minute, func(st workflows.Status) bool { return st.Phase == model.PhaseAwaitingReview })
	code, _, raw := s.call(t, "POST", "/v1/connections/"+string(c.tenant)+"/approve", badinput.KeySupport, `{"reviewer":"`+badinput.Reviewer+`"}`)
	require.Equal(t, 200, code, raw)
	st := s.waitFor(t, c, "the initial sync", time.Minute, func(st workflows.Status) bool {
		return st.Phase == model.PhaseActive && st.LastSync != nil
	})
	require.Equal(t, "applied", st.LastSync.Outcome)
	require.Len(t, s.employees(t, c.tenant), len(c.company.Truth()))
}

func (s *system) employees(t *testing.T, tenant model.TenantKey) []store.StoredEmployee {
	t.Helper()
	list, err := s.store.Employees(context.Background(), tenant, store.EmployeeQuery{IncludeRemoved: true, Limit: 5000})
	require.NoError(t, err)
	return list
}

// stored is what a refused request must not change: the table's tenant's connection (tenant
// row, credentials) and every one of its employees, whole; and that no other tenant appeared.
func (s *system) stored(t *testing.T) string {
	t.Helper()
	var out string
	err := s.store.Pool().QueryRow(context.Background(), `
SELECT (SELECT string_agg(t::text, ';' ORDER BY key) FROM tenants t WHERE key NOT LIKE 'hibob-%')
    || '|' || (SELECT string_agg(c::text, ';' ORDER BY c::text) FROM credentials c WHERE tenant_key NOT LIKE 'hibob-%')
    || '|' || (SELECT count(*) FROM employees WHERE tenant_key = $1 AND removed_at IS NULL)::text
    || '|' || (SELECT md5(string_agg(e::text, ';' ORDER BY employee_id)) FROM employees e WHERE tenant_key = $1)`,
		badinput.Tenant).Scan(&out)
	require.NoError(t, err)
	return out
}

// serving checks the API still answers: health, and the table's tenant's status.
func (s *system) serving(t *testing.T) {
	t.Helper()
	code, _, raw := s.call(t, "GET", "/healthz", badinput.KeyNone, "")
	require.Equal(t, 200, code, "the API no longer serves after the bad input: %s", raw)
	code, body, raw := s.call(t, "GET", "/v1/connections/"+badinput.Tenant, badinput.KeyBackend, "")
	require.Equal(t, 200, code, raw)
	require.Equal(t, "active", body["phase"], raw)
}

func (s *system) httpRow(t *testing.T, ref *conn, h *badinput.HTTP) {
	before := s.stored(t)
	code, body, raw := s.call(t, h.Method, h.Path, h.Key, h.Body)
	require.Equal(t, h.Status, code, raw)
	require.Equal(t, h.Error, body["error"], raw)
	if h.Field != "" {
		require.Equal(t, h.Field, body["field"], raw)
	} else {
		require.NotContains(t, body, "field", raw)
	}
	require.NotEmpty(t, body["requestId"], raw)
	for _, secret := range []string{badinput.Token, "tok-0123 456789", s.keys.Backend, s.keys.Support} {
		require.NotContains(t, raw, secret, "the answer repeats a secret")
	}
	s.serving(t)
	require.Equal(t, before, s.stored(t), "a refused request changed what is stored")
	require.Len(t, s.employees(t, ref.tenant), len(ref.company.Truth()))
}

func (s *system) lastRun(t *testing.T, tenant model.TenantKey) int64 {
	t.Helper()
	var id int64
	require.NoError(t, s.store.Pool().QueryRow(context.Background(),
		`SELECT coalesce(max(id), 0) FROM sync_runs WHERE tenant_key = $1`, tenant).Scan(&id))
	return id
}

func (s *system) hibobRow(t *testing.T, c *conn, h *badinput.HiBob, bug string) {
	ctx := context.Background()
	before := s.employees(t, c.tenant)
	prev := s.status(t, c.tenant).LastSync.RunID
	target := before[0].ID
	s.rw.set(c.user.ID, rewrite{answer: h.Answer, target: target})
	t.Cleanup(func() { s.rw.set(c.user.ID, rewrite{}) })

	code, _, raw := s.call(t, "POST", "/v1/connections/"+string(c.tenant)+"/sync", badinput.KeyBackend, "")
	require.Equal(t, 200, code, raw)

	if h.Failing {
		s.failingRow(t, c, h, before, prev)
		return
	}
	st := s.waitFor(t, c, "the sync", time.Minute, func(st workflows.Status) bool {
		return st.LastSync != nil && st.LastSync.RunID != prev && st.SyncingSince == nil
	})
	require.Equal(t, model.PhaseActive, st.Phase, "the sync did not finish: %+v", st)
	require.Positive(t, s.rw.count(c.user.ID), "HiBob's answers were never rewritten")
	require.Equal(t, "applied", st.LastSync.Outcome)
	run, err := s.store.Run(ctx, c.tenant, st.LastSync.RunID)
	require.NoError(t, err)
	s.serving(t)
	after := s.employees(t, c.tenant)

	if h.Rejection == "" {
		require.Empty(t, run.Rejections)
		require.Equal(t, 0, st.LastSync.Counts.Rejected)
		require.Equal(t, before, after, "the stored employees changed")
		for i, e := range after {
			require.Equal(t, before[i].ID, e.ID)
			require.True(t, hibob.ValidID(e.ID), e.ID)
		}
		return
	}
	want := model.Rejection{Reason: strings.ReplaceAll(h.Rejection, "<id>", target)}
	if h.RejectedID {
		want.EmployeeID = target
	}
	require.Equal(t, []model.Rejection{want}, run.Rejections)
	require.Equal(t, 1, st.LastSync.Counts.Rejected)
	require.Equal(t, 1, run.Counts.Rejected)
	require.Equal(t, len(before), run.Counts.Fetched)

	// Nothing stored is lost: the refused employee is still stored, as it was.
	require.Len(t, after, len(before))
	for i := range before {
		if before[i].ID == target && after[i].RemovedAt != nil && before[i].RemovedAt == nil {
			require.NotEmpty(t, bug, "the stored employee %s was removed", target)
			t.Skip("bug: " + bug)
		}
		require.Equal(t, before[i], after[i], "employee %s", before[i].ID)
	}
	require.Empty(t, bug, "the row's known bug did not show: it looks fixed, so drop Bug from the row in cases.go (and the README)")
}

// failingRow: HiBob keeps answering badly. The fetch is retried with the row's error, the
// sync does not finish, the stored employees are untouched and the API keeps serving. Then
// either HiBob recovers and the retry finishes the sync, or (fullRetry) the cycle fails.
func (s *system) failingRow(t *testing.T, c *conn, h *badinput.HiBob, before []store.StoredEmployee, prev int64) {
	ctx := context.Background()
	want := template(h.Retried, map[string]string{"<tenant>": string(c.tenant), "<base URL>": s.hibobURL})
	var last string
	for deadline := time.Now().Add(45 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		d, err := s.client.DescribeWorkflowExecution(ctx, workflows.WorkflowID(c.tenant), "")
		require.NoError(t, err)
		for _, a := range d.GetPendingActivities() {
			// Attempt 3 pending: the first attempt and its retry both failed.
			if f := a.GetLastFailure(); f != nil && a.GetAttempt() >= 3 {
				last = f.GetMessage()
			}
		}
		if want.MatchString(last) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the fetch was not retried with %q; last failure: %q", h.Retried, last)
		}
	}
	require.Contains(t, last, fmt.Sprintf("run %d:", s.lastRun(t, c.tenant)))
	require.GreaterOrEqual(t, s.rw.count(c.user.ID), 2, "HiBob's answers were not rewritten on both attempts")

	st := s.status(t, c.tenant)
	require.Equal(t, model.PhaseActive, st.Phase)
	require.NotNil(t, st.SyncingSince, "the sync should still be running, retrying")
	require.Equal(t, prev, st.LastSync.RunID)
	require.Equal(t, before, s.employees(t, c.tenant), "the stored employees changed while HiBob answered badly")
	s.serving(t)

	if fullRetry {
		st = s.waitFor(t, c, "sync_failing", 10*time.Minute, func(st workflows.Status) bool { return st.Phase == model.PhaseSyncFailing })
		require.Equal(t, 1, st.Failures)
		require.Equal(t, "failed", st.LastSync.Outcome)
		require.Regexp(t, `^The sync failed \(1 in a row\): `+want.String()[1:len(want.String())-1]+`\. The next sync is at `, st.LastError)
		require.Equal(t, before, s.employees(t, c.tenant), "the stored employees changed when the cycle failed")
		s.serving(t)
		s.rw.set(c.user.ID, rewrite{})
		code, _, raw := s.call(t, "POST", "/v1/connections/"+string(c.tenant)+"/sync", badinput.KeyBackend, "")
		require.Equal(t, 200, code, raw)
		prev = st.LastSync.RunID
	} else {
		s.rw.set(c.user.ID, rewrite{}) // HiBob recovers: the next attempt succeeds
	}
	st = s.waitFor(t, c, "the sync to finish once HiBob answers JSON again", 2*time.Minute, func(st workflows.Status) bool {
		return st.LastSync != nil && st.LastSync.RunID != prev && st.SyncingSince == nil
	})
	require.Equal(t, model.PhaseActive, st.Phase, "%+v", st)
	require.Equal(t, "applied", st.LastSync.Outcome)
	require.Empty(t, st.LastError)
	require.Equal(t, before, s.employees(t, c.tenant))
}

// template is a message with placeholders as a regexp: the given ones replaced, <run> and <n>
// any number.
func template(msg string, subs map[string]string) *regexp.Regexp {
	re := regexp.QuoteMeta(msg)
	for k, v := range subs {
		re = strings.ReplaceAll(re, regexp.QuoteMeta(k), regexp.QuoteMeta(v))
	}
	for _, k := range []string{"<n>", "<run>"} {
		re = strings.ReplaceAll(re, regexp.QuoteMeta(k), `\d+`)
	}
	return regexp.MustCompile("^" + re + "$")
}

// rewriter is the simulated HiBob with some service users' people searches answered badly.
type rewriter struct {
	sim     http.Handler
	mu      sync.Mutex
	answers map[string]rewrite // by service user ID
	spoiled map[string]int     // answers rewritten, by service user ID
}

type rewrite struct {
	answer badinput.Answer // "" answers as the simulator does
	target string          // the employee ID the answer spoils
}

// count is how many answers to user were rewritten.
func (rw *rewriter) count(user string) int {
	rw.mu.Lock()
	defer rw.mu.Unlock()
	return rw.spoiled[user]
}

func (rw *rewriter) spoil(user string) {
	rw.mu.Lock()
	defer rw.mu.Unlock()
	rw.spoiled[user]++
}

func (rw *rewriter) set(user string, r rewrite) {
	rw.mu.Lock()
	defer rw.mu.Unlock()
	rw.answers[user] = r
}

func (rw *rewriter) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	user, _, _ := r.BasicAuth()
	rw.mu.Lock()
	rr := rw.answers[user]
	rw.mu.Unlock()
	if rr.answer == "" || r.Method != http.MethodPost || r.URL.Path != "/v1/people/search" {
		rw.sim.ServeHTTP(w, r)
		return
	}
	if rr.answer == badinput.AnswerHTML {
		rw.spoil(user)
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.WriteHeader(http.StatusOK)
		_, _ = io.WriteString(w, "<!DOCTYPE html><html><head><title>Bob</title></head><body><div id=\"app\"></div></body></html>\n")
		return
	}
	reqBody, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	fetch := bytes.Contains(reqBody, []byte(`"filters"`)) // the listing asks for everyone, a fetch filters by ID
	r.Body = io.NopCloser(bytes.NewReader(reqBody))
	rec := httptest.NewRecorder()
	rw.sim.ServeHTTP(rec, r)
	body := rec.Body.Bytes()
	orig := string(body)
	if rec.Code == http.StatusOK {
		switch rr.answer {
		case badinput.AnswerTruncated:
			body = body[:len(body)/2]
		case badinput.AnswerNumericID:
			body = numericIDs.ReplaceAll(body, []byte(`"$1":$2`))
		case badinput.AnswerNoID, badinput.AnswerDuplicate, badinput.AnswerBadDate:
			if fetch {
				body = spoil(body, rr)
			}
		}
	}
	if string(body) != orig {
		rw.spoil(user)
	}
	for k, v := range rec.Header() {
		w.Header()[k] = v
	}
	w.Header().Del("Content-Length")
	w.WriteHeader(rec.Code)
	_, _ = w.Write(body)
}

// numericIDs finds 19-digit IDs written as strings: "id" and the slash keys' "value".
var numericIDs = regexp.MustCompile(`"(id|value)"\s*:\s*"([0-9]{19})"`)

// spoil rewrites the target employee of a people search answer.
func spoil(body []byte, rr rewrite) []byte {
	var doc struct {
		Employees []map[string]json.RawMessage `json:"employees"`
	}
	if err := json.Unmarshal(body, &doc); err != nil {
		panic(fmt.Sprintf("badinput: the simulator's answer is not JSON: %v", err))
	}
	for i, e := range doc.Employees {
		var id string
		if json.Unmarshal(e["id"], &id) != nil || id != rr.target {
			continue
		}
		switch rr.answer {
		case badinput.AnswerNoID:
			delete(e, "id")
			delete(e, "/root/id")
		case badinput.AnswerBadDate:
			var work map[string]json.RawMessage
			if json.Unmarshal(e["work"], &work) == nil && work != nil {
				work["startDate"] = json.RawMessage(`"2023-02-30"`)
				e["work"] = mustJSON(work)
			}
			if _, ok := e["/work/startDate"]; ok {
				e["/work/startDate"] = json.RawMessage(`{"value":"2023-02-30"}`)
			}
		case badinput.AnswerDuplicate:
			cp := make(map[string]json.RawMessage, len(e))
			for k, v := range e {
				cp[k] = v
			}
			cp["firstName"] = json.RawMessage(`"Impostor"`)
			if _, ok := cp["/root/firstName"]; ok {
				cp["/root/firstName"] = json.RawMessage(`{"value":"Impostor"}`)
			}
			doc.Employees = append(doc.Employees, cp)
		}
		doc.Employees[i] = e
		break
	}
	return mustJSON(doc)
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}
