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
	http    *http.Client // with a transport that reports requests leaving and guards HiBob's WAF (see guardedTransport)
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
	h.Transport = newGuardedTransport(base)
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

// authKey identifies a set of credentials: the hash of the Authorization header, so the
// transport's maps never hold a token.
type authKey = [sha256.Size]byte

// guardedTransport is the factory's transport. It calls the request context's sentKey function,
// if any, then sends, guarding HiBob's WAF, which blocks a header (or our IP) after about 50
// 401s in 10 seconds. Every tenant shares our egress IP, so one tenant's revoked token must not
// cost much more than one 401. Two guards, per Authorization header:
//
//   - Refused credentials: after a 401, requests with the same header are answered 401 here, for
//     refusedFor, without reaching HiBob. New credentials are another header, so they are tried.
//   - An auth door: at most one request with the header is between sent and its answer's headers
//     at any moment. HiBob decides whether it takes the credentials before it sends headers, so
//     when it begins refusing a token exactly one request meets the refusal; the requests that
//     waited at the door behind it see the refusal recorded and are answered here. Without the
//     door, the activities a tenant runs side by side (the employee fetch's requests in flight,
//     three history tables) would each meet a 401.
//
// The door opens as soon as RoundTrip returns (headers received, or an error), not when the body
// has been read: bodies still stream, decode and stage side by side, and only the time to the
// first byte is serialized per service user token, which at HiBob's per-minute limits costs
// little. A request waiting at the door gives up when its context ends. The guarantee is per
// worker process (per factory): several worker processes can each meet one 401.
type guardedTransport struct {
	base http.RoundTripper

	mu      sync.Mutex
	refused map[authKey]time.Time // refused until
	doors   map[authKey]*door     // only while a request holds or waits for one
}

// door admits one request at a time: holding it is having sent a request whose answer's headers
// have not come back.
type door struct {
	slot  chan struct{} // capacity 1: full while a request holds the door
	users int           // requests holding or waiting for the door (guardedTransport.mu); at 0 it is dropped
}

func newGuardedTransport(base http.RoundTripper) *guardedTransport {
	return &guardedTransport{base: base, refused: map[authKey]time.Time{}, doors: map[authKey]*door{}}
}

func (t *guardedTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if f, ok := r.Context().Value(sentKey{}).(func()); ok {
		f()
	}
	key := sha256.Sum256([]byte(r.Header.Get("Authorization")))
	if t.isRefused(key) {
		return refusedResponse(r), nil
	}
	leave, err := t.enter(r.Context(), key)
	if err != nil {
		closeBody(r)
		return nil, fmt.Errorf("waiting for HiBob to answer an earlier request with the same credentials: %w", err)
	}
	defer leave()
	// A 401 may have come back while this request waited: then it must not be sent.
	if t.isRefused(key) {
		return refusedResponse(r), nil
	}
	resp, err := t.base.RoundTrip(r)
	if err == nil && resp.StatusCode == http.StatusUnauthorized {
		t.refuse(key)
	}
	return resp, err
}

// isRefused reports whether HiBob refused the credentials less than refusedFor ago.
func (t *guardedTransport) isRefused(key authKey) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	until, refused := t.refused[key]
	if refused && time.Now().After(until) {
		delete(t.refused, key)
		return false
	}
	return refused
}

// refuse records a 401 for the credentials, and forgets refusals that have run out, which
// nothing else would (a revoked token is seldom tried again after its 10 minutes).
func (t *guardedTransport) refuse(key authKey) {
	now := time.Now()
	t.mu.Lock()
	defer t.mu.Unlock()
	for k, until := range t.refused {
		if now.After(until) {
			delete(t.refused, k)
		}
	}
	t.refused[key] = now.Add(refusedFor)
}

// enter waits for the credentials' door, or for ctx to end. leave opens it again.
func (t *guardedTransport) enter(ctx context.Context, key authKey) (leave func(), err error) {
	t.mu.Lock()
	d, ok := t.doors[key]
	if !ok {
		d = &door{slot: make(chan struct{}, 1)}
		t.doors[key] = d
	}
	d.users++
	t.mu.Unlock()
	// A door in the map has users > 0, so it is not dropped while this request holds it or
	// waits for it, and every request with the key meets the same door.
	drop := func() {
		t.mu.Lock()
		defer t.mu.Unlock()
		if d.users--; d.users == 0 {
			delete(t.doors, key)
		}
	}
	select {
	case d.slot <- struct{}{}:
		return func() { <-d.slot; drop() }, nil
	case <-ctx.Done():
		drop()
		return nil, ctx.Err()
	}
}

// refusedResponse is the local answer to a request with refused credentials.
func refusedResponse(r *http.Request) *http.Response {
	closeBody(r)
	return &http.Response{StatusCode: http.StatusUnauthorized, Status: "401 Unauthorized (refused moments ago; not sent again)",
		Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1, Header: http.Header{}, Body: http.NoBody, Request: r}
}

// closeBody closes the body of a request that is not sent, as a RoundTripper must.
func closeBody(r *http.Request) {
	if r.Body != nil {
		_ = r.Body.Close()
	}
}
