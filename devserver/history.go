package devserver

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"
	"unicode/utf8"
)

// HistoryText is a history from Show made searchable: the JSON itself, then every string value
// of it that is base64 of printable text, decoded, one per line. Show's JSON (protobuf JSON, as
// the replayer needs it) carries payloads — workflow inputs, activity arguments and results,
// summaries — base64-encoded, so a search of the raw JSON for a token or an employee's name
// would miss them there. A leak test searches this instead.
func HistoryText(history []byte) (string, error) {
	var v any
	if err := json.Unmarshal(history, &v); err != nil {
		return "", fmt.Errorf("devserver: the history is not JSON: %w", err)
	}
	var b strings.Builder
	b.Write(history)
	b.WriteByte('\n')
	decodeStrings(v, &b)
	return b.String(), nil
}

func decodeStrings(v any, b *strings.Builder) {
	switch v := v.(type) {
	case map[string]any:
		for _, e := range v {
			decodeStrings(e, b)
		}
	case []any:
		for _, e := range v {
			decodeStrings(e, b)
		}
	case string:
		raw, err := base64.StdEncoding.DecodeString(v)
		if err != nil || len(raw) == 0 || !utf8.Valid(raw) {
			return
		}
		b.Write(raw)
		b.WriteByte('\n')
	}
}
