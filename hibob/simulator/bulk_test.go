package simulator

import (
	"net/url"
	"reflect"
	"strings"
	"testing"

	"hibobsync/model"
)

type bulkPage struct {
	Results []struct {
		EmployeeID string           `json:"employeeId"`
		Values     []map[string]any `json:"values"`
	} `json:"results"`
	Metadata struct {
		NextCursor *string `json:"next_cursor"`
	} `json:"response_metadata"`
	Errors []map[string]map[string]string `json:"errors"`
}

func (f *fixture) bulk(su *ServiceUser, table model.HistoryTable, query string) (reply, bulkPage) {
	f.t.Helper()
	r := f.do(su, "GET", "/v1/bulk/people/"+string(table)+"?"+query, "")
	var p bulkPage
	if r.status == 200 {
		r.json(f.t, &p)
	}
	return r, p
}

// readAll pages to the end and converts rows to HistoryEntry the way a client would.
func (f *fixture) readAll(su *ServiceUser, table model.HistoryTable, limit string) []model.HistoryEntry {
	f.t.Helper()
	var out []model.HistoryEntry
	seen := map[string]bool{}
	q := "limit=" + limit
	for pages := 0; ; pages++ {
		r, p := f.bulk(su, table, q)
		if r.status != 200 {
			f.t.Fatalf("page %d: %d %s", pages, r.status, r.body)
		}
		for _, res := range p.Results {
			if seen[res.EmployeeID] {
				f.t.Fatalf("employee %s on two pages", res.EmployeeID)
			}
			seen[res.EmployeeID] = true
			for _, v := range res.Values {
				out = append(out, rowEntry(f.t, table, res.EmployeeID, v))
			}
		}
		if p.Metadata.NextCursor == nil {
			break
		}
		q = "limit=" + limit + "&cursor=" + url.QueryEscape(*p.Metadata.NextCursor)
	}
	sortHistory(out)
	return out
}

func rowEntry(t *testing.T, table model.HistoryTable, emp string, v map[string]any) model.HistoryEntry {
	s := func(k string) string { x, _ := v[k].(string); return x }
	d := func(k string) model.Date {
		if s(k) == "" {
			return model.Date{}
		}
		dt, err := model.ParseDate(s(k))
		if err != nil {
			t.Fatal(err)
		}
		return dt
	}
	h := model.HistoryEntry{Table: table, EmployeeID: emp, EntryID: int64(v["id"].(float64)), EffectiveDate: d("effectiveDate"),
		EndEffectiveDate: d("endEffectiveDate"), IsCurrent: v["isCurrent"].(bool)}
	if ch, ok := v["change"].(map[string]any); ok {
		h.Reason, _ = ch["reason"].(string)
	}
	for _, k := range []string{"id", "effectiveDate", "endEffectiveDate", "isCurrent", "change", "creationDate", "modificationDate", "canBeDeleted", "customColumns"} {
		if _, ok := v[k]; !ok {
			t.Fatalf("row lacks %s: %v", k, v)
		}
	}
	switch table {
	case model.Lifecycle:
		h.Status, h.EmployeeStatus = s("status"), s("employeeStatus")
	case model.Work:
		h.Title, h.Department, h.Site = s("title"), s("department"), s("site")
		if rt, ok := v["reportsTo"].(map[string]any); ok {
			h.ReportsToID = rt["id"].(string)
		}
	case model.Employment:
		h.EmploymentType, h.Contract = s("type"), s("contract")
	}
	return h
}

func sortHistory(hs []model.HistoryEntry) {
	less := func(a, b model.HistoryEntry) bool {
		return a.EmployeeID < b.EmployeeID || a.EmployeeID == b.EmployeeID && a.EntryID < b.EntryID
	}
	for i := 1; i < len(hs); i++ {
		for j := i; j > 0 && less(hs[j], hs[j-1]); j-- {
			hs[j], hs[j-1] = hs[j-1], hs[j]
		}
	}
}

func TestBulkPagingMatchesHistoryTruth(t *testing.T) {
	f := newFixture(t, 437, Options{Limits: map[Endpoint]int{}})
	for _, tb := range model.HistoryTables {
		got := f.readAll(&f.su, tb, "50")
		want := f.co.HistoryTruth(tb)
		if len(got) != len(want) {
			t.Fatalf("%s: %d rows, want %d", tb, len(got), len(want))
		}
		for i := range want {
			if !reflect.DeepEqual(got[i], want[i]) {
				t.Fatalf("%s row %d:\n got %+v\nwant %+v", tb, i, got[i], want[i])
			}
		}
	}
	if got := f.readAll(&f.su, model.Lifecycle, "200"); len(got) != len(f.co.HistoryTruth(model.Lifecycle)) {
		t.Fatal("limit=200 read a different number of rows")
	}
}

func TestBulkPermissions(t *testing.T) {
	f := newFixture(t, 120, Options{Limits: map[Endpoint]int{}})
	g := FullAccess()
	delete(g.ViewHistory, model.PermLifecycle)
	delete(g.View, model.PermWork)
	g.Audience = []model.LifecycleStatus{model.StatusEmployed}
	su := f.co.AddServiceUser(g)

	if r, _ := f.bulk(&su, model.Work, ""); r.status != 403 || !strings.Contains(r.header.Get("Content-Type"), "json") {
		t.Fatalf("work without View: %d %s", r.status, r.body)
	}
	current := map[string]model.HistoryEntry{}
	for _, h := range f.co.HistoryTruth(model.Lifecycle) {
		if h.IsCurrent {
			current[h.EmployeeID] = h
		}
	}
	got := f.readAll(&su, model.Lifecycle, "30")
	for _, h := range got {
		if !h.IsCurrent || current[h.EmployeeID].EntryID != h.EntryID {
			t.Fatalf("without View history got a non-current row %+v", h)
		}
		if h.Status != "Employed" {
			t.Fatalf("outside-audience employee %s (%s) in an unfiltered page", h.EmployeeID, h.Status)
		}
	}
	var outside, inside []string
	for _, e := range f.co.Truth() {
		if e.LifecycleStatus.Value == "employed" {
			inside = append(inside, e.ID)
		} else {
			outside = append(outside, e.ID)
		}
	}
	ids := append(inside[:2:2], outside[:2]...)
	r, p := f.bulk(&su, model.Lifecycle, "employeeIds="+strings.Join(ids, ","))
	if r.status != 200 || len(p.Results) != 2 || len(p.Errors) != 1 {
		t.Fatalf("employeeIds: %d %s", r.status, r.body)
	}
	e := p.Errors[0]["employeeId"]
	if e["error"] != "MISSING_PERMISSION" || !strings.Contains(e["message"], outside[0]) || !strings.Contains(e["message"], outside[1]) {
		t.Fatalf("errors: %v", p.Errors)
	}
}

func TestBulkBadRequests(t *testing.T) {
	f := newFixture(t, 30, Options{Limits: map[Endpoint]int{}})
	for _, q := range []string{"limit=0", "limit=201", "limit=x", "employeeIds=" + strings.Repeat("1,", 201) + "1", "cursor=bm9wZQ=="} {
		if r, _ := f.bulk(&f.su, model.Lifecycle, q); r.status != 400 {
			t.Errorf("%s: %d", q, r.status)
		}
	}
	r := f.do(&f.su, "GET", "/v1/bulk/people/work", "", "Content-Type", "application/json")
	if r.status != 400 || !strings.HasPrefix(r.header.Get("Content-Type"), "text/html") {
		t.Errorf("Content-Type on GET: %d %s", r.status, r.header.Get("Content-Type"))
	}
	_, p := f.bulk(&f.su, model.Lifecycle, "limit=5")
	next := *p.Metadata.NextCursor
	first, p1 := f.bulk(&f.su, model.Lifecycle, "limit=5&cursor="+url.QueryEscape(next))
	if first.status != 200 {
		t.Fatalf("first use of cursor: %d", first.status)
	}
	// A retried caller reads the same page again and is handed the same next cursor.
	again, p2 := f.bulk(&f.su, model.Lifecycle, "limit=5&cursor="+url.QueryEscape(next))
	if again.status != 200 || *p1.Metadata.NextCursor != *p2.Metadata.NextCursor || string(first.body) != string(again.body) {
		t.Errorf("re-reading a page with the same cursor: %d", again.status)
	}
	_, p = f.bulk(&f.su, model.Lifecycle, "limit=5")
	tampered := []byte(*p.Metadata.NextCursor)
	tampered[len(tampered)/2] ^= 1
	if r, _ := f.bulk(&f.su, model.Lifecycle, "limit=5&cursor="+url.QueryEscape(string(tampered))); r.status != 400 {
		t.Errorf("tampered cursor: %d", r.status)
	}
	_, p = f.bulk(&f.su, model.Lifecycle, "limit=5")
	if r, _ := f.bulk(&f.su, model.Work, "limit=5&cursor="+url.QueryEscape(*p.Metadata.NextCursor)); r.status != 400 {
		t.Errorf("cursor of another table: %d", r.status)
	}
}
