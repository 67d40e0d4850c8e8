package worker_test

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"
	"go.uber.org/zap"

	"hibobsync/worker"
)

func TestNewLogger(t *testing.T) {
	var buf bytes.Buffer
	l, err := worker.NewLogger(&buf, worker.LogOptions{Level: "warn"})
	require.NoError(t, err)
	l.Info("dropped")
	l.Warn("kept", zap.String("tenant", "acme"))
	require.NoError(t, l.Sync())

	var line map[string]any
	require.NoError(t, json.Unmarshal(bytes.TrimSpace(buf.Bytes()), &line), "one JSON object: %s", buf.String())
	require.Equal(t, "kept", line["msg"])
	require.Equal(t, "acme", line["tenant"])
	require.Equal(t, "warn", line["level"])
	require.Contains(t, line, "caller")

	buf.Reset()
	l, err = worker.NewLogger(&buf, worker.LogOptions{Development: true})
	require.NoError(t, err)
	l.Info("for people")
	require.Contains(t, buf.String(), "INFO")
	require.Contains(t, buf.String(), "for people")

	_, err = worker.NewLogger(&buf, worker.LogOptions{Level: "loud"})
	require.ErrorContains(t, err, `"loud"`)
}
