package simulator

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// The golden files in hibob/testdata/golden are HiBob's documented and captured responses; the
// client is tested against them. These tests hold the simulator to the same shapes, so that a
// sync which passes against the simulator parses real responses too.

func readGolden(t *testing.T, name string, v any) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "testdata", "golden", name))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
}

// checkMixedShape asserts the rules of hibob-api.md §2.3/§2.4 on one employee object answered for
// the requested fields: every field appears nested (root fields at the top without "root."),
// a slash key {"value": v} exists exactly for the non-null ones and carries the same value,
// humanReadable (when asked for) holds only non-null fields, and nothing else is there.
func checkMixedShape(e map[string]any, fields []string, humanReadable bool) error {
	allowed := map[string]bool{}
	for _, f := range fields {
		cat, name, _ := strings.Cut(f, ".")
		path := []string{cat, name}
		if cat == "root" {
			path = []string{name}
		}
		allowed[path[0]] = true
		v, ok := nested(e, path...)
		if !ok {
			return fmt.Errorf("%s: missing from the nested form", f)
		}
		slash := "/" + cat + "/" + name
		sv, hasSlash := e[slash]
		allowed[slash] = true
		switch {
		case v == nil && hasSlash:
			return fmt.Errorf("%s: null nested value but a slash key %s", f, slash)
		case v != nil && !hasSlash:
			return fmt.Errorf("%s: non-null nested value but no slash key %s", f, slash)
		case v != nil && !reflect.DeepEqual(sv, map[string]any{"value": v}):
			return fmt.Errorf("%s: slash key %v differs from nested value %v", f, sv, v)
		}
		hv, inHR := nested(e, append([]string{"humanReadable"}, path...)...)
		if humanReadable && (v == nil) == inHR {
			return fmt.Errorf("%s: humanReadable entry %v for nested value %v", f, hv, v)
		}
	}
	if humanReadable {
		allowed["humanReadable"] = true
	} else if _, ok := e["humanReadable"]; ok {
		return fmt.Errorf("humanReadable present though not asked for")
	}
	for k := range e {
		if !allowed[k] {
			return fmt.Errorf("unexpected key %q", k)
		}
	}
	return nil
}

func TestSimulatorReproducesGoldenEmployeeShapes(t *testing.T) {
	f := newFixture(t, 60, Options{Limits: map[Endpoint]int{}})
	for _, tc := range []struct {
		golden string
		fields []string
		one    bool // POST /people/{id}: one object at the top level
	}{
		{"search_directory_append.json", []string{"root.id", "root.displayName", "root.email", "work.title"}, false},
		{"read_one.json", []string{"root.id", "root.displayName", "root.email", "work.title", "root.firstName",
			"home.mobilePhone", "work.department", "work.site", "work.reportsTo", "work.startDate", "internal.status"}, true},
	} {
		t.Run(tc.golden, func(t *testing.T) {
			var golden map[string]any
			if tc.one {
				readGolden(t, tc.golden, &golden)
			} else {
				var doc struct{ Employees []map[string]any }
				readGolden(t, tc.golden, &doc)
				golden = doc.Employees[0]
			}
			// The checker must accept the real capture, or it proves nothing about the simulator.
			if err := checkMixedShape(golden, tc.fields, true); err != nil {
				t.Fatalf("golden file breaks the documented rules: %v", err)
			}

			body := fmt.Sprintf(`{"fields":%s,"showInactive":true,"humanReadable":"APPEND"}`, mustJSON(tc.fields))
			emps := f.search(&f.su, body)
			if len(emps) != 60 {
				t.Fatalf("search returned %d employees", len(emps))
			}
			if tc.one {
				r := f.do(&f.su, "POST", "/v1/people/"+emps[0]["id"].(string), fmt.Sprintf(`{"fields":%s,"humanReadable":"APPEND"}`, mustJSON(tc.fields)))
				if r.status != 200 {
					t.Fatalf("read one: %d %s", r.status, r.body)
				}
				var one map[string]any
				r.json(t, &one)
				emps = []map[string]any{one}
			}
			for _, e := range emps {
				if err := checkMixedShape(e, tc.fields, true); err != nil {
					t.Fatalf("employee %v: %v", e["id"], err)
				}
			}
		})
	}
}

func TestSimulatorReproducesGoldenBulkAndFields(t *testing.T) {
	f := newFixture(t, 40, Options{Limits: map[Endpoint]int{}})

	var golden map[string]any
	readGolden(t, "bulk_lifecycle_errors.json", &golden)
	r, _ := f.bulk(&f.su, "lifecycle", "limit=200&employeeIds="+f.co.EmployeeIDs()[0]+",1111111111111111111")
	var got map[string]any
	r.json(t, &got)
	if !reflect.DeepEqual(sortedKeys(golden), sortedKeys(got)) {
		t.Fatalf("bulk top-level keys: golden %v, simulator %v", sortedKeys(golden), sortedKeys(got))
	}
	goldenRow := golden["results"].([]any)[0].(map[string]any)["values"].([]any)[0].(map[string]any)
	row := got["results"].([]any)[0].(map[string]any)["values"].([]any)[0].(map[string]any)
	for _, k := range sortedKeys(goldenRow) {
		if _, ok := row[k]; !ok {
			t.Errorf("lifecycle row lacks %q", k)
		}
	}
	goldenErr := golden["errors"].([]any)[0].(map[string]any)
	gotErr := got["errors"].([]any)[0].(map[string]any)
	if !reflect.DeepEqual(sortedKeys(goldenErr), sortedKeys(gotErr)) {
		t.Errorf("errors item keys: golden %v, simulator %v", sortedKeys(goldenErr), sortedKeys(gotErr))
	}

	var goldenFields []map[string]any
	readGolden(t, "fields.json", &goldenFields)
	fr := f.do(&f.su, "GET", "/v1/company/people/fields", "")
	var fields []map[string]any
	fr.json(t, &fields)
	byID := map[string]map[string]any{}
	for _, fld := range fields {
		byID[fld["id"].(string)] = fld
		if len(fld) != 10 {
			t.Errorf("field %v has %d keys, want all 10", fld["id"], len(fld))
		}
	}
	for _, g := range goldenFields {
		s, ok := byID[g["id"].(string)]
		if !ok {
			t.Errorf("field %v missing from the simulator's metadata", g["id"])
			continue
		}
		for _, k := range []string{"categoryId", "type", "historical", "jsonPath"} {
			if gv, ok := g[k]; ok && !reflect.DeepEqual(gv, s[k]) {
				t.Errorf("field %v: %s golden %v, simulator %v", g["id"], k, gv, s[k])
			}
		}
	}
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

func TestMixedShapeCheckerRejectsBrokenShapes(t *testing.T) {
	fields := []string{"root.id", "work.title"}
	good := func() map[string]any {
		return map[string]any{
			"id": "3987598587553907167", "/root/id": map[string]any{"value": "3987598587553907167"},
			"work": map[string]any{"title": "243841003"}, "/work/title": map[string]any{"value": "243841003"},
			"humanReadable": map[string]any{"id": "3987598587553907167", "work": map[string]any{"title": "Engineer"}},
		}
	}
	if err := checkMixedShape(good(), fields, true); err != nil {
		t.Fatal(err)
	}
	for name, breakIt := range map[string]func(map[string]any){
		"slash key for null":       func(e map[string]any) { e["work"] = map[string]any{"title": nil} },
		"no slash key":             func(e map[string]any) { delete(e, "/work/title") },
		"slash value differs":      func(e map[string]any) { e["/work/title"] = map[string]any{"value": "1"} },
		"field missing":            func(e map[string]any) { delete(e, "work") },
		"stray key":                func(e map[string]any) { e["extra"] = 1 },
		"humanReadable incomplete": func(e map[string]any) { e["humanReadable"] = map[string]any{"id": "x"} },
	} {
		e := good()
		breakIt(e)
		if err := checkMixedShape(e, fields, true); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}
