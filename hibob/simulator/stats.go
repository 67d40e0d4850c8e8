package simulator

import (
	"maps"
	"sync"
)

// Stats count /v1 traffic. Endpoint "" collects requests that matched no endpoint (the HTML
// fallback) or that the WAF refused before routing; status 0 is a connection reset.
type Stats struct {
	Requests         int64                         `json:"requests"`
	ByEndpoint       map[Endpoint]int64            `json:"byEndpoint"`
	ByStatus         map[int]int64                 `json:"byStatus"`
	ByEndpointStatus map[Endpoint]map[int]int64    `json:"byEndpointStatus"`
	ByServiceUser    map[string]int64              `json:"byServiceUser"`
	ByServiceUserEP  map[string]map[Endpoint]int64 `json:"byServiceUserEndpoint"`
	Unauthorized     int64                         `json:"unauthorized"` // 401s
	Forbidden        int64                         `json:"forbidden"`    // 403s, WAF blocks included
	RateLimited      int64                         `json:"rateLimited"`  // 429s
	WAFBlocks        int64                         `json:"wafBlocks"`    // requests the WAF refused
	Faults           FaultCounts                   `json:"faults"`
}

// FaultCounts count injected faults.
type FaultCounts struct {
	Errors    int64 `json:"errors"`
	Truncated int64 `json:"truncated"`
	Resets    int64 `json:"resets"`
	Delayed   int64 `json:"delayed"`
}

type statsBook struct {
	mu sync.Mutex
	s  Stats
}

func newStatsBook() *statsBook {
	b := &statsBook{}
	b.reset()
	return b
}

func (b *statsBook) reset() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.s = Stats{ByEndpoint: map[Endpoint]int64{}, ByStatus: map[int]int64{}, ByEndpointStatus: map[Endpoint]map[int]int64{},
		ByServiceUser: map[string]int64{}, ByServiceUserEP: map[string]map[Endpoint]int64{}}
}

func (b *statsBook) record(ep Endpoint, status int, user string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	s := &b.s
	s.Requests++
	s.ByEndpoint[ep]++
	s.ByStatus[status]++
	if s.ByEndpointStatus[ep] == nil {
		s.ByEndpointStatus[ep] = map[int]int64{}
	}
	s.ByEndpointStatus[ep][status]++
	if user != "" {
		s.ByServiceUser[user]++
		if s.ByServiceUserEP[user] == nil {
			s.ByServiceUserEP[user] = map[Endpoint]int64{}
		}
		s.ByServiceUserEP[user][ep]++
	}
	switch status {
	case 401:
		s.Unauthorized++
	case 403:
		s.Forbidden++
	case 429:
		s.RateLimited++
	}
}

func (b *statsBook) wafBlock() { b.mu.Lock(); b.s.WAFBlocks++; b.mu.Unlock() }

func (b *statsBook) fault(f func(*FaultCounts)) { b.mu.Lock(); f(&b.s.Faults); b.mu.Unlock() }

func (b *statsBook) snapshot() Stats {
	b.mu.Lock()
	defer b.mu.Unlock()
	out := b.s
	out.ByEndpoint = maps.Clone(b.s.ByEndpoint)
	out.ByStatus = maps.Clone(b.s.ByStatus)
	out.ByServiceUser = maps.Clone(b.s.ByServiceUser)
	out.ByEndpointStatus = map[Endpoint]map[int]int64{}
	for k, v := range b.s.ByEndpointStatus {
		out.ByEndpointStatus[k] = maps.Clone(v)
	}
	out.ByServiceUserEP = map[string]map[Endpoint]int64{}
	for k, v := range b.s.ByServiceUserEP {
		out.ByServiceUserEP[k] = maps.Clone(v)
	}
	return out
}
