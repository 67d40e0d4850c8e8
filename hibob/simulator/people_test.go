package simulator

import (
	"fmt"
	"strings"
	"testing"

	"hibobsync/model"
)

func TestSearchMixedShape(t *testing.T) {
	f := newFixture(t, 300, Options{})
	emps := f.search(&f.su, `{"fields":["root.id","root.email","root.firstName","work.startDate","address.line2","home.mobilePhone","work.reportsTo","work.siteId","internal.terminationDate"],"showInactive":true,"humanReadable":"APPEND"}`)
	if len(emps) != 300 {
		t.Fatalf("%d employees, want 300", len(emps))
	}
	sawNull := false
	for _, e := range emps {
		id := e["id"].(string)
		if slash := e["/root/id"].(map[string]any); slash["value"] != id {
			t.Fatalf("/root/id %v != id %s", slash, id)
		}
		for _, k := range []string{"root.email", "root.firstName", "work.startDate", "address.line2", "home.mobilePhone", "work.reportsTo", "work.siteId", "internal.terminationDate"} {
			path := strings.Split(k, ".")
			if path[0] == "root" {
				path = path[1:]
			}
			v, ok := nested(e, path...)
			if !ok {
				t.Fatalf("%s: permitted field %s missing from the nested form: %v", id, k, e)
			}
			slash, hasSlash := e["/"+strings.ReplaceAll(k, ".", "/")]
			if v == nil {
				sawNull = true
				if hasSlash {
					t.Fatalf("%s: null %s has a slash key", id, k)
				}
				if _, ok := nested(e, append([]string{"humanReadable"}, path...)...); ok {
					t.Fatalf("%s: null %s has a humanReadable value", id, k)
				}
				continue
			}
			if !hasSlash || fmt.Sprint(slash.(map[string]any)["value"]) != fmt.Sprint(v) {
				t.Fatalf("%s: %s nested %v, slash %v", id, k, v, slash)
			}
		}
		if _, ok := e["root"]; ok {
			t.Fatal("root fields must be top level, not under root")
		}
		if sd, _ := nested(e, "humanReadable", "work", "startDate"); !strings.Contains(sd.(string), "/") {
			t.Fatalf("humanReadable start date %v is not DD/MM/YYYY", sd)
		}
	}
	if !sawNull {
		t.Fatal("no permitted empty field came back as null")
	}
}

func TestSearchListsAndReplace(t *testing.T) {
	f := newFixture(t, 50, Options{})
	truth := map[string]model.Employee{}
	for _, e := range f.co.Truth() {
		truth[e.ID] = e
	}
	fields := `["root.id","work.title","work.department","address.country","internal.lifecycleStatus","internal.status","personal.shortBirthDate"]`
	for _, e := range f.search(&f.su, `{"fields":`+fields+`,"showInactive":true,"humanReadable":"APPEND"}`) {
		want := truth[e["id"].(string)]
		title, _ := nested(e, "work", "title")
		label, _ := nested(e, "humanReadable", "work", "title")
		if title != want.Title.Value || label != want.Title.Label || title == label {
			t.Fatalf("title %v / %v, want ID %v and label %v", title, label, want.Title.Value, want.Title.Label)
		}
		ls, _ := nested(e, "internal", "lifecycleStatus")
		lsl, _ := nested(e, "humanReadable", "internal", "lifecycleStatus")
		if ls != want.LifecycleStatus.Value || ls != strings.ToLower(lsl.(string)) {
			t.Fatalf("lifecycle %v / %v", ls, lsl)
		}
	}
	for _, e := range f.search(&f.su, `{"fields":`+fields+`,"showInactive":true,"humanReadable":"REPLACE"}`) {
		want := truth[e["id"].(string)]
		if title, _ := nested(e, "work", "title"); title != want.Title.Label {
			t.Fatalf("REPLACE title %v, want label %s", title, want.Title.Label)
		}
		if _, ok := e["humanReadable"]; ok {
			t.Fatal("REPLACE must not add humanReadable")
		}
		if bd, _ := nested(e, "personal", "shortBirthDate"); bd != fmt.Sprintf("%02d/%02d", want.Birthday.Day, int(want.Birthday.Month)) {
			t.Fatalf("REPLACE short birth date %v", bd)
		}
	}
}

func TestSearchSilentOmission(t *testing.T) {
	f := newFixture(t, 40, Options{})
	g := FullAccess()
	g.BasicInfo = false
	delete(g.View, model.PermPersonal)
	delete(g.View, model.PermEmail)
	delete(g.View, model.PermAddress)
	su := f.co.AddServiceUser(g)
	r := f.do(&su, "POST", "/v1/people/search", `{"fields":["root.id","root.email","root.firstName","personal.shortBirthDate","address.city","work.startDate","no.such.field"],"showInactive":true}`)
	if r.status != 200 {
		t.Fatalf("status %d", r.status)
	}
	var out struct{ Employees []map[string]any }
	r.json(t, &out)
	for _, e := range out.Employees {
		for _, k := range []string{"email", "firstName", "personal", "address", "/root/email", "/personal/shortBirthDate", "no"} {
			if _, ok := e[k]; ok {
				t.Fatalf("unpermitted or unknown %q came back: %v", k, e)
			}
		}
		if _, ok := nested(e, "work", "startDate"); !ok || e["id"] == nil {
			t.Fatalf("permitted fields missing: %v", e)
		}
	}
	// The §8.3 tenants: full DOB hidden, short birthday visible.
	g = FullAccess()
	g.HideFullBirthDate = true
	su = f.co.AddServiceUser(g)
	for _, e := range f.search(&su, `{"fields":["personal.birthDate","personal.shortBirthDate","personal.age"]}`) {
		if _, ok := nested(e, "personal", "birthDate"); ok {
			t.Fatal("full birth date visible with HideFullBirthDate")
		}
		if _, ok := nested(e, "personal", "shortBirthDate"); !ok {
			t.Fatal("short birth date hidden")
		}
	}
}

func TestSearchDefaultFields(t *testing.T) {
	f := newFixture(t, 10, Options{})
	for _, e := range f.search(&f.su, `{}`) {
		for _, k := range []string{"id", "firstName", "surname", "email", "work", "payroll"} {
			if _, ok := e[k]; !ok {
				t.Fatalf("default set lacks %s: %v", k, e)
			}
		}
		for _, k := range []string{"personal", "address", "internal", "home"} {
			if _, ok := e[k]; ok {
				t.Fatalf("default set has %s", k)
			}
		}
	}
	su := f.co.AddServiceUser(PermissionGroup{Audience: model.LifecycleStatuses})
	for _, e := range f.search(&su, `{}`) {
		if len(e) != 2 { // id and /root/id only
			t.Fatalf("a group without permissions saw %v", e)
		}
	}
}

func TestSearchAudienceAndShowInactive(t *testing.T) {
	f := newFixture(t, 600, Options{})
	status := map[string]string{}
	n := map[string]int{}
	for _, e := range f.co.Truth() {
		status[e.ID] = e.LifecycleStatus.Value
		n[e.LifecycleStatus.Value]++
	}
	all := f.search(&f.su, `{"fields":["root.id"],"showInactive":true}`)
	active := f.search(&f.su, `{"fields":["root.id"]}`)
	if len(all) != 600 || len(active) != n["employed"] {
		t.Fatalf("showInactive:true %d (want 600), false %d (want %d employed)", len(all), len(active), n["employed"])
	}
	g := FullAccess()
	g.Audience = []model.LifecycleStatus{model.StatusEmployed, model.StatusHired}
	su := f.co.AddServiceUser(g)
	some := f.search(&su, `{"fields":["root.id"],"showInactive":true}`)
	if len(some) != n["employed"]+n["hired"] {
		t.Fatalf("audience Employed+Hired saw %d, want %d", len(some), n["employed"]+n["hired"])
	}
	for _, e := range some {
		if s := status[e["id"].(string)]; s == "terminated" || s == "leave" {
			t.Fatalf("saw a %s employee outside the audience", s)
		}
	}
	// Filters respect the audience too, and read-one answers 404.
	var leaver string
	for id, s := range status {
		if s == "terminated" {
			leaver = id
			break
		}
	}
	if got := f.search(&su, `{"fields":["root.id"],"showInactive":true,"filters":[{"fieldPath":"root.id","operator":"equals","values":["`+leaver+`"]}]}`); len(got) != 0 {
		t.Fatal("filter by ID found an employee outside the audience")
	}
	if r := f.do(&su, "POST", "/v1/people/"+leaver, `{}`); r.status != 404 {
		t.Fatalf("read-one outside audience: %d", r.status)
	}
	if got := f.search(&f.su, `{"fields":["root.id"],"filters":[{"fieldPath":"root.id","operator":"equals","values":["`+leaver+`"]}]}`); len(got) != 0 {
		t.Fatal("an inactive employee matched without showInactive")
	}
}

func TestSearchFiltersAndReadOne(t *testing.T) {
	f := newFixture(t, 50, Options{})
	truth := f.co.Truth()
	a, b := truth[3], truth[9]
	got := f.search(&f.su, `{"fields":["root.id"],"showInactive":true,"filters":[{"fieldPath":"root.id","operator":"equals","values":["`+a.ID+`","`+b.ID+`","1234"]}]}`)
	if len(got) != 2 || byID(got)[a.ID] == nil || byID(got)[b.ID] == nil {
		t.Fatalf("filter by ID: %v", got)
	}
	got = f.search(&f.su, `{"fields":["root.id"],"showInactive":true,"filters":[{"fieldPath":"root.email","operator":"equals","values":["`+strings.ToUpper(a.WorkEmail)+`"]}]}`)
	if len(got) != 1 || got[0]["id"] != a.ID {
		t.Fatalf("filter by email: %v", got)
	}
	for _, ident := range []string{a.ID, a.WorkEmail} {
		r := f.do(&f.su, "POST", "/v1/people/"+ident, `{"fields":["root.id","root.email","work.startDate"],"humanReadable":"APPEND"}`)
		var e map[string]any
		r.json(t, &e)
		if r.status != 200 || e["id"] != a.ID || e["email"] != a.WorkEmail || e["humanReadable"] == nil {
			t.Fatalf("read %s: %d %v", ident, r.status, e)
		}
	}
	if r := f.do(&f.su, "POST", "/v1/people/1234567890123456789", `{}`); r.status != 404 {
		t.Fatalf("unknown ID: %d", r.status)
	}
}

func TestSearchBadRequests(t *testing.T) {
	f := newFixture(t, 5, Options{})
	many := make([]string, 401)
	for i := range many {
		many[i] = fmt.Sprintf("%q", "root.id")
	}
	for name, body := range map[string]string{
		"empty filters":   `{"filters":[]}`,
		"two filters":     `{"filters":[{"fieldPath":"root.id","operator":"equals","values":["1"]},{"fieldPath":"root.id","operator":"equals","values":["2"]}]}`,
		"bad fieldPath":   `{"filters":[{"fieldPath":"root.firstName","operator":"equals","values":["x"]}]}`,
		"bad operator":    `{"filters":[{"fieldPath":"root.id","operator":"contains","values":["1"]}]}`,
		"empty values":    `{"filters":[{"fieldPath":"root.id","operator":"equals","values":[]}]}`,
		"401 fields":      `{"fields":[` + strings.Join(many, ",") + `]}`,
		"malformed JSON":  `{"fields":`,
		"fields not list": `{"fields":"root.id"}`,
	} {
		r := f.do(&f.su, "POST", "/v1/people/search", body)
		var e struct{ Key, Error string }
		if r.status != 400 {
			t.Errorf("%s: status %d, want 400", name, r.status)
			continue
		}
		r.json(t, &e)
		if e.Key == "" || e.Error == "" {
			t.Errorf("%s: error body %s", name, r.body)
		}
	}
	if r := f.do(&f.su, "POST", "/v1/people/search", `{"fields":["root.id"],"filters":null,"humanReadable":"bogus"}`); r.status != 200 {
		t.Errorf("null filters / unknown humanReadable: %d", r.status)
	}
}
