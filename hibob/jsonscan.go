package hibob

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"iter"
	"math"
	"slices"
	"unicode/utf8"
)

// HiBob's answers are read in place: objectOf and arrayOf index a body's objects and arrays as
// sub-slices of it instead of decoding into fresh copies, so a batch of 200 employees is
// scanned about twice (once whole, once per object read), without a copy or a map per level
// of nesting.
//
// The scan expects valid JSON: the client checks every body with json.Valid first, and the
// exported readers (Normalize, NormalizeHistory) check what they are given. It checks the
// structure it walks, so a malformed input is an error or a wrong reading, never a panic, but
// it leaves the contents of strings to json.Valid, which lets it find a string's end with
// bytes.IndexByte. Messages give offsets and never quote the input.

var errMalformed = errors.New("malformed JSON")

// object is a JSON object: its members' names and values, as offsets into its text, in order
// of appearance. A nil *object is an absent or null one, with no members.
type object struct {
	raw     []byte
	members []span
}

// span is one member: name (its literal, quotes included) at raw[name0:name1], value at
// raw[value0:value1]. Offsets, not slices, keep an employee's index small.
type span struct {
	name0, name1, value0, value1 int32
	plain                        bool // the name has no escapes and is ASCII: its literal is its text
}

// get returns the value of the member called name; a name that repeats gives its last value,
// as encoding/json does.
func (o *object) get(name string) (json.RawMessage, bool) {
	if o == nil {
		return nil, false
	}
	for i := len(o.members) - 1; i >= 0; i-- {
		m := o.members[i]
		lit := o.raw[m.name0:m.name1]
		if m.plain && len(lit) == len(name)+2 && string(lit[1:len(lit)-1]) == name || !m.plain && escapedName(lit, name) {
			return o.raw[m.value0:m.value1:m.value1], true
		}
	}
	return nil, false
}

// escapedName reports whether the name literal lit, which has escapes or non-ASCII bytes,
// reads as name.
func escapedName(lit []byte, name string) bool {
	s, err := unquote(lit)
	return err == nil && s == name
}

func isPlain(text []byte) bool {
	for _, c := range text {
		if c == '\\' || c >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// all yields the members in order, names unquoted (a name that repeats comes as often as it
// appears). A name that cannot be unquoted ends the iteration with an empty name.
func (o *object) all() iter.Seq2[string, json.RawMessage] {
	return func(yield func(string, json.RawMessage) bool) {
		if o == nil {
			return
		}
		for _, m := range o.members {
			name, err := unquote(o.raw[m.name0:m.name1])
			if err != nil || !yield(name, o.raw[m.value0:m.value1:m.value1]) {
				return
			}
		}
	}
}

// field is get's value alone: nil when there is no such member.
func (o *object) field(name string) json.RawMessage {
	v, _ := o.get(name)
	return v
}

// objectOf indexes the members of the JSON object raw.
func objectOf(raw []byte) (*object, error) {
	if len(raw) > math.MaxInt32 {
		return nil, fmt.Errorf("%w: an object of %d bytes is too large", errMalformed, len(raw))
	}
	o := &object{raw: raw, members: make([]span, 0, 16)}
	end, err := scanObject(raw, skipSpace(raw, 0), 0, func(name0, name1, value0, value1 int) error {
		o.members = append(o.members, span{int32(name0), int32(name1), int32(value0), int32(value1), isPlain(raw[name0+1 : name1-1])})
		return nil
	})
	if err != nil {
		return nil, err
	}
	return o, trailing(raw, end)
}

// arrayOf lists the elements of the JSON array raw, as sub-slices of raw.
func arrayOf(raw []byte) ([]json.RawMessage, error) {
	out := []json.RawMessage{}
	end, err := scanArray(raw, skipSpace(raw, 0), 0, func(value []byte) { out = append(out, value) })
	if err != nil {
		return nil, err
	}
	return out, trailing(raw, end)
}

// maxDepth bounds nesting, so a hostile body cannot grow the stack without end.
const maxDepth = 1000

// scanObject walks the object at raw[i], handing the offsets of each member's name literal
// (quotes included) and value to member (nil: only skip), and returns the offset just past the
// object.
func scanObject(raw []byte, i, depth int, member func(name0, name1, value0, value1 int) error) (int, error) {
	if i >= len(raw) || raw[i] != '{' {
		return 0, fmt.Errorf("%w: expected an object at offset %d", errMalformed, i)
	}
	i = skipSpace(raw, i+1)
	if i < len(raw) && raw[i] == '}' {
		return i + 1, nil
	}
	for {
		if i >= len(raw) || raw[i] != '"' {
			return 0, fmt.Errorf("%w: expected a member name at offset %d", errMalformed, i)
		}
		nameEnd, err := skipString(raw, i)
		if err != nil {
			return 0, err
		}
		name0 := i
		i = skipSpace(raw, nameEnd)
		if i >= len(raw) || raw[i] != ':' {
			return 0, fmt.Errorf("%w: expected ':' at offset %d", errMalformed, i)
		}
		start := skipSpace(raw, i+1)
		end, err := skipValue(raw, start, depth+1)
		if err != nil {
			return 0, err
		}
		if member != nil {
			if err := member(name0, nameEnd, start, end); err != nil {
				return 0, err
			}
		}
		var closed bool
		if i, closed, err = nextItem(raw, end, '}'); err != nil || closed {
			return i, err
		}
	}
}

// scanArray walks the array at raw[i], handing each element to elem (nil: only skip), and
// returns the offset just past the array.
func scanArray(raw []byte, i, depth int, elem func(value []byte)) (int, error) {
	if i >= len(raw) || raw[i] != '[' {
		return 0, fmt.Errorf("%w: expected an array at offset %d", errMalformed, i)
	}
	i = skipSpace(raw, i+1)
	if i < len(raw) && raw[i] == ']' {
		return i + 1, nil
	}
	for {
		end, err := skipValue(raw, i, depth+1)
		if err != nil {
			return 0, err
		}
		if elem != nil {
			elem(raw[i:end:end])
		}
		var closed bool
		if i, closed, err = nextItem(raw, end, ']'); err != nil || closed {
			return i, err
		}
	}
}

// nextItem reads what follows an item of a container: a comma (it returns where the next item
// starts) or the closing bracket (closed, and the offset past it).
func nextItem(raw []byte, i int, closing byte) (next int, closed bool, err error) {
	i = skipSpace(raw, i)
	switch {
	case i >= len(raw):
		return 0, false, fmt.Errorf("%w: a container is not closed", errMalformed)
	case raw[i] == ',':
		return skipSpace(raw, i+1), false, nil
	case raw[i] == closing:
		return i + 1, true, nil
	}
	return 0, false, fmt.Errorf("%w: expected ',' or %q at offset %d", errMalformed, closing, i)
}

// trailing accepts only white space after a value's end.
func trailing(raw []byte, i int) error {
	if skipSpace(raw, i) != len(raw) {
		return fmt.Errorf("%w: data after the value at offset %d", errMalformed, i)
	}
	return nil
}

func skipSpace(raw []byte, i int) int {
	for i < len(raw) {
		switch raw[i] {
		case ' ', '\t', '\r', '\n':
			i++
		default:
			return i
		}
	}
	return i
}

// skipValue returns the offset just past the value that starts at raw[i].
func skipValue(raw []byte, i, depth int) (int, error) {
	if i >= len(raw) {
		return 0, fmt.Errorf("%w: a value is missing at the end", errMalformed)
	}
	if depth > maxDepth {
		return 0, fmt.Errorf("%w: nested deeper than %d", errMalformed, maxDepth)
	}
	switch c := raw[i]; {
	case c == '"':
		return skipString(raw, i)
	case c == '{':
		return scanObject(raw, i, depth, nil)
	case c == '[':
		return scanArray(raw, i, depth, nil)
	case c == 't':
		return skipLiteral(raw, i, "true")
	case c == 'f':
		return skipLiteral(raw, i, "false")
	case c == 'n':
		return skipLiteral(raw, i, "null")
	case c == '-' || c >= '0' && c <= '9':
		return skipNumber(raw, i)
	}
	return 0, fmt.Errorf("%w: unexpected character at offset %d", errMalformed, i)
}

// skipString returns the offset just past the string that starts at raw[i] (a quote): the
// first quote after it that no backslash escapes.
func skipString(raw []byte, i int) (int, error) {
	for j := i + 1; ; {
		k := bytes.IndexByte(raw[j:], '"')
		if k < 0 {
			return 0, fmt.Errorf("%w: a string is not closed", errMalformed)
		}
		end := j + k
		backslashes := 0
		for p := end - 1; p > i && raw[p] == '\\'; p-- {
			backslashes++
		}
		if backslashes%2 == 0 {
			return end + 1, nil
		}
		j = end + 1
	}
}

func skipLiteral(raw []byte, i int, lit string) (int, error) {
	if len(raw)-i < len(lit) || string(raw[i:i+len(lit)]) != lit {
		return 0, fmt.Errorf("%w: unexpected literal at offset %d", errMalformed, i)
	}
	return i + len(lit), nil
}

// skipNumber accepts JSON's number grammar: -?int frac? exp?.
func skipNumber(raw []byte, i int) (int, error) {
	start := i
	if raw[i] == '-' {
		i++
	}
	digits := func() int {
		n := 0
		for i < len(raw) && raw[i] >= '0' && raw[i] <= '9' {
			i++
			n++
		}
		return n
	}
	if i < len(raw) && raw[i] == '0' {
		i++
	} else if digits() == 0 {
		return 0, fmt.Errorf("%w: malformed number at offset %d", errMalformed, start)
	}
	if i < len(raw) && raw[i] == '.' {
		i++
		if digits() == 0 {
			return 0, fmt.Errorf("%w: malformed number at offset %d", errMalformed, start)
		}
	}
	if i < len(raw) && (raw[i] == 'e' || raw[i] == 'E') {
		i++
		if i < len(raw) && (raw[i] == '+' || raw[i] == '-') {
			i++
		}
		if digits() == 0 {
			return 0, fmt.Errorf("%w: malformed number at offset %d", errMalformed, start)
		}
	}
	return i, nil
}

// unquote reads a JSON string literal (quotes included) as encoding/json does: invalid UTF-8
// is replaced, as Postgres takes no other text. A literal without escapes that is valid UTF-8,
// as nearly every string HiBob sends is, is taken as it is.
func unquote(lit []byte) (string, error) {
	if len(lit) < 2 || lit[0] != '"' || lit[len(lit)-1] != '"' {
		return "", fmt.Errorf("%w: expected a string", errMalformed)
	}
	body := lit[1 : len(lit)-1]
	if !slices.Contains(body, '\\') && utf8.Valid(body) {
		return string(body), nil
	}
	var s string
	if err := json.Unmarshal(lit, &s); err != nil {
		return "", fmt.Errorf("%w: a malformed string", errMalformed)
	}
	return s, nil
}
