package hibob_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"hibobsync/hibob"
	"hibobsync/hibob/simulator"
	"hibobsync/model"
)

// The cost of reading what a sync reads, without the simulator's own cost: one batch of 200
// employees and one history page of 200 employees are recorded from the simulator once, then
// served as they are while the client fetches and reads them. Beside each, the baseline: the
// same exchange read by encoding/json into generic values (map[string]any), which reads the
// body and nothing more — no field rules, no checks, no copies kept.
func BenchmarkDecode(b *testing.B) {
	sim := simulator.New(simulator.Options{Limits: map[simulator.Endpoint]int{}})
	co := sim.AddCompany("Decode Co", 2_000, 7)
	su := co.AddServiceUser(simulator.FullAccess())
	live := httptest.NewServer(sim)
	defer live.Close()

	var body []byte
	record := &recordingTransport{base: http.DefaultTransport, last: &body}
	c, err := hibob.New(hibob.NewCredentials(su.ID, su.Token), hibob.WithBaseURL(live.URL+"/v1"),
		hibob.WithPacer(nil), hibob.WithHTTPClient(&http.Client{Transport: record}))
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	ids := co.EmployeeIDs()[:hibob.MaxBatch]
	if _, err := c.FetchEmployees(ctx, ids); err != nil {
		b.Fatal(err)
	}
	searchBody := bytes.Clone(body)
	if _, err := c.HistoryPage(ctx, model.Work, hibob.HistoryQuery{Limit: hibob.MaxHistoryLimit}); err != nil {
		b.Fatal(err)
	}
	historyBody := bytes.Clone(body)

	for _, bc := range []struct {
		name string
		body []byte
		read func(*hibob.Client) (int, error)
	}{
		{"search200", searchBody, func(c *hibob.Client) (int, error) {
			batch, err := c.FetchEmployees(ctx, ids)
			return len(batch.Employees), err
		}},
		{"history200", historyBody, func(c *hibob.Client) (int, error) {
			page, err := c.HistoryPage(ctx, model.Work, hibob.HistoryQuery{Limit: hibob.MaxHistoryLimit})
			return len(page.Entries), err
		}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			srv := httptest.NewServer(serveJSON(http.StatusOK, bc.body))
			defer srv.Close()
			c, err := hibob.New(hibob.NewCredentials(su.ID, su.Token), hibob.WithBaseURL(srv.URL+"/v1"), hibob.WithPacer(nil))
			if err != nil {
				b.Fatal(err)
			}
			b.SetBytes(int64(len(bc.body)))
			b.ReportAllocs()
			start := time.Now()
			rows := 0
			for b.Loop() {
				n, err := bc.read(c)
				if err != nil || n == 0 {
					b.Fatalf("%d rows, %v", n, err)
				}
				rows += n
			}
			b.ReportMetric(float64(rows)/time.Since(start).Seconds(), "rows/s")
		})
		b.Run(bc.name+"/baseline-encoding-json", func(b *testing.B) {
			srv := httptest.NewServer(serveJSON(http.StatusOK, bc.body))
			defer srv.Close()
			b.SetBytes(int64(len(bc.body)))
			b.ReportAllocs()
			for b.Loop() {
				resp, err := http.Post(srv.URL, "application/json", bytes.NewReader([]byte(`{}`)))
				if err != nil {
					b.Fatal(err)
				}
				raw, err := io.ReadAll(resp.Body)
				resp.Body.Close()
				var doc map[string]any
				if err != nil || json.Unmarshal(raw, &doc) != nil || len(doc) == 0 {
					b.Fatalf("baseline read: %v", err)
				}
			}
		})
	}
}

// recordingTransport keeps the last response body it carried.
type recordingTransport struct {
	base http.RoundTripper
	last *[]byte
}

func (t *recordingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := t.base.RoundTrip(r)
	if err != nil {
		return resp, err
	}
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	*t.last = b
	resp.Body = io.NopCloser(bytes.NewReader(b))
	return resp, err
}
