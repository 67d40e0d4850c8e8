package hibob_test

import (
	"context"
	"errors"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"hibobsync/hibob"
)

// requireNoSecrets checks an error tells nothing it must not.
func requireNoSecrets(t *testing.T, err error) {
	t.Helper()
	require.Error(t, err)
	s := err.Error()
	require.NotContains(t, s, testToken)
	require.NotContains(t, s, "Basic ")
	require.NotContains(t, strings.ToLower(s), "authorization:")
}

func TestErrorClasses(t *testing.T) {
	reset := time.Now().Add(42 * time.Second).Truncate(time.Second)
	cases := []struct {
		name      string
		handler   http.HandlerFunc
		kind      error
		status    int
		retryable bool
		says      string
	}{
		{"401 empty body", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("X-RateLimit-Limit", "50")
			w.Header().Set("X-RateLimit-Remaining", "49")
			w.Header().Set("X-RateLimit-Reset", strconv.FormatInt(reset.Unix(), 10))
			w.WriteHeader(401)
		}, hibob.ErrUnauthorized, 401, false, "HiBob rejected the service user's credentials (401): check the service user ID and token"},
		{"403 json", serveJSON(403, golden(t, "error_403.json")), hibob.ErrForbidden, 403, false, "lacks a permission"},
		{"403 WAF html", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html")
			w.WriteHeader(403)
			w.Write(golden(t, "error_403_waf.html"))
		}, hibob.ErrForbidden, 403, false, "firewall"},
		{"404", serveJSON(404, []byte(`{"key":"not.found","error":"Not found"}`)), hibob.ErrNotFound, 404, false, "404"},
		{"400", serveJSON(400, golden(t, "error_400.json")), hibob.ErrBadRequest, 400, false, "exception.history.duplicated.bulk"},
		{"422", serveJSON(422, []byte(`{}`)), hibob.ErrBadRequest, 422, false, "422"},
		{"500", serveJSON(500, []byte(`{"error":"Internal"}`)), hibob.ErrTransient, 500, true, "500"},
		{"502 html", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html")
			w.WriteHeader(502)
			w.Write([]byte("<html><body>Bad Gateway</body></html>"))
		}, hibob.ErrTransient, 502, true, "502"},
		{"503", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(503) }, hibob.ErrTransient, 503, true, "503"},
		{"HTML 200", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html; charset=UTF-8")
			w.Write(golden(t, "html_200_wrong_path.html"))
		}, hibob.ErrBadResponse, 200, false, "instead of JSON"},
		{"JSON without content type", func(w http.ResponseWriter, r *http.Request) {
			w.Header()["Content-Type"] = nil
			w.Write(golden(t, "search_directory_append.json"))
		}, hibob.ErrBadResponse, 200, false, "instead of JSON"},
		{"truncated JSON", serveJSON(200, []byte(`{"employees":[{"id":"3987598587553907167","email":"a@`)), hibob.ErrBadResponse, 200, false, "not valid JSON"},
		{"employees is an object", serveJSON(200, []byte(`{"employees":{"id":"3987598587553907167"}}`)), hibob.ErrBadResponse, 200, false, "employees is an object"},
		{"no employees key", serveJSON(200, []byte(`{"people":[]}`)), hibob.ErrBadResponse, 200, false, "no employees"},
		{"top-level array", serveJSON(200, []byte(`[]`)), hibob.ErrBadResponse, 200, false, "employees"},
		{"employee is a string", serveJSON(200, []byte(`{"employees":["3987598587553907167"]}`)), hibob.ErrBadResponse, 200, false, "employee #0 is a string"},
		{"204", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(204) }, hibob.ErrBadResponse, 204, false, "instead of JSON"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFake(t, tc.handler)
			_, err := f.client(t).Search(context.Background(), hibob.SearchRequest{Fields: []string{"root.id"}})
			require.ErrorIs(t, err, tc.kind)
			for _, other := range []error{hibob.ErrUnauthorized, hibob.ErrForbidden, hibob.ErrNotFound, hibob.ErrRateLimited,
				hibob.ErrTransient, hibob.ErrBadRequest, hibob.ErrBadResponse} {
				if other != tc.kind {
					require.NotErrorIs(t, err, other)
				}
			}
			var apiErr *hibob.APIError
			require.ErrorAs(t, err, &apiErr)
			require.Equal(t, tc.status, apiErr.Status)
			require.Equal(t, hibob.EndpointSearch, apiErr.Endpoint)
			require.Equal(t, tc.kind, apiErr.Kind())
			require.Equal(t, tc.retryable, hibob.Retryable(err))
			require.ErrorContains(t, err, tc.says)
			require.ErrorContains(t, err, "POST /people/search")
			requireNoSecrets(t, err)
			require.EqualValues(t, 1, f.count.Load(), "exactly one request per call")
		})
	}
}

func TestUnauthorizedIsNeverRetried(t *testing.T) {
	for _, status := range []int{401, 403} {
		f := newFake(t, func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(status) })
		c := f.client(t)
		_, err := c.Fields(context.Background())
		require.Error(t, err)
		require.False(t, hibob.Retryable(err))
		_, err = c.ListEmployeeIDs(context.Background())
		require.Error(t, err)
		_, err = c.FetchEmployees(context.Background(), []string{"3332883884017713938"})
		require.Error(t, err)
		requireNoSecrets(t, err)
		require.EqualValues(t, 3, f.count.Load(), "status %d: one request per call, no retries", status)
	}
}

func TestRateLimitedRetryAt(t *testing.T) {
	reset := time.Now().Add(37 * time.Second).Truncate(time.Second)
	f := newFake(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-RateLimit-Limit", "50")
		w.Header().Set("X-RateLimit-Remaining", "0")
		w.Header().Set("X-RateLimit-Reset", strconv.FormatInt(reset.Unix(), 10))
		w.Header().Set("Retry-After", "5") // X-RateLimit-Reset wins
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(429)
		w.Write([]byte(`{"key":"rate.limit","error":"Too many requests"}`))
	})
	c := f.client(t)
	_, err := c.Search(context.Background(), hibob.SearchRequest{})
	require.ErrorIs(t, err, hibob.ErrRateLimited)
	require.True(t, hibob.Retryable(err))
	var apiErr *hibob.APIError
	require.ErrorAs(t, err, &apiErr)
	require.True(t, apiErr.RetryAt.Equal(reset), "%v != %v", apiErr.RetryAt, reset)
	require.Equal(t, hibob.RateLimit{Limit: 50, Remaining: 0, Reset: time.Unix(reset.Unix(), 0)}, apiErr.RateLimit)
	require.Equal(t, 429, apiErr.Status)
	require.Equal(t, "rate.limit", apiErr.Key)
	requireNoSecrets(t, err)

	rl, ok := c.RateLimit(hibob.EndpointSearch)
	require.True(t, ok)
	require.Equal(t, apiErr.RateLimit, rl)
	_, ok = c.RateLimit(hibob.EndpointFields)
	require.False(t, ok)
}

func TestRateLimitedRetryAfter(t *testing.T) {
	for _, tc := range []struct {
		header string
		want   time.Duration
	}{{"7", 7 * time.Second}, {time.Now().Add(90 * time.Second).UTC().Format(http.TimeFormat), 90 * time.Second}, {"", time.Minute}} {
		f := newFake(t, func(w http.ResponseWriter, r *http.Request) {
			if tc.header != "" {
				w.Header().Set("Retry-After", tc.header)
			}
			w.WriteHeader(429)
		})
		start := time.Now()
		_, err := f.client(t).Search(context.Background(), hibob.SearchRequest{})
		require.ErrorIs(t, err, hibob.ErrRateLimited)
		var apiErr *hibob.APIError
		require.ErrorAs(t, err, &apiErr)
		require.WithinDuration(t, start.Add(tc.want), apiErr.RetryAt, 2*time.Second, tc.header)
	}
}

func TestConnectionResetIsTransient(t *testing.T) {
	f := newFake(t, func(w http.ResponseWriter, r *http.Request) {
		conn, _, err := w.(http.Hijacker).Hijack()
		if err == nil {
			if tcp, ok := conn.(*net.TCPConn); ok {
				tcp.SetLinger(0) // RST, not FIN
			}
			conn.Close()
		}
	})
	_, err := f.client(t).Search(context.Background(), hibob.SearchRequest{})
	require.ErrorIs(t, err, hibob.ErrTransient)
	require.True(t, hibob.Retryable(err))
	var apiErr *hibob.APIError
	require.ErrorAs(t, err, &apiErr)
	require.Zero(t, apiErr.Status)
	requireNoSecrets(t, err)
}

func TestBodyCutShortIsTransient(t *testing.T) {
	f := newFake(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Content-Length", "1000")
		w.WriteHeader(200)
		w.Write([]byte(`{"employees":[`))
		w.(http.Flusher).Flush()
		conn, _, _ := w.(http.Hijacker).Hijack()
		conn.Close()
	})
	_, err := f.client(t).Search(context.Background(), hibob.SearchRequest{})
	require.ErrorIs(t, err, hibob.ErrTransient)
	require.ErrorContains(t, err, "connection broke")
}

func TestTimeouts(t *testing.T) {
	slow := func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-time.After(5 * time.Second):
		}
	}
	t.Run("context deadline", func(t *testing.T) {
		f := newFake(t, slow)
		ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
		defer cancel()
		_, err := f.client(t).Search(ctx, hibob.SearchRequest{})
		require.ErrorIs(t, err, hibob.ErrTransient)
		require.ErrorIs(t, err, context.DeadlineExceeded)
		require.ErrorContains(t, err, "did not answer in time")
		requireNoSecrets(t, err)
	})
	t.Run("http client timeout", func(t *testing.T) {
		f := newFake(t, slow)
		c := f.client(t, hibob.WithHTTPClient(&http.Client{Timeout: 100 * time.Millisecond}))
		_, err := c.Search(context.Background(), hibob.SearchRequest{})
		require.ErrorIs(t, err, hibob.ErrTransient)
		require.True(t, hibob.Retryable(err))
		require.ErrorContains(t, err, "did not answer in time")
	})
	t.Run("cancelled", func(t *testing.T) {
		f := newFake(t, slow)
		ctx, cancel := context.WithCancel(context.Background())
		time.AfterFunc(50*time.Millisecond, cancel)
		_, err := f.client(t).Search(ctx, hibob.SearchRequest{})
		require.ErrorIs(t, err, context.Canceled)
		require.False(t, hibob.Retryable(err))
	})
}

func TestErrorsNeverLeakTheIdentifier(t *testing.T) {
	f := newFake(t, func(w http.ResponseWriter, r *http.Request) {
		conn, _, _ := w.(http.Hijacker).Hijack()
		conn.Close()
	})
	_, err := f.client(t).ReadEmployee(context.Background(), "jane.doe@acme.com", nil)
	require.ErrorIs(t, err, hibob.ErrTransient)
	require.NotContains(t, err.Error(), "jane.doe")
}

func TestScrubbedMessages(t *testing.T) {
	f := newFake(t, serveJSON(400, []byte(`{"key":"bad","error":"Employee jane@acme.com with id 3332883884017713938 has value 'Secret St 5' `+strings.Repeat("x", 500)+`"}`)))
	_, err := f.client(t).Search(context.Background(), hibob.SearchRequest{})
	require.ErrorIs(t, err, hibob.ErrBadRequest)
	for _, leak := range []string{"jane@acme.com", "3332883884017713938", "Secret St"} {
		require.NotContains(t, err.Error(), leak)
	}
	var apiErr *hibob.APIError
	require.True(t, errors.As(err, &apiErr))
	require.LessOrEqual(t, len([]rune(apiErr.Message)), 201)
}

func TestRequestHeaders(t *testing.T) {
	f := newFake(t, serveJSON(200, []byte(`{"employees":[]}`)))
	c := f.client(t)
	_, err := c.Search(context.Background(), hibob.SearchRequest{})
	require.NoError(t, err)
	req := f.last(t)
	require.Equal(t, "/v1/people/search", req.Path)
	require.Equal(t, "hibobsync", req.Header.Get("User-Agent"))
	require.Equal(t, "application/json", req.Header.Get("Accept"))
	require.Equal(t, "application/json", req.Header.Get("Content-Type"))
	r, _ := http.NewRequest("GET", "/", nil)
	r.Header = req.Header
	user, pass, ok := r.BasicAuth()
	require.True(t, ok)
	require.Equal(t, testUser, user)
	require.Equal(t, testToken, pass)
}

func TestUnverifiableTLSIsNotRetryable(t *testing.T) {
	srv := httptest.NewUnstartedServer(serveJSON(200, []byte(`[]`)))
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the refused handshake is expected
	srv.StartTLS()
	t.Cleanup(srv.Close)
	c, err := hibob.New(hibob.NewCredentials(testUser, testToken), hibob.WithBaseURL(srv.URL+"/v1"), hibob.WithPacer(nil))
	require.NoError(t, err)
	_, err = c.Fields(context.Background())
	require.ErrorIs(t, err, hibob.ErrBadRequest)
	require.False(t, hibob.Retryable(err))
	require.ErrorContains(t, err, "TLS certificate")
	requireNoSecrets(t, err)

	// With the server's own client (trusting its certificate) it works.
	c, err = hibob.New(hibob.NewCredentials(testUser, testToken), hibob.WithBaseURL(srv.URL+"/v1"), hibob.WithPacer(nil), hibob.WithHTTPClient(srv.Client()))
	require.NoError(t, err)
	_, err = c.Fields(context.Background())
	require.NoError(t, err)
}
