package drills

import (
	"context"
	"fmt"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"

	"hibobsync/devserver"
	"hibobsync/hibob/simulator"
	"hibobsync/model"
	"hibobsync/starter"
	"hibobsync/systemtest"
	"hibobsync/workflows"
)

// slowFetch makes every HiBob answer take a while, so that a fetch of the company's 10 batches
// (four in flight) lasts a few seconds: long enough to strike in its middle.
var slowFetch = simulator.Faults{Latency: 300 * time.Millisecond}

// TestWorkerProcess runs the drills that need the worker as a separate process, built once.
func TestWorkerProcess(t *testing.T) {
	bin := systemtest.BuildCommand(t, t.TempDir())

	// The worker process is SIGKILLed while it fetches, its successor while it applies (held on
	// the tenant's lock inside the apply's transaction); a third finishes the sync, which is
	// applied exactly once.
	t.Run("KilledMidFetchAndMidApply", func(t *testing.T) {
		d := newDrill(t, false, devserver.Options{})
		first := d.startWorkerProcess(bin)
		d.baseline()

		d.syncUnder(90*time.Second, func() { d.Sim.SetFaults(slowFetch) }, func() {
			s0 := d.searches()
			d.waitSearches(s0+5, 30*time.Second) // the listing and four batches
			first.Kill(t)
			require.Less(t, d.searches(), s0+11, "the fetch had finished before the worker was killed")

			lock, release := d.lockTenant()
			second := d.startWorkerProcess(bin)
			d.waitApplyBlocked(lock, time.Minute)
			second.Kill(t)
			d.Sim.SetFaults(simulator.Faults{})
			third := d.startWorkerProcess(bin)
			release()
			t.Cleanup(func() { third.RequireRunning(t) })
		})
		d.leaks()
	})

	// The dev server (its state in a SQLite file) is stopped in the middle of the fetch and
	// started again on the same address: the worker process reconnects and the sync finishes.
	t.Run("TemporalRestarted", func(t *testing.T) {
		d := newDrill(t, false, devserver.Options{DBFilename: filepath.Join(t.TempDir(), "temporal.db")})
		w := d.startWorkerProcess(bin)
		d.baseline()
		d.syncUnder(90*time.Second, func() { d.Sim.SetFaults(slowFetch) }, func() {
			s0 := d.searches()
			d.waitSearches(s0+4, 30*time.Second)
			require.Less(t, d.searches(), s0+11, "the fetch had finished before the restart")
			d.RestartTemporal(t, 2*time.Second)
			d.Sim.SetFaults(simulator.Faults{})
		})
		w.RequireRunning(t) // the same process, reconnected
		d.leaks()
	})
}

// TestPostgresConnectionsTerminated: every connection to the database but the test's is
// terminated while the apply waits inside its transaction; the apply is retried and exact.
func TestPostgresConnectionsTerminated(t *testing.T) {
	d := newDrill(t, true, devserver.Options{})
	d.baseline()
	lock, release := d.lockTenant()
	d.syncUnder(time.Minute, func() {}, func() {
		apply := d.waitApplyBlocked(lock, time.Minute)
		var terminated, applyTerminated bool
		_, err := lock.Exec(context.Background(), `SELECT pg_stat_clear_snapshot()`)
		require.NoError(t, err)
		rows, err := lock.Query(context.Background(), `
SELECT pid, pg_terminate_backend(pid) FROM pg_stat_activity
WHERE datname = current_database() AND pid <> pg_backend_pid()`)
		require.NoError(t, err)
		for rows.Next() {
			var pid int
			var ok bool
			require.NoError(t, rows.Scan(&pid, &ok))
			terminated = terminated || ok
			applyTerminated = applyTerminated || (ok && pid == apply)
		}
		require.NoError(t, rows.Err())
		require.True(t, applyTerminated, "the apply's connection was not terminated")
		require.True(t, terminated)
		release()
	})
	d.leaks()
}

// TestHiBobFaults: HiBob answers 20% of requests with 5xx, cuts bodies, resets connections and
// answers slowly; the sync finishes, exact.
func TestHiBobFaults(t *testing.T) {
	d := newDrill(t, true, devserver.Options{})
	d.baseline()
	d.syncUnder(90*time.Second, func() {
		d.Sim.ResetStats()
		d.Sim.SetFaults(simulator.Faults{ErrorRate: 0.2, TruncateRate: 0.05, ResetRate: 0.05, Latency: 20 * time.Millisecond, Seed: 6})
	}, func() {})
	d.Sim.SetFaults(simulator.Faults{})
	f := d.Sim.Stats().Faults
	require.Positive(t, f.Errors, "no 5xx was injected")
	require.Positive(t, f.Truncated, "no body was truncated")
	require.Positive(t, f.Resets, "no connection was reset")
	require.Positive(t, f.Delayed, "no answer was delayed")
	d.leaks()
}

// TestRateLimitStorm: HiBob allows 2 requests per window on every endpoint; the sync waits its
// way through, exact, and never meets (so never retries) a 401 or 403.
func TestRateLimitStorm(t *testing.T) {
	d := newDrill(t, true, devserver.Options{})
	d.baseline()
	d.syncUnder(2*time.Minute, func() {
		d.Sim.ResetStats()
		for _, e := range simulator.Endpoints {
			d.Sim.SetLimit(e, 2)
		}
	}, func() {})
	st := d.Sim.Stats()
	require.Positive(t, st.RateLimited, "the storm limited nothing")
	require.Zero(t, st.Unauthorized, "401s")
	require.Zero(t, st.Forbidden, "403s")
	require.Zero(t, st.WAFBlocks, "WAF blocks")
	require.Positive(t, st.ByServiceUser[d.user.ID])
	d.leaks()
}

// TestTokenRevokedMidSync: the token is revoked while the sync fetches (the employee fetch's
// requests and the three history tables under way side by side); the connection goes to
// credentials_invalid after exactly one 401, and recovers once the customer enters the rotated
// token: the next sync is exact. One 401, because the worker's transport lets one request per
// token at a time await HiBob's answer headers, and refuses the token locally once HiBob has:
// the requests waiting behind the refused one are never sent.
func TestTokenRevokedMidSync(t *testing.T) {
	d := newDrill(t, true, devserver.Options{})
	d.baseline()
	want := d.hrChanges()
	d.Sim.SetFaults(slowFetch)
	d.Sim.ResetStats()
	d.update(workflows.UpdateSyncNow)
	d.waitSearches(3, 30*time.Second) // the listing and two batches
	require.NoError(t, d.Company.RevokeToken(d.user.ID))
	st := d.waitFor("credentials_invalid", time.Minute, func(st workflows.Status) bool { return st.Phase == model.PhaseCredentialsInvalid })
	require.Contains(t, st.LastError, "401")
	time.Sleep(2 * time.Second) // anything still in flight has landed
	refused := d.Sim.Stats().Unauthorized
	require.Equal(t, int64(1), refused, "401s for the revoked token")
	time.Sleep(2 * time.Second)
	require.Equal(t, refused, d.Sim.Stats().Unauthorized, "nothing is sent with the refused token afterwards")
	d.Sim.SetFaults(simulator.Faults{})

	rotated, err := d.Company.RotateToken(d.user.ID)
	require.NoError(t, err)
	d.tokens = append(d.tokens, rotated.Token)
	_, err = starter.New(d.Client, d.Store).UpdateCredentials(context.Background(), d.tenant, d.user.ID, rotated.Token)
	require.NoError(t, err)
	d.waitFor("active with the new token", time.Minute, func(st workflows.Status) bool { return st.Phase == model.PhaseActive })
	d.update(workflows.UpdateSyncNow)
	d.waitApplied("the sync with the new token", time.Minute)
	d.requireExact(want)
	require.Equal(t, refused, d.Sim.Stats().Unauthorized, "401s in all: none after the new token")
	d.leaks()
}

// TestLeakBatteryAfterDemoLikeRun: the leak battery after a run as the demo makes one, through
// the starter (Update-with-Start connect with its memo and summary, approve, sync now), with
// support's reviewer name and note in the history.
func TestLeakBatteryAfterDemoLikeRun(t *testing.T) {
	d := newDrill(t, true, devserver.Options{})
	ctx := context.Background()
	s := starter.New(d.Client, d.Store)
	conn, err := s.Connect(ctx, starter.ConnectRequest{Company: d.Company.Name(), ServiceUserID: d.user.ID, Token: d.user.Token})
	require.NoError(t, err)
	d.tenant = conn.Tenant
	d.waitFor("awaiting_review", time.Minute, func(st workflows.Status) bool { return st.Phase == model.PhaseAwaitingReview })
	_, err = s.Approve(ctx, d.tenant, "support@gifted", "looks complete")
	require.NoError(t, err)
	d.waitApplied("the baseline", time.Minute)
	d.requireExact(nil)
	want := d.hrChanges()
	_, err = s.SyncNow(ctx, d.tenant)
	require.NoError(t, err)
	d.waitApplied("the second sync", time.Minute)
	d.requireExact(want)
	d.leaks()
}

// TestLeakBatteryFindsLeaks plants a token and personal data where the battery must look — a
// workflow's input and memo, a log line, a process's output, the database — and checks that it
// reports each, so that a clean result means something.
func TestLeakBatteryFindsLeaks(t *testing.T) {
	d := newDrill(t, false, devserver.Options{})
	ctx := context.Background()
	token, birth := d.user.Token, d.Company.Truth()[7].BirthDate.String()
	_, err := d.Client.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: "leak-canary", TaskQueue: "nobody-polls",
		Memo: map[string]any{"note": "token " + token}}, "Canary", birth)
	require.NoError(t, err)
	_, err = d.Store.Pool().Exec(ctx, `CREATE TABLE canary (v text); INSERT INTO canary VALUES ('`+token+`')`)
	require.NoError(t, err)
	fmt.Fprintf(d.Logs, `{"msg":"born %s"}`+"\n", birth)

	r := &recorder{TB: t}
	done := make(chan struct{})
	go func() {
		defer close(done)
		d.RequireNoLeaks(r, systemtest.Secrets{Tokens: d.tokens, PII: d.pii}, "a process said "+token)
	}()
	<-done
	all := strings.Join(r.errs, "\n")
	for _, where := range []string{
		"a HiBob token (48 characters) is in the history of leak-canary",
		"personal data (10 characters) is in the history of leak-canary",
		"a HiBob token (48 characters) is in the search attributes and memo of leak-canary",
		"is in `temporal workflow show` of leak-canary",
		"personal data (10 characters) is in the SDK client's and in-process workers' log lines",
		"a HiBob token (48 characters) is in process log 1",
		"the plain form of a HiBob token is in the pg_dump",
	} {
		require.Contains(t, all, where)
	}
	require.NotContains(t, all, token, "the battery's own messages must not carry the token")
}

// recorder is a testing.TB that records the errors reported to it instead of failing.
type recorder struct {
	testing.TB
	mu   sync.Mutex
	errs []string
}

func (r *recorder) Errorf(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.errs = append(r.errs, fmt.Sprintf(format, args...))
}

func (r *recorder) Fatalf(format string, args ...any) {
	r.Errorf(format, args...)
	runtime.Goexit()
}

func (r *recorder) Fatal(args ...any) {
	r.Errorf("%s", fmt.Sprint(args...))
	runtime.Goexit()
}

func (r *recorder) Helper() {}
