package starter_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"

	"hibobsync/activities"
	"hibobsync/model"
	"hibobsync/starter"
	"hibobsync/store/storetest"
	"hibobsync/systemtest"
	"hibobsync/workflows"
)

func TestMain(m *testing.M) { storetest.Main(m) }

// system is everything real (see systemtest), with a Starter on top.
type system struct {
	*systemtest.System
	t *testing.T
	s *starter.Starter
}

func startSystem(t *testing.T) *system {
	t.Helper()
	sys := systemtest.Start(t, systemtest.Options{Company: "Starter Co", Employees: 40, Seed: 7})
	return &system{System: sys, t: t, s: starter.New(sys.Client, sys.Store)}
}

func (s *system) waitFor(tenant model.TenantKey, what string, ok func(workflows.Status) bool) workflows.Status {
	s.t.Helper()
	return systemtest.WaitFor(s.t, what, time.Minute, func() (workflows.Status, error) { return s.s.Status(context.Background(), tenant) }, ok)
}

func inPhase(p model.Phase) func(workflows.Status) bool {
	return func(st workflows.Status) bool { return st.Phase == p }
}

func requireInvalid(t *testing.T, err error, field string) {
	t.Helper()
	var inv *starter.InvalidInputError
	require.ErrorAs(t, err, &inv)
	require.Equal(t, field, inv.Field, inv.Message)
	require.NotEmpty(t, inv.Message)
}

func TestConnectionThroughTheStarter(t *testing.T) {
	sys := startSystem(t)
	ctx := context.Background()
	s := sys.s

	user := sys.ServiceUserWithout(model.PermPersonal)

	// A new company: stored, started, and the workflow finds the missing permission.
	conn, err := s.Connect(ctx, starter.ConnectRequest{Company: "  Starter Co ", ServiceUserID: " " + user.ID + "\n", Token: user.Token})
	require.NoError(t, err)
	require.Equal(t, model.TenantKey("starter-co"), conn.Tenant)
	require.Equal(t, "Starter Co", conn.Company)
	require.Equal(t, 1, conn.CredentialVersion)
	require.True(t, conn.Started)
	require.False(t, conn.Reconnect)
	require.Contains(t, conn.Ack.Message, "credentials version 1")
	desc, err := sys.Client.DescribeWorkflowExecution(ctx, workflows.WorkflowID(conn.Tenant), "")
	require.NoError(t, err)
	var summary, details string
	require.NoError(t, converter.GetDefaultDataConverter().FromPayload(desc.GetExecutionConfig().GetUserMetadata().GetSummary(), &summary))
	require.NoError(t, converter.GetDefaultDataConverter().FromPayload(desc.GetExecutionConfig().GetUserMetadata().GetDetails(), &details))
	require.Equal(t, "HiBob connection of Starter Co", summary)
	require.Contains(t, details, "starter-co")
	require.Equal(t, activities.TaskQueue, desc.GetExecutionConfig().GetTaskQueue().GetName())
	st := sys.waitFor(conn.Tenant, "permissions_missing", inPhase(model.PhasePermissionsMissing))
	require.Equal(t, []model.Permission{model.PermPersonal}, st.Audit.Missing)
	creds, err := sys.Store.Credentials(ctx, conn.Tenant, 1)
	require.NoError(t, err)
	require.Equal(t, user.ID, creds.ServiceUserID(), "the ID is stored trimmed")

	// Connecting again is safe: same tenant, same version, no new run.
	again, err := s.Connect(ctx, starter.ConnectRequest{Company: "Starter Co", ServiceUserID: user.ID, Token: user.Token})
	require.NoError(t, err)
	require.Equal(t, conn.Tenant, again.Tenant)
	require.Equal(t, 1, again.CredentialVersion)
	require.False(t, again.Started)
	require.Contains(t, again.Ack.Message, "already using credentials version 1")

	// "Starter Co Service User" is the same tenant, re-connecting.
	re, err := s.Connect(ctx, starter.ConnectRequest{Company: "Starter Co Service User", ServiceUserID: user.ID, Token: user.Token})
	require.NoError(t, err)
	require.Equal(t, conn.Tenant, re.Tenant)
	require.True(t, re.Reconnect)
	require.False(t, re.Started)

	// Approving before the review: refused with the phase.
	_, err = s.Approve(ctx, conn.Tenant, "support@gifted", "")
	var wrong *starter.WrongPhaseError
	require.ErrorAs(t, err, &wrong)
	require.Equal(t, model.PhasePermissionsMissing, wrong.Phase)
	require.Equal(t, conn.Tenant, wrong.Tenant)
	require.Contains(t, wrong.Message, "nothing awaits review")

	// A sync before approval: refused too, the phase from the message.
	_, err = s.SyncNow(ctx, conn.Tenant)
	require.ErrorAs(t, err, &wrong)
	require.Equal(t, model.PhasePermissionsMissing, wrong.Phase)

	// The customer grants the permission; a re-check reaches the review, and support's list shows it.
	require.NoError(t, sys.Company.Grant(user.ID, model.PermPersonal, true))
	_, err = s.RecheckPermissions(ctx, conn.Tenant)
	require.NoError(t, err)
	sys.waitFor(conn.Tenant, "awaiting_review", inPhase(model.PhaseAwaitingReview))
	var listed []starter.ConnectionSummary
	require.Eventually(t, func() bool {
		listed, err = s.ListConnections(ctx, model.PhaseAwaitingReview)
		return err == nil && len(listed) == 1
	}, 30*time.Second, 200*time.Millisecond, "visibility never listed the tenant as awaiting_review (last: %+v, %v)", listed, err)
	require.Equal(t, conn.Tenant, listed[0].Tenant)
	require.Equal(t, "Starter Co", listed[0].Company)
	require.Equal(t, model.PhaseAwaitingReview, listed[0].Phase)
	require.WithinDuration(t, time.Now(), listed[0].StartedAt, time.Minute)
	require.False(t, listed[0].PhaseSince.IsZero(), "the status query gives the phase's start")
	all, err := s.ListConnections(ctx, "")
	require.NoError(t, err)
	require.Len(t, all, 1)
	none, err := s.ListConnections(ctx, model.PhaseActive)
	require.NoError(t, err)
	require.Empty(t, none)
	_, err = s.ListConnections(ctx, "waiting")
	requireInvalid(t, err, "phase")

	// Bad requests are refused with the field, before the workflow sees them.
	_, err = s.Reject(ctx, conn.Tenant, "support@gifted", "  ")
	requireInvalid(t, err, "reason")
	_, err = s.Approve(ctx, conn.Tenant, "", "")
	requireInvalid(t, err, "reviewer")

	// New credentials: a new version, checked again by the workflow.
	rotated, err := sys.Company.RotateToken(user.ID)
	require.NoError(t, err)
	ack, err := s.UpdateCredentials(ctx, conn.Tenant, user.ID, rotated.Token)
	require.NoError(t, err)
	require.Contains(t, ack.Message, "credentials version 2")
	st = sys.waitFor(conn.Tenant, "awaiting_review with version 2", func(st workflows.Status) bool {
		return st.Phase == model.PhaseAwaitingReview && st.CredentialVersion == 2
	})

	// Support rejects: the connection ends; actions on it are refused with its final phase.
	ack, err = s.Reject(ctx, conn.Tenant, "support@gifted", "the audit shows no home addresses")
	require.NoError(t, err)
	require.Contains(t, ack.Message, "rejected by support@gifted")
	sys.waitFor(conn.Tenant, "rejected", inPhase(model.PhaseRejected))
	require.Eventually(t, func() bool {
		_, err = s.Pause(ctx, conn.Tenant)
		// While the workflow finishes, its validator refuses; once it has ended, the Starter does.
		return errors.As(err, &wrong) && wrong.Phase == model.PhaseRejected && strings.Contains(wrong.Message, "connect the company again")
	}, 30*time.Second, 200*time.Millisecond, "pause after the end: %v", err)

	// Connecting again starts a new run.
	fresh, err := s.Connect(ctx, starter.ConnectRequest{Company: "Starter Co", ServiceUserID: user.ID, Token: rotated.Token})
	require.NoError(t, err)
	require.True(t, fresh.Started)
	require.Equal(t, 2, fresh.CredentialVersion)
	sys.waitFor(conn.Tenant, "awaiting_review again", inPhase(model.PhaseAwaitingReview))
	ack, err = s.Approve(ctx, conn.Tenant, "support@gifted", "looks complete")
	require.NoError(t, err)
	require.Contains(t, ack.Message, "approved by support@gifted")
	sys.waitFor(conn.Tenant, "active", inPhase(model.PhaseActive))
	ack, err = s.Disconnect(ctx, conn.Tenant)
	require.NoError(t, err)
	require.Equal(t, "disconnecting", ack.Message)
}

func TestUnknownTenant(t *testing.T) {
	sys := startSystem(t)
	ctx := context.Background()
	s := sys.s
	for name, call := range map[string]func() error{
		"status":      func() error { _, err := s.Status(ctx, "nobody"); return err },
		"approve":     func() error { _, err := s.Approve(ctx, "nobody", "support", ""); return err },
		"reject":      func() error { _, err := s.Reject(ctx, "nobody", "support", "no"); return err },
		"sync-now":    func() error { _, err := s.SyncNow(ctx, "nobody"); return err },
		"pause":       func() error { _, err := s.Pause(ctx, "nobody"); return err },
		"disconnect":  func() error { _, err := s.Disconnect(ctx, "nobody"); return err },
		"credentials": func() error { _, err := s.UpdateCredentials(ctx, "nobody", "SERVICE-12345", "tok"); return err },
	} {
		err := call()
		require.ErrorIs(t, err, starter.ErrUnknownTenant, name)
		require.Contains(t, err.Error(), "nobody", name)
	}
	// A stored tenant without a workflow is unknown to the actions too.
	tenant, _, err := sys.Store.EnsureTenant(ctx, "Orphan Ltd")
	require.NoError(t, err)
	_, err = s.UpdateCredentials(ctx, tenant.Key, "SERVICE-12345", "tok")
	require.ErrorIs(t, err, starter.ErrUnknownTenant)
	_, err = s.Approve(ctx, tenant.Key, "support", "")
	require.ErrorIs(t, err, starter.ErrUnknownTenant)
}

func TestInvalidInput(t *testing.T) {
	const token = "s3cr3t-token-value"
	s := starter.New(nil, nil) // validation comes before any call
	ctx := context.Background()
	ok := starter.ConnectRequest{Company: "Acme", ServiceUserID: "SERVICE-12345", Token: token}
	for _, tc := range []struct {
		name  string
		edit  func(*starter.ConnectRequest)
		field string
		says  string
	}{
		{"empty company", func(r *starter.ConnectRequest) { r.Company = " " }, "company", "empty"},
		{"long company", func(r *starter.ConnectRequest) { r.Company = strings.Repeat("a", 101) }, "company", "at most 100"},
		{"suffix only", func(r *starter.ConnectRequest) { r.Company = "Service User" }, "company", "Service User"},
		{"no letters", func(r *starter.ConnectRequest) { r.Company = "!!!" }, "company", "no letters"},
		{"empty id", func(r *starter.ConnectRequest) { r.ServiceUserID = "" }, "serviceUserId", "empty"},
		{"not an id", func(r *starter.ConnectRequest) { r.ServiceUserID = "12345" }, "serviceUserId", "SERVICE-"},
		{"token as id", func(r *starter.ConnectRequest) { r.ServiceUserID = strings.Repeat(token, 3) }, "serviceUserId", "is it the token?"},
		{"empty token", func(r *starter.ConnectRequest) { r.Token = "" }, "token", "empty"},
		{"blank token", func(r *starter.ConnectRequest) { r.Token = "   " }, "token", "whitespace"},
		{"token with space", func(r *starter.ConnectRequest) { r.Token = token[:5] + " " + token[5:] }, "token", "space"},
		{"token with newline", func(r *starter.ConnectRequest) { r.Token = token + "\n" }, "token", "line break"},
		{"negative interval", func(r *starter.ConnectRequest) { r.SyncInterval = -time.Hour }, "syncInterval", "negative"},
		{"short interval", func(r *starter.ConnectRequest) { r.SyncInterval = time.Second }, "syncInterval", "minimum"},
	} {
		r := ok
		tc.edit(&r)
		_, err := s.Connect(ctx, r)
		requireInvalid(t, err, tc.field)
		require.Contains(t, err.Error(), tc.says, tc.name)
		require.NotContains(t, err.Error(), token[:10], "%s: the token is echoed", tc.name)
	}

	for name, call := range map[string]func() error{
		"status":         func() error { _, err := s.Status(ctx, "Not A Key"); return err },
		"approve":        func() error { _, err := s.Approve(ctx, "acme service user", "x", ""); return err },
		"reject":         func() error { _, err := s.Reject(ctx, "", "x", "y"); return err },
		"sync-now":       func() error { _, err := s.SyncNow(ctx, "acme--ltd"); return err },
		"recheck":        func() error { _, err := s.RecheckPermissions(ctx, "ACME"); return err },
		"resume":         func() error { _, err := s.Resume(ctx, "a/b"); return err },
		"update-creds":   func() error { _, err := s.UpdateCredentials(ctx, "Acme", "SERVICE-1", "t"); return err },
		"approve-nobody": func() error { _, err := s.Approve(ctx, "acme", " ", ""); return err },
		"reject-reason":  func() error { _, err := s.Reject(ctx, "acme", "support", ""); return err },
		"creds-token":    func() error { _, err := s.UpdateCredentials(ctx, "acme", "SERVICE-1", "a b"); return err },
		"creds-id":       func() error { _, err := s.UpdateCredentials(ctx, "acme", "svc", "t"); return err },
	} {
		want := map[string]string{"approve-nobody": "reviewer", "reject-reason": "reason", "creds-token": "token", "creds-id": "serviceUserId"}[name]
		if want == "" {
			want = "tenant"
		}
		var inv *starter.InvalidInputError
		require.ErrorAs(t, call(), &inv, name)
		require.Equal(t, want, inv.Field, name)
	}
}

func TestTemporalUnavailable(t *testing.T) {
	c, err := client.NewLazyClient(client.Options{HostPort: "127.0.0.1:1"})
	require.NoError(t, err)
	defer c.Close()
	s := starter.New(c, nil)
	for name, call := range map[string]func(context.Context) error{
		"status":  func(ctx context.Context) error { _, err := s.Status(ctx, "acme"); return err },
		"approve": func(ctx context.Context) error { _, err := s.Approve(ctx, "acme", "support", ""); return err },
		"list":    func(ctx context.Context) error { _, err := s.ListConnections(ctx, ""); return err },
	} {
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		err := call(ctx)
		cancel()
		require.ErrorIs(t, err, starter.ErrTemporalUnavailable, "%s: %v", name, err)
	}
}
