package pglocal

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// runAs is the account that runs a throwaway cluster's programs. PostgreSQL (initdb, pg_ctl and
// postgres alike) refuses to run as root, and CI and these machines run as root, so as root the
// programs run as an unprivileged account through exec.Cmd's credentials; as anyone else they
// run as that user.
type runAs struct {
	name string
	cred *syscall.Credential // nil: run as the current user
}

// clusterUser picks the account: the current user, or as root "postgres" when the PostgreSQL
// packages created it (the account they were made for), else "nobody".
func clusterUser() (runAs, error) {
	if os.Geteuid() != 0 {
		return runAs{name: "the current user"}, nil
	}
	var tried []string
	for _, name := range []string{"postgres", "nobody"} {
		as, err := account(name)
		if err == nil {
			return as, nil
		}
		tried = append(tried, err.Error())
	}
	return runAs{}, fmt.Errorf("PostgreSQL refuses to run as root and no unprivileged account to run it as was found (%s); create a postgres user or run as a non-root user",
		strings.Join(tried, "; "))
}

// account is the named account as a runAs.
func account(name string) (runAs, error) {
	u, err := user.Lookup(name)
	if err != nil {
		return runAs{}, err
	}
	uid, err1 := strconv.ParseUint(u.Uid, 10, 32)
	gid, err2 := strconv.ParseUint(u.Gid, 10, 32)
	if err1 != nil || err2 != nil {
		return runAs{}, fmt.Errorf("%s: uid %q gid %q are not numbers", name, u.Uid, u.Gid)
	}
	return runAs{name: name, cred: &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}}, nil
}

// command prepares one of the cluster's programs. It runs in dir (a directory the account can
// enter: postgres complains when it cannot stat its working directory), with the PG* variables
// removed so that the flags given are the whole story, and with English messages so that errors
// can be recognised.
func (r runAs) command(ctx context.Context, dir, program string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, program, args...)
	cmd.Dir = dir
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "PG") && !strings.HasPrefix(kv, "LC_") && !strings.HasPrefix(kv, "LANG") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env, "LC_ALL=C")
	if r.cred != nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: r.cred}
	}
	// pg_ctl start leaves the postmaster running; should it ever keep our output pipes open,
	// Wait returns anyway after this delay instead of hanging until the server stops.
	cmd.WaitDelay = 5 * time.Second
	return cmd
}

// chownAll gives the whole tree under root to the account (as root only), so that a data folder
// made by this process, or left by a run that picked another account, is the cluster's own.
func (r runAs) chownAll(root string) error {
	if r.cred == nil {
		return nil
	}
	uid, gid := int(r.cred.Uid), int(r.cred.Gid)
	return filepath.WalkDir(root, func(path string, _ fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		return os.Lchown(path, uid, gid)
	})
}

// checkReachable fails, with what to do, when the account cannot enter every directory above
// dir: a root-owned 0700 folder on the way (t.TempDir(), /root) would otherwise surface as a
// puzzling "permission denied" from initdb.
func (r runAs) checkReachable(dir string) error {
	if r.cred == nil {
		return nil
	}
	for d := filepath.Dir(dir); ; d = filepath.Dir(d) {
		fi, err := os.Stat(d)
		if err != nil {
			return err
		}
		if !r.canEnter(fi) {
			return fmt.Errorf("PostgreSQL refuses to run as root, so the cluster runs as %s, who cannot enter %s (mode %v): "+
				"put the data folder where %s can reach it (the project's .data/ folder is fine)", r.name, d, fi.Mode().Perm(), r.name)
		}
		if d == filepath.Dir(d) {
			return nil
		}
	}
}

func (r runAs) canEnter(fi fs.FileInfo) bool {
	st, ok := fi.Sys().(*syscall.Stat_t)
	perm := fi.Mode().Perm()
	switch {
	case !ok:
		return true // cannot tell; let initdb say
	case st.Uid == r.cred.Uid:
		return perm&0o100 != 0
	case st.Gid == r.cred.Gid:
		return perm&0o010 != 0
	default:
		return perm&0o001 != 0
	}
}
