package simulator

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"testing"
	"time"
)

var testDay = time.Date(2026, 10, 15, 9, 30, 0, 0, time.UTC)

type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *testClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

type fixture struct {
	t     *testing.T
	clock *testClock
	srv   *Server
	co    *Company
	su    ServiceUser
	ts    *httptest.Server
}

func newFixture(t *testing.T, employees int, opts Options) *fixture {
	t.Helper()
	f := &fixture{t: t, clock: &testClock{t: testDay}}
	if opts.Clock == nil {
		opts.Clock = f.clock.Now
	}
	f.srv = New(opts)
	f.co = f.srv.AddCompany("Acme Ltd", employees, 7)
	f.su = f.co.AddServiceUser(FullAccess())
	f.ts = httptest.NewServer(f.srv)
	t.Cleanup(f.ts.Close)
	return f
}

type reply struct {
	status int
	header http.Header
	body   []byte
}

func (r reply) json(t *testing.T, v any) {
	t.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("status %d, body %.300q is not JSON: %v", r.status, r.body, err)
	}
}

func (f *fixture) do(su *ServiceUser, method, path string, body string, hdr ...string) reply {
	f.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = bytes.NewBufferString(body)
	}
	req, err := http.NewRequest(method, f.ts.URL+path, rd)
	if err != nil {
		f.t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	if su != nil {
		req.SetBasicAuth(su.ID, su.Token)
	}
	resp, err := f.ts.Client().Do(req)
	if err != nil {
		f.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		f.t.Fatalf("%s %s: read body: %v", method, path, err)
	}
	return reply{resp.StatusCode, resp.Header, b}
}

// search posts a people search as the fixture's full-access user and decodes the employees.
func (f *fixture) search(su *ServiceUser, body string) []map[string]any {
	f.t.Helper()
	r := f.do(su, "POST", "/v1/people/search", body)
	if r.status != 200 {
		f.t.Fatalf("search %s: status %d %s", body, r.status, r.body)
	}
	var out struct {
		Employees []map[string]any `json:"employees"`
	}
	r.json(f.t, &out)
	return out.Employees
}

func byID(emps []map[string]any) map[string]map[string]any {
	m := map[string]map[string]any{}
	for _, e := range emps {
		m[e["id"].(string)] = e
	}
	return m
}

// nested reads a dotted path from the nested form of an employee; ok false when absent.
func nested(e map[string]any, path ...string) (any, bool) {
	var cur any = e
	for _, p := range path {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil, false
		}
		cur, ok = m[p]
		if !ok {
			return nil, false
		}
	}
	return cur, true
}

func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(b)
}

func jsonValid(b []byte, v any) bool { return json.Unmarshal(b, v) == nil }

func urlEscape(s string) string { return url.QueryEscape(s) }
