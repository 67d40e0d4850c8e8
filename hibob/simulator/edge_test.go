package simulator

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestUnauthorizedHasEmptyBodyAndRateHeaders(t *testing.T) {
	f := newFixture(t, 5, Options{})
	bad := ServiceUser{ID: f.su.ID, Token: "wrong"}
	for _, su := range []*ServiceUser{nil, &bad, {ID: "SERVICE-00000", Token: f.su.Token}} {
		r := f.do(su, "POST", "/v1/people/search", `{}`)
		if r.status != 401 || len(r.body) != 0 {
			t.Fatalf("%v: %d %q", su, r.status, r.body)
		}
		for _, h := range []string{"X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset"} {
			if r.header.Get(h) == "" {
				t.Fatalf("401 lacks %s", h)
			}
		}
	}
	if err := f.co.RevokeToken(f.su.ID); err != nil {
		t.Fatal(err)
	}
	if r := f.do(&f.su, "GET", "/v1/company/people/fields", ""); r.status != 401 {
		t.Fatalf("revoked token: %d", r.status)
	}
	su, err := f.co.RotateToken(f.su.ID)
	if err != nil || su.Token == f.su.Token {
		t.Fatal("rotate gave the old token", err)
	}
	if r := f.do(&su, "GET", "/v1/company/people/fields", ""); r.status != 200 {
		t.Fatalf("rotated token: %d", r.status)
	}
	if r := f.do(&f.su, "GET", "/v1/company/people/fields", ""); r.status != 401 {
		t.Fatalf("old token after rotation: %d", r.status)
	}
	if err := f.co.Grant("SERVICE-1", "Work", false); !errors.Is(err, ErrUnknownServiceUser) {
		t.Fatalf("grant to unknown user: %v", err)
	}
}

func TestUnknownPathsAnswerHTML(t *testing.T) {
	f := newFixture(t, 5, Options{})
	for _, p := range []string{"/v1/people/123/variables", "/v1/people", "/", "/v1/bulk/people/salaries", "/v1/company/people/fields/"} {
		r := f.do(&f.su, "GET", p, "")
		if r.status != 200 || !strings.HasPrefix(r.header.Get("Content-Type"), "text/html") || !strings.Contains(string(r.body), "<html") {
			t.Fatalf("%s: %d %s", p, r.status, r.header.Get("Content-Type"))
		}
	}
}

func TestFieldsMetadata(t *testing.T) {
	f := newFixture(t, 5, Options{})
	su := f.co.AddServiceUser(PermissionGroup{}) // no permissions needed (§4.1)
	r := f.do(&su, "GET", "/v1/company/people/fields", "")
	var items []map[string]any
	r.json(t, &items)
	ids := map[string]map[string]any{}
	for _, it := range items {
		if len(it) != 10 {
			t.Fatalf("field item has %d keys: %v", len(it), it)
		}
		ids[it["id"].(string)] = it
	}
	for _, id := range []string{"root.id", "root.email", "personal.shortBirthDate", "home.privateEmail", "address.siteCountry", "work.reportsTo", "payroll.employment.contract", "internal.lifecycleStatus", "employee.lastDayOfWork", "identification.ssn"} {
		if ids[id] == nil {
			t.Fatalf("metadata lacks %s", id)
		}
	}
	if ids["root.email"]["jsonPath"] != "email" || ids["home.privateEmail"]["categoryId"] != "personalContact" ||
		ids["address.country"]["typeData"].(map[string]any)["listId"] != "countries" {
		t.Fatalf("metadata details: %v %v", ids["root.email"], ids["home.privateEmail"])
	}
}

func TestRateLimit(t *testing.T) {
	f := newFixture(t, 5, Options{Window: time.Second, Limits: map[Endpoint]int{EndpointFields: 3}})
	for i := 0; i < 3; i++ {
		r := f.do(&f.su, "GET", "/v1/company/people/fields", "")
		if r.status != 200 || r.header.Get("X-RateLimit-Remaining") != strconv.Itoa(2-i) || r.header.Get("X-RateLimit-Limit") != "3" {
			t.Fatalf("request %d: %d remaining %s", i, r.status, r.header.Get("X-RateLimit-Remaining"))
		}
	}
	r := f.do(&f.su, "GET", "/v1/company/people/fields", "")
	if r.status != 429 || r.header.Get("X-RateLimit-Remaining") != "0" || r.header.Get("Retry-After") != "" {
		t.Fatalf("4th request: %d %v", r.status, r.header)
	}
	var e struct{ Key, Error string }
	r.json(t, &e)
	reset, _ := strconv.ParseInt(r.header.Get("X-RateLimit-Reset"), 10, 64)
	if reset != testDay.Unix()+1 {
		t.Fatalf("reset %d, want %d", reset, testDay.Unix()+1)
	}
	// Other endpoints and other service users have their own buckets; search is unlimited here.
	other := f.co.AddServiceUser(FullAccess())
	if r := f.do(&other, "GET", "/v1/company/people/fields", ""); r.status != 200 {
		t.Fatalf("other user: %d", r.status)
	}
	if r := f.do(&f.su, "POST", "/v1/people/search", `{"fields":["root.id"]}`); r.status != 200 || r.header.Get("X-RateLimit-Limit") != "" {
		t.Fatalf("unlimited endpoint: %d %v", r.status, r.header)
	}
	f.clock.Advance(time.Second)
	if r := f.do(&f.su, "GET", "/v1/company/people/fields", ""); r.status != 200 {
		t.Fatalf("after reset: %d", r.status)
	}
	s := f.srv.Stats()
	if s.RateLimited != 1 || s.ByEndpointStatus[EndpointFields][429] != 1 || s.ByServiceUser[f.su.ID] != 6 {
		t.Fatalf("stats: %+v", s)
	}
	f.srv.SetLimit(EndpointSearch, 1)
	f.do(&f.su, "POST", "/v1/people/search", `{}`)
	if r := f.do(&f.su, "POST", "/v1/people/search", `{}`); r.status != 429 {
		t.Fatalf("SetLimit: %d", r.status)
	}
}

func TestRetryAfterOption(t *testing.T) {
	f := newFixture(t, 1, Options{SendRetryAfter: true, Limits: map[Endpoint]int{EndpointFields: 1}})
	f.do(&f.su, "GET", "/v1/company/people/fields", "")
	if r := f.do(&f.su, "GET", "/v1/company/people/fields", ""); r.status != 429 || r.header.Get("Retry-After") == "" {
		t.Fatalf("%d %v", r.status, r.header)
	}
}

func TestWAFBlocksRepeated401(t *testing.T) {
	f := newFixture(t, 5, Options{Limits: map[Endpoint]int{}})
	bad := ServiceUser{ID: f.su.ID, Token: "nope"}
	for i := 0; i < 50; i++ {
		if r := f.do(&bad, "GET", "/v1/company/people/fields", ""); r.status != 401 {
			t.Fatalf("attempt %d: %d", i, r.status)
		}
	}
	r := f.do(&f.su, "GET", "/v1/company/people/fields", "") // same IP, good credentials
	if r.status != 403 || !strings.HasPrefix(r.header.Get("Content-Type"), "text/html") {
		t.Fatalf("after 50 401s: %d %s", r.status, r.header.Get("Content-Type"))
	}
	if s := f.srv.Stats(); s.WAFBlocks != 1 || s.Unauthorized != 50 {
		t.Fatalf("stats %+v", s)
	}
	f.clock.Advance(5*time.Minute + time.Second)
	if r := f.do(&f.su, "GET", "/v1/company/people/fields", ""); r.status != 200 {
		t.Fatalf("after the block: %d", r.status)
	}
}

func TestWAFBlocksRepeated403PerHeader(t *testing.T) {
	f := newFixture(t, 5, Options{Limits: map[Endpoint]int{}, WAF: WAFOptions{Threshold: 5}})
	g := FullAccess()
	g.View = nil
	su := f.co.AddServiceUser(g)
	for i := 0; i < 5; i++ {
		if r := f.do(&su, "GET", "/v1/bulk/people/work", ""); r.status != 403 || !strings.Contains(r.header.Get("Content-Type"), "json") {
			t.Fatalf("attempt %d: %d", i, r.status)
		}
	}
	if r := f.do(&su, "GET", "/v1/company/people/fields", ""); r.status != 403 || !strings.HasPrefix(r.header.Get("Content-Type"), "text/html") {
		t.Fatalf("blocked header: %d", r.status)
	}
	if r := f.do(&f.su, "GET", "/v1/company/people/fields", ""); r.status != 200 {
		t.Fatalf("another header from the same IP: %d", r.status)
	}
}

func TestFaults(t *testing.T) {
	f := newFixture(t, 30, Options{Limits: map[Endpoint]int{}})
	body := `{"fields":["root.id","root.email"],"showInactive":true}`

	f.srv.SetFaults(Faults{ErrorRate: 1, Seed: 1})
	codes := map[int]bool{}
	for i := 0; i < 30; i++ {
		codes[f.do(&f.su, "POST", "/v1/people/search", body).status] = true
	}
	if !codes[500] || !codes[502] || !codes[503] || len(codes) != 3 {
		t.Fatalf("error statuses %v", codes)
	}

	f.srv.SetFaults(Faults{TruncateRate: 1, Seed: 2})
	r := f.do(&f.su, "POST", "/v1/people/search", body)
	var v any
	if r.status != 200 || r.header.Get("Content-Type") != "application/json" || len(r.body) == 0 || jsonValid(r.body, &v) {
		t.Fatalf("truncated: %d %q", r.status, r.body)
	}

	f.srv.SetFaults(Faults{ResetRate: 1, Seed: 3})
	req, _ := http.NewRequest("POST", f.ts.URL+"/v1/people/search", strings.NewReader(body))
	req.SetBasicAuth(f.su.ID, f.su.Token)
	if resp, err := f.ts.Client().Do(req); err == nil {
		resp.Body.Close()
		t.Fatalf("reset: got a response %d", resp.StatusCode)
	}

	f.srv.SetFaults(Faults{Latency: 150 * time.Millisecond})
	start := time.Now()
	if r := f.do(&f.su, "GET", "/v1/company/people/fields", ""); r.status != 200 || time.Since(start) < 150*time.Millisecond {
		t.Fatalf("latency: %d after %v", r.status, time.Since(start))
	}

	f.srv.SetFaults(Faults{})
	if r := f.do(&f.su, "POST", "/v1/people/search", body); r.status != 200 || !jsonValid(r.body, &v) {
		t.Fatalf("faults off: %d", r.status)
	}
	fc := f.srv.Stats().Faults
	if fc.Errors != 30 || fc.Truncated != 1 || fc.Resets < 1 || fc.Delayed != 1 {
		t.Fatalf("fault stats %+v", fc)
	}
	// Unauthenticated requests are never faulted.
	f.srv.SetFaults(Faults{ErrorRate: 1})
	if r := f.do(nil, "GET", "/v1/company/people/fields", ""); r.status != 401 {
		t.Fatalf("unauthenticated under faults: %d", r.status)
	}
}

func TestFaultedBulkPageCanBeRetried(t *testing.T) {
	f := newFixture(t, 30, Options{Limits: map[Endpoint]int{}})
	_, p := f.bulk(&f.su, "lifecycle", "limit=5")
	q := "limit=5&cursor=" + urlEscape(*p.Metadata.NextCursor)
	f.srv.SetFaults(Faults{TruncateRate: 1})
	if r := f.do(&f.su, "GET", "/v1/bulk/people/lifecycle?"+q, ""); r.status != 200 {
		t.Fatalf("truncated page: %d", r.status)
	}
	f.srv.SetFaults(Faults{})
	if r, _ := f.bulk(&f.su, "lifecycle", q); r.status != 200 {
		t.Fatalf("retry after truncation: %d %s", r.status, r.body)
	}
}
