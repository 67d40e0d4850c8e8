package simulator

import (
	"hibobsync/model"
)

// Truth is what a sync with full permissions, the full audience and showInactive:true must end
// with, read straight from the records (not from the API's JSON), sorted by ID. List values carry
// their labels; Hidden and Raw stay empty.
func (c *Company) Truth() []model.Employee {
	snap := c.snapshot()
	out := make([]model.Employee, 0, len(snap.people))
	for _, p := range snap.people {
		st := p.stateOn(snap.today, snap.lookup)
		e := model.Employee{
			ID: p.id, FirstName: p.firstName, Surname: p.surname, DisplayName: p.displayName(),
			WorkEmail: p.workEmail, PersonalEmail: p.personalEmail,
			Birthday: p.birthDate.MonthDay(), BirthDate: p.birthDate,
			StartDate: p.startDate, OriginalStartDate: p.originalStartDate,
			AccessStatus:    model.ListValue{Value: accessStatus(st.lifecycle), Label: accessStatus(st.lifecycle)},
			LifecycleStatus: model.ListValue{Value: lifecycleMachine(st.lifecycle), Label: string(st.lifecycle)},
			HomeAddress:     p.home,
		}
		if st.work != nil {
			e.Title = snap.lists.value(st.work.title)
			e.Department = snap.lists.value(st.work.department)
			e.Site = snap.lists.value(st.work.site)
			if s := snap.lists.site[st.work.site]; s != nil {
				e.SiteAddress = s.addr
			}
		}
		if st.managerRef != nil {
			e.ManagerID = st.managerRef.id
		}
		if st.termRow != nil {
			e.TerminationDate = st.termRow.eff
			e.LastDayOfWork = st.termRow.lastDayOfWork
		}
		out = append(out, e)
	}
	return out
}

// HistoryTruth is every row of a table for every employee, as a service user with View history
// reads it, sorted by (EmployeeID, EntryID).
func (c *Company) HistoryTruth(t model.HistoryTable) []model.HistoryEntry {
	snap := c.snapshot()
	var out []model.HistoryEntry
	for _, p := range snap.people {
		var rows []model.HistoryEntry
		switch t {
		case model.Lifecycle:
			eff := func(i int) model.Date { return p.lifecycle[i].eff }
			cur := currentIndex(len(p.lifecycle), eff, snap.today)
			for i, r := range p.lifecycle {
				rows = append(rows, model.HistoryEntry{Table: t, EmployeeID: p.id, EntryID: r.id, EffectiveDate: r.eff,
					EndEffectiveDate: endEffective(i+1, len(p.lifecycle), eff), IsCurrent: i == cur,
					Status: string(r.status), EmployeeStatus: accessStatus(r.status), Reason: r.reason})
			}
		case model.Work:
			eff := func(i int) model.Date { return p.work[i].eff }
			cur := currentIndex(len(p.work), eff, snap.today)
			for i, r := range p.work {
				e := model.HistoryEntry{Table: t, EmployeeID: p.id, EntryID: r.id, EffectiveDate: r.eff,
					EndEffectiveDate: endEffective(i+1, len(p.work), eff), IsCurrent: i == cur,
					Title: r.title, Department: r.department, Site: r.site, Reason: r.reason}
				if snap.lookup(r.managerID) != nil {
					e.ReportsToID = r.managerID
				}
				rows = append(rows, e)
			}
		case model.Employment:
			eff := func(i int) model.Date { return p.employment[i].eff }
			cur := currentIndex(len(p.employment), eff, snap.today)
			for i, r := range p.employment {
				rows = append(rows, model.HistoryEntry{Table: t, EmployeeID: p.id, EntryID: r.id, EffectiveDate: r.eff,
					EndEffectiveDate: endEffective(i+1, len(p.employment), eff), IsCurrent: i == cur,
					EmploymentType: r.typ, Contract: r.contract, Reason: r.reason})
			}
		}
		sortEntries(rows)
		out = append(out, rows...)
	}
	return out
}

func sortEntries(rows []model.HistoryEntry) {
	for i := 1; i < len(rows); i++ {
		for j := i; j > 0 && rows[j].EntryID < rows[j-1].EntryID; j-- {
			rows[j], rows[j-1] = rows[j-1], rows[j]
		}
	}
}
