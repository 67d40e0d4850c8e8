package simulator

import (
	"bytes"
	"math/rand/v2"
	"net"
	"net/http"
	"sync"
	"time"
)

// faultInjector decides, request by request, which fault to inject. One PCG stream seeded from
// Faults.Seed, drawn under a lock, makes a sequential test see the same faults every run.
type faultInjector struct {
	mu  sync.Mutex
	f   Faults
	rng *rand.Rand
}

type faultPlan struct {
	latency   time.Duration
	reset     bool
	errStatus int
	truncate  bool
	cut       float64 // share of the body kept when truncating
}

func (fi *faultInjector) set(f Faults) {
	fi.mu.Lock()
	defer fi.mu.Unlock()
	fi.f = f
	fi.rng = newRand(f.Seed, 3)
}

func (fi *faultInjector) get() Faults {
	fi.mu.Lock()
	defer fi.mu.Unlock()
	return fi.f
}

func (fi *faultInjector) plan() faultPlan {
	fi.mu.Lock()
	defer fi.mu.Unlock()
	if fi.rng == nil {
		return faultPlan{}
	}
	p := faultPlan{latency: fi.f.Latency}
	// Always draw the same number of values so one rate does not shift the others' choices.
	reset, fail, trunc, which, cut := fi.rng.Float64(), fi.rng.Float64(), fi.rng.Float64(), fi.rng.IntN(3), fi.rng.Float64()
	switch {
	case reset < fi.f.ResetRate:
		p.reset = true
	case fail < fi.f.ErrorRate:
		p.errStatus = []int{http.StatusInternalServerError, http.StatusBadGateway, http.StatusServiceUnavailable}[which]
	case trunc < fi.f.TruncateRate:
		p.truncate = true
		p.cut = 0.1 + 0.8*cut
	}
	return p
}

func (fi *faultInjector) serve(w http.ResponseWriter, r *http.Request, stats *statsBook, h func(http.ResponseWriter, faultPlan)) {
	p := fi.plan()
	if p.latency > 0 {
		stats.fault(func(c *FaultCounts) { c.Delayed++ })
		t := time.NewTimer(p.latency)
		select {
		case <-t.C:
		case <-r.Context().Done():
			t.Stop()
			return
		}
	}
	switch {
	case p.reset:
		stats.fault(func(c *FaultCounts) { c.Resets++ })
		resetConnection(w)
	case p.errStatus == http.StatusInternalServerError:
		stats.fault(func(c *FaultCounts) { c.Errors++ })
		writeError(w, p.errStatus, "internal.server.error", "Internal server error")
	case p.errStatus != 0:
		stats.fault(func(c *FaultCounts) { c.Errors++ })
		writeHTML(w, p.errStatus, "<html><head><title>"+http.StatusText(p.errStatus)+"</title></head><body><h1>"+http.StatusText(p.errStatus)+"</h1></body></html>\n")
	case p.truncate:
		buf := &bufferedWriter{header: w.Header()}
		h(buf, p)
		body := buf.body.Bytes()
		if buf.code() == http.StatusOK && len(body) > 1 {
			stats.fault(func(c *FaultCounts) { c.Truncated++ })
			body = body[:max(1, int(float64(len(body))*p.cut))]
		}
		w.WriteHeader(buf.code())
		_, _ = w.Write(body)
	default:
		h(w, p)
	}
}

// resetConnection drops the TCP connection with an RST and no response at all.
func resetConnection(w http.ResponseWriter) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		panic(http.ErrAbortHandler) // HTTP/2: abort the stream instead
	}
	if tc, ok := conn.(*net.TCPConn); ok {
		_ = tc.SetLinger(0)
	}
	_ = conn.Close()
}

type bufferedWriter struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (b *bufferedWriter) Header() http.Header { return b.header }
func (b *bufferedWriter) WriteHeader(code int) {
	if b.status == 0 {
		b.status = code
	}
}
func (b *bufferedWriter) Write(p []byte) (int, error) { return b.body.Write(p) }
func (b *bufferedWriter) code() int {
	if b.status == 0 {
		return http.StatusOK
	}
	return b.status
}
