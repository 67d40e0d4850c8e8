package httpapi

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"syscall"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/puddle/v2"

	"hibobsync/starter"
	"hibobsync/store"
)

// classify turns what a route returned into the refusal the caller gets: the status, and a
// message naming the tenant, what is wrong and what to do.
func (s *Server) classify(c *call, err error) *apiError {
	var (
		ae        *apiError
		invalid   *starter.InvalidInputError
		wrong     *starter.WrongPhaseError
		tenantRef = "tenant " + string(c.tenant)
		seeStatus = fmt.Sprintf("GET /v1/connections/%s says where it stands and what it waits for", c.tenant)
	)
	switch {
	case errors.As(err, &ae):
		return ae
	case errors.As(err, &invalid):
		msg := invalid.Message
		if msg == "" {
			msg = invalid.Error()
		}
		if c.tenant != "" && !strings.Contains(msg, string(c.tenant)) {
			msg = tenantRef + ": " + msg
		}
		return &apiError{status: http.StatusBadRequest, field: invalid.Field, message: msg + "; correct " + fieldName(invalid.Field) + " and send the request again", cause: err}
	case errors.As(err, &wrong):
		msg := wrong.Message
		if msg == "" {
			msg = wrong.Error()
		}
		switch {
		case c.tenant == "" || strings.Contains(msg, string(c.tenant)):
		case wrong.Phase == "":
			msg = tenantRef + ": " + msg
		default:
			msg = fmt.Sprintf("%s is %s: %s", tenantRef, wrong.Phase, msg)
		}
		if c.tenant != "" {
			msg += "; " + seeStatus
		}
		return &apiError{status: http.StatusConflict, phase: string(wrong.Phase), message: msg, cause: err}
	case errors.Is(err, starter.ErrUnknownTenant), errors.Is(err, store.ErrUnknownTenant):
		return &apiError{status: http.StatusNotFound, cause: err,
			message: fmt.Sprintf("there is no connection for tenant %s: check the key (GET /v1/connections lists the connections) or connect the company first with POST /v1/connections", c.tenant)}
	case errors.Is(err, store.ErrUnknownEmployee):
		return &apiError{status: http.StatusNotFound, cause: err, field: "id",
			message: fmt.Sprintf("%s has no employee %q: GET /v1/connections/%s/employees lists the stored employees (add includeRemoved=true for the removed ones)", tenantRef, c.r.PathValue("id"), c.tenant)}
	case errors.Is(err, starter.ErrTemporalUnavailable):
		return &apiError{status: http.StatusServiceUnavailable, cause: err,
			message: fmt.Sprintf("Temporal is unavailable, so %s cannot be reached now; nothing was changed: retry in a minute, and if it persists check the Temporal server (TEMPORAL_ADDRESS)", orAll(c.tenant))}
	case errors.Is(err, context.DeadlineExceeded):
		return &apiError{status: http.StatusServiceUnavailable, cause: err,
			message: fmt.Sprintf("the request for %s timed out waiting on Temporal or Postgres; it may still take effect: check with GET /v1/connections/%s before retrying", orAll(c.tenant), c.tenant)}
	case errors.Is(err, starter.ErrStoreUnavailable), postgresDown(err):
		return &apiError{status: http.StatusServiceUnavailable, cause: err,
			message: fmt.Sprintf("the database (Postgres) is unavailable, so %s cannot be read or changed now: retry in a minute, and if it persists check Postgres (DATABASE_URL)", orAll(c.tenant))}
	case errors.Is(err, context.Canceled) && c.r.Context().Err() != nil:
		return &apiError{status: 499, message: "the request was cancelled by the client", cause: err}
	}
	return &apiError{status: http.StatusInternalServerError, cause: err,
		message: fmt.Sprintf("the request for %s failed on an unexpected error; the API logged it as request %s: retry, and report the request ID if it persists", orAll(c.tenant), c.id)}
}

func orAll(t interface{ String() string }) string {
	if s := t.String(); s != "" {
		return "tenant " + s
	}
	return "the connections"
}

func fieldName(f string) string {
	if f == "" {
		return "the input"
	}
	return f
}

// postgresDown reports an error that says Postgres cannot be reached (rather than a query
// that failed): a refused or timed-out connection, a closed pool, a server shutting down.
func postgresDown(err error) bool {
	var (
		connectErr *pgconn.ConnectError
		pgErr      *pgconn.PgError
		netErr     net.Error
	)
	switch {
	case errors.As(err, &connectErr), errors.Is(err, puddle.ErrClosedPool), errors.Is(err, syscall.ECONNREFUSED),
		errors.Is(err, syscall.ECONNRESET):
		return true
	case errors.As(err, &pgErr):
		// Class 08: connection exception; 57P01-57P03: admin shutdown, crash shutdown, cannot connect now.
		return strings.HasPrefix(pgErr.Code, "08") || pgErr.Code == "57P01" || pgErr.Code == "57P02" || pgErr.Code == "57P03"
	case errors.As(err, &netErr):
		return true
	}
	return false
}
