package main

import (
	"bytes"
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"hibobsync/store/storetest"
)

// TestMain gives the package's tests their Postgres server (see storetest) and stops it after.
func TestMain(m *testing.M) { storetest.Main(m) }

func runMigrate(t *testing.T, env map[string]string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	c := &cli{stdout: &out, stderr: &errOut, getenv: func(k string) string { return env[k] }}
	code = run(context.Background(), append([]string{"migrate"}, args...), c)
	return code, out.String(), errOut.String()
}

func TestMigrateCommand(t *testing.T) {
	env := map[string]string{"DATABASE_URL": storetest.NewEmptyDatabase(t)}

	code, out, errOut := runMigrate(t, env)
	require.Equal(t, 0, code, errOut)
	require.Contains(t, out, "Postgres: DATABASE_URL")
	require.Contains(t, out, "Applied migration 00001.")

	code, out, errOut = runMigrate(t, env)
	require.Equal(t, 0, code, errOut)
	require.Contains(t, out, "up to date")
	require.NotContains(t, out, "Applied")
}

func TestMigrateCommandOnAMigratedDatabase(t *testing.T) {
	code, out, errOut := runMigrate(t, map[string]string{"DATABASE_URL": storetest.NewDatabase(t)})
	require.Equal(t, 0, code, errOut)
	require.Contains(t, out, "up to date")
}

func TestMigrateCommandErrors(t *testing.T) {
	code, _, errOut := runMigrate(t, map[string]string{"DATABASE_URL": "postgres://postgres@127.0.0.1:1/none?sslmode=disable&connect_timeout=2"})
	require.Equal(t, 1, code)
	require.Contains(t, errOut, "connect to Postgres (DATABASE_URL)")

	code, _, errOut = runMigrate(t, nil, "extra")
	require.Equal(t, 2, code)
	require.Contains(t, errOut, "takes no arguments")
}
