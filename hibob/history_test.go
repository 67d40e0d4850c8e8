package hibob_test

import (
	"context"
	"fmt"
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"

	"hibobsync/hibob"
	"hibobsync/model"
)

func collect(t *testing.T, c *hibob.Client, q hibob.HistoryQuery) ([]hibob.HistoryPage, error) {
	t.Helper()
	var pages []hibob.HistoryPage
	for page, err := range c.History(context.Background(), model.Lifecycle, q) {
		if err != nil {
			return pages, err
		}
		pages = append(pages, page)
	}
	return pages, nil
}

func TestHistoryFollowsNextCursor(t *testing.T) {
	f := newFake(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Query().Get("cursor") {
		case "":
			serveJSON(200, golden(t, "bulk_lifecycle_page1.json"))(w, r)
		case "rfJhY3Rpdml09d3827":
			serveJSON(200, golden(t, "bulk_lifecycle_page2.json"))(w, r)
		default:
			w.WriteHeader(400)
		}
	})
	pages, err := collect(t, f.client(t), hibob.HistoryQuery{Limit: 200})
	require.NoError(t, err)
	require.Len(t, pages, 2)
	require.Equal(t, "rfJhY3Rpdml09d3827", pages[0].NextCursor)
	require.Empty(t, pages[1].NextCursor)
	require.Len(t, pages[0].Entries, 1)
	require.Len(t, pages[1].Entries, 2)

	term := pages[1].Entries[1]
	term.Raw = nil
	require.Equal(t, model.HistoryEntry{Table: model.Lifecycle, EmployeeID: "3332883909410030364", EntryID: 2,
		EffectiveDate: model.MustDate("2026-12-31"), Status: "Terminated", EmployeeStatus: "Inactive", Reason: "Resigned"}, term)

	reqs := f.all()
	require.Len(t, reqs, 2)
	require.Equal(t, "limit=200", reqs[0].RawQuery)
	require.Equal(t, "cursor=rfJhY3Rpdml09d3827&limit=200", reqs[1].RawQuery)
	for _, r := range reqs {
		require.Equal(t, http.MethodGet, r.Method)
		require.Empty(t, r.Header.Get("Content-Type"))
		require.Empty(t, r.Body)
	}
}

func TestHistoryFallsBackToCursor(t *testing.T) {
	f := newFake(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Query().Get("cursor") {
		case "":
			serveJSON(200, []byte(`{"results":[],"response_metadata":{"next_cursor":null,"cursor":"c2"}}`))(w, r)
		case "c2":
			serveJSON(200, []byte(`{"results":[],"response_metadata":{"cursor":"c3"}}`))(w, r)
		case "c3":
			serveJSON(200, []byte(`{"results":[],"response_metadata":{"cursor":null}}`))(w, r)
		}
	})
	pages, err := collect(t, f.client(t), hibob.HistoryQuery{})
	require.NoError(t, err)
	require.Len(t, pages, 3)
	require.Equal(t, []string{"c2", "c3", ""}, []string{pages[0].NextCursor, pages[1].NextCursor, pages[2].NextCursor})
}

func TestHistoryRefusesARepeatedCursor(t *testing.T) {
	for _, script := range [][]string{{"a", "a"}, {"a", "b", "a"}} {
		n := 0
		f := newFake(t, func(w http.ResponseWriter, r *http.Request) {
			next := "null"
			if n < len(script) {
				next = fmt.Sprintf("%q", script[n])
			}
			n++
			serveJSON(200, []byte(`{"results":[],"response_metadata":{"next_cursor":`+next+`}}`))(w, r)
		})
		pages, err := collect(t, f.client(t), hibob.HistoryQuery{})
		require.ErrorIs(t, err, hibob.ErrBadResponse, script)
		require.ErrorContains(t, err, "repeated a cursor")
		require.Len(t, pages, len(script)-1)
		require.EqualValues(t, len(script), f.count.Load())
	}
	// A cursor equal to the one the caller started from is a loop too.
	f := newFake(t, serveJSON(200, []byte(`{"results":[],"response_metadata":{"next_cursor":"start"}}`)))
	_, err := collect(t, f.client(t), hibob.HistoryQuery{Cursor: "start"})
	require.ErrorIs(t, err, hibob.ErrBadResponse)
}

func TestHistoryCursorIsURLEncoded(t *testing.T) {
	const cursor = "a+b/c=d&e f%g?h#i"
	var got []string
	f := newFake(t, func(w http.ResponseWriter, r *http.Request) {
		got = append(got, r.URL.Query().Get("cursor"))
		next := `"` + cursor + `"`
		if len(got) > 1 {
			next = "null"
		}
		serveJSON(200, []byte(`{"results":[],"response_metadata":{"next_cursor":`+next+`}}`))(w, r)
	})
	_, err := collect(t, f.client(t), hibob.HistoryQuery{Limit: 50})
	require.NoError(t, err)
	require.Equal(t, []string{"", cursor}, got)
	require.Equal(t, "cursor=a%2Bb%2Fc%3Dd%26e+f%25g%3Fh%23i&limit=50", f.last(t).RawQuery)
}

func TestHistoryStopsWhenTheCallerStops(t *testing.T) {
	f := newFake(t, serveJSON(200, golden(t, "bulk_lifecycle_page1.json")))
	for range f.client(t).History(context.Background(), model.Lifecycle, hibob.HistoryQuery{}) {
		break
	}
	require.EqualValues(t, 1, f.count.Load())
}

func TestHistoryQueryValidation(t *testing.T) {
	f := newFake(t, serveJSON(200, golden(t, "bulk_lifecycle_page2.json")))
	c := f.client(t)
	ctx := context.Background()
	ids := make([]string, 201)
	for i := range ids {
		ids[i] = fmt.Sprintf("3%018d", i)
	}
	for name, q := range map[string]hibob.HistoryQuery{
		"limit 201":   {Limit: 201},
		"limit -1":    {Limit: -1},
		"201 IDs":     {EmployeeIDs: ids},
		"bad ID":      {EmployeeIDs: []string{"123"}},
		"numeric-ish": {EmployeeIDs: []string{"333288388401771393x"}},
	} {
		_, err := c.HistoryPage(ctx, model.Work, q)
		require.ErrorIs(t, err, hibob.ErrBadRequest, name)
	}
	_, err := c.HistoryPage(ctx, model.HistoryTable("../people/search"), hibob.HistoryQuery{})
	require.ErrorIs(t, err, hibob.ErrBadRequest)
	require.Zero(t, f.count.Load(), "invalid queries are refused before any request")

	_, err = c.HistoryPage(ctx, model.Employment, hibob.HistoryQuery{Limit: 1, EmployeeIDs: ids[:200]})
	require.NoError(t, err)
	require.Equal(t, "/v1/bulk/people/employment", f.last(t).Path)
}

func TestHistoryPageShapes(t *testing.T) {
	const emp = "3332883884017713938"
	cases := map[string]struct {
		body   string
		ok     bool
		denied []string
		rows   int
	}{
		"FLP wrapped values":  {`{"results":[{"employeeId":"` + emp + `","values":[{"values":[{"id":1,"effectiveDate":"2020-01-01","isCurrent":true},{"id":2}],"restricted_columns":{"no_view_permission":["status"]}}]}],"response_metadata":{"next_cursor":null}}`, true, nil, 2},
		"numeric employeeId":  {`{"results":[{"employeeId":3332883884017713938,"values":[{"id":1}]}]}`, true, nil, 1},
		"error keyed by ID":   {`{"results":[],"errors":[{"2578509511618723822":{"error":"MISSING_PERMISSION","message":"no"}}]}`, true, []string{"2578509511618723822"}, 0},
		"flat error":          {`{"results":[],"errors":[{"employeeId":"2578509511618723822","error":"MISSING_PERMISSION"}]}`, true, []string{"2578509511618723822"}, 0},
		"several IDs in msg":  {`{"results":[],"errors":[{"employeeId":{"error":"MISSING_PERMISSION","message":"ids: 2578509511618723822, 2578509511618723821"}}]}`, true, []string{"2578509511618723821", "2578509511618723822"}, 0},
		"unknown error code":  {`{"results":[],"errors":[{"employeeId":{"error":"BOOM"}}]}`, false, nil, 0},
		"results missing":     {`{"response_metadata":{"next_cursor":null}}`, false, nil, 0},
		"results an object":   {`{"results":{}}`, false, nil, 0},
		"bad employeeId":      {`{"results":[{"employeeId":"12","values":[]}]}`, false, nil, 0},
		"float employeeId":    {`{"results":[{"employeeId":3.332883884017714e18,"values":[]}]}`, false, nil, 0},
		"row without id":      {`{"results":[{"employeeId":"` + emp + `","values":[{"effectiveDate":"2020-01-01"}]}]}`, false, nil, 0},
		"impossible date":     {`{"results":[{"employeeId":"` + emp + `","values":[{"id":1,"effectiveDate":"2023-02-29"}]}]}`, false, nil, 0},
		"isCurrent a string":  {`{"results":[{"employeeId":"` + emp + `","values":[{"id":1,"isCurrent":"yes"}]}]}`, false, nil, 0},
		"cursor a number":     {`{"results":[],"response_metadata":{"next_cursor":5}}`, false, nil, 0},
		"metadata a string":   {`{"results":[],"response_metadata":"x"}`, false, nil, 0},
		"row id a float":      {`{"results":[{"employeeId":"` + emp + `","values":[{"id":1.5}]}]}`, false, nil, 0},
		"status is an object": {`{"results":[{"employeeId":"` + emp + `","values":[{"id":1,"status":{"a":1}}]}]}`, false, nil, 0},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			f := newFake(t, serveJSON(200, []byte(tc.body)))
			page, err := f.client(t).HistoryPage(context.Background(), model.Lifecycle, hibob.HistoryQuery{})
			if !tc.ok {
				require.ErrorIs(t, err, hibob.ErrBadResponse)
				require.False(t, hibob.Retryable(err))
				return
			}
			require.NoError(t, err)
			require.Equal(t, tc.denied, page.Denied)
			require.Len(t, page.Entries, tc.rows)
		})
	}
}

func TestNormalizeHistoryWorkAndEmployment(t *testing.T) {
	const emp = "3332883884017713938"
	e, err := hibob.NormalizeHistory(model.Work, emp, []byte(`{"id":"7","effectiveDate":"2022-01-01","endEffectiveDate":"2022-12-31","isCurrent":false,
		"title":"243841003","department":"Product","site":"London","siteId":2510068,"reportsTo":{"id":"3332883909410030364","displayName":"Zoe Clark"}}`))
	require.NoError(t, err)
	e.Raw = nil
	require.Equal(t, model.HistoryEntry{Table: model.Work, EmployeeID: emp, EntryID: 7, EffectiveDate: model.MustDate("2022-01-01"),
		EndEffectiveDate: model.MustDate("2022-12-31"), Title: "243841003", Department: "Product", Site: "London",
		ReportsToID: "3332883909410030364"}, e)

	e, err = hibob.NormalizeHistory(model.Employment, emp, []byte(`{"id":8,"effectiveDate":"2022-01-01","isCurrent":true,"type":"Full-Time","contract":"Permanent","weeklyHours":40}`))
	require.NoError(t, err)
	require.Equal(t, "Full-Time", e.EmploymentType)
	require.Equal(t, "Permanent", e.Contract)
	require.True(t, e.IsCurrent)

	_, err = hibob.NormalizeHistory(model.Work, emp, []byte(`{"id":1,"reportsTo":{"id":"zoe"}}`))
	require.ErrorIs(t, err, hibob.ErrBadResponse)
	require.ErrorContains(t, err, "reportsTo")
	require.NotContains(t, err.Error(), "zoe")
	_, err = hibob.NormalizeHistory(model.Work, "42", []byte(`{"id":1}`))
	require.ErrorIs(t, err, hibob.ErrBadResponse)
}
