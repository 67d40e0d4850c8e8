package simulator

import (
	"fmt"
	"slices"
	"strings"

	"hibobsync/model"
)

// NewHire is a person HR adds. List fields take a label ("Engineering") or a list item ID;
// empty ones default to the first item of the list.
type NewHire struct {
	FirstName      string        `json:"firstName"`
	Surname        string        `json:"surname"`
	WorkEmail      string        `json:"workEmail"` // "" → first.last@<company domain>, disambiguated
	PersonalEmail  string        `json:"personalEmail"`
	MobilePhone    string        `json:"mobilePhone"`
	BirthDate      model.Date    `json:"birthDate"`
	StartDate      model.Date    `json:"startDate"` // zero → today
	Home           model.Address `json:"home"`
	Title          string        `json:"title"`
	Department     string        `json:"department"`
	Site           string        `json:"site"`
	ManagerID      string        `json:"managerId"`
	EmploymentType string        `json:"employmentType"`
}

func invalid(format string, args ...any) error {
	return fmt.Errorf(format+": %w", append(args, ErrInvalid)...)
}

// publish swaps in a new version of a person (nil old → insert, nil p → delete), copying the
// people slice so snapshots already handed out stay untouched.
func (c *Company) publish(old, p *person) {
	people := make([]*person, 0, len(c.people)+1)
	for _, q := range c.people {
		if q != old {
			people = append(people, q)
		}
	}
	if old != nil {
		delete(c.byID, old.id)
		delete(c.byEmail, strings.ToLower(old.workEmail))
	}
	if p != nil {
		i, _ := slices.BinarySearchFunc(people, p.id, func(q *person, id string) int { return strings.Compare(q.id, id) })
		people = slices.Insert(people, i, p)
		c.byID[p.id] = p
		c.byEmail[strings.ToLower(p.workEmail)] = p
	}
	c.people = people
}

// change applies f to a copy of the employee and publishes the copy if f succeeds.
func (c *Company) change(id string, f func(p *person, today model.Date) error) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	old, ok := c.byID[id]
	if !ok {
		return fmt.Errorf("employee %q: %w", id, ErrUnknownEmployee)
	}
	p := old.clone()
	if err := f(p, c.srv.today()); err != nil {
		return fmt.Errorf("employee %q: %w", id, err)
	}
	p.sortRows()
	c.publish(old, p)
	return nil
}

func orToday(d, today model.Date) model.Date {
	if d.IsZero() {
		return today
	}
	return d
}

func (p *person) statusOn(d model.Date) model.LifecycleStatus { return p.stateOn(d, nil).lifecycle }

// addLifecycle refuses a second row on one date, as HiBob does ("Duplicate effective date").
func (p *person) addLifecycle(row lifecycleRow) error {
	for _, r := range p.lifecycle {
		if r.eff == row.eff {
			return invalid("duplicate effective date %s in the lifecycle table", row.eff)
		}
	}
	row.id = p.newEntryID(row.eff)
	p.lifecycle = append(p.lifecycle, row)
	return nil
}

func hrMeta(eff, today model.Date) rowMeta {
	return rowMeta{eff: eff, created: today, modified: today}
}

// Hire adds an employee. A start date after today makes a future starter: lifecycle Hired from
// today (access Inactive) and a future-dated Employed row that becomes current on the start date.
func (c *Company) Hire(h NewHire) (string, error) {
	if strings.TrimSpace(h.FirstName) == "" || strings.TrimSpace(h.Surname) == "" {
		return "", invalid("a new hire needs a first name and a surname")
	}
	if h.BirthDate.IsZero() {
		return "", invalid("a new hire needs a birth date")
	}
	l := c.lists
	title, ok1 := l.resolve("title", h.Title)
	dept, ok2 := l.resolve("department", h.Department)
	site, ok3 := l.resolve("site", h.Site)
	typ, ok4 := l.resolve("employmentType", h.EmploymentType)
	if !ok1 || !ok2 || !ok3 || !ok4 {
		return "", invalid("unknown title, department, site or employment type in %+v", h)
	}
	if dept == "" {
		dept = l.departments[1].id
	}
	if title == "" {
		title = l.titles[dept][0].id
		if title == "" {
			title = l.titles[l.departments[0].id][0].id
		}
	}
	if site == "" {
		site = l.sites[0].id
	}
	if typ == "" {
		typ = l.empType[0].id
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	today := c.srv.today()
	if h.ManagerID != "" && c.byID[h.ManagerID] == nil {
		return "", fmt.Errorf("manager %q: %w", h.ManagerID, ErrUnknownEmployee)
	}
	email := h.WorkEmail
	if email == "" {
		email = uniqueEmail(emailLocal(h.FirstName, h.Surname), c.domain, func(e string) bool { return c.byEmail[e] != nil }, func(string) {})
	} else if !strings.Contains(email, "@") || c.byEmail[strings.ToLower(email)] != nil {
		return "", invalid("work email %q is malformed or taken", email)
	}
	var id string
	for id == "" || c.byID[id] != nil {
		id = fmt.Sprint(3_000_000_000_000_000_000 + c.rng.Int64N(999_999_999_999_999_999))
	}
	start := orToday(h.StartDate, today)
	home := h.Home
	if home.Country.Label == "" {
		home.Country.Label = home.Country.Value
	}
	p := &person{id: id, firstName: h.FirstName, surname: h.Surname, workEmail: email, personalEmail: h.PersonalEmail,
		mobilePhone: h.MobilePhone, birthDate: h.BirthDate, startDate: start, originalStartDate: start,
		created: c.srv.clock().UTC(), home: home, familyStatus: l.familyStatus[0].id}
	if start.After(today) {
		_ = p.addLifecycle(lifecycleRow{rowMeta: hrMeta(today, today), status: model.StatusHired})
	}
	_ = p.addLifecycle(lifecycleRow{rowMeta: hrMeta(start, today), status: model.StatusEmployed})
	p.work = []workRow{{rowMeta: hrMeta(start, today), title: title, department: dept, site: site, managerID: h.ManagerID, changeType: "New Employee"}}
	p.work[0].id = p.newEntryID(start)
	hours := 40.0
	p.employment = []employmentRow{{rowMeta: hrMeta(start, today), typ: typ, contract: l.contract[0].id, weeklyHours: hours, fte: 1}}
	p.employment[0].id = p.newEntryID(start)
	p.sortRows()
	c.publish(nil, p)
	return id, nil
}

// Terminate ends employment on the given date (zero → today). A date today or earlier
// terminates now; a later one schedules it: a future-dated Terminated row (isCurrent false),
// internal.terminationDate already set, the person still employed until then. Lifecycle rows
// planned after the date (a future start, a return from leave) are dropped, as they no longer
// happen.
func (c *Company) Terminate(id string, on model.Date) error {
	return c.change(id, func(p *person, today model.Date) error {
		on = orToday(on, today)
		if st := p.statusOn(on); st == model.StatusTerminated {
			return invalid("already terminated on %s", on)
		}
		p.lifecycle = slices.DeleteFunc(p.lifecycle, func(r lifecycleRow) bool { return r.eff.After(on) })
		reason := c.lists.termReason[0]
		m := hrMeta(on, today)
		m.reason = reason.label
		return p.addLifecycle(lifecycleRow{rowMeta: m, status: model.StatusTerminated, termReason: reason.id,
			reasonType: c.lists.reasonType[0].id, lastDayOfWork: on})
	})
}

// StartLeave puts an employed person on leave from the date (zero → today).
func (c *Company) StartLeave(id string, on model.Date) error {
	return c.change(id, func(p *person, today model.Date) error {
		on = orToday(on, today)
		if st := p.statusOn(on); st != model.StatusEmployed {
			return invalid("cannot start leave on %s: status is %s", on, st)
		}
		m := hrMeta(on, today)
		m.reason = "Leave"
		return p.addLifecycle(lifecycleRow{rowMeta: m, status: model.StatusLeave, leaveReason: "Leave"})
	})
}

// ReturnFromLeave makes a person on leave employed again from the date (zero → today).
func (c *Company) ReturnFromLeave(id string, on model.Date) error {
	return c.change(id, func(p *person, today model.Date) error {
		on = orToday(on, today)
		if st := p.statusOn(on); st != model.StatusLeave {
			return invalid("cannot return from leave on %s: status is %s", on, st)
		}
		m := hrMeta(on, today)
		m.reason = "Return from leave"
		return p.addLifecycle(lifecycleRow{rowMeta: m, status: model.StatusEmployed})
	})
}

// Rehire employs a terminated person again from the date (zero → today): a new Employed row, a
// new start date (originalStartDate keeps the first one), and new work and employment rows.
func (c *Company) Rehire(id string, on model.Date) error {
	return c.change(id, func(p *person, today model.Date) error {
		on = orToday(on, today)
		if st := p.statusOn(on); st != model.StatusTerminated {
			return invalid("cannot rehire on %s: status is %s", on, st)
		}
		m := hrMeta(on, today)
		m.reason = "Rehire"
		if err := p.addLifecycle(lifecycleRow{rowMeta: m, status: model.StatusEmployed}); err != nil {
			return err
		}
		p.startDate = on
		p.work = slices.DeleteFunc(p.work, func(r workRow) bool { return !r.eff.Before(on) })
		p.employment = slices.DeleteFunc(p.employment, func(r employmentRow) bool { return !r.eff.Before(on) })
		if n := len(p.work); n > 0 {
			w := p.work[n-1]
			w.rowMeta, w.changeType = hrMeta(on, today), "Rehire"
			w.id = p.newEntryID(on)
			p.work = append(p.work, w)
		}
		if n := len(p.employment); n > 0 {
			e := p.employment[n-1]
			e.rowMeta = hrMeta(on, today)
			e.id = p.newEntryID(on)
			p.employment = append(p.employment, e)
		}
		return nil
	})
}

// SetHomeAddress replaces the home address (the current row of HiBob's address table).
func (c *Company) SetHomeAddress(id string, a model.Address) error {
	return c.change(id, func(p *person, _ model.Date) error {
		if a.Country.Label == "" {
			a.Country.Label = a.Country.Value
		}
		p.home = a
		return nil
	})
}

// CorrectBirthDate fixes a wrong date of birth.
func (c *Company) CorrectBirthDate(id string, d model.Date) error {
	return c.change(id, func(p *person, _ model.Date) error {
		if d.IsZero() {
			return invalid("birth date must not be empty")
		}
		p.birthDate = d
		return nil
	})
}

// SetWorkEmail changes root.email; work emails are unique within the company.
func (c *Company) SetWorkEmail(id, email string) error {
	return c.change(id, func(p *person, _ model.Date) error {
		if !strings.Contains(email, "@") {
			return invalid("work email %q is malformed", email)
		}
		if q := c.byEmail[strings.ToLower(email)]; q != nil && q.id != id {
			return invalid("work email %q belongs to employee %s", email, q.id)
		}
		p.workEmail = email
		return nil
	})
}

// SetPersonalEmail changes home.privateEmail ("" clears it).
func (c *Company) SetPersonalEmail(id, email string) error {
	return c.change(id, func(p *person, _ model.Date) error {
		p.personalEmail = email
		return nil
	})
}

// SetName changes first name and surname (and with them displayName and fullName).
func (c *Company) SetName(id, first, surname string) error {
	return c.change(id, func(p *person, _ model.Date) error {
		if strings.TrimSpace(first) == "" || strings.TrimSpace(surname) == "" {
			return invalid("first name and surname must not be empty")
		}
		p.firstName, p.surname = first, surname
		return nil
	})
}

// Delete removes an employee outright, as deleting a profile in Bob does: the person vanishes
// from every read, and reports' managers read as empty.
func (c *Company) Delete(id string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	old, ok := c.byID[id]
	if !ok {
		return fmt.Errorf("employee %q: %w", id, ErrUnknownEmployee)
	}
	c.publish(old, nil)
	return nil
}
