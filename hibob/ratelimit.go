package hibob

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"hibobsync/model"
)

// Endpoint names a HiBob endpoint as "METHOD /path", with path parameters left as templates.
// HiBob's rate limits are per endpoint, so the client tracks and paces by Endpoint.
type Endpoint string

const (
	EndpointFields         Endpoint = "GET /company/people/fields"
	EndpointSearch         Endpoint = "POST /people/search"
	EndpointReadEmployee   Endpoint = "POST /people/{identifier}"
	EndpointBulkLifecycle  Endpoint = "GET /bulk/people/lifecycle"
	EndpointBulkWork       Endpoint = "GET /bulk/people/work"
	EndpointBulkEmployment Endpoint = "GET /bulk/people/employment"
)

// HistoryEndpoint is the bulk endpoint that serves table t.
func HistoryEndpoint(t model.HistoryTable) Endpoint {
	return Endpoint("GET /bulk/people/" + string(t))
}

// RateLimit is what HiBob's X-RateLimit-* headers said about one endpoint's budget.
type RateLimit struct {
	Limit, Remaining int
	// Reset is when the budget refills (X-RateLimit-Reset, Unix seconds).
	Reset time.Time
}

// smallestEpoch separates Unix timestamps from "seconds from now": no real reset lies before
// 2001, so a smaller X-RateLimit-Reset can only be a delay.
const smallestEpoch = 1_000_000_000

// parseRateLimit reads the X-RateLimit-* headers. ok is false when none could be read;
// hasReset says whether Remaining and Reset both came from the response.
func parseRateLimit(h http.Header, now time.Time) (rl RateLimit, ok, hasReset bool) {
	limit, okL := headerInt(h, "X-RateLimit-Limit")
	rem, okR := headerInt(h, "X-RateLimit-Remaining")
	reset, okT := headerReset(h.Get("X-RateLimit-Reset"), now)
	if okL {
		rl.Limit = limit
	}
	if okR {
		rl.Remaining = rem
	}
	if okT {
		rl.Reset = reset
	}
	return rl, okL || okR || okT, okR && okT
}

func headerInt(h http.Header, key string) (int, bool) {
	v := strings.TrimSpace(h.Get(key))
	if v == "" {
		return 0, false
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		return 0, false
	}
	return n, true
}

func headerReset(v string, now time.Time) (time.Time, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return time.Time{}, false
	}
	if n, err := strconv.ParseInt(v, 10, 64); err == nil && n >= 0 {
		if n < smallestEpoch {
			return now.Add(time.Duration(n) * time.Second), true
		}
		return time.Unix(n, 0), true
	}
	// Some gateways send fractional seconds.
	if f, err := strconv.ParseFloat(v, 64); err == nil && f >= smallestEpoch && f < 1e11 {
		return time.Unix(0, int64(f*1e9)), true
	}
	return time.Time{}, false
}

// retryAfter reads a Retry-After header: delay seconds or an HTTP date.
func retryAfter(v string, now time.Time) (time.Time, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return time.Time{}, false
	}
	if n, err := strconv.ParseInt(v, 10, 64); err == nil && n >= 0 && n < 1<<31 {
		return now.Add(time.Duration(n) * time.Second), true
	}
	if t, err := http.ParseTime(v); err == nil {
		return t, true
	}
	return time.Time{}, false
}
