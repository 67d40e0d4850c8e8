package simulator

import (
	"errors"
	"reflect"
	"testing"
	"time"

	"hibobsync/model"
)

func (f *fixture) one(id string) map[string]any {
	f.t.Helper()
	got := f.search(&f.su, `{"fields":`+giftingFields+`,"showInactive":true,"humanReadable":"APPEND","filters":[{"fieldPath":"root.id","operator":"equals","values":["`+id+`"]}]}`)
	if len(got) != 1 {
		f.t.Fatalf("employee %s: %d results", id, len(got))
	}
	return got[0]
}

func (f *fixture) truthOf(id string) (model.Employee, bool) {
	for _, e := range f.co.Truth() {
		if e.ID == id {
			return e, true
		}
	}
	return model.Employee{}, false
}

// check compares the API's view of one employee with Truth and returns it.
func (f *fixture) check(id string) model.Employee {
	f.t.Helper()
	got := decodeEmployee(f.t, f.one(id))
	want, _ := f.truthOf(id)
	if !reflect.DeepEqual(got, want) {
		f.t.Fatalf("API and Truth disagree:\n http %+v\ntruth %+v", got, want)
	}
	return got
}

func (f *fixture) firstWith(status string) string {
	for _, e := range f.co.Truth() {
		if e.LifecycleStatus.Value == status && e.TerminationDate.IsZero() && e.ID != f.co.EmployeeIDs()[0] {
			return e.ID
		}
	}
	f.t.Fatalf("no %s employee", status)
	return ""
}

func TestHRChanges(t *testing.T) {
	f := newFixture(t, 200, Options{Limits: map[Endpoint]int{}})
	today := model.DateOf(testDay)
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}

	// Hire today and in the future.
	id, err := f.co.Hire(NewHire{FirstName: "Zoë", Surname: "O'Brien", PersonalEmail: "zoe@mail.example", BirthDate: model.MustDate("1992-02-29"),
		Home:       model.Address{Line1: "1 Main St", City: "Boston", PostCode: "02110", State: "MA", Country: model.ListValue{Value: "United States"}},
		Department: "Engineering", Title: "Staff Engineer", Site: "London"})
	must(err)
	e := f.check(id)
	if e.WorkEmail != "zoe.obrien@acmeltd.example.com" || e.LifecycleStatus.Value != "employed" || e.StartDate != today || e.Title.Label != "Staff Engineer" || e.Site.Label != "London" {
		t.Fatalf("hire: %+v", e)
	}
	future, err := f.co.Hire(NewHire{FirstName: "Jane", Surname: "Doe", BirthDate: model.MustDate("1990-05-01"), StartDate: today.AddDays(20)})
	must(err)
	if e := f.check(future); e.LifecycleStatus.Value != "hired" || e.AccessStatus.Value != "Inactive" {
		t.Fatalf("future hire: %+v", e)
	}
	if got := f.search(&f.su, `{"fields":["root.id"],"filters":[{"fieldPath":"root.id","operator":"equals","values":["`+future+`"]}]}`); len(got) != 0 {
		t.Fatal("a future starter is active")
	}
	f.clock.Advance(20 * 24 * time.Hour)
	if e := f.check(future); e.LifecycleStatus.Value != "employed" || e.AccessStatus.Value != "Active" {
		t.Fatalf("future hire after the start date: %+v", e)
	}
	today = today.AddDays(20)

	// Scheduled termination, then the day comes.
	must(f.co.Terminate(id, today.AddDays(10)))
	if e := f.check(id); e.LifecycleStatus.Value != "employed" || e.TerminationDate != today.AddDays(10) || e.LastDayOfWork != today.AddDays(10) {
		t.Fatalf("scheduled termination: %+v", e)
	}
	f.clock.Advance(10 * 24 * time.Hour)
	today = today.AddDays(10)
	if e := f.check(id); e.LifecycleStatus.Value != "terminated" || e.AccessStatus.Value != "Inactive" {
		t.Fatalf("termination day: %+v", e)
	}
	if err := f.co.Terminate(id, today); !errors.Is(err, ErrInvalid) {
		t.Fatalf("terminating twice: %v", err)
	}

	// Rehire keeps the original start date.
	must(f.co.Rehire(id, today.AddDays(1)))
	f.clock.Advance(24 * time.Hour)
	today = today.AddDays(1)
	if e := f.check(id); e.LifecycleStatus.Value != "employed" || e.StartDate != today || e.OriginalStartDate == today || !e.TerminationDate.IsZero() {
		t.Fatalf("rehire: %+v", e)
	}

	// Leave and return.
	f.clock.Advance(24 * time.Hour)
	today = today.AddDays(1)
	must(f.co.StartLeave(id, today))
	if e := f.check(id); e.LifecycleStatus.Value != "leave" || e.AccessStatus.Value != "Inactive" {
		t.Fatalf("leave: %+v", e)
	}
	must(f.co.ReturnFromLeave(id, today.AddDays(1)))
	f.clock.Advance(24 * time.Hour)
	if e := f.check(id); e.LifecycleStatus.Value != "employed" {
		t.Fatalf("return: %+v", e)
	}

	// Personal data changes.
	other := f.firstWith("employed")
	home := model.Address{Line1: "10 Downing Street", City: "London", PostCode: "SW1A 2AA", Country: model.ListValue{Value: "United Kingdom"}}
	must(f.co.SetHomeAddress(other, home))
	must(f.co.CorrectBirthDate(other, model.MustDate("1980-12-31")))
	must(f.co.SetWorkEmail(other, "new.address@acmeltd.example.com"))
	must(f.co.SetPersonalEmail(other, "me@example.org"))
	must(f.co.SetName(other, "Renée", "de la Cruz"))
	e = f.check(other)
	if e.HomeAddress.PostCode != "SW1A 2AA" || e.HomeAddress.Country.Label != "United Kingdom" || e.BirthDate != model.MustDate("1980-12-31") ||
		e.WorkEmail != "new.address@acmeltd.example.com" || e.PersonalEmail != "me@example.org" || e.DisplayName != "Renée de la Cruz" {
		t.Fatalf("personal changes: %+v", e)
	}
	if err := f.co.SetWorkEmail(id, "new.address@acmeltd.example.com"); !errors.Is(err, ErrInvalid) {
		t.Fatalf("duplicate work email: %v", err)
	}

	// Delete.
	must(f.co.Delete(other))
	if _, ok := f.truthOf(other); ok {
		t.Fatal("deleted employee in Truth")
	}
	if got := f.search(&f.su, `{"fields":["root.id"],"showInactive":true,"filters":[{"fieldPath":"root.id","operator":"equals","values":["`+other+`"]}]}`); len(got) != 0 {
		t.Fatal("deleted employee still searchable")
	}
	for _, err := range []error{f.co.Delete(other), f.co.Terminate(other, model.Date{}), f.co.SetName(other, "a", "b")} {
		if !errors.Is(err, ErrUnknownEmployee) {
			t.Fatalf("change to a deleted employee: %v", err)
		}
	}
	checkHistoryInvariants(t, f.co, model.DateOf(f.clock.Now()))
}
