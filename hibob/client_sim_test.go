package hibob_test

import (
	"cmp"
	"context"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"hibobsync/hibob"
	"hibobsync/hibob/simulator"
	"hibobsync/model"
)

// simFixture is a simulated HiBob over real HTTP.
type simFixture struct {
	sim     *simulator.Server
	company *simulator.Company
	url     string
}

func newSim(t *testing.T, opts simulator.Options, employees int) simFixture {
	t.Helper()
	sim := simulator.New(opts)
	company := sim.AddCompany("Client Co", employees, 7)
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	return simFixture{sim: sim, company: company, url: srv.URL + "/v1"}
}

func (s simFixture) client(t *testing.T, g simulator.PermissionGroup, opts ...hibob.Option) *hibob.Client {
	t.Helper()
	u := s.company.AddServiceUser(g)
	c, err := hibob.New(hibob.NewCredentials(u.ID, u.Token), append([]hibob.Option{hibob.WithBaseURL(s.url), hibob.WithPacer(nil)}, opts...)...)
	require.NoError(t, err)
	return c
}

// syncAll lists IDs and fetches every batch, as a sync does.
func syncAll(t *testing.T, c *hibob.Client, batch int) []model.Employee {
	t.Helper()
	ctx := context.Background()
	listing, err := c.ListEmployeeIDs(ctx)
	require.NoError(t, err)
	require.Empty(t, listing.Rejected)
	var all []model.Employee
	for _, b := range hibob.Batches(listing.IDs, batch) {
		got, err := c.FetchEmployees(ctx, b)
		require.NoError(t, err)
		require.Empty(t, got.Rejected)
		all = append(all, got.Employees...)
	}
	slices.SortFunc(all, func(a, b model.Employee) int { return cmp.Compare(a.ID, b.ID) })
	return all
}

func TestSimulatorFullSyncMatchesTruth(t *testing.T) {
	s := newSim(t, simulator.Options{}, 1000)
	c := s.client(t, simulator.FullAccess())
	got := syncAll(t, c, hibob.MaxBatch)
	truth := s.company.Truth()
	require.Len(t, got, 1000)
	require.Len(t, truth, 1000)
	hidden := 0
	for i := range got {
		require.NotEmpty(t, got[i].Raw)
		hidden += len(got[i].Hidden)
		got[i].Raw, got[i].Hidden = nil, nil
	}
	for i := range truth {
		require.Equal(t, truth[i], got[i], "employee %d", i)
	}
	require.Zero(t, hidden, "full access hides nothing")
	stats := s.sim.Stats()
	require.EqualValues(t, 6, stats.Requests, "1 listing + 5 batches")
}

func TestSimulatorHistoryMatchesTruth(t *testing.T) {
	s := newSim(t, simulator.Options{}, 1000)
	c := s.client(t, simulator.FullAccess())
	for _, table := range model.HistoryTables {
		var got []model.HistoryEntry
		pages := 0
		for page, err := range c.History(context.Background(), table, hibob.HistoryQuery{}) {
			require.NoError(t, err, table)
			require.Empty(t, page.Denied)
			pages++
			got = append(got, page.Entries...)
		}
		require.Greater(t, pages, 1, "%s: 1,000 employees take several pages of 200", table)
		for i := range got {
			require.NotEmpty(t, got[i].Raw)
			got[i].Raw = nil
		}
		slices.SortStableFunc(got, func(a, b model.HistoryEntry) int {
			return cmp.Or(cmp.Compare(a.EmployeeID, b.EmployeeID), cmp.Compare(a.EntryID, b.EntryID))
		})
		truth := s.company.HistoryTruth(table)
		require.Equal(t, len(truth), len(got), table)
		for i := range truth {
			require.Equal(t, truth[i], got[i], "%s row %d", table, i)
		}
	}
}

func TestSimulatorHistoryForChosenEmployees(t *testing.T) {
	s := newSim(t, simulator.Options{}, 300)
	c := s.client(t, simulator.FullAccess())
	ids := s.company.EmployeeIDs()[:3]
	page, err := c.HistoryPage(context.Background(), model.Lifecycle, hibob.HistoryQuery{Limit: 50, EmployeeIDs: ids})
	require.NoError(t, err)
	for _, e := range page.Entries {
		require.Contains(t, ids, e.EmployeeID)
	}
}

func TestSimulatorPermissionLimitedUserSeesHiddenFields(t *testing.T) {
	s := newSim(t, simulator.Options{}, 120)

	g := simulator.FullAccess()
	g.View[model.PermPersonal], g.ViewHistory[model.PermPersonal] = false, false
	g.View[model.PermAddress], g.ViewHistory[model.PermAddress] = false, false
	got := syncAll(t, s.client(t, g), 50)
	require.NotEmpty(t, got)
	for _, e := range got {
		require.Contains(t, e.Hidden, "personal.birthDate")
		require.Contains(t, e.Hidden, "personal.shortBirthDate")
		require.Contains(t, e.Hidden, "address.line1")
		require.NotContains(t, e.Hidden, "root.id")
		require.NotContains(t, e.Hidden, "work.startDate")
		require.True(t, e.Birthday.IsZero())
		require.True(t, e.HomeAddress.IsZero())
		require.False(t, e.StartDate.IsZero())
	}

	// §8.3: full date of birth hidden, the birthday still there.
	g = simulator.FullAccess()
	g.HideFullBirthDate = true
	got = syncAll(t, s.client(t, g), 50)
	for _, e := range got {
		require.Equal(t, []string{"personal.birthDate"}, e.Hidden)
		require.True(t, e.BirthDate.IsZero())
		require.False(t, e.Birthday.IsZero())
	}
}

func TestSimulatorWrongTokenCostsOneRequest(t *testing.T) {
	s := newSim(t, simulator.Options{}, 10)
	u := s.company.AddServiceUser(simulator.FullAccess())
	c, err := hibob.New(hibob.NewCredentials(u.ID, "wrong-token-value"), hibob.WithBaseURL(s.url))
	require.NoError(t, err)
	_, err = c.Fields(context.Background())
	require.ErrorIs(t, err, hibob.ErrUnauthorized)
	require.NotContains(t, err.Error(), "wrong-token-value")
	require.EqualValues(t, 1, s.sim.Stats().Unauthorized)
	require.EqualValues(t, 1, s.sim.Stats().Requests)
}

func TestSimulatorPacingAvoids429(t *testing.T) {
	const perWindow = 4
	window := time.Second
	limits := map[simulator.Endpoint]int{}
	paced := map[hibob.Endpoint]hibob.Limit{}
	for _, e := range simulator.Endpoints {
		limits[e] = perWindow
		paced[hibob.Endpoint(e)] = hibob.Limit{Requests: perWindow, Per: window}
	}
	s := newSim(t, simulator.Options{Window: window, Limits: limits}, 600)
	c := s.client(t, simulator.FullAccess(), hibob.WithPacer(hibob.NewPacer(paced)))

	start := time.Now()
	got := syncAll(t, c, 60) // 1 + 10 searches
	require.Len(t, got, 600)
	pages := 0
	for _, err := range c.History(context.Background(), model.Work, hibob.HistoryQuery{Limit: 100}) {
		require.NoError(t, err)
		pages++
	}
	require.GreaterOrEqual(t, pages, 6)
	elapsed := time.Since(start)

	stats := s.sim.Stats()
	require.Zero(t, stats.RateLimited, "pacing must avoid every 429")
	// 11 searches at 4 a second cannot take less than two full windows.
	require.GreaterOrEqual(t, elapsed, 2*window)
	rl, ok := c.RateLimit(hibob.EndpointSearch)
	require.True(t, ok)
	require.Equal(t, perWindow, rl.Limit)
}

func TestSimulatorUnpacedBurstIsRateLimited(t *testing.T) {
	// The contrast: without pacing the same burst gets 429s, typed and retryable.
	limits := map[simulator.Endpoint]int{simulator.EndpointSearch: 3}
	s := newSim(t, simulator.Options{Window: time.Minute, Limits: limits}, 10)
	c := s.client(t, simulator.FullAccess())
	var err error
	for range 4 {
		_, err = c.ListEmployeeIDs(context.Background())
	}
	require.ErrorIs(t, err, hibob.ErrRateLimited)
	require.True(t, hibob.Retryable(err))
	var apiErr *hibob.APIError
	require.ErrorAs(t, err, &apiErr)
	require.True(t, apiErr.RetryAt.After(time.Now().Add(-time.Second)))
	require.EqualValues(t, 1, s.sim.Stats().RateLimited)
}
