package workflows

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/suite"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"

	"hibobsync/activities"
	"hibobsync/hibob"
	"hibobsync/model"
	"hibobsync/store"
)

// The unit tests drive the tenant workflow through Temporal's test environment with the
// activities mocked: every phase, every update and its refusals, the review timers (time
// skips), rate-limit waits and continue-as-new. Integration tests run the real thing.
//
// Every test gets its own environment, starting at t0. Activity mocks that need to see their
// inputs record them in a calls[T] together with the (test clock) time they ran.

type WorkflowSuite struct {
	suite.Suite
	testsuite.WorkflowTestSuite
	env    *testsuite.TestWorkflowEnvironment
	a      *activities.Activities
	events *calls[activities.PhaseChange] // every RecordPhase call
	slow   map[model.Phase]bool           // phases whose RecordPhase slowEvent mocks
}

func TestWorkflowSuite(t *testing.T) { suite.Run(t, new(WorkflowSuite)) }

// t0 is when every test's workflow starts.
var t0 = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

func (s *WorkflowSuite) SetupTest() {
	s.env = s.NewTestWorkflowEnvironment()
	s.env.SetStartTime(t0)
	s.a = &activities.Activities{}
	s.env.RegisterActivity(s.a)
	s.events = record[activities.PhaseChange](s)
	s.slow = map[model.Phase]bool{}
	s.env.OnActivity(s.a.RecordPhase, mock.Anything, mock.MatchedBy(func(in activities.PhaseChange) bool { return !s.slow[in.Phase] })).
		Return(s.recordPhase).Maybe()
}

func (s *WorkflowSuite) recordPhase(ctx context.Context, in activities.PhaseChange) error {
	s.events.add(in)
	return nil
}

// slowEvent makes recording the event of a move to phase p take d on the test clock. The
// workflow is already in p meanwhile, which lets a test send updates in that window.
func (s *WorkflowSuite) slowEvent(p model.Phase, d time.Duration) {
	s.slow[p] = true
	s.env.OnActivity(s.a.RecordPhase, mock.Anything, mock.MatchedBy(func(in activities.PhaseChange) bool { return in.Phase == p })).
		After(d).Return(s.recordPhase)
}

func (s *WorkflowSuite) TearDownTest() { s.env.AssertExpectations(s.T()) }

// --- fixtures -----------------------------------------------------------------------------

var passing = activities.AuditResult{Passes: true, Audit: hibob.Audit{Employees: 120, Inactive: 4,
	Coverage: hibob.Coverage{Sampled: 120, Birthday: 118, StartDate: 120, HomeAddress: 97, WorkEmail: 119}}}

var creds1 = activities.CredentialsRef{Tenant: "acme", Version: 1}

func input() TenantInput {
	return TenantInput{Tenant: "acme", Company: "Acme", CredentialVersion: 1}
}

// activeInput continues an approved tenant in phase active whose next sync is due at next
// (zero: the workflow picks now + the interval).
func activeInput(next time.Time) TenantInput {
	in := input()
	in.State = &TenantState{Phase: model.PhaseActive, PhaseSince: t0.Add(-time.Hour), Credentials: 1,
		Approved: true, NextSyncAt: next, Cycle: 4, Events: 9}
	return in
}

// inPhase continues an approved tenant in phase p.
func inPhase(p model.Phase) TenantInput {
	in := activeInput(t0.Add(24 * time.Hour))
	in.State.Phase = p
	return in
}

func unauthorized() error {
	return temporal.NewNonRetryableApplicationError("HiBob answered 401", activities.ErrCredentialsInvalid, nil)
}

func forbidden() error {
	return temporal.NewNonRetryableApplicationError("HiBob answered 403", activities.ErrPermissionsMissing, nil)
}

// --- recording activity calls -------------------------------------------------------------

// calls records the inputs of a mocked activity and the test clock when each ran. Mocked
// activities run on their own goroutines, hence the lock.
type calls[T any] struct {
	now func() time.Time // the test clock (activity.GetInfo's times are the wall clock)
	mu  sync.Mutex
	in  []T
	at  []time.Time
}

// record starts recording an activity's calls on s's test clock.
func record[T any](s *WorkflowSuite) *calls[T] { return &calls[T]{now: s.env.Now} }

func (c *calls[T]) add(in T) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.in = append(c.in, in)
	c.at = append(c.at, c.now().UTC())
}

func (c *calls[T]) inputs() []T {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]T(nil), c.in...)
}

func (c *calls[T]) times() []time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]time.Time(nil), c.at...)
}

func (c *calls[T]) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.in)
}

// phaseEvents are the phases and details of the RecordPhase calls so far.
func (s *WorkflowSuite) phaseEvents() []string {
	var out []string
	for _, e := range s.events.inputs() {
		out = append(out, string(e.Phase)+": "+e.Detail)
	}
	return out
}

// --- updates, query, continue-as-new ------------------------------------------------------

// updateResult is an update's outcome, filled in by the callbacks.
type updateResult struct {
	rejected error
	ack      Ack
	err      error
	done     bool
}

func (s *WorkflowSuite) update(name string, args ...any) *updateResult {
	r := &updateResult{}
	s.env.UpdateWorkflow(name, name+time.Now().String(), &testsuite.TestUpdateCallback{
		OnAccept: func() {},
		OnReject: func(err error) { r.rejected = err; r.done = true },
		OnComplete: func(v any, err error) {
			r.err, r.done = err, true
			if a, ok := v.(Ack); ok {
				r.ack = a
			}
		},
	}, args...)
	return r
}

// accepted asserts an update was accepted and completed without error.
func (s *WorkflowSuite) accepted(r *updateResult, name string) {
	s.Require().NotNil(r, name+": never sent")
	s.True(r.done, name+": no answer")
	s.NoError(r.rejected, name+": refused")
	s.NoError(r.err, name+": failed")
}

// refused asserts the validator refused an update with an error of type kind whose message
// holds every one of parts.
func (s *WorkflowSuite) refused(r *updateResult, kind string, parts ...string) {
	s.Require().NotNil(r, "update never sent")
	s.Require().Error(r.rejected, "want a refusal")
	var appErr *temporal.ApplicationError
	if s.True(errors.As(r.rejected, &appErr), "refusal %v is no application error", r.rejected) {
		s.Equal(kind, appErr.Type())
	}
	for _, p := range parts {
		s.ErrorContains(r.rejected, p)
	}
}

func (s *WorkflowSuite) status() Status {
	v, err := s.env.QueryWorkflow(QueryStatus)
	s.Require().NoError(err)
	var st Status
	s.Require().NoError(v.Get(&st))
	return st
}

// at runs f when the test clock reaches t0+d.
func (s *WorkflowSuite) at(d time.Duration, f func()) { s.env.RegisterDelayedCallback(f, d) }

func continuedState(s *WorkflowSuite) *TenantState {
	err := s.env.GetWorkflowError()
	var can *workflow.ContinueAsNewError
	s.Require().True(errors.As(err, &can), "want continue-as-new, got %v", err)
	var next TenantInput
	s.Require().NoError(converterGet(can, &next))
	s.Equal(model.TenantKey("acme"), next.Tenant, "continue-as-new keeps the tenant")
	return next.State
}

func converterGet(can *workflow.ContinueAsNewError, v any) error {
	return converter.GetDefaultDataConverter().FromPayloads(can.Input, v)
}

// ended asserts the workflow completed without error (disconnected or rejected).
func (s *WorkflowSuite) ended() {
	s.Require().True(s.env.IsWorkflowCompleted())
	s.NoError(s.env.GetWorkflowError())
}

// requestKey is a run's StartRun request key: <FirstRunID>/<cycle>. The test environment
// leaves WorkflowInfo.FirstRunID empty, so the key starts with the slash.
func requestKey(cycle int) string { return fmt.Sprintf("%s/%d", "", cycle) }

// --- sync mocks ---------------------------------------------------------------------------

// mockSync mocks one whole successful sync run: one batch, three history tables, apply.
func (s *WorkflowSuite) mockSync(runID int64, res activities.RunSummary) {
	s.env.OnActivity(s.a.StartRun, mock.Anything, mock.Anything).Return(activities.StartRunResult{RunID: runID}, nil).Once()
	s.env.OnActivity(s.a.ListEmployees, mock.Anything, mock.Anything).Return(activities.ListResult{Employees: 120, Batches: 1}, nil).Once()
	s.env.OnActivity(s.a.FetchEmployees, mock.Anything, mock.Anything).Return(activities.FetchResult{Next: 1, Fetched: 120}, nil).Once()
	s.env.OnActivity(s.a.FetchHistory, mock.Anything, mock.Anything).Return(activities.HistoryResult{Done: true, Seq: 1}, nil).Times(3)
	res.RunID = runID
	s.env.OnActivity(s.a.ApplyRun, mock.Anything, mock.Anything).Return(res, nil).Once()
}

// recordStartRun mocks StartRun to answer runID and record its inputs.
func (s *WorkflowSuite) recordStartRun(runID int64) *calls[activities.StartRunInput] {
	c := record[activities.StartRunInput](s)
	s.env.OnActivity(s.a.StartRun, mock.Anything, mock.Anything).Return(
		func(ctx context.Context, in activities.StartRunInput) (activities.StartRunResult, error) {
			c.add(in)
			return activities.StartRunResult{RunID: runID}, nil
		}).Once()
	return c
}

// historyDone mocks every history table as read in one page.
func (s *WorkflowSuite) historyDone() {
	s.env.OnActivity(s.a.FetchHistory, mock.Anything, mock.Anything).Return(activities.HistoryResult{Done: true, Seq: 1}, nil)
}

// applied is an applied run's summary.
func applied(runID int64) activities.RunSummary {
	return activities.RunSummary{RunID: runID, Status: store.RunApplied, Counts: store.Counts{Fetched: 120, Updated: 3, Unchanged: 117}, Changes: 5}
}

// --- input ------------------------------------------------------------------------------------

func (s *WorkflowSuite) TestInvalidInputWithoutTenantFails() {
	in := input()
	in.Tenant = ""
	s.env.ExecuteWorkflow(TenantWorkflow, in)
	s.Require().True(s.env.IsWorkflowCompleted())
	s.ErrorContains(s.env.GetWorkflowError(), ErrInvalidInput.Error())
	s.ErrorContains(s.env.GetWorkflowError(), "a tenant key and a stored credential version are required")
}

func (s *WorkflowSuite) TestInvalidInputWithoutCredentialVersionFails() {
	in := input()
	in.CredentialVersion = 0
	s.env.ExecuteWorkflow(TenantWorkflow, in)
	s.Require().True(s.env.IsWorkflowCompleted())
	s.ErrorContains(s.env.GetWorkflowError(), ErrInvalidInput.Error())
	s.Zero(s.events.len(), "no phase event for a refused start")
}

// --- the happy path -----------------------------------------------------------------------

func (s *WorkflowSuite) TestHappyPathToFirstSync() {
	s.env.OnActivity(s.a.ValidateCredentials, mock.Anything, creds1).Return(nil).Once()
	s.env.OnActivity(s.a.AuditPermissions, mock.Anything, creds1).Return(passing, nil).Once()
	starts := s.recordStartRun(7)
	s.env.OnActivity(s.a.ListEmployees, mock.Anything, activities.ListInput{Credentials: creds1, RunID: 7}).
		Return(activities.ListResult{Employees: 120, Batches: 1}, nil).Once()
	s.env.OnActivity(s.a.FetchEmployees, mock.Anything, activities.FetchInput{Credentials: creds1, RunID: 7, From: 0, To: 1, Batches: 1}).
		Return(activities.FetchResult{Next: 1, Fetched: 120}, nil).Once()
	for _, table := range model.HistoryTables {
		s.env.OnActivity(s.a.FetchHistory, mock.Anything, activities.HistoryInput{Credentials: creds1, RunID: 7, Table: table}).
			Return(activities.HistoryResult{Done: true, Seq: 1}, nil).Once()
	}
	s.env.OnActivity(s.a.ApplyRun, mock.Anything, activities.ApplyInput{Tenant: "acme", RunID: 7}).
		Return(activities.RunSummary{RunID: 7, Status: store.RunApplied, Baseline: true, Counts: store.Counts{Fetched: 120, Inserted: 120}}, nil).Once()

	var early, approve *updateResult
	s.at(time.Hour, func() {
		st := s.status()
		s.Equal(model.PhaseAwaitingReview, st.Phase)
		s.Equal(120, st.Audit.Audit.Employees)
		s.Equal(t0, st.Review.RequestedAt)
		s.Equal(t0.Add(48*time.Hour), st.Review.ReminderAt)
		s.Equal(t0.Add(72*time.Hour), st.Review.DueAt)
		early = s.update(UpdateSyncNow)
		approve = s.update(UpdateApprove, ApproveRequest{Reviewer: "sam", Note: "looks right"})
	})
	s.env.ExecuteWorkflow(TenantWorkflow, input())

	s.Require().True(s.env.IsWorkflowCompleted())
	s.refused(early, ErrWrongPhase, "awaiting_review")
	s.accepted(approve, "approve")
	s.Equal(Ack{Phase: model.PhaseAwaitingReview, Message: "approved by sam"}, approve.ack)
	s.Equal([]activities.StartRunInput{{Tenant: "acme", Kind: store.RunInitial, AsOf: model.DateOf(t0.Add(time.Hour)),
		RequestKey: requestKey(1)}}, starts.inputs())
	next := continuedState(s)
	s.Equal(model.PhaseActive, next.Phase)
	s.True(next.Approved)
	s.Equal(int64(7), next.LastSync.RunID)
	s.Equal("applied", next.LastSync.Outcome)
	s.True(next.LastSync.Baseline)
	s.Equal(1, next.Cycle)
	s.Equal(t0.Add(time.Hour+DefaultSyncInterval), next.NextSyncAt)
	s.Require().Len(next.Decisions, 1)
	s.Equal(Decision{Approved: true, Reviewer: "sam", Note: "looks right", At: t0.Add(time.Hour), About: "connection"}, next.Decisions[0])
	s.Equal([]string{
		"auditing_permissions: credentials accepted",
		"awaiting_review: awaiting support review of 120 employees",
		"initial_sync: approved by sam",
		"active: run 7 applied: 120 employees, 0 changes",
	}, s.phaseEvents())
	for i, e := range s.events.inputs() {
		s.Equal(model.TenantKey("acme"), e.Tenant)
		s.Equal(fmt.Sprintf("hibob-tenant/acme/%d", i+1), e.Key)
	}
	s.Equal(4, next.Events)
}

func (s *WorkflowSuite) TestHappyPathUpsertsPhaseSearchAttributeInOrder() {
	s.env.OnActivity(s.a.ValidateCredentials, mock.Anything, creds1).Return(nil).Once()
	s.env.OnActivity(s.a.AuditPermissions, mock.Anything, creds1).Return(passing, nil).Once()
	s.mockSync(7, activities.RunSummary{Status: store.RunApplied, Baseline: true, Counts: store.Counts{Fetched: 120, Inserted: 120}})
	var phases []string
	var tenants []string
	s.env.OnUpsertTypedSearchAttributes(mock.Anything).Run(func(args mock.Arguments) {
		sa := args.Get(0).(temporal.SearchAttributes)
		if v, ok := sa.GetKeyword(PhaseKey); ok {
			phases = append(phases, v)
		}
		if v, ok := sa.GetKeyword(TenantKey); ok {
			tenants = append(tenants, v)
		}
	}).Return(nil)
	s.at(time.Hour, func() { s.update(UpdateApprove, ApproveRequest{Reviewer: "sam"}) })
	s.env.ExecuteWorkflow(TenantWorkflow, input())

	continuedState(s)
	s.Equal([]string{"validating_credentials", "auditing_permissions", "awaiting_review", "initial_sync", "active"}, phases)
	s.Equal([]string{"acme"}, tenants, "the tenant is set once, at start")
}

func (s *WorkflowSuite) TestStatusDescriptionShowsReviewPreview() {
	s.env.OnActivity(s.a.ValidateCredentials, mock.Anything, creds1).Return(nil).Once()
	s.env.OnActivity(s.a.AuditPermissions, mock.Anything, creds1).Return(passing, nil).Once()
	s.at(time.Hour, func() {
		st := s.status()
		s.Equal(model.PhaseAwaitingReview, st.Phase)
		s.Equal("Acme", st.Company)
		s.Equal(t0, st.PhaseSince)
		s.Contains(st.Description, "Acme (acme) is awaiting_review since 2026-03-02 09:00 UTC.")
		s.Contains(st.Description, "Support review requested 2026-03-02 09:00 UTC; reminder 2026-03-04 09:00 UTC, due 2026-03-05 09:00 UTC.")
		s.Contains(st.Description, "Preview: 120 employees (4 inactive); of 120 read, 118 have a birthday, 120 a start date, 97 a home address, 119 a work email.")
		s.Nil(st.NextSyncAt)
		s.update(UpdateDisconnect)
	})
	s.env.ExecuteWorkflow(TenantWorkflow, input())
	s.ended()
}

// --- credentials --------------------------------------------------------------------------

func (s *WorkflowSuite) TestInvalidCredentialsThenFixed() {
	s.env.OnActivity(s.a.ValidateCredentials, mock.Anything, creds1).Return(unauthorized()).Once()
	s.env.OnActivity(s.a.ValidateCredentials, mock.Anything, activities.CredentialsRef{Tenant: "acme", Version: 2}).Return(nil).Once()
	s.env.OnActivity(s.a.AuditPermissions, mock.Anything, activities.CredentialsRef{Tenant: "acme", Version: 2}).Return(passing, nil).Once()
	var fix *updateResult
	s.at(time.Hour, func() {
		st := s.status()
		s.Equal(model.PhaseCredentialsInvalid, st.Phase)
		s.Contains(st.LastError, "401")
		s.Contains(st.Description, st.LastError)
		fix = s.update(UpdateCredentials, CredentialsUpdate{Version: 2})
	})
	s.at(2*time.Hour, func() {
		st := s.status()
		s.Equal(model.PhaseAwaitingReview, st.Phase)
		s.Equal(2, st.CredentialVersion)
		s.Empty(st.LastError)
		s.update(UpdateDisconnect)
	})
	s.env.ExecuteWorkflow(TenantWorkflow, input())
	s.ended()
	s.accepted(fix, "update_credentials")
	s.Equal("checking credentials version 2", fix.ack.Message)
	s.Equal([]string{
		"credentials_invalid: HiBob refused the credentials",
		"validating_credentials: checking new credentials (version 2)",
		"auditing_permissions: credentials accepted",
		"awaiting_review: awaiting support review of 120 employees",
		"disconnected: disconnected at the customer's or Gifted's request",
	}, s.phaseEvents())
}

func (s *WorkflowSuite) TestInvalidCredentialsSameVersionResentRevalidates() {
	s.env.OnActivity(s.a.ValidateCredentials, mock.Anything, creds1).Return(unauthorized()).Once()
	s.env.OnActivity(s.a.ValidateCredentials, mock.Anything, creds1).Return(nil).Once()
	s.env.OnActivity(s.a.AuditPermissions, mock.Anything, creds1).Return(passing, nil).Once()
	var resent *updateResult
	s.at(time.Hour, func() {
		s.Equal(model.PhaseCredentialsInvalid, s.status().Phase)
		resent = s.update(UpdateCredentials, CredentialsUpdate{Version: 1})
	})
	s.at(2*time.Hour, func() {
		st := s.status()
		s.Equal(model.PhaseAwaitingReview, st.Phase)
		s.Equal(1, st.CredentialVersion)
		s.update(UpdateDisconnect)
	})
	s.env.ExecuteWorkflow(TenantWorkflow, input())
	s.ended()
	s.accepted(resent, "update_credentials")
	s.Equal("checking credentials version 1", resent.ack.Message)
	s.env.AssertActivityNumberOfCalls(s.T(), "ValidateCredentials", 2)
}

func (s *WorkflowSuite) TestUnusableStoredCredentialsParkInCredentialsInvalid() {
	s.env.OnActivity(s.a.ValidateCredentials, mock.Anything, creds1).
		Return(temporal.NewNonRetryableApplicationError("no credentials stored for version 1", activities.ErrInvalidConfiguration, nil)).Once()
	var bad *updateResult
	s.at(time.Hour, func() {
		st := s.status()
		s.Equal(model.PhaseCredentialsInvalid, st.Phase)
		s.Equal("The stored credentials cannot be used: no credentials stored for version 1. Enter the credentials again.", st.LastError)
		bad = s.update(UpdateCredentials, CredentialsUpdate{Version: 0})
		s.update(UpdateDisconnect)
	})
	s.env.ExecuteWorkflow(TenantWorkflow, input())
	s.ended()
	s.refused(bad, ErrInvalidRequest, "positive number")
}

func (s *WorkflowSuite) TestNewCredentialsWhileActiveRevalidateWithoutNewReview() {
	creds2 := activities.CredentialsRef{Tenant: "acme", Version: 2}
	s.env.OnActivity(s.a.ValidateCredentials, mock.Anything, creds2).Return(nil).Once()
	s.env.OnActivity(s.a.AuditPermissions, mock.Anything, creds2).Return(passing, nil).Once()
	var same, fresh *updateResult
	s.at(time.Hour, func() {
		same = s.update(UpdateCredentials, CredentialsUpdate{Version: 1})
		fresh = s.update(UpdateCredentials, CredentialsUpdate{Version: 2})
	})
	s.at(2*time.Hour, func() {
		st := s.status()
		s.Equal(model.PhaseActive, st.Phase)
		s.Equal(2, st.CredentialVersion)
		s.Nil(st.Review, "an approved tenant is not reviewed again")
		s.Require().NotNil(st.NextSyncAt)
		s.Equal(t0.Add(24*time.Hour), *st.NextSyncAt, "the sync schedule is kept")
		s.update(UpdateDisconnect)
	})
	s.env.ExecuteWorkflow(TenantWorkflow, activeInput(t0.Add(24*time.Hour)))
	s.ended()
	s.accepted(same, "update_credentials (same version)")
	s.Equal("already using credentials version 1", same.ack.Message)
	s.accepted(fresh, "update_credentials")
	s.Equal([]string{
		"validating_credentials: checking new credentials (version 2)",
		"auditing_permissions: credentials accepted",
		"active: permissions confirmed; syncing resumes",
		"disconnected: disconnected at the customer's or Gifted's request",
	}, s.phaseEvents())
	s.env.AssertActivityNotCalled(s.T(), "StartRun", mock.Anything, mock.Anything)
}

func (s *WorkflowSuite) TestTransientValidationFailureRetriesAfterFifteenMinutes() {
	s.env.OnActivity(s.a.ValidateCredentials, mock.Anything, creds1).
		Return(temporal.NewNonRetryableApplicationError("HiBob answered 503", "Unavailable", nil)).Once()
	validated := record[activities.CredentialsRef](s)
	s.env.OnActivity(s.a.ValidateCredentials, mock.Anything, creds1).Return(
		func(ctx context.Context, in activities.CredentialsRef) error { validated.add(in); return nil }).Once()
	s.env.OnActivity(s.a.AuditPermissions, mock.Anything, creds1).Return(passing, nil).Once()
	s.at(time.Minute, func() {
		st := s.status()
		s.Equal(model.PhaseValidatingCredentials, st.Phase)
		s.Equal("Something went wrong checking the credentials: HiBob answered 503. Trying again in 15 minutes.", st.LastError)
	})
	s.at(time.Hour, func() {
		s.Equal(model.PhaseAwaitingReview, s.status().Phase)
		s.update(UpdateDisconnect)
	})
	s.env.ExecuteWorkflow(TenantWorkflow, input())
	s.ended()
	s.Equal([]time.Time{t0.Add(15 * time.Minute)}, validated.times())
}

// --- permissions --------------------------------------------------------------------------

var missingPersonal = activities.AuditResult{Passes: false, Missing: []model.Permission{model.PermPersonal},
	Audit: hibob.Audit{Employees: 120}}

func (s *WorkflowSuite) TestPermissionsMissingReauditedEverySixHours() {
	s.env.OnActivity(s.a.ValidateCredentials, mock.Anything, creds1).Return(nil).Once()
	audits := record[activities.CredentialsRef](s)
	results := []activities.AuditResult{missingPersonal, missingPersonal, passing}
	s.env.OnActivity(s.a.AuditPermissions, mock.Anything, creds1).Return(
		func(ctx context.Context, in activities.CredentialsRef) (activities.AuditResult, error) {
			audits.add(in)
			return results[audits.len()-1], nil
		}).Times(3)
	s.at(time.Hour, func() {
		st := s.status()
		s.Equal(model.PhasePermissionsMissing, st.Phase)
		s.Contains(st.LastError, "lacks these permissions: Personal.")
		s.Contains(st.LastError, "every 6 hours")
		s.Require().NotNil(st.Audit)
		s.False(st.Audit.Passes)
		s.Equal([]model.Permission{model.PermPersonal}, st.Audit.Missing)
	})
	s.at(13*time.Hour, func() {
		st := s.status()
		s.Equal(model.PhaseAwaitingReview, st.Phase)
		s.Empty(st.LastError)
		s.Equal(t0.Add(12*time.Hour), st.Review.RequestedAt, "the review clock starts when the audit passes")
		s.update(UpdateDisconnect)
	})
	s.env.ExecuteWorkflow(TenantWorkflow, input())
	s.ended()
	s.Equal([]time.Time{t0, t0.Add(6 * time.Hour), t0.Add(12 * time.Hour)}, audits.times())
	s.Equal([]string{
		"auditing_permissions: credentials accepted",
		"permissions_missing: permissions missing: Personal",
		"auditing_permissions: re-checking permissions",
		"permissions_missing: permissions missing: Personal",
		"auditing_permissions: re-checking permissions",
		"awaiting_review: awaiting support review of 120 employees",
		"disconnected: disconnected at the customer's or Gifted's request",
	}, s.phaseEvents())
}

func (s *WorkflowSuite) TestPermissionsMissingRecheckOnRequestReauditsAtOnce() {
	s.env.OnActivity(s.a.ValidateCredentials, mock.Anything, creds1).Return(nil).Once()
	audits := record[activities.CredentialsRef](s)
	results := []activities.AuditResult{missingPersonal, passing}
	s.env.OnActivity(s.a.AuditPermissions, mock.Anything, creds1).Return(
		func(ctx context.Context, in activities.CredentialsRef) (activities.AuditResult, error) {
			audits.add(in)
			return results[audits.len()-1], nil
		}).Times(2)
	var recheck, again *updateResult
	s.at(2*time.Hour, func() {
		s.Equal(model.PhasePermissionsMissing, s.status().Phase)
		recheck = s.update(UpdateRecheckPermissions)
	})
	s.at(3*time.Hour, func() {
		s.Equal(model.PhaseAwaitingReview, s.status().Phase)
		again = s.update(UpdateRecheckPermissions)
		s.update(UpdateDisconnect)
	})
	s.env.ExecuteWorkflow(TenantWorkflow, input())
	s.ended()
	s.accepted(recheck, "recheck_permissions")
	s.Equal("re-checking the permissions now", recheck.ack.Message)
	s.Equal([]time.Time{t0, t0.Add(2 * time.Hour)}, audits.times())
	s.refused(again, ErrWrongPhase, "cannot re-check permissions tenant acme: it is awaiting_review (only when permissions_missing)")
}

func (s *WorkflowSuite) TestRecheckPermissionsRefusedWhileActive() {
	var r *updateResult
	s.at(time.Hour, func() {
		r = s.update(UpdateRecheckPermissions)
		s.update(UpdateDisconnect)
	})
	s.env.ExecuteWorkflow(TenantWorkflow, activeInput(t0.Add(24*time.Hour)))
	s.ended()
	s.refused(r, ErrWrongPhase, "it is active")
	s.env.AssertActivityNotCalled(s.T(), "AuditPermissions", mock.Anything, mock.Anything)
}

func (s *WorkflowSuite) TestUnauthorizedDuringAuditMovesToCredentialsInvalid() {
	s.env.OnActivity(s.a.ValidateCredentials, mock.Anything, creds1).Return(nil).Once()
	s.env.OnActivity(s.a.AuditPermissions, mock.Anything, creds1).Return(activities.AuditResult{}, unauthorized()).Once()
	s.at(time.Hour, func() {
		st := s.status()
		s.Equal(model.PhaseCredentialsInvalid, st.Phase)
		s.Contains(st.LastError, "(401) during the permission audit")
		s.update(UpdateDisconnect)
	})
	s.env.ExecuteWorkflow(TenantWorkflow, input())
	s.ended()
}

// --- review -------------------------------------------------------------------------------

func (s *WorkflowSuite) TestReviewReminderAndBreach() {
	s.env.OnActivity(s.a.ValidateCredentials, mock.Anything, creds1).Return(nil).Once()
	s.env.OnActivity(s.a.AuditPermissions, mock.Anything, creds1).Return(passing, nil).Once()
	var noReason, noReviewer, reject *updateResult
	s.at(47*time.Hour, func() {
		st := s.status()
		s.False(st.Review.ReminderSent)
		s.Equal(2, s.events.len())
	})
	s.at(49*time.Hour, func() {
		st := s.status()
		s.True(st.Review.ReminderSent)
		s.False(st.Review.Breached)
		s.Contains(st.Description, "Waiting for more than 48 hours.")
	})
	s.at(73*time.Hour, func() {
		st := s.status()
		s.True(st.Review.Breached)
		s.Contains(st.Description, "The 72-hour review SLA is BREACHED.")
		noReason = s.update(UpdateReject, RejectRequest{Reviewer: "sam"})
		noReviewer = s.update(UpdateReject, RejectRequest{Reason: "wrong company"})
		reject = s.update(UpdateReject, RejectRequest{Reviewer: "sam", Reason: "wrong company"})
	})
	s.env.ExecuteWorkflow(TenantWorkflow, input())
	s.ended()
	s.refused(noReason, ErrInvalidRequest, "reject needs a reason the customer can act on")
	s.refused(noReviewer, ErrInvalidRequest, "reject needs the reviewer's name")
	s.accepted(reject, "reject")
	s.Equal("rejected by sam", reject.ack.Message)

	events := s.events.inputs()
	s.Require().Len(events, 5)
	s.Equal(activities.PhaseChange{Tenant: "acme", Phase: model.PhaseAwaitingReview,
		Detail: "review reminder: awaiting support review for 48 hours", Key: "hibob-tenant/acme/3"}, events[2])
	s.Equal(activities.PhaseChange{Tenant: "acme", Phase: model.PhaseAwaitingReview,
		Detail: "review SLA breached: awaiting support review for 72 hours", Key: "hibob-tenant/acme/4"}, events[3])
	s.Equal(activities.PhaseChange{Tenant: "acme", Phase: model.PhaseRejected, Detail: "rejected by sam", Key: "hibob-tenant/acme/5"}, events[4])
	times := s.events.times()
	s.Equal(t0.Add(48*time.Hour), times[2])
	s.Equal(t0.Add(72*time.Hour), times[3])
}

func (s *WorkflowSuite) TestRejectEndsTheConnection() {
	s.env.OnActivity(s.a.ValidateCredentials, mock.Anything, creds1).Return(nil).Once()
	s.env.OnActivity(s.a.AuditPermissions, mock.Anything, creds1).Return(passing, nil).Once()
	var reject *updateResult
	s.at(time.Hour, func() {
		reject = s.update(UpdateReject, RejectRequest{Reviewer: "sam", Reason: "not our customer"})
	})
	s.env.ExecuteWorkflow(TenantWorkflow, input())
	s.ended()
	s.accepted(reject, "reject")
	s.Equal([]string{
		"auditing_permissions: credentials accepted",
		"awaiting_review: awaiting support review of 120 employees",
		"rejected: rejected by sam",
	}, s.phaseEvents())
	s.env.AssertActivityNotCalled(s.T(), "StartRun", mock.Anything, mock.Anything)
}

func (s *WorkflowSuite) TestApproveNeedsReviewer() {
	s.env.OnActivity(s.a.ValidateCredentials, mock.Anything, creds1).Return(nil).Once()
	s.env.OnActivity(s.a.AuditPermissions, mock.Anything, creds1).Return(passing, nil).Once()
	var r *updateResult
	s.at(time.Hour, func() {
		r = s.update(UpdateApprove, ApproveRequest{Reviewer: "  ", Note: "fine"})
	})
	s.at(2*time.Hour, func() {
		s.Equal(model.PhaseAwaitingReview, s.status().Phase)
		s.update(UpdateDisconnect)
	})
	s.env.ExecuteWorkflow(TenantWorkflow, input())
	s.ended()
	s.refused(r, ErrInvalidRequest, "approve needs the reviewer's name")
}

func (s *WorkflowSuite) TestApproveRefusedWhileCredentialsInvalid() {
	s.env.OnActivity(s.a.ValidateCredentials, mock.Anything, creds1).Return(unauthorized()).Once()
	var approve, reject *updateResult
	s.at(time.Hour, func() {
		approve = s.update(UpdateApprove, ApproveRequest{Reviewer: "sam"})
		reject = s.update(UpdateReject, RejectRequest{Reviewer: "sam", Reason: "no"})
		s.update(UpdateDisconnect)
	})
	s.env.ExecuteWorkflow(TenantWorkflow, input())
	s.ended()
	s.refused(approve, ErrWrongPhase, "cannot approve tenant acme: it is credentials_invalid, and nothing awaits review")
	s.refused(reject, ErrWrongPhase, "cannot reject tenant acme: it is credentials_invalid")
}

func (s *WorkflowSuite) TestApproveRefusedWhileActive() {
	var approve *updateResult
	s.at(time.Hour, func() {
		approve = s.update(UpdateApprove, ApproveRequest{Reviewer: "sam"})
		s.update(UpdateDisconnect)
	})
	s.env.ExecuteWorkflow(TenantWorkflow, activeInput(t0.Add(24*time.Hour)))
	s.ended()
	s.refused(approve, ErrWrongPhase, "cannot approve tenant acme: it is active, and nothing awaits review")
}

func (s *WorkflowSuite) TestSecondApproveWhileOneIsPendingRefused() {
	s.env.OnActivity(s.a.ValidateCredentials, mock.Anything, creds1).Return(nil).Once()
	s.env.OnActivity(s.a.AuditPermissions, mock.Anything, creds1).Return(passing, nil).Once()
	s.mockSync(7, applied(7))
	// The workflow enters awaiting_review, then records the event for two hours: sam's
	// approval is accepted meanwhile and waits for the main loop to carry it out.
	s.slowEvent(model.PhaseAwaitingReview, 2*time.Hour)
	var first, second, reject *updateResult
	s.at(time.Hour, func() {
		s.Equal(model.PhaseAwaitingReview, s.status().Phase)
		first = s.update(UpdateApprove, ApproveRequest{Reviewer: "sam"})
		second = s.update(UpdateApprove, ApproveRequest{Reviewer: "kim"})
		reject = s.update(UpdateReject, RejectRequest{Reviewer: "kim", Reason: "no"})
	})
	s.env.ExecuteWorkflow(TenantWorkflow, input())
	s.accepted(first, "first approve")
	s.refused(second, ErrWrongPhase, "a decision by sam is already being carried out")
	s.refused(reject, ErrWrongPhase, "a decision by sam is already being carried out")
	next := continuedState(s)
	s.Require().Len(next.Decisions, 1)
	s.Equal("sam", next.Decisions[0].Reviewer)
}

// --- sync cycles --------------------------------------------------------------------------

func (s *WorkflowSuite) TestPeriodicSyncAfterDefaultInterval() {
	starts := s.recordStartRun(11)
	s.env.OnActivity(s.a.ListEmployees, mock.Anything, activities.ListInput{Credentials: creds1, RunID: 11}).
		Return(activities.ListResult{Employees: 120, Batches: 1}, nil).Once()
	s.env.OnActivity(s.a.FetchEmployees, mock.Anything, mock.Anything).Return(activities.FetchResult{Next: 1, Fetched: 120}, nil).Once()
	s.historyDone()
	s.env.OnActivity(s.a.ApplyRun, mock.Anything, activities.ApplyInput{Tenant: "acme", RunID: 11}).Return(applied(11), nil).Once()
	s.at(23*time.Hour, func() {
		st := s.status()
		s.Equal(model.PhaseActive, st.Phase)
		s.Require().NotNil(st.NextSyncAt)
		s.Equal(t0.Add(24*time.Hour), *st.NextSyncAt)
		s.Contains(st.Description, "Next sync 2026-03-03 09:00 UTC.")
		s.Zero(starts.len())
	})
	s.env.ExecuteWorkflow(TenantWorkflow, activeInput(time.Time{}))

	due := t0.Add(24 * time.Hour)
	s.Equal([]activities.StartRunInput{{Tenant: "acme", Kind: store.RunScheduled, AsOf: model.DateOf(due), RequestKey: requestKey(5)}}, starts.inputs())
	s.Equal([]time.Time{due}, starts.times())
	next := continuedState(s)
	s.Equal(model.PhaseActive, next.Phase)
	s.Equal(5, next.Cycle)
	s.Equal(&SyncReport{RunID: 11, Kind: store.RunScheduled, StartedAt: due, FinishedAt: due, Outcome: "applied",
		Counts: store.Counts{Fetched: 120, Updated: 3, Unchanged: 117}, Changes: 5}, next.LastSync)
	s.Equal(due.Add(DefaultSyncInterval), next.NextSyncAt)
	s.True(next.SyncStartedAt.IsZero())
	s.Empty(s.phaseEvents(), "active to active is no phase change")
}

func (s *WorkflowSuite) TestPeriodicSyncAfterCustomInterval() {
	starts := s.recordStartRun(12)
	s.mockFetchOneBatch()
	s.env.OnActivity(s.a.ApplyRun, mock.Anything, mock.Anything).Return(applied(12), nil).Once()
	in := activeInput(time.Time{})
	in.SyncInterval = 6 * time.Hour
	s.env.ExecuteWorkflow(TenantWorkflow, in)

	due := t0.Add(6 * time.Hour)
	s.Equal([]time.Time{due}, starts.times())
	s.Equal(store.RunScheduled, starts.inputs()[0].Kind)
	next := continuedState(s)
	s.Equal(due.Add(6*time.Hour), next.NextSyncAt)
	var can *workflow.ContinueAsNewError
	s.Require().True(errors.As(s.env.GetWorkflowError(), &can))
	var carried TenantInput
	s.Require().NoError(converterGet(can, &carried))
	s.Equal(6*time.Hour, carried.SyncInterval, "the interval survives continue-as-new")
}

// mockFetchOneBatch mocks a run's reading: one batch, history in one page per table.
func (s *WorkflowSuite) mockFetchOneBatch() {
	s.env.OnActivity(s.a.ListEmployees, mock.Anything, mock.Anything).Return(activities.ListResult{Employees: 120, Batches: 1}, nil)
	s.env.OnActivity(s.a.FetchEmployees, mock.Anything, mock.Anything).Return(activities.FetchResult{Next: 1, Fetched: 120}, nil)
	s.historyDone()
}

func (s *WorkflowSuite) TestSyncNowStartsManualRunAtOnce() {
	starts := s.recordStartRun(13)
	s.mockFetchOneBatch()
	s.env.OnActivity(s.a.ApplyRun, mock.Anything, activities.ApplyInput{Tenant: "acme", RunID: 13}).Return(applied(13), nil).Once()
	var now, twice *updateResult
	s.at(2*time.Hour, func() {
		now = s.update(UpdateSyncNow)
		twice = s.update(UpdateSyncNow)
	})
	s.env.ExecuteWorkflow(TenantWorkflow, activeInput(t0.Add(20*time.Hour)))

	s.accepted(now, "sync_now")
	s.Equal(Ack{Phase: model.PhaseActive, Message: "a sync starts now"}, now.ack)
	s.refused(twice, ErrWrongPhase, "a sync is already running or about to start")
	at := t0.Add(2 * time.Hour)
	s.Equal([]activities.StartRunInput{{Tenant: "acme", Kind: store.RunManual, AsOf: model.DateOf(at), RequestKey: requestKey(5)}}, starts.inputs())
	s.Equal([]time.Time{at}, starts.times())
	next := continuedState(s)
	s.Equal(5, next.Cycle)
	s.Equal(store.RunManual, next.LastSync.Kind)
	s.Equal(at.Add(DefaultSyncInterval), next.NextSyncAt, "a manual sync restarts the interval")
	s.False(next.Pending.SyncNow)
}

func (s *WorkflowSuite) TestSyncNowRefusedWhileSyncRunning() {
	s.env.OnActivity(s.a.StartRun, mock.Anything, mock.Anything).Return(activities.StartRunResult{RunID: 14}, nil).Once()
	s.env.OnActivity(s.a.ListEmployees, mock.Anything, mock.Anything).Return(activities.ListResult{Batches: 1}, nil).Once()
	// The batch is rate limited for an hour: the sync is running meanwhile.
	s.env.OnActivity(s.a.FetchEmployees, mock.Anything, mock.Anything).Return(activities.FetchResult{Next: 0, ResumeAt: t0.Add(25 * time.Hour)}, nil).Once()
	s.env.OnActivity(s.a.FetchEmployees, mock.Anything, mock.Anything).Return(activities.FetchResult{Next: 1}, nil).Once()
	s.historyDone()
	s.env.OnActivity(s.a.ApplyRun, mock.Anything, mock.Anything).Return(applied(14), nil).Once()
	var r *updateResult
	s.at(24*time.Hour+30*time.Minute, func() {
		st := s.status()
		s.Require().NotNil(st.SyncingSince)
		s.Equal(t0.Add(24*time.Hour), *st.SyncingSince)
		s.Contains(st.Description, "A sync is running since 2026-03-03 09:00 UTC.")
		r = s.update(UpdateSyncNow)
	})
	s.env.ExecuteWorkflow(TenantWorkflow, activeInput(t0.Add(24*time.Hour)))
	continuedState(s)
	s.refused(r, ErrWrongPhase, "a sync is already running")
}

// --- rate limits and batching ---------------------------------------------------------------

func (s *WorkflowSuite) TestListEmployeesRateLimitWaitsUntilReset() {
	s.env.OnActivity(s.a.StartRun, mock.Anything, mock.Anything).Return(activities.StartRunResult{RunID: 21}, nil).Once()
	due := t0.Add(24 * time.Hour)
	lists := record[activities.ListInput](s)
	answers := []activities.ListResult{{ResumeAt: due.Add(30 * time.Second)}, {Employees: 120, Batches: 1}}
	s.env.OnActivity(s.a.ListEmployees, mock.Anything, mock.Anything).Return(
		func(ctx context.Context, in activities.ListInput) (activities.ListResult, error) {
			lists.add(in)
			n := lists.len()
			if n > len(answers) {
				return activities.ListResult{}, temporal.NewNonRetryableApplicationError("listed too often", "TestListedTooOften", nil)
			}
			return answers[n-1], nil
		})
	s.env.OnActivity(s.a.FetchEmployees, mock.Anything, mock.Anything).Return(activities.FetchResult{Next: 1, Fetched: 120}, nil).Once()
	s.historyDone()
	s.env.OnActivity(s.a.ApplyRun, mock.Anything, mock.Anything).Return(applied(21), nil).Once()
	s.env.ExecuteWorkflow(TenantWorkflow, activeInput(due))

	in := activities.ListInput{Credentials: creds1, RunID: 21}
	s.Equal([]activities.ListInput{in, in}, lists.inputs(), "listed again once the limit reset, and only once")
	s.Equal([]time.Time{due, due.Add(30 * time.Second)}, lists.times())
	next := continuedState(s)
	s.Equal(model.PhaseActive, next.Phase)
}

func (s *WorkflowSuite) TestFetchEmployeesRateLimitWaitsAndResumesFromNext() {
	s.env.OnActivity(s.a.StartRun, mock.Anything, mock.Anything).Return(activities.StartRunResult{RunID: 22}, nil).Once()
	s.env.OnActivity(s.a.ListEmployees, mock.Anything, mock.Anything).Return(activities.ListResult{Employees: 300, Batches: 2}, nil).Once()
	due := t0.Add(24 * time.Hour)
	fetches := record[activities.FetchInput](s)
	answers := []activities.FetchResult{{Next: 1, Fetched: 200, ResumeAt: due.Add(40 * time.Second)}, {Next: 2, Fetched: 100}}
	s.env.OnActivity(s.a.FetchEmployees, mock.Anything, mock.Anything).Return(
		func(ctx context.Context, in activities.FetchInput) (activities.FetchResult, error) {
			fetches.add(in)
			return answers[fetches.len()-1], nil
		}).Times(2)
	s.historyDone()
	s.env.OnActivity(s.a.ApplyRun, mock.Anything, mock.Anything).Return(applied(22), nil).Once()
	s.env.ExecuteWorkflow(TenantWorkflow, activeInput(due))

	s.Equal([]activities.FetchInput{
		{Credentials: creds1, RunID: 22, From: 0, To: 2, Batches: 2},
		{Credentials: creds1, RunID: 22, From: 1, To: 2, Batches: 2},
	}, fetches.inputs())
	s.Equal([]time.Time{due, due.Add(40 * time.Second)}, fetches.times())
	next := continuedState(s)
	s.Equal(model.PhaseActive, next.Phase)
	s.Equal(due.Add(40*time.Second), next.LastSync.FinishedAt)
}

func (s *WorkflowSuite) TestFetchHistoryRateLimitWaitsAndCarriesCursor() {
	s.env.OnActivity(s.a.StartRun, mock.Anything, mock.Anything).Return(activities.StartRunResult{RunID: 23}, nil).Once()
	s.env.OnActivity(s.a.ListEmployees, mock.Anything, mock.Anything).Return(activities.ListResult{Employees: 120, Batches: 1}, nil).Once()
	s.env.OnActivity(s.a.FetchEmployees, mock.Anything, mock.Anything).Return(activities.FetchResult{Next: 1, Fetched: 120}, nil).Once()
	due := t0.Add(24 * time.Hour)
	work := record[activities.HistoryInput](s)
	s.env.OnActivity(s.a.FetchHistory, mock.Anything, mock.MatchedBy(func(in activities.HistoryInput) bool { return in.Table == model.Work })).Return(
		func(ctx context.Context, in activities.HistoryInput) (activities.HistoryResult, error) {
			work.add(in)
			switch work.len() {
			case 1:
				return activities.HistoryResult{Cursor: "c-1", Seq: 1, Rows: 500}, nil
			case 2:
				return activities.HistoryResult{Cursor: "c-2", Seq: 2, Rows: 500, ResumeAt: due.Add(40 * time.Second)}, nil
			default:
				return activities.HistoryResult{Seq: 3, Rows: 20, Done: true}, nil
			}
		}).Times(3)
	s.env.OnActivity(s.a.FetchHistory, mock.Anything, mock.MatchedBy(func(in activities.HistoryInput) bool { return in.Table != model.Work })).
		Return(activities.HistoryResult{Done: true, Seq: 1}, nil).Times(2)
	s.env.OnActivity(s.a.ApplyRun, mock.Anything, mock.Anything).Return(applied(23), nil).Once()
	s.env.ExecuteWorkflow(TenantWorkflow, activeInput(due))

	first := activities.HistoryInput{Credentials: creds1, RunID: 23, Table: model.Work}
	second, third := first, first
	second.Cursor, second.Seq = "c-1", 1
	third.Cursor, third.Seq = "c-2", 2
	s.Equal([]activities.HistoryInput{first, second, third}, work.inputs())
	s.Equal([]time.Time{due, due, due.Add(40 * time.Second)}, work.times())
	s.Equal(model.PhaseActive, continuedState(s).Phase)
}

func (s *WorkflowSuite) TestFetchSplitsBatchesIntoChunks() {
	s.env.OnActivity(s.a.StartRun, mock.Anything, mock.Anything).Return(activities.StartRunResult{RunID: 24}, nil).Once()
	s.env.OnActivity(s.a.ListEmployees, mock.Anything, mock.Anything).Return(activities.ListResult{Employees: 119950, Batches: 600}, nil).Once()
	fetches := record[activities.FetchInput](s)
	s.env.OnActivity(s.a.FetchEmployees, mock.Anything, mock.Anything).Return(
		func(ctx context.Context, in activities.FetchInput) (activities.FetchResult, error) {
			fetches.add(in)
			return activities.FetchResult{Next: in.To, Fetched: 200 * (in.To - in.From)}, nil
		}).Times(3)
	s.historyDone()
	s.env.OnActivity(s.a.ApplyRun, mock.Anything, mock.Anything).Return(applied(24), nil).Once()
	s.env.ExecuteWorkflow(TenantWorkflow, activeInput(t0.Add(time.Hour)))

	s.Equal([]activities.FetchInput{
		{Credentials: creds1, RunID: 24, From: 0, To: fetchChunk, Batches: 600},
		{Credentials: creds1, RunID: 24, From: fetchChunk, To: 2 * fetchChunk, Batches: 600},
		{Credentials: creds1, RunID: 24, From: 2 * fetchChunk, To: 600, Batches: 600},
	}, fetches.inputs())
	continuedState(s)
}

// --- the false-delete guard ---------------------------------------------------------------

var tripped = activities.RunSummary{RunID: 31, Status: store.RunGuardTripped, Counts: store.Counts{Fetched: 70, Unchanged: 70},
	Guard: &store.Guard{WouldRemove: 30, Of: 100, Allowed: 10}}

func (s *WorkflowSuite) TestGuardTrippedPutsRemovalsOnHold() {
	s.env.OnActivity(s.a.StartRun, mock.Anything, mock.Anything).Return(activities.StartRunResult{RunID: 31}, nil).Once()
	s.mockFetchOneBatch()
	s.env.OnActivity(s.a.ApplyRun, mock.Anything, activities.ApplyInput{Tenant: "acme", RunID: 31}).Return(tripped, nil).Once()
	due := t0.Add(time.Hour)
	s.env.ExecuteWorkflow(TenantWorkflow, activeInput(due))

	next := continuedState(s)
	s.Equal(model.PhaseRemovalsOnHold, next.Phase)
	s.Equal(&Hold{RunID: 31, WouldRemove: 30, Of: 100, Allowed: 10, Since: due}, next.Hold)
	s.Equal("guard_tripped", next.LastSync.Outcome)
	s.Equal([]string{"removals_on_hold: run 31 would remove 30 of 100 employees: held for support"}, s.phaseEvents())
	s.env.AssertActivityNotCalled(s.T(), "ResolveGuard", mock.Anything, mock.Anything)
}

// heldInput continues a tenant whose run 31 tripped the guard.
func heldInput() TenantInput {
	in := inPhase(model.PhaseRemovalsOnHold)
	in.State.Hold = &Hold{RunID: 31, WouldRemove: 30, Of: 100, Allowed: 10, Since: t0.Add(-time.Hour)}
	in.State.LastSync = &SyncReport{RunID: 31, Kind: store.RunScheduled, Outcome: "guard_tripped", Counts: tripped.Counts}
	return in
}

func (s *WorkflowSuite) TestHeldRemovalsApprovedAreRemoved() {
	resolved := activities.RunSummary{RunID: 31, Status: store.RunApplied, Counts: store.Counts{Fetched: 70, Unchanged: 70, Removed: 30}, Changes: 30}
	s.env.OnActivity(s.a.ResolveGuard, mock.Anything, activities.ResolveGuardInput{Tenant: "acme", RunID: 31, Remove: true}).Return(resolved, nil).Once()
	var syncNow, approve *updateResult
	s.at(time.Hour, func() {
		st := s.status()
		s.Equal(model.PhaseRemovalsOnHold, st.Phase)
		s.Require().NotNil(st.Hold)
		s.Equal(30, st.Hold.WouldRemove)
		s.Contains(st.Description, "Run 31 would remove 30 of 100 employees (at most 10 go without review): approve to remove them, reject to keep them.")
		syncNow = s.update(UpdateSyncNow)
		approve = s.update(UpdateApprove, ApproveRequest{Reviewer: "sam", Note: "they left"})
	})
	s.at(2*time.Hour, func() {
		st := s.status()
		s.Equal(model.PhaseActive, st.Phase)
		s.Nil(st.Hold)
		s.Equal(30, st.LastSync.Counts.Removed)
		s.Equal(30, st.LastSync.Changes)
		s.Equal("removals of run 31", st.Decisions[0].About)
		s.update(UpdateDisconnect)
	})
	s.env.ExecuteWorkflow(TenantWorkflow, heldInput())
	s.ended()
	s.refused(syncNow, ErrWrongPhase, "removals_on_hold")
	s.accepted(approve, "approve")
	s.Equal([]string{
		"active: sam decided the held employees are removed",
		"disconnected: disconnected at the customer's or Gifted's request",
	}, s.phaseEvents())
}

func (s *WorkflowSuite) TestHeldRemovalsRejectedAreKept() {
	s.env.OnActivity(s.a.ResolveGuard, mock.Anything, activities.ResolveGuardInput{Tenant: "acme", RunID: 31, Remove: false}).
		Return(activities.RunSummary{RunID: 31, Status: store.RunApplied, Counts: tripped.Counts}, nil).Once()
	var reject *updateResult
	s.at(time.Hour, func() {
		reject = s.update(UpdateReject, RejectRequest{Reviewer: "sam", Reason: "HiBob outage hides them"})
	})
	s.at(2*time.Hour, func() {
		st := s.status()
		s.Equal(model.PhaseActive, st.Phase)
		s.Nil(st.Hold)
		s.Equal(Decision{Approved: false, Reviewer: "sam", Note: "HiBob outage hides them", At: t0.Add(time.Hour), About: "removals of run 31"}, st.Decisions[0])
		s.update(UpdateDisconnect)
	})
	s.env.ExecuteWorkflow(TenantWorkflow, heldInput())
	s.ended()
	s.accepted(reject, "reject")
	s.Equal("active: sam decided the held employees are kept", s.phaseEvents()[0])
}

func (s *WorkflowSuite) TestHeldRemovalsStaleKeepsEveryoneAndSaysSo() {
	s.env.OnActivity(s.a.ResolveGuard, mock.Anything, mock.Anything).
		Return(activities.RunSummary{}, temporal.NewNonRetryableApplicationError("the held list is stale", "GuardStale", nil)).Once()
	s.at(time.Hour, func() { s.update(UpdateApprove, ApproveRequest{Reviewer: "sam"}) })
	s.at(2*time.Hour, func() {
		st := s.status()
		s.Equal(model.PhaseActive, st.Phase)
		s.Nil(st.Hold)
		s.Equal("The held removals could not be carried out: the held list is stale. The next sync will check again.", st.LastError)
		s.update(UpdateDisconnect)
	})
	s.env.ExecuteWorkflow(TenantWorkflow, heldInput())
	s.ended()
}

// --- failing syncs --------------------------------------------------------------------------

func (s *WorkflowSuite) TestSyncFailureMovesToSyncFailingAndFailsTheRun() {
	s.env.OnActivity(s.a.StartRun, mock.Anything, mock.Anything).Return(activities.StartRunResult{RunID: 41}, nil).Once()
	s.mockFetchOneBatch()
	// A retryable error: the store policy's ten attempts run out (time skips the backoff).
	s.env.OnActivity(s.a.ApplyRun, mock.Anything, mock.Anything).Return(activities.RunSummary{}, errors.New("database is down")).Times(10)
	s.env.OnActivity(s.a.FailRun, mock.Anything, activities.FailRunInput{RunID: 41, Reason: "database is down"}).Return(nil).Once()
	s.env.ExecuteWorkflow(TenantWorkflow, activeInput(t0.Add(time.Hour)))

	next := continuedState(s)
	s.Equal(model.PhaseSyncFailing, next.Phase)
	s.Equal(1, next.Failures)
	s.Equal("failed", next.LastSync.Outcome)
	s.Equal(int64(41), next.LastSync.RunID)
	s.Equal(next.LastSync.FinishedAt.Add(DefaultSyncInterval), next.NextSyncAt)
	s.Contains(next.LastError, "The sync failed (1 in a row): database is down. The next sync is at ")
	s.Equal([]string{"sync_failing: sync failed: database is down"}, s.phaseEvents())
}

func (s *WorkflowSuite) TestSyncFailingTriesAgainNextCycleAndRecovers() {
	starts := s.recordStartRun(42)
	s.mockFetchOneBatch()
	s.env.OnActivity(s.a.ApplyRun, mock.Anything, mock.Anything).Return(applied(42), nil).Once()
	in := activeInput(time.Time{})
	in.State.Phase, in.State.Failures, in.State.LastError = model.PhaseSyncFailing, 1, "The sync failed (1 in a row): database is down."
	s.at(time.Hour, func() {
		st := s.status()
		s.Equal(model.PhaseSyncFailing, st.Phase)
		s.Equal(1, st.Failures)
		s.Require().NotNil(st.NextSyncAt)
		s.Equal(t0.Add(24*time.Hour), *st.NextSyncAt)
	})
	s.env.ExecuteWorkflow(TenantWorkflow, in)
	s.Equal([]time.Time{t0.Add(24 * time.Hour)}, starts.times())
	next := continuedState(s)
	s.Equal(model.PhaseActive, next.Phase)
	s.Zero(next.Failures)
	s.Empty(next.LastError)
	s.Equal([]string{"active: run 42 applied: 120 employees, 5 changes"}, s.phaseEvents())
}

func (s *WorkflowSuite) TestSyncFailingSecondFailureCounts() {
	s.env.OnActivity(s.a.StartRun, mock.Anything, mock.Anything).Return(activities.StartRunResult{RunID: 43}, nil).Once()
	s.mockFetchOneBatch()
	s.env.OnActivity(s.a.ApplyRun, mock.Anything, mock.Anything).
		Return(activities.RunSummary{}, temporal.NewNonRetryableApplicationError("constraint violated", "Bug", nil)).Once()
	s.env.OnActivity(s.a.FailRun, mock.Anything, activities.FailRunInput{RunID: 43, Reason: "constraint violated"}).Return(nil).Once()
	in := activeInput(time.Time{})
	in.State.Phase, in.State.Failures = model.PhaseSyncFailing, 1
	var syncNow *updateResult
	s.at(time.Hour, func() { syncNow = s.update(UpdateSyncNow) })
	s.env.ExecuteWorkflow(TenantWorkflow, in)
	s.accepted(syncNow, "sync_now while sync_failing")
	next := continuedState(s)
	s.Equal(model.PhaseSyncFailing, next.Phase)
	s.Equal(2, next.Failures)
	s.Contains(next.LastError, "The sync failed (2 in a row): constraint violated.")
	s.Empty(s.phaseEvents(), "sync_failing to sync_failing is no phase change")
}

func (s *WorkflowSuite) TestUnauthorizedDuringFetchMovesToCredentialsInvalid() {
	s.env.OnActivity(s.a.StartRun, mock.Anything, mock.Anything).Return(activities.StartRunResult{RunID: 44}, nil).Once()
	s.env.OnActivity(s.a.ListEmployees, mock.Anything, mock.Anything).Return(activities.ListResult{Batches: 120}, nil).Once()
	s.env.OnActivity(s.a.FetchEmployees, mock.Anything, mock.Anything).Return(activities.FetchResult{}, unauthorized()).Once()
	s.env.OnActivity(s.a.FetchHistory, mock.Anything, mock.Anything).Return(activities.HistoryResult{Done: true}, nil).Maybe()
	s.env.OnActivity(s.a.FailRun, mock.Anything, activities.FailRunInput{RunID: 44, Reason: "HiBob answered 401"}).Return(nil).Once()
	s.env.ExecuteWorkflow(TenantWorkflow, activeInput(t0.Add(time.Hour)))

	next := continuedState(s)
	s.Equal(model.PhaseCredentialsInvalid, next.Phase)
	s.Equal("HiBob refused the service user ID and token (401) during a sync. Enter the credentials again.", next.LastError)
	s.Zero(next.Failures, "a 401 is no failing sync")
	s.Equal("failed", next.LastSync.Outcome)
	s.Equal([]string{"credentials_invalid: HiBob refused the credentials during a sync"}, s.phaseEvents())
	s.env.AssertActivityNumberOfCalls(s.T(), "FetchEmployees", 1)
	s.env.AssertActivityNotCalled(s.T(), "ApplyRun", mock.Anything, mock.Anything)
	s.env.AssertActivityNotCalled(s.T(), "ValidateCredentials", mock.Anything, mock.Anything)
}

func (s *WorkflowSuite) TestForbiddenDuringHistoryMovesToAuditingPermissions() {
	s.env.OnActivity(s.a.StartRun, mock.Anything, mock.Anything).Return(activities.StartRunResult{RunID: 45}, nil).Once()
	s.env.OnActivity(s.a.ListEmployees, mock.Anything, mock.Anything).Return(activities.ListResult{Batches: 1}, nil).Once()
	s.env.OnActivity(s.a.FetchEmployees, mock.Anything, mock.Anything).Return(activities.FetchResult{Next: 1}, nil).Maybe()
	s.env.OnActivity(s.a.FetchHistory, mock.Anything, mock.MatchedBy(func(in activities.HistoryInput) bool { return in.Table == model.Employment })).
		Return(activities.HistoryResult{}, forbidden()).Once()
	s.env.OnActivity(s.a.FetchHistory, mock.Anything, mock.Anything).Return(activities.HistoryResult{Done: true}, nil).Maybe()
	s.env.OnActivity(s.a.FailRun, mock.Anything, activities.FailRunInput{RunID: 45, Reason: "HiBob answered 403"}).Return(nil).Once()
	s.env.ExecuteWorkflow(TenantWorkflow, activeInput(t0.Add(time.Hour)))

	next := continuedState(s)
	s.Equal(model.PhaseAuditingPermissions, next.Phase)
	s.Contains(next.LastError, "(403)")
	s.Zero(next.Failures)
	s.Equal([]string{"auditing_permissions: HiBob refused a read during a sync"}, s.phaseEvents())
	s.env.AssertActivityNotCalled(s.T(), "ApplyRun", mock.Anything, mock.Anything)
}

func (s *WorkflowSuite) TestStagingIncompleteFetchesTheRunOnceMore() {
	starts := s.recordStartRun(46)
	s.env.OnActivity(s.a.ListEmployees, mock.Anything, activities.ListInput{Credentials: creds1, RunID: 46}).
		Return(activities.ListResult{Employees: 120, Batches: 1}, nil).Times(2)
	s.env.OnActivity(s.a.FetchEmployees, mock.Anything, activities.FetchInput{Credentials: creds1, RunID: 46, From: 0, To: 1, Batches: 1}).
		Return(activities.FetchResult{Next: 1, Fetched: 120}, nil).Times(2)
	s.env.OnActivity(s.a.FetchHistory, mock.Anything, mock.Anything).Return(activities.HistoryResult{Done: true, Seq: 1}, nil).Times(6)
	s.env.OnActivity(s.a.ApplyRun, mock.Anything, activities.ApplyInput{Tenant: "acme", RunID: 46}).
		Return(activities.RunSummary{}, temporal.NewApplicationError("staging of run 46 is gone", activities.ErrStagingIncomplete)).Once()
	s.env.OnActivity(s.a.ApplyRun, mock.Anything, activities.ApplyInput{Tenant: "acme", RunID: 46}).Return(applied(46), nil).Once()
	s.env.ExecuteWorkflow(TenantWorkflow, activeInput(t0.Add(time.Hour)))

	s.Equal(1, starts.len(), "the same run is fetched again, no new run")
	next := continuedState(s)
	s.Equal(model.PhaseActive, next.Phase)
	s.Equal(int64(46), next.LastSync.RunID)
	s.Equal("applied", next.LastSync.Outcome)
	s.env.AssertActivityNotCalled(s.T(), "FailRun", mock.Anything, mock.Anything)
}

func (s *WorkflowSuite) TestStagingIncompleteTwiceFailsTheSync() {
	s.env.OnActivity(s.a.StartRun, mock.Anything, mock.Anything).Return(activities.StartRunResult{RunID: 47}, nil).Once()
	s.mockFetchOneBatch()
	s.env.OnActivity(s.a.ApplyRun, mock.Anything, mock.Anything).
		Return(activities.RunSummary{}, temporal.NewApplicationError("staging of run 47 is gone", activities.ErrStagingIncomplete)).Times(2)
	s.env.OnActivity(s.a.FailRun, mock.Anything, activities.FailRunInput{RunID: 47, Reason: "staging of run 47 is gone"}).Return(nil).Once()
	s.env.ExecuteWorkflow(TenantWorkflow, activeInput(t0.Add(time.Hour)))
	next := continuedState(s)
	s.Equal(model.PhaseSyncFailing, next.Phase)
	s.Equal(1, next.Failures)
}

// --- pause, resume, disconnect ----------------------------------------------------------------

func (s *WorkflowSuite) TestPauseAndResumeReturnToActiveAndSyncWhatFellDue() {
	starts := s.recordStartRun(51)
	s.mockFetchOneBatch()
	s.env.OnActivity(s.a.ApplyRun, mock.Anything, mock.Anything).Return(applied(51), nil).Once()
	var pause, pauseAgain, syncNow, resume, resumeActive *updateResult
	s.at(30*time.Minute, func() { resumeActive = s.update(UpdateResume) })
	s.at(time.Hour, func() { pause = s.update(UpdatePause) })
	s.at(2*time.Hour, func() {
		st := s.status()
		s.Equal(model.PhasePaused, st.Phase)
		s.Contains(st.Description, "Paused while active; resume to continue.")
		s.Nil(st.NextSyncAt)
		pauseAgain = s.update(UpdatePause)
		syncNow = s.update(UpdateSyncNow)
	})
	s.at(30*time.Hour, func() {
		s.Zero(starts.len(), "no sync while paused, although one fell due")
		resume = s.update(UpdateResume)
	})
	s.env.ExecuteWorkflow(TenantWorkflow, activeInput(t0.Add(24*time.Hour)))

	s.accepted(pause, "pause")
	s.refused(resumeActive, ErrWrongPhase, "cannot resume tenant acme: it is active (only when paused)")
	s.refused(pauseAgain, ErrWrongPhase, "tenant acme is already paused")
	s.refused(syncNow, ErrWrongPhase, "cannot sync tenant acme: it is paused")
	s.accepted(resume, "resume")
	s.Equal([]time.Time{t0.Add(30 * time.Hour)}, starts.times(), "the overdue sync starts on resume")
	s.Equal(store.RunScheduled, starts.inputs()[0].Kind)
	next := continuedState(s)
	s.Equal(model.PhaseActive, next.Phase)
	s.Empty(next.PausedFrom)
	s.Equal([]string{
		"paused: paused: no syncs until resumed",
		"active: resumed",
	}, s.phaseEvents(), "the sync itself keeps the tenant active")
}

func (s *WorkflowSuite) TestPauseWhileAwaitingReviewResumesTheSameReview() {
	s.env.OnActivity(s.a.ValidateCredentials, mock.Anything, creds1).Return(nil).Once()
	s.env.OnActivity(s.a.AuditPermissions, mock.Anything, creds1).Return(passing, nil).Once()
	var approveWhilePaused *updateResult
	s.at(time.Hour, func() { s.update(UpdatePause) })
	s.at(2*time.Hour, func() {
		s.Equal(model.PhasePaused, s.status().Phase)
		approveWhilePaused = s.update(UpdateApprove, ApproveRequest{Reviewer: "sam"})
		s.update(UpdateResume)
	})
	s.at(3*time.Hour, func() {
		st := s.status()
		s.Equal(model.PhaseAwaitingReview, st.Phase)
		s.Equal(t0, st.Review.RequestedAt, "the review keeps its clock")
		s.update(UpdateDisconnect)
	})
	s.env.ExecuteWorkflow(TenantWorkflow, input())
	s.ended()
	s.refused(approveWhilePaused, ErrWrongPhase, "it is paused")
}

func (s *WorkflowSuite) TestNewCredentialsWhilePausedAreCheckedOnResume() {
	s.env.OnActivity(s.a.ValidateCredentials, mock.Anything, activities.CredentialsRef{Tenant: "acme", Version: 2}).Return(nil).Maybe()
	s.env.OnActivity(s.a.AuditPermissions, mock.Anything, mock.Anything).Return(passing, nil).Maybe()
	var creds *updateResult
	s.at(time.Hour, func() {
		creds = s.update(UpdateCredentials, CredentialsUpdate{Version: 2})
	})
	s.at(2*time.Hour, func() {
		s.Equal(model.PhasePaused, s.status().Phase, "new credentials wait for the resume")
		s.update(UpdateResume)
	})
	s.at(3*time.Hour, func() {
		st := s.status()
		s.Equal(model.PhaseActive, st.Phase)
		s.Equal(2, st.CredentialVersion)
		s.update(UpdateDisconnect)
	})
	in := inPhase(model.PhasePaused)
	in.State.PausedFrom = model.PhaseActive
	s.env.ExecuteWorkflow(TenantWorkflow, in)
	s.ended()
	s.accepted(creds, "update_credentials while paused")
}

func (s *WorkflowSuite) TestDisconnectEndsTheWorkflowAndRefusesLaterUpdates() {
	var disconnect, again *updateResult
	s.at(time.Hour, func() {
		disconnect = s.update(UpdateDisconnect)
		again = s.update(UpdateDisconnect)
	})
	s.env.ExecuteWorkflow(TenantWorkflow, activeInput(t0.Add(24*time.Hour)))
	s.ended()
	s.accepted(disconnect, "disconnect")
	s.Equal(Ack{Phase: model.PhaseActive, Message: "disconnecting"}, disconnect.ack)
	s.refused(again, ErrWrongPhase, "cannot disconnect tenant acme")
	s.Equal([]activities.PhaseChange{{Tenant: "acme", Phase: model.PhaseDisconnected,
		Detail: "disconnected at the customer's or Gifted's request", Key: "hibob-tenant/acme/10"}}, s.events.inputs())
	s.env.AssertActivityNotCalled(s.T(), "StartRun", mock.Anything, mock.Anything)

	// After the end the status query still answers.
	st := s.status()
	s.Equal(model.PhaseDisconnected, st.Phase)
}

func (s *WorkflowSuite) TestDisconnectDuringSyncIsCarriedAcrossContinueAsNew() {
	s.env.OnActivity(s.a.StartRun, mock.Anything, mock.Anything).Return(activities.StartRunResult{RunID: 52}, nil).Once()
	s.env.OnActivity(s.a.ListEmployees, mock.Anything, mock.Anything).Return(activities.ListResult{Batches: 1}, nil).Once()
	s.env.OnActivity(s.a.FetchEmployees, mock.Anything, mock.Anything).After(time.Hour).Return(activities.FetchResult{Next: 1}, nil).Once()
	s.historyDone()
	s.env.OnActivity(s.a.ApplyRun, mock.Anything, mock.Anything).Return(applied(52), nil).Once()
	var disconnect, pause *updateResult
	s.at(90*time.Minute, func() {
		disconnect = s.update(UpdateDisconnect)
		pause = s.update(UpdatePause)
	})
	s.env.ExecuteWorkflow(TenantWorkflow, activeInput(t0.Add(time.Hour)))
	s.accepted(disconnect, "disconnect during a sync")
	s.refused(pause, ErrWrongPhase, "cannot pause tenant acme: it is active")
	next := continuedState(s)
	s.True(next.Pending.Disconnect, "the sync finishes; the next run disconnects")
	s.Equal(int64(52), next.LastSync.RunID)
}

func (s *WorkflowSuite) TestPendingDisconnectEndsTheNextRunAtOnce() {
	in := activeInput(t0.Add(24 * time.Hour))
	in.State.Pending.Disconnect = true
	s.env.ExecuteWorkflow(TenantWorkflow, in)
	s.ended()
	s.Equal([]string{"disconnected: disconnected at the customer's or Gifted's request"}, s.phaseEvents())
	s.Equal(t0, s.env.Now().UTC(), "no wait")
}

func (s *WorkflowSuite) TestContinueAsNewWhenTheSDKSuggestsIt() {
	s.env.SetContinueAsNewSuggested(true)
	s.env.OnActivity(s.a.ValidateCredentials, mock.Anything, creds1).Return(nil).Once()
	s.env.ExecuteWorkflow(TenantWorkflow, input())
	next := continuedState(s)
	s.Equal(model.PhaseAuditingPermissions, next.Phase)
	s.Equal(1, next.Credentials)
	s.Equal(1, next.Events)
	s.Zero(next.Cycle)
}

func (s *WorkflowSuite) TestUpdatesRefusedWhileDisconnecting() {
	// The workflow is disconnected and records the event for an hour before it ends.
	s.slowEvent(model.PhaseDisconnected, time.Hour)
	var pause, syncNow, creds, approve, disconnect *updateResult
	s.at(time.Hour, func() { s.update(UpdateDisconnect) })
	s.at(90*time.Minute, func() {
		s.Equal(model.PhaseDisconnected, s.status().Phase)
		pause = s.update(UpdatePause)
		syncNow = s.update(UpdateSyncNow)
		creds = s.update(UpdateCredentials, CredentialsUpdate{Version: 2})
		approve = s.update(UpdateApprove, ApproveRequest{Reviewer: "sam"})
		disconnect = s.update(UpdateDisconnect)
	})
	s.env.ExecuteWorkflow(TenantWorkflow, activeInput(t0.Add(24*time.Hour)))
	s.ended()
	s.refused(pause, ErrWrongPhase, "cannot pause tenant acme: it is disconnected")
	s.refused(syncNow, ErrWrongPhase, "cannot sync tenant acme: it is disconnected")
	s.refused(creds, ErrWrongPhase, "cannot update the credentials of tenant acme: it is disconnected")
	s.refused(approve, ErrWrongPhase, "it is disconnected")
	s.refused(disconnect, ErrWrongPhase, "cannot disconnect tenant acme: it is disconnected")
}

func (s *WorkflowSuite) TestSyncNowRefusedOnceRejected() {
	s.env.OnActivity(s.a.ValidateCredentials, mock.Anything, creds1).Return(nil).Once()
	s.env.OnActivity(s.a.AuditPermissions, mock.Anything, creds1).Return(passing, nil).Once()
	s.slowEvent(model.PhaseRejected, time.Hour)
	var syncNow, resume *updateResult
	s.at(time.Hour, func() { s.update(UpdateReject, RejectRequest{Reviewer: "sam", Reason: "not our customer"}) })
	s.at(90*time.Minute, func() {
		s.Equal(model.PhaseRejected, s.status().Phase)
		syncNow = s.update(UpdateSyncNow)
		resume = s.update(UpdateResume)
	})
	s.env.ExecuteWorkflow(TenantWorkflow, input())
	s.ended()
	s.refused(syncNow, ErrWrongPhase, "cannot sync tenant acme: it is rejected (only when active or sync_failing)")
	s.refused(resume, ErrWrongPhase, "cannot resume tenant acme: it is rejected")
}
