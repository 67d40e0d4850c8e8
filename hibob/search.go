package hibob

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"hibobsync/model"
)

// MaxSearchFields is HiBob's limit on field IDs in one people search.
const MaxSearchFields = 400

// Filter narrows a people search to employees whose FieldPath equals one of Values. HiBob
// accepts one filter, on "root.id" or "root.email", with the "equals" operator.
type Filter struct {
	FieldPath string
	Values    []string
}

// SearchRequest is the body of POST /people/search.
type SearchRequest struct {
	Fields        []string // field IDs in dot notation; empty asks for HiBob's default set
	Filter        *Filter
	ShowInactive  bool   // include terminated and access-disabled employees
	HumanReadable string // "", "APPEND" or "REPLACE"
}

type searchBody struct {
	Fields        []string     `json:"fields,omitempty"`
	Filters       []filterBody `json:"filters,omitempty"` // absent without a filter: "filters": [] is a 400
	ShowInactive  bool         `json:"showInactive"`
	HumanReadable string       `json:"humanReadable,omitempty"`
}

type filterBody struct {
	FieldPath string   `json:"fieldPath"`
	Operator  string   `json:"operator"`
	Values    []string `json:"values"`
}

func (r SearchRequest) body() (searchBody, error) {
	b := searchBody{Fields: r.Fields, ShowInactive: r.ShowInactive, HumanReadable: r.HumanReadable}
	if len(r.Fields) > MaxSearchFields {
		return b, fmt.Errorf("%d fields requested, HiBob allows at most %d", len(r.Fields), MaxSearchFields)
	}
	for i, f := range r.Fields {
		if strings.TrimSpace(f) == "" {
			return b, fmt.Errorf("field #%d is empty", i)
		}
	}
	switch r.HumanReadable {
	case "", "APPEND", "REPLACE":
	default:
		return b, errors.New(`humanReadable must be "", "APPEND" or "REPLACE"`)
	}
	if r.Filter != nil {
		switch r.Filter.FieldPath {
		case "root.id", "root.email":
		default:
			return b, errors.New(`a filter's fieldPath must be "root.id" or "root.email"`)
		}
		if len(r.Filter.Values) == 0 {
			return b, errors.New("a filter needs at least one value")
		}
		for i, v := range r.Filter.Values {
			if strings.TrimSpace(v) == "" {
				return b, fmt.Errorf("filter value #%d is empty", i)
			}
		}
		b.Filters = []filterBody{{FieldPath: r.Filter.FieldPath, Operator: "equals", Values: r.Filter.Values}}
	}
	return b, nil
}

// Search runs one people search and returns each employee object as HiBob sent it. HiBob
// does not paginate searches: the answer holds every match.
func (c *Client) Search(ctx context.Context, r SearchRequest) ([]json.RawMessage, error) {
	ep := EndpointSearch
	body, err := r.body()
	if err != nil {
		return nil, invalidRequest(ep, "%v", err)
	}
	raw, err := c.do(ctx, call{endpoint: ep, method: http.MethodPost, path: "/people/search", body: body, maxBody: maxSearchBody})
	if err != nil {
		return nil, err
	}
	return employeesOf(ep, raw)
}

// employeesOf reads {"employees": [{…}, …]}. Each employee is a slice of the body, not a
// copy: an unfiltered search of a large tenant runs to 100 MB.
func employeesOf(ep Endpoint, raw []byte) ([]json.RawMessage, error) {
	if jsonKind(raw) != '{' {
		return nil, badResponse(ep, http.StatusOK, "the response is %s, expected an object with an employees array", kindName(raw))
	}
	top, err := objectOf(raw)
	if err != nil {
		return nil, badResponse(ep, http.StatusOK, "the employees cannot be read: %s", err)
	}
	list, ok := top.get("employees")
	switch {
	case !ok || jsonKind(list) == 'n':
		return nil, badResponse(ep, http.StatusOK, "the response has no employees array")
	case jsonKind(list) != '[':
		return nil, badResponse(ep, http.StatusOK, "employees is %s, expected an array", kindName(list))
	}
	employees, err := arrayOf(list)
	if err != nil {
		return nil, badResponse(ep, http.StatusOK, "the employees cannot be read: %s", err)
	}
	for i, e := range employees {
		if jsonKind(e) != '{' {
			return nil, badResponse(ep, http.StatusOK, "employee #%d is %s, expected an object", i, kindName(e))
		}
	}
	return employees, nil
}

// Listing is every employee ID the service user can see, each once, and the entries whose ID
// was missing, malformed or listed twice.
type Listing struct {
	IDs      []string
	Rejected []model.Rejection
}

// ListEmployeeIDs lists the ID of every employee the service user can see, leavers included,
// in HiBob's order: the first step of a sync, whose second is FetchEmployees in batches. A bad
// entry is rejected, not fatal: the rest of the tenant still syncs.
func (c *Client) ListEmployeeIDs(ctx context.Context) (Listing, error) {
	emps, err := c.Search(ctx, SearchRequest{Fields: []string{"root.id"}, ShowInactive: true})
	if err != nil {
		return Listing{}, err
	}
	l := Listing{IDs: make([]string, 0, len(emps))}
	seen := make(map[string]int, len(emps))
	for i, raw := range emps {
		id, err := employeeIDOf(raw)
		if err != nil {
			l.Rejected = append(l.Rejected, model.Rejection{Reason: fmt.Sprintf("entry #%d of the employee list: %v", i, err)})
			continue
		}
		if j, dup := seen[id]; dup {
			l.Rejected = append(l.Rejected, model.Rejection{EmployeeID: id,
				Reason: fmt.Sprintf("entries #%d and #%d of the employee list have the same ID", j, i)})
			continue
		}
		seen[id] = i
		l.IDs = append(l.IDs, id)
	}
	return l, nil
}
