package simulator

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"

	"hibobsync/model"
)

type vkind uint8

const (
	vNull vkind = iota
	vString
	vNumber
	vRef       // an employee object (work.reportsTo)
	vDate      // "YYYY-MM-DD", human-readable "DD/MM/YYYY"
	vShortDate // "MM-DD", human-readable "DD/MM"
)

// value is one field of one employee: the machine value and its human-readable form.
// Dates and numbers are formatted straight into the output buffer by the encoder, to keep a
// 100,000-employee search free of per-field allocations.
type value struct {
	k   vkind
	s   string
	n   int64
	d   model.Date
	ref *person
	hr  string
}

type fieldCtx struct {
	st    *state
	lists *lists
	today model.Date
	now   time.Time
}

type fieldDef struct {
	id, category, name, jsonPath, typ, listID string
	historical                                bool
	path                                      []string // jsonPath split on "."
	slash                                     string   // "/work/startDate", "/root/id"
	get                                       func(*fieldCtx) value
}

type categoryDef struct {
	display string
	perm    model.Permission // "" for root (Basic info)
}

// categoryDefs are the categoryIds of §8.2 and the permission that opens each.
func categoryDefs() map[string]categoryDef {
	return map[string]categoryDef{
		"root":            {"Basic info", ""},
		"personal":        {"Personal", model.PermPersonal},
		"personalContact": {"Personal contact details", model.PermPersonalContact},
		"home":            {"Home", model.PermHome},
		"address":         {"Address", model.PermAddress},
		"work":            {"Work", model.PermWork},
		"employment":      {"Employment", model.PermEmployment},
		"lifecycle":       {"Lifecycle", model.PermLifecycle},
		"identification":  {"Identification", model.PermIdentification},
	}
}

func str(s string) value {
	if s == "" {
		return value{}
	}
	return value{k: vString, s: s, hr: s}
}

func date(d model.Date) value {
	if d.IsZero() {
		return value{}
	}
	return value{k: vDate, d: d}
}

func shortDate(d model.Date) value {
	if d.IsZero() {
		return value{}
	}
	return value{k: vShortDate, d: d}
}

func num(n int64) value { return value{k: vNumber, n: n} }

func listVal(l *lists, id string) value {
	if id == "" {
		return value{}
	}
	return value{k: vString, s: id, hr: l.label[id]}
}

func wordList(machine, label string) value {
	if machine == "" {
		return value{}
	}
	return value{k: vString, s: machine, hr: label}
}

func yearsBetween(from, to model.Date) int64 {
	if from.IsZero() || from.After(to) {
		return 0
	}
	y := to.Year - from.Year
	if to.Month < from.Month || to.Month == from.Month && to.Day < from.Day {
		y--
	}
	return int64(y)
}

func (c *fieldCtx) site() *siteItem {
	if c.st.work == nil {
		return nil
	}
	return c.lists.site[c.st.work.site]
}

func siteAddr(f func(model.Address) string) func(*fieldCtx) value {
	return func(c *fieldCtx) value {
		if s := c.site(); s != nil {
			return str(f(s.addr))
		}
		return value{}
	}
}

func workList(f func(*workRow) string) func(*fieldCtx) value {
	return func(c *fieldCtx) value {
		if c.st.work == nil {
			return value{}
		}
		return listVal(c.lists, f(c.st.work))
	}
}

func empList(f func(*employmentRow) string) func(*fieldCtx) value {
	return func(c *fieldCtx) value {
		if c.st.emp == nil {
			return value{}
		}
		return listVal(c.lists, f(c.st.emp))
	}
}

// fieldCatalogue is every field the simulator knows: all the generator fills, the gifting list
// of §2.2, and a few that are never filled (so "permitted but empty" is common).
func fieldCatalogue() []*fieldDef {
	defs := []*fieldDef{
		{id: "root.id", category: "root", name: "Employee ID", typ: "text", get: func(c *fieldCtx) value { return str(c.st.p.id) }},
		{id: "root.firstName", category: "root", name: "First name", typ: "text", get: func(c *fieldCtx) value { return str(c.st.p.firstName) }},
		{id: "root.surname", category: "root", name: "Last name", typ: "text", get: func(c *fieldCtx) value { return str(c.st.p.surname) }},
		{id: "root.displayName", category: "root", name: "Display name", typ: "text", get: func(c *fieldCtx) value { return str(c.st.p.displayName()) }},
		{id: "root.fullName", category: "root", name: "Full name", typ: "text", get: func(c *fieldCtx) value { return str(c.st.p.displayName()) }},
		{id: "root.email", category: "root", name: "Email", typ: "text", get: func(c *fieldCtx) value { return str(c.st.p.workEmail) }},
		// Volatile on purpose: the signed query string changes with the clock, like a CDN URL, so a
		// consumer that diffs it sees a change on every sync.
		{id: "root.avatarUrl", category: "root", name: "Avatar", typ: "avatar", get: func(c *fieldCtx) value {
			return str("https://images.hibob.example/avatars/" + c.st.p.id + ".png?v=" + fmt.Sprint(c.now.UnixMilli()))
		}},
		{id: "root.creationDateTime", category: "root", name: "Creation date", typ: "time", get: func(c *fieldCtx) value {
			return str(c.st.p.created.UTC().Format("2006-01-02T15:04:05.000000"))
		}},
		{id: "personal.birthDate", category: "personal", name: "Date of Birth", typ: "date", get: func(c *fieldCtx) value { return date(c.st.p.birthDate) }},
		{id: "personal.shortBirthDate", category: "personal", name: "Birthday", typ: "short-date", get: func(c *fieldCtx) value { return shortDate(c.st.p.birthDate) }},
		{id: "personal.age", category: "personal", name: "Age", typ: "number", get: func(c *fieldCtx) value { return num(yearsBetween(c.st.p.birthDate, c.today)) }},
		{id: "personal.pronouns", category: "personal", name: "Pronouns", typ: "list", listID: "pronouns", get: func(*fieldCtx) value { return value{} }},
		{id: "home.privateEmail", category: "personalContact", name: "Personal email", typ: "text", get: func(c *fieldCtx) value { return str(c.st.p.personalEmail) }},
		{id: "home.mobilePhone", category: "personalContact", name: "Personal mobile", typ: "text", get: func(c *fieldCtx) value { return str(c.st.p.mobilePhone) }},
		{id: "home.privatePhone", category: "personalContact", name: "Personal phone", typ: "text", get: func(*fieldCtx) value { return value{} }},
		{id: "home.familyStatus", category: "home", name: "Marital status", typ: "list", listID: "familystatus", get: func(c *fieldCtx) value { return listVal(c.lists, c.st.p.familyStatus) }},
		{id: "address.line1", category: "address", name: "Address line 1", typ: "text", historical: true, get: func(c *fieldCtx) value { return str(c.st.p.home.Line1) }},
		{id: "address.line2", category: "address", name: "Address line 2", typ: "text", historical: true, get: func(c *fieldCtx) value { return str(c.st.p.home.Line2) }},
		{id: "address.city", category: "address", name: "City", typ: "text", historical: true, get: func(c *fieldCtx) value { return str(c.st.p.home.City) }},
		{id: "address.postCode", category: "address", name: "Postal code", typ: "text", historical: true, get: func(c *fieldCtx) value { return str(c.st.p.home.PostCode) }},
		{id: "address.usaState", category: "address", name: "State/Province/Region", typ: "text", historical: true, get: func(c *fieldCtx) value { return str(c.st.p.home.State) }},
		{id: "address.country", category: "address", name: "Country", typ: "list", listID: "countries", historical: true, get: func(c *fieldCtx) value {
			return wordList(c.st.p.home.Country.Value, c.st.p.home.Country.Value)
		}},
		{id: "address.siteAddress1", category: "address", name: "Site address line 1", typ: "text", get: siteAddr(func(a model.Address) string { return a.Line1 })},
		{id: "address.siteAddress2", category: "address", name: "Site address line 2", typ: "text", get: siteAddr(func(a model.Address) string { return a.Line2 })},
		{id: "address.siteCity", category: "address", name: "Site city", typ: "text", get: siteAddr(func(a model.Address) string { return a.City })},
		{id: "address.sitePostalCode", category: "address", name: "Site postal code", typ: "text", get: siteAddr(func(a model.Address) string { return a.PostCode })},
		{id: "address.siteState", category: "address", name: "Site state", typ: "text", get: siteAddr(func(a model.Address) string { return a.State })},
		{id: "address.siteCountry", category: "address", name: "Site country", typ: "list", listID: "countries", get: func(c *fieldCtx) value {
			if s := c.site(); s != nil {
				return wordList(s.addr.Country.Value, s.addr.Country.Value)
			}
			return value{}
		}},
		{id: "work.startDate", category: "work", name: "Start date", typ: "date", get: func(c *fieldCtx) value { return date(c.st.p.startDate) }},
		{id: "work.shortStartDate", category: "work", name: "Work anniversary", typ: "short-date", get: func(c *fieldCtx) value { return shortDate(c.st.p.startDate) }},
		{id: "work.originalStartDate", category: "work", name: "Original start date", typ: "date", get: func(c *fieldCtx) value { return date(c.st.p.originalStartDate) }},
		{id: "work.tenureYears", category: "work", name: "Work anniversary (years)", typ: "number", get: func(c *fieldCtx) value { return num(yearsBetween(c.st.p.startDate, c.today)) }},
		{id: "work.title", category: "work", name: "Job title", typ: "list", listID: "title", historical: true, get: workList(func(w *workRow) string { return w.title })},
		{id: "work.department", category: "work", name: "Department", typ: "list", listID: "department", historical: true, get: workList(func(w *workRow) string { return w.department })},
		{id: "work.site", category: "work", name: "Site", typ: "list", listID: "site", historical: true, get: workList(func(w *workRow) string { return w.site })},
		{id: "work.siteId", category: "work", name: "Site ID", typ: "list_id", listID: "site", historical: true, get: func(c *fieldCtx) value {
			if s := c.site(); s != nil {
				v := num(s.num)
				v.hr = s.label
				return v
			}
			return value{}
		}},
		{id: "work.manager", category: "work", name: "Manager", typ: "employee-reference", historical: true, get: func(c *fieldCtx) value {
			if m := c.st.managerRef; m != nil {
				return value{k: vString, s: m.id, hr: m.displayName()}
			}
			return value{}
		}},
		{id: "work.reportsTo", category: "work", name: "Reports to", typ: "employee", historical: true, get: func(c *fieldCtx) value {
			if m := c.st.managerRef; m != nil {
				return value{k: vRef, ref: m, hr: m.displayName()}
			}
			return value{}
		}},
		{id: "payroll.employment.type", category: "employment", name: "Employment type", typ: "list", listID: "employmentType", historical: true, get: empList(func(e *employmentRow) string { return e.typ })},
		{id: "payroll.employment.contract", category: "employment", name: "Contract", typ: "list", listID: "contract", historical: true, get: empList(func(e *employmentRow) string { return e.contract })},
		{id: "internal.status", category: "lifecycle", name: "Status", typ: "list", listID: "status", historical: true, get: func(c *fieldCtx) value {
			s := accessStatus(c.st.lifecycle)
			return wordList(s, s)
		}},
		{id: "internal.lifecycleStatus", category: "lifecycle", name: "Lifecycle status", typ: "list", listID: "lifecycleStatus", historical: true, get: func(c *fieldCtx) value {
			return wordList(lifecycleMachine(c.st.lifecycle), string(c.st.lifecycle))
		}},
		{id: "internal.terminationDate", category: "lifecycle", name: "Termination date", typ: "date", get: func(c *fieldCtx) value {
			if c.st.termRow == nil {
				return value{}
			}
			return date(c.st.termRow.eff)
		}},
		{id: "internal.terminationReason", category: "lifecycle", name: "Termination reason", typ: "list", listID: "terminationreason", get: func(c *fieldCtx) value {
			if c.st.termRow == nil {
				return value{}
			}
			return listVal(c.lists, c.st.termRow.termReason)
		}},
		{id: "employee.lastDayOfWork", category: "lifecycle", name: "Last day of work", typ: "date", get: func(c *fieldCtx) value {
			if c.st.termRow == nil {
				return value{}
			}
			return date(c.st.termRow.lastDayOfWork)
		}},
		{id: "identification.ssn", category: "identification", name: "SSN", typ: "ssn", get: func(c *fieldCtx) value { return str(c.st.p.ssn) }},
	}
	for _, d := range defs {
		d.jsonPath = d.id
		if r, ok := strings.CutPrefix(d.id, "root."); ok {
			d.jsonPath = r // root fields have no "root." prefix in jsonPath or in responses (§2.3)
		}
		d.path = strings.Split(d.jsonPath, ".")
		d.slash = "/" + strings.ReplaceAll(d.id, ".", "/")
	}
	return defs
}

// fieldMeta is one item of GET /company/people/fields (§4.1), all ten keys always present.
type fieldMeta struct {
	ID                  string            `json:"id"`
	CategoryID          string            `json:"categoryId"`
	CategoryDisplayName string            `json:"categoryDisplayName"`
	Category            string            `json:"category"`
	Name                string            `json:"name"`
	Description         *string           `json:"description"`
	JSONPath            string            `json:"jsonPath"`
	Type                string            `json:"type"`
	TypeData            map[string]string `json:"typeData"`
	Historical          bool              `json:"historical"`
}

func (s *Server) serveFields(w http.ResponseWriter) {
	cats, defs := s.cats, s.fields
	out := make([]fieldMeta, 0, len(defs))
	for _, d := range defs {
		td := map[string]string{}
		if d.listID != "" {
			td["listId"] = d.listID
		}
		out = append(out, fieldMeta{ID: d.id, CategoryID: d.category, CategoryDisplayName: cats[d.category].display,
			Category: d.category, Name: d.name, JSONPath: d.jsonPath, Type: d.typ, TypeData: td, Historical: d.historical})
	}
	writeJSON(w, http.StatusOK, out)
}

// permitted is the field-visibility rule. root.id always comes back. Whether root.email needs
// the separate Email permission is UNCONFIRMED (§8.2); the simulator requires it, the stricter
// reading, so a sync that works here does not silently lose work emails on a strict tenant.
func permitted(d *fieldDef, g *PermissionGroup, cats map[string]categoryDef) bool {
	switch d.id {
	case "root.id":
		return true
	case "root.email":
		return g.View[model.PermEmail]
	case "personal.birthDate", "personal.age":
		if g.HideFullBirthDate {
			return false
		}
	}
	cat := cats[d.category]
	if cat.perm == "" {
		return g.BasicInfo
	}
	return g.View[cat.perm]
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}

// writeError is HiBob's simple error body, {"key", "error"} (§1.3).
func writeError(w http.ResponseWriter, code int, key, msg string) {
	writeJSON(w, code, map[string]string{"key": key, "error": msg})
}
