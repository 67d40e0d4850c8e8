package hibob

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"hibobsync/model"
)

// fieldKind says how a field's value is read.
type fieldKind int

const (
	kindText  fieldKind = iota // string (a number is taken by its digits)
	kindID                     // a 19-digit employee ID, string or exact number
	kindDate                   // "YYYY-MM-DD"
	kindShort                  // "MM-DD"
	kindList                   // list item ID, labelled from humanReadable
)

// giftingField maps one HiBob field onto model.Employee.
type giftingField struct {
	id   string
	kind fieldKind
	set  func(e *model.Employee, v fieldValue)
}

// fieldValue is a field's value read according to its kind.
type fieldValue struct {
	text  string
	date  model.Date
	short model.MonthDay
	list  model.ListValue
}

// giftingTable is the single source for GiftingFields and Normalize; it is never modified.
var giftingTable = giftingFieldTable()

func giftingFieldTable() []giftingField {
	text := func(id string, f func(*model.Employee) *string) giftingField {
		return giftingField{id, kindText, func(e *model.Employee, v fieldValue) { *f(e) = v.text }}
	}
	date := func(id string, f func(*model.Employee) *model.Date) giftingField {
		return giftingField{id, kindDate, func(e *model.Employee, v fieldValue) { *f(e) = v.date }}
	}
	list := func(id string, f func(*model.Employee) *model.ListValue) giftingField {
		return giftingField{id, kindList, func(e *model.Employee, v fieldValue) { *f(e) = v.list }}
	}
	return []giftingField{
		{"root.id", kindID, func(e *model.Employee, v fieldValue) { e.ID = v.text }},
		text("root.firstName", func(e *model.Employee) *string { return &e.FirstName }),
		text("root.surname", func(e *model.Employee) *string { return &e.Surname }),
		text("root.displayName", func(e *model.Employee) *string { return &e.DisplayName }),
		text("root.email", func(e *model.Employee) *string { return &e.WorkEmail }),
		{"personal.shortBirthDate", kindShort, func(e *model.Employee, v fieldValue) { e.Birthday = v.short }},
		date("personal.birthDate", func(e *model.Employee) *model.Date { return &e.BirthDate }),
		date("work.startDate", func(e *model.Employee) *model.Date { return &e.StartDate }),
		date("work.originalStartDate", func(e *model.Employee) *model.Date { return &e.OriginalStartDate }),
		list("work.title", func(e *model.Employee) *model.ListValue { return &e.Title }),
		list("work.department", func(e *model.Employee) *model.ListValue { return &e.Department }),
		list("work.site", func(e *model.Employee) *model.ListValue { return &e.Site }),
		{"work.manager", kindID, func(e *model.Employee, v fieldValue) { e.ManagerID = v.text }},
		text("home.privateEmail", func(e *model.Employee) *string { return &e.PersonalEmail }),
		text("address.line1", func(e *model.Employee) *string { return &e.HomeAddress.Line1 }),
		text("address.line2", func(e *model.Employee) *string { return &e.HomeAddress.Line2 }),
		text("address.city", func(e *model.Employee) *string { return &e.HomeAddress.City }),
		text("address.postCode", func(e *model.Employee) *string { return &e.HomeAddress.PostCode }),
		text("address.usaState", func(e *model.Employee) *string { return &e.HomeAddress.State }),
		list("address.country", func(e *model.Employee) *model.ListValue { return &e.HomeAddress.Country }),
		text("address.siteAddress1", func(e *model.Employee) *string { return &e.SiteAddress.Line1 }),
		text("address.siteAddress2", func(e *model.Employee) *string { return &e.SiteAddress.Line2 }),
		text("address.siteCity", func(e *model.Employee) *string { return &e.SiteAddress.City }),
		text("address.sitePostalCode", func(e *model.Employee) *string { return &e.SiteAddress.PostCode }),
		text("address.siteState", func(e *model.Employee) *string { return &e.SiteAddress.State }),
		list("address.siteCountry", func(e *model.Employee) *model.ListValue { return &e.SiteAddress.Country }),
		list("internal.status", func(e *model.Employee) *model.ListValue { return &e.AccessStatus }),
		list("internal.lifecycleStatus", func(e *model.Employee) *model.ListValue { return &e.LifecycleStatus }),
		date("internal.terminationDate", func(e *model.Employee) *model.Date { return &e.TerminationDate }),
		date("employee.lastDayOfWork", func(e *model.Employee) *model.Date { return &e.LastDayOfWork }),
	}
}

// GiftingFields are the field IDs a sync requests: what gifting runs on. Volatile computed
// fields (age, tenure, avatar) are deliberately left out, so that they never show up as changes.
var GiftingFields = giftingFieldIDs()

func giftingFieldIDs() []string {
	ids := make([]string, len(giftingTable))
	for i, f := range giftingTable {
		ids[i] = f.id
	}
	return ids
}

// normError is a normalisation failure; it names the field, never its value.
func normError(field, format string, args ...any) error {
	if field == "" {
		return fmt.Errorf("%w: %s", ErrBadResponse, fmt.Sprintf(format, args...))
	}
	return fmt.Errorf("%w: field %s: %s", ErrBadResponse, field, fmt.Sprintf(format, args...))
}

// Normalize reads one HiBob employee object (from a people search or read) into a
// model.Employee.
//
// HiBob sends each field twice in different forms: nested ("work": {"startDate": …}, root
// fields at the top level without "root.") and, for non-null values only, as a slash key
// ("/work/startDate": {"value": …}). The nested form is read first, the slash key is the fall
// back. A field present as null is permitted but empty; a requested field absent from both
// forms is one the service user may not see (HiBob omits those silently) and is listed in
// Hidden. Errors wrap ErrBadResponse, name the field and never quote a value.
func Normalize(raw []byte, requested []string) (model.Employee, error) {
	if !json.Valid(raw) {
		return model.Employee{}, normError("", "the employee object is not valid JSON")
	}
	return normalize(raw, requested)
}

// normalize is Normalize of an object from a body the client has checked.
func normalize(raw []byte, requested []string) (model.Employee, error) {
	d, err := parseEmployee(raw)
	if err != nil {
		return model.Employee{}, err
	}
	var e model.Employee
	var fullBirth model.Date
	for _, f := range giftingTable {
		v, present, err := d.read(f)
		if err != nil {
			return model.Employee{}, err
		}
		if !present {
			continue
		}
		f.set(&e, v)
		if f.id == "personal.birthDate" {
			fullBirth = v.date
		}
	}
	if e.ID == "" {
		return model.Employee{}, normError("root.id", "the employee has no ID")
	}
	if e.Birthday.IsZero() {
		e.Birthday = fullBirth.MonthDay()
	}
	for _, id := range requested {
		_, present, err := d.lookup(id)
		if err != nil {
			return model.Employee{}, err
		}
		if !present {
			e.Hidden = append(e.Hidden, id)
		}
	}
	slices.Sort(e.Hidden)
	e.Hidden = slices.Compact(e.Hidden)
	e.Raw = json.RawMessage(bytes.Clone(raw))
	return e, nil
}

// employeeDoc is one parsed employee object: the fields themselves and their humanReadable
// labels, each a tree whose category objects are parsed on first use.
type employeeDoc struct {
	data   tree
	labels tree // empty when the response has no humanReadable object
}

// tree is a parsed object and the nested objects read below it so far.
type tree struct {
	name   string // where the tree sits in the employee object, for messages: "" or "humanReadable"
	root   *object
	parsed []parsedObject
}

// parsedObject is a nested object of a tree, by its path ("work", "address.home"); nil when null.
type parsedObject struct {
	path string
	obj  *object
}

func parseEmployee(raw []byte) (*employeeDoc, error) {
	if k := jsonKind(raw); k != '{' {
		return nil, normError("", "the employee is %s, expected an object", kindName(raw))
	}
	top, err := objectOf(raw)
	if err != nil {
		return nil, normError("", "the employee object cannot be read: %v", err)
	}
	d := &employeeDoc{data: tree{root: top}, labels: tree{name: "humanReadable"}}
	if hr, ok := top.get("humanReadable"); ok && jsonKind(hr) != 'n' {
		if jsonKind(hr) != '{' {
			return nil, normError("humanReadable", "is %s, expected an object", kindName(hr))
		}
		if d.labels.root, err = objectOf(hr); err != nil {
			return nil, normError("humanReadable", "cannot be read: %v", err)
		}
	}
	return d, nil
}

// path is where field id sits in the nested form, dotted: root fields at the top level.
func path(id string) string {
	if p, ok := strings.CutPrefix(id, "root."); ok {
		return p
	}
	return id
}

// slashKey is the flat key of field id: "/work/startDate", "/root/id".
func slashKey(id string) string { return "/" + strings.ReplaceAll(id, ".", "/") }

// lookup finds field id's raw value: nested first, then the slash key.
func (d *employeeDoc) lookup(id string) (json.RawMessage, bool, error) {
	v, ok, err := d.data.walk(path(id), id)
	if err != nil || ok {
		return v, ok, err
	}
	w, ok := d.data.root.get(slashKey(id))
	if !ok {
		return nil, false, nil
	}
	switch jsonKind(w) {
	case 'n':
		return w, true, nil
	case '{':
	default:
		return nil, false, normError(id, "key %s is %s, expected {\"value\": …}", slashKey(id), kindName(w))
	}
	wrap, err := objectOf(w)
	if err != nil {
		return nil, false, normError(id, "key %s cannot be read: %v", slashKey(id), err)
	}
	v, ok = wrap.get("value")
	if !ok {
		return nil, false, normError(id, "key %s has no value", slashKey(id))
	}
	return v, true, nil
}

// walk follows the dotted path p through the tree's nested objects. A missing or null object
// on the way means the field is absent.
func (t *tree) walk(p, id string) (json.RawMessage, bool, error) {
	obj := t.root
	for depth := 0; ; {
		if obj == nil {
			return nil, false, nil
		}
		seg, rest, nested := strings.Cut(p[depth:], ".")
		v, ok := obj.get(seg)
		if !ok {
			return nil, false, nil
		}
		if !nested {
			return v, true, nil
		}
		prefix := p[:depth+len(seg)]
		var err error
		if obj, err = t.object(prefix, v, id); err != nil {
			return nil, false, err
		}
		depth = len(p) - len(rest)
	}
}

// object parses the nested object v found at prefix, once per tree.
func (t *tree) object(prefix string, v json.RawMessage, id string) (*object, error) {
	for _, p := range t.parsed {
		if p.path == prefix {
			return p.obj, nil
		}
	}
	var obj *object
	where := prefix
	if t.name != "" {
		where = t.name + "." + prefix
	}
	switch jsonKind(v) {
	case 'n':
	case '{':
		var err error
		if obj, err = objectOf(v); err != nil {
			return nil, normError(id, "object %s cannot be read: %v", where, err)
		}
	default:
		return nil, normError(id, "%s is %s, expected an object", where, kindName(v))
	}
	t.parsed = append(t.parsed, parsedObject{prefix, obj})
	return obj, nil
}

// label is field id's humanReadable rendering, if the response has one.
func (d *employeeDoc) label(id string) (string, error) {
	if d.labels.root == nil {
		return "", nil
	}
	v, ok, err := d.labels.walk(path(id), id)
	if err != nil || !ok {
		return "", err
	}
	s, err := textOf(v)
	if err != nil {
		return "", normError(id, "humanReadable label %v", err)
	}
	return s, nil
}

// read finds and decodes field f.
func (d *employeeDoc) read(f giftingField) (fieldValue, bool, error) {
	raw, ok, err := d.lookup(f.id)
	if err != nil || !ok {
		return fieldValue{}, false, err
	}
	var v fieldValue
	switch f.kind {
	case kindText:
		if v.text, err = textOf(raw); err != nil {
			return v, false, normError(f.id, "%v", err)
		}
	case kindID:
		if v.text, err = idOf(raw); err != nil {
			return v, false, normError(f.id, "%v", err)
		}
	case kindDate:
		if v.date, err = dateOf(raw); err != nil {
			return v, false, normError(f.id, "%v", err)
		}
	case kindShort:
		if v.short, err = shortDateOf(raw); err != nil {
			return v, false, normError(f.id, "%v", err)
		}
	case kindList:
		if v.list.Value, err = textOf(raw); err != nil {
			return v, false, normError(f.id, "%v", err)
		}
		if v.list.Label, err = d.label(f.id); err != nil {
			return v, false, err
		}
	}
	return v, true, nil
}

// employeeIDOf reads just the ID of an employee object.
func employeeIDOf(raw []byte) (string, error) {
	d, err := parseEmployee(raw)
	if err != nil {
		return "", err
	}
	v, ok, err := d.lookup("root.id")
	if err != nil {
		return "", err
	}
	if !ok {
		return "", normError("root.id", "the employee has no ID")
	}
	id, err := idOf(v)
	if err != nil {
		return "", normError("root.id", "%v", err)
	}
	if id == "" {
		return "", normError("root.id", "the employee has no ID")
	}
	return id, nil
}

// jsonKind is the first byte of a JSON value: '{', '[', '"', 'n', 't', 'f', or '0' for a number.
func jsonKind(raw []byte) byte {
	raw = bytes.TrimLeft(raw, " \t\r\n")
	if len(raw) == 0 {
		return 0
	}
	switch c := raw[0]; {
	case c == '-' || (c >= '0' && c <= '9'):
		return '0'
	default:
		return c
	}
}

func kindName(raw []byte) string {
	switch jsonKind(raw) {
	case '{':
		return "an object"
	case '[':
		return "an array"
	case '"':
		return "a string"
	case 'n':
		return "null"
	case 't', 'f':
		return "a boolean"
	case '0':
		return "a number"
	case 0:
		return "empty"
	}
	return "not JSON"
}

// typeErrorText describes a decoding error without quoting the input.
func typeErrorText(err error) string {
	if se, ok := errors.AsType[*json.SyntaxError](err); ok {
		return fmt.Sprintf("malformed JSON at offset %d", se.Offset)
	}
	if te, ok := errors.AsType[*json.UnmarshalTypeError](err); ok {
		if te.Field != "" {
			return fmt.Sprintf("%s is %s, expected %s", te.Field, te.Value, te.Type)
		}
		return fmt.Sprintf("found %s, expected %s", te.Value, te.Type)
	}
	return "malformed JSON"
}

var errNotText = errors.New("is not text")

// textOf reads a string; null is empty, a number is taken by its literal digits.
func textOf(raw json.RawMessage) (string, error) {
	switch jsonKind(raw) {
	case 'n':
		return "", nil
	case '"':
		s, err := unquote(bytes.TrimSpace(raw))
		if err != nil {
			return "", errors.New("is a malformed string")
		}
		return s, nil
	case '0':
		return string(bytes.TrimSpace(raw)), nil
	}
	return "", fmt.Errorf("is %s, expected text", kindName(raw))
}

// IDLength is the length of a HiBob employee ID.
const IDLength = 19

// ValidID reports whether s is a HiBob employee ID: 19 ASCII digits.
func ValidID(s string) bool {
	if len(s) != IDLength {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// idOf reads an employee ID. A JSON number is taken by its literal digits, never through
// float64, which cannot hold 19 digits.
func idOf(raw json.RawMessage) (string, error) {
	switch jsonKind(raw) {
	case 'n':
		return "", nil
	case '"', '0':
		s, err := textOf(raw)
		if err != nil {
			return "", err
		}
		if !ValidID(s) {
			return "", errors.New("is not a 19-digit employee ID")
		}
		return s, nil
	}
	return "", fmt.Errorf("is %s, expected a 19-digit employee ID", kindName(raw))
}

func dateOf(raw json.RawMessage) (model.Date, error) {
	switch jsonKind(raw) {
	case 'n':
		return model.Date{}, nil
	case '"':
		s, err := textOf(raw)
		if err != nil || s == "" {
			return model.Date{}, err
		}
		d, err := model.ParseDate(s)
		if err != nil || len(s) != len("2006-01-02") {
			return model.Date{}, errors.New("is not a valid YYYY-MM-DD date")
		}
		return d, nil
	}
	return model.Date{}, fmt.Errorf("is %s, expected a YYYY-MM-DD date", kindName(raw))
}

func shortDateOf(raw json.RawMessage) (model.MonthDay, error) {
	switch jsonKind(raw) {
	case 'n':
		return model.MonthDay{}, nil
	case '"':
		s, err := textOf(raw)
		if err != nil || s == "" {
			return model.MonthDay{}, err
		}
		m, err := model.ParseMonthDay(s)
		if err != nil {
			return model.MonthDay{}, errors.New("is not a valid MM-DD short date")
		}
		return m, nil
	}
	return model.MonthDay{}, fmt.Errorf("is %s, expected an MM-DD short date", kindName(raw))
}
