package devserver

import (
	"context"
	"testing"
	"time"
)

// startTimeout bounds a test's server start: the CLI answers within a few seconds, even on two
// busy cores with the race detector on.
const startTimeout = 2 * time.Minute

// StartForTest starts a server for one test and stops it when the test ends. A missing CLI fails
// the test (rather than skipping it) with the message saying to run `make temporal`: a skipped
// integration test reads as a passing one.
func StartForTest(t testing.TB, opts Options) *Server {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()
	s, err := Start(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.Stop(); err != nil {
			t.Errorf("%v", err)
		}
	})
	return s
}
