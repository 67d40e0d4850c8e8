package devserver_test

import (
	"testing"

	"github.com/stretchr/testify/require"
	sdkworker "go.temporal.io/sdk/worker"

	"hibobsync/devserver"
)

// newWorker runs a worker of the given workflow on task queue "devserver-test".
func newWorker(t *testing.T, srv *devserver.Server, wf any) sdkworker.Worker {
	t.Helper()
	w := sdkworker.New(srv.Client(), "devserver-test", sdkworker.Options{})
	w.RegisterWorkflow(wf)
	require.NoError(t, w.Start())
	return w
}
