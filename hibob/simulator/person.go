package simulator

import (
	"slices"
	"time"

	"hibobsync/model"
)

// person is one employee record. Published persons are immutable: an HR change clones the
// person and swaps the pointer under the company lock, so a request can stream a snapshot of
// pointers without holding the lock while writing to a slow client.
type person struct {
	id                string
	firstName         string
	surname           string
	workEmail         string
	personalEmail     string
	mobilePhone       string
	familyStatus      string // list item ID
	ssn               string
	birthDate         model.Date
	startDate         model.Date // latest (re)hire start
	originalStartDate model.Date
	created           time.Time // root.creationDateTime
	home              model.Address

	// History tables, each sorted by effective date. Entry IDs are unique per employee and table.
	lifecycle  []lifecycleRow
	work       []workRow
	employment []employmentRow
	nextEntry  int64 // sequence for new entry IDs, shared by the three tables
}

type rowMeta struct {
	id          int64
	eff         model.Date
	created     model.Date // creationDate; zero → null (HiBob leaves it null on most rows)
	modified    model.Date
	reason      string // change.reason
	changedByID string
}

type lifecycleRow struct {
	rowMeta
	status        model.LifecycleStatus
	reasonType    string // list lifecycleReasonType item ID, termination rows only
	leaveReason   string
	termReason    string // internal.terminationReason list item ID, termination rows only
	lastDayOfWork model.Date
}

type workRow struct {
	rowMeta
	title, department, site string // list item IDs
	managerID               string
	changeType              string
}

type employmentRow struct {
	rowMeta
	typ, contract string // list item IDs
	weeklyHours   float64
	fte           float64
}

func (p *person) clone() *person {
	c := *p
	c.lifecycle = slices.Clone(p.lifecycle)
	c.work = slices.Clone(p.work)
	c.employment = slices.Clone(p.employment)
	return &c
}

func (p *person) displayName() string { return p.firstName + " " + p.surname }

// entryID mimics HiBob's large numeric row IDs (e.g. 1000020260906) while staying unique per
// employee: a per-employee sequence above the date digits.
func (p *person) newEntryID(eff model.Date) int64 {
	p.nextEntry++
	return 1_000_000_000_000 + p.nextEntry*100_000_000 + int64(eff.Year*10000+int(eff.Month)*100+eff.Day)
}

// currentIndex is the row in effect on day: the last one whose effective date is not after it.
// When every row lies in the future (a future starter), the earliest row counts as current, so
// each table has exactly one current row and the employee's fields always come from it.
func currentIndex(n int, eff func(int) model.Date, day model.Date) int {
	cur := -1
	for i := 0; i < n; i++ {
		if !eff(i).After(day) {
			cur = i
		}
	}
	if cur < 0 && n > 0 {
		cur = 0
	}
	return cur
}

func dateKey(d model.Date) int { return d.Year*10000 + int(d.Month)*100 + d.Day }

// endEffective is the day before the next row's effective date: set on every row that a later
// row supersedes, including rows superseded only in the future.
func endEffective(next int, n int, eff func(int) model.Date) model.Date {
	if next >= n {
		return model.Date{}
	}
	return eff(next).AddDays(-1)
}

// state is a person as of one day: which rows are current and what follows from them. The API
// and Truth both read employees through it, so they agree by construction on derived values
// while encoding them independently.
type state struct {
	p          *person
	lc         *lifecycleRow
	work       *workRow
	emp        *employmentRow
	lcCur      int
	workCur    int
	empCur     int
	termRow    *lifecycleRow // pending or past termination not undone by a later rehire
	lifecycle  model.LifecycleStatus
	accessOK   bool // internal.status Active
	managerRef *person
}

func (p *person) stateOn(day model.Date, lookup func(string) *person) state {
	s := state{p: p}
	s.lcCur = currentIndex(len(p.lifecycle), func(i int) model.Date { return p.lifecycle[i].eff }, day)
	s.workCur = currentIndex(len(p.work), func(i int) model.Date { return p.work[i].eff }, day)
	s.empCur = currentIndex(len(p.employment), func(i int) model.Date { return p.employment[i].eff }, day)
	if s.lcCur >= 0 {
		s.lc = &p.lifecycle[s.lcCur]
		s.lifecycle = s.lc.status
	}
	if s.workCur >= 0 {
		s.work = &p.work[s.workCur]
		if s.work.managerID != "" && lookup != nil {
			s.managerRef = lookup(s.work.managerID)
		}
	}
	if s.empCur >= 0 {
		s.emp = &p.employment[s.empCur]
	}
	s.accessOK = accessStatus(s.lifecycle) == "Active"
	// A termination (past or scheduled) stands until a later Employed row, i.e. a rehire.
	for i := len(p.lifecycle) - 1; i >= 0; i-- {
		r := &p.lifecycle[i]
		if r.status == model.StatusEmployed {
			break
		}
		if r.status == model.StatusTerminated {
			s.termRow = r
			break
		}
	}
	return s
}

// accessStatus is internal.status / employeeStatus. Employees on leave are inactive, as
// employee.inactivated fires "on leave or terminated" (§7.2), so they drop out of searches
// without showInactive; future starters stay inactive until their start date.
func accessStatus(s model.LifecycleStatus) string {
	if s == model.StatusEmployed {
		return "Active"
	}
	return "Inactive"
}

func (p *person) sortRows() {
	slices.SortStableFunc(p.lifecycle, func(a, b lifecycleRow) int { return dateKey(a.eff) - dateKey(b.eff) })
	slices.SortStableFunc(p.work, func(a, b workRow) int { return dateKey(a.eff) - dateKey(b.eff) })
	slices.SortStableFunc(p.employment, func(a, b employmentRow) int { return dateKey(a.eff) - dateKey(b.eff) })
}
