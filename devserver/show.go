package devserver

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os/exec"
	"strings"
)

// Show returns a workflow's event history (its latest run) in the JSON the CLI writes with
// `temporal workflow show --output json`: what worker.WorkflowReplayer's
// ReplayWorkflowHistoryFromJSONFile reads, and what the token-leak tests search. The workflow
// is in namespace "default" of the server at hostPort.
func Show(ctx context.Context, hostPort, workflowID string) ([]byte, error) {
	return show(ctx, hostPort, "default", workflowID)
}

func show(ctx context.Context, hostPort, namespace, workflowID string) ([]byte, error) {
	if workflowID == "" {
		return nil, errors.New("devserver: show: no workflow ID")
	}
	bin, err := Binary()
	if err != nil {
		return nil, err
	}
	cmd := exec.CommandContext(ctx, bin, "workflow", "show",
		"--workflow-id", workflowID, "--output", "json",
		"--address", hostPort, "--namespace", namespace,
		// The caller names the server; a TEMPORAL_ADDRESS, API key or TLS profile meant for a
		// real cluster in the environment or ~/.config must not redirect or break the call.
		"--disable-config-env", "--disable-config-file")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		msg := strings.TrimSpace(stderr.String())
		if msg == "" {
			msg = "no message"
		}
		return nil, fmt.Errorf("devserver: temporal workflow show --workflow-id %s (namespace %s at %s): %s: %w",
			workflowID, namespace, hostPort, msg, err)
	}
	return stdout.Bytes(), nil
}
