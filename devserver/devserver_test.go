package devserver_test

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	sdkworker "go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"hibobsync/devserver"
	"hibobsync/worker"
)

func TestServerRegistersTheSearchAttributes(t *testing.T) {
	srv := devserver.StartForTest(t, devserver.Options{SearchAttributes: worker.SearchAttributes()})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	// The server refuses a query naming an attribute it does not know, so success means both
	// are registered (as Keyword: a Keyword compares with =).
	for _, q := range []string{`HibobPhase = "x"`, `HibobTenant = "acme" AND HibobPhase = "active"`} {
		resp, err := srv.Client().ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{Namespace: srv.Namespace(), Query: q})
		require.NoError(t, err, q)
		require.Empty(t, resp.GetExecutions())
	}
	_, err := srv.Client().ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{Namespace: srv.Namespace(), Query: `NoSuchAttribute = "x"`})
	require.Error(t, err, "an unregistered attribute must be refused, or the check above proves nothing")
}

func TestShowUnknownWorkflow(t *testing.T) {
	srv := devserver.StartForTest(t, devserver.Options{})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	_, err := devserver.Show(ctx, srv.FrontendHostPort(), "no-such-workflow")
	require.Error(t, err)
	require.ErrorContains(t, err, "no-such-workflow")
	require.ErrorContains(t, err, "not found")

	_, err = srv.Show(ctx, "")
	require.ErrorContains(t, err, "no workflow ID")
}

func greet(_ workflow.Context, name string) (string, error) { return "hello " + name, nil }

func TestShowRecordsAReplayableHistory(t *testing.T) {
	srv := devserver.StartForTest(t, devserver.Options{})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	w := newWorker(t, srv, greet)
	defer w.Stop()
	run, err := srv.Client().ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: "greet/1", TaskQueue: "devserver-test"}, greet, "bob")
	require.NoError(t, err)
	require.NoError(t, run.Get(ctx, nil))

	history, err := srv.Show(ctx, "greet/1")
	require.NoError(t, err)
	var h struct {
		Events []struct {
			EventType string `json:"eventType"`
		} `json:"events"`
	}
	require.NoError(t, json.Unmarshal(history, &h))
	require.NotEmpty(t, h.Events)
	require.Equal(t, "EVENT_TYPE_WORKFLOW_EXECUTION_STARTED", h.Events[0].EventType)
	require.NotContains(t, string(history), "hello bob", "payloads are base64 in the JSON…")
	text, err := devserver.HistoryText(history)
	require.NoError(t, err)
	require.Contains(t, text, `"hello bob"`, "…and decoded by HistoryText")
	require.Contains(t, text, `"bob"`)

	// What Show writes is what the replayer reads.
	file := filepath.Join(t.TempDir(), "greet.json")
	require.NoError(t, os.WriteFile(file, history, 0o600))
	replayer := sdkworker.NewWorkflowReplayer()
	replayer.RegisterWorkflow(greet)
	require.NoError(t, replayer.ReplayWorkflowHistoryFromJSONFile(nil, file))
}

func TestServerPersistsToAFileAndServesTheUI(t *testing.T) {
	db := filepath.Join(t.TempDir(), "temporal.db")
	srv := devserver.StartForTest(t, devserver.Options{DBFilename: db, UI: true})
	require.FileExists(t, db)
	require.NotEmpty(t, srv.UIAddress())

	// The UI comes up a moment after the frontend.
	require.Eventually(t, func() bool {
		resp, err := http.Get(srv.UIAddress())
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	}, 30*time.Second, 200*time.Millisecond)
	require.NoError(t, srv.Stop())
	require.NoError(t, srv.Stop(), "Stop twice is fine")
}
