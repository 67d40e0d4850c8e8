package worker

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"
	sdkworker "go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"hibobsync/devserver"
)

// slow is an activity that runs until released, and reports whether its context was cancelled.
type slow struct {
	started  chan struct{}
	release  chan struct{}
	finished chan error
}

func (s *slow) Slow(ctx context.Context) error {
	close(s.started)
	select {
	case <-s.release:
		s.finished <- nil
		return nil
	case <-ctx.Done():
		s.finished <- ctx.Err()
		return ctx.Err()
	}
}

func slowWorkflow(ctx workflow.Context) error {
	var s *slow
	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{StartToCloseTimeout: time.Minute})
	return workflow.ExecuteActivity(ctx, s.Slow).Get(ctx, nil)
}

// Stopping the worker lets a running activity finish (within the stop timeout) instead of
// cancelling it: what SIGTERM during a batch fetch or an apply relies on.
func TestStopLetsRunningActivitiesFinish(t *testing.T) {
	srv := devserver.StartForTest(t, devserver.Options{})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	z, err := NewLogger(&syncBuffer{}, LogOptions{})
	require.NoError(t, err)
	c, err := Dial(ctx, Config{Client: client.Options{HostPort: srv.FrontendHostPort()}}, z)
	require.NoError(t, err)
	defer c.Close()

	acts := &slow{started: make(chan struct{}), release: make(chan struct{}), finished: make(chan error, 1)}
	w := sdkworker.New(c, "shutdown", workerOptions(Config{StopTimeout: 10 * time.Second}))
	w.RegisterWorkflow(slowWorkflow)
	w.RegisterActivity(acts)
	require.NoError(t, w.Start())

	_, err = c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{TaskQueue: "shutdown"}, slowWorkflow)
	require.NoError(t, err)
	select {
	case <-acts.started:
	case <-ctx.Done():
		t.Fatal("the activity never started")
	}

	stopped := make(chan struct{})
	go func() { w.Stop(); close(stopped) }()
	time.Sleep(300 * time.Millisecond) // the worker is stopping, the activity still running
	select {
	case <-stopped:
		t.Fatal("Stop returned while an activity was still running")
	default:
	}
	close(acts.release)
	require.NoError(t, <-acts.finished, "the activity's context was cancelled during a graceful stop")
	select {
	case <-stopped:
	case <-time.After(10 * time.Second):
		t.Fatal("Stop did not return after the activity finished")
	}
}
