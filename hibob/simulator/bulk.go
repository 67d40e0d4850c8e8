package simulator

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"mime"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"

	"hibobsync/model"
)

const (
	bulkDefaultLimit = 50  // §3
	bulkMaxLimit     = 200 // §3: >200 → 400
	bulkMaxIDs       = 200 // §3: employeeIds max 200
)

func tablePermission(t model.HistoryTable) model.Permission {
	switch t {
	case model.Work:
		return model.PermWork
	case model.Employment:
		return model.PermEmployment
	}
	return model.PermLifecycle
}

// cursorBook signs cursors, so a client that edits one, or reuses it with other parameters,
// gets a 400 instead of silently reading the wrong pages. A cursor may be used again: a
// caller that crashed after a page arrived (a retried activity) must be able to read it again,
// and the same position always yields the same cursor.
type cursorBook struct {
	secret []byte
}

func newCursorBook() *cursorBook {
	b := &cursorBook{secret: make([]byte, 32)}
	_, _ = rand.Read(b.secret)
	return b
}

// cursorState is the cursor's content: where the next page starts and what it is bound to,
// since the same filter parameters must be kept between pages (§3).
type cursorState struct {
	Table string `json:"t"`
	User  string `json:"u"`
	IDs   string `json:"i"` // hash of the employeeIds parameter
	After string `json:"a"` // last employee ID of the previous page
}

// The cursor is URL-safe base64 with padding: opaque, and with "=" in it, so clients must
// URL-encode it as §3 says.
func (b *cursorBook) encode(c cursorState) string {
	payload, _ := json.Marshal(c)
	mac := hmac.New(sha256.New, b.secret)
	mac.Write(payload)
	return base64.URLEncoding.EncodeToString(append(mac.Sum(nil)[:16], payload...))
}

func (b *cursorBook) decode(s string) (cursorState, error) {
	var c cursorState
	raw, err := base64.URLEncoding.DecodeString(s)
	if err != nil || len(raw) < 17 {
		return c, fmt.Errorf("cursor is not valid")
	}
	mac := hmac.New(sha256.New, b.secret)
	mac.Write(raw[16:])
	if !hmac.Equal(mac.Sum(nil)[:16], raw[:16]) {
		return c, fmt.Errorf("cursor is not valid")
	}
	if err := json.Unmarshal(raw[16:], &c); err != nil {
		return c, fmt.Errorf("cursor is not valid")
	}
	return c, nil
}

type bulkResult struct {
	EmployeeID string `json:"employeeId"`
	Values     []any  `json:"values"`
}

type bulkResponse struct {
	Results  []bulkResult `json:"results"`
	Metadata struct {
		NextCursor *string `json:"next_cursor"`
	} `json:"response_metadata"`
	Errors []map[string]bulkError `json:"errors"`
}

type bulkError struct {
	Error   string `json:"error"`
	Message string `json:"message"`
}

// serveBulk is GET /bulk/people/{table} (§3, §5.2). A page holds up to limit employees, each
// with all its rows (or only the current one without View history); employees requested by
// employeeIds but outside the audience (or unknown) count toward the page and are reported in
// errors; outside-audience employees are simply absent from unfiltered pages.
func (s *Server) serveBulk(w http.ResponseWriter, r *http.Request, who caller, table model.HistoryTable, f faultPlan) {
	// §1.3: a Content-Type on a GET earns HiBob's 400 HTML page.
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt == "application/json" {
		writeHTML(w, http.StatusBadRequest, "<html><head><title>400 Bad Request</title></head><body><h1>400 Bad Request</h1></body></html>\n")
		return
	}
	q := r.URL.Query()
	limit := bulkDefaultLimit
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > bulkMaxLimit {
			writeError(w, http.StatusBadRequest, "request.limit.invalid", fmt.Sprintf("limit must be between 1 and %d", bulkMaxLimit))
			return
		}
		limit = n
	}
	var ids []string
	for _, id := range strings.Split(q.Get("employeeIds"), ",") {
		if id = strings.TrimSpace(id); id != "" {
			ids = append(ids, id)
		}
	}
	if len(ids) > bulkMaxIDs {
		writeError(w, http.StatusBadRequest, "request.employeeIds.tooMany", fmt.Sprintf("At most %d employeeIds can be requested", bulkMaxIDs))
		return
	}
	slices.Sort(ids)
	ids = slices.Compact(ids)
	perm := tablePermission(table)
	if !who.group.View[perm] {
		writeError(w, http.StatusForbidden, "permission.denied", "The service user does not have permissions to access this table or employees")
		return
	}
	idsKey := fmt.Sprintf("%x", sha256.Sum256([]byte(strings.Join(ids, ","))))
	after := ""
	cursor := q.Get("cursor")
	if cursor != "" {
		c, err := s.cursors.decode(cursor)
		if err == nil && (c.Table != string(table) || c.User != who.userID || c.IDs != idsKey) {
			err = fmt.Errorf("cursor was issued for other parameters")
		}
		if err != nil {
			writeError(w, http.StatusBadRequest, "request.cursor.invalid", err.Error())
			return
		}
		after = c.After
	}

	snap := who.company.snapshot()
	// Candidates in ID order: the requested IDs, or every person (snap.people is sorted by ID;
	// a page reads it in place, never copying the company).
	type cand struct {
		id string
		p  *person
	}
	n := len(snap.people)
	at := func(i int) cand { return cand{snap.people[i].id, snap.people[i]} }
	if len(ids) > 0 {
		n = len(ids)
		at = func(i int) cand { return cand{ids[i], snap.lookup(ids[i])} }
	}
	start := sort.Search(n, func(i int) bool { return at(i).id > after })

	resp := bulkResponse{Results: []bulkResult{}, Errors: []map[string]bulkError{}}
	var missing []string
	taken, last, more := 0, "", false
	for i := start; i < n; i++ {
		c := at(i)
		var st state
		if c.p != nil {
			st = c.p.stateOn(snap.today, snap.lookup)
		}
		visible := c.p != nil && who.group.inAudience(st.lifecycle)
		if !visible && len(ids) == 0 {
			continue
		}
		if taken == limit {
			more = true
			break
		}
		taken++
		last = c.id
		if !visible {
			missing = append(missing, c.id)
			continue
		}
		resp.Results = append(resp.Results, bulkResult{EmployeeID: c.id, Values: tableRows(c.p, table, snap, !who.group.ViewHistory[perm])})
	}
	if len(missing) > 0 {
		resp.Errors = append(resp.Errors, map[string]bulkError{"employeeId": {Error: "MISSING_PERMISSION",
			Message: "You don't have permission to access data for employees with ids: " + strings.Join(missing, ", ")}})
	}
	if more {
		next := s.cursors.encode(cursorState{Table: string(table), User: who.userID, IDs: idsKey, After: last})
		resp.Metadata.NextCursor = &next
	}
	writeJSON(w, http.StatusOK, resp)
}

func nullable(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func nullDate(d model.Date) *string { return nullable(d.String()) }

type rowChange struct {
	Reason      *string `json:"reason"`
	ChangedBy   *string `json:"changedBy"`
	ChangedByID *string `json:"changedById"`
}

type rowCommon struct {
	ID               int64          `json:"id"`
	EffectiveDate    string         `json:"effectiveDate"`
	EndEffectiveDate *string        `json:"endEffectiveDate"`
	IsCurrent        bool           `json:"isCurrent"`
	Change           rowChange      `json:"change"`
	CreationDate     *string        `json:"creationDate"`
	ModificationDate *string        `json:"modificationDate"`
	CanBeDeleted     bool           `json:"canBeDeleted"`
	CustomColumns    map[string]any `json:"customColumns"`
}

type lifecycleJSON struct {
	rowCommon
	Status         string  `json:"status"`
	EmployeeStatus string  `json:"employeeStatus"`
	ReasonType     *string `json:"reasonType"`
	LeaveReason    *string `json:"leaveReason"`
}

type employeeRefJSON struct {
	ID          string `json:"id"`
	FirstName   string `json:"firstName"`
	Surname     string `json:"surname"`
	Email       string `json:"email"`
	DisplayName string `json:"displayName"`
}

type workJSON struct {
	rowCommon
	ActiveEffectiveDate string           `json:"activeEffectiveDate"`
	Title               *string          `json:"title"`
	Department          *string          `json:"department"`
	Site                *string          `json:"site"`
	SiteID              *int64           `json:"siteId"`
	ReportsTo           *employeeRefJSON `json:"reportsTo"`
	WorkChangeType      string           `json:"workChangeType"`
}

type employmentJSON struct {
	rowCommon
	Type          *string  `json:"type"`
	Contract      *string  `json:"contract"`
	WeeklyHours   *float64 `json:"weeklyHours"`
	FTE           *float64 `json:"fte"`
	SalaryPayType *string  `json:"salaryPayType"`
}

func common(m rowMeta, cur bool, end model.Date, first bool) rowCommon {
	return rowCommon{ID: m.id, EffectiveDate: m.eff.String(), EndEffectiveDate: nullDate(end), IsCurrent: cur,
		Change:       rowChange{Reason: nullable(m.reason), ChangedByID: nullable(m.changedByID)},
		CreationDate: nullDate(m.created), ModificationDate: nullDate(m.modified), CanBeDeleted: !first, CustomColumns: map[string]any{}}
}

// tableRows renders one employee's rows of a table in effective order (§5.1/§5.2 shapes). List
// columns carry list item IDs, as list fields do in machine format.
func tableRows(p *person, table model.HistoryTable, snap *snapshot, currentOnly bool) []any {
	var out []any
	switch table {
	case model.Lifecycle:
		eff := func(i int) model.Date { return p.lifecycle[i].eff }
		cur := currentIndex(len(p.lifecycle), eff, snap.today)
		for i, r := range p.lifecycle {
			if currentOnly && i != cur {
				continue
			}
			out = append(out, lifecycleJSON{rowCommon: common(r.rowMeta, i == cur, endEffective(i+1, len(p.lifecycle), eff), i == 0),
				Status: string(r.status), EmployeeStatus: accessStatus(r.status), ReasonType: nullable(r.reasonType), LeaveReason: nullable(r.leaveReason)})
		}
	case model.Work:
		eff := func(i int) model.Date { return p.work[i].eff }
		cur := currentIndex(len(p.work), eff, snap.today)
		for i, r := range p.work {
			if currentOnly && i != cur {
				continue
			}
			row := workJSON{rowCommon: common(r.rowMeta, i == cur, endEffective(i+1, len(p.work), eff), i == 0),
				ActiveEffectiveDate: r.eff.String(), Title: nullable(r.title), Department: nullable(r.department),
				Site: nullable(r.site), WorkChangeType: r.changeType}
			if s := snap.lists.site[r.site]; s != nil {
				row.SiteID = &s.num
			}
			if m := snap.lookup(r.managerID); r.managerID != "" && m != nil {
				row.ReportsTo = &employeeRefJSON{ID: m.id, FirstName: m.firstName, Surname: m.surname, Email: m.workEmail, DisplayName: m.displayName()}
			}
			out = append(out, row)
		}
	case model.Employment:
		eff := func(i int) model.Date { return p.employment[i].eff }
		cur := currentIndex(len(p.employment), eff, snap.today)
		for i, r := range p.employment {
			if currentOnly && i != cur {
				continue
			}
			out = append(out, employmentJSON{rowCommon: common(r.rowMeta, i == cur, endEffective(i+1, len(p.employment), eff), i == 0),
				Type: nullable(r.typ), Contract: nullable(r.contract), WeeklyHours: &r.weeklyHours, FTE: &r.fte})
		}
	}
	if out == nil {
		out = []any{}
	}
	return out
}
