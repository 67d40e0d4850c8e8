package hibob_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"

	"hibobsync/hibob"
)

const (
	testUser  = "SERVICE-12345"
	testToken = "tok-Secr3t-ZZqP9xW2vLmN8"
)

func golden(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "golden", name))
	require.NoError(t, err)
	return b
}

// recorded is one request as the fake HiBob saw it.
type recorded struct {
	Method, Path, RawPath, RawQuery string
	Header                          http.Header
	Body                            []byte
}

// fakeHiBob is an httptest server whose answer the test chooses, recording every request.
type fakeHiBob struct {
	*httptest.Server
	mu       sync.Mutex
	requests []recorded
	count    atomic.Int64
}

func newFake(t *testing.T, h http.HandlerFunc) *fakeHiBob {
	t.Helper()
	f := &fakeHiBob{}
	f.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		f.mu.Lock()
		f.requests = append(f.requests, recorded{r.Method, r.URL.Path, r.URL.RawPath, r.URL.RawQuery, r.Header.Clone(), body})
		f.mu.Unlock()
		f.count.Add(1)
		r.Body = io.NopCloser(bytes.NewReader(body))
		h(w, r)
	}))
	t.Cleanup(f.Close)
	return f
}

func (f *fakeHiBob) last(t *testing.T) recorded {
	t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	require.NotEmpty(t, f.requests)
	return f.requests[len(f.requests)-1]
}

func (f *fakeHiBob) all() []recorded {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]recorded(nil), f.requests...)
}

// client is an unpaced client of the fake, so tests run at full speed.
func (f *fakeHiBob) client(t *testing.T, opts ...hibob.Option) *hibob.Client {
	t.Helper()
	c, err := hibob.New(hibob.NewCredentials(testUser, testToken),
		append([]hibob.Option{hibob.WithBaseURL(f.URL + "/v1"), hibob.WithPacer(nil)}, opts...)...)
	require.NoError(t, err)
	return c
}

// serveJSON answers every request with status and body as application/json.
func serveJSON(status int, body []byte) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.WriteHeader(status)
		w.Write(body)
	}
}

func decodeBody(t *testing.T, b []byte) map[string]any {
	t.Helper()
	var m map[string]any
	require.NoError(t, json.Unmarshal(b, &m))
	return m
}

func asAPIError(err error) (*hibob.APIError, bool) {
	return errors.AsType[*hibob.APIError](err)
}
