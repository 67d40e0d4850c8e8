package model

import "strings"

// Permission is one of the ten People's-data permissions that Gifted's setup guide asks the
// customer to grant the service user's permission group.
type Permission string

const (
	PermAddress         Permission = "Address"
	PermEmail           Permission = "Email"
	PermEmployment      Permission = "Employment"
	PermHistory         Permission = "History"
	PermHome            Permission = "Home"
	PermIdentification  Permission = "Identification"
	PermLifecycle       Permission = "Lifecycle"
	PermPersonal        Permission = "Personal"
	PermPersonalContact Permission = "Personal Contact Details"
	PermWork            Permission = "Work"
)

// Permissions are the ten, in the setup guide's order.
var Permissions = []Permission{
	PermAddress, PermEmail, PermEmployment, PermHistory, PermHome,
	PermIdentification, PermLifecycle, PermPersonal, PermPersonalContact, PermWork,
}

// Fix is what the customer must enable in Bob (Settings → Account → Permission Groups → the
// service user's group → People's Data → Edit Permissions), in the setup guide's own words.
func (p Permission) Fix() []string {
	switch p {
	case PermAddress:
		return []string{"View selected employees' Address sections", "View selected employees' Address section histories"}
	case PermEmail:
		return []string{"View selected employees' email addresses"}
	case PermEmployment:
		return []string{"View selected employees' Employment sections", "View selected employees' Employment section histories"}
	case PermHistory:
		return []string{"View selected employees' profile changes history"}
	case PermHome:
		return []string{"View selected employees' Home sections"}
	case PermIdentification:
		return []string{"View selected employees' Identification sections"}
	case PermLifecycle:
		return []string{"View selected employees' Lifecycle sections", "View selected employees' Lifecycle section histories"}
	case PermPersonal:
		return []string{"View selected employees' Personal sections"}
	case PermPersonalContact:
		return []string{"View selected employees' Personal contact details sections"}
	case PermWork:
		return []string{"View selected employees' Work section histories"}
	}
	return nil
}

// LifecycleStatus is a lifecycle status as Bob's permission-group audience ("Access data for")
// and the lifecycle table name it.
type LifecycleStatus string

const (
	StatusHired      LifecycleStatus = "Hired"
	StatusEmployed   LifecycleStatus = "Employed"
	StatusLeave      LifecycleStatus = "Leave"
	StatusTerminated LifecycleStatus = "Terminated"
)

// LifecycleStatuses are the statuses Gifted needs in the audience: without Hired there are no
// welcome gifts for future starters, without Terminated leavers are never seen leaving.
var LifecycleStatuses = []LifecycleStatus{StatusHired, StatusEmployed, StatusLeave, StatusTerminated}

// ClassifyLifecycle folds a lifecycle status as HiBob gives it (a machine value or a label,
// any case, leave kinds such as "Parental leave") onto the four statuses; "" when it is none.
func ClassifyLifecycle(status string) LifecycleStatus {
	s := strings.ToLower(strings.TrimSpace(status))
	switch {
	case s == "":
		return ""
	case strings.Contains(s, "terminated"):
		return StatusTerminated
	case strings.Contains(s, "leave"):
		return StatusLeave
	case s == "hired":
		return StatusHired
	case s == "employed":
		return StatusEmployed
	}
	return ""
}
