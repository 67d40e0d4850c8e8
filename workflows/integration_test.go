package workflows_test

import (
	"cmp"
	"context"
	"fmt"
	"log/slog"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
	"google.golang.org/protobuf/encoding/protojson"

	"go.temporal.io/api/history/v1"

	"hibobsync/activities"
	"hibobsync/devserver"
	"hibobsync/hibob"
	"hibobsync/hibob/simulator"
	"hibobsync/model"
	"hibobsync/store"
	"hibobsync/store/storetest"
	"hibobsync/systemtest"
	"hibobsync/workflows"
)

func TestMain(m *testing.M) { storetest.Main(m) }

// system is everything real (see systemtest): a Temporal dev server, Postgres, the simulated
// HiBob over HTTP and a worker running the tenant workflow.
type system struct {
	*systemtest.System
	t *testing.T
}

func startSystem(t *testing.T, employees int) *system {
	t.Helper()
	return &system{t: t, System: systemtest.Start(t, systemtest.Options{
		Company: "Integration Co", Employees: employees, Seed: 21, LogLevel: slog.LevelDebug})}
}

// connect does what Gifted's backend does when a customer hits Sync: store the credentials
// sealed, start the tenant's workflow with the version.
func (s *system) connect(user simulator.ServiceUser) model.TenantKey {
	s.t.Helper()
	ctx := context.Background()
	tenant, _, err := s.Store.EnsureTenant(ctx, s.Company.Name())
	require.NoError(s.t, err)
	version, err := s.Store.SaveCredentials(ctx, tenant.Key, hibob.NewCredentials(user.ID, user.Token))
	require.NoError(s.t, err)
	_, err = s.Client.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID: workflows.WorkflowID(tenant.Key), TaskQueue: activities.TaskQueue,
		TypedSearchAttributes: temporal.NewSearchAttributes(workflows.TenantKey.ValueSet(string(tenant.Key))),
		StaticSummary:         "HiBob connection of " + s.Company.Name(),
	}, workflows.TenantWorkflow, workflows.TenantInput{Tenant: tenant.Key, Company: s.Company.Name(), CredentialVersion: version})
	require.NoError(s.t, err)
	return tenant.Key
}

// waitFor polls the status until ok holds.
func (s *system) waitFor(tenant model.TenantKey, what string, ok func(workflows.Status) bool) workflows.Status {
	s.t.Helper()
	return systemtest.WaitFor(s.t, what, 2*time.Minute,
		func() (workflows.Status, error) { return s.QueryStatus(context.Background(), tenant) }, ok)
}

func (s *system) update(tenant model.TenantKey, name string, args ...any) workflows.Ack {
	s.t.Helper()
	h, err := s.Client.UpdateWorkflow(context.Background(), client.UpdateWorkflowOptions{
		WorkflowID: workflows.WorkflowID(tenant), UpdateName: name, Args: args, WaitForStage: client.WorkflowUpdateStageCompleted})
	require.NoError(s.t, err, name)
	var ack workflows.Ack
	require.NoError(s.t, h.Get(context.Background(), &ack), name)
	return ack
}

// requireStoreMatchesTruth compares the tenant's stored employees with the simulator's truth,
// field by field.
func (s *system) requireStoreMatchesTruth(tenant model.TenantKey) {
	s.t.Helper()
	stored, err := s.Store.Employees(context.Background(), tenant, store.EmployeeQuery{Limit: 5000})
	require.NoError(s.t, err)
	truth := s.Company.Truth()
	require.Len(s.t, stored, len(truth))
	for i, want := range truth {
		got := stored[i].Employee
		got.Hidden, got.Raw = nil, nil
		require.Equal(s.t, want, got, "employee %s", want.ID)
	}
}

func TestConnectionLifecycleEndToEnd(t *testing.T) {
	s := startSystem(t, 300)
	ctx := context.Background()

	// The customer's permission group lacks Personal: no birthdays.
	user := s.ServiceUserWithout(model.PermPersonal)
	tenant := s.connect(user)

	st := s.waitFor(tenant, "permissions_missing", func(st workflows.Status) bool { return st.Phase == model.PhasePermissionsMissing })
	require.Equal(t, []model.Permission{model.PermPersonal}, st.Audit.Missing)
	require.Contains(t, st.LastError, "Personal")

	// The customer grants it; support asks for a re-check instead of waiting six hours.
	require.NoError(t, s.Company.Grant(user.ID, model.PermPersonal, true))
	s.update(tenant, workflows.UpdateRecheckPermissions)
	st = s.waitFor(tenant, "awaiting_review", func(st workflows.Status) bool { return st.Phase == model.PhaseAwaitingReview })
	require.Equal(t, len(s.Company.Truth()), st.Audit.Audit.Employees)
	require.NotZero(t, st.Review.DueAt)

	// Support approves; the initial sync stores everyone as the baseline.
	s.update(tenant, workflows.UpdateApprove, workflows.ApproveRequest{Reviewer: "support@gifted", Note: "data looks complete"})
	st = s.waitFor(tenant, "initial sync applied", func(st workflows.Status) bool {
		return st.Phase == model.PhaseActive && st.LastSync != nil && st.LastSync.Outcome == string(store.RunApplied)
	})
	require.True(t, st.LastSync.Baseline)
	require.Equal(t, store.RunInitial, st.LastSync.Kind)
	first := st.LastSync.RunID
	s.requireStoreMatchesTruth(tenant)
	changes, _, err := s.Store.Changes(ctx, tenant, 0, 5000)
	require.NoError(t, err)
	require.Empty(t, changes, "the baseline emits no per-employee changes")

	// HR changes in Bob.
	ids := s.Company.EmployeeIDs()
	employed := s.employedIDs()
	hired, err := s.Company.Hire(simulator.NewHire{FirstName: "Noa", Surname: "Levi", WorkEmail: "noa.levi@integration.example.com",
		BirthDate: model.MustDate("1994-02-28"), StartDate: model.DateOf(time.Now()).AddDays(14),
		Home: model.Address{Line1: "12 Dizengoff St", City: "Tel Aviv-Yafo", PostCode: "6433222", Country: model.ListValue{Value: "Israel"}}})
	require.NoError(t, err)
	leaving, moving, birthday := employed[0], employed[1], employed[2]
	terminationDate := model.DateOf(time.Now()).AddDays(30)
	require.NoError(t, s.Company.Terminate(leaving, terminationDate))
	require.NoError(t, s.Company.SetHomeAddress(moving, model.Address{Line1: "221B Baker Street", City: "London", PostCode: "NW1 6XE",
		Country: model.ListValue{Value: "United Kingdom"}}))
	require.NoError(t, s.Company.CorrectBirthDate(birthday, model.MustDate("1988-02-29")))
	deleted := ids[len(ids)-1]
	require.NoError(t, s.Company.Delete(deleted))

	s.update(tenant, workflows.UpdateSyncNow)
	st = s.waitFor(tenant, "second sync applied", func(st workflows.Status) bool {
		return st.Phase == model.PhaseActive && st.LastSync != nil && st.LastSync.RunID != first && st.LastSync.Outcome == string(store.RunApplied)
	})
	require.Equal(t, store.RunManual, st.LastSync.Kind)
	s.requireStoreMatchesTruth(tenant)

	changes, _, err = s.Store.Changes(ctx, tenant, 0, 5000)
	require.NoError(t, err)
	type event struct {
		employee string
		kind     model.ChangeKind
		field    string
	}
	var got []event
	for _, c := range changes {
		require.Equal(t, st.LastSync.RunID, c.RunID)
		got = append(got, event{c.EmployeeID, c.Kind, c.Field})
	}
	want := []event{
		{hired, model.ChangeHired, "lifecycle_status"},
		{leaving, model.ChangeTerminated, "termination_date"},
		{moving, model.ChangeHomeAddress, "home_address"},
		{birthday, model.ChangeBirthday, "birthday"},
		{deleted, model.ChangeRemoved, "employee"},
	}
	sortEvents := func(e []event) {
		slices.SortFunc(e, func(a, b event) int { return cmp.Or(cmp.Compare(a.employee, b.employee), cmp.Compare(a.kind, b.kind)) })
	}
	sortEvents(got)
	sortEvents(want)
	require.Equal(t, want, got)
	for _, c := range changes {
		if c.Kind == model.ChangeTerminated {
			require.Equal(t, terminationDate, c.EffectiveDate)
		}
	}

	s.requireNoLeaks(tenant, user.Token)
	s.recordHistories(tenant, "connection_lifecycle")
}

// employedIDs lists employees currently employed (not leaving, not on leave), in ID order.
func (s *system) employedIDs() []string {
	var out []string
	for _, e := range s.Company.Truth() {
		if model.ClassifyLifecycle(e.LifecycleStatus.Value) == model.StatusEmployed && e.TerminationDate.IsZero() {
			out = append(out, e.ID)
		}
	}
	return out
}

// histories returns every run of the tenant's workflow as `temporal workflow show --output json`
// prints it.
func (s *system) histories(tenant model.TenantKey) map[string][]byte {
	s.t.Helper()
	ctx := context.Background()
	id := workflows.WorkflowID(tenant)
	resp, err := s.Client.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{Query: fmt.Sprintf("WorkflowId = %q", id)})
	require.NoError(s.t, err)
	out := map[string][]byte{}
	for _, exec := range resp.Executions {
		runID := exec.GetExecution().GetRunId()
		iter := s.Client.GetWorkflowHistory(ctx, id, runID, false, 0)
		h := &history.History{}
		for iter.HasNext() {
			ev, err := iter.Next()
			require.NoError(s.t, err)
			h.Events = append(h.Events, ev)
		}
		b, err := protojson.MarshalOptions{Multiline: true, Indent: "  "}.Marshal(h)
		require.NoError(s.t, err)
		out[runID] = b
	}
	require.NotEmpty(s.t, out)
	return out
}

// requireNoLeaks: the token and employees' personal data appear in no workflow history (every
// run, and the CLI's own rendering of the latest), and the token in no log line.
func (s *system) requireNoLeaks(tenant model.TenantKey, token string) {
	s.t.Helper()
	// Payloads are base64 in the JSON; HistoryText decodes them, so the search sees inputs,
	// results, summaries and failures as the workflow wrote them.
	shown, err := s.Dev.Show(context.Background(), workflows.WorkflowID(tenant))
	require.NoError(s.t, err)
	var texts []string
	for _, h := range append([][]byte{shown}, slices.Collect(maps.Values(s.histories(tenant)))...) {
		text, err := devserver.HistoryText(h)
		require.NoError(s.t, err)
		require.Contains(s.t, text, string(tenant), "the decoded history must show the workflow's own inputs")
		texts = append(texts, text)
	}
	var pii []string
	for _, e := range s.Company.Truth() {
		pii = append(pii, e.WorkEmail, e.PersonalEmail, e.FirstName+" "+e.Surname, e.DisplayName, e.HomeAddress.Line1)
	}
	for _, text := range texts {
		require.NotContains(s.t, text, token, "the token is in a workflow history")
		for _, v := range pii {
			if len(v) >= 6 {
				require.NotContains(s.t, text, v, "personal data is in a workflow history")
			}
		}
	}
	logs := s.Logs.String()
	require.NotEmpty(s.t, logs)
	require.NotContains(s.t, logs, token, "the token is in a log line")
	for _, e := range s.Company.Truth() {
		require.NotContains(s.t, logs, e.WorkEmail, "an email is in a log line")
	}
}

// recordHistories writes the tenant's workflow histories to testdata for the replay tests when
// HIBOBSYNC_RECORD_HISTORIES is set; the committed files then guard against non-determinism.
func (s *system) recordHistories(tenant model.TenantKey, name string) {
	if os.Getenv("HIBOBSYNC_RECORD_HISTORIES") == "" {
		return
	}
	type run struct {
		id   string
		json []byte
		at   string
	}
	var runs []run
	for id, b := range s.histories(tenant) {
		var h history.History
		require.NoError(s.t, protojson.Unmarshal(b, &h))
		runs = append(runs, run{id, b, h.Events[0].GetEventTime().AsTime().Format(time.RFC3339Nano)})
	}
	slices.SortFunc(runs, func(a, b run) int { return strings.Compare(a.at, b.at) })
	for i, r := range runs {
		path := filepath.Join("testdata", fmt.Sprintf("%s_%02d.json", name, i+1))
		require.NoError(s.t, os.MkdirAll("testdata", 0o755))
		require.NoError(s.t, os.WriteFile(path, r.json, 0o644))
	}
}
