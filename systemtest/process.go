package systemtest

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"hibobsync/checkout"
	"hibobsync/devserver"
)

// BuildCommand builds the hibobsync command (./cmd/hibobsync of the module) into dir and
// returns the binary's path. A test binary that runs the worker as a process builds it once.
func BuildCommand(t testing.TB, dir string) string {
	t.Helper()
	root, err := checkout.Root()
	if err != nil {
		t.Fatalf("systemtest: %v", err)
	}
	bin := filepath.Join(dir, "hibobsync")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, "./cmd/hibobsync")
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("systemtest: go build ./cmd/hibobsync: %v\n%s", err, out)
	}
	return bin
}

// Process is `hibobsync worker` running as a child process of the test.
type Process struct {
	cmd *exec.Cmd
	// Output is the process's stdout and stderr: its log lines.
	Output *LogBuffer
	done   chan struct{}
	err    error // the exit status, once done is closed
}

// StartWorkerProcess runs `hibobsync worker` (bin, from BuildCommand) against the system: the
// dev server (TEMPORAL_ADDRESS), the test's database (DATABASE_URL), its keyring
// (HIBOBSYNC_SECRET_KEY) and the simulator (HIBOB_BASE_URL), logging at debug level. The
// process paces HiBob requests to HiBob's real limits (per minute), not the compressed ones.
// It is stopped (SIGTERM, then SIGKILL) when the test ends if it still runs.
func (s *System) StartWorkerProcess(t testing.TB, bin string) *Process {
	t.Helper()
	var env []string
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		// Nothing meant for another Temporal, database or HiBob may redirect the process.
		if strings.HasPrefix(name, "TEMPORAL_") || strings.HasPrefix(name, "HIBOB") || name == "DATABASE_URL" {
			continue
		}
		env = append(env, kv)
	}
	env = append(env,
		"TEMPORAL_ADDRESS="+s.Dev.FrontendHostPort(),
		"TEMPORAL_NAMESPACE="+s.Dev.Namespace(),
		"DATABASE_URL="+s.DatabaseURL,
		"HIBOBSYNC_SECRET_KEY="+s.SecretKey,
		"HIBOB_BASE_URL="+s.HiBobURL,
	)
	p := &Process{Output: &LogBuffer{}, done: make(chan struct{})}
	p.cmd = exec.Command(bin, "worker", "--log-level", "debug")
	p.cmd.Env = env
	p.cmd.Dir = t.TempDir() // a throwaway Postgres, were one started, stays out of the checkout
	p.cmd.Stdout, p.cmd.Stderr = p.Output, p.Output
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("systemtest: start %s worker: %v", bin, err)
	}
	go func() {
		p.err = p.cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() {
		if p.Exited() {
			return
		}
		_ = p.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-p.done:
		case <-time.After(40 * time.Second):
			_ = p.cmd.Process.Kill()
			<-p.done
		}
	})
	return p
}

// Pid is the process's ID.
func (p *Process) Pid() int { return p.cmd.Process.Pid }

// Exited reports whether the process has ended.
func (p *Process) Exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// Kill sends SIGKILL and waits for the process to end: no graceful shutdown, as a crashed or
// OOM-killed pod.
func (p *Process) Kill(t testing.TB) {
	t.Helper()
	if p.Exited() {
		t.Fatalf("systemtest: the worker process %d ended before it was killed (%v); its output ends:\n%s", p.Pid(), p.err, tail(p.Output.String()))
	}
	if err := p.cmd.Process.Kill(); err != nil {
		t.Fatalf("systemtest: kill the worker process %d: %v", p.Pid(), err)
	}
	<-p.done
}

// RequireRunning fails the test when the process has ended.
func (p *Process) RequireRunning(t testing.TB) {
	t.Helper()
	if p.Exited() {
		t.Fatalf("systemtest: the worker process %d ended (%v); its output ends:\n%s", p.Pid(), p.err, tail(p.Output.String()))
	}
}

func tail(s string) string {
	const n = 4000
	if len(s) > n {
		return "…" + s[len(s)-n:]
	}
	return s
}

// RestartTemporal stops the dev server, waits downFor, and starts it again on the same address
// and database file (Build's dev options need a DBFilename), so workflows keep their state. The
// old client is closed with the old server: s.Client is the new server's. Workers on the old
// client (StartWorker's) must be stopped before and started again after; a worker process
// reconnects by itself.
func (s *System) RestartTemporal(t testing.TB, downFor time.Duration) {
	t.Helper()
	if s.devOpts.DBFilename == "" {
		t.Fatal("systemtest: RestartTemporal needs a dev server with its state in a file: Build with devserver.Options{DBFilename: …}")
	}
	opts := s.devOpts
	opts.HostPort = s.Dev.FrontendHostPort()
	if err := s.Dev.Stop(); err != nil {
		t.Fatalf("systemtest: stop the dev server: %v", err)
	}
	time.Sleep(downFor)
	s.Dev = devserver.StartForTest(t, opts)
	s.Client = s.Dev.Client()
}

// String describes the process for failure messages.
func (p *Process) String() string { return fmt.Sprintf("worker process %d", p.Pid()) }
