package systemtest

import (
	"context"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"go.temporal.io/api/history/v1"
	"go.temporal.io/api/workflowservice/v1"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/reflect/protoreflect"

	"hibobsync/devserver"
	"hibobsync/model"
)

// Secrets are what must not leak: HiBob tokens (nowhere: no workflow history, search
// attribute, memo, log line or database dump) and employees' personal data (in no workflow
// history, search attribute, memo or log line; the database holds it by design).
type Secrets struct {
	Tokens []string
	PII    []string
}

// minPII is the shortest personal value searched for: shorter ones (a two-letter first name)
// would match unrelated text.
const minPII = 6

// PIIOf lists the employees' names, e-mail addresses, home addresses and birth dates
// (YYYY-MM-DD), as a leak search looks for them. Take it before HR changes as well as after:
// an employee removed or moved keeps their old data out of Truth.
func PIIOf(employees []model.Employee) []string {
	var out []string
	for _, e := range employees {
		out = append(out, e.FirstName+" "+e.Surname, e.DisplayName, e.WorkEmail, e.PersonalEmail, e.HomeAddress.Line1)
		if e.HomeAddress.Line1 != "" && e.HomeAddress.City != "" {
			out = append(out, e.HomeAddress.Line1+", "+e.HomeAddress.City)
		}
		if !e.BirthDate.IsZero() {
			out = append(out, e.BirthDate.String())
		}
	}
	return out
}

// RequireNoLeaks is the leak battery. The tokens and the personal data must appear in
//   - no workflow history: every run of every workflow ListWorkflow lists, and the CLI's
//     rendering of each workflow's latest run (`temporal workflow show --output json`), searched
//     with their payloads decoded (devserver.HistoryText);
//   - no search attribute or memo of any run (DescribeWorkflowExecution, payloads decoded);
//   - no log line: the SDK client's and in-process workers' (s.Logs), the dev server's, and
//     logs (a worker process's output, say);
//
// and the tokens in no form (plain, base64, hex) in a pg_dump of the database.
func (s *System) RequireNoLeaks(t testing.TB, secrets Secrets, logs ...string) {
	t.Helper()
	ctx := context.Background()
	tokens := slices.DeleteFunc(slices.Clone(secrets.Tokens), func(s string) bool { return s == "" })
	if len(tokens) == 0 {
		t.Fatal("systemtest: the leak battery needs the tokens to look for")
	}

	// Workflow histories, search attributes and memos.
	type source struct{ what, text string }
	var sources []source
	ids := map[string]bool{}
	var next []byte
	for {
		resp, err := s.Client.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{PageSize: 1000, NextPageToken: next})
		if err != nil {
			t.Fatalf("leak battery: list workflows: %v", err)
		}
		for _, exec := range resp.Executions {
			id, run := exec.GetExecution().GetWorkflowId(), exec.GetExecution().GetRunId()
			ids[id] = true
			h := &history.History{}
			iter := s.Client.GetWorkflowHistory(ctx, id, run, false, 0)
			for iter.HasNext() {
				ev, err := iter.Next()
				if err != nil {
					t.Fatalf("leak battery: history of %s run %s: %v", id, run, err)
				}
				h.Events = append(h.Events, ev)
			}
			sources = append(sources, source{"the history of " + id + " run " + run, decoded(t, h)})
			d, err := s.Client.DescribeWorkflowExecution(ctx, id, run)
			if err != nil {
				t.Fatalf("leak battery: describe %s run %s: %v", id, run, err)
			}
			sources = append(sources, source{"the search attributes and memo of " + id + " run " + run, decoded(t, d)})
			sources = append(sources, source{"the list entry of " + id + " run " + run, decoded(t, exec)})
		}
		if next = resp.NextPageToken; len(next) == 0 {
			break
		}
	}
	if len(ids) == 0 {
		t.Fatal("leak battery: no workflow to search")
	}
	for id := range ids {
		shown, err := s.Dev.Show(ctx, id)
		if err != nil {
			t.Fatalf("leak battery: %v", err)
		}
		text, err := devserver.HistoryText(shown)
		if err != nil {
			t.Fatalf("leak battery: %v", err)
		}
		if !strings.Contains(text, id) {
			// The decoded history carries the workflow's own input: else the decoding is broken
			// and the search below proves nothing.
			if !strings.Contains(text, strings.TrimPrefix(id, "hibob-tenant/")) {
				t.Fatalf("leak battery: the decoded history of %s does not show its input", id)
			}
		}
		sources = append(sources, source{"`temporal workflow show` of " + id, text})
	}

	// Log lines.
	sources = append(sources, source{"the SDK client's and in-process workers' log lines", s.Logs.String()},
		source{"the dev server's output", s.Dev.Output()})
	for i, l := range logs {
		sources = append(sources, source{fmt.Sprintf("process log %d", i+1), l})
	}

	for _, search := range []struct {
		kind string
		find finder
	}{{"a HiBob token", newFinder(tokens)}, {"personal data", newFinder(secrets.PII)}} {
		for _, src := range sources {
			if v, ok := search.find.first(src.text); ok {
				// Say what and where, never the value itself.
				t.Errorf("leak battery: %s (%d characters) is in %s", search.kind, len(v), src.what)
			}
		}
	}

	// The database.
	dump := pgDump(t, s.DatabaseURL)
	if !strings.Contains(dump, "COPY public.credentials") {
		t.Fatal("leak battery: the dump holds no credentials table: it is not this project's database")
	}
	for _, token := range tokens {
		b := []byte(token)
		for form, encoded := range map[string]string{
			"plain": token, "base64": base64.StdEncoding.EncodeToString(b), "raw base64": base64.RawStdEncoding.EncodeToString(b),
			"url base64": base64.URLEncoding.EncodeToString(b), "hex": hex.EncodeToString(b), "upper hex": strings.ToUpper(hex.EncodeToString(b)),
		} {
			if strings.Contains(dump, encoded) {
				t.Errorf("leak battery: the %s form of a HiBob token is in the pg_dump of the database", form)
			}
		}
	}
}

// decoded renders a protobuf message as JSON and decodes its payloads (devserver.HistoryText).
func decoded(t testing.TB, m interface {
	ProtoReflect() protoreflect.Message
}) string {
	t.Helper()
	b, err := protojson.Marshal(m)
	if err != nil {
		t.Fatalf("leak battery: render %T: %v", m, err)
	}
	text, err := devserver.HistoryText(b)
	if err != nil {
		t.Fatalf("leak battery: %v", err)
	}
	return text
}

// finder looks for many values at once: a map from each value's first minPII bytes to the
// values, probed at every position of the text.
type finder map[string][]string

func newFinder(values []string) finder {
	f := finder{}
	for _, v := range values {
		if len(v) < minPII {
			continue
		}
		k := v[:minPII]
		if !slices.Contains(f[k], v) {
			f[k] = append(f[k], v)
		}
	}
	return f
}

// first returns a value that occurs in text.
func (f finder) first(text string) (string, bool) {
	for i := 0; i+minPII <= len(text); i++ {
		vs, ok := f[text[i:i+minPII]]
		if !ok {
			continue
		}
		for _, v := range vs {
			if strings.HasPrefix(text[i:], v) {
				return v, true
			}
		}
	}
	return "", false
}

// pgDump dumps the database with pg_dump from PATH or the Debian layout, newest version first
// (pg_dump refuses to dump a server newer than itself).
func pgDump(t testing.TB, dbURL string) string {
	t.Helper()
	candidates, _ := filepath.Glob("/usr/lib/postgresql/*/bin/pg_dump")
	slices.SortFunc(candidates, func(a, b string) int { return pgVersion(b) - pgVersion(a) })
	if p, err := exec.LookPath("pg_dump"); err == nil {
		candidates = append(candidates, p)
	}
	var errs []string
	for _, p := range candidates {
		if fi, err := os.Stat(p); err != nil || fi.IsDir() {
			continue
		}
		out, err := exec.Command(p, "--no-owner", "--dbname="+dbURL).Output()
		if err == nil {
			return string(out)
		}
		errs = append(errs, fmt.Sprintf("%s: %v", p, err))
	}
	t.Fatalf("leak battery: no pg_dump could dump the database (on PATH or under /usr/lib/postgresql/*/bin): %v", errs)
	return ""
}

func pgVersion(pgDumpPath string) int {
	var v int
	fmt.Sscanf(filepath.Base(filepath.Dir(filepath.Dir(pgDumpPath))), "%d", &v)
	return v
}
