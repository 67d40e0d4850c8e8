package simulator

import (
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	"hibobsync/model"
)

func TestGenerationIsDeterministic(t *testing.T) {
	clock := func() time.Time { return testDay }
	a := New(Options{Clock: clock}).AddCompany("Acme Ltd", 400, 42)
	b := New(Options{Clock: clock}).AddCompany("Acme Ltd", 400, 42)
	if !reflect.DeepEqual(a.Truth(), b.Truth()) {
		t.Fatal("same employees, seed and date gave different employees")
	}
	for _, tb := range model.HistoryTables {
		if !reflect.DeepEqual(a.HistoryTruth(tb), b.HistoryTruth(tb)) {
			t.Fatalf("same seed gave different %s history", tb)
		}
	}
	if !reflect.DeepEqual(a.AddServiceUser(FullAccess()), b.AddServiceUser(FullAccess())) {
		t.Fatal("same seed gave different service users")
	}
	c := New(Options{Clock: clock}).AddCompany("Acme Ltd", 400, 43)
	if reflect.DeepEqual(a.Truth(), c.Truth()) {
		t.Fatal("different seeds gave the same employees")
	}
}

func TestGeneratedPopulation(t *testing.T) {
	co := New(Options{Clock: func() time.Time { return testDay }}).AddCompany("Acme Ltd", 3000, 7)
	today := model.DateOf(testDay)
	truth := co.Truth()
	if len(truth) != 3000 {
		t.Fatalf("got %d employees", len(truth))
	}
	idRE := regexp.MustCompile(`^[0-9]{19}$`)
	emails := map[string]bool{}
	byID := map[string]model.Employee{}
	count := map[string]int{}
	countries := map[string]bool{}
	leap, rehires := 0, 0
	for _, e := range truth {
		byID[e.ID] = e
		if !idRE.MatchString(e.ID) {
			t.Fatalf("employee ID %q is not 19 digits", e.ID)
		}
		if emails[strings.ToLower(e.WorkEmail)] {
			t.Fatalf("work email %s is not unique", e.WorkEmail)
		}
		emails[strings.ToLower(e.WorkEmail)] = true
		if !strings.HasSuffix(e.WorkEmail, "@acmeltd.example.com") {
			t.Fatalf("work email %s not on the company domain", e.WorkEmail)
		}
		if e.BirthDate.IsZero() || e.Birthday != e.BirthDate.MonthDay() {
			t.Fatalf("%s: birth date %v birthday %v", e.ID, e.BirthDate, e.Birthday)
		}
		if e.Birthday == (model.MonthDay{Month: time.February, Day: 29}) {
			leap++
		}
		if e.OriginalStartDate != e.StartDate {
			rehires++
		}
		count[e.LifecycleStatus.Value]++
		countries[e.HomeAddress.Country.Value] = true
		if e.LifecycleStatus.Value == "terminated" && (e.TerminationDate.IsZero() || e.TerminationDate.After(today) || e.AccessStatus.Value != "Inactive") {
			t.Fatalf("leaver %s: %+v", e.ID, e)
		}
		if e.LifecycleStatus.Value == "hired" && !e.StartDate.After(today) {
			t.Fatalf("future starter %s starts %s", e.ID, e.StartDate)
		}
		if e.LifecycleStatus.Value == "employed" && !e.TerminationDate.IsZero() {
			count["scheduled"]++
			if !e.TerminationDate.After(today) {
				t.Fatalf("employed %s has a past termination date", e.ID)
			}
		}
		if e.Title.Label == "" || e.Department.Label == "" || e.Site.Label == "" || e.SiteAddress.City == "" {
			t.Fatalf("%s lacks job data: %+v", e.ID, e)
		}
	}
	for status, lo := range map[string]int{"terminated": 150, "hired": 15, "leave": 25, "employed": 2300, "scheduled": 10} {
		if count[status] < lo {
			t.Errorf("only %d %s employees of 3000 (want ≥ %d): %v", count[status], status, lo, count)
		}
	}
	if leap == 0 || rehires < 10 {
		t.Errorf("leap-day birthdays %d, rehires %d", leap, rehires)
	}
	for _, c := range []string{"United States", "United Kingdom", "Israel", "Germany", "France", "Canada"} {
		if !countries[c] {
			t.Errorf("nobody lives in %s", c)
		}
	}
	// The reporting tree: managers exist and following them always ends.
	for _, e := range truth {
		seen := map[string]bool{}
		for id := e.ManagerID; id != ""; id = byID[id].ManagerID {
			if seen[id] {
				t.Fatalf("reporting cycle through %s", id)
			}
			seen[id] = true
			if _, ok := byID[id]; !ok {
				t.Fatalf("manager %s of %s does not exist", id, e.ID)
			}
		}
	}
	checkHistoryInvariants(t, co, today)
}

// checkHistoryInvariants: entry IDs unique per employee, effective dates ordered, superseded
// rows closed the day before their successor, exactly one current row, and the current row is
// the one in effect today.
func checkHistoryInvariants(t *testing.T, co *Company, today model.Date) {
	t.Helper()
	for _, tb := range model.HistoryTables {
		rows := map[string][]model.HistoryEntry{}
		for _, h := range co.HistoryTruth(tb) {
			rows[h.EmployeeID] = append(rows[h.EmployeeID], h)
		}
		if len(rows) != len(co.EmployeeIDs()) {
			t.Fatalf("%s: %d employees have rows, want %d", tb, len(rows), len(co.EmployeeIDs()))
		}
		for id, rs := range rows {
			ids := map[int64]bool{}
			current := 0
			byDate := append([]model.HistoryEntry(nil), rs...)
			sortByDate(byDate)
			for i, r := range byDate {
				if ids[r.EntryID] {
					t.Fatalf("%s %s: duplicate entry ID %d", tb, id, r.EntryID)
				}
				ids[r.EntryID] = true
				if r.IsCurrent {
					current++
					if r.EffectiveDate.After(today) && i > 0 {
						t.Fatalf("%s %s: future row %v is current", tb, id, r.EffectiveDate)
					}
				}
				if i+1 < len(byDate) {
					if !byDate[i+1].EffectiveDate.After(r.EffectiveDate) {
						t.Fatalf("%s %s: effective dates not strictly ordered", tb, id)
					}
					if r.EndEffectiveDate != byDate[i+1].EffectiveDate.AddDays(-1) {
						t.Fatalf("%s %s: row %d ends %v, next starts %v", tb, id, r.EntryID, r.EndEffectiveDate, byDate[i+1].EffectiveDate)
					}
				} else if !r.EndEffectiveDate.IsZero() {
					t.Fatalf("%s %s: last row has an end date", tb, id)
				}
			}
			if current != 1 {
				t.Fatalf("%s %s: %d current rows", tb, id, current)
			}
		}
	}
}

func sortByDate(rs []model.HistoryEntry) {
	for i := 1; i < len(rs); i++ {
		for j := i; j > 0 && rs[j].EffectiveDate.Before(rs[j-1].EffectiveDate); j-- {
			rs[j], rs[j-1] = rs[j-1], rs[j]
		}
	}
}
