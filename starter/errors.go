package starter

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"hibobsync/model"
	"hibobsync/store"
	"hibobsync/workflows"
)

// Errors callers tell apart with errors.Is.
var (
	// ErrUnknownTenant: no connection has that tenant key (no workflow, or no stored tenant).
	ErrUnknownTenant = errors.New("unknown tenant")
	// ErrTemporalUnavailable: Temporal (or the worker that answers for the workflow) could not be
	// reached or did not answer in time. The cause is wrapped too.
	ErrTemporalUnavailable = errors.New("Temporal is unavailable")
	// ErrStoreUnavailable: Postgres could not be reached. The cause is wrapped too.
	ErrStoreUnavailable = errors.New("the database is unavailable")
)

// WrongPhaseError is the workflow's refusal of an action its connection's phase does not allow,
// e.g. approve while nothing awaits review.
type WrongPhaseError struct {
	Tenant model.TenantKey
	// Phase is the connection's phase when it refused; "" when it could not be read.
	Phase model.Phase
	// Message is the workflow's reason, in words support understands.
	Message string
}

func (e *WrongPhaseError) Error() string { return e.Message }

// InvalidInputError is a request refused before anything happened (or by the workflow's
// validator): Field is the request's JSON field name ("company", "serviceUserId", "token",
// "tenant", "reviewer", "reason", "phase", "syncInterval"), Message says what is wrong and what
// to do. A token is never repeated in Message.
type InvalidInputError struct {
	Field   string
	Message string
}

func (e *InvalidInputError) Error() string { return e.Message }

func invalid(field, format string, args ...any) error {
	return &InvalidInputError{Field: field, Message: fmt.Sprintf(format, args...)}
}

// parseTenant validates a tenant key from a caller (a URL path, a command-line argument).
func parseTenant(tenant model.TenantKey) (model.TenantKey, error) {
	key, err := model.ParseTenantKey(string(tenant))
	if err != nil {
		return "", &InvalidInputError{Field: "tenant", Message: err.Error()}
	}
	return key, nil
}

// mapError turns what the Temporal client returned for an action on tenant's workflow into the
// errors of this package. update names the update (for the field of a refused request), "" for
// queries.
func (s *Starter) mapError(ctx context.Context, tenant model.TenantKey, update string, err error) error {
	if err == nil {
		return nil
	}
	var appErr *temporal.ApplicationError
	if errors.As(err, &appErr) {
		switch appErr.Type() {
		case workflows.ErrWrongPhase:
			return &WrongPhaseError{Tenant: tenant, Phase: s.phaseOf(ctx, tenant, appErr.Message()), Message: appErr.Message()}
		case workflows.ErrInvalidRequest:
			return &InvalidInputError{Field: refusedField(update, appErr.Message()), Message: appErr.Message()}
		}
	}
	var notFound *serviceerror.NotFound
	if errors.As(err, &notFound) {
		return s.notRunning(ctx, tenant, err)
	}
	if unavailable(ctx, err) {
		return temporalUnavailable(tenant, err)
	}
	return fmt.Errorf("tenant %s: %w", tenant, err)
}

func temporalUnavailable(tenant model.TenantKey, err error) error {
	if tenant == "" {
		return fmt.Errorf("%w: %w", ErrTemporalUnavailable, err)
	}
	return fmt.Errorf("%w (tenant %s): %w", ErrTemporalUnavailable, tenant, err)
}

// unavailable reports an error that means Temporal, or the worker answering for the workflow,
// could not be reached or did not answer in time. A caller's own cancellation is not one.
func unavailable(ctx context.Context, err error) bool {
	if errors.Is(err, context.Canceled) && ctx.Err() != nil {
		return false
	}
	var (
		unav     *serviceerror.Unavailable
		deadline *serviceerror.DeadlineExceeded
		timeout  *client.WorkflowUpdateServiceTimeoutOrCanceledError
	)
	if errors.As(err, &unav) || errors.As(err, &deadline) || errors.As(err, &timeout) || errors.Is(err, context.DeadlineExceeded) {
		return true
	}
	if st, ok := status.FromError(err); ok && (st.Code() == codes.Unavailable || st.Code() == codes.DeadlineExceeded) {
		return true
	}
	var netErr net.Error
	return errors.As(err, &netErr)
}

// refusedField names the request field a workflow validator refused, from its message.
func refusedField(update, message string) string {
	switch {
	case strings.Contains(message, "reviewer"):
		return "reviewer"
	case strings.Contains(message, "reason"):
		return "reason"
	case update == workflows.UpdateCredentials:
		return "credentialVersion"
	}
	return "request"
}

// phaseOf reads the phase out of a refusal ("… it is permissions_missing …"), else asks the
// workflow.
func (s *Starter) phaseOf(ctx context.Context, tenant model.TenantKey, message string) model.Phase {
	if p := phaseInMessage(message); p != "" {
		return p
	}
	qctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	st, err := s.query(qctx, tenant)
	if err != nil {
		return ""
	}
	return st.Phase
}

func phaseInMessage(message string) model.Phase {
	rest := message
	for {
		i := strings.Index(rest, " is ")
		if i < 0 {
			return ""
		}
		rest = rest[i+len(" is "):]
		word := rest
		if j := strings.IndexFunc(word, func(r rune) bool { return !(r >= 'a' && r <= 'z' || r == '_') }); j >= 0 {
			word = word[:j]
		}
		for _, p := range model.Phases {
			if string(p) == word {
				return p
			}
		}
	}
}

// storeError maps a store failure: unknown tenant, Postgres unreachable, else as is.
func storeError(tenant model.TenantKey, err error) error {
	switch {
	case errors.Is(err, store.ErrUnknownTenant):
		return fmt.Errorf("%w: %s has no connection; connect it first", ErrUnknownTenant, tenant)
	case storeUnreachable(err):
		return fmt.Errorf("%w: %w", ErrStoreUnavailable, err)
	}
	return err
}

func storeUnreachable(err error) bool {
	var (
		pgErr   *pgconn.PgError
		connErr *pgconn.ConnectError
		netErr  net.Error
	)
	if errors.As(err, &pgErr) {
		return false // the server answered
	}
	return errors.As(err, &connErr) || errors.As(err, &netErr) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, context.DeadlineExceeded) || pgconn.Timeout(err)
}
