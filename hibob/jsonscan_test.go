package hibob

import (
	"bytes"
	"encoding/json"
	"testing"
)

// On valid JSON the scanner must read what encoding/json reads; on anything else it must not
// panic (the client checks every body with json.Valid before the scanner sees it).
func TestScanAgreesWithEncodingJSON(t *testing.T) {
	for _, in := range scanSeeds {
		checkScan(t, []byte(in))
	}
}

func FuzzScan(f *testing.F) {
	for _, in := range scanSeeds {
		f.Add([]byte(in))
	}
	f.Fuzz(func(t *testing.T, in []byte) { checkScan(t, in) })
}

var scanSeeds = []string{
	`{}`, `[]`, ` { } `, `{"a":1}`, `{"a":1,}`, `{"a" 1}`, `{"a":}`, `{,}`, `{"a":1 "b":2}`,
	`[1,2,3]`, `[1,]`, `[,1]`, `[1 2]`, `[[[]]]`, `[[[]]`, `[{"a":[{"b":null}]}]`,
	`{"a":"\u00e9\n\"\\\/"}`, `{"a":"\x"}`, `{"a":"\u12"}`, `{"a":"\u12G4"}`, "{\"a\":\"\x01\"}", `{"a":"`,
	`{"a":-0.5e+10}`, `{"a":-}`, `{"a":01}`, `{"a":1.}`, `{"a":1e}`, `{"a":.5}`, `{"a":1.5E-3}`,
	`{"a":tru}`, `{"a":true}`, `{"a":false,"b":null}`, `{"a":nul}`, `{"a":1}x`, `{"a":1} `,
	`{"employees":[{"id":"3987598587553907167","work":{"startDate":"2020-01-01"},"/work/startDate":{"value":"2020-01-01"}}]}`,
	`{"a\"b":1}`, `{"a":"é"}`, "{\"a\":\"\xff\"}", `"x"`, `1`, `null`, ``,
}

func checkScan(t *testing.T, in []byte) {
	t.Helper()
	valid := json.Valid(in)
	switch jsonKind(in) {
	case '{':
		o, err := objectOf(in)
		if !valid {
			return
		}
		if err != nil {
			t.Fatalf("objectOf(%q) refused valid JSON: %v", in, err)
		}
		var want map[string]json.RawMessage
		if err := json.Unmarshal(in, &want); err != nil {
			t.Fatalf("json.Unmarshal(%q): %v", in, err)
		}
		for name, v := range want {
			got, ok := o.get(name)
			if !ok || !equalJSON(got, v) {
				t.Fatalf("objectOf(%q)[%q] = %q, want %q", in, name, got, v)
			}
		}
	case '[':
		a, err := arrayOf(in)
		if !valid {
			return
		}
		if err != nil {
			t.Fatalf("arrayOf(%q) refused valid JSON: %v", in, err)
		}
		var want []json.RawMessage
		if err := json.Unmarshal(in, &want); err != nil {
			t.Fatalf("json.Unmarshal(%q): %v", in, err)
		}
		if len(a) != len(want) {
			t.Fatalf("arrayOf(%q): %d elements, want %d", in, len(a), len(want))
		}
	default:
		if _, err := objectOf(in); err == nil {
			t.Fatalf("objectOf(%q) took a non-object", in)
		}
	}
	if jsonKind(in) == '"' && valid {
		var want string
		_ = json.Unmarshal(in, &want)
		if got, err := unquote(bytes.TrimSpace(in)); err != nil || got != want {
			t.Fatalf("unquote(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
}

// equalJSON compares two JSON texts byte for byte once white space is removed: numbers keep
// their literal digits (1e700 included, which no float holds).
func equalJSON(a, b []byte) bool {
	var x, y bytes.Buffer
	if json.Compact(&x, a) != nil || json.Compact(&y, b) != nil {
		return false
	}
	return bytes.Equal(x.Bytes(), y.Bytes())
}
