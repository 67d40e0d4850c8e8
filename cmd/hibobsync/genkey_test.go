package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"hibobsync/store"
)

func runGenKey(t *testing.T, env map[string]string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	c := &cli{stdout: &out, stderr: &errOut, getenv: func(k string) string { return env[k] }}
	code = run(context.Background(), append([]string{"gen-key"}, args...), c)
	return code, out.String(), errOut.String()
}

func TestGenKey(t *testing.T) {
	code, out, errOut := runGenKey(t, nil)
	require.Equal(t, 0, code, errOut)
	k, err := store.ParseKeyring(out)
	require.NoError(t, err)
	require.Len(t, k.KeyIDs(), 1)

	code, rotated, errOut := runGenKey(t, map[string]string{store.SecretKeyEnv: out}, "--rotate")
	require.Equal(t, 0, code, errOut)
	k2, err := store.ParseKeyring(rotated)
	require.NoError(t, err)
	require.Len(t, k2.KeyIDs(), 2)
	require.Equal(t, k.KeyIDs()[0], k2.KeyIDs()[1], "the old key stays, after the new one")
	require.True(t, strings.HasSuffix(strings.TrimSpace(rotated), strings.TrimSpace(out)))

	code, _, errOut = runGenKey(t, map[string]string{store.SecretKeyEnv: "not-a-spec"}, "--rotate")
	require.Equal(t, 1, code)
	require.Contains(t, errOut, "has no colon")
}
