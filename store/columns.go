package store

import (
	"crypto/sha256"
	"encoding/json"
	"fmt"

	"hibobsync/model"
)

// employeeColumn is one gifting column of the employees and staged_employees tables: the
// model field it holds and which HiBob fields hide it. This table is the one place the column
// list lives; the COPY, the inserts, the hidden-field merge and the reads are built from it.
type employeeColumn struct {
	name string
	// hiddenWhen: the column is unknown (keep the stored value) when all these fields were
	// hidden from the service user.
	hiddenWhen []string
	// field points into the employee: a *string, *model.Date or *model.MonthDay.
	field func(e *model.Employee) any
	// derive, for a column computed from other fields instead of holding one.
	derive func(e *model.Employee) string
	// filledFromHistory: apply may fill the column from the run's history rows, so a hidden
	// field keeps what apply found rather than the stored value.
	filledFromHistory bool
}

var employeeColumns = []employeeColumn{
	{name: "first_name", hiddenWhen: []string{"root.firstName"}, field: func(e *model.Employee) any { return &e.FirstName }},
	{name: "surname", hiddenWhen: []string{"root.surname"}, field: func(e *model.Employee) any { return &e.Surname }},
	{name: "display_name", hiddenWhen: []string{"root.displayName"}, field: func(e *model.Employee) any { return &e.DisplayName }},
	{name: "work_email", hiddenWhen: []string{"root.email"}, field: func(e *model.Employee) any { return &e.WorkEmail }},
	{name: "personal_email", hiddenWhen: []string{"home.privateEmail"}, field: func(e *model.Employee) any { return &e.PersonalEmail }},
	{name: "birthday", hiddenWhen: []string{"personal.shortBirthDate", "personal.birthDate"}, field: func(e *model.Employee) any { return &e.Birthday }},
	{name: "birth_date", hiddenWhen: []string{"personal.birthDate"}, field: func(e *model.Employee) any { return &e.BirthDate }},
	{name: "start_date", hiddenWhen: []string{"work.startDate"}, field: func(e *model.Employee) any { return &e.StartDate }},
	{name: "original_start_date", hiddenWhen: []string{"work.originalStartDate"}, field: func(e *model.Employee) any { return &e.OriginalStartDate }},
	{name: "title", hiddenWhen: []string{"work.title"}, field: func(e *model.Employee) any { return &e.Title.Value }},
	{name: "title_label", hiddenWhen: []string{"work.title"}, field: func(e *model.Employee) any { return &e.Title.Label }},
	{name: "department", hiddenWhen: []string{"work.department"}, field: func(e *model.Employee) any { return &e.Department.Value }},
	{name: "department_label", hiddenWhen: []string{"work.department"}, field: func(e *model.Employee) any { return &e.Department.Label }},
	{name: "site", hiddenWhen: []string{"work.site"}, field: func(e *model.Employee) any { return &e.Site.Value }},
	{name: "site_label", hiddenWhen: []string{"work.site"}, field: func(e *model.Employee) any { return &e.Site.Label }},
	{name: "manager_id", hiddenWhen: []string{"work.manager"}, field: func(e *model.Employee) any { return &e.ManagerID }},
	{name: "access_status", hiddenWhen: []string{"internal.status"}, field: func(e *model.Employee) any { return &e.AccessStatus.Value }},
	{name: "access_status_label", hiddenWhen: []string{"internal.status"}, field: func(e *model.Employee) any { return &e.AccessStatus.Label }},
	{name: "lifecycle_status", hiddenWhen: []string{"internal.lifecycleStatus"}, field: func(e *model.Employee) any { return &e.LifecycleStatus.Value }},
	{name: "lifecycle_status_label", hiddenWhen: []string{"internal.lifecycleStatus"}, field: func(e *model.Employee) any { return &e.LifecycleStatus.Label }},
	// The diff's own reading of the lifecycle status: one of model.LifecycleStatuses or NULL.
	{name: "lifecycle_class", hiddenWhen: []string{"internal.lifecycleStatus"}, derive: func(e *model.Employee) string {
		return string(model.ClassifyLifecycle(e.LifecycleStatus.Value))
	}},
	{name: "termination_date", hiddenWhen: []string{"internal.terminationDate"}, field: func(e *model.Employee) any { return &e.TerminationDate },
		filledFromHistory: true},
	{name: "last_day_of_work", hiddenWhen: []string{"employee.lastDayOfWork"}, field: func(e *model.Employee) any { return &e.LastDayOfWork }},
	{name: "home_line1", hiddenWhen: []string{"address.line1"}, field: func(e *model.Employee) any { return &e.HomeAddress.Line1 }},
	{name: "home_line2", hiddenWhen: []string{"address.line2"}, field: func(e *model.Employee) any { return &e.HomeAddress.Line2 }},
	{name: "home_city", hiddenWhen: []string{"address.city"}, field: func(e *model.Employee) any { return &e.HomeAddress.City }},
	{name: "home_post_code", hiddenWhen: []string{"address.postCode"}, field: func(e *model.Employee) any { return &e.HomeAddress.PostCode }},
	{name: "home_state", hiddenWhen: []string{"address.usaState"}, field: func(e *model.Employee) any { return &e.HomeAddress.State }},
	{name: "home_country", hiddenWhen: []string{"address.country"}, field: func(e *model.Employee) any { return &e.HomeAddress.Country.Value }},
	{name: "home_country_label", hiddenWhen: []string{"address.country"}, field: func(e *model.Employee) any { return &e.HomeAddress.Country.Label }},
	{name: "site_line1", hiddenWhen: []string{"address.siteAddress1"}, field: func(e *model.Employee) any { return &e.SiteAddress.Line1 }},
	{name: "site_line2", hiddenWhen: []string{"address.siteAddress2"}, field: func(e *model.Employee) any { return &e.SiteAddress.Line2 }},
	{name: "site_city", hiddenWhen: []string{"address.siteCity"}, field: func(e *model.Employee) any { return &e.SiteAddress.City }},
	{name: "site_post_code", hiddenWhen: []string{"address.sitePostalCode"}, field: func(e *model.Employee) any { return &e.SiteAddress.PostCode }},
	{name: "site_state", hiddenWhen: []string{"address.siteState"}, field: func(e *model.Employee) any { return &e.SiteAddress.State }},
	{name: "site_country", hiddenWhen: []string{"address.siteCountry"}, field: func(e *model.Employee) any { return &e.SiteAddress.Country.Value }},
	{name: "site_country_label", hiddenWhen: []string{"address.siteCountry"}, field: func(e *model.Employee) any { return &e.SiteAddress.Country.Label }},
}

// value is what the column stores for e: NULL for an empty value, so "no value" has one spelling.
func (c employeeColumn) value(e *model.Employee) any {
	if c.derive != nil {
		return text(c.derive(e))
	}
	switch f := c.field(e).(type) {
	case *string:
		return text(*f)
	case *model.Date:
		return date(*f)
	case *model.MonthDay:
		return text(f.String())
	}
	panic("store: employee column " + c.name + " points at an unsupported type")
}

// selectExpr reads the column as text (” for NULL), which load parses back.
func (c employeeColumn) selectExpr(alias string) string {
	col := alias + "." + c.name
	if c.derive == nil {
		if _, isDate := c.field(&model.Employee{}).(*model.Date); isDate {
			return "coalesce(to_char(" + col + ", 'YYYY-MM-DD'), '')"
		}
	}
	return "coalesce(" + col + "::text, '')"
}

// load sets the column's field of e from its text form.
func (c employeeColumn) load(e *model.Employee, v string) error {
	if c.derive != nil {
		return nil
	}
	var err error
	switch f := c.field(e).(type) {
	case *string:
		*f = v
	case *model.Date:
		if v != "" {
			*f, err = model.ParseDate(v)
		}
	case *model.MonthDay:
		if v != "" {
			*f, err = model.ParseMonthDay(v)
		}
	}
	if err != nil {
		return fmt.Errorf("store: column %s: %w", c.name, err)
	}
	return nil
}

// employeeColumnNames is the gifting columns, optionally qualified by alias.
func employeeColumnNames(alias string) []string {
	names := make([]string, len(employeeColumns))
	for i, c := range employeeColumns {
		names[i] = c.name
		if alias != "" {
			names[i] = alias + "." + c.name
		}
	}
	return names
}

// employeeHash is the content hash the diff compares: the normalised gifting fields and which
// fields were hidden. Raw is left out, so volatile values HiBob computes from the clock (age,
// tenure, avatar URLs) never make an employee look changed; GiftingFields does not ask for them.
func employeeHash(e *model.Employee) []byte {
	c := *e
	c.Raw = nil
	b, _ := json.Marshal(c) // a struct of strings and dates cannot fail to encode
	sum := sha256.Sum256(b)
	return sum[:]
}

func historyHash(h *model.HistoryEntry) []byte {
	c := *h
	c.Raw = nil
	b, _ := json.Marshal(c)
	sum := sha256.Sum256(b)
	return sum[:]
}

// text stores an empty string as NULL.
func text(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func date(d model.Date) any {
	if d.IsZero() {
		return nil
	}
	return d.Time()
}
