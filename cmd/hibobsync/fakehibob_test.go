package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"hibobsync/systemtest"
)

// The fake serves over real TCP, hands its credentials over in a 0600 file only, and a check
// against it passes, as the README tells a developer to run them.
func TestFakeHibobServesACheckableCompany(t *testing.T) {
	credsFile := filepath.Join(t.TempDir(), "creds.json")
	var out, errOut systemtest.LogBuffer
	c := &cli{stdout: &out, stderr: &errOut, getenv: func(string) string { return "" }}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"fake-hibob", "--addr", "127.0.0.1:0", "--employees", "150", "--credentials-file", credsFile}, c)
	}()

	var creds struct{ ServiceUserID, Token, BaseURL string }
	require.Eventually(t, func() bool {
		b, err := os.ReadFile(credsFile)
		return err == nil && json.Unmarshal(b, &creds) == nil && creds.BaseURL != ""
	}, 10*time.Second, 20*time.Millisecond)
	info, err := os.Stat(credsFile)
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o600), info.Mode().Perm())

	code, report, checkErr := runCheck(t, creds.BaseURL, creds.ServiceUserID, creds.Token)
	require.Equal(t, 0, code, checkErr)
	require.Contains(t, report, "Employees: 150 visible")

	cancel()
	select {
	case code := <-done:
		require.Equal(t, 0, code, errOut.String())
	case <-time.After(15 * time.Second):
		t.Fatal("fake-hibob did not shut down")
	}
	require.NotContains(t, out.String()+errOut.String(), creds.Token)
	require.Contains(t, errOut.String(), "credentials written to")
}
