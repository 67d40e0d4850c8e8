package simulator

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func searchBody(b testing.TB, ts *httptest.Server, su ServiceUser, body string) []byte {
	req, _ := http.NewRequest("POST", ts.URL+"/v1/people/search", strings.NewReader(body))
	req.SetBasicAuth(su.ID, su.Token)
	resp, err := ts.Client().Do(req)
	if err != nil {
		b.Fatal(err)
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != 200 {
		b.Fatalf("status %d: %v", resp.StatusCode, err)
	}
	return out
}

// A 100,000-employee tenant generates and a full unfiltered search over it answers in one
// streamed response.
func TestHundredThousandEmployees(t *testing.T) {
	start := time.Now()
	s := New(Options{Clock: func() time.Time { return testDay }, Limits: map[Endpoint]int{}})
	co := s.AddCompany("Big Corp", 100_000, 1)
	su := co.AddServiceUser(FullAccess())
	gen := time.Since(start)
	ts := httptest.NewServer(s)
	defer ts.Close()

	start = time.Now()
	body := searchBody(t, ts, su, `{"fields":["root.id","root.email","personal.shortBirthDate","work.startDate","internal.lifecycleStatus"],"showInactive":true,"humanReadable":"APPEND"}`)
	search := time.Since(start)
	if n := bytes.Count(body, []byte(`"/root/id":`)); n != 100_000 {
		t.Fatalf("%d employees in the response", n)
	}
	if !json.Valid(body) {
		t.Fatal("response is not valid JSON")
	}
	t.Logf("generate %v, search %v (%d MB)", gen, search, len(body)>>20)
}

func BenchmarkGenerate100k(b *testing.B) {
	s := New(Options{Clock: func() time.Time { return testDay }})
	for b.Loop() {
		s.AddCompany("Big Corp", 100_000, 1)
	}
}

func BenchmarkSearch100k(b *testing.B) {
	s := New(Options{Clock: func() time.Time { return testDay }, Limits: map[Endpoint]int{}})
	co := s.AddCompany("Big Corp", 100_000, 1)
	su := co.AddServiceUser(FullAccess())
	ts := httptest.NewServer(s)
	defer ts.Close()
	for b.Loop() {
		body := searchBody(b, ts, su, `{"fields":`+giftingFields+`,"showInactive":true,"humanReadable":"APPEND"}`)
		b.SetBytes(int64(len(body)))
	}
}
