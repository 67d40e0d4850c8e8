package pglocal

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
)

// Layout of a throwaway cluster's data folder (dataDir):
//
//	dataDir/pgdata/          the cluster (PGDATA)
//	dataDir/postgres.log     the server's log, appended to by every start
//	dataDir/.s.PGSQL.<port>  the server's unix socket
const (
	pgdataName = "pgdata"
	logName    = "postgres.log"
	// confName is rewritten at every start (the port changes) and included from postgresql.conf.
	confName = "hibobsync.conf"
)

// maxSocketPath is the longest unix socket path Linux takes (sun_path is 108 bytes with the NUL).
const maxSocketPath = 107

// startAttempts bounds the retries when the free port picked is taken before the server binds it
// (another test process may pick the same one between our check and the server's bind).
const startAttempts = 3

// StartThrowaway starts (or finds running) a disposable cluster in dataDir from the machine's
// PostgreSQL binaries: initialised on first use (superuser postgres, trust authentication),
// listening on 127.0.0.1 only on a free port, with fsync off because nothing in it needs to
// survive a crash. An initialised dataDir is reused, and a server already running in it is used
// as it is (Started false). As root the cluster runs as the "postgres" account (else "nobody"),
// which is given dataDir and must be able to reach it. The URL is the postgres database as
// superuser postgres. Stop stops the server and keeps dataDir; removing it is the caller's call.
func StartThrowaway(ctx context.Context, dataDir string) (*Server, error) {
	s, err := throwaway(ctx, dataDir)
	if err != nil {
		return nil, fmt.Errorf("pglocal: %w", err)
	}
	return s, nil
}

// throwaway is StartThrowaway with errors that start "throwaway cluster in <dir>".
func throwaway(ctx context.Context, dataDir string) (*Server, error) {
	abs, err := filepath.Abs(dataDir)
	if err != nil {
		return nil, fmt.Errorf("throwaway cluster in %q: %w", dataDir, err)
	}
	as, err := clusterUser()
	if err == nil {
		var s *Server
		if s, err = startThrowaway(ctx, abs, as); err == nil {
			return s, nil
		}
	}
	return nil, fmt.Errorf("throwaway cluster in %s: %w", abs, err)
}

func startThrowaway(ctx context.Context, dataDir string, as runAs) (*Server, error) {
	pgdata := filepath.Join(dataDir, pgdataName)
	existing := readMajor(pgdata)
	bins, err := findBinaries(ctx, existing)
	if err != nil {
		return nil, err
	}
	c := &cluster{dataDir: dataDir, pgdata: pgdata, bins: bins, as: as}

	if existing > 0 {
		if s, ok := c.findRunning(ctx); ok {
			return s, nil
		}
	}
	if err := os.MkdirAll(dataDir, 0o755); err != nil {
		return nil, err
	}
	if err := as.checkReachable(dataDir); err != nil {
		return nil, err
	}
	if err := os.Chmod(dataDir, 0o700); err != nil {
		return nil, err
	}
	if err := as.chownAll(dataDir); err != nil {
		return nil, fmt.Errorf("give the data folder to %s: %w", as.name, err)
	}
	if existing == 0 {
		if err := c.initdb(ctx); err != nil {
			return nil, err
		}
	}
	var startErr error
	for range startAttempts {
		port, err := freePort()
		if err != nil {
			return nil, err
		}
		startErr = c.start(ctx, port)
		if startErr == nil {
			return c.server(port, true), nil
		}
		if !errors.Is(startErr, errPortTaken) {
			break
		}
	}
	return nil, startErr
}

// cluster is one throwaway cluster's folder and how to run its programs.
type cluster struct {
	dataDir, pgdata string
	bins            binaries
	as              runAs
}

func (c *cluster) server(port int, started bool) *Server {
	return &Server{
		URL:     fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", port),
		Source:  "throwaway cluster in " + c.dataDir,
		DataDir: c.dataDir,
		Started: started,
		stop:    func() error { return c.stop(context.Background()) },
	}
}

// readMajor returns the major version of the cluster in pgdata, 0 when none is initialised.
func readMajor(pgdata string) int {
	b, err := os.ReadFile(filepath.Join(pgdata, "PG_VERSION"))
	if err != nil {
		return 0
	}
	v, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	return v
}

// findRunning reports a server already running in the cluster: postmaster.pid names its port
// (fourth line), and the server answering there must say its data directory is ours, not be a
// stranger that took the port after our server died.
func (c *cluster) findRunning(ctx context.Context) (*Server, bool) {
	f, err := os.Open(filepath.Join(c.pgdata, "postmaster.pid"))
	if err != nil {
		return nil, false
	}
	defer f.Close()
	var lines []string
	for sc := bufio.NewScanner(f); sc.Scan() && len(lines) < 4; {
		lines = append(lines, sc.Text())
	}
	if len(lines) < 4 {
		return nil, false
	}
	port, err := strconv.Atoi(strings.TrimSpace(lines[3]))
	if err != nil {
		return nil, false
	}
	s := c.server(port, false)
	cfg, err := pgx.ParseConfig(s.URL)
	if err != nil {
		return nil, false
	}
	cfg.ConnectTimeout = pingTimeout
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return nil, false
	}
	defer conn.Close(context.WithoutCancel(ctx))
	var dir string
	if err := conn.QueryRow(ctx, "SHOW data_directory").Scan(&dir); err != nil {
		return nil, false
	}
	if filepath.Clean(dir) != c.pgdata {
		return nil, false
	}
	return s, true
}

func (c *cluster) initdb(ctx context.Context) error {
	// --locale=C: the machine may lack the locale its environment names, and tests must not
	// depend on collation rules that differ between machines. --no-sync: the cluster is
	// disposable, and syncing every file of a fresh cluster costs seconds on slow disks.
	cmd := c.as.command(ctx, c.dataDir, c.bins.path("initdb"),
		"-D", c.pgdata, "-U", "postgres", "--auth=trust", "--encoding=UTF8", "--locale=C",
		"--no-sync", "--no-instructions")
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("initdb (PostgreSQL %d, as %s): %w\n%s", c.bins.major, c.as.name, err, bytes.TrimSpace(out))
	}
	// The settings that change between starts live in their own file, rewritten at every start.
	conf, err := os.OpenFile(filepath.Join(c.pgdata, "postgresql.conf"), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(conf, "\n# hibobsync: a throwaway cluster; the settings it needs are in %s.\ninclude_if_exists = '%s'\n", confName, confName)
	if cerr := conf.Close(); err == nil {
		err = cerr
	}
	return err
}

// errPortTaken: the server could not bind the port picked for it.
var errPortTaken = errors.New("port taken")

func (c *cluster) start(ctx context.Context, port int) error {
	socketDir := c.dataDir
	if len(filepath.Join(socketDir, fmt.Sprintf(".s.PGSQL.%d", port))) > maxSocketPath {
		socketDir = "" // no unix socket at all: every client here connects over TCP
	}
	settings := fmt.Sprintf(`# Written by hibobsync's pglocal at every start; edits are lost.
listen_addresses = '127.0.0.1'
port = %d
unix_socket_directories = %s
# Disposable data: no crash safety, for speed.
fsync = off
synchronous_commit = off
full_page_writes = off
`, port, quoteConf(socketDir))
	confPath := filepath.Join(c.pgdata, confName)
	if err := os.WriteFile(confPath, []byte(settings), 0o600); err != nil {
		return err
	}
	if err := c.as.chownAll(confPath); err != nil {
		return err
	}
	logPath := filepath.Join(c.dataDir, logName)
	before := fileSize(logPath)
	cmd := c.as.command(ctx, c.dataDir, c.bins.path("pg_ctl"),
		"start", "-D", c.pgdata, "-l", logPath, "-w", "-t", "60")
	out, err := cmd.CombinedOutput()
	if err != nil {
		logged := readFrom(logPath, before)
		if strings.Contains(logged, "already in use") {
			return errPortTaken
		}
		return fmt.Errorf("pg_ctl start (PostgreSQL %d, as %s, port %d): %w\n%s\n%s", c.bins.major, c.as.name, port, err,
			bytes.TrimSpace(out), lastLines(logged, 20))
	}
	if err := Ping(ctx, c.server(port, true).URL); err != nil {
		_ = c.stop(context.WithoutCancel(ctx))
		return fmt.Errorf("the server started on port %d but does not answer: %w\n%s", port, err, lastLines(readFrom(logPath, before), 20))
	}
	return nil
}

func (c *cluster) stop(ctx context.Context) error {
	cmd := c.as.command(ctx, c.dataDir, c.bins.path("pg_ctl"), "stop", "-D", c.pgdata, "-m", "fast", "-w", "-t", "60")
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("pglocal: pg_ctl stop in %s: %w\n%s", c.pgdata, err, bytes.TrimSpace(out))
	}
	return nil
}

// freePort asks the kernel for a port nobody listens on. Another process may take it before the
// server binds it; start reports that as errPortTaken and the caller tries another.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// quoteConf quotes a postgresql.conf string value.
func quoteConf(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

func fileSize(path string) int64 {
	fi, err := os.Stat(path)
	if err != nil {
		return 0
	}
	return fi.Size()
}

// readFrom returns what was appended to a log after offset: this start's lines only.
func readFrom(path string, offset int64) string {
	b, err := os.ReadFile(path)
	if err != nil || int64(len(b)) < offset {
		return ""
	}
	return string(b[offset:])
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
