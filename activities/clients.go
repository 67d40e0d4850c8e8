package activities

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"sync"
	"time"

	"go.temporal.io/sdk/temporal"

	"hibobsync/hibob"
	"hibobsync/store"
)

// ClientFactory makes HiBob clients for the worker's activities. HiBob's rate limits are per
// service user and endpoint, so the factory keeps one Pacer per service user ID and gives it
// to every client of that user: concurrent activities of a tenant (the employee fetch and the
// three history tables, an audit) share one budget and learn from each other's responses.
// It is safe for concurrent use.
type ClientFactory struct {
	baseURL string
	http    *http.Client // with a transport that reports requests leaving (see whenSent)
	limits  map[hibob.Endpoint]hibob.Limit

	mu     sync.Mutex
	pacers map[string]*hibob.Pacer // by service user ID
}

// NewClientFactory makes clients of the HiBob at baseURL ("" for production) that send their
// requests through httpClient (nil for the client's default) and pace them to limits (nil for
// hibob.DefaultLimits).
func NewClientFactory(baseURL string, httpClient *http.Client, limits map[hibob.Endpoint]hibob.Limit) *ClientFactory {
	if baseURL == "" {
		baseURL = hibob.DefaultBaseURL
	}
	if limits == nil {
		limits = hibob.DefaultLimits()
	}
	h := &http.Client{Timeout: defaultHTTPTimeout}
	if httpClient != nil {
		c := *httpClient
		h = &c
	}
	base := h.Transport
	if base == nil {
		base = http.DefaultTransport
	}
	h.Transport = &guardedTransport{base: base, refused: map[[sha256.Size]byte]time.Time{}}
	return &ClientFactory{baseURL: baseURL, http: h, limits: maps.Clone(limits), pacers: map[string]*hibob.Pacer{}}
}

// defaultHTTPTimeout bounds one HiBob exchange, as the hibob client's default does: an
// unfiltered people search of a large tenant runs to about 100 MB.
const defaultHTTPTimeout = 10 * time.Minute

// Client is a client for the service user with these credentials, paced by the user's shared
// Pacer.
func (f *ClientFactory) Client(creds hibob.Credentials) (*hibob.Client, error) {
	return hibob.New(creds, hibob.WithBaseURL(f.baseURL), hibob.WithHTTPClient(f.http),
		hibob.WithPacer(f.Pacer(creds.ServiceUserID())))
}

// Pacer is the shared rate-limit pacer of one service user, made on first use.
func (f *ClientFactory) Pacer(serviceUserID string) *hibob.Pacer {
	f.mu.Lock()
	defer f.mu.Unlock()
	p, ok := f.pacers[serviceUserID]
	if !ok {
		p = hibob.NewPacer(f.limits)
		f.pacers[serviceUserID] = p
	}
	return p
}

// connection is what an activity needs to call HiBob for a tenant.
type connection struct {
	client *hibob.Client
	pacer  *hibob.Pacer
}

// connect loads the referenced credentials from the store (version 0: the newest) and makes
// their client. Credentials that are missing or cannot be opened are a non-retryable
// ErrInvalidConfiguration; a database failure is retryable.
func (a *Activities) connect(ctx context.Context, ref CredentialsRef) (connection, error) {
	if a.Clients == nil {
		return connection{}, temporal.NewNonRetryableApplicationError(
			"the worker has no HiBob client factory: configure Activities.Clients", ErrInvalidConfiguration, nil)
	}
	var (
		creds hibob.Credentials
		err   error
	)
	if ref.Version == 0 {
		_, creds, err = a.Store.LatestCredentials(ctx, ref.Tenant)
	} else {
		creds, err = a.Store.Credentials(ctx, ref.Tenant, ref.Version)
	}
	switch {
	case errors.Is(err, store.ErrNoCredentials), errors.Is(err, store.ErrUnknownTenant):
		return connection{}, temporal.NewNonRetryableApplicationError(
			fmt.Sprintf("tenant %q: no stored HiBob credentials version %d: enter the service user ID and token again", ref.Tenant, ref.Version),
			ErrInvalidConfiguration, err)
	case errors.Is(err, store.ErrSecretKey):
		return connection{}, temporal.NewNonRetryableApplicationError(
			fmt.Sprintf("tenant %q: the stored HiBob credentials version %d cannot be opened with this worker's secret key: "+
				"check HIBOBSYNC_SECRET_KEY on every worker, or enter the credentials again", ref.Tenant, ref.Version),
			ErrInvalidConfiguration, err)
	case err != nil:
		return connection{}, fmt.Errorf("tenant %q: load the HiBob credentials: %w", ref.Tenant, err)
	}
	client, err := a.Clients.Client(creds)
	if err != nil {
		return connection{}, temporal.NewNonRetryableApplicationError(
			fmt.Sprintf("tenant %q: cannot make a HiBob client for credentials version %d: %v", ref.Tenant, ref.Version, err),
			ErrInvalidConfiguration, nil)
	}
	return connection{client: client, pacer: a.Clients.Pacer(creds.ServiceUserID())}, nil
}

// sentKey is the context key of the function a request calls as it leaves.
type sentKey struct{}

// whenSent returns a context whose HiBob requests close sent as the first of them leaves for
// HiBob: by then the client's pacer has counted it. FetchEmployees waits for it before it asks
// the pacer about the next batch, so that the pacer's forecast includes every request already
// dispatched.
func whenSent(ctx context.Context) (_ context.Context, sent <-chan struct{}) {
	ch := make(chan struct{})
	var once sync.Once
	return context.WithValue(ctx, sentKey{}, func() { once.Do(func() { close(ch) }) }), ch
}

// refusedFor is how long credentials HiBob answered 401 to are refused locally.
const refusedFor = 10 * time.Minute

// guardedTransport is the factory's transport. It calls the request context's sentKey function,
// if any, then sends; and it remembers credentials HiBob refused: after a 401, requests with the
// same Authorization header are answered 401 here, for refusedFor, without reaching HiBob. The
// activities a tenant runs side by side (the employee fetch, three history tables) then cost
// HiBob one 401, not one each, since HiBob's WAF blocks callers after about 50 in 10 seconds and
// every tenant shares our egress IP. New credentials are another header, so they are tried.
type guardedTransport struct {
	base http.RoundTripper

	mu      sync.Mutex
	refused map[[sha256.Size]byte]time.Time // by the Authorization header's hash: refused until
}

func (t *guardedTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if f, ok := r.Context().Value(sentKey{}).(func()); ok {
		f()
	}
	key := sha256.Sum256([]byte(r.Header.Get("Authorization")))
	t.mu.Lock()
	until, refused := t.refused[key]
	if refused && time.Now().After(until) {
		delete(t.refused, key)
		refused = false
	}
	t.mu.Unlock()
	if refused {
		return &http.Response{StatusCode: http.StatusUnauthorized, Status: "401 Unauthorized (refused moments ago; not sent again)",
			Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1, Header: http.Header{}, Body: http.NoBody, Request: r}, nil
	}
	resp, err := t.base.RoundTrip(r)
	if err == nil && resp.StatusCode == http.StatusUnauthorized {
		t.mu.Lock()
		t.refused[key] = time.Now().Add(refusedFor)
		t.mu.Unlock()
	}
	return resp, err
}
