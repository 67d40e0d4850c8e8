package hibob_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"hibobsync/hibob"
	"hibobsync/model"
)

// FuzzNormalize: whatever HiBob sends, Normalize does not panic, every error is a bad-response
// error, and what it accepts is a well-formed employee.
func FuzzNormalize(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "golden", "*.json"))
	for _, file := range files {
		b, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
		var doc struct{ Employees []json.RawMessage }
		if json.Unmarshal(b, &doc) == nil {
			for _, e := range doc.Employees {
				f.Add([]byte(e))
			}
		}
	}
	f.Add([]byte(fullNested))
	f.Add([]byte(`{"id":3332883884017713938,"personal":{"shortBirthDate":"02-29"}}`))
	f.Add([]byte(`{"/root/id":{"value":"3332883884017713938"},"/work/startDate":{"value":"2023-02-30"}}`))

	f.Fuzz(func(t *testing.T, raw []byte) {
		in := bytes.Clone(raw)
		e, err := hibob.Normalize(raw, hibob.GiftingFields)
		if !bytes.Equal(in, raw) {
			t.Fatal("Normalize modified its input")
		}
		if err != nil {
			if !errors.Is(err, hibob.ErrBadResponse) {
				t.Fatalf("error does not wrap ErrBadResponse: %v", err)
			}
			return
		}
		if !hibob.ValidID(e.ID) {
			t.Fatalf("accepted an invalid ID %q", e.ID)
		}
		if e.ManagerID != "" && !hibob.ValidID(e.ManagerID) {
			t.Fatalf("accepted an invalid manager ID %q", e.ManagerID)
		}
		if !slices.IsSorted(e.Hidden) || len(slices.Compact(slices.Clone(e.Hidden))) != len(e.Hidden) {
			t.Fatalf("Hidden not sorted and unique: %v", e.Hidden)
		}
		if !bytes.Equal(e.Raw, raw) {
			t.Fatal("Raw differs from the input")
		}
		for _, d := range []model.Date{e.BirthDate, e.StartDate, e.OriginalStartDate, e.TerminationDate, e.LastDayOfWork} {
			if !d.IsZero() {
				if _, err := model.ParseDate(d.String()); err != nil {
					t.Fatalf("accepted an invalid date %v", d)
				}
			}
		}
		if !e.Birthday.IsZero() {
			if _, err := model.ParseMonthDay(e.Birthday.String()); err != nil {
				t.Fatalf("accepted an invalid birthday %v", e.Birthday)
			}
		}
		if strings.Contains(e.ID, " ") {
			t.Fatal("ID with a space")
		}
	})
}

// FuzzNormalizeHistory: the same for history rows.
func FuzzNormalizeHistory(f *testing.F) {
	for _, file := range []string{"bulk_lifecycle_errors.json", "bulk_lifecycle_page2.json", "history_work_values.json"} {
		b, err := os.ReadFile(filepath.Join("testdata", "golden", file))
		if err != nil {
			f.Fatal(err)
		}
		var doc struct {
			Values  []json.RawMessage
			Results []struct{ Values []json.RawMessage }
		}
		if err := json.Unmarshal(b, &doc); err != nil {
			f.Fatal(err)
		}
		for _, v := range doc.Values {
			f.Add([]byte(v))
		}
		for _, r := range doc.Results {
			for _, v := range r.Values {
				f.Add([]byte(v))
			}
		}
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		for _, table := range model.HistoryTables {
			_, err := hibob.NormalizeHistory(table, "3332883884017713938", raw)
			if err != nil && !errors.Is(err, hibob.ErrBadResponse) {
				t.Fatalf("error does not wrap ErrBadResponse: %v", err)
			}
		}
	})
}
