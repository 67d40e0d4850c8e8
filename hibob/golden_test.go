package hibob_test

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"

	"hibobsync/hibob"
	"hibobsync/model"
)

func TestGoldenSearchDirectoryAppend(t *testing.T) {
	f := newFake(t, serveJSON(200, golden(t, "search_directory_append.json")))
	c := f.client(t)
	requested := []string{"root.id", "root.displayName", "root.email", "work.title"}
	raws, err := c.Search(context.Background(), hibob.SearchRequest{Fields: requested, HumanReadable: "APPEND"})
	require.NoError(t, err)
	require.Len(t, raws, 1)

	e, err := hibob.Normalize(raws[0], requested)
	require.NoError(t, err)
	require.Equal(t, "3987598587553907167", e.ID)
	require.Equal(t, "Maya Lindqvist", e.DisplayName)
	require.Equal(t, "person@example.com", e.WorkEmail)
	require.Equal(t, model.ListValue{Value: "243841003", Label: "Account Executive"}, e.Title)
	require.Empty(t, e.Hidden)
	require.JSONEq(t, string(raws[0]), string(e.Raw))

	e.Raw = nil
	require.Equal(t, model.Employee{ID: "3987598587553907167", DisplayName: "Maya Lindqvist", WorkEmail: "person@example.com",
		Title: model.ListValue{Value: "243841003", Label: "Account Executive"}}, e)

	// Asked with the gifting fields, everything else is hidden (silently omitted by HiBob).
	e, err = hibob.Normalize(raws[0], hibob.GiftingFields)
	require.NoError(t, err)
	require.Len(t, e.Hidden, len(hibob.GiftingFields)-4)
	require.NotContains(t, e.Hidden, "work.title")
}

func TestGoldenSearchMachineFormat(t *testing.T) {
	f := newFake(t, serveJSON(200, golden(t, "search_machine_format.json")))
	c := f.client(t)
	raws, err := c.Search(context.Background(), hibob.SearchRequest{Fields: hibob.GiftingFields, ShowInactive: true})
	require.NoError(t, err)
	require.Len(t, raws, 1)
	e, err := hibob.Normalize(raws[0], hibob.GiftingFields)
	require.NoError(t, err)
	e.Raw = nil
	require.Equal(t, model.Employee{
		ID: "3332883911884669725", FirstName: "Amy", Surname: "Miles", DisplayName: "example",
		WorkEmail:         "amy.miles_636192@samplebob.com",
		StartDate:         model.MustDate("2015-03-20"),
		OriginalStartDate: model.MustDate("2015-03-20"),
		Title:             model.ListValue{Value: "example"},
		Department:        model.ListValue{Value: "Product"},
		Site:              model.ListValue{Value: "example"},
		ManagerID:         "3332883909410030364",
		Hidden: []string{
			"address.city", "address.country", "address.line1", "address.line2", "address.postCode",
			"address.siteAddress1", "address.siteAddress2", "address.siteCity", "address.siteCountry",
			"address.sitePostalCode", "address.siteState", "address.usaState",
			"employee.lastDayOfWork", "home.privateEmail",
			"internal.lifecycleStatus", "internal.status", "internal.terminationDate",
			"personal.birthDate", "personal.shortBirthDate",
		},
	}, e)
}

func TestGoldenReadOne(t *testing.T) {
	f := newFake(t, serveJSON(200, golden(t, "read_one.json")))
	c := f.client(t)
	requested := []string{"root.id", "root.displayName", "root.email", "work.title", "root.firstName", "home.mobilePhone",
		"work.department", "work.site", "work.reportsTo", "work.startDate", "internal.status"}
	e, err := c.ReadEmployee(context.Background(), "3980342332732998349", requested)
	require.NoError(t, err)
	require.JSONEq(t, string(golden(t, "read_one.json")), string(e.Raw))
	e.Raw = nil
	require.Equal(t, model.Employee{
		ID: "3980342332732998349", FirstName: "Jonas", DisplayName: "Jonas Weber", WorkEmail: "person@example.com",
		StartDate:    model.MustDate("2026-09-06"),
		Site:         model.ListValue{Value: "Berlin", Label: "Berlin"},
		AccessStatus: model.ListValue{Value: "Active", Label: "Active"},
		// work.title, work.department, work.reportsTo and home.mobilePhone came back null:
		// permitted but empty, so not hidden.
	}, e)

	req := f.last(t)
	require.Equal(t, http.MethodPost, req.Method)
	require.Equal(t, "/v1/people/3980342332732998349", req.Path)
	body := decodeBody(t, req.Body)
	require.Equal(t, "APPEND", body["humanReadable"])
	require.NotContains(t, body, "filters")
	require.NotContains(t, body, "showInactive")
	require.Len(t, body["fields"], len(requested))

	// By e-mail, path-escaped; default fields are the gifting fields.
	_, err = c.ReadEmployee(context.Background(), "jane+gifts@acme.com", nil)
	require.NoError(t, err)
	req = f.last(t)
	require.Equal(t, "/v1/people/jane+gifts@acme.com", req.Path)
	require.Len(t, decodeBody(t, req.Body)["fields"], len(hibob.GiftingFields))

	// Asked for one employee, answered with another: refused.
	_, err = c.ReadEmployee(context.Background(), "3332883884017713938", nil)
	require.ErrorIs(t, err, hibob.ErrBadResponse)

	_, err = c.ReadEmployee(context.Background(), "../company/people/fields", nil)
	require.ErrorIs(t, err, hibob.ErrBadRequest)
	require.Len(t, f.all(), 3, "an invalid identifier is refused before any request")
}

func TestReadOneAcceptsTheOpenAPIWrappedShape(t *testing.T) {
	wrapped := `{"employees":[` + string(golden(t, "read_one.json")) + `]}`
	f := newFake(t, serveJSON(200, []byte(wrapped)))
	e, err := f.client(t).ReadEmployee(context.Background(), "3980342332732998349", nil)
	require.NoError(t, err)
	require.Equal(t, "3980342332732998349", e.ID)
}

func TestReadOneUnknownIs404(t *testing.T) {
	f := newFake(t, serveJSON(404, []byte(`{"key":"employee.not.found","error":"Employee not found"}`)))
	_, err := f.client(t).ReadEmployee(context.Background(), "3980342332732998349", nil)
	require.ErrorIs(t, err, hibob.ErrNotFound)
	require.NotContains(t, err.Error(), "3980342332732998349")
}

func TestGoldenFields(t *testing.T) {
	f := newFake(t, serveJSON(200, golden(t, "fields.json")))
	c := f.client(t)
	fields, err := c.Fields(context.Background())
	require.NoError(t, err)
	require.Equal(t, []hibob.Field{
		{ID: "root.email", CategoryID: "root", CategoryDisplayName: "Basic info", Name: "Email", JSONPath: "email", Type: "text"},
		{ID: "personal.birthDate", CategoryID: "personal", CategoryDisplayName: "Personal", Name: "Date of Birth", JSONPath: "personal.birthDate", Type: "date"},
		{ID: "personal.shortBirthDate", CategoryID: "personal", CategoryDisplayName: "Personal", Name: "Birthday", JSONPath: "personal.shortBirthDate", Type: "short-date"},
		{ID: "home.privateEmail", CategoryID: "personalContact", CategoryDisplayName: "Personal contact details", Name: "Personal email", Type: "text"},
		{ID: "work.startDate", CategoryID: "work", CategoryDisplayName: "Work", Name: "Start date", Type: "date"},
		{ID: "work.shortStartDate", CategoryID: "work", CategoryDisplayName: "Work", Name: "Work anniversary", Type: "short-date"},
		{ID: "address.city", CategoryID: "address", CategoryDisplayName: "Address", Name: "City", Type: "text", Historical: true},
		{ID: "address.country", CategoryID: "address", CategoryDisplayName: "Address", Name: "Country", Type: "list", ListID: "countries", Historical: true},
		{ID: "internal.status", CategoryID: "lifecycle", CategoryDisplayName: "Lifecycle", Name: "Status", Type: "list", ListID: "status", Historical: true},
		{ID: "internal.terminationDate", CategoryID: "lifecycle", CategoryDisplayName: "Lifecycle", Name: "Termination date", Type: "date"},
	}, fields)

	req := f.last(t)
	require.Equal(t, http.MethodGet, req.Method)
	require.Equal(t, "/v1/company/people/fields", req.Path)
	require.Empty(t, req.Header.Get("Content-Type"), "no Content-Type on GETs")
	require.Empty(t, req.Body)
}

func TestFieldsAcceptsWrappedArray(t *testing.T) {
	wrapped := `{"fields":` + string(golden(t, "fields.json")) + `}`
	f := newFake(t, serveJSON(200, []byte(wrapped)))
	fields, err := f.client(t).Fields(context.Background())
	require.NoError(t, err)
	require.Len(t, fields, 10)

	for _, bad := range []string{`{"items":[]}`, `"fields"`, `[1,2]`, `[{"id":""}]`, `{"fields":{"id":"x"}}`} {
		f := newFake(t, serveJSON(200, []byte(bad)))
		_, err := f.client(t).Fields(context.Background())
		require.ErrorIs(t, err, hibob.ErrBadResponse, bad)
	}
}

func TestGoldenBulkLifecycleWithErrors(t *testing.T) {
	f := newFake(t, serveJSON(200, golden(t, "bulk_lifecycle_errors.json")))
	c := f.client(t)
	page, err := c.HistoryPage(context.Background(), model.Lifecycle,
		hibob.HistoryQuery{EmployeeIDs: []string{"3332883884017713938", "2578509511618723822"}})
	require.NoError(t, err)
	require.Empty(t, page.NextCursor)
	require.Equal(t, []string{"2578509511618723822"}, page.Denied)
	for i := range page.Entries {
		require.NotEmpty(t, page.Entries[i].Raw)
		page.Entries[i].Raw = nil
	}
	require.Equal(t, []model.HistoryEntry{
		{Table: model.Lifecycle, EmployeeID: "3332883884017713938", EntryID: 1,
			EffectiveDate: model.MustDate("2021-03-01"), EndEffectiveDate: model.MustDate("2024-06-30"),
			Status: "Employed", EmployeeStatus: "Active"},
		{Table: model.Lifecycle, EmployeeID: "3332883884017713938", EntryID: 2,
			EffectiveDate: model.MustDate("2024-07-01"), IsCurrent: true,
			Status: "Terminated", EmployeeStatus: "Inactive"},
	}, page.Entries)

	req := f.last(t)
	require.Equal(t, "/v1/bulk/people/lifecycle", req.Path)
	require.Equal(t, "employeeIds=3332883884017713938%2C2578509511618723822&limit=200", req.RawQuery)
	require.Empty(t, req.Header.Get("Content-Type"))
}

func TestGoldenHistoryWorkRow(t *testing.T) {
	var doc struct{ Values []json.RawMessage }
	require.NoError(t, json.Unmarshal(golden(t, "history_work_values.json"), &doc))
	require.Len(t, doc.Values, 1)
	e, err := hibob.NormalizeHistory(model.Work, "3980342332732998349", doc.Values[0])
	require.NoError(t, err)
	e.Raw = nil
	require.Equal(t, model.HistoryEntry{Table: model.Work, EmployeeID: "3980342332732998349", EntryID: 1000020260906,
		EffectiveDate: model.MustDate("2026-09-06"), IsCurrent: true, Site: "Berlin"}, e)
}

func TestGoldenErrorBodies(t *testing.T) {
	cases := []struct {
		file, ct string
		status   int
		kind     error
		key, msg string
	}{
		{"error_401_empty.txt", "", 401, hibob.ErrUnauthorized, "", ""},
		{"error_400.json", "application/json", 400, hibob.ErrBadRequest, "exception.history.duplicated.bulk",
			"Duplicate effective date for address, please update the effective date."},
		{"error_400_errors.json", "application/json", 400, hibob.ErrBadRequest, "", `The value "…" isn't valid in list countries.`},
		{"error_403.json", "application/json", 403, hibob.ErrForbidden, "exception.permission.denied",
			"The service user does not have permissions to access this table or employees."},
		{"error_403_waf.html", "text/html", 403, hibob.ErrForbidden, "", ""},
	}
	for _, tc := range cases {
		t.Run(tc.file, func(t *testing.T) {
			body := golden(t, tc.file)
			f := newFake(t, func(w http.ResponseWriter, r *http.Request) {
				if tc.ct != "" {
					w.Header().Set("Content-Type", tc.ct)
				}
				w.WriteHeader(tc.status)
				w.Write(body)
			})
			_, err := f.client(t).Fields(context.Background())
			require.ErrorIs(t, err, tc.kind)
			apiErr, ok := asAPIError(err)
			require.True(t, ok)
			require.Equal(t, tc.status, apiErr.Status)
			require.Equal(t, tc.key, apiErr.Key)
			require.Equal(t, tc.msg, apiErr.Message)
			require.NotContains(t, err.Error(), "Not A Country", "values echoed by HiBob are masked")
		})
	}
}

func TestGoldenHTML200(t *testing.T) {
	body := golden(t, "html_200_wrong_path.html")
	f := newFake(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write(body)
	})
	_, err := f.client(t).Search(context.Background(), hibob.SearchRequest{})
	require.ErrorIs(t, err, hibob.ErrBadResponse)
	require.ErrorContains(t, err, "text/html instead of JSON")
	require.ErrorContains(t, err, "check the base URL")
	require.False(t, hibob.Retryable(err))
}
