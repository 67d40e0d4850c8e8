package simulator

import (
	"maps"
	"math"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// rateLimiter counts requests per (service user, endpoint) in fixed windows aligned to the
// epoch, which is what X-RateLimit-Reset (a Unix time, §6.2) suggests. Whether HiBob's bucket is
// per service user, company or IP is UNCONFIRMED (§6.1); per service user is the assumption the
// doc's sources make.
type rateLimiter struct {
	window time.Duration

	mu      sync.Mutex
	perEP   map[Endpoint]int
	buckets map[bucketKey]*bucket
}

type bucketKey struct {
	who string
	ep  Endpoint
}

type bucket struct {
	start time.Time
	count int
}

type rateDecision struct {
	unlimited bool
	limited   bool
	limit     int
	remaining int
	reset     time.Time
}

func newRateLimiter(window time.Duration, limits map[Endpoint]int) *rateLimiter {
	l := &rateLimiter{window: window, perEP: map[Endpoint]int{}, buckets: map[bucketKey]*bucket{}}
	for _, e := range Endpoints {
		l.perEP[e] = DefaultLimit
	}
	if limits != nil {
		for _, e := range Endpoints {
			l.perEP[e] = 0
		}
		maps.Copy(l.perEP, limits)
	}
	return l
}

func (l *rateLimiter) setLimit(e Endpoint, n int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.perEP[e] = max(0, n)
}

func (l *rateLimiter) limits() map[Endpoint]int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return maps.Clone(l.perEP)
}

// take counts one request and says whether it is over the limit.
func (l *rateLimiter) take(who string, ep Endpoint, now time.Time) rateDecision {
	l.mu.Lock()
	defer l.mu.Unlock()
	limit := l.perEP[ep]
	if limit <= 0 {
		return rateDecision{unlimited: true}
	}
	start := now.Truncate(l.window)
	k := bucketKey{who, ep}
	b := l.buckets[k]
	if b == nil || !b.start.Equal(start) {
		b = &bucket{start: start}
		l.buckets[k] = b
	}
	b.count++
	return rateDecision{
		limited:   b.count > limit,
		limit:     limit,
		remaining: max(0, limit-b.count),
		reset:     start.Add(l.window),
	}
}

// setHeaders writes the X-RateLimit-* trio. Unlimited endpoints send none, so that a client
// never reads "0 remaining" from an endpoint that has no limit.
func (d rateDecision) setHeaders(h http.Header) {
	if d.unlimited {
		return
	}
	h.Set("X-RateLimit-Limit", strconv.Itoa(d.limit))
	h.Set("X-RateLimit-Remaining", strconv.Itoa(d.remaining))
	h.Set("X-RateLimit-Reset", strconv.FormatInt(int64(math.Ceil(float64(d.reset.UnixNano())/1e9)), 10))
}
