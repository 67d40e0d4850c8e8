package activities_test

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"hibobsync/activities"
	"hibobsync/hibob"
	"hibobsync/hibob/simulator"
	"hibobsync/model"
)

func TestValidateCredentials(t *testing.T) {
	t.Parallel()
	f := newFixture(t, fixtureOptions{employees: 20})
	require.NoError(t, f.run(nil, f.acts.ValidateCredentials, f.ref))
	require.EqualValues(t, 1, f.sim.Stats().Requests, "one cheap call")
	// Version 0 is the newest.
	require.NoError(t, f.run(nil, f.acts.ValidateCredentials, activities.CredentialsRef{Tenant: f.tenant}))
}

func TestRevokedTokenIsOneNonRetryable401(t *testing.T) {
	t.Parallel()
	f := newFixture(t, fixtureOptions{employees: 1000})
	runID := f.startRun()
	f.list(runID)
	require.NoError(t, f.company.RevokeToken(f.user.ID))

	f.sim.ResetStats()
	err := f.run(nil, f.acts.ValidateCredentials, f.ref)
	appErr := requireAppError(t, err, activities.ErrCredentialsInvalid)
	require.Contains(t, appErr.Error(), string(f.tenant))
	require.NotContains(t, err.Error(), f.user.Token)
	require.EqualValues(t, 1, f.sim.Stats().Unauthorized)
	require.EqualValues(t, 1, f.sim.Stats().Requests)

	// The refused credentials are not sent again: later activities with them are refused here,
	// without a request (HiBob's WAF counts 401s per caller).
	f.sim.ResetStats()
	_, err = f.fetch(runID, 0, 5)
	requireAppError(t, err, activities.ErrCredentialsInvalid)
	require.NotContains(t, err.Error(), f.user.Token)
	require.EqualValues(t, 0, f.sim.Stats().Unauthorized)
	require.EqualValues(t, 0, f.sim.Stats().Requests)

	f.sim.ResetStats()
	err = f.run(nil, f.acts.FetchHistory, activities.HistoryInput{Credentials: f.ref, RunID: runID, Table: model.Work})
	requireAppError(t, err, activities.ErrCredentialsInvalid)
	var res activities.AuditResult
	err = f.run(&res, f.acts.AuditPermissions, f.ref)
	requireAppError(t, err, activities.ErrCredentialsInvalid)
	var list activities.ListResult
	err = f.run(&list, f.acts.ListEmployees, activities.ListInput{Credentials: f.ref, RunID: runID})
	requireAppError(t, err, activities.ErrCredentialsInvalid)
	require.EqualValues(t, 0, f.sim.Stats().Unauthorized, "refused credentials are not sent again")

	// New credentials are another caller: they reach HiBob.
	rotated, err := f.company.RotateToken(f.user.ID)
	require.NoError(t, err)
	version, err := f.store.SaveCredentials(context.Background(), f.tenant, hibob.NewCredentials(rotated.ID, rotated.Token))
	require.NoError(t, err)
	f.sim.ResetStats()
	require.NoError(t, f.run(nil, f.acts.ValidateCredentials, activities.CredentialsRef{Tenant: f.tenant, Version: version}))
	require.EqualValues(t, 1, f.sim.Stats().Requests)
}

func TestUnusableCredentialsAreInvalidConfiguration(t *testing.T) {
	t.Parallel()
	f := newFixture(t, fixtureOptions{employees: 5})
	err := f.run(nil, f.acts.ValidateCredentials, activities.CredentialsRef{Tenant: f.tenant, Version: 7})
	requireAppError(t, err, activities.ErrInvalidConfiguration)
	err = f.run(nil, f.acts.ValidateCredentials, activities.CredentialsRef{Tenant: "nobody"})
	requireAppError(t, err, activities.ErrInvalidConfiguration)

	// A worker whose secret key cannot open the sealed token.
	other, _, err := f.store.EnsureTenant(context.Background(), "Other Co")
	require.NoError(t, err)
	_, err = f.store.Pool().Exec(context.Background(),
		`INSERT INTO credentials (tenant_key, version, service_user_id, key_id, sealed_token)
		 VALUES ($1, 1, 'SERVICE-1', 'gone', '\x00')`, other.Key)
	require.NoError(t, err)
	err = f.run(nil, f.acts.ValidateCredentials, activities.CredentialsRef{Tenant: other.Key, Version: 1})
	appErr := requireAppError(t, err, activities.ErrInvalidConfiguration)
	require.Contains(t, appErr.Error(), "HIBOBSYNC_SECRET_KEY")
	require.Zero(t, f.sim.Stats().Requests)
}

func TestRevokedLifecycleIsPermissionsMissing(t *testing.T) {
	t.Parallel()
	f := newFixture(t, fixtureOptions{employees: 300})
	runID := f.startRun()
	require.NoError(t, f.company.Revoke(f.user.ID, model.PermLifecycle))
	err := f.run(nil, f.acts.FetchHistory, activities.HistoryInput{Credentials: f.ref, RunID: runID, Table: model.Lifecycle})
	appErr := requireAppError(t, err, activities.ErrPermissionsMissing)
	require.True(t, strings.Contains(appErr.Error(), "permission"), appErr.Error())
	require.EqualValues(t, 1, f.sim.Stats().Forbidden)

	// The other tables still read.
	require.Positive(t, f.history(runID, model.Work))

	var res activities.AuditResult
	require.NoError(t, f.run(&res, f.acts.AuditPermissions, f.ref))
	require.False(t, res.Passes)
	require.Contains(t, res.Missing, model.PermLifecycle)
	require.Equal(t, 300, res.Audit.Employees)
}

func TestAuditPasses(t *testing.T) {
	t.Parallel()
	f := newFixture(t, fixtureOptions{employees: 300})
	var res activities.AuditResult
	require.NoError(t, f.run(&res, f.acts.AuditPermissions, f.ref))
	require.True(t, res.Passes, "%+v", res.Audit.Permissions)
	require.Empty(t, res.Missing)
	require.Equal(t, 300, res.Audit.Employees)
}

func TestClientFactorySharesOnePacerPerServiceUser(t *testing.T) {
	t.Parallel()
	cf := activities.NewClientFactory("", nil, nil)
	a := cf.Pacer("SERVICE-1")
	require.Same(t, a, cf.Pacer("SERVICE-1"))
	require.NotSame(t, a, cf.Pacer("SERVICE-2"))
	c, err := cf.Client(hibob.NewCredentials("SERVICE-1", "token-1234"))
	require.NoError(t, err)
	require.Equal(t, hibob.DefaultBaseURL, c.BaseURL())

	// The clients of one service user count against its one pacer.
	sim := simulator.New(simulator.Options{})
	u := sim.AddCompany("Acme", 5, 1).AddServiceUser(simulator.FullAccess())
	srv := httptest.NewServer(sim)
	defer srv.Close()
	cf = activities.NewClientFactory(srv.URL+"/v1", srv.Client(),
		map[hibob.Endpoint]hibob.Limit{hibob.EndpointFields: {Requests: 1, Per: time.Hour}})
	c, err = cf.Client(hibob.NewCredentials(u.ID, u.Token))
	require.NoError(t, err)
	_, err = c.Fields(context.Background())
	require.NoError(t, err)
	require.Greater(t, cf.Pacer(u.ID).Delay(hibob.EndpointFields), 59*time.Minute)
	require.Zero(t, cf.Pacer("SERVICE-2").Delay(hibob.EndpointFields))

	_, err = cf.Client(hibob.NewCredentials("", "token-1234"))
	require.Error(t, err)
}
