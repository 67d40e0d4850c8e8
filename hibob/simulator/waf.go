package simulator

import (
	"sync"
	"time"
)

// waf models HiBob's authorization-based blocking (§6.3): it sits in front of everything under
// /v1, so a blocked caller gets the WAF's 403 HTML page, whatever the path.
type waf struct {
	opts WAFOptions

	mu       sync.Mutex
	failures map[string][]time.Time // "ip401:…", "hdr401:…", "hdr403:…" → recent failure times
	until    map[string]time.Time   // "ip:…", "hdr:…" → end of block
}

func newWAF(o WAFOptions) *waf {
	if o.Threshold <= 0 {
		o.Threshold = 50
	}
	if o.Window <= 0 {
		o.Window = 10 * time.Second
	}
	if o.BlockFor <= 0 {
		o.BlockFor = 5 * time.Minute
	}
	return &waf{opts: o, failures: map[string][]time.Time{}, until: map[string]time.Time{}}
}

func (w *waf) blocked(ip, authz string, now time.Time) bool {
	if w.opts.Disabled {
		return false
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if now.Before(w.until["ip:"+ip]) {
		return true
	}
	return authz != "" && now.Before(w.until["hdr:"+authz])
}

// note records a failure and blocks target once Threshold failures fall within Window.
func (w *waf) note(counter, target string, now time.Time) {
	ts := w.failures[counter]
	cut := 0
	for cut < len(ts) && now.Sub(ts[cut]) >= w.opts.Window {
		cut++
	}
	ts = append(ts[cut:], now)
	if len(ts) >= w.opts.Threshold {
		w.until[target] = now.Add(w.opts.BlockFor)
		ts = nil
	}
	w.failures[counter] = ts
}

func (w *waf) record401(ip, authz string, now time.Time) {
	if w.opts.Disabled {
		return
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	w.note("ip401:"+ip, "ip:"+ip, now)
	if authz != "" {
		w.note("hdr401:"+authz, "hdr:"+authz, now)
	}
}

func (w *waf) record403(authz string, now time.Time) {
	if w.opts.Disabled || authz == "" {
		return
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	w.note("hdr403:"+authz, "hdr:"+authz, now)
}
