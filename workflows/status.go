package workflows

import (
	"fmt"
	"strings"
	"time"

	"hibobsync/activities"
	"hibobsync/model"
)

// Status is the answer to the status query: where the connection stands and why, for support,
// Gifted's backend and the Temporal UI.
type Status struct {
	Tenant            model.TenantKey         `json:"tenant"`
	Company           string                  `json:"company"`
	Phase             model.Phase             `json:"phase"`
	PhaseSince        time.Time               `json:"phaseSince"`
	Description       string                  `json:"description"`
	CredentialVersion int                     `json:"credentialVersion"`
	Approved          bool                    `json:"approved"`
	Audit             *activities.AuditResult `json:"audit,omitempty"` // the review preview: counts and coverage
	Review            *Review                 `json:"review,omitempty"`
	Decisions         []Decision              `json:"decisions,omitempty"`
	SyncingSince      *time.Time              `json:"syncingSince,omitempty"`
	LastSync          *SyncReport             `json:"lastSync,omitempty"`
	NextSyncAt        *time.Time              `json:"nextSyncAt,omitempty"`
	SyncInterval      time.Duration           `json:"syncInterval"`
	Failures          int                     `json:"failures,omitempty"`
	Hold              *Hold                   `json:"hold,omitempty"`
	LastError         string                  `json:"lastError,omitempty"`
}

func (t *tenant) status() Status {
	st := t.st
	s := Status{
		Tenant: t.in.Tenant, Company: t.in.Company, Phase: st.Phase, PhaseSince: st.PhaseSince,
		Description: t.describe(), CredentialVersion: st.Credentials, Approved: st.Approved, Audit: st.Audit,
		Review: st.Review, Decisions: st.Decisions, LastSync: st.LastSync, SyncInterval: t.in.SyncInterval,
		Failures: st.Failures, Hold: st.Hold, LastError: st.LastError,
	}
	if !st.SyncStartedAt.IsZero() {
		s.SyncingSince = &st.SyncStartedAt
	}
	if !st.NextSyncAt.IsZero() && (st.Phase == model.PhaseActive || st.Phase == model.PhaseSyncFailing) {
		s.NextSyncAt = &st.NextSyncAt
	}
	return s
}

// describe is the one-paragraph account of the connection shown as the workflow's current
// details in the Temporal UI.
func (t *tenant) describe() string {
	st := t.st
	var b strings.Builder
	b.WriteString(fmt.Sprintf("%s (%s) is %s since %s.", t.in.Company, t.in.Tenant, st.Phase, stamp(st.PhaseSince)))
	switch st.Phase {
	case model.PhaseAwaitingReview:
		if r := st.Review; r != nil {
			b.WriteString(fmt.Sprintf(" Support review requested %s; reminder %s, due %s.", stamp(r.RequestedAt), stamp(r.ReminderAt), stamp(r.DueAt)))
			if r.Breached {
				b.WriteString(" The 72-hour review SLA is BREACHED.")
			} else if r.ReminderSent {
				b.WriteString(" Waiting for more than 48 hours.")
			}
		}
		if a := st.Audit; a != nil {
			c := a.Audit.Coverage
			b.WriteString(fmt.Sprintf(" Preview: %d employees (%d inactive); of %d read, %d have a birthday, %d a start date, %d a home address, %d a work email.",
				a.Audit.Employees, a.Audit.Inactive, c.Sampled, c.Birthday, c.StartDate, c.HomeAddress, c.WorkEmail))
		}
	case model.PhaseRemovalsOnHold:
		if h := st.Hold; h != nil {
			b.WriteString(fmt.Sprintf(" Run %d would remove %d of %d employees (at most %d go without review): approve to remove them, reject to keep them.",
				h.RunID, h.WouldRemove, h.Of, h.Allowed))
		}
	case model.PhasePaused:
		b.WriteString(fmt.Sprintf(" Paused while %s; resume to continue.", st.PausedFrom))
	}
	if !st.SyncStartedAt.IsZero() {
		b.WriteString(fmt.Sprintf(" A sync is running since %s.", stamp(st.SyncStartedAt)))
	}
	if ls := st.LastSync; ls != nil {
		b.WriteString(fmt.Sprintf(" Last sync (run %d, %s) %s at %s: %d fetched, %d new, %d updated, %d removed, %d rejected, %d changes.",
			ls.RunID, ls.Kind, ls.Outcome, stamp(ls.FinishedAt), ls.Counts.Fetched, ls.Counts.Inserted, ls.Counts.Updated,
			ls.Counts.Removed, ls.Counts.Rejected, ls.Changes))
	}
	if !st.NextSyncAt.IsZero() && (st.Phase == model.PhaseActive || st.Phase == model.PhaseSyncFailing) {
		b.WriteString(fmt.Sprintf(" Next sync %s.", stamp(st.NextSyncAt)))
	}
	if st.LastError != "" {
		b.WriteString(" " + st.LastError)
	}
	return b.String()
}

func stamp(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format("2006-01-02 15:04 UTC")
}
