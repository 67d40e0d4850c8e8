package httpapi

import (
	"context"
	_ "embed"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"go.uber.org/zap"

	"hibobsync/model"
	"hibobsync/starter"
	"hibobsync/store"
	"hibobsync/workflows"
)

// ConnectRequest is the body of POST /v1/connections.
type ConnectRequest struct {
	Company       string `json:"company"`
	ServiceUserID string `json:"serviceUserId"`
	Token         string `json:"token"`
	// SyncInterval is a Go duration ("6h", "90m"); empty: the default.
	SyncInterval string `json:"syncInterval,omitempty"`
}

// ConnectResponse answers POST /v1/connections: 201 when the connection started, 200 when it
// existed and got the new credentials.
type ConnectResponse struct {
	Tenant            model.TenantKey `json:"tenant"`
	Company           string          `json:"company"`
	CredentialVersion int             `json:"credentialVersion"`
	Reconnect         bool            `json:"reconnect"`
	Phase             model.Phase     `json:"phase"`
	Message           string          `json:"message"`
}

// CredentialsRequest is the body of PUT /v1/connections/{tenant}/credentials.
type CredentialsRequest struct {
	ServiceUserID string `json:"serviceUserId"`
	Token         string `json:"token"`
}

// ApproveRequest is the body of POST /v1/connections/{tenant}/approve.
type ApproveRequest struct {
	Reviewer string `json:"reviewer"`
	Note     string `json:"note,omitempty"`
}

// RejectRequest is the body of POST /v1/connections/{tenant}/reject.
type RejectRequest struct {
	Reviewer string `json:"reviewer"`
	Reason   string `json:"reason"`
}

// AckResponse answers an accepted action.
type AckResponse struct {
	Tenant  model.TenantKey `json:"tenant"`
	Phase   model.Phase     `json:"phase"`
	Message string          `json:"message"`
}

// StatusResponse is the workflow's status, with the sync interval as a Go duration string.
type StatusResponse struct {
	workflows.Status
	SyncInterval string `json:"syncInterval"` // shadows Status.SyncInterval (nanoseconds)
}

// ConnectionSummary is one connection in GET /v1/connections.
type ConnectionSummary struct {
	Tenant     model.TenantKey `json:"tenant"`
	Company    string          `json:"company"`
	Phase      model.Phase     `json:"phase"`
	StartedAt  time.Time       `json:"startedAt"`
	PhaseSince time.Time       `json:"phaseSince"`
}

// ConnectionList answers GET /v1/connections.
type ConnectionList struct {
	Connections []ConnectionSummary `json:"connections"`
}

// EmployeePage answers GET /v1/connections/{tenant}/employees.
type EmployeePage struct {
	Employees []store.StoredEmployee `json:"employees"`
	// Next is the after= of the following page; absent on the last page.
	Next string `json:"next,omitempty"`
}

// ChangePage answers GET /v1/connections/{tenant}/changes.
type ChangePage struct {
	Changes []model.Change `json:"changes"`
	// Next is the after= of the following page (the last cursor returned, or the one asked
	// from when there is nothing new): keep it and ask again.
	Next int64 `json:"next"`
}

// Health answers GET /healthz.
type Health struct {
	Status string            `json:"status"` // "ok" or "unavailable"
	Checks map[string]string `json:"checks"` // "ok" or what is down
	Error  string            `json:"error,omitempty"`
}

// Page sizes of the employee and change listings.
const (
	DefaultLimit = 500
	MaxLimit     = 5000
)

func required(field, value, what string) error {
	if strings.TrimSpace(value) == "" {
		return badRequest(field, "%s is missing: %s", field, what)
	}
	return nil
}

func (s *Server) connect(c *call) (int, any, error) {
	var req ConnectRequest
	err := c.decode(&req, false)
	c.secret(req.Token)
	if err != nil {
		return 0, nil, err
	}
	for _, f := range []struct{ field, value, what string }{
		{"company", req.Company, "send the company's name as the customer entered it in Gifted"},
		{"serviceUserId", req.ServiceUserID, "send the ID of the HiBob service user the customer created"},
		{"token", req.Token, "send the HiBob service user's token"},
	} {
		if err := required(f.field, f.value, f.what); err != nil {
			return 0, nil, err
		}
	}
	var interval time.Duration
	if req.SyncInterval != "" {
		interval, err = time.ParseDuration(req.SyncInterval)
		if err != nil || interval <= 0 {
			return 0, nil, badRequest("syncInterval", "syncInterval %q is not a positive duration: write it as e.g. \"6h\" or \"90m\", or leave it out for the default", req.SyncInterval)
		}
	}
	if key, _, err := model.TenantKeyOf(req.Company); err == nil {
		c.tenant = key // for the messages and the log line; the starter decides
	}
	conn, err := s.conns.Connect(c.ctx(), starter.ConnectRequest{Company: req.Company, ServiceUserID: req.ServiceUserID, Token: req.Token, SyncInterval: interval})
	if conn.Tenant != "" {
		c.tenant = conn.Tenant
	}
	if err != nil {
		return 0, nil, err
	}
	status := http.StatusOK
	if conn.Started {
		status = http.StatusCreated
		c.header = http.Header{"Location": {"/v1/connections/" + string(conn.Tenant)}}
	}
	return status, ConnectResponse{Tenant: conn.Tenant, Company: conn.Company, CredentialVersion: conn.CredentialVersion,
		Reconnect: conn.Reconnect, Phase: conn.Ack.Phase, Message: conn.Ack.Message}, nil
}

func (s *Server) updateCredentials(c *call) (int, any, error) {
	var req CredentialsRequest
	err := c.decode(&req, false)
	c.secret(req.Token)
	if err != nil {
		return 0, nil, err
	}
	if err := required("serviceUserId", req.ServiceUserID, "send the ID of the HiBob service user"); err != nil {
		return 0, nil, err
	}
	if err := required("token", req.Token, "send the HiBob service user's new token"); err != nil {
		return 0, nil, err
	}
	return c.ack(s.conns.UpdateCredentials(c.ctx(), c.tenant, req.ServiceUserID, req.Token))
}

// action is a route that takes no input and asks the tenant's workflow for one thing.
func (s *Server) action(what string, do func(Connections, context.Context, model.TenantKey) (workflows.Ack, error)) func(c *call) (int, any, error) {
	return func(c *call) (int, any, error) {
		var none struct{}
		if err := c.decode(&none, true); err != nil {
			return 0, nil, err
		}
		return c.ack(do(s.conns, c.ctx(), c.tenant))
	}
}

func (s *Server) approve(c *call) (int, any, error) {
	var req ApproveRequest
	if err := c.decode(&req, false); err != nil {
		return 0, nil, err
	}
	if err := required("reviewer", req.Reviewer, "send the name of the person approving"); err != nil {
		return 0, nil, err
	}
	return c.ack(s.conns.Approve(c.ctx(), c.tenant, req.Reviewer, req.Note))
}

func (s *Server) reject(c *call) (int, any, error) {
	var req RejectRequest
	if err := c.decode(&req, false); err != nil {
		return 0, nil, err
	}
	if err := required("reviewer", req.Reviewer, "send the name of the person rejecting"); err != nil {
		return 0, nil, err
	}
	if err := required("reason", req.Reason, "send a reason the customer can act on"); err != nil {
		return 0, nil, err
	}
	return c.ack(s.conns.Reject(c.ctx(), c.tenant, req.Reviewer, req.Reason))
}

func (c *call) ack(a workflows.Ack, err error) (int, any, error) {
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, AckResponse{Tenant: c.tenant, Phase: a.Phase, Message: a.Message}, nil
}

func (s *Server) status(c *call) (int, any, error) {
	if err := c.query(); err != nil {
		return 0, nil, err
	}
	st, err := s.conns.Status(c.ctx(), c.tenant)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, StatusResponse{Status: st, SyncInterval: st.SyncInterval.String()}, nil
}

func (s *Server) listConnections(c *call) (int, any, error) {
	if err := c.query("phase"); err != nil {
		return 0, nil, err
	}
	phase := model.Phase(c.r.URL.Query().Get("phase"))
	if phase != "" && !slices.Contains(model.Phases, phase) {
		names := make([]string, len(model.Phases))
		for i, p := range model.Phases {
			names[i] = string(p)
		}
		return 0, nil, badRequest("phase", "phase %q is not a phase: use one of %s, or leave it out for every connection", phase, strings.Join(names, ", "))
	}
	list, err := s.conns.ListConnections(c.ctx(), phase)
	if err != nil {
		return 0, nil, err
	}
	out := ConnectionList{Connections: make([]ConnectionSummary, len(list))}
	for i, l := range list {
		out.Connections[i] = ConnectionSummary{Tenant: l.Tenant, Company: l.Company, Phase: l.Phase, StartedAt: l.StartedAt, PhaseSince: l.PhaseSince}
	}
	return http.StatusOK, out, nil
}

func (s *Server) employees(c *call) (int, any, error) {
	if err := c.query("includeRemoved", "after", "limit"); err != nil {
		return 0, nil, err
	}
	q := c.r.URL.Query()
	var query store.EmployeeQuery
	if v := q.Get("includeRemoved"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return 0, nil, badRequest("includeRemoved", "includeRemoved %q is not true or false", v)
		}
		query.IncludeRemoved = b
	}
	query.AfterID = q.Get("after")
	limit, err := c.limit()
	if err != nil {
		return 0, nil, err
	}
	query.Limit = limit
	list, err := s.feed.Employees(c.ctx(), c.tenant, query)
	if err != nil {
		return 0, nil, err
	}
	page := EmployeePage{Employees: list}
	if page.Employees == nil {
		page.Employees = []store.StoredEmployee{}
	}
	if len(list) == limit {
		page.Next = list[len(list)-1].ID
	}
	return http.StatusOK, page, nil
}

func (s *Server) employee(c *call) (int, any, error) {
	if err := c.query(); err != nil {
		return 0, nil, err
	}
	id := c.r.PathValue("id")
	if len(id) > 64 || strings.TrimSpace(id) != id {
		return 0, nil, badRequest("id", "the employee ID in the path is not one: HiBob employee IDs are up to 64 characters without spaces (e.g. \"3332883804594373380\")")
	}
	e, err := s.feed.Employee(c.ctx(), c.tenant, id)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, e, nil
}

func (s *Server) changes(c *call) (int, any, error) {
	if err := c.query("after", "limit"); err != nil {
		return 0, nil, err
	}
	var after int64
	if v := c.r.URL.Query().Get("after"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 0 {
			return 0, nil, badRequest("after", "after %q is not a cursor: send 0 (or nothing) for the start of the feed, else the next of the previous page", v)
		}
		after = n
	}
	limit, err := c.limit()
	if err != nil {
		return 0, nil, err
	}
	list, next, err := s.feed.Changes(c.ctx(), c.tenant, after, limit)
	if err != nil {
		return 0, nil, err
	}
	if list == nil {
		list = []model.Change{}
	}
	return http.StatusOK, ChangePage{Changes: list, Next: next}, nil
}

// query refuses query parameters the route does not take, so a misspelt one is not ignored.
func (c *call) query(allowed ...string) error {
	for name := range c.r.URL.Query() {
		if !slices.Contains(allowed, name) {
			if len(allowed) == 0 {
				return badRequest(name, "unknown query parameter %q: %s %s takes none", name, c.r.Method, c.rt.path)
			}
			return badRequest(name, "unknown query parameter %q: %s %s takes %s", name, c.r.Method, c.rt.path, strings.Join(allowed, ", "))
		}
	}
	return nil
}

func (c *call) limit() (int, error) {
	v := c.r.URL.Query().Get("limit")
	if v == "" {
		return DefaultLimit, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > MaxLimit {
		return 0, badRequest("limit", "limit %q is not a page size: send a number from 1 to %d (default %d)", v, MaxLimit, DefaultLimit)
	}
	return n, nil
}

// health asks every check at once; 503 names what is down (the details are in the log, not in
// this unauthenticated answer).
func (s *Server) health(c *call) (int, any, error) {
	out := Health{Status: "ok", Checks: map[string]string{}}
	var mu sync.Mutex
	var wg sync.WaitGroup
	var down []string
	for _, ch := range s.checks {
		wg.Go(func() {
			ctx, cancel := context.WithTimeout(c.ctx(), healthTimeout)
			defer cancel()
			err := ch.Run(ctx)
			mu.Lock()
			defer mu.Unlock()
			if err == nil {
				out.Checks[ch.Name] = "ok"
				return
			}
			out.Checks[ch.Name] = "down"
			down = append(down, ch.Name)
			s.logger.Warn("health check failed", zap.String("requestId", c.id), zap.String("check", ch.Name), zap.Error(err))
		})
	}
	wg.Wait()
	if len(down) == 0 {
		return http.StatusOK, out, nil
	}
	slices.Sort(down)
	out.Status = "unavailable"
	out.Error = fmt.Sprintf("%s down: the API cannot serve requests that need %s; the API's log says why (request %s)",
		strings.Join(down, " and "), map[bool]string{true: "it", false: "them"}[len(down) == 1], c.id)
	c.header = http.Header{"Retry-After": {"30"}}
	return http.StatusServiceUnavailable, out, nil
}

//go:embed openapi.json
var openapiJSON []byte

// OpenAPI is the API's OpenAPI 3.1 description, as served at /openapi.json.
func OpenAPI() []byte { return slices.Clone(openapiJSON) }

func (s *Server) openapi(c *call) (int, any, error) { return http.StatusOK, rawJSON(openapiJSON), nil }
