package model

import "time"

// ChangeKind is what happened to an employee, as Gifted's gifting automation reacts to it.
type ChangeKind string

const (
	// Hired: a new employee, or a future starter from the tenant's baseline whose start date
	// arrived. Effective on the start date (which may lie ahead: welcome gifts ship early).
	ChangeHired ChangeKind = "hired"
	// Rehired: a leaver employed again.
	ChangeRehired ChangeKind = "rehired"
	// Terminated: a termination, announced once, as soon as it is known (also when it is
	// dated in the future), effective on the termination date.
	ChangeTerminated ChangeKind = "terminated"
	// TerminationCancelled: a future-dated termination was withdrawn.
	ChangeTerminationCancelled ChangeKind = "termination_cancelled"
	ChangeOnLeave              ChangeKind = "on_leave"
	ChangeReturned             ChangeKind = "returned"
	ChangeBirthday             ChangeKind = "birthday_changed"
	ChangeStartDate            ChangeKind = "start_date_changed"
	ChangeHomeAddress          ChangeKind = "home_address_changed"
	ChangeWorkEmail            ChangeKind = "work_email_changed"
	ChangePersonalEmail        ChangeKind = "personal_email_changed"
	ChangeName                 ChangeKind = "name_changed"
	// Removed: no longer returned by a full read (deleted in Bob, or taken out of the audience).
	ChangeRemoved ChangeKind = "removed"
	// Restored: returned again after having been removed.
	ChangeRestored ChangeKind = "restored"
)

// Change is one entry of a tenant's change feed. Cursor orders a tenant's changes.
type Change struct {
	Cursor        int64      `json:"cursor"`
	Tenant        TenantKey  `json:"tenant"`
	RunID         int64      `json:"runId"`
	EmployeeID    string     `json:"employeeId"`
	Kind          ChangeKind `json:"kind"`
	Field         string     `json:"field,omitempty"`
	OldValue      string     `json:"oldValue,omitempty"`
	NewValue      string     `json:"newValue,omitempty"`
	EffectiveDate Date       `json:"effectiveDate,omitzero"`
	CreatedAt     time.Time  `json:"createdAt"`
}

// Rejection is a row a sync refused (no ID, a duplicate ID, an impossible date), with the
// reason stored on the run. Reason names the field and the problem, never the value.
type Rejection struct {
	EmployeeID string `json:"employeeId,omitempty"` // empty when the ID itself is missing or malformed
	Reason     string `json:"reason"`
}
