package systemtest

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// CallJSON sends a request to url, with key as its bearer token and body as its body when they
// are not empty, and returns the answer's status, its JSON body decoded and the body as sent.
// It fails the test when the request fails or the answer is not a JSON object.
func CallJSON(t testing.TB, method, url, key, body string) (status int, decoded map[string]any, raw string) {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, url, rd)
	require.NoError(t, err)
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(b, &decoded), string(b))
	return resp.StatusCode, decoded, string(b)
}
