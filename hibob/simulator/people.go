package simulator

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
)

const maxFields = 400 // §2.2

type searchFilter struct {
	FieldPath string   `json:"fieldPath"`
	Operator  string   `json:"operator"`
	Values    []string `json:"values"`
}

type peopleRequest struct {
	Fields        []string        `json:"fields"`
	Filters       json.RawMessage `json:"filters"`
	ShowInactive  bool            `json:"showInactive"`
	HumanReadable string          `json:"humanReadable"`
}

type badRequest struct{ key, msg string }

func (e *badRequest) Error() string { return e.msg }

func readPeopleRequest(r *http.Request) (peopleRequest, error) {
	var req peopleRequest
	body, err := io.ReadAll(http.MaxBytesReader(nil, r.Body, 8<<20))
	if err != nil {
		return req, &badRequest{"request.invalid", "could not read the request body"}
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return req, nil
	}
	if err := json.Unmarshal(body, &req); err != nil {
		return req, &badRequest{"request.malformed", fmt.Sprintf("Malformed JSON request: %v", err)}
	}
	if len(req.Fields) > maxFields {
		return req, &badRequest{"request.fields.tooMany", fmt.Sprintf("A maximum of %d fields can be requested, got %d", maxFields, len(req.Fields))}
	}
	return req, nil
}

// parseFilters applies §2.2: at most one filter, on root.id or root.email, "equals", with values.
// "filters": [] is a 400, which is the trap the doc warns about; null counts as absent.
func parseFilters(raw json.RawMessage) (*searchFilter, error) {
	if len(raw) == 0 || string(bytes.TrimSpace(raw)) == "null" {
		return nil, nil
	}
	var fs []searchFilter
	if err := json.Unmarshal(raw, &fs); err != nil {
		return nil, &badRequest{"request.malformed", fmt.Sprintf("filters must be an array of filter objects: %v", err)}
	}
	switch {
	case len(fs) == 0:
		return nil, &badRequest{"filters.empty", "filters must not be empty; omit it to read everyone"}
	case len(fs) > 1:
		return nil, &badRequest{"filters.tooMany", "Only one filter is supported"}
	}
	f := fs[0]
	if f.FieldPath != "root.id" && f.FieldPath != "root.email" {
		return nil, &badRequest{"filters.fieldPath.invalid", fmt.Sprintf("Filtering by %q is not supported; use root.id or root.email", f.FieldPath)}
	}
	if f.Operator != "equals" {
		return nil, &badRequest{"filters.operator.invalid", fmt.Sprintf("Operator %q is not supported; use equals", f.Operator)}
	}
	if len(f.Values) == 0 {
		return nil, &badRequest{"filters.values.empty", "Filter values must not be empty"}
	}
	return &f, nil
}

func writeBadRequest(w http.ResponseWriter, err error) {
	var br *badRequest
	if errors.As(err, &br) {
		writeError(w, http.StatusBadRequest, br.key, br.msg)
		return
	}
	writeError(w, http.StatusBadRequest, "request.invalid", err.Error())
}

// projection is what one request asks for and may see, laid out for streaming.
type projection struct {
	sel     []*fieldDef // sorted by slash key
	tree    *node
	replace bool
	append  bool
}

type node struct {
	key  string
	kids []*node
	idx  int // index into sel for leaves, -1 for objects
}

func (n *node) child(key string) *node {
	for _, k := range n.kids {
		if k.key == key {
			return k
		}
	}
	k := &node{key: key, idx: -1}
	n.kids = append(n.kids, k)
	return k
}

func (n *node) sortKids() {
	slices.SortFunc(n.kids, func(a, b *node) int { return strings.Compare(a.key, b.key) })
	for _, k := range n.kids {
		k.sortKids()
	}
}

// project picks the fields to return. Unknown IDs and fields the group may not view are dropped
// without a word (§2.5 silent omission). Without fields, the default set is Basic info, Work and
// Employment, as far as permitted (§2.2, §8.1). root.id always comes back.
func (s *Server) project(fields []string, g *PermissionGroup, humanReadable string) *projection {
	p := &projection{tree: &node{idx: -1}, replace: humanReadable == "REPLACE", append: humanReadable == "APPEND"}
	seen := map[string]bool{}
	add := func(d *fieldDef) {
		if d == nil || seen[d.id] || !permitted(d, g, s.cats) {
			return
		}
		seen[d.id] = true
		p.sel = append(p.sel, d)
	}
	add(s.fieldBy["root.id"])
	if len(fields) == 0 {
		for _, d := range s.fields {
			if d.category == "root" || d.category == "work" || d.category == "employment" {
				add(d)
			}
		}
	}
	for _, id := range fields {
		add(s.fieldBy[id])
	}
	slices.SortFunc(p.sel, func(a, b *fieldDef) int { return strings.Compare(a.slash, b.slash) })
	for i, d := range p.sel {
		n := p.tree
		for _, seg := range d.path {
			n = n.child(seg)
		}
		n.idx = i
	}
	p.tree.sortKids()
	return p
}

// encoder writes employees in HiBob's mixed shape (§2.3): flat slash keys {"value": …} only for
// non-null values, nested category objects with every requested-and-permitted field (null when
// empty), and with APPEND a nested humanReadable object holding the non-null values' labels.
type encoder struct {
	j    *jsonWriter
	p    *projection
	ctx  fieldCtx
	vals []value
	snap *snapshot
}

func (e *encoder) employee(st *state) {
	e.ctx.st = st
	for i, d := range e.p.sel {
		e.vals[i] = d.get(&e.ctx)
	}
	j := e.j
	j.byte('{')
	first := true
	comma := func() {
		if !first {
			j.byte(',')
		}
		first = false
	}
	for i, d := range e.p.sel {
		if e.vals[i].k == vNull {
			continue
		}
		comma()
		j.key(d.slash)
		j.raw(`{"value":`)
		e.value(e.vals[i], e.p.replace)
		j.byte('}')
	}
	for _, k := range e.p.tree.kids {
		comma()
		j.key(k.key)
		e.node(k)
	}
	if e.p.append {
		comma()
		j.key("humanReadable")
		if !e.human(e.p.tree) {
			j.raw("{}")
		}
	}
	j.byte('}')
}

func (e *encoder) node(n *node) {
	if n.idx >= 0 {
		e.value(e.vals[n.idx], e.p.replace)
		return
	}
	e.j.byte('{')
	for i, k := range n.kids {
		if i > 0 {
			e.j.byte(',')
		}
		e.j.key(k.key)
		e.node(k)
	}
	e.j.byte('}')
}

// human writes the humanReadable twin of an object node, leaving out nulls and objects that
// would be empty; it reports whether it wrote anything.
func (e *encoder) human(n *node) bool {
	wrote := false
	for _, k := range n.kids {
		if k.idx >= 0 && e.vals[k.idx].k == vNull || k.idx < 0 && !e.hasValue(k) {
			continue
		}
		if !wrote {
			e.j.byte('{')
			wrote = true
		} else {
			e.j.byte(',')
		}
		e.j.key(k.key)
		if k.idx >= 0 {
			e.value(e.vals[k.idx], true)
		} else {
			e.human(k)
		}
	}
	if wrote {
		e.j.byte('}')
	}
	return wrote
}

func (e *encoder) hasValue(n *node) bool {
	if n.idx >= 0 {
		return e.vals[n.idx].k != vNull
	}
	for _, k := range n.kids {
		if e.hasValue(k) {
			return true
		}
	}
	return false
}

func (e *encoder) value(v value, replace bool) {
	j := e.j
	switch {
	case v.k == vNull:
		j.raw("null")
	case v.k == vDate:
		j.date(v.d, replace)
	case v.k == vShortDate:
		j.shortDate(v.d, replace)
	case v.k == vNumber && (!replace || v.hr == ""):
		if replace {
			j.byte('"')
			j.int(v.n)
			j.byte('"')
		} else {
			j.int(v.n)
		}
	case replace:
		j.str(v.hr)
	case v.k == vString:
		j.str(v.s)
	case v.k == vNumber:
		j.int(v.n)
	case v.k == vRef:
		m := v.ref
		j.raw(`{"id":`)
		j.str(m.id)
		j.raw(`,"firstName":`)
		j.nullableStr(m.firstName)
		j.raw(`,"surname":`)
		j.nullableStr(m.surname)
		j.raw(`,"email":`)
		j.nullableStr(m.workEmail)
		j.raw(`,"displayName":`)
		j.nullableStr(m.displayName())
		j.byte('}')
	}
}

func (s *Server) newEncoder(w io.Writer, p *projection, snap *snapshot) *encoder {
	return &encoder{j: newJSONWriter(w), p: p, vals: make([]value, len(p.sel)), snap: snap,
		ctx: fieldCtx{lists: snap.lists, today: snap.today, now: s.clock()}}
}

func (s *Server) serveSearch(w http.ResponseWriter, r *http.Request, who caller) {
	req, err := readPeopleRequest(r)
	if err != nil {
		writeBadRequest(w, err)
		return
	}
	filter, err := parseFilters(req.Filters)
	if err != nil {
		writeBadRequest(w, err)
		return
	}
	snap := who.company.snapshot()
	candidates := snap.people
	if filter != nil {
		candidates = snap.filter(filter)
	}
	proj := s.project(req.Fields, &who.group, req.HumanReadable)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	enc := s.newEncoder(w, proj, snap)
	enc.j.raw(`{"employees":[`)
	n := 0
	for _, p := range candidates {
		st := p.stateOn(snap.today, snap.lookup)
		if !who.group.inAudience(st.lifecycle) || !req.ShowInactive && !st.accessOK {
			continue
		}
		if n > 0 {
			enc.j.byte(',')
		}
		n++
		enc.employee(&st)
		enc.j.maybeFlush()
		if enc.j.err != nil {
			return // the client went away
		}
	}
	enc.j.raw("]}\n")
	_ = enc.j.flush()
}

// filter resolves a root.id or root.email filter to people, in ID order, each once.
func (snap *snapshot) filter(f *searchFilter) []*person {
	var out []*person
	if f.FieldPath == "root.id" {
		for _, id := range f.Values {
			if p := snap.lookup(id); p != nil {
				out = append(out, p)
			}
		}
	} else {
		for _, p := range snap.people {
			for _, v := range f.Values {
				if strings.EqualFold(p.workEmail, v) {
					out = append(out, p)
					break
				}
			}
		}
	}
	slices.SortFunc(out, func(a, b *person) int { return strings.Compare(a.id, b.id) })
	return slices.Compact(out)
}

// serveReadOne is POST /people/{identifier} (§2.4): the identifier is an ID or a work email;
// the answer is one employee object, not wrapped. Unknown or outside the audience → 404.
func (s *Server) serveReadOne(w http.ResponseWriter, r *http.Request, who caller, ident string) {
	req, err := readPeopleRequest(r)
	if err != nil {
		writeBadRequest(w, err)
		return
	}
	snap := who.company.snapshot()
	var p *person
	if strings.Contains(ident, "@") {
		if ps := snap.filter(&searchFilter{FieldPath: "root.email", Values: []string{ident}}); len(ps) > 0 {
			p = ps[0]
		}
	} else {
		p = snap.lookup(ident)
	}
	var st state
	if p != nil {
		st = p.stateOn(snap.today, snap.lookup)
	}
	if p == nil || !who.group.inAudience(st.lifecycle) {
		writeError(w, http.StatusNotFound, "employee.not.found", fmt.Sprintf("Employee %s not found", ident))
		return
	}
	proj := s.project(req.Fields, &who.group, req.HumanReadable)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	enc := s.newEncoder(w, proj, snap)
	enc.employee(&st)
	enc.j.byte('\n')
	_ = enc.j.flush()
}
