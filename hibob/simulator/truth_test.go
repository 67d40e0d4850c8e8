package simulator

import (
	"reflect"
	"testing"
	"time"

	"hibobsync/model"
)

const giftingFields = `["root.id","root.email","root.firstName","root.surname","root.displayName",
 "personal.shortBirthDate","personal.birthDate","work.startDate","work.originalStartDate","work.site","work.department","work.title","work.manager",
 "home.privateEmail","address.line1","address.line2","address.city","address.postCode","address.usaState","address.country",
 "address.siteAddress1","address.siteAddress2","address.siteCity","address.sitePostalCode","address.siteState","address.siteCountry",
 "internal.status","internal.lifecycleStatus","internal.terminationDate","employee.lastDayOfWork"]`

// decodeEmployee reads the nested form and humanReadable, independently of the encoder.
func decodeEmployee(t *testing.T, e map[string]any) model.Employee {
	t.Helper()
	s := func(path ...string) string {
		v, _ := nested(e, path...)
		x, _ := v.(string)
		return x
	}
	d := func(path ...string) model.Date {
		if s(path...) == "" {
			return model.Date{}
		}
		dt, err := model.ParseDate(s(path...))
		if err != nil {
			t.Fatal(err)
		}
		return dt
	}
	lv := func(path ...string) model.ListValue {
		return model.ListValue{Value: s(path...), Label: s(append([]string{"humanReadable"}, path...)...)}
	}
	md, err := model.ParseMonthDay(s("personal", "shortBirthDate"))
	if err != nil {
		t.Fatal(err)
	}
	return model.Employee{
		ID: s("id"), FirstName: s("firstName"), Surname: s("surname"), DisplayName: s("displayName"),
		WorkEmail: s("email"), PersonalEmail: s("home", "privateEmail"),
		Birthday: md, BirthDate: d("personal", "birthDate"),
		StartDate: d("work", "startDate"), OriginalStartDate: d("work", "originalStartDate"),
		Title: lv("work", "title"), Department: lv("work", "department"), Site: lv("work", "site"),
		ManagerID: s("work", "manager"), AccessStatus: lv("internal", "status"), LifecycleStatus: lv("internal", "lifecycleStatus"),
		TerminationDate: d("internal", "terminationDate"), LastDayOfWork: d("employee", "lastDayOfWork"),
		HomeAddress: model.Address{Line1: s("address", "line1"), Line2: s("address", "line2"), City: s("address", "city"),
			PostCode: s("address", "postCode"), State: s("address", "usaState"), Country: lv("address", "country")},
		SiteAddress: model.Address{Line1: s("address", "siteAddress1"), Line2: s("address", "siteAddress2"), City: s("address", "siteCity"),
			PostCode: s("address", "sitePostalCode"), State: s("address", "siteState"), Country: lv("address", "siteCountry")},
	}
}

func TestTruthMatchesAPI(t *testing.T) {
	f := newFixture(t, 400, Options{})
	emps := f.search(&f.su, `{"fields":`+giftingFields+`,"showInactive":true,"humanReadable":"APPEND"}`)
	truth := f.co.Truth()
	if len(emps) != len(truth) {
		t.Fatalf("%d employees over HTTP, %d in Truth", len(emps), len(truth))
	}
	for i, want := range truth {
		got := decodeEmployee(t, emps[i])
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("employee %d:\n http %+v\ntruth %+v", i, got, want)
		}
	}
}

func TestVolatileFieldsFollowTheClock(t *testing.T) {
	f := newFixture(t, 20, Options{})
	body := `{"fields":["root.avatarUrl","personal.age","work.tenureYears"],"showInactive":true}`
	a := f.search(&f.su, body)
	f.clock.Advance(365 * 24 * time.Hour)
	b := f.search(&f.su, body)
	for i := range a {
		if a[i]["avatarUrl"] == b[i]["avatarUrl"] {
			t.Fatal("avatarUrl did not change with the clock")
		}
		age1, _ := nested(a[i], "personal", "age")
		age2, _ := nested(b[i], "personal", "age")
		if age2.(float64) != age1.(float64)+1 {
			t.Fatalf("age %v → %v after a year", age1, age2)
		}
	}
}
