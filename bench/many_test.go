package bench

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"hibobsync/hibob/simulator"
	"hibobsync/model"
	"hibobsync/starter"
	"hibobsync/store"
	"hibobsync/workflows"
)

// manyResult is scenario 4's outcome.
type manyResult struct {
	tenants      int
	generate     time.Duration // the simulator's companies
	toReview     time.Duration // first connect → every tenant awaiting review
	toSynced     time.Duration // approvals sent → every tenant active with its initial sync applied
	total        time.Duration // first connect → every tenant synced
	slowest      time.Duration // the longest approval → synced of one tenant
	peakRSS      int64         // the worker process's VmHWM, bytes
	exact        int           // tenants active whose employees equal the simulator's truth
	firstProblem string
}

// manyTenants connects 200 companies of 1,000 employees, approves them all at once and waits
// until every one is synced, with one worker running as its own process (the hibobsync binary,
// configured from the environment as in production), whose peak RSS it reads from /proc.
func (e *env) manyTenants() manyResult {
	m := manyResult{tenants: manyTenants}
	bin := e.buildBinary()

	start := time.Now()
	type tenant struct {
		company *simulator.Company
		user    simulator.ServiceUser
		key     model.TenantKey
		synced  time.Duration
	}
	ts := make([]*tenant, manyTenants)
	for i := range ts {
		c := e.sim.AddCompany(fmt.Sprintf("Bench Small %03d", i+1), manyEmployees, int64(1000+i))
		ts[i] = &tenant{company: c, user: c.AddServiceUser(simulator.FullAccess())}
	}
	m.generate = time.Since(start)

	proc := e.startWorkerProcess(bin)
	defer proc.stop()

	// Connect them all, 16 at a time, as many customers pressing Sync at once.
	began := time.Now()
	var wg sync.WaitGroup
	sem := make(chan struct{}, 16)
	errs := make([]error, len(ts))
	for i, t := range ts {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			conn, err := e.starter.Connect(e.ctx, starter.ConnectRequest{Company: t.company.Name(), ServiceUserID: t.user.ID, Token: t.user.Token})
			t.key, errs[i] = conn.Tenant, err
		}()
	}
	wg.Wait()
	e.noError(errors.Join(errs...), "connect the tenants")

	status := func(t *tenant) (workflows.Status, error) { return e.starter.Status(e.ctx, t.key) }
	waitAll := func(what string, within time.Duration, ok func(workflows.Status) bool, done func(*tenant)) {
		pending := append([]*tenant(nil), ts...)
		deadline := time.Now().Add(within)
		for len(pending) > 0 {
			if time.Now().After(deadline) {
				st, err := status(pending[0])
				e.b.Fatalf("many tenants: %d of %d not %s after %s; %s: %+v (error %v)\nworker log ends:\n%s",
					len(pending), len(ts), what, within, pending[0].key, st, err, proc.logTail())
			}
			var still []*tenant
			for _, t := range pending {
				st, err := status(t)
				if err == nil && ok(st) {
					done(t)
					continue
				}
				still = append(still, t)
			}
			pending = still
			if len(pending) > 0 {
				time.Sleep(200 * time.Millisecond)
			}
		}
	}
	waitAll("awaiting review", 5*time.Minute, func(st workflows.Status) bool { return st.Phase == model.PhaseAwaitingReview }, func(*tenant) {})
	m.toReview = time.Since(began)

	// Support approves every one at once.
	approved := time.Now()
	for i, t := range ts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = e.starter.Approve(e.ctx, t.key, "bench@gifted", "benchmark")
		}()
	}
	wg.Wait()
	e.noError(errors.Join(errs...), "approve the tenants")
	waitAll("synced", 8*time.Minute, func(st workflows.Status) bool {
		return st.Phase == model.PhaseActive && st.LastSync != nil && st.LastSync.Outcome == string(store.RunApplied)
	}, func(t *tenant) { t.synced = time.Since(approved) })
	m.toSynced = time.Since(approved)
	m.total = time.Since(began)
	m.peakRSS = proc.peakRSS()
	proc.stop()

	for _, t := range ts {
		m.slowest = max(m.slowest, t.synced)
		if err := e.exact(t.key, t.company); err != nil {
			if m.firstProblem == "" {
				m.firstProblem = err.Error()
			}
			continue
		}
		m.exact++
	}
	return m
}

// buildBinary builds cmd/hibobsync into a temporary folder.
func (e *env) buildBinary() string {
	goBin, err := exec.LookPath("go")
	e.noError(err, "find the go command to build the worker")
	bin := filepath.Join(e.b.TempDir(), "hibobsync")
	cmd := exec.CommandContext(e.ctx, goBin, "build", "-o", bin, "./cmd/hibobsync")
	cmd.Dir = ".." // the module root: tests run in their package's folder
	out, err := cmd.CombinedOutput()
	e.noError(err, "go build ./cmd/hibobsync: "+string(out))
	return bin
}

// workerProcess is `hibobsync worker` running against the benchmark's Temporal, Postgres and
// simulator.
type workerProcess struct {
	cmd      *exec.Cmd
	log      *os.File
	stopOnce sync.Once
	exited   chan struct{}
}

func (e *env) startWorkerProcess(bin string) *workerProcess {
	logFile, err := os.Create(filepath.Join(e.b.TempDir(), "worker.log"))
	e.noError(err, "create the worker's log")
	cmd := exec.Command(bin, "worker", "--log-level", "warn")
	var env []string
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(name, "TEMPORAL_") || name == "DATABASE_URL" || name == store.SecretKeyEnv || name == "HIBOB_BASE_URL" {
			continue
		}
		env = append(env, kv)
	}
	cmd.Env = append(env,
		"TEMPORAL_ADDRESS="+e.dev.FrontendHostPort(),
		"TEMPORAL_NAMESPACE="+e.dev.Namespace(),
		"DATABASE_URL="+e.dbURL,
		store.SecretKeyEnv+"="+e.secret,
		"HIBOB_BASE_URL="+e.simURL,
	)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	e.noError(cmd.Start(), "start the worker process")
	p := &workerProcess{cmd: cmd, log: logFile, exited: make(chan struct{})}
	go func() {
		_ = cmd.Wait()
		close(p.exited)
	}()
	e.b.Cleanup(p.stop)
	return p
}

// peakRSS is the process's peak resident set size so far (VmHWM).
func (p *workerProcess) peakRSS() int64 {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", p.cmd.Process.Pid))
	if err != nil {
		return -1
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			if err != nil {
				return -1
			}
			return kb << 10
		}
	}
	return -1
}

// stop ends the worker as Kubernetes would (SIGTERM), killing it after 30 seconds.
func (p *workerProcess) stop() {
	p.stopOnce.Do(func() {
		_ = p.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-p.exited:
		case <-time.After(30 * time.Second):
			_ = p.cmd.Process.Kill()
			<-p.exited
		}
		_ = p.log.Close()
	})
}

func (p *workerProcess) logTail() string {
	b, err := os.ReadFile(p.log.Name())
	if err != nil {
		return err.Error()
	}
	if len(b) > 4000 {
		b = b[len(b)-4000:]
	}
	return string(b)
}
