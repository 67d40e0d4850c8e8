package hibob

import (
	"context"
	"encoding/json"
	"net/http"
)

// Field is one entry of HiBob's employee field metadata.
type Field struct {
	ID                  string // the field ID requests use, e.g. "work.startDate"
	CategoryID          string // what permissions are granted on, e.g. "personal"
	CategoryDisplayName string
	Name                string
	JSONPath            string // where the value sits in an employee object; root fields have no "root." prefix
	Type                string // text, date, short-date, list, …
	ListID              string // for list fields, the named list (typeData.listId)
	Historical          bool
}

type fieldJSON struct {
	ID                  string `json:"id"`
	CategoryID          string `json:"categoryId"`
	Category            string `json:"category"`
	CategoryDisplayName string `json:"categoryDisplayName"`
	Name                string `json:"name"`
	JSONPath            string `json:"jsonPath"`
	Type                string `json:"type"`
	TypeData            *struct {
		ListID string `json:"listId"`
	} `json:"typeData"`
	Historical bool `json:"historical"`
}

// Fields lists the tenant's employee fields (GET /company/people/fields). It needs no
// permissions, so it tells what exists, not what the service user may read — and it is a cheap
// check of the credentials.
func (c *Client) Fields(ctx context.Context) ([]Field, error) {
	ep := EndpointFields
	raw, err := c.do(ctx, call{endpoint: ep, method: http.MethodGet, path: "/company/people/fields"})
	if err != nil {
		return nil, err
	}
	// HiBob answers a top-level array; some proxies of it wrap the array in {"fields": …}.
	var items []json.RawMessage
	if json.Unmarshal(raw, &items) != nil {
		var wrapped struct {
			Fields []json.RawMessage `json:"fields"`
		}
		if json.Unmarshal(raw, &wrapped) != nil || wrapped.Fields == nil {
			return nil, badResponse(ep, http.StatusOK, "expected an array of fields (or {\"fields\": [...]})")
		}
		items = wrapped.Fields
	}
	out := make([]Field, 0, len(items))
	for i, item := range items {
		var f fieldJSON
		if err := json.Unmarshal(item, &f); err != nil {
			return nil, badResponse(ep, http.StatusOK, "field #%d is not a field object: %s", i, typeErrorText(err))
		}
		if f.ID == "" {
			return nil, badResponse(ep, http.StatusOK, "field #%d has no id", i)
		}
		if f.CategoryID == "" {
			f.CategoryID = f.Category // "category" is the deprecated name of categoryId
		}
		fl := Field{ID: f.ID, CategoryID: f.CategoryID, CategoryDisplayName: f.CategoryDisplayName,
			Name: f.Name, JSONPath: f.JSONPath, Type: f.Type, Historical: f.Historical}
		if f.TypeData != nil {
			fl.ListID = f.TypeData.ListID
		}
		out = append(out, fl)
	}
	return out, nil
}
