package hibob

import (
	"context"
	"sync"
	"time"
)

// Limit is a request budget: at most Requests in any window of length Per.
type Limit struct {
	Requests int
	Per      time.Duration
}

// DefaultLimits are HiBob's documented and measured budgets: 50 requests a minute on people
// search (official), 50 on field metadata (measured); the bulk table and read-one limits are
// undocumented, so they get the same 50.
func DefaultLimits() map[Endpoint]Limit {
	perMinute := Limit{Requests: 50, Per: time.Minute}
	return map[Endpoint]Limit{
		EndpointFields:         perMinute,
		EndpointSearch:         perMinute,
		EndpointReadEmployee:   perMinute,
		EndpointBulkLifecycle:  perMinute,
		EndpointBulkWork:       perMinute,
		EndpointBulkEmployment: perMinute,
	}
}

// maxHold bounds how long a Reset or Retry-After header can stall an endpoint, so that a bogus
// header cannot park a sync for hours. HiBob's own blocks last 5 minutes.
const maxHold = 5 * time.Minute

// Pacer keeps requests within per-endpoint budgets. It remembers when each of the last
// Requests calls were let through and lets another through only when the oldest of them has
// left the window (a sliding-window log: unlike a token bucket, no window of length Per ever
// sees more than Requests calls). When HiBob reports no remaining budget (or answers 429) the
// endpoint is held until HiBob's reset time, which covers budget spent by other processes
// using the same service user.
//
// Endpoints without a Limit are not paced, only held. A Pacer is safe for concurrent use and
// is meant to be shared by every Client of one service user.
type Pacer struct {
	limits map[Endpoint]Limit
	now    func() time.Time
	sleep  func(context.Context, time.Duration) error

	mu    sync.Mutex
	state map[Endpoint]*pace
}

type pace struct {
	sent []time.Time // let through within the last window, oldest first
	hold time.Time   // nothing goes before this
}

// PacerOption configures a Pacer.
type PacerOption func(*Pacer)

// WithClock replaces the Pacer's clock, for tests: now tells the time and sleep waits for d
// (or until ctx is done).
func WithClock(now func() time.Time, sleep func(ctx context.Context, d time.Duration) error) PacerOption {
	return func(p *Pacer) {
		if now != nil {
			p.now = now
		}
		if sleep != nil {
			p.sleep = sleep
		}
	}
}

// NewPacer paces each endpoint in limits; limits is copied.
func NewPacer(limits map[Endpoint]Limit, opts ...PacerOption) *Pacer {
	p := &Pacer{
		limits: make(map[Endpoint]Limit, len(limits)),
		now:    time.Now,
		sleep:  sleepCtx,
		state:  make(map[Endpoint]*pace),
	}
	for e, l := range limits {
		if l.Requests > 0 && l.Per > 0 {
			p.limits[e] = l
		}
	}
	for _, o := range opts {
		o(p)
	}
	return p
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// guard widens each window a little, because HiBob counts requests when they arrive, not when
// they leave here, and arrival times jitter.
func guard(per time.Duration) time.Duration { return per / 50 }

// Wait blocks until a request to e fits the budget, then counts it. It returns ctx's error if
// ctx ends first (the request is then not counted).
func (p *Pacer) Wait(ctx context.Context, e Endpoint) error {
	if p == nil {
		return ctx.Err()
	}
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		d := p.reserve(e)
		if d <= 0 {
			return nil
		}
		// Re-check after sleeping: other callers may have taken the slot, or a response may
		// have moved the hold.
		if err := p.sleep(ctx, d); err != nil {
			return err
		}
	}
}

// Delay is how long Wait(ctx, e) would block if called now, without counting a request: 0
// when a request to e may go at once. It lets a caller that must not block for long (a
// Temporal activity) hand a long wait back to its workflow instead. Concurrent callers may
// take the budget between Delay and Wait, so Delay is a forecast, not a reservation.
func (p *Pacer) Delay(e Endpoint) time.Duration {
	if p == nil {
		return 0
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	now := p.now()
	st, ok := p.state[e]
	if !ok {
		return 0
	}
	var wait time.Duration
	if st.hold.After(now) {
		wait = st.hold.Sub(now)
	}
	if l, ok := p.limits[e]; ok {
		window := l.Per + guard(l.Per)
		live := st.sent
		for len(live) > 0 && !live[0].After(now.Add(-window)) {
			live = live[1:]
		}
		if len(live) >= l.Requests {
			if w := live[len(live)-l.Requests].Add(window).Sub(now); w > wait {
				wait = w
			}
		}
	}
	return wait
}

// reserve counts a request to e and returns 0 if one may go now, else how long to wait.
func (p *Pacer) reserve(e Endpoint) time.Duration {
	p.mu.Lock()
	defer p.mu.Unlock()
	now := p.now()
	st := p.stateOf(e)
	var wait time.Duration
	if st.hold.After(now) {
		wait = st.hold.Sub(now)
	}
	if l, ok := p.limits[e]; ok {
		window := l.Per + guard(l.Per)
		i := 0
		for i < len(st.sent) && !st.sent[i].After(now.Add(-window)) {
			i++
		}
		st.sent = st.sent[i:]
		if len(st.sent) >= l.Requests {
			if w := st.sent[len(st.sent)-l.Requests].Add(window).Sub(now); w > wait {
				wait = w
			}
		}
		if wait <= 0 {
			st.sent = append(st.sent, now)
		}
	}
	return wait
}

func (p *Pacer) stateOf(e Endpoint) *pace {
	st, ok := p.state[e]
	if !ok {
		st = &pace{}
		p.state[e] = st
	}
	return st
}

// Observe takes in the budget a response to e reported: with nothing remaining, requests to e
// wait until rl.Reset.
func (p *Pacer) Observe(e Endpoint, rl RateLimit) {
	if p == nil || rl.Remaining > 0 || rl.Reset.IsZero() {
		return
	}
	p.holdUntil(e, rl.Reset)
}

// holdUntil keeps requests to e from going before t (bounded by maxHold).
func (p *Pacer) holdUntil(e Endpoint, t time.Time) {
	if p == nil || t.IsZero() {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if limit := p.now().Add(maxHold); t.After(limit) {
		t = limit
	}
	if st := p.stateOf(e); t.After(st.hold) {
		st.hold = t
	}
}
