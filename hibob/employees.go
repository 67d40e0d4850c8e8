package hibob

import (
	"context"
	"encoding/json"
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

// Batch is one people search of up to MaxBatch employees: the employees read, and the ones
// refused because their own object is unusable (no ID, an impossible date, a wrong type). A
// refused employee does not fail the batch: the rest of the run must still apply.
type Batch struct {
	Employees []model.Employee
	Rejected  []model.Rejection
}

// FetchEmployees reads the GiftingFields of up to MaxBatch employees in one people search,
// leavers included, with labels for list fields. Employees HiBob does not return (deleted
// since they were listed, or outside the audience) are simply missing from the result.
// Duplicates are passed on: whether an ID repeats is a property of the whole run.
func (c *Client) FetchEmployees(ctx context.Context, ids []string) (Batch, error) {
	return c.fetchEmployees(ctx, ids, GiftingFields)
}

// fetchEmployees is FetchEmployees for any field list (the audit adds probe fields).
func (c *Client) fetchEmployees(ctx context.Context, ids, fields []string) (Batch, error) {
	ep := EndpointSearch
	if len(ids) == 0 {
		return Batch{}, nil
	}
	if len(ids) > MaxBatch {
		return Batch{}, invalidRequest(ep, "%d employee IDs, at most %d per search (use Batches)", len(ids), MaxBatch)
	}
	want := make(map[string]bool, len(ids))
	for i, id := range ids {
		if !ValidID(id) {
			return Batch{}, invalidRequest(ep, "employee ID #%d is not a 19-digit ID", i)
		}
		if want[id] {
			return Batch{}, invalidRequest(ep, "employee ID #%d is a duplicate", i)
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
		return Batch{}, err
	}
	var b Batch
	for i, raw := range raws {
		e, err := normalize(raw, fields)
		if err != nil {
			id, _ := employeeIDOf(raw)
			if id != "" && !want[id] {
				return Batch{}, badResponse(ep, http.StatusOK, "employee #%d was not asked for: HiBob ignored the filter", i)
			}
			b.Rejected = append(b.Rejected, model.Rejection{EmployeeID: id, Reason: err.Error()})
			continue
		}
		if !want[e.ID] {
			return Batch{}, badResponse(ep, http.StatusOK, "employee #%d was not asked for: HiBob ignored the filter", i)
		}
		b.Employees = append(b.Employees, e)
	}
	return b, nil
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
	e, err := normalize(raw, fields)
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
