package main

import (
	"bytes"
	"context"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestDemoTellsTheWholeStory(t *testing.T) {
	var out, errOut bytes.Buffer
	c := &cli{stdout: &out, stderr: &errOut, getenv: func(string) string { return "" }}
	code := run(context.Background(), []string{"demo", "--employees", "200"}, c)
	require.Equal(t, 0, code, "stdout:\n%s\nstderr:\n%s", out.String(), errOut.String())
	require.Contains(t, out.String(), "the audit names the missing permission: Personal")
	require.Contains(t, out.String(), "now passes the audit")
}
