package hibob_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
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
			// The two reads alternate, so that the machine's noise falls on both alike.
			var ours, baseline time.Duration
			reads := 0
			for b.Loop() {
				start := time.Now()
				if n, err := bc.read(c); err != nil || n == 0 {
					b.Fatalf("%d rows, %v", n, err)
				}
				ours += time.Since(start)
				start = time.Now()
				readGeneric(b, srv.URL)
				baseline += time.Since(start)
				reads++
			}
			ratio := ours.Seconds() / baseline.Seconds()
			b.ReportMetric(ratio, "×encoding/json")
			fmt.Printf("%-12s %8d bytes  hibob client %7.2f ms  encoding/json into map[string]any %7.2f ms  ratio %.2f×\n",
				bc.name, len(bc.body), ms(ours, reads), ms(baseline, reads), ratio)
		})
	}
}

// readGeneric is the baseline: the same exchange, its body decoded by encoding/json into generic
// values.
func readGeneric(b *testing.B, url string) {
	resp, err := http.Post(url, "application/json", bytes.NewReader([]byte(`{}`)))
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

func ms(total time.Duration, n int) float64 { return total.Seconds() * 1000 / float64(n) }

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
