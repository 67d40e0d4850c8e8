package worker

import (
	"bufio"
	"context"
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/client"
	sdkworker "go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"hibobsync/devserver"
	"hibobsync/workflows"
)

func TestTenantOf(t *testing.T) {
	require.Equal(t, "acme", tenantOf(workflows.WorkflowID("acme")))
	require.Empty(t, tenantOf("something-else/acme"))
	require.Empty(t, tenantOf(""))
}

func logActivity(ctx context.Context) error {
	activity.GetLogger(ctx).Info("from the activity")
	return nil
}

func logWorkflow(ctx workflow.Context) error {
	workflow.GetLogger(ctx).Info("from the workflow")
	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{StartToCloseTimeout: 10 * time.Second})
	return workflow.ExecuteActivity(ctx, logActivity).Get(ctx, nil)
}

type syncBuffer struct {
	mu sync.Mutex
	sb strings.Builder
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.sb.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.sb.String()
}

// The worker's loggers name the tenant beside the SDK's workflow and run IDs.
func TestLogsCarryTheTenant(t *testing.T) {
	srv := devserver.StartForTest(t, devserver.Options{})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var logs syncBuffer
	z, err := NewLogger(&logs, LogOptions{})
	require.NoError(t, err)
	c, err := Dial(ctx, Config{Client: client.Options{HostPort: srv.FrontendHostPort()}}, z)
	require.NoError(t, err)
	defer c.Close()

	w := sdkworker.New(c, "tenant-logging", workerOptions(Config{}))
	w.RegisterWorkflow(logWorkflow)
	w.RegisterActivity(logActivity)
	require.NoError(t, w.Start())
	defer w.Stop()

	id := workflows.WorkflowID("acme")
	run, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: id, TaskQueue: "tenant-logging"}, logWorkflow)
	require.NoError(t, err)
	require.NoError(t, run.Get(ctx, nil))

	found := map[string]bool{}
	sc := bufio.NewScanner(strings.NewReader(logs.String()))
	for sc.Scan() {
		var line map[string]any
		require.NoError(t, json.Unmarshal(sc.Bytes(), &line), sc.Text())
		msg, _ := line["msg"].(string)
		if msg != "from the workflow" && msg != "from the activity" {
			continue
		}
		require.Equal(t, "acme", line["tenant"], sc.Text())
		require.Equal(t, id, line["WorkflowID"], sc.Text())
		require.Equal(t, run.GetRunID(), line["RunID"], sc.Text())
		found[msg] = true
	}
	require.True(t, found["from the workflow"] && found["from the activity"], logs.String())
}
