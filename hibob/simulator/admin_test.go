package simulator

import (
	"net/url"
	"strings"
	"sync"
	"testing"

	"hibobsync/model"
)

func TestAdminAPI(t *testing.T) {
	f := newFixture(t, 20, Options{Limits: map[Endpoint]int{}})
	base := "/_sim/companies/" + url.PathEscape("Acme Ltd")
	ok := func(r reply, want int) reply {
		t.Helper()
		if r.status != want {
			t.Fatalf("status %d, want %d: %s", r.status, want, r.body)
		}
		return r
	}
	var hired struct{ ID string }
	ok(f.do(nil, "POST", base+"/employees", `{"firstName":"Ana","surname":"Núñez","birthDate":"1990-02-28","department":"Sales"}`), 201).json(t, &hired)
	id := hired.ID
	ok(f.do(nil, "POST", base+"/employees/"+id+"/terminate", `{"on":"2026-12-01"}`), 200)
	ok(f.do(nil, "POST", base+"/employees/"+id+"/leave", `{"on":"2026-10-16"}`), 200)
	ok(f.do(nil, "POST", base+"/employees/"+id+"/return", `{"on":"2026-10-20"}`), 200)
	ok(f.do(nil, "PUT", base+"/employees/"+id+"/address", `{"line1":"5 Rue de Rivoli","city":"Paris","postCode":"75001","country":{"value":"France"}}`), 200)
	ok(f.do(nil, "PUT", base+"/employees/"+id+"/birthdate", `{"birthDate":"1990-03-01"}`), 200)
	ok(f.do(nil, "PUT", base+"/employees/"+id+"/work-email", `{"email":"ana@acmeltd.example.com"}`), 200)
	ok(f.do(nil, "PUT", base+"/employees/"+id+"/personal-email", `{"email":"ana@example.net"}`), 200)
	ok(f.do(nil, "PUT", base+"/employees/"+id+"/name", `{"firstName":"Anna","surname":"Núñez"}`), 200)
	var truth []model.Employee
	ok(f.do(nil, "GET", base+"/truth", ""), 200).json(t, &truth)
	var got model.Employee
	for _, e := range truth {
		if e.ID == id {
			got = e
		}
	}
	if got.FirstName != "Anna" || got.HomeAddress.City != "Paris" || got.WorkEmail != "ana@acmeltd.example.com" || got.TerminationDate.String() != "2026-12-01" {
		t.Fatalf("truth after admin changes: %+v", got)
	}
	var hist []model.HistoryEntry
	ok(f.do(nil, "GET", base+"/history/lifecycle", ""), 200).json(t, &hist)
	if len(hist) == 0 {
		t.Fatal("no lifecycle history")
	}
	ok(f.do(nil, "POST", base+"/employees/"+id+"/rehire", ``), 400) // not terminated yet
	ok(f.do(nil, "POST", base+"/employees/nope/terminate", ``), 404)
	ok(f.do(nil, "GET", "/_sim/companies/Nope/truth", ""), 404)
	ok(f.do(nil, "POST", base+"/employees", `{"firstName":`), 400)

	var su ServiceUser
	ok(f.do(nil, "POST", base+"/service-users", `{"basicInfo":true,"view":{"Work":true},"audience":["Employed"]}`), 201).json(t, &su)
	ok(f.do(nil, "POST", base+"/service-users/"+su.ID+"/grant", `{"permission":"Lifecycle","history":true}`), 200)
	ok(f.do(nil, "POST", base+"/service-users/"+su.ID+"/grant", `{"permission":"Salary"}`), 400)
	ok(f.do(nil, "POST", base+"/service-users/"+su.ID+"/revoke", `{"permission":"Work"}`), 200)
	ok(f.do(nil, "PUT", base+"/service-users/"+su.ID+"/audience", `{"statuses":["Employed","Terminated"]}`), 200)
	g, _ := f.co.Group(su.ID)
	if !g.View[model.PermLifecycle] || !g.ViewHistory[model.PermLifecycle] || g.View[model.PermWork] || len(g.Audience) != 2 {
		t.Fatalf("group after admin: %+v", g)
	}
	var rotated ServiceUser
	ok(f.do(nil, "POST", base+"/service-users/"+su.ID+"/rotate-token", ``), 200).json(t, &rotated)
	ok(f.do(&rotated, "GET", "/v1/company/people/fields", ""), 200)
	ok(f.do(nil, "POST", base+"/service-users/"+su.ID+"/revoke-token", ``), 200)
	ok(f.do(&rotated, "GET", "/v1/company/people/fields", ""), 401)
	ok(f.do(nil, "DELETE", base+"/employees/"+id, ""), 200)

	ok(f.do(nil, "PUT", "/_sim/faults", `{"errorRate":0.5,"latency":"10ms","seed":3}`), 200)
	if fl := f.srv.CurrentFaults(); fl.ErrorRate != 0.5 || fl.Latency.Milliseconds() != 10 {
		t.Fatalf("faults %+v", fl)
	}
	ok(f.do(nil, "PUT", "/_sim/faults", `{}`), 200)
	ok(f.do(nil, "PUT", "/_sim/limits", `{"POST /people/search": 7}`), 200)
	ok(f.do(nil, "PUT", "/_sim/limits", `{"GET /nope": 7}`), 400)
	if f.srv.LimitsInForce()[EndpointSearch] != 7 {
		t.Fatal("limit not set")
	}
	var st Stats
	ok(f.do(nil, "GET", "/_sim/stats", ""), 200).json(t, &st)
	if st.Unauthorized != 1 {
		t.Fatalf("stats %+v", st)
	}
	ok(f.do(nil, "POST", "/_sim/stats/reset", ""), 200)
	var c struct{ Employees int }
	ok(f.do(nil, "POST", "/_sim/companies", `{"name":"Tiny","employees":3,"seed":1}`), 201).json(t, &c)
	if c.Employees != 3 {
		t.Fatalf("new company %+v", c)
	}
	if r := ok(f.do(nil, "GET", "/_sim/whatever", ""), 404); !strings.Contains(string(r.body), "error") {
		t.Fatal("admin 404 body")
	}
}

// Searches, bulk reads and HR changes at once: run with -race.
func TestConcurrentReadsAndChanges(t *testing.T) {
	f := newFixture(t, 300, Options{Limits: map[Endpoint]int{}})
	ids := f.co.EmployeeIDs()
	var wg sync.WaitGroup
	for w := 0; w < 3; w++ {
		wg.Go(func() {
			for i := 0; i < 5; i++ {
				f.search(&f.su, `{"fields":`+giftingFields+`,"showInactive":true,"humanReadable":"APPEND"}`)
				f.readAll(&f.su, model.Work, "100")
			}
		})
	}
	wg.Go(func() {
		for i, id := range ids[:60] {
			_ = f.co.SetName(id, "Changed", "Name")
			_ = f.co.Terminate(id, model.Date{})
			if i%10 == 0 {
				_ = f.co.Delete(id)
			}
			_, _ = f.co.Hire(NewHire{FirstName: "New", Surname: "Hire", BirthDate: model.MustDate("1995-01-01")})
		}
	})
	wg.Wait()
	checkHistoryInvariants(t, f.co, model.DateOf(testDay))
}
