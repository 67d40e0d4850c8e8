package hibob

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"hibobsync/model"
)

// MaxBatch is the most employee IDs one request carries: a people search filter during a sync,
// or the employeeIds of a bulk table page.
const MaxBatch = 200

// Batches splits ids into consecutive batches of at most size IDs (MaxBatch when size is out
// of 1..MaxBatch). The batches share ids' memory but cannot grow into each other.
func Batches(ids []string, size int) [][]string {
	if size < 1 || size > MaxBatch {
		size = MaxBatch
	}
	var out [][]string
	for len(ids) > 0 {
		n := min(size, len(ids))
		out = append(out, ids[:n:n])
		ids = ids[n:]
	}
	return out
}

// FetchEmployees reads the GiftingFields of up to MaxBatch employees in one people search,
// leavers included, with labels for list fields. Employees HiBob does not return (deleted
// since they were listed, or outside the audience) are simply missing from the result.
func (c *Client) FetchEmployees(ctx context.Context, ids []string) ([]model.Employee, error) {
	return c.fetchEmployees(ctx, ids, GiftingFields)
}

// fetchEmployees is FetchEmployees for any field list (the audit adds probe fields).
func (c *Client) fetchEmployees(ctx context.Context, ids, fields []string) ([]model.Employee, error) {
	ep := EndpointSearch
	if len(ids) == 0 {
		return nil, nil
	}
	if len(ids) > MaxBatch {
		return nil, invalidRequest(ep, "%d employee IDs, at most %d per search (use Batches)", len(ids), MaxBatch)
	}
	want := make(map[string]bool, len(ids))
	for i, id := range ids {
		if !ValidID(id) {
			return nil, invalidRequest(ep, "employee ID #%d is not a 19-digit ID", i)
		}
		if want[id] {
			return nil, invalidRequest(ep, "employee ID #%d is a duplicate", i)
		}
		want[id] = true
	}
	raws, err := c.Search(ctx, SearchRequest{
		Fields:        fields,
		Filter:        &Filter{FieldPath: "root.id", Values: ids},
		ShowInactive:  true,
		HumanReadable: "APPEND",
	})
	if err != nil {
		return nil, err
	}
	return normalizeAll(ep, raws, fields, want)
}

// normalizeAll normalises a search answer; with want set, every employee must be one asked
// for, and none may come twice.
func normalizeAll(ep Endpoint, raws []json.RawMessage, requested []string, want map[string]bool) ([]model.Employee, error) {
	out := make([]model.Employee, 0, len(raws))
	seen := make(map[string]int, len(raws))
	for i, raw := range raws {
		e, err := Normalize(raw, requested)
		if err != nil {
			return nil, &APIError{Endpoint: ep, Status: http.StatusOK, kind: ErrBadResponse,
				hint: fmt.Sprintf("employee #%d of the response", i), cause: err}
		}
		if j, dup := seen[e.ID]; dup {
			return nil, badResponse(ep, http.StatusOK, "employees #%d and #%d have the same ID", j, i)
		}
		if want != nil && !want[e.ID] {
			return nil, badResponse(ep, http.StatusOK, "employee #%d was not asked for: HiBob ignored the filter", i)
		}
		seen[e.ID] = i
		out = append(out, e)
	}
	return out, nil
}

// ReadEmployee reads one employee by ID or work e-mail (POST /people/{identifier}); nil fields
// means GiftingFields. HiBob answers with the employee object itself, not wrapped.
func (c *Client) ReadEmployee(ctx context.Context, idOrEmail string, fields []string) (model.Employee, error) {
	ep := EndpointReadEmployee
	if fields == nil {
		fields = GiftingFields
	}
	if !ValidID(idOrEmail) && !plausibleEmail(idOrEmail) {
		return model.Employee{}, invalidRequest(ep, "the identifier is neither a 19-digit employee ID nor an e-mail address")
	}
	body, err := SearchRequest{Fields: fields, HumanReadable: "APPEND"}.body()
	if err != nil {
		return model.Employee{}, invalidRequest(ep, "%v", err)
	}
	// The read-one body takes no filters and no showInactive.
	raw, err := c.do(ctx, call{endpoint: ep, method: http.MethodPost, path: "/people/" + url.PathEscape(idOrEmail),
		body: readBody{Fields: body.Fields, HumanReadable: body.HumanReadable}})
	if err != nil {
		return model.Employee{}, err
	}
	if jsonKind(raw) != '{' {
		return model.Employee{}, badResponse(ep, http.StatusOK, "expected an employee object, got %s", kindName(raw))
	}
	raw = unwrapSingle(raw)
	e, err := Normalize(raw, fields)
	if err != nil {
		return model.Employee{}, &APIError{Endpoint: ep, Status: http.StatusOK, kind: ErrBadResponse,
			hint: "the employee cannot be read", cause: err}
	}
	if ValidID(idOrEmail) && e.ID != idOrEmail {
		return model.Employee{}, badResponse(ep, http.StatusOK, "HiBob answered with another employee than the one asked for")
	}
	return e, nil
}

type readBody struct {
	Fields        []string `json:"fields,omitempty"`
	HumanReadable string   `json:"humanReadable,omitempty"`
}

// unwrapSingle accepts {"employees": [one]}, the shape HiBob's OpenAPI (wrongly) documents for
// the read-one endpoint, by returning the one employee; anything else is returned unchanged.
func unwrapSingle(raw []byte) []byte {
	var env map[string]json.RawMessage
	if json.Unmarshal(raw, &env) != nil || len(env) != 1 {
		return raw
	}
	list, ok := env["employees"]
	if !ok {
		return raw
	}
	var emps []json.RawMessage
	if json.Unmarshal(list, &emps) != nil || len(emps) != 1 {
		return raw
	}
	return emps[0]
}

func plausibleEmail(s string) bool {
	at := strings.IndexByte(s, '@')
	return at > 0 && at < len(s)-1 && !strings.ContainsAny(s, " \t\r\n/\\?#%") && len(s) <= 320
}
