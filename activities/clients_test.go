package activities

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// authServer is a HiBob stand-in for the transport's tests: it decides on arrival whether it
// takes a request's Authorization header (revoked ones get 401), then waits latency before it
// writes the headers, as HiBob answers slowly but decides auth first. It counts what it saw.
type authServer struct {
	*httptest.Server
	latency time.Duration

	mu          sync.Mutex
	revoked     map[string]bool
	seen        map[string]int // requests by Authorization header
	unauthed    map[string]int // 401s by Authorization header
	inFlight    map[string]int // requests by header not yet answered
	maxInFlight map[string]int

	arrived  func() // called as a request arrives, before anything else (nil: none)
	bodyGate func() // called after the headers are flushed, before the body (nil: none)
}

// newAuthServer starts an authServer; configure sets its hooks before it starts.
func newAuthServer(t *testing.T, latency time.Duration, configure func(*authServer)) *authServer {
	s := &authServer{latency: latency, revoked: map[string]bool{}, seen: map[string]int{}, unauthed: map[string]int{},
		inFlight: map[string]int{}, maxInFlight: map[string]int{}}
	if configure != nil {
		configure(s)
	}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.Close)
	return s
}

func (s *authServer) serve(w http.ResponseWriter, r *http.Request) {
	if s.arrived != nil {
		s.arrived()
	}
	h := r.Header.Get("Authorization")
	s.mu.Lock()
	s.seen[h]++
	s.inFlight[h]++
	s.maxInFlight[h] = max(s.maxInFlight[h], s.inFlight[h])
	refused := s.revoked[h]
	if refused {
		s.unauthed[h]++
	}
	s.mu.Unlock()

	time.Sleep(s.latency)
	s.mu.Lock()
	s.inFlight[h]--
	s.mu.Unlock()
	if refused {
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	w.WriteHeader(http.StatusOK)
	w.(http.Flusher).Flush()
	if s.bodyGate != nil {
		s.bodyGate()
	}
	_, _ = io.WriteString(w, `{"ok":true}`)
}

func (s *authServer) revoke(header string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.revoked[header] = true
}

func (s *authServer) counts(header string) (seen, unauthed, maxInFlight int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.seen[header], s.unauthed[header], s.maxInFlight[header]
}

// get sends a GET with the header through c and returns the status (0 with the error).
func get(ctx context.Context, c *http.Client, url, header string) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return 0, err
	}
	req.Header.Set("Authorization", header)
	resp, err := c.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	if _, err := io.Copy(io.Discard, resp.Body); err != nil {
		return 0, err
	}
	return resp.StatusCode, nil
}

func requireNoDoors(t *testing.T, c *http.Client) {
	t.Helper()
	gt := c.Transport.(*guardedTransport)
	gt.mu.Lock()
	defer gt.mu.Unlock()
	require.Empty(t, gt.doors, "doors left behind")
}

// A token revoked while 20 requests with it are under way costs exactly one 401 at HiBob: one
// request at a time awaits HiBob's headers, and those behind the refused one are answered
// locally. Another token's requests go through meanwhile.
func TestRevokedTokenMeetsOne401AmongConcurrentRequests(t *testing.T) {
	t.Parallel()
	const a, b, n = "Basic token-a", "Basic token-b", 20
	srv := newAuthServer(t, 30*time.Millisecond, nil)
	c := NewClientFactory(srv.URL, nil, nil).http

	statuses := make(chan int, 2*n)
	var wg sync.WaitGroup
	for range n {
		for _, h := range []string{a, b} {
			wg.Go(func() {
				code, err := get(context.Background(), c, srv.URL, h)
				if err != nil {
					t.Errorf("%s: %v", h, err)
				}
				if h == b && code != http.StatusOK {
					t.Errorf("the other token got %d", code)
				}
				if h == a {
					statuses <- code
				}
			})
		}
	}
	require.Eventually(t, func() bool { seen, _, _ := srv.counts(a); return seen >= 5 }, 10*time.Second, time.Millisecond)
	srv.revoke(a)
	wg.Wait()
	close(statuses)

	seen, unauthed, maxInFlight := srv.counts(a)
	require.Equal(t, 1, unauthed, "401s HiBob sent for the revoked token")
	require.Equal(t, 1, maxInFlight, "requests with one token awaiting HiBob's headers at once")
	require.Less(t, seen, n, "requests with the revoked token that reached HiBob")
	ok, refused := 0, 0
	for code := range statuses {
		switch code {
		case http.StatusOK:
			ok++
		case http.StatusUnauthorized:
			refused++
		default:
			t.Errorf("status %d", code)
		}
	}
	require.Equal(t, n, ok+refused)
	require.Equal(t, seen-1, ok, "every request HiBob took but the refused one was answered 200")
	bSeen, bUnauthed, _ := srv.counts(b)
	require.Equal(t, n, bSeen)
	require.Zero(t, bUnauthed)

	// Afterwards the refused token stays refused without reaching HiBob; others still go.
	code, err := get(context.Background(), c, srv.URL, a)
	require.NoError(t, err)
	require.Equal(t, http.StatusUnauthorized, code)
	code, err = get(context.Background(), c, srv.URL, "Basic token-c")
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, code)
	seenAfter, unauthedAfter, _ := srv.counts(a)
	require.Equal(t, seen, seenAfter)
	require.Equal(t, 1, unauthedAfter)
	requireNoDoors(t, c)
}

// The door opens when the headers arrive, not when the body has been read: requests with one
// token read their bodies side by side. Here HiBob holds every body until all requests have had
// their headers, which would never happen were the door held until the body was read.
func TestDoorOpensAtTheHeaders(t *testing.T) {
	t.Parallel()
	const h, n = "Basic token-a", 5
	var headersSent sync.WaitGroup
	headersSent.Add(n)
	allSent := make(chan struct{})
	go func() { headersSent.Wait(); close(allSent) }()
	srv := newAuthServer(t, 0, func(s *authServer) {
		s.bodyGate = func() {
			headersSent.Done()
			select {
			case <-allSent:
			case <-time.After(10 * time.Second):
			}
		}
	})
	c := NewClientFactory(srv.URL, nil, nil).http

	start := time.Now()
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			code, err := get(context.Background(), c, srv.URL, h)
			if err != nil || code != http.StatusOK {
				t.Errorf("status %d, error %v", code, err)
			}
		})
	}
	wg.Wait()
	require.Less(t, time.Since(start), 5*time.Second, "the bodies waited for each other's headers")
	requireNoDoors(t, c)
}

// A request waiting at the door gives up as soon as its context ends, without being sent.
func TestWaitingAtTheDoorEndsWithTheContext(t *testing.T) {
	t.Parallel()
	const h = "Basic token-a"
	hold := make(chan struct{})
	held := make(chan struct{})
	var arrivals atomic.Int32
	srv := newAuthServer(t, 0, func(s *authServer) {
		s.arrived = func() {
			if arrivals.Add(1) == 1 {
				close(held)
				<-hold // no headers for the first request until the test says so
			}
		}
	})
	release := sync.OnceFunc(func() { close(hold) })
	t.Cleanup(release) // before the server closes, which waits for its handlers
	c := NewClientFactory(srv.URL, nil, nil).http

	firstDone := make(chan error, 1)
	go func() {
		code, err := get(context.Background(), c, srv.URL, h)
		if err == nil && code != http.StatusOK {
			err = errors.New(http.StatusText(code))
		}
		firstDone <- err
	}()
	<-held

	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(50*time.Millisecond, cancel)
	start := time.Now()
	_, err := get(ctx, c, srv.URL, h)
	require.ErrorIs(t, err, context.Canceled)
	require.Less(t, time.Since(start), 2*time.Second, "the waiting request did not give up with its context")
	require.EqualValues(t, 1, arrivals.Load(), "the cancelled request was sent")

	release()
	require.NoError(t, <-firstDone)
	seenAll, _, _ := srv.counts(h)
	require.Equal(t, 1, seenAll, "the cancelled request was sent")
	require.EqualValues(t, 1, arrivals.Load())
	requireNoDoors(t, c)
}
