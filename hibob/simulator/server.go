package simulator

import (
	"math"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"hibobsync/model"
)

// Server is the simulated HiBob. It implements http.Handler: the API under /v1, the admin API
// under /_sim/, and HiBob's web-app fallback (200 text/html) everywhere else.
type Server struct {
	clock  func() time.Time
	window time.Duration
	opts   Options

	mu        sync.RWMutex
	companies map[string]*Company
	users     map[string]*Company // service user ID → company, for Basic auth

	limiter *rateLimiter
	waf     *waf
	faults  *faultInjector
	stats   *statsBook
	cursors *cursorBook
	admin   http.Handler

	// Built once and never changed, so requests read them without locking.
	fields  []*fieldDef
	fieldBy map[string]*fieldDef
	cats    map[string]categoryDef
}

// New builds an empty server; add tenants with AddCompany.
func New(opts Options) *Server {
	s := &Server{opts: opts, clock: opts.Clock, window: opts.Window,
		companies: map[string]*Company{}, users: map[string]*Company{}}
	if s.clock == nil {
		s.clock = time.Now
	}
	if s.window <= 0 {
		s.window = time.Minute
	}
	s.limiter = newRateLimiter(s.window, opts.Limits)
	s.waf = newWAF(opts.WAF)
	s.faults = &faultInjector{}
	s.stats = newStatsBook()
	s.cursors = newCursorBook()
	s.fields, s.cats = fieldCatalogue(), categoryDefs()
	s.fieldBy = make(map[string]*fieldDef, len(s.fields))
	for _, f := range s.fields {
		s.fieldBy[f.id] = f
	}
	s.admin = s.adminHandler()
	return s
}

func (s *Server) today() model.Date { return model.DateOf(s.clock().UTC()) }

// AddCompany generates a tenant with employees people from seed, as of the clock's date.
// A company of the same name is replaced, and its service users stop working.
func (s *Server) AddCompany(name string, employees int, seed int64) *Company {
	c := &Company{srv: s, name: name, domain: companyDomain(name),
		users: map[string]*serviceUser{}, rng: newRand(seed^int64(nameHash(name)), 2)}
	c.people, c.lists, c.countries = generate(max(0, employees), seed, s.today(), c.domain)
	c.byID = make(map[string]*person, len(c.people))
	c.byEmail = make(map[string]*person, len(c.people))
	for _, p := range c.people {
		c.byID[p.id] = p
		c.byEmail[strings.ToLower(p.workEmail)] = p
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if old, ok := s.companies[name]; ok {
		for id, owner := range s.users {
			if owner == old {
				delete(s.users, id)
			}
		}
	}
	s.companies[name] = c
	return c
}

// Company finds a tenant by name.
func (s *Server) Company(name string) (*Company, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	c, ok := s.companies[name]
	return c, ok
}

// CompanyNames are the tenants' names, sorted.
func (s *Server) CompanyNames() []string {
	s.mu.RLock()
	defer s.mu.RUnlock()
	names := make([]string, 0, len(s.companies))
	for n := range s.companies {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// claimServiceUser registers a new service user ID; false when another company has it.
func (s *Server) claimServiceUser(id string, c *Company) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, taken := s.users[id]; taken {
		return false
	}
	s.users[id] = c
	return true
}

func (s *Server) companyOfUser(id string) *Company {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.users[id]
}

// SetFaults replaces the fault configuration; the zero Faults turns faults off.
func (s *Server) SetFaults(f Faults) { s.faults.set(f) }

// CurrentFaults is the fault configuration in force.
func (s *Server) CurrentFaults() Faults { return s.faults.get() }

// SetLimit sets an endpoint's requests per window; 0 means unlimited.
func (s *Server) SetLimit(e Endpoint, perWindow int) { s.limiter.setLimit(e, perWindow) }

// LimitsInForce are the per-endpoint limits in force.
func (s *Server) LimitsInForce() map[Endpoint]int { return s.limiter.limits() }

// Stats are counters since New or the last ResetStats.
func (s *Server) Stats() Stats { return s.stats.snapshot() }

// ResetStats zeroes the counters.
func (s *Server) ResetStats() { s.stats.reset() }

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == "/_sim" || strings.HasPrefix(r.URL.Path, "/_sim/") {
		s.admin.ServeHTTP(w, r)
		return
	}
	s.serveAPI(w, r)
}

// route maps a request to its endpoint. Anything else is HiBob's web app, which answers 200
// with an HTML page, even under /v1 (§1.3).
func route(r *http.Request) (Endpoint, bool) {
	p := r.URL.Path
	switch {
	case r.Method == http.MethodGet && p == "/v1/company/people/fields":
		return EndpointFields, true
	case r.Method == http.MethodPost && p == "/v1/people/search":
		return EndpointSearch, true
	case r.Method == http.MethodPost && strings.HasPrefix(p, "/v1/people/") && len(p) > len("/v1/people/") && !strings.Contains(p[len("/v1/people/"):], "/"):
		return EndpointReadOne, true
	case r.Method == http.MethodGet && p == "/v1/bulk/people/lifecycle":
		return EndpointBulkLifecycle, true
	case r.Method == http.MethodGet && p == "/v1/bulk/people/work":
		return EndpointBulkWork, true
	case r.Method == http.MethodGet && p == "/v1/bulk/people/employment":
		return EndpointBulkEmployment, true
	}
	return "", false
}

// caller is who a request authenticated as.
type caller struct {
	company *Company
	userID  string
	group   PermissionGroup
}

func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

func (s *Server) authenticate(r *http.Request) (caller, bool) {
	id, token, ok := r.BasicAuth()
	if !ok || id == "" {
		return caller{}, false
	}
	c := s.companyOfUser(id)
	if c == nil {
		return caller{}, false
	}
	g, ok := c.authenticate(id, token)
	if !ok {
		return caller{}, false
	}
	return caller{company: c, userID: id, group: g}, true
}

func (s *Server) serveAPI(w http.ResponseWriter, r *http.Request) {
	now := s.clock()
	ip := clientIP(r)
	authz := r.Header.Get("Authorization")
	rec := &recorder{ResponseWriter: w}

	if s.waf.blocked(ip, authz, now) {
		s.stats.wafBlock()
		writeHTML(rec, http.StatusForbidden, wafPage)
		s.stats.record("", rec.status, "")
		return
	}
	ep, ok := route(r)
	if !ok {
		writeHTML(rec, http.StatusOK, appPage)
		s.stats.record("", rec.status, "")
		return
	}
	who, ok := s.authenticate(r)
	if !ok {
		// Headers even on a 401 (§1.3); unauthenticated calls share a bucket per IP.
		s.limiter.take("ip:"+ip, ep, now).setHeaders(rec.Header())
		rec.WriteHeader(http.StatusUnauthorized) // empty body, measured (§1.3)
		s.waf.record401(ip, authz, now)
		s.stats.record(ep, rec.status, "")
		return
	}
	d := s.limiter.take(who.userID, ep, now)
	d.setHeaders(rec.Header())
	if d.limited {
		if s.opts.SendRetryAfter {
			rec.Header().Set("Retry-After", strconv.Itoa(max(1, int(math.Ceil(d.reset.Sub(now).Seconds())))))
		}
		writeError(rec, http.StatusTooManyRequests, "rate.limit.exceeded", "Too many requests, please try again later")
		s.stats.record(ep, rec.status, who.userID)
		return
	}
	s.faults.serve(rec, r, s.stats, func(w http.ResponseWriter, f faultPlan) {
		s.handle(w, r, ep, who, f)
	})
	if rec.status == http.StatusForbidden {
		s.waf.record403(authz, now)
	}
	s.stats.record(ep, rec.status, who.userID)
}

func (s *Server) handle(w http.ResponseWriter, r *http.Request, ep Endpoint, who caller, f faultPlan) {
	switch ep {
	case EndpointFields:
		s.serveFields(w)
	case EndpointSearch:
		s.serveSearch(w, r, who)
	case EndpointReadOne:
		s.serveReadOne(w, r, who, strings.TrimPrefix(r.URL.Path, "/v1/people/"))
	case EndpointBulkLifecycle:
		s.serveBulk(w, r, who, model.Lifecycle, f)
	case EndpointBulkWork:
		s.serveBulk(w, r, who, model.Work, f)
	case EndpointBulkEmployment:
		s.serveBulk(w, r, who, model.Employment, f)
	}
}

// recorder remembers the status for stats and the WAF.
type recorder struct {
	http.ResponseWriter
	status int
}

func (r *recorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *recorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	return r.ResponseWriter.Write(b)
}

func (r *recorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

func (r *recorder) Flush() {
	if f, ok := r.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

const appPage = `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>bob</title></head>
<body><div id="app-root"></div><script src="/static/app.js"></script></body></html>
`

const wafPage = `<!DOCTYPE html>
<html><head><title>403 Forbidden</title></head>
<body><h1>403 Forbidden</h1><p>Request blocked.</p></body></html>
`

func writeHTML(w http.ResponseWriter, code int, page string) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(code)
	_, _ = w.Write([]byte(page))
}
