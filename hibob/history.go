package hibob

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"iter"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"hibobsync/model"
)

// MaxHistoryLimit is the largest page HiBob's bulk table endpoints serve (more is a 400).
const MaxHistoryLimit = 200

// HistoryQuery selects one page of a bulk history table.
type HistoryQuery struct {
	Limit       int      // employees per page, 1..200; 0 means 200
	Cursor      string   // from the previous page; empty for the first
	EmployeeIDs []string // at most 200; empty means every employee the service user may see
}

// HistoryPage is one page of a bulk history table.
type HistoryPage struct {
	Entries    []model.HistoryEntry
	NextCursor string // empty on the last page
	// Denied are requested employees whose rows HiBob refused (MISSING_PERMISSION): they are
	// outside the service user's audience.
	Denied []string
}

var tableRe = regexp.MustCompile(`^[a-z][a-zA-Z-]*$`)

func (q HistoryQuery) values(ep Endpoint) (url.Values, error) {
	limit := q.Limit
	if limit == 0 {
		limit = MaxHistoryLimit
	}
	if limit < 1 || limit > MaxHistoryLimit {
		return nil, invalidRequest(ep, "limit must be 1..%d", MaxHistoryLimit)
	}
	if len(q.EmployeeIDs) > MaxBatch {
		return nil, invalidRequest(ep, "%d employee IDs, at most %d per request", len(q.EmployeeIDs), MaxBatch)
	}
	for i, id := range q.EmployeeIDs {
		if !ValidID(id) {
			return nil, invalidRequest(ep, "employee ID #%d is not a 19-digit ID", i)
		}
	}
	v := url.Values{"limit": {strconv.Itoa(limit)}}
	if q.Cursor != "" {
		v.Set("cursor", q.Cursor)
	}
	if len(q.EmployeeIDs) > 0 {
		v.Set("employeeIds", strings.Join(q.EmployeeIDs, ","))
	}
	return v, nil
}

// HistoryPage reads one page of table t (GET /bulk/people/{t}).
func (c *Client) HistoryPage(ctx context.Context, t model.HistoryTable, q HistoryQuery) (HistoryPage, error) {
	ep := HistoryEndpoint(t)
	if !tableRe.MatchString(string(t)) {
		return HistoryPage{}, invalidRequest(ep, "%q is not a table name", string(t))
	}
	v, err := q.values(ep)
	if err != nil {
		return HistoryPage{}, err
	}
	raw, err := c.do(ctx, call{endpoint: ep, method: http.MethodGet, path: "/bulk/people/" + string(t), query: v})
	if err != nil {
		return HistoryPage{}, err
	}
	page, err := parseHistoryPage(t, raw)
	if err != nil {
		return HistoryPage{}, &APIError{Endpoint: ep, Status: http.StatusOK, kind: ErrBadResponse,
			hint: "the table page cannot be read", cause: err}
	}
	return page, nil
}

// History reads table t to the end, one page per iteration, following HiBob's cursors from
// q.Cursor on. It stops after yielding an error; a cursor HiBob repeats is an error
// (ErrBadResponse), because following it would loop forever.
func (c *Client) History(ctx context.Context, t model.HistoryTable, q HistoryQuery) iter.Seq2[HistoryPage, error] {
	return func(yield func(HistoryPage, error) bool) {
		seen := map[string]bool{}
		if q.Cursor != "" {
			seen[q.Cursor] = true
		}
		for {
			page, err := c.HistoryPage(ctx, t, q)
			if err != nil {
				yield(HistoryPage{}, err)
				return
			}
			if page.NextCursor != "" && seen[page.NextCursor] {
				yield(HistoryPage{}, badResponse(HistoryEndpoint(t), http.StatusOK,
					"HiBob repeated a cursor it had already given: refusing to loop"))
				return
			}
			if !yield(page, nil) || page.NextCursor == "" {
				return
			}
			seen[page.NextCursor] = true
			q.Cursor = page.NextCursor
		}
	}
}

func parseHistoryPage(t model.HistoryTable, raw []byte) (HistoryPage, error) {
	var page HistoryPage
	if jsonKind(raw) != '{' {
		return page, normError("", "expected an object, got %s", kindName(raw))
	}
	top, err := objectOf(raw)
	if err != nil {
		return page, normError("", "%v", err)
	}
	results, ok := top.get("results")
	switch {
	case !ok || jsonKind(results) == 'n':
		return page, normError("results", "missing or null, expected an array")
	case jsonKind(results) != '[':
		return page, normError("results", "is %s, expected an array", kindName(results))
	}
	items, err := arrayOf(results)
	if err != nil {
		return page, normError("results", "%v", err)
	}
	for i, res := range items {
		if jsonKind(res) != '{' {
			return page, normError("results", "item #%d is %s, expected an object", i, kindName(res))
		}
		item, err := objectOf(res)
		if err != nil {
			return page, normError("results", "item #%d: %v", i, err)
		}
		empID, err := idOf(item.field("employeeId"))
		if err != nil || empID == "" {
			return page, normError("results", "item #%d: employeeId is not a 19-digit employee ID", i)
		}
		var values []json.RawMessage
		switch v := item.field("values"); jsonKind(v) {
		case 0, 'n':
		case '[':
			if values, err = arrayOf(v); err != nil {
				return page, normError("results", "item #%d: values: %v", i, err)
			}
		default:
			return page, normError("results", "item #%d: values is %s, expected an array", i, kindName(v))
		}
		rows, err := flattenRows(values)
		if err != nil {
			return page, normError("results", "item #%d: %v", i, err)
		}
		page.Entries = slices.Grow(page.Entries, len(rows))
		for j, row := range rows {
			e, err := normalizeHistory(t, empID, row)
			if err != nil {
				return page, fmt.Errorf("results item #%d, row #%d: %w", i, j, err)
			}
			page.Entries = append(page.Entries, e)
		}
	}
	if page.NextCursor, err = nextCursor(top.field("response_metadata")); err != nil {
		return page, err
	}
	if page.Denied, err = deniedIDs(top.field("errors")); err != nil {
		return page, err
	}
	return page, nil
}

// flattenRows unwraps the field-level-permission form, where each item of values is itself
// {"values": [rows…], "restricted_columns": {…}}.
func flattenRows(values []json.RawMessage) ([]json.RawMessage, error) {
	rows := make([]json.RawMessage, 0, len(values))
	for k, v := range values {
		if jsonKind(v) != '{' {
			return nil, fmt.Errorf("value #%d is %s, expected an object", k, kindName(v))
		}
		probe, err := objectOf(v)
		if err != nil {
			return nil, fmt.Errorf("value #%d: %v", k, err)
		}
		if _, hasID := probe.get("id"); !hasID {
			if inner, ok := probe.get("values"); ok && jsonKind(inner) == '[' {
				wrapped, err := arrayOf(inner)
				if err != nil {
					return nil, fmt.Errorf("value #%d: values: %v", k, err)
				}
				rows = append(rows, wrapped...)
				continue
			}
		}
		rows = append(rows, v)
	}
	return rows, nil
}

// nextCursor reads response_metadata.next_cursor, falling back to response_metadata.cursor
// (the name in HiBob's June-2025 OpenAPI).
func nextCursor(meta json.RawMessage) (string, error) {
	if meta == nil || jsonKind(meta) == 'n' {
		return "", nil
	}
	if jsonKind(meta) != '{' {
		return "", normError("response_metadata", "is %s, expected an object", kindName(meta))
	}
	m, err := objectOf(meta)
	if err != nil {
		return "", normError("response_metadata", "%v", err)
	}
	for _, key := range []string{"next_cursor", "cursor"} {
		v, ok := m.get(key)
		if !ok {
			continue
		}
		switch jsonKind(v) {
		case 'n':
			continue
		case '"':
			s, err := textOf(v)
			if err != nil {
				return "", normError("response_metadata."+key, "is a malformed string")
			}
			if s != "" {
				return s, nil
			}
		default:
			return "", normError("response_metadata."+key, "is %s, expected a string", kindName(v))
		}
	}
	return "", nil
}

var idRunRe = regexp.MustCompile(`\b[0-9]{19}\b`)

// deniedIDs collects the employees of errors[] marked MISSING_PERMISSION. HiBob's docs show
// {"employeeId": {"error": …, "message": "… ids: 123…"}}, which may mean the literal key
// "employeeId" (the IDs then only in the message) or the employee's ID as key; both are read,
// as is a flat {"employeeId": "…", "error": …}.
func deniedIDs(raw json.RawMessage) ([]string, error) {
	if raw == nil || jsonKind(raw) == 'n' {
		return nil, nil
	}
	list, err := arrayOf(raw)
	if err != nil {
		return nil, normError("errors", "expected an array of objects")
	}
	items := make([]*object, len(list))
	for i, v := range list {
		if items[i], err = objectOf(v); err != nil {
			return nil, normError("errors", "expected an array of objects")
		}
	}
	var denied []string
	note := func(code, key, message string, i int) error {
		if code != "MISSING_PERMISSION" {
			return normError("errors", "item #%d has an unknown error code %s", i, scrubMessage(code))
		}
		if ValidID(key) {
			denied = append(denied, key)
		}
		denied = append(denied, idRunRe.FindAllString(message, -1)...)
		return nil
	}
	for i, item := range items {
		if code, ok := stringField(item, "error"); ok {
			id, _ := stringField(item, "employeeId")
			msg, _ := stringField(item, "message")
			if err := note(code, id, msg, i); err != nil {
				return nil, err
			}
			continue
		}
		for key, v := range item.all() {
			detail, err := objectOf(v)
			if err != nil {
				return nil, normError("errors", "item #%d is not an error object", i)
			}
			code, _ := stringField(detail, "error")
			msg, _ := stringField(detail, "message")
			if err := note(code, key, msg, i); err != nil {
				return nil, err
			}
		}
	}
	slices.Sort(denied)
	return slices.Compact(denied), nil
}

func stringField(o *object, key string) (string, bool) {
	v, ok := o.get(key)
	if !ok {
		return "", false
	}
	s, err := textOf(v)
	return s, err == nil
}

// NormalizeHistory reads one row of a bulk history table. Errors wrap ErrBadResponse, name
// the column and never quote a value.
func NormalizeHistory(t model.HistoryTable, employeeID string, raw []byte) (model.HistoryEntry, error) {
	if jsonKind(raw) == '{' && !json.Valid(raw) {
		return model.HistoryEntry{}, normError("", "the %s row is not valid JSON", t)
	}
	return normalizeHistory(t, employeeID, raw)
}

// normalizeHistory is NormalizeHistory of a row from a body the client has checked.
func normalizeHistory(t model.HistoryTable, employeeID string, raw []byte) (model.HistoryEntry, error) {
	if !ValidID(employeeID) {
		return model.HistoryEntry{}, normError("employeeId", "is not a 19-digit employee ID")
	}
	if jsonKind(raw) != '{' {
		return model.HistoryEntry{}, normError("", "the %s row is %s, expected an object", t, kindName(raw))
	}
	row, err := objectOf(raw)
	if err != nil {
		return model.HistoryEntry{}, normError("", "the %s row cannot be read: %v", t, err)
	}
	e := model.HistoryEntry{Table: t, EmployeeID: employeeID}
	id, ok := row.get("id")
	if !ok || jsonKind(id) == 'n' {
		return e, normError("id", "the %s row has no id", t)
	}
	if e.EntryID, err = entryIDOf(id); err != nil {
		return e, normError("id", "%v", err)
	}
	dates := []struct {
		col string
		dst *model.Date
	}{{"effectiveDate", &e.EffectiveDate}, {"endEffectiveDate", &e.EndEffectiveDate}}
	for _, d := range dates {
		if v, ok := row.get(d.col); ok {
			if *d.dst, err = dateOf(v); err != nil {
				return e, normError(d.col, "%v", err)
			}
		}
	}
	if v, ok := row.get("isCurrent"); ok {
		switch jsonKind(v) {
		case 't':
			e.IsCurrent = true
		case 'f', 'n':
		default:
			return e, normError("isCurrent", "is %s, expected a boolean", kindName(v))
		}
	}
	var texts []struct {
		col string
		dst *string
	}
	switch t {
	case model.Lifecycle:
		texts = []struct {
			col string
			dst *string
		}{{"status", &e.Status}, {"employeeStatus", &e.EmployeeStatus}}
	case model.Work:
		texts = []struct {
			col string
			dst *string
		}{{"title", &e.Title}, {"department", &e.Department}, {"site", &e.Site}}
		if e.ReportsToID, err = reportsToOf(row.field("reportsTo")); err != nil {
			return e, normError("reportsTo", "%v", err)
		}
	case model.Employment:
		texts = []struct {
			col string
			dst *string
		}{{"type", &e.EmploymentType}, {"contract", &e.Contract}}
	}
	// Reason is the change's reason, which every table carries as change.reason.
	if e.Reason, err = changeReasonOf(row.field("change")); err != nil {
		return e, normError("change.reason", "%v", err)
	}
	for _, c := range texts {
		if v, ok := row.get(c.col); ok {
			if *c.dst, err = textOf(v); err != nil {
				return e, normError(c.col, "%v", err)
			}
		}
	}
	e.Raw = json.RawMessage(bytes.Clone(raw))
	return e, nil
}

// entryIDOf reads a row ID: an integer, or a string of digits.
func entryIDOf(raw json.RawMessage) (int64, error) {
	s, err := textOf(raw)
	if err != nil {
		return 0, err
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return 0, errors.New("is not an integer row ID")
	}
	return n, nil
}

// changeReasonOf reads change.reason of a row's {"reason", "changedBy", "changedById"}.
func changeReasonOf(raw json.RawMessage) (string, error) {
	switch jsonKind(raw) {
	case 0, 'n':
		return "", nil
	case '{':
		change, err := objectOf(raw)
		if err != nil {
			return "", errors.New("change is a malformed object")
		}
		reason, ok := change.get("reason")
		if !ok {
			return "", nil
		}
		return textOf(reason)
	}
	return "", fmt.Errorf("change is %s, expected an object", kindName(raw))
}

// reportsToOf reads the manager of a work row: {"id": …, …}, or a bare ID.
func reportsToOf(raw json.RawMessage) (string, error) {
	switch jsonKind(raw) {
	case 0, 'n':
		return "", nil
	case '{':
		ref, err := objectOf(raw)
		if err != nil {
			return "", errors.New("is a malformed object")
		}
		v, ok := ref.get("id")
		if !ok {
			return "", errors.New("has no id")
		}
		return idOf(v)
	}
	return idOf(raw)
}
