package hibob_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"hibobsync/hibob"
)

func makeIDs(n int) []string {
	ids := make([]string, n)
	for i := range ids {
		ids[i] = fmt.Sprintf("3%018d", i+1)
	}
	return ids
}

func TestBatches(t *testing.T) {
	for _, tc := range []struct {
		n     int
		sizes []int
	}{{0, nil}, {1, []int{1}}, {200, []int{200}}, {201, []int{200, 1}}, {401, []int{200, 200, 1}}} {
		ids := makeIDs(tc.n)
		batches := hibob.Batches(ids, hibob.MaxBatch)
		var sizes []int
		var joined []string
		for _, b := range batches {
			sizes = append(sizes, len(b))
			joined = append(joined, b...)
		}
		require.Equal(t, tc.sizes, sizes, "n=%d", tc.n)
		if tc.n > 0 {
			require.Equal(t, ids, joined)
		}
	}
	require.Len(t, hibob.Batches(makeIDs(10), 3), 4)
	require.Len(t, hibob.Batches(makeIDs(401), 0), 3, "size 0 means MaxBatch")
	require.Len(t, hibob.Batches(makeIDs(401), 1000), 3, "size is capped at MaxBatch")

	// Appending to a batch must not overwrite the next one.
	ids := makeIDs(4)
	b := hibob.Batches(ids, 2)
	_ = append(b[0], "x")
	require.Equal(t, makeIDs(4)[2], b[1][0])
}

func TestFetchEmployeesRequest(t *testing.T) {
	f := newFake(t, func(w http.ResponseWriter, r *http.Request) {
		raw, _ := io.ReadAll(r.Body)
		w.Header().Set("Content-Type", "application/json")
		var body struct{ Filters []struct{ Values []string } }
		if json.Unmarshal(raw, &body) != nil || len(body.Filters) != 1 {
			w.WriteHeader(400)
			return
		}
		var emps []string
		for _, id := range body.Filters[0].Values {
			emps = append(emps, `{"id":"`+id+`","firstName":"A","work":{"startDate":"2020-01-02"}}`)
		}
		w.Write([]byte(`{"employees":[` + strings.Join(emps, ",") + `]}`))
	})
	c := f.client(t)
	ids := makeIDs(200)
	got, err := c.FetchEmployees(context.Background(), ids)
	require.NoError(t, err)
	emps := got.Employees
	require.Len(t, emps, 200)
	require.Equal(t, ids[17], emps[17].ID)
	require.Equal(t, "A", emps[17].FirstName)

	var body map[string]json.RawMessage
	require.NoError(t, json.Unmarshal(f.last(t).Body, &body))
	require.ElementsMatch(t, []string{"fields", "filters", "showInactive", "humanReadable"}, keys(body))
	require.JSONEq(t, `true`, string(body["showInactive"]))
	require.JSONEq(t, `"APPEND"`, string(body["humanReadable"]))
	wantFields, _ := json.Marshal(hibob.GiftingFields)
	require.JSONEq(t, string(wantFields), string(body["fields"]))
	wantIDs, _ := json.Marshal(ids)
	require.JSONEq(t, `[{"fieldPath":"root.id","operator":"equals","values":`+string(wantIDs)+`}]`, string(body["filters"]))

	// 201 IDs, bad IDs and duplicates are refused without a request.
	before := f.count.Load()
	_, err = c.FetchEmployees(context.Background(), makeIDs(201))
	require.ErrorIs(t, err, hibob.ErrBadRequest)
	_, err = c.FetchEmployees(context.Background(), []string{"3332883884017713938", "3332883884017713938"})
	require.ErrorIs(t, err, hibob.ErrBadRequest)
	_, err = c.FetchEmployees(context.Background(), []string{"jane@acme.com"})
	require.ErrorIs(t, err, hibob.ErrBadRequest)
	none, err := c.FetchEmployees(context.Background(), nil)
	require.NoError(t, err)
	require.Empty(t, none)
	require.Equal(t, before, f.count.Load())
}

func keys(m map[string]json.RawMessage) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

func TestFetchEmployeesRefusesWhatWasNotAskedFor(t *testing.T) {
	f := newFake(t, serveJSON(200, []byte(`{"employees":[{"id":"3000000000000000009"}]}`)))
	_, err := f.client(t).FetchEmployees(context.Background(), makeIDs(2))
	require.ErrorIs(t, err, hibob.ErrBadResponse)
	require.ErrorContains(t, err, "not asked for")

	// Fewer than asked is fine: deleted since listing, or outside the audience.
	f = newFake(t, serveJSON(200, []byte(`{"employees":[{"id":"3000000000000000002"}]}`)))
	got, err := f.client(t).FetchEmployees(context.Background(), makeIDs(2))
	require.NoError(t, err)
	require.Len(t, got.Employees, 1)
}

// One unusable employee object is rejected with a reason and never fails the batch: the rest
// of the run must apply. Duplicates pass through; the store judges them across the whole run.
func TestFetchEmployeesRejectsBadRowsAndKeepsTheRest(t *testing.T) {
	f := newFake(t, serveJSON(200, []byte(`{"employees":[
		{"id":"3000000000000000001","work":{"startDate":"2023-02-30"}},
		{"firstName":"Privatename"},
		{"id":"3000000000000000002","firstName":"Ok"},
		{"id":"3000000000000000002","firstName":"Ok"}
	]}`)))
	got, err := f.client(t).FetchEmployees(context.Background(), makeIDs(2))
	require.NoError(t, err)
	require.Len(t, got.Employees, 2)
	require.Len(t, got.Rejected, 2)
	require.Equal(t, "3000000000000000001", got.Rejected[0].EmployeeID)
	require.Contains(t, got.Rejected[0].Reason, "work.startDate")
	require.NotContains(t, got.Rejected[0].Reason, "2023-02-30")
	require.Empty(t, got.Rejected[1].EmployeeID)
	require.NotContains(t, got.Rejected[1].Reason, "Privatename")
}

func TestSearchBody(t *testing.T) {
	f := newFake(t, serveJSON(200, []byte(`{"employees":[]}`)))
	c := f.client(t)
	ctx := context.Background()

	_, err := c.Search(ctx, hibob.SearchRequest{Fields: []string{"root.id"}})
	require.NoError(t, err)
	require.JSONEq(t, `{"fields":["root.id"],"showInactive":false}`, string(f.last(t).Body), "no filters key without a filter")

	_, err = c.Search(ctx, hibob.SearchRequest{})
	require.NoError(t, err)
	require.JSONEq(t, `{"showInactive":false}`, string(f.last(t).Body))

	// §2.2 example 2 and 3.
	_, err = c.Search(ctx, hibob.SearchRequest{Fields: []string{"root.id", "personal.shortBirthDate", "work.startDate"},
		Filter: &hibob.Filter{FieldPath: "root.id", Values: []string{"3332883884017713938", "3332883909410030364"}}, ShowInactive: true})
	require.NoError(t, err)
	require.JSONEq(t, `{"fields":["root.id","personal.shortBirthDate","work.startDate"],
		"filters":[{"fieldPath":"root.id","operator":"equals","values":["3332883884017713938","3332883909410030364"]}],
		"showInactive":true}`, string(f.last(t).Body))
	_, err = c.Search(ctx, hibob.SearchRequest{Fields: []string{"root.id"}, Filter: &hibob.Filter{FieldPath: "root.email", Values: []string{"jane@acme.com"}}, HumanReadable: "REPLACE"})
	require.NoError(t, err)
	require.JSONEq(t, `{"fields":["root.id"],"filters":[{"fieldPath":"root.email","operator":"equals","values":["jane@acme.com"]}],"showInactive":false,"humanReadable":"REPLACE"}`, string(f.last(t).Body))

	before := f.count.Load()
	tooMany := make([]string, 401)
	for i := range tooMany {
		tooMany[i] = fmt.Sprintf("work.custom.field_%d", i)
	}
	for name, r := range map[string]hibob.SearchRequest{
		"401 fields":      {Fields: tooMany},
		"empty field":     {Fields: []string{"root.id", ""}},
		"bad fieldPath":   {Filter: &hibob.Filter{FieldPath: "root.displayName", Values: []string{"x"}}},
		"slash fieldPath": {Filter: &hibob.Filter{FieldPath: "/root/id", Values: []string{"x"}}},
		"no values":       {Filter: &hibob.Filter{FieldPath: "root.id"}},
		"empty value":     {Filter: &hibob.Filter{FieldPath: "root.id", Values: []string{""}}},
		"humanReadable":   {HumanReadable: "append"},
	} {
		_, err := c.Search(ctx, r)
		require.ErrorIs(t, err, hibob.ErrBadRequest, name)
		require.False(t, hibob.Retryable(err))
	}
	require.Equal(t, before, f.count.Load(), "invalid searches are refused before any request")
	_, err = c.Search(ctx, hibob.SearchRequest{Fields: tooMany[:400]})
	require.NoError(t, err)
}

func TestListEmployeeIDs(t *testing.T) {
	f := newFake(t, serveJSON(200, []byte(`{"employees":[
		{"id":"3332883884017713938"},
		{"/root/id":{"value":"3332883909410030364"}},
		{"id":3332883911884669725}
	]}`)))
	listing, err := f.client(t).ListEmployeeIDs(context.Background())
	require.NoError(t, err)
	require.Equal(t, []string{"3332883884017713938", "3332883909410030364", "3332883911884669725"}, listing.IDs)
	require.Empty(t, listing.Rejected)
	require.JSONEq(t, `{"fields":["root.id"],"showInactive":true}`, string(f.last(t).Body))

	// A bad entry is rejected with a reason that names it, never its other fields; the good
	// entries still list.
	for name, tc := range map[string]struct{ body, says, id string }{
		"short ID":         {`{"id":"123","firstName":"Privatename"}`, "entry #1", ""},
		"float ID":         {`{"id":3.332883884017714e18}`, "entry #1", ""},
		"no ID":            {`{"firstName":"Privatename"}`, "no ID", ""},
		"null ID":          {`{"id":null}`, "no ID", ""},
		"object ID":        {`{"id":{"v":"3332883884017713938"}}`, "root.id", ""},
		"duplicate":        {`{"id":"3332883884017713938"}`, "#0 and #1", "3332883884017713938"},
		"ID with a letter": {`{"id":"333288388401771393a"}`, "19-digit", ""},
	} {
		f := newFake(t, serveJSON(200, []byte(`{"employees":[{"id":"3332883884017713938"},`+tc.body+`]}`)))
		listing, err := f.client(t).ListEmployeeIDs(context.Background())
		require.NoError(t, err, name)
		require.Equal(t, []string{"3332883884017713938"}, listing.IDs, name)
		require.Len(t, listing.Rejected, 1, name)
		require.Equal(t, tc.id, listing.Rejected[0].EmployeeID, name)
		require.Contains(t, listing.Rejected[0].Reason, tc.says, name)
		require.NotContains(t, listing.Rejected[0].Reason, "Privatename", name)
	}
}
