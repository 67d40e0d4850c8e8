package pglocal

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// binaries is one PostgreSQL installation's server programs.
type binaries struct {
	dir   string // holds initdb, pg_ctl and postgres
	major int    // e.g. 15
}

func (b binaries) path(name string) string { return filepath.Join(b.dir, name) }

// versionRE reads the major version out of "pg_ctl (PostgreSQL) 15.20 (Debian 15.20-0+deb12u1)".
var versionRE = regexp.MustCompile(`\(PostgreSQL\) (\d+)`)

// findBinaries returns the installation to run a cluster with: the one whose major version is
// want when want > 0 (an existing cluster can only be started by its own major version), else the
// highest version found. Candidates are the directory pg_ctl on PATH resolves to (Debian's
// server binaries are not on PATH, but a machine may link them there) and
// /usr/lib/postgresql/*/bin.
func findBinaries(ctx context.Context, want int) (binaries, error) {
	var dirs []string
	if p, err := exec.LookPath("pg_ctl"); err == nil {
		if real, err := filepath.EvalSymlinks(p); err == nil {
			dirs = append(dirs, filepath.Dir(real))
		}
	}
	globbed, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	dirs = append(dirs, globbed...)

	seen := map[string]bool{}
	var found []binaries
	for _, dir := range dirs {
		if seen[dir] || !hasServerPrograms(dir) {
			continue
		}
		seen[dir] = true
		out, err := exec.CommandContext(ctx, filepath.Join(dir, "pg_ctl"), "--version").Output()
		if err != nil {
			continue
		}
		m := versionRE.FindSubmatch(out)
		if m == nil {
			continue
		}
		major, _ := strconv.Atoi(string(m[1]))
		found = append(found, binaries{dir: dir, major: major})
	}
	if len(found) == 0 {
		return binaries{}, ErrNoBinaries
	}
	sort.SliceStable(found, func(i, j int) bool { return found[i].major > found[j].major })
	if want <= 0 {
		return found[0], nil
	}
	for _, b := range found {
		if b.major == want {
			return b, nil
		}
	}
	return binaries{}, fmt.Errorf("the cluster needs PostgreSQL %d's binaries, and only %s are installed", want, describe(found))
}

func hasServerPrograms(dir string) bool {
	for _, name := range []string{"initdb", "pg_ctl", "postgres"} {
		if fi, err := os.Stat(filepath.Join(dir, name)); err != nil || fi.IsDir() || fi.Mode()&0o111 == 0 {
			return false
		}
	}
	return true
}

func describe(found []binaries) string {
	parts := make([]string, len(found))
	for i, b := range found {
		parts[i] = fmt.Sprintf("%d (%s)", b.major, b.dir)
	}
	return strings.Join(parts, ", ")
}

// redact hides a password in a URL, for error messages.
func redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme == "" {
		return "(a connection string)"
	}
	return u.Redacted()
}
