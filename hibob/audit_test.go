package hibob_test

import (
	"context"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"hibobsync/hibob"
	"hibobsync/hibob/simulator"
	"hibobsync/model"
)

// auditFixture is a simulated company served over real HTTP.
type auditFixture struct {
	sim     *simulator.Server
	company *simulator.Company
	url     string
}

func newAuditFixture(t *testing.T, employees int) auditFixture {
	t.Helper()
	sim := simulator.New(simulator.Options{})
	company := sim.AddCompany("Audit Co", employees, 11)
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	return auditFixture{sim: sim, company: company, url: srv.URL + "/v1"}
}

func (f auditFixture) audit(t *testing.T, g simulator.PermissionGroup) (hibob.Audit, error) {
	t.Helper()
	user := f.company.AddServiceUser(g)
	c, err := hibob.New(hibob.NewCredentials(user.ID, user.Token), hibob.WithBaseURL(f.url))
	require.NoError(t, err)
	return hibob.AuditConnection(context.Background(), c, hibob.AuditOptions{Today: model.DateOf(time.Now())})
}

func stateOf(a hibob.Audit, p model.Permission) hibob.PermissionCheck {
	for _, c := range a.Permissions {
		if c.Permission == p {
			return c
		}
	}
	return hibob.PermissionCheck{}
}

func TestAuditFullAccessPasses(t *testing.T) {
	f := newAuditFixture(t, 400)
	a, err := f.audit(t, simulator.FullAccess())
	require.NoError(t, err)
	require.True(t, a.Passes(), "%+v", a.Permissions)
	require.Len(t, a.Permissions, len(model.Permissions))

	for _, p := range []model.Permission{model.PermAddress, model.PermEmail, model.PermEmployment, model.PermHome,
		model.PermLifecycle, model.PermPersonal, model.PermPersonalContact, model.PermWork} {
		require.Equal(t, hibob.Granted, stateOf(a, p).State, "%s: %s", p, stateOf(a, p).Detail)
	}
	require.Equal(t, hibob.NotVerifiable, stateOf(a, model.PermHistory).State)
	require.Equal(t, hibob.NotVerifiable, stateOf(a, model.PermIdentification).State)

	truth := f.company.Truth()
	inactive := 0
	for _, e := range truth {
		if strings.EqualFold(e.AccessStatus.Value, "inactive") {
			inactive++
		}
	}
	require.Equal(t, len(truth), a.Employees)
	require.Equal(t, inactive, a.Inactive)
	require.Positive(t, a.ByLifecycle[string(model.StatusTerminated)])
	require.Empty(t, a.AudienceWarning)
	require.Equal(t, len(truth), a.Coverage.Sampled)
	require.Equal(t, len(truth), a.Coverage.Birthday)
}

func TestAuditNamesEachMissingPermission(t *testing.T) {
	f := newAuditFixture(t, 150)
	for _, p := range []model.Permission{model.PermAddress, model.PermEmail, model.PermEmployment, model.PermHome,
		model.PermLifecycle, model.PermPersonal, model.PermPersonalContact, model.PermWork} {
		t.Run(string(p), func(t *testing.T) {
			g := simulator.FullAccess()
			g.View[p], g.ViewHistory[p] = false, false
			a, err := f.audit(t, g)
			require.NoError(t, err)
			require.False(t, a.Passes())
			require.Equal(t, []model.Permission{p}, a.MissingPermissions())
			check := stateOf(a, p)
			require.Equal(t, p.Fix(), check.Fix)
			require.NotEmpty(t, check.Detail)
		})
	}
}

func TestAuditSeesHistoryOnlyWithSectionHistories(t *testing.T) {
	f := newAuditFixture(t, 150)
	g := simulator.FullAccess()
	g.ViewHistory[model.PermLifecycle] = false
	a, err := f.audit(t, g)
	require.NoError(t, err)
	check := stateOf(a, model.PermLifecycle)
	require.Equal(t, hibob.NotVerifiable, check.State, check.Detail)
	require.Contains(t, check.Detail, "one row")
	require.Equal(t, model.PermLifecycle.Fix(), check.Fix)
}

func TestAuditWarnsWhenTheAudienceHidesPeople(t *testing.T) {
	f := newAuditFixture(t, 400)

	g := simulator.FullAccess()
	g.Audience = []model.LifecycleStatus{model.StatusHired, model.StatusEmployed, model.StatusLeave}
	a, err := f.audit(t, g)
	require.NoError(t, err)
	require.Zero(t, a.ByLifecycle[string(model.StatusTerminated)])
	require.True(t, slices.ContainsFunc(a.AudienceWarning, func(w string) bool { return strings.Contains(w, "Terminated") }), a.AudienceWarning)

	g = simulator.FullAccess()
	g.Audience = []model.LifecycleStatus{model.StatusEmployed, model.StatusLeave, model.StatusTerminated}
	a, err = f.audit(t, g)
	require.NoError(t, err)
	require.True(t, slices.ContainsFunc(a.AudienceWarning, func(w string) bool { return strings.Contains(w, "Hired") }), a.AudienceWarning)

	g = simulator.FullAccess()
	g.Audience = nil
	a, err = f.audit(t, g)
	require.NoError(t, err)
	require.Zero(t, a.Employees)
	require.Equal(t, hibob.NotVerifiable, stateOf(a, model.PermPersonal).State)
	require.NotEmpty(t, a.AudienceWarning)
}

func TestAuditStopsAtTheFirst401(t *testing.T) {
	f := newAuditFixture(t, 50)
	user := f.company.AddServiceUser(simulator.FullAccess())
	c, err := hibob.New(hibob.NewCredentials(user.ID, "not-the-token"), hibob.WithBaseURL(f.url))
	require.NoError(t, err)
	_, err = hibob.AuditConnection(context.Background(), c, hibob.AuditOptions{})
	require.ErrorIs(t, err, hibob.ErrUnauthorized)
	require.NotContains(t, err.Error(), user.Token)
	require.EqualValues(t, 1, f.sim.Stats().Unauthorized, "a refused token must cost exactly one request")
}

func TestAuditSampleBoundsTheFullReads(t *testing.T) {
	f := newAuditFixture(t, 500)
	user := f.company.AddServiceUser(simulator.FullAccess())
	c, err := hibob.New(hibob.NewCredentials(user.ID, user.Token), hibob.WithBaseURL(f.url))
	require.NoError(t, err)
	var seen []string
	a, err := hibob.AuditConnection(context.Background(), c, hibob.AuditOptions{Sample: 120, OnEmployee: func(e model.Employee) error {
		seen = append(seen, e.ID)
		return nil
	}})
	require.NoError(t, err)
	require.Equal(t, 120, a.Coverage.Sampled)
	require.Len(t, seen, 120)
	require.Equal(t, len(f.company.Truth()), a.Employees)
}
