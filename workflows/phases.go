package workflows

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"hibobsync/activities"
	"hibobsync/model"
	"hibobsync/store"
)

// validate makes one cheap call with the credentials: a 401 parks the connection until new
// credentials arrive, since retrying would get our egress IP blocked by HiBob's WAF.
func (t *tenant) validate(ctx workflow.Context) error {
	var a *activities.Activities
	ref := t.credentials()
	err := workflow.ExecuteActivity(withHiBobOptions(ctx, fmt.Sprintf("validate credentials v%d", ref.Version)),
		a.ValidateCredentials, ref).Get(ctx, nil)
	switch {
	case err == nil:
		t.st.LastError = ""
		t.setPhase(ctx, model.PhaseAuditingPermissions, "credentials accepted")
	case isApplicationError(err, activities.ErrCredentialsInvalid):
		t.st.LastError = "HiBob refused the service user ID and token (401). Ask the customer to check them, or to create a new token in Bob (Settings → Integrations → Service users), and enter them again."
		t.setPhase(ctx, model.PhaseCredentialsInvalid, "HiBob refused the credentials")
	case isApplicationError(err, activities.ErrInvalidConfiguration):
		t.st.LastError = "The stored credentials cannot be used: " + reason(err) + ". Enter the credentials again."
		t.setPhase(ctx, model.PhaseCredentialsInvalid, "stored credentials unusable")
	default:
		return t.retryLater(ctx, "checking the credentials", err)
	}
	return nil
}

// audit checks the ten permissions and the audience; a connection that passes goes to
// support's review (or straight back to syncing when support approved it before).
func (t *tenant) audit(ctx workflow.Context) error {
	var a *activities.Activities
	var res activities.AuditResult
	err := workflow.ExecuteActivity(withAuditOptions(ctx), a.AuditPermissions, t.credentials()).Get(ctx, &res)
	switch {
	case isApplicationError(err, activities.ErrCredentialsInvalid):
		t.st.LastError = "HiBob refused the service user ID and token (401) during the permission audit. Enter the credentials again."
		t.setPhase(ctx, model.PhaseCredentialsInvalid, "HiBob refused the credentials")
		return nil
	case err != nil:
		return t.retryLater(ctx, "auditing the permissions", err)
	}
	t.st.Audit = &res
	if !res.Passes {
		names := make([]string, len(res.Missing))
		for i, p := range res.Missing {
			names[i] = string(p)
		}
		t.st.LastError = "The service user lacks these permissions: " + strings.Join(names, ", ") +
			". Ask the customer to grant them in Bob (Settings → Account → Permission Groups → the service user's group → People's Data); we check again every 6 hours or when asked."
		t.setPhase(ctx, model.PhasePermissionsMissing, "permissions missing: "+strings.Join(names, ", "))
		return nil
	}
	t.st.LastError = ""
	if t.st.Approved {
		t.setPhase(ctx, model.PhaseActive, "permissions confirmed; syncing resumes")
		return nil
	}
	if t.st.Review == nil { // a connection back in review keeps its first request's clock
		now := workflow.Now(ctx)
		t.st.Review = &Review{RequestedAt: now, ReminderAt: now.Add(ReviewReminderAfter), DueAt: now.Add(ReviewDueAfter)}
	}
	t.setPhase(ctx, model.PhaseAwaitingReview, fmt.Sprintf("awaiting support review of %d employees", res.Audit.Employees))
	return nil
}

// awaitPermissions re-audits every six hours, or at once when asked.
func (t *tenant) awaitPermissions(ctx workflow.Context) error {
	p := &t.st.Pending
	timedOut, err := t.awaitTimeout(ctx, PermissionRecheckPeriod, "permission re-check in 6 hours", func() bool {
		return p.Recheck || p.interrupts()
	})
	if err != nil {
		return err
	}
	if timedOut || p.Recheck {
		p.Recheck = false
		t.setPhase(ctx, model.PhaseAuditingPermissions, "re-checking permissions")
	}
	return nil
}

// awaitReview waits for support's decision, recording the 48-hour reminder and the 72-hour
// SLA breach on the way (status, UI details and an outbox event each).
func (t *tenant) awaitReview(ctx workflow.Context) error {
	r := t.st.Review
	if r == nil { // a connection restored into review without its timestamps
		now := workflow.Now(ctx)
		r = &Review{RequestedAt: now, ReminderAt: now.Add(ReviewReminderAfter), DueAt: now.Add(ReviewDueAfter)}
		t.st.Review = r
	}
	p := &t.st.Pending
	decided := func() bool { return p.Decision != nil || p.interrupts() }
	for !decided() {
		next, label := r.DueAt, "review SLA (72 hours)"
		if !r.ReminderSent {
			next, label = r.ReminderAt, "review reminder (48 hours)"
		}
		if r.Breached {
			next = time.Time{}
		}
		timedOut, err := t.awaitTimeout(ctx, untilOrNone(workflow.Now(ctx), next), label, decided)
		if err != nil {
			return err
		}
		switch {
		case !timedOut:
		case !r.ReminderSent:
			r.ReminderSent = true
			t.recordReviewEvent(ctx, "review reminder: awaiting support review for 48 hours")
		default:
			r.Breached = true
			t.recordReviewEvent(ctx, "review SLA breached: awaiting support review for 72 hours")
		}
	}
	if p.Decision == nil {
		return nil // an interruption; the loop acts on it
	}
	d := *p.Decision
	p.Decision = nil
	t.remember(d)
	if !d.Approved {
		t.setPhase(ctx, model.PhaseRejected, "rejected by "+d.Reviewer)
		return nil
	}
	t.st.Approved = true
	t.setPhase(ctx, model.PhaseInitialSync, "approved by "+d.Reviewer)
	return nil
}

func (t *tenant) recordReviewEvent(ctx workflow.Context, detail string) {
	t.logger.Warn(detail)
	workflow.SetCurrentDetails(ctx, t.describe())
	t.recordEvent(ctx, model.PhaseAwaitingReview, detail)
}

// awaitRemovalDecision holds a run's removals until support approves (remove them) or rejects
// (keep everyone); syncing resumes either way.
func (t *tenant) awaitRemovalDecision(ctx workflow.Context) error {
	p := &t.st.Pending
	if err := t.await(ctx, 0, "", func() bool { return p.Decision != nil || p.interrupts() }); err != nil {
		return err
	}
	if p.Decision == nil || t.st.Hold == nil {
		return nil
	}
	d := *p.Decision
	p.Decision = nil
	t.remember(d)
	hold := t.st.Hold
	var a *activities.Activities
	var res activities.RunSummary
	err := workflow.ExecuteActivity(withStoreOptions(ctx, fmt.Sprintf("resolve held removals of run %d", hold.RunID)),
		a.ResolveGuard, activities.ResolveGuardInput{Tenant: t.in.Tenant, RunID: hold.RunID, Remove: d.Approved}).Get(ctx, &res)
	t.st.Hold = nil
	if err != nil {
		// The held list went stale (or the store failed): nobody is removed; the next full
		// sync sees the tenant afresh and guards again if it must.
		t.st.LastError = "The held removals could not be carried out: " + reason(err) + ". The next sync will check again."
	} else if t.st.LastSync != nil && t.st.LastSync.RunID == res.RunID {
		t.st.LastSync.Counts, t.st.LastSync.Changes = res.Counts, res.Changes
	}
	verb := "kept"
	if d.Approved {
		verb = "removed"
	}
	t.setPhase(ctx, model.PhaseActive, fmt.Sprintf("%s decided the held employees are %s", d.Reviewer, verb))
	return nil
}

// awaitNextSync waits in active or sync_failing until the next periodic sync or a sync_now.
func (t *tenant) awaitNextSync(ctx workflow.Context) (kind store.RunKind, due bool, err error) {
	p := &t.st.Pending
	if t.st.NextSyncAt.IsZero() {
		t.st.NextSyncAt = workflow.Now(ctx).Add(t.in.SyncInterval)
		workflow.SetCurrentDetails(ctx, t.describe())
	}
	if wait := t.st.NextSyncAt.Sub(workflow.Now(ctx)); wait > 0 {
		_, err := t.awaitTimeout(ctx, wait, "next sync at "+t.st.NextSyncAt.UTC().Format(time.RFC3339),
			func() bool { return p.SyncNow || p.interrupts() })
		if err != nil || p.interrupts() {
			return "", false, err
		}
	}
	if p.SyncNow {
		p.SyncNow = false
		return store.RunManual, true, nil
	}
	return store.RunScheduled, !workflow.Now(ctx).Before(t.st.NextSyncAt), nil
}

// retryLater handles an activity that failed after its retries for reasons other than
// credentials or permissions: the connection stays where it is and tries again after a pause.
func (t *tenant) retryLater(ctx workflow.Context, doing string, err error) error {
	if temporal.IsCanceledError(err) {
		return err
	}
	t.st.LastError = fmt.Sprintf("Something went wrong %s: %s. Trying again in 15 minutes.", doing, reason(err))
	t.logger.Warn("activity failed; retrying later", "doing", doing, "error", err)
	workflow.SetCurrentDetails(ctx, t.describe())
	return t.await(ctx, 15*time.Minute, "retry "+doing, t.interrupted)
}

func (t *tenant) remember(d Decision) {
	t.st.Decisions = append(t.st.Decisions, d)
	if n := len(t.st.Decisions); n > 10 {
		t.st.Decisions = t.st.Decisions[n-10:]
	}
}

func (t *tenant) credentials() activities.CredentialsRef {
	return activities.CredentialsRef{Tenant: t.in.Tenant, Version: t.st.Credentials}
}

// untilOrNone is the wait until at: 0 (no deadline) for a zero at, and a nanosecond for one
// already past, so that it falls due at once.
func untilOrNone(now, at time.Time) time.Duration {
	if at.IsZero() {
		return 0
	}
	if d := at.Sub(now); d > 0 {
		return d
	}
	return time.Nanosecond
}

func isApplicationError(err error, kind string) bool {
	var appErr *temporal.ApplicationError
	return errors.As(err, &appErr) && appErr.Type() == kind
}

// reason is the innermost message of an activity failure, for status, without Temporal's
// wrapping ("activity error (type: …, scheduledEventID: …)").
func reason(err error) string {
	var appErr *temporal.ApplicationError
	if errors.As(err, &appErr) {
		return appErr.Message()
	}
	var timeout *temporal.TimeoutError
	if errors.As(err, &timeout) {
		return "the work timed out"
	}
	return err.Error()
}
