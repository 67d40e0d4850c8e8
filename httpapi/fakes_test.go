package httpapi

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"hibobsync/model"
	"hibobsync/starter"
	"hibobsync/store"
	"hibobsync/systemtest"
	"hibobsync/workflows"
)

// fakeConns stands in for *starter.Starter: it records every call and answers with err when
// set, else with a canned answer.
type fakeConns struct {
	mu      sync.Mutex
	calls   []string
	err     error
	connect starter.ConnectRequest
	conn    starter.Connection
	list    []starter.ConnectionSummary
}

func (f *fakeConns) record(format string, args ...any) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, fmt.Sprintf(format, args...))
	return f.err
}

func (f *fakeConns) lastCall() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.calls) == 0 {
		return ""
	}
	return f.calls[len(f.calls)-1]
}

func (f *fakeConns) ackOf(what string, err error) (workflows.Ack, error) {
	if err != nil {
		return workflows.Ack{}, err
	}
	return workflows.Ack{Phase: model.PhaseActive, Message: what + " accepted"}, nil
}

func (f *fakeConns) Connect(ctx context.Context, r starter.ConnectRequest) (starter.Connection, error) {
	err := f.record("Connect %s %s %s", r.Company, r.ServiceUserID, r.SyncInterval)
	f.mu.Lock()
	f.connect = r
	f.mu.Unlock()
	if err != nil {
		return starter.Connection{}, err
	}
	if f.conn.Tenant != "" {
		return f.conn, nil
	}
	key, reconnect, _ := model.TenantKeyOf(r.Company)
	return starter.Connection{Tenant: key, Company: r.Company, CredentialVersion: 1, Reconnect: reconnect, Started: true,
		Ack: workflows.Ack{Phase: model.PhaseValidatingCredentials, Message: "checking credentials version 1"}}, nil
}

func (f *fakeConns) UpdateCredentials(ctx context.Context, t model.TenantKey, id, token string) (workflows.Ack, error) {
	return f.ackOf("credentials", f.record("UpdateCredentials %s %s", t, id))
}
func (f *fakeConns) RecheckPermissions(ctx context.Context, t model.TenantKey) (workflows.Ack, error) {
	return f.ackOf("recheck", f.record("RecheckPermissions %s", t))
}
func (f *fakeConns) SyncNow(ctx context.Context, t model.TenantKey) (workflows.Ack, error) {
	return f.ackOf("sync", f.record("SyncNow %s", t))
}
func (f *fakeConns) Pause(ctx context.Context, t model.TenantKey) (workflows.Ack, error) {
	return f.ackOf("pause", f.record("Pause %s", t))
}
func (f *fakeConns) Resume(ctx context.Context, t model.TenantKey) (workflows.Ack, error) {
	return f.ackOf("resume", f.record("Resume %s", t))
}
func (f *fakeConns) Disconnect(ctx context.Context, t model.TenantKey) (workflows.Ack, error) {
	return f.ackOf("disconnect", f.record("Disconnect %s", t))
}
func (f *fakeConns) Approve(ctx context.Context, t model.TenantKey, reviewer, note string) (workflows.Ack, error) {
	return f.ackOf("approve", f.record("Approve %s %s %s", t, reviewer, note))
}
func (f *fakeConns) Reject(ctx context.Context, t model.TenantKey, reviewer, reason string) (workflows.Ack, error) {
	return f.ackOf("reject", f.record("Reject %s %s %s", t, reviewer, reason))
}
func (f *fakeConns) Status(ctx context.Context, t model.TenantKey) (workflows.Status, error) {
	if err := f.record("Status %s", t); err != nil {
		return workflows.Status{}, err
	}
	return workflows.Status{Tenant: t, Company: "Acme", Phase: model.PhaseAwaitingReview, Description: "Acme (acme) is awaiting_review.",
		CredentialVersion: 2, SyncInterval: 6 * time.Hour}, nil
}
func (f *fakeConns) ListConnections(ctx context.Context, p model.Phase) ([]starter.ConnectionSummary, error) {
	if err := f.record("ListConnections %s", p); err != nil {
		return nil, err
	}
	return f.list, nil
}

// fakeFeed stands in for *store.Store.
type fakeFeed struct {
	mu        sync.Mutex
	calls     []string
	err       error
	employees []store.StoredEmployee
	changes   []model.Change
}

func (f *fakeFeed) record(format string, args ...any) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, fmt.Sprintf(format, args...))
	return f.err
}

func (f *fakeFeed) lastCall() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.calls) == 0 {
		return ""
	}
	return f.calls[len(f.calls)-1]
}

func (f *fakeFeed) Employees(ctx context.Context, t model.TenantKey, q store.EmployeeQuery) ([]store.StoredEmployee, error) {
	if err := f.record("Employees %s removed=%t after=%q limit=%d", t, q.IncludeRemoved, q.AfterID, q.Limit); err != nil {
		return nil, err
	}
	var out []store.StoredEmployee
	for _, e := range f.employees {
		if e.ID > q.AfterID && (q.IncludeRemoved || e.RemovedAt == nil) && len(out) < q.Limit {
			out = append(out, e)
		}
	}
	return out, nil
}

func (f *fakeFeed) Employee(ctx context.Context, t model.TenantKey, id string) (store.StoredEmployee, error) {
	if err := f.record("Employee %s %s", t, id); err != nil {
		return store.StoredEmployee{}, err
	}
	for _, e := range f.employees {
		if e.ID == id {
			return e, nil
		}
	}
	return store.StoredEmployee{}, fmt.Errorf("store: tenant %q has no employee %s: %w", t, id, store.ErrUnknownEmployee)
}

func (f *fakeFeed) Changes(ctx context.Context, t model.TenantKey, after int64, limit int) ([]model.Change, int64, error) {
	if err := f.record("Changes %s after=%d limit=%d", t, after, limit); err != nil {
		return nil, after, err
	}
	var out []model.Change
	next := after
	for _, c := range f.changes {
		if c.Cursor > after && len(out) < limit {
			out = append(out, c)
			next = c.Cursor
		}
	}
	return out, next, nil
}

var testKeys = Keys{Backend: "backend-key-0123456789abcdef", Support: "support-key-fedcba9876543210"}

// harness is the API over real HTTP on fakes, with its logs captured.
type harness struct {
	t     *testing.T
	url   string
	conns *fakeConns
	feed  *fakeFeed
	logs  *systemtest.LogBuffer
	srv   *Server
}

func newHarness(t *testing.T, checks ...Check) *harness {
	t.Helper()
	logs := &systemtest.LogBuffer{}
	logger := zap.New(zapcore.NewCore(zapcore.NewJSONEncoder(zap.NewProductionEncoderConfig()), zapcore.AddSync(logs), zapcore.DebugLevel))
	h := &harness{t: t, conns: &fakeConns{}, feed: &fakeFeed{}, logs: logs}
	srv, err := New(h.conns, h.feed, testKeys, logger, checks...)
	require.NoError(t, err)
	h.srv = srv
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	h.url = ts.URL
	return h
}

// response is an answer, its JSON body decoded loosely.
type response struct {
	status int
	header http.Header
	raw    string
	body   map[string]any
}

func (r response) str(key string) string {
	s, _ := r.body[key].(string)
	return s
}

func (h *harness) do(method, path, key, body string) response {
	h.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, h.url+path, rd)
	require.NoError(h.t, err)
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(h.t, err)
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	require.NoError(h.t, err)
	out := response{status: resp.StatusCode, header: resp.Header, raw: string(raw)}
	if len(raw) > 0 && method != http.MethodHead {
		require.NoError(h.t, json.Unmarshal(raw, &out.body), "not JSON: %s", raw)
	}
	return out
}
