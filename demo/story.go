package demo

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"

	"hibobsync/hibob"
	"hibobsync/hibob/simulator"
	"hibobsync/httpapi"
	"hibobsync/model"
	"hibobsync/store"
	"hibobsync/workflows"
)

const personal = model.PermPersonal

// companyBase is the demo company's name; later runs add " #2", " #3", ….
const companyBase = "Demo Co"

// companyName picks this run's company: the first of "Demo Co", "Demo Co #2", … that no earlier
// run used, neither in Postgres (a tenant row) nor in Temporal (a workflow). It returns the
// earlier runs' names too.
func (s *system) companyName(ctx context.Context) (string, []string, error) {
	var earlier []string
	for n := 1; n <= 10_000; n++ {
		name := companyBase
		if n > 1 {
			name = fmt.Sprintf("%s #%d", companyBase, n)
		}
		key, _, err := model.TenantKeyOf(name)
		if err != nil {
			return "", nil, err
		}
		_, err = s.store.Tenant(ctx, key)
		switch {
		case err == nil:
			earlier = append(earlier, name)
			continue
		case !errors.Is(err, store.ErrUnknownTenant):
			return "", nil, fmt.Errorf("demo: %w", err)
		}
		_, err = s.temporal.DescribeWorkflowExecution(ctx, workflows.WorkflowID(key), "")
		var notFound *serviceerror.NotFound
		switch {
		case err == nil:
			earlier = append(earlier, name)
		case errors.As(err, &notFound):
			return name, earlier, nil
		default:
			return "", nil, fmt.Errorf("demo: ask Temporal about %s: %w", workflows.WorkflowID(key), err)
		}
	}
	return "", nil, errors.New("demo: 10,000 earlier runs: remove the data folder to start over")
}

// story is the customer's connection, told through the HTTP API as Gifted's backend and support
// would drive it, with the customer's and HR's actions done in the simulated HiBob.
type story struct {
	sys     *system
	out     *printer
	timeout time.Duration
	tenant  model.TenantKey
	wfID    string
}

func (s *story) tell(ctx context.Context) error {
	sys, out := s.sys, s.out
	if err := s.disconnectEarlierRuns(ctx); err != nil {
		return err
	}

	// 1. The customer enters the company name, service user ID and token in Gifted and hits Sync.
	var conn httpapi.ConnectResponse
	status, err := s.call(ctx, http.MethodPost, "/v1/connections", sys.apiKeys.Backend, httpapi.ConnectRequest{
		Company: sys.company.Name(), ServiceUserID: sys.user.ID, Token: sys.user.Token,
	}, &conn)
	if err != nil {
		return err
	}
	if status != http.StatusCreated {
		return fmt.Errorf("connect %q: expected 201 Created (a new connection), got %d", sys.company.Name(), status)
	}
	s.tenant, s.wfID = conn.Tenant, workflows.WorkflowID(conn.Tenant)
	out.step("Gifted's backend connected %q: POST /v1/connections → 201, tenant %s, credentials version %d sealed in Postgres",
		conn.Company, conn.Tenant, conn.CredentialVersion)
	out.detail("its workflow %s: %s", s.wfID, sys.uiWorkflow(s.wfID))

	// 2. The audit finds Personal missing.
	st, err := s.waitFor(ctx, "permissions_missing", func(st workflows.Status) bool { return st.Phase == model.PhasePermissionsMissing })
	if err != nil {
		return err
	}
	if st.Audit == nil || !slices.Equal(st.Audit.Missing, []model.Permission{personal}) {
		return fmt.Errorf("expected the audit to find exactly Personal missing, status: %s", brief(st))
	}
	out.step("the credentials are valid; the permission audit stops at permissions_missing, naming %s", strings.Join(permNames(st.Audit.Missing), ", "))
	for _, p := range st.Audit.Audit.Permissions {
		if p.State == hibob.Missing {
			out.detail("%s: %s\n  fix in Bob: %s", p.Permission, p.Detail, strings.Join(p.Fix, "; "))
		}
	}
	out.detail("the workflow says: %s", st.LastError)
	out.detail("connections waiting for permissions: %s", sys.uiQuery(`HibobPhase="permissions_missing"`))

	// 3. The customer grants Personal; Gifted's backend asks for a re-check.
	if err := sys.company.Grant(sys.user.ID, personal, true); err != nil {
		return err
	}
	var ack httpapi.AckResponse
	if _, err := s.call(ctx, http.MethodPost, s.conn("/recheck"), sys.apiKeys.Backend, nil, &ack); err != nil {
		return err
	}
	out.step("the customer granted Personal (view and history) in Bob; POST …/recheck: %s", ack.Message)
	st, err = s.waitFor(ctx, "awaiting_review", func(st workflows.Status) bool { return st.Phase == model.PhaseAwaitingReview })
	if err != nil {
		return err
	}
	if st.Audit == nil || !st.Audit.Passes || len(st.Audit.Missing) != 0 {
		return fmt.Errorf("expected the re-check to pass the audit, status: %s", brief(st))
	}
	a := st.Audit.Audit
	if want := len(sys.company.Truth()); a.Employees != want {
		return fmt.Errorf("expected the review preview to count %d employees, it counts %d", want, a.Employees)
	}
	if a.Coverage.Birthday == 0 {
		return errors.New("expected birthdays in the review preview once Personal was granted")
	}
	out.step("the audit passes: awaiting_review, with the preview support judges the data by")
	out.detail("%d employees visible (%d inactive, %d future starters); %s", a.Employees, a.Inactive, a.FutureStarters, lifecycles(a.ByLifecycle))
	cv := a.Coverage
	out.detail("coverage over %d employees read in full: birthday %s, start date %s, home address %s, work email %s, personal email %s",
		cv.Sampled, pct(cv.Birthday, cv.Sampled), pct(cv.StartDate, cv.Sampled), pct(cv.HomeAddress, cv.Sampled),
		pct(cv.WorkEmail, cv.Sampled), pct(cv.PersonalEmail, cv.Sampled))
	if st.Review != nil {
		out.detail("review reminder at 48 h, SLA breach at 72 h (due %s)", st.Review.DueAt.Local().Format(time.DateTime))
	}

	// 4. Support finds it in the list of connections awaiting review and approves.
	if err := s.waitListed(ctx, model.PhaseAwaitingReview); err != nil {
		return err
	}
	out.step("support lists what awaits review: GET /v1/connections?phase=awaiting_review (support key) lists %s", s.tenant)
	out.detail("the same in the UI: %s", sys.uiQuery(`HibobPhase="awaiting_review"`))
	if _, err := s.call(ctx, http.MethodPost, s.conn("/approve"), sys.apiKeys.Support,
		httpapi.ApproveRequest{Reviewer: "support@gifted.example", Note: "coverage looks complete"}, &ack); err != nil {
		return err
	}
	out.step("support approved as support@gifted.example: POST …/approve → %s", ack.Message)

	// 5. The initial sync: the baseline.
	st, err = s.waitFor(ctx, "the initial sync", func(st workflows.Status) bool {
		return st.Phase == model.PhaseActive && st.LastSync != nil && st.LastSync.Outcome == string(store.RunApplied)
	})
	if err != nil {
		return err
	}
	first := *st.LastSync
	if !first.Baseline || first.Kind != store.RunInitial || first.Changes != 0 {
		return fmt.Errorf("expected the initial sync to be a baseline with no change events, got %+v", first)
	}
	if want := len(sys.company.Truth()); first.Counts.Inserted != want {
		return fmt.Errorf("expected the initial sync to insert all %d employees, it inserted %d", want, first.Counts.Inserted)
	}
	var employees httpapi.EmployeePage
	if _, err := s.call(ctx, http.MethodGet, s.conn("/employees?limit=3"), sys.apiKeys.Backend, nil, &employees); err != nil {
		return err
	}
	out.step("initial sync %d applied in %s: the baseline, %s; no change events (a baseline announces nobody)",
		first.RunID, first.FinishedAt.Sub(first.StartedAt).Round(10*time.Millisecond), counts(first.Counts))
	out.detail("GET …/employees?limit=3: %s", employeeNames(employees.Employees))
	out.detail("active connections: %s", sys.uiQuery(`HibobPhase="active" AND ExecutionStatus="Running"`))

	// 6. HR changes in Bob.
	changes, err := s.hrChanges()
	if err != nil {
		return err
	}
	out.step("HR changes in Bob:")
	for _, c := range changes {
		out.detail("%s", c.what)
	}

	// 7. Gifted's backend asks for a sync now instead of waiting for the next one.
	if _, err := s.call(ctx, http.MethodPost, s.conn("/sync"), sys.apiKeys.Backend, nil, &ack); err != nil {
		return err
	}
	out.step("POST …/sync: %s", ack.Message)
	st, err = s.waitFor(ctx, "the second sync", func(st workflows.Status) bool {
		return st.Phase == model.PhaseActive && st.LastSync != nil && st.LastSync.RunID != first.RunID &&
			st.LastSync.Outcome == string(store.RunApplied)
	})
	if err != nil {
		return err
	}
	second := *st.LastSync
	out.step("sync %d (%s) applied in %s: %s, %d change events",
		second.RunID, second.Kind, second.FinishedAt.Sub(second.StartedAt).Round(10*time.Millisecond), counts(second.Counts), second.Changes)

	// 8. The change feed, as Gifted's gifting automation reads it.
	var page httpapi.ChangePage
	if _, err := s.call(ctx, http.MethodGet, s.conn("/changes?after=0"), sys.apiKeys.Backend, nil, &page); err != nil {
		return err
	}
	out.step("GET …/changes?after=0, the change feed (next cursor %d):", page.Next)
	for _, c := range page.Changes {
		out.detail("#%d %-22s employee %s%s", c.Cursor, c.Kind, c.EmployeeID, changeDetail(c))
	}
	if err := checkChanges(page.Changes, changes, second.RunID); err != nil {
		return err
	}
	out.detail("exactly the four expected: hired, terminated (future-dated), home_address_changed, birthday_changed")
	out.detail("the workflow's history (activities, updates, continue-as-new): %s", sys.uiWorkflow(s.wfID))
	return nil
}

// disconnectEarlierRuns ends the connections earlier demo runs left open (through the API, as
// Gifted's backend would), so their workflows do not sync against a simulated HiBob that no
// longer has their company.
func (s *story) disconnectEarlierRuns(ctx context.Context) error {
	if len(s.sys.earlier) == 0 {
		s.out.step("first run on this data folder: the company is %q", s.sys.company.Name())
		return nil
	}
	var ended []string
	for _, name := range s.sys.earlier {
		key, _, _ := model.TenantKeyOf(name)
		d, err := s.sys.temporal.DescribeWorkflowExecution(ctx, workflows.WorkflowID(key), "")
		if err != nil || d.GetWorkflowExecutionInfo().GetStatus() != enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING {
			continue
		}
		var ack httpapi.AckResponse
		if _, err := s.call(ctx, http.MethodDelete, "/v1/connections/"+url.PathEscape(string(key)), s.sys.apiKeys.Backend, nil, &ack); err != nil {
			return fmt.Errorf("disconnect the earlier run's %s: %w", key, err)
		}
		ended = append(ended, string(key))
	}
	s.out.step("earlier runs on this data folder: %d (kept, their data too); this run's company is %q", len(s.sys.earlier), s.sys.company.Name())
	if len(ended) > 0 {
		s.out.detail("disconnected the connections they left open (DELETE /v1/connections/{tenant}): %s", strings.Join(ended, ", "))
	}
	s.out.detail("every demo connection: %s", s.sys.uiQuery(`HibobTenant STARTS_WITH "demo-co"`))
	return nil
}

// hrChange is one change made in Bob and the event it must produce.
type hrChange struct {
	what     string
	employee string
	kind     model.ChangeKind
	date     model.Date // the event's effective date, when it has one to check
}

func (s *story) hrChanges() ([]hrChange, error) {
	co := s.sys.company
	today := model.DateOf(time.Now())
	var employed []model.Employee
	for _, e := range co.Truth() {
		if model.ClassifyLifecycle(e.LifecycleStatus.Value) == model.StatusEmployed && e.TerminationDate.IsZero() {
			employed = append(employed, e)
		}
	}
	if len(employed) < 3 {
		return nil, fmt.Errorf("the simulated company has %d employed people, the story needs 3", len(employed))
	}
	start := today.AddDays(14)
	hired, err := co.Hire(simulator.NewHire{FirstName: "Noa", Surname: "Levi", BirthDate: model.MustDate("1994-02-28"), StartDate: start,
		Home: model.Address{Line1: "12 Dizengoff St", City: "Tel Aviv-Yafo", PostCode: "6433222", Country: model.ListValue{Value: "Israel"}}})
	if err != nil {
		return nil, err
	}
	leaving, moving, birthday := employed[0], employed[1], employed[2]
	leaves := today.AddDays(30)
	if err := co.Terminate(leaving.ID, leaves); err != nil {
		return nil, err
	}
	if err := co.SetHomeAddress(moving.ID, model.Address{Line1: "221B Baker Street", City: "London", PostCode: "NW1 6XE",
		Country: model.ListValue{Value: "United Kingdom"}}); err != nil {
		return nil, err
	}
	born := model.MustDate("1988-02-29")
	if err := co.CorrectBirthDate(birthday.ID, born); err != nil {
		return nil, err
	}
	return []hrChange{
		{fmt.Sprintf("hired Noa Levi (%s), starting %s", hired, start), hired, model.ChangeHired, start},
		{fmt.Sprintf("terminated %s (%s) as of %s, a month ahead", name(leaving), leaving.ID, leaves), leaving.ID, model.ChangeTerminated, leaves},
		{fmt.Sprintf("moved %s (%s) to 221B Baker Street, London", name(moving), moving.ID), moving.ID, model.ChangeHomeAddress, model.Date{}},
		{fmt.Sprintf("corrected the birth date of %s (%s) to %s", name(birthday), birthday.ID, born), birthday.ID, model.ChangeBirthday, model.Date{}},
	}, nil
}

// checkChanges: the feed holds exactly one event per HR change, of the expected kind and
// employee, all from run.
func checkChanges(got []model.Change, want []hrChange, run int64) error {
	type event struct {
		employee string
		kind     model.ChangeKind
	}
	var g, w []event
	for _, c := range got {
		if c.RunID != run {
			return fmt.Errorf("change %d comes from run %d, expected every change from run %d", c.Cursor, c.RunID, run)
		}
		g = append(g, event{c.EmployeeID, c.Kind})
	}
	for _, c := range want {
		w = append(w, event{c.employee, c.kind})
	}
	less := func(a, b event) int { return strings.Compare(a.employee+string(a.kind), b.employee+string(b.kind)) }
	slices.SortFunc(g, less)
	slices.SortFunc(w, less)
	if !slices.Equal(g, w) {
		return fmt.Errorf("expected the change events %v, the feed has %v", w, g)
	}
	for _, c := range got {
		for _, h := range want {
			if c.EmployeeID == h.employee && c.Kind == h.kind && !h.date.IsZero() && c.EffectiveDate != h.date {
				return fmt.Errorf("the %s event of %s is effective %s, expected %s", c.Kind, c.EmployeeID, c.EffectiveDate, h.date)
			}
		}
	}
	return nil
}

// waitFor polls the connection's status through the API until ok holds.
func (s *story) waitFor(ctx context.Context, what string, ok func(workflows.Status) bool) (workflows.Status, error) {
	deadline := time.Now().Add(s.timeout)
	var last httpapi.StatusResponse
	var lastErr error
	for {
		var cur httpapi.StatusResponse // fresh each time: decoding into the last one would keep fields the answer omits
		_, err := s.call(ctx, http.MethodGet, s.conn(""), s.sys.apiKeys.Backend, nil, &cur)
		lastErr = err
		if err == nil {
			last = cur
		}
		if err == nil && ok(last.Status) {
			return last.Status, nil
		}
		if err == nil && (last.Phase.Ended() || last.Phase == model.PhaseCredentialsInvalid || last.Phase == model.PhaseSyncFailing) {
			return last.Status, fmt.Errorf("waiting for %s, the connection went to %s: %s", what, last.Phase, brief(last.Status))
		}
		if time.Now().After(deadline) {
			return last.Status, fmt.Errorf("waited %s for %s: last status %s (error: %v)", s.timeout, what, brief(last.Status), lastErr)
		}
		select {
		case <-ctx.Done():
			return last.Status, ctx.Err()
		case <-time.After(150 * time.Millisecond):
		}
	}
}

// waitListed waits until the support list of phase holds the tenant (visibility lags a little).
func (s *story) waitListed(ctx context.Context, phase model.Phase) error {
	deadline := time.Now().Add(30 * time.Second)
	for {
		var list httpapi.ConnectionList
		if _, err := s.call(ctx, http.MethodGet, "/v1/connections?phase="+string(phase), s.sys.apiKeys.Support, nil, &list); err != nil {
			return err
		}
		for _, c := range list.Connections {
			if c.Tenant == s.tenant {
				return nil
			}
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("GET /v1/connections?phase=%s does not list %s after 30 s", phase, s.tenant)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
}

func (s *story) conn(suffix string) string {
	return "/v1/connections/" + url.PathEscape(string(s.tenant)) + suffix
}

// call makes one API request with a role's key and decodes a 2xx answer into out. Any other
// status is an error carrying the API's message.
func (s *story) call(ctx context.Context, method, path, key string, body, out any) (int, error) {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return 0, err
		}
		rd = bytes.NewReader(b)
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, s.sys.apiURL+path, rd)
	if err != nil {
		return 0, err
	}
	req.Header.Set("Authorization", "Bearer "+key)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, fmt.Errorf("%s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 8<<20))
	if err != nil {
		return resp.StatusCode, fmt.Errorf("%s %s: %w", method, path, err)
	}
	if resp.StatusCode/100 != 2 {
		return resp.StatusCode, fmt.Errorf("%s %s: %s: %s", method, path, resp.Status, strings.TrimSpace(string(b)))
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			return resp.StatusCode, fmt.Errorf("%s %s: decode the answer: %w", method, path, err)
		}
	}
	return resp.StatusCode, nil
}

// explore prints how to look around while the demo stays up.
func (s *story) explore() {
	sys, out := s.sys, s.out
	conn := sys.apiURL + s.conn("")
	out.step("the demo stays up for exploration; Ctrl-C stops everything it started")
	out.detail(`Temporal UI:       %s
this connection:   %s
awaiting review:   %s
the API (backend): export B=%s S=%s
  curl -s -H "Authorization: Bearer $B" %s | jq .phase,.lastSync
  curl -s -H "Authorization: Bearer $B" '%s/changes?after=0' | jq '.changes[] | {kind, employeeId, field, newValue}'
  curl -s -H "Authorization: Bearer $B" -X POST %s/sync
  curl -s -H "Authorization: Bearer $S" '%s/v1/connections?phase=active'
  curl -s %s/openapi.json | jq '.paths | keys'
the simulated HiBob's admin API (HR changes, faults):
  curl -s -X POST %s/employees -d '{"firstName":"Ada","surname":"Lovelace"}'
the worker's log:  %s`,
		sys.dev.UIAddress(), sys.uiWorkflow(s.wfID), sys.uiQuery(`HibobPhase="awaiting_review"`),
		sys.apiKeys.Backend, sys.apiKeys.Support, conn, conn, conn, sys.apiURL, sys.apiURL,
		strings.TrimSuffix(sys.simURL, "/v1")+"/_sim/companies/"+url.PathEscape(sys.company.Name()), sys.workerLogPath)
}

func brief(st workflows.Status) string {
	b, _ := json.Marshal(struct {
		Phase     model.Phase           `json:"phase"`
		LastError string                `json:"lastError,omitempty"`
		Missing   []model.Permission    `json:"missing,omitempty"`
		LastSync  *workflows.SyncReport `json:"lastSync,omitempty"`
		Hold      *workflows.Hold       `json:"hold,omitempty"`
	}{st.Phase, st.LastError, missing(st), st.LastSync, st.Hold})
	return string(b)
}

func missing(st workflows.Status) []model.Permission {
	if st.Audit == nil {
		return nil
	}
	return st.Audit.Missing
}

func permNames(ps []model.Permission) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = string(p)
	}
	return out
}

func pct(n, of int) string {
	if of == 0 {
		return "n/a"
	}
	return fmt.Sprintf("%d%%", (n*100+of/2)/of)
}

func lifecycles(m map[string]int) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s %d", k, m[k])
	}
	return strings.Join(parts, ", ")
}

func counts(c store.Counts) string {
	return fmt.Sprintf("%d fetched, %d inserted, %d updated, %d unchanged, %d removed, %d rejected",
		c.Fetched, c.Inserted, c.Updated, c.Unchanged, c.Removed, c.Rejected)
}

func name(e model.Employee) string {
	if e.DisplayName != "" {
		return e.DisplayName
	}
	return strings.TrimSpace(e.FirstName + " " + e.Surname)
}

func employeeNames(es []store.StoredEmployee) string {
	parts := make([]string, len(es))
	for i, e := range es {
		parts[i] = fmt.Sprintf("%s %s (%s)", e.ID, name(e.Employee), e.LifecycleStatus)
	}
	return strings.Join(parts, "; ")
}

func changeDetail(c model.Change) string {
	var b strings.Builder
	if c.Field != "" {
		fmt.Fprintf(&b, " %s", c.Field)
	}
	if c.OldValue != "" || c.NewValue != "" {
		fmt.Fprintf(&b, ": %s → %s", orDash(c.OldValue), orDash(c.NewValue))
	}
	if !c.EffectiveDate.IsZero() {
		fmt.Fprintf(&b, ", effective %s", c.EffectiveDate)
	}
	return b.String()
}

func orDash(s string) string {
	if s == "" {
		return "—"
	}
	return s
}
