package workflows

import (
	"fmt"
	"slices"
	"strings"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"hibobsync/model"
)

// The tenant workflow's messages. Human and backend actions are Updates with validators, so a
// wrong action is refused at once, with the reason, and never enters history.
const (
	UpdateApprove            = "approve"
	UpdateReject             = "reject"
	UpdateCredentials        = "update_credentials"
	UpdateRecheckPermissions = "recheck_permissions"
	UpdateSyncNow            = "sync_now"
	UpdatePause              = "pause"
	UpdateResume             = "resume"
	UpdateDisconnect         = "disconnect"
	QueryStatus              = "status"
)

// Error types of refused updates, for callers to tell apart.
const (
	ErrWrongPhase     = "WrongPhase"     // the action does not apply in the tenant's phase
	ErrInvalidRequest = "InvalidRequest" // the request itself is incomplete
)

type ApproveRequest struct {
	Reviewer string `json:"reviewer"`
	Note     string `json:"note,omitempty"`
}

type RejectRequest struct {
	Reviewer string `json:"reviewer"`
	Reason   string `json:"reason"`
}

// CredentialsUpdate names a credential version the caller already stored; never the token.
type CredentialsUpdate struct {
	Version int `json:"version"`
}

// Ack is an accepted update's answer.
type Ack struct {
	Phase   model.Phase `json:"phase"`
	Message string      `json:"message"`
}

func (t *tenant) registerHandlers(ctx workflow.Context) error {
	p := &t.st.Pending
	handlers := []struct {
		name, description  string
		handler, validator any
	}{
		{UpdateApprove, "support approves the connection, or the removals held for review",
			func(ctx workflow.Context, r ApproveRequest) (Ack, error) {
				p.Decision = &Decision{Approved: true, Reviewer: r.Reviewer, Note: r.Note, At: workflow.Now(ctx), About: t.decisionSubject()}
				return t.ack("approved by " + r.Reviewer), nil
			},
			func(ctx workflow.Context, r ApproveRequest) error {
				if strings.TrimSpace(r.Reviewer) == "" {
					return invalid("approve needs the reviewer's name")
				}
				return t.awaitingDecision("approve")
			}},
		{UpdateReject, "support rejects the connection, or keeps the employees held for removal",
			func(ctx workflow.Context, r RejectRequest) (Ack, error) {
				p.Decision = &Decision{Approved: false, Reviewer: r.Reviewer, Note: r.Reason, At: workflow.Now(ctx), About: t.decisionSubject()}
				return t.ack("rejected by " + r.Reviewer), nil
			},
			func(ctx workflow.Context, r RejectRequest) error {
				switch {
				case strings.TrimSpace(r.Reviewer) == "":
					return invalid("reject needs the reviewer's name")
				case strings.TrimSpace(r.Reason) == "":
					return invalid("reject needs a reason the customer can act on")
				}
				return t.awaitingDecision("reject")
			}},
		{UpdateCredentials, "use a credential version the caller stored (never the token)",
			func(ctx workflow.Context, r CredentialsUpdate) (Ack, error) {
				if r.Version == t.st.Credentials && t.st.Phase != model.PhaseCredentialsInvalid {
					return t.ack(fmt.Sprintf("already using credentials version %d", r.Version)), nil
				}
				p.NewCredentials = r.Version
				return t.ack(fmt.Sprintf("checking credentials version %d", r.Version)), nil
			},
			func(ctx workflow.Context, r CredentialsUpdate) error {
				if r.Version <= 0 {
					return invalid("update_credentials needs the stored credential version (a positive number)")
				}
				return t.notEnded("update the credentials of")
			}},
		{UpdateRecheckPermissions, "audit the permissions again now",
			func(ctx workflow.Context) (Ack, error) {
				p.Recheck = true
				return t.ack("re-checking the permissions now"), nil
			},
			func(ctx workflow.Context) error {
				return t.inPhase("re-check permissions", model.PhasePermissionsMissing)
			}},
		{UpdateSyncNow, "sync now instead of at the next scheduled time",
			func(ctx workflow.Context) (Ack, error) {
				p.SyncNow = true
				return t.ack("a sync starts now"), nil
			},
			func(ctx workflow.Context) error {
				if !t.st.SyncStartedAt.IsZero() || p.SyncNow {
					return wrongPhase("tenant %s is %s and a sync is already running or about to start", t.in.Tenant, t.st.Phase)
				}
				return t.inPhase("sync", model.PhaseActive, model.PhaseSyncFailing)
			}},
		{UpdatePause, "stop syncing until resumed",
			func(ctx workflow.Context) (Ack, error) {
				p.Pause = true
				return t.ack("pausing"), nil
			},
			func(ctx workflow.Context) error {
				if t.st.Phase == model.PhasePaused || p.Pause {
					return wrongPhase("tenant %s is already paused", t.in.Tenant)
				}
				return t.notEnded("pause")
			}},
		{UpdateResume, "resume a paused connection",
			func(ctx workflow.Context) (Ack, error) {
				p.Resume = true
				return t.ack("resuming"), nil
			},
			func(ctx workflow.Context) error {
				return t.inPhase("resume", model.PhasePaused)
			}},
		{UpdateDisconnect, "end the connection for good",
			func(ctx workflow.Context) (Ack, error) {
				p.Disconnect = true
				return t.ack("disconnecting"), nil
			},
			func(ctx workflow.Context) error {
				return t.notEnded("disconnect")
			}},
	}
	for _, h := range handlers {
		if err := workflow.SetUpdateHandlerWithOptions(ctx, h.name, h.handler,
			workflow.UpdateHandlerOptions{Validator: h.validator, Description: h.description}); err != nil {
			return err
		}
	}
	return workflow.SetQueryHandlerWithOptions(ctx, QueryStatus, func() (Status, error) { return t.status(), nil },
		workflow.QueryHandlerOptions{Description: "where the connection stands, in words support understands"})
}

func (t *tenant) ack(message string) Ack { return Ack{Phase: t.st.Phase, Message: message} }

// awaitingDecision allows approve/reject only when a review or held removals wait for one.
func (t *tenant) awaitingDecision(action string) error {
	if t.st.Pending.Decision != nil {
		return wrongPhase("tenant %s: a decision by %s is already being carried out", t.in.Tenant, t.st.Pending.Decision.Reviewer)
	}
	if t.st.Phase != model.PhaseAwaitingReview && t.st.Phase != model.PhaseRemovalsOnHold {
		return wrongPhase("cannot %s tenant %s: it is %s, and nothing awaits review", action, t.in.Tenant, t.st.Phase)
	}
	return nil
}

func (t *tenant) decisionSubject() string {
	if t.st.Phase == model.PhaseRemovalsOnHold && t.st.Hold != nil {
		return fmt.Sprintf("removals of run %d", t.st.Hold.RunID)
	}
	return "connection"
}

func (t *tenant) inPhase(action string, phases ...model.Phase) error {
	if slices.Contains(phases, t.st.Phase) {
		return nil
	}
	names := make([]string, len(phases))
	for i, p := range phases {
		names[i] = string(p)
	}
	return wrongPhase("cannot %s tenant %s: it is %s (only when %s)", action, t.in.Tenant, t.st.Phase, strings.Join(names, " or "))
}

func (t *tenant) notEnded(action string) error {
	if t.st.Phase.Ended() || t.st.Pending.Disconnect {
		return wrongPhase("cannot %s tenant %s: it is %s", action, t.in.Tenant, t.st.Phase)
	}
	return nil
}

func wrongPhase(format string, args ...any) error {
	return temporal.NewApplicationError(fmt.Sprintf(format, args...), ErrWrongPhase)
}

func invalid(message string) error { return temporal.NewApplicationError(message, ErrInvalidRequest) }
