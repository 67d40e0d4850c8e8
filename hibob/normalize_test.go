package hibob_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"hibobsync/hibob"
	"hibobsync/model"
)

// fullNested is one employee with every gifting field, in the nested form, with labels.
const fullNested = `{
  "id": "3332883884017713938", "firstName": "Ana", "surname": "Silva", "displayName": "Ana Silva",
  "email": "ana.silva@acme.example.com",
  "personal": {"shortBirthDate": "02-29", "birthDate": "1992-02-29"},
  "work": {"startDate": "2019-04-01", "originalStartDate": "2015-06-15", "title": "243841003",
           "department": "1001", "site": "2510068", "manager": "3332883909410030364"},
  "home": {"privateEmail": "ana@home.example.org"},
  "address": {"line1": "1 Main St", "line2": "Apt 2", "city": "Springfield", "postCode": "12345",
              "usaState": "IL", "country": "US",
              "siteAddress1": "500 Office Rd", "siteAddress2": "Floor 3", "siteCity": "Chicago",
              "sitePostalCode": "60601", "siteState": "IL", "siteCountry": "US"},
  "internal": {"status": "active", "lifecycleStatus": "employed", "terminationDate": "2026-12-31"},
  "employee": {"lastDayOfWork": "2026-12-30"},
  "humanReadable": {
    "work": {"title": "Account Executive", "department": "Sales", "site": "Chicago HQ", "startDate": "01/04/2019"},
    "address": {"country": "United States", "siteCountry": "United States"},
    "internal": {"status": "Active", "lifecycleStatus": "Employed"}
  }
}`

var fullWant = model.Employee{
	ID: "3332883884017713938", FirstName: "Ana", Surname: "Silva", DisplayName: "Ana Silva",
	WorkEmail: "ana.silva@acme.example.com", PersonalEmail: "ana@home.example.org",
	Birthday: model.MonthDay{Month: 2, Day: 29}, BirthDate: model.MustDate("1992-02-29"),
	StartDate: model.MustDate("2019-04-01"), OriginalStartDate: model.MustDate("2015-06-15"),
	Title:           model.ListValue{Value: "243841003", Label: "Account Executive"},
	Department:      model.ListValue{Value: "1001", Label: "Sales"},
	Site:            model.ListValue{Value: "2510068", Label: "Chicago HQ"},
	ManagerID:       "3332883909410030364",
	AccessStatus:    model.ListValue{Value: "active", Label: "Active"},
	LifecycleStatus: model.ListValue{Value: "employed", Label: "Employed"},
	TerminationDate: model.MustDate("2026-12-31"), LastDayOfWork: model.MustDate("2026-12-30"),
	HomeAddress: model.Address{Line1: "1 Main St", Line2: "Apt 2", City: "Springfield", PostCode: "12345", State: "IL",
		Country: model.ListValue{Value: "US", Label: "United States"}},
	SiteAddress: model.Address{Line1: "500 Office Rd", Line2: "Floor 3", City: "Chicago", PostCode: "60601", State: "IL",
		Country: model.ListValue{Value: "US", Label: "United States"}},
}

func normalized(t *testing.T, raw string, requested []string) model.Employee {
	t.Helper()
	e, err := hibob.Normalize([]byte(raw), requested)
	require.NoError(t, err)
	require.Equal(t, raw, string(e.Raw))
	e.Raw = nil
	return e
}

// toSlash rewrites an employee in the slash-key form only: "/work/startDate": {"value": …}.
func toSlash(t *testing.T, raw string) string {
	var m map[string]any
	require.NoError(t, json.Unmarshal([]byte(raw), &m))
	out := map[string]any{}
	for k, v := range m {
		switch v := v.(type) {
		case map[string]any:
			if k == "humanReadable" {
				out[k] = v
				continue
			}
			for sub, val := range v {
				out["/"+k+"/"+sub] = map[string]any{"value": val}
			}
		default:
			out["/root/"+k] = map[string]any{"value": v}
		}
	}
	b, err := json.Marshal(out)
	require.NoError(t, err)
	return string(b)
}

func TestNormalizeEveryGiftingField(t *testing.T) {
	require.Len(t, hibob.GiftingFields, 30)
	require.Equal(t, fullWant, normalized(t, fullNested, hibob.GiftingFields))
	require.Equal(t, fullWant, normalized(t, toSlash(t, fullNested), hibob.GiftingFields), "slash-key fallback")
}

func TestNormalizeEachFieldAlone(t *testing.T) {
	// Every gifting field, alone, in both forms: found, and not hidden.
	var full map[string]json.RawMessage
	require.NoError(t, json.Unmarshal([]byte(fullNested), &full))
	for _, id := range hibob.GiftingFields {
		if id == "root.id" {
			continue
		}
		parts := strings.SplitN(id, ".", 2)
		var value json.RawMessage
		if parts[0] == "root" {
			value = full[parts[1]]
		} else {
			var cat map[string]json.RawMessage
			require.NoError(t, json.Unmarshal(full[parts[0]], &cat))
			value = cat[parts[1]]
		}
		require.NotNil(t, value, id)
		var nested string
		if parts[0] == "root" {
			nested = `{"id":"3332883884017713938",` + `"` + parts[1] + `":` + string(value) + `}`
		} else {
			nested = `{"id":"3332883884017713938","` + parts[0] + `":{"` + parts[1] + `":` + string(value) + `}}`
		}
		slash := `{"/root/id":{"value":"3332883884017713938"},"/` + strings.ReplaceAll(id, ".", "/") + `":{"value":` + string(value) + `}}`
		for form, raw := range map[string]string{"nested": nested, "slash": slash} {
			e := normalized(t, raw, hibob.GiftingFields)
			require.NotContains(t, e.Hidden, id, "%s %s", form, id)
			require.Len(t, e.Hidden, len(hibob.GiftingFields)-2, "%s %s", form, id)
			require.NotEqual(t, model.Employee{ID: e.ID, Hidden: e.Hidden}, e, "%s %s was not read", form, id)
		}
	}
}

func TestNormalizeNullVersusMissing(t *testing.T) {
	raw := `{"id":"3332883884017713938","firstName":null,"personal":{"shortBirthDate":null},
		"work":{"startDate":null,"title":null},"address":{"country":null},"humanReadable":{"work":{"title":null}}}`
	e := normalized(t, raw, hibob.GiftingFields)
	require.Equal(t, "3332883884017713938", e.ID)
	require.Empty(t, e.FirstName)
	require.True(t, e.Birthday.IsZero())
	require.True(t, e.StartDate.IsZero())
	require.True(t, e.Title.IsZero())
	for _, present := range []string{"root.id", "root.firstName", "personal.shortBirthDate", "work.startDate", "work.title", "address.country"} {
		require.NotContains(t, e.Hidden, present, "null means permitted but empty")
	}
	require.Contains(t, e.Hidden, "personal.birthDate")
	require.Contains(t, e.Hidden, "root.surname")
	require.True(t, isSorted(e.Hidden))
	require.Len(t, e.Hidden, len(hibob.GiftingFields)-6)

	// A null slash wrapper also counts as present; a null category as absent.
	e = normalized(t, `{"id":"3332883884017713938","/work/site":null,"internal":null}`, []string{"work.site", "internal.status", "work.site"})
	require.Equal(t, []string{"internal.status"}, e.Hidden)

	// Requested fields beyond the gifting ones count too; nothing requested, nothing hidden.
	e = normalized(t, `{"id":"3332883884017713938","home":{"mobilePhone":null}}`, []string{"home.mobilePhone", "work.custom.field_1"})
	require.Equal(t, []string{"work.custom.field_1"}, e.Hidden)
	e = normalized(t, `{"id":"3332883884017713938"}`, nil)
	require.Nil(t, e.Hidden)
}

func isSorted(s []string) bool {
	for i := 1; i < len(s); i++ {
		if s[i-1] >= s[i] {
			return false
		}
	}
	return true
}

func TestNormalizeNestedWinsOverSlash(t *testing.T) {
	e := normalized(t, `{"id":"3332883884017713938","/root/id":{"value":"3332883884017713938"},
		"work":{"startDate":"2020-01-01"},"/work/startDate":{"value":"2021-01-01"}}`, nil)
	require.Equal(t, model.MustDate("2020-01-01"), e.StartDate)
}

func TestNormalizeBirthdays(t *testing.T) {
	// shortBirthDate wins; 29 February is a birthday.
	e := normalized(t, `{"id":"3332883884017713938","personal":{"shortBirthDate":"02-29"}}`, nil)
	require.Equal(t, model.MonthDay{Month: 2, Day: 29}, e.Birthday)
	require.True(t, e.BirthDate.IsZero())

	// Without shortBirthDate, the month-day of the full date.
	e = normalized(t, `{"id":"3332883884017713938","personal":{"birthDate":"1988-02-29"}}`, []string{"personal.shortBirthDate", "personal.birthDate"})
	require.Equal(t, model.MonthDay{Month: 2, Day: 29}, e.Birthday)
	require.Equal(t, model.MustDate("1988-02-29"), e.BirthDate)
	require.Equal(t, []string{"personal.shortBirthDate"}, e.Hidden)

	e = normalized(t, `{"id":"3332883884017713938","personal":{"shortBirthDate":null,"birthDate":"1990-07-04"}}`, nil)
	require.Equal(t, model.MonthDay{Month: 7, Day: 4}, e.Birthday)

	// Full date hidden (§8.3): birthday from the short date, no full date.
	e = normalized(t, `{"id":"3332883884017713938","personal":{"shortBirthDate":"07-04"}}`, hibob.GiftingFields)
	require.Equal(t, model.MonthDay{Month: 7, Day: 4}, e.Birthday)
	require.True(t, e.BirthDate.IsZero())
	require.Contains(t, e.Hidden, "personal.birthDate")
}

func TestNormalizeIDs(t *testing.T) {
	// A numeric ID too big for float64 is read by its exact digits.
	e := normalized(t, `{"id":3332883884017713938}`, nil)
	require.Equal(t, "3332883884017713938", e.ID)
	e = normalized(t, `{"/root/id":{"value":3332883884017713939}}`, nil)
	require.Equal(t, "3332883884017713939", e.ID)
	e = normalized(t, `{"id":"3332883884017713938","work":{"manager":3332883909410030364}}`, nil)
	require.Equal(t, "3332883909410030364", e.ManagerID)

	for _, bad := range []string{
		`{"id":3.332883884017714e18}`, `{"id":3332883884017713938.0}`, `{"id":-332883884017713938}`,
		`{"id":"332883884017713938"}`, `{"id":"33328838840177139380"}`, `{"id":" 3332883884017713938"}`,
		`{"id":"３332883884017713938"}`, `{"id":true}`, `{"id":["3332883884017713938"]}`, `{"id":null}`, `{}`,
		`{"id":"3332883884017713938","work":{"manager":"Zoe Clark"}}`,
		`{"id":"3332883884017713938","work":{"manager":{"id":"3332883909410030364"}}}`,
	} {
		_, err := hibob.Normalize([]byte(bad), nil)
		require.ErrorIs(t, err, hibob.ErrBadResponse, bad)
	}
}

func TestNormalizeRejectsBadValues(t *testing.T) {
	const id = `"id":"3332883884017713938"`
	cases := map[string]struct{ raw, field string }{
		"impossible date":         {`{` + id + `,"work":{"startDate":"2023-02-30"}}`, "work.startDate"},
		"29 Feb of a common year": {`{` + id + `,"personal":{"birthDate":"2023-02-29"}}`, "personal.birthDate"},
		"human date":              {`{` + id + `,"internal":{"terminationDate":"31/12/2026"}}`, "internal.terminationDate"},
		"date with time":          {`{` + id + `,"employee":{"lastDayOfWork":"2026-12-30T00:00:00"}}`, "employee.lastDayOfWork"},
		"date as number":          {`{` + id + `,"work":{"originalStartDate":20150615}}`, "work.originalStartDate"},
		"short date 02-30":        {`{` + id + `,"personal":{"shortBirthDate":"02-30"}}`, "personal.shortBirthDate"},
		"short date 13-01":        {`{` + id + `,"personal":{"shortBirthDate":"13-01"}}`, "personal.shortBirthDate"},
		"short date with year":    {`{` + id + `,"personal":{"shortBirthDate":"1990-01-01"}}`, "personal.shortBirthDate"},
		"text is an object":       {`{` + id + `,"firstName":{"first":"Ana"}}`, "root.firstName"},
		"text is a boolean":       {`{` + id + `,"address":{"city":true}}`, "address.city"},
		"list is an array":        {`{` + id + `,"work":{"title":["a"]}}`, "work.title"},
		"label is an object":      {`{` + id + `,"work":{"title":"1"},"humanReadable":{"work":{"title":{"x":"Secret"}}}}`, "work.title"},
		"category is a string":    {`{` + id + `,"work":"Engineering"}`, "work.startDate"},
		"slash without value":     {`{` + id + `,"/work/startDate":{"v":"2020-01-01"}}`, "work.startDate"},
		"slash is a string":       {`{` + id + `,"/address/city":"Springfield"}`, "address.city"},
		"humanReadable a string":  {`{` + id + `,"humanReadable":"Ana"}`, "humanReadable"},
	}
	for name, tc := range cases {
		_, err := hibob.Normalize([]byte(tc.raw), hibob.GiftingFields)
		require.ErrorIs(t, err, hibob.ErrBadResponse, name)
		require.ErrorContains(t, err, tc.field, name)
		for _, value := range []string{"2023-02-30", "2023-02-29", "31/12/2026", "20150615", "02-30", "13-01", "Ana", "Secret", "Springfield", "Engineering"} {
			require.NotContains(t, err.Error(), value, "%s: errors never quote values", name)
		}
	}
	for _, notObject := range []string{``, `null`, `[]`, `"x"`, `42`, `{"id":`, `{"id":"3332883884017713938"} x`} {
		_, err := hibob.Normalize([]byte(notObject), nil)
		require.ErrorIs(t, err, hibob.ErrBadResponse, notObject)
	}
}

func TestNormalizeNumbersByType(t *testing.T) {
	e := normalized(t, `{"id":"3332883884017713938","address":{"postCode":10001,"country":840},"work":{"site":2510068,"siteId":2510068},
		"humanReadable":{"work":{"site":"London"},"address":{"country":"United States"}}}`, nil)
	require.Equal(t, "10001", e.HomeAddress.PostCode)
	require.Equal(t, model.ListValue{Value: "840", Label: "United States"}, e.HomeAddress.Country)
	require.Equal(t, model.ListValue{Value: "2510068", Label: "London"}, e.Site)
}

func TestNormalizeGoldenEmployees(t *testing.T) {
	// Every employee of every golden search normalises without error.
	for _, file := range []string{"search_directory_append.json", "search_machine_format.json"} {
		var doc struct{ Employees []json.RawMessage }
		require.NoError(t, json.Unmarshal(golden(t, file), &doc))
		for _, raw := range doc.Employees {
			_, err := hibob.Normalize(raw, hibob.GiftingFields)
			require.NoError(t, err, file)
		}
	}
}
