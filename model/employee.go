package model

import "encoding/json"

// Employee is one person of a customer's HiBob tenant, reduced to the fields gifting runs on:
// who they are, how to reach them, when to celebrate them and where to ship.
//
// An empty field means HiBob returned the field empty (permitted, no value). A field the service
// user may not see is listed in Hidden by its HiBob field ID, so that "no birthday on file" and
// "not allowed to see birthdays" never look alike.
type Employee struct {
	ID                string    `json:"id"` // HiBob's 19-digit employee ID, always a string
	FirstName         string    `json:"firstName,omitempty"`
	Surname           string    `json:"surname,omitempty"`
	DisplayName       string    `json:"displayName,omitempty"`
	WorkEmail         string    `json:"workEmail,omitempty"`
	PersonalEmail     string    `json:"personalEmail,omitempty"`
	Birthday          MonthDay  `json:"birthday,omitzero"`  // personal.shortBirthDate, or the month-day of BirthDate
	BirthDate         Date      `json:"birthDate,omitzero"` // the full date, only when the service user may see it
	StartDate         Date      `json:"startDate,omitzero"`
	OriginalStartDate Date      `json:"originalStartDate,omitzero"`
	Title             ListValue `json:"title,omitzero"`
	Department        ListValue `json:"department,omitzero"`
	Site              ListValue `json:"site,omitzero"`
	ManagerID         string    `json:"managerId,omitempty"`
	AccessStatus      ListValue `json:"accessStatus,omitzero"`    // internal.status: active or inactive access
	LifecycleStatus   ListValue `json:"lifecycleStatus,omitzero"` // internal.lifecycleStatus: hired, employed, leave, terminated…
	TerminationDate   Date      `json:"terminationDate,omitzero"`
	LastDayOfWork     Date      `json:"lastDayOfWork,omitzero"`
	HomeAddress       Address   `json:"homeAddress,omitzero"`
	SiteAddress       Address   `json:"siteAddress,omitzero"`

	// Hidden lists the requested HiBob field IDs that the response left out, sorted.
	Hidden []string `json:"hidden,omitempty"`
	// Raw is the employee object exactly as HiBob returned it.
	Raw json.RawMessage `json:"-"`
}

// ListValue is the value of a HiBob list field: the machine value (a list item ID or code) and,
// when the response carried humanReadable, the label people see.
type ListValue struct {
	Value string `json:"value,omitempty"`
	Label string `json:"label,omitempty"`
}

func (v ListValue) IsZero() bool { return v == ListValue{} }

// String is the label when known, else the machine value.
func (v ListValue) String() string {
	if v.Label != "" {
		return v.Label
	}
	return v.Value
}

// Address is a postal address: an employee's home (where gifts ship) or their site's office.
type Address struct {
	Line1    string    `json:"line1,omitempty"`
	Line2    string    `json:"line2,omitempty"`
	City     string    `json:"city,omitempty"`
	PostCode string    `json:"postCode,omitempty"`
	State    string    `json:"state,omitempty"` // address.usaState: free text, "State/Province/Region"
	Country  ListValue `json:"country,omitzero"`
}

func (a Address) IsZero() bool { return a == Address{} }
