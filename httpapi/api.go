// Package httpapi serves hibobsync's JSON API over HTTP for Gifted's backend and support tools:
// connecting a customer's HiBob, the actions on a connection (new credentials, re-check, sync
// now, pause, resume, disconnect), support's review (approve, reject), where a connection
// stands, the stored employees and the change feed, a health check and the API's own OpenAPI
// description at /openapi.json.
//
// Two roles call it, each with its own bearer key: backend (Gifted's backend: everything but
// approve and reject) and support (status, list, approve, reject). Tokens sent in request
// bodies are never logged or echoed, and neither are the keys.
package httpapi

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"go.uber.org/zap"

	"hibobsync/model"
	"hibobsync/starter"
	"hibobsync/store"
	"hibobsync/workflows"
)

// Connections is what the API asks of the tenant workflows: *starter.Starter.
type Connections interface {
	Connect(ctx context.Context, req starter.ConnectRequest) (starter.Connection, error)
	UpdateCredentials(ctx context.Context, tenant model.TenantKey, serviceUserID, token string) (workflows.Ack, error)
	RecheckPermissions(ctx context.Context, tenant model.TenantKey) (workflows.Ack, error)
	SyncNow(ctx context.Context, tenant model.TenantKey) (workflows.Ack, error)
	Pause(ctx context.Context, tenant model.TenantKey) (workflows.Ack, error)
	Resume(ctx context.Context, tenant model.TenantKey) (workflows.Ack, error)
	Disconnect(ctx context.Context, tenant model.TenantKey) (workflows.Ack, error)
	Approve(ctx context.Context, tenant model.TenantKey, reviewer, note string) (workflows.Ack, error)
	Reject(ctx context.Context, tenant model.TenantKey, reviewer, reason string) (workflows.Ack, error)
	Status(ctx context.Context, tenant model.TenantKey) (workflows.Status, error)
	ListConnections(ctx context.Context, phase model.Phase) ([]starter.ConnectionSummary, error)
}

// Feed is what the API reads from the store: *store.Store.
type Feed interface {
	Employees(ctx context.Context, tenant model.TenantKey, q store.EmployeeQuery) ([]store.StoredEmployee, error)
	Employee(ctx context.Context, tenant model.TenantKey, id string) (store.StoredEmployee, error)
	Changes(ctx context.Context, tenant model.TenantKey, after int64, limit int) ([]model.Change, int64, error)
}

// Check is one dependency /healthz asks after: Run returns nil when it answers.
type Check struct {
	Name string // "postgres", "temporal"
	Run  func(ctx context.Context) error
}

// Role is who calls: each role has its own bearer key.
type Role string

const (
	RoleBackend Role = "backend" // Gifted's backend: everything but approve and reject
	RoleSupport Role = "support" // Gifted's support: status, list, approve, reject
)

// The environment variables that hold the two roles' bearer keys.
const (
	BackendKeyEnv = "HIBOBSYNC_BACKEND_API_KEY"
	SupportKeyEnv = "HIBOBSYNC_SUPPORT_API_KEY"
)

// Keys are the roles' bearer keys. A Keys value never prints them.
type Keys struct {
	Backend string
	Support string
}

func (k Keys) String() string   { return "httpapi.Keys{Backend: [redacted], Support: [redacted]}" }
func (k Keys) GoString() string { return k.String() }

// KeysFromEnv reads the two keys from getenv (os.Getenv outside tests). Both must be set and
// differ; the error names the variables at fault and never repeats a key.
func KeysFromEnv(getenv func(string) string) (Keys, error) {
	k := Keys{Backend: strings.TrimSpace(getenv(BackendKeyEnv)), Support: strings.TrimSpace(getenv(SupportKeyEnv))}
	return k, k.check()
}

func (k Keys) check() error {
	var missing []string
	if k.Backend == "" {
		missing = append(missing, BackendKeyEnv)
	}
	if k.Support == "" {
		missing = append(missing, SupportKeyEnv)
	}
	if len(missing) > 0 {
		return fmt.Errorf("httpapi: %s not set: the API needs a bearer key for each role, %s (Gifted's backend) and %s (support); "+
			"set each to a long random string, e.g. `openssl rand -hex 32`", strings.Join(missing, " and "), BackendKeyEnv, SupportKeyEnv)
	}
	if k.Backend == k.Support {
		return fmt.Errorf("httpapi: %s and %s are the same key: give each role its own, or support could act as the backend", BackendKeyEnv, SupportKeyEnv)
	}
	return nil
}

// GenerateKeys returns two fresh random keys (for `hibobsync api --insecure-dev-keys`).
func GenerateKeys() (Keys, error) {
	gen := func() (string, error) {
		b := make([]byte, 32)
		if _, err := rand.Read(b); err != nil {
			return "", fmt.Errorf("httpapi: generate an API key: %w", err)
		}
		return hex.EncodeToString(b), nil
	}
	b, err := gen()
	if err != nil {
		return Keys{}, err
	}
	s, err := gen()
	if err != nil {
		return Keys{}, err
	}
	return Keys{Backend: b, Support: s}, nil
}

// MaxBodyBytes bounds a request body; a larger one is refused with 413.
const MaxBodyBytes = 64 << 10

// Server is the API: an http.Handler. It is safe for concurrent use.
type Server struct {
	conns   Connections
	feed    Feed
	logger  *zap.Logger
	checks  []Check
	backend [sha256.Size]byte
	support [sha256.Size]byte
	mux     *http.ServeMux
	routes  []route
}

// New builds the API on conns (the *starter.Starter), feed (the *store.Store) and the roles'
// keys, logging to logger. checks are what /healthz asks after (Postgres, Temporal).
func New(conns Connections, feed Feed, keys Keys, logger *zap.Logger, checks ...Check) (*Server, error) {
	if err := keys.check(); err != nil {
		return nil, err
	}
	if conns == nil || feed == nil {
		return nil, errors.New("httpapi: New needs the connections (a *starter.Starter) and the feed (a *store.Store)")
	}
	if logger == nil {
		logger = zap.NewNop()
	}
	s := &Server{
		conns: conns, feed: feed, logger: logger, checks: checks,
		backend: sha256.Sum256([]byte(keys.Backend)), support: sha256.Sum256([]byte(keys.Support)),
		mux: http.NewServeMux(),
	}
	s.routes = s.routeTable()
	allowed := map[string][]string{}
	var paths []string
	for _, rt := range s.routes {
		s.mux.Handle(rt.method+" "+rt.path, s.handler(rt))
		if _, ok := allowed[rt.path]; !ok {
			paths = append(paths, rt.path)
		}
		allowed[rt.path] = append(allowed[rt.path], rt.method)
		if rt.method == http.MethodGet {
			allowed[rt.path] = append(allowed[rt.path], http.MethodHead)
		}
	}
	// A known path with another method: 405 naming the methods it takes.
	for _, p := range paths {
		methods := allowed[p]
		slices.Sort(methods)
		s.mux.Handle(p, s.methodNotAllowed(methods))
	}
	s.mux.Handle("/", s.notFound())
	return s, nil
}

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

// Routes lists the API's routes as "METHOD /path" (the OpenAPI test compares them).
func (s *Server) Routes() []string {
	out := make([]string, len(s.routes))
	for i, rt := range s.routes {
		out[i] = rt.method + " " + rt.path
	}
	return out
}

// route is one operation of the API.
type route struct {
	method, path string
	operation    string // the OpenAPI operationId
	roles        []Role // nil: no authentication (health, the description)
	handle       func(c *call) (status int, body any, err error)
}

func (s *Server) routeTable() []route {
	both := []Role{RoleBackend, RoleSupport}
	backend := []Role{RoleBackend}
	support := []Role{RoleSupport}
	const conn = "/v1/connections/{tenant}"
	return []route{
		{http.MethodPost, "/v1/connections", "connect", backend, s.connect},
		{http.MethodGet, "/v1/connections", "listConnections", both, s.listConnections},
		{http.MethodGet, conn, "getStatus", both, s.status},
		{http.MethodDelete, conn, "disconnect", backend, s.action("disconnect", Connections.Disconnect)},
		{http.MethodPut, conn + "/credentials", "updateCredentials", backend, s.updateCredentials},
		{http.MethodPost, conn + "/recheck", "recheckPermissions", backend, s.action("re-check permissions", Connections.RecheckPermissions)},
		{http.MethodPost, conn + "/sync", "syncNow", backend, s.action("sync now", Connections.SyncNow)},
		{http.MethodPost, conn + "/pause", "pause", backend, s.action("pause", Connections.Pause)},
		{http.MethodPost, conn + "/resume", "resume", backend, s.action("resume", Connections.Resume)},
		{http.MethodPost, conn + "/approve", "approve", support, s.approve},
		{http.MethodPost, conn + "/reject", "reject", support, s.reject},
		{http.MethodGet, conn + "/employees", "listEmployees", backend, s.employees},
		{http.MethodGet, conn + "/employees/{id}", "getEmployee", backend, s.employee},
		{http.MethodGet, conn + "/changes", "listChanges", backend, s.changes},
		{http.MethodGet, "/healthz", "health", nil, s.health},
		{http.MethodGet, "/openapi.json", "openapi", nil, s.openapi},
	}
}

// newRequestID names a request in its response (X-Request-Id, requestId) and its log lines.
func newRequestID() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// healthTimeout bounds each health check.
const healthTimeout = 3 * time.Second

// The real implementations satisfy the interfaces.
var (
	_ Connections = (*starter.Starter)(nil)
	_ Feed        = (*store.Store)(nil)
)
