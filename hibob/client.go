// Package hibob is a client for HiBob's public REST API, as a service user sees it: people
// search and read, field metadata and the bulk history tables, with typed errors, rate-limit
// pacing and normalisation of HiBob's employee objects into model.Employee.
//
// A Client makes exactly one HTTP request per call (the History iterator one per page); it
// never retries, because retries belong to the caller (Temporal activities) and because
// retrying 401/403 gets the caller blocked by HiBob's WAF.
package hibob

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
)

const (
	DefaultBaseURL = "https://api.hibob.com/v1"
	SandboxBaseURL = "https://api.sandbox.hibob.com/v1"

	userAgent = "hibobsync"
)

// Response size caps. An unfiltered search of a 100,000-employee tenant runs to about 100 MB;
// the other answers are far smaller. Error bodies are only read for HiBob's key and message.
const (
	maxSearchBody = 1 << 30
	maxBody       = 64 << 20
	maxErrorBody  = 64 << 10
)

// BaseURLFromEnv is HIBOB_BASE_URL when set (the simulator, the sandbox), else production.
func BaseURLFromEnv(getenv func(string) string) string {
	if v := strings.TrimSpace(getenv("HIBOB_BASE_URL")); v != "" {
		return v
	}
	return DefaultBaseURL
}

// Client talks to one HiBob tenant as one service user. It is safe for concurrent use.
type Client struct {
	creds   Credentials
	base    string // no trailing slash
	http    *http.Client
	pacer   *Pacer
	now     func() time.Time
	baseErr error

	mu     sync.Mutex
	limits map[Endpoint]RateLimit
}

// Option configures a Client.
type Option func(*Client)

// WithBaseURL points the client at another HiBob: the sandbox, the simulator.
func WithBaseURL(u string) Option {
	return func(c *Client) {
		base, err := checkBaseURL(u)
		if err != nil {
			c.baseErr = err
			return
		}
		c.base = base
	}
}

// WithHTTPClient replaces the HTTP client (transport, proxy, timeout).
func WithHTTPClient(h *http.Client) Option {
	return func(c *Client) {
		if h != nil {
			c.http = h
		}
	}
}

// WithPacer replaces the default pacer (DefaultLimits, private to the client). Share one Pacer
// between the clients of one service user; nil turns pacing off.
func WithPacer(p *Pacer) Option { return func(c *Client) { c.pacer = p } }

// New makes a client for the given service user, by default against production HiBob and
// paced to DefaultLimits.
func New(creds Credentials, opts ...Option) (*Client, error) {
	if strings.TrimSpace(creds.ServiceUserID()) == "" {
		return nil, errors.New("hibob: the service user ID is empty")
	}
	if strings.TrimSpace(creds.RevealToken()) == "" {
		return nil, errors.New("hibob: the service user token is empty")
	}
	if strings.ContainsAny(creds.ServiceUserID(), ":\r\n") {
		// Basic auth joins ID and token with a colon; a colon in the ID would split wrongly.
		return nil, errors.New("hibob: the service user ID contains a colon or a line break")
	}
	c := &Client{
		creds:  creds,
		base:   DefaultBaseURL,
		http:   &http.Client{Timeout: 10 * time.Minute},
		pacer:  NewPacer(DefaultLimits()),
		now:    time.Now,
		limits: make(map[Endpoint]RateLimit),
	}
	for _, o := range opts {
		o(c)
	}
	if c.baseErr != nil {
		return nil, c.baseErr
	}
	return c, nil
}

func checkBaseURL(raw string) (string, error) {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil {
		return "", fmt.Errorf("hibob: base URL is not a URL: %w", err)
	}
	switch {
	case u.Scheme != "https" && u.Scheme != "http":
		return "", fmt.Errorf("hibob: base URL must be http(s), e.g. %s", DefaultBaseURL)
	case u.Host == "":
		return "", fmt.Errorf("hibob: base URL has no host, e.g. %s", DefaultBaseURL)
	case u.User != nil:
		return "", errors.New("hibob: base URL must not carry credentials; pass them with NewCredentials")
	case u.RawQuery != "" || u.Fragment != "":
		return "", errors.New("hibob: base URL must not have a query or fragment")
	}
	return strings.TrimRight(u.String(), "/"), nil
}

// BaseURL is the API root the client talks to.
func (c *Client) BaseURL() string { return c.base }

// RateLimit is the budget HiBob last reported for e, if it has reported one.
func (c *Client) RateLimit(e Endpoint) (RateLimit, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	rl, ok := c.limits[e]
	return rl, ok
}

// call describes one HTTP exchange.
type call struct {
	endpoint Endpoint
	method   string
	path     string // escaped, after the base URL
	query    url.Values
	body     any // JSON-encoded when non-nil
	maxBody  int64
}

// do performs exactly one HTTP request (after pacing) and returns the JSON body of a 2xx
// answer, or an *APIError / the context's error.
func (c *Client) do(ctx context.Context, k call) ([]byte, error) {
	var body io.Reader
	if k.body != nil {
		b, err := json.Marshal(k.body)
		if err != nil {
			return nil, invalidRequest(k.endpoint, "cannot encode the body: %v", err)
		}
		body = bytes.NewReader(b)
	}
	u := c.base + k.path
	if len(k.query) > 0 {
		u += "?" + k.query.Encode()
	}
	req, err := http.NewRequestWithContext(ctx, k.method, u, body)
	if err != nil {
		return nil, invalidRequest(k.endpoint, "cannot build the request")
	}
	req.SetBasicAuth(c.creds.ServiceUserID(), c.creds.RevealToken())
	req.Header.Set("User-Agent", userAgent)
	req.Header.Set("Accept", "application/json")
	if k.body != nil {
		// Only requests with a body: some HiBob GETs answer 400 HTML to a Content-Type.
		req.Header.Set("Content-Type", "application/json")
	}

	if err := c.pacer.Wait(ctx, k.endpoint); err != nil {
		if errors.Is(err, context.DeadlineExceeded) {
			// Out of time before the budget freed up: a later attempt will find it free.
			return nil, &APIError{Endpoint: k.endpoint, kind: ErrTransient, cause: err,
				hint: "the deadline passed while waiting for rate-limit budget: retry later"}
		}
		return nil, fmt.Errorf("hibob: %s: waiting for rate-limit budget: %w", k.endpoint, err)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, c.transportError(ctx, k.endpoint, 0, err)
	}
	defer resp.Body.Close()

	now := c.now()
	rl, hasRL, hasReset := parseRateLimit(resp.Header, now)
	if hasRL {
		c.mu.Lock()
		c.limits[k.endpoint] = rl
		c.mu.Unlock()
	}
	if hasReset {
		c.pacer.Observe(k.endpoint, rl)
	}

	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		raw, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
		e := c.statusError(k.endpoint, resp, raw, now)
		e.RateLimit = rl
		if e.kind == ErrRateLimited {
			c.pacer.holdUntil(k.endpoint, e.RetryAt)
		}
		return nil, e
	}

	if !isJSON(resp.Header.Get("Content-Type")) {
		// HiBob's web app answers unknown paths with 200 and an HTML page.
		ct, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
		if ct == "" {
			ct = "no content type"
		}
		return nil, badResponse(k.endpoint, resp.StatusCode,
			"HiBob answered %d with %s instead of JSON: check the base URL (%s) and the endpoint path", resp.StatusCode, ct, c.base)
	}
	limit := k.maxBody
	if limit <= 0 {
		limit = maxBody
	}
	raw, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if err != nil {
		return nil, c.transportError(ctx, k.endpoint, resp.StatusCode, err)
	}
	if int64(len(raw)) > limit {
		return nil, badResponse(k.endpoint, resp.StatusCode, "the response is larger than %d MiB: narrow the request (batch by root.id)", limit>>20)
	}
	if !json.Valid(raw) {
		return nil, badResponse(k.endpoint, resp.StatusCode, "the response is not valid JSON (%d bytes, truncated or malformed)", len(raw))
	}
	return raw, nil
}

func isJSON(contentType string) bool {
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		return false
	}
	return mt == "application/json" || (strings.HasPrefix(mt, "application/") && strings.HasSuffix(mt, "+json"))
}

// transportError classifies a failure to get (all of) a response. The *url.Error is unwrapped
// because its text carries the URL, whose path can be an employee's e-mail address.
func (c *Client) transportError(ctx context.Context, e Endpoint, status int, err error) error {
	if ue, ok := errors.AsType[*url.Error](err); ok {
		err = ue.Err
	}
	if errors.Is(ctx.Err(), context.Canceled) {
		return fmt.Errorf("hibob: %s: %w", e, context.Canceled)
	}
	if _, ok := errors.AsType[*tls.CertificateVerificationError](err); ok {
		return &APIError{Endpoint: e, Status: status, kind: ErrBadRequest, cause: err,
			hint: "the TLS certificate of " + c.base + " could not be verified: check the base URL"}
	}
	hint := "no answer from HiBob (network failure): retry later"
	if errors.Is(ctx.Err(), context.DeadlineExceeded) || isTimeout(err) {
		hint = "HiBob did not answer in time: retry later"
	} else if status != 0 {
		hint = "the connection broke while reading HiBob's answer: retry later"
	}
	return &APIError{Endpoint: e, Status: status, kind: ErrTransient, hint: hint, cause: err}
}

func isTimeout(err error) bool {
	var t interface{ Timeout() bool }
	return errors.As(err, &t) && t.Timeout()
}

// statusError turns a non-2xx answer into an *APIError that says what to do.
func (c *Client) statusError(ep Endpoint, resp *http.Response, raw []byte, now time.Time) *APIError {
	st := resp.StatusCode
	e := &APIError{Endpoint: ep, Status: st}
	html := !isJSON(resp.Header.Get("Content-Type")) && bytes.Contains(bytes.ToLower(raw[:min(len(raw), 512)]), []byte("<html"))
	if !html {
		e.Key, e.Message = hibobError(raw)
	}
	switch {
	case st == http.StatusUnauthorized:
		e.kind = ErrUnauthorized
		e.hint = "HiBob rejected the service user's credentials (401): check the service user ID and token; do not retry with the same credentials"
	case st == http.StatusForbidden && html:
		e.kind = ErrForbidden
		e.hint = "HiBob's firewall refused the request (403, HTML page), usually after repeated 401/403 answers: do not retry for at least 5 minutes, and check the credentials and the service user's permission group"
	case st == http.StatusForbidden:
		e.kind = ErrForbidden
		e.hint = "the service user lacks a permission for this (403): add it to a permission group that grants the data (see the setup guide); do not retry until then"
	case st == http.StatusNotFound:
		e.kind = ErrNotFound
		e.hint = "HiBob has no such resource (404): check the employee identifier, or that the module is purchased"
	case st == http.StatusTooManyRequests:
		e.kind = ErrRateLimited
		e.RetryAt = retryAt(resp.Header, now)
		e.hint = fmt.Sprintf("HiBob's rate limit was exceeded (429): retry after %s and pace requests to this endpoint", e.RetryAt.UTC().Format(time.RFC3339))
	case st == http.StatusRequestTimeout || st >= 500:
		e.kind = ErrTransient
		e.hint = fmt.Sprintf("HiBob failed to answer (%d): retry later", st)
	case st >= 400:
		e.kind = ErrBadRequest
		e.hint = fmt.Sprintf("HiBob refused the request as invalid (%d): fix the request, retrying cannot help", st)
	default:
		e.kind = ErrBadResponse
		e.hint = fmt.Sprintf("HiBob answered an unexpected status %d", st)
	}
	return e
}

// retryAt is when a 429 may be retried: X-RateLimit-Reset, else Retry-After, else a guess of
// one rate-limit window.
func retryAt(h http.Header, now time.Time) time.Time {
	if t, ok := headerReset(h.Get("X-RateLimit-Reset"), now); ok {
		return t
	}
	if t, ok := retryAfter(h.Get("Retry-After"), now); ok {
		return t
	}
	return now.Add(time.Minute)
}

// hibobError reads HiBob's {"key": …, "error": …} body, if that is what raw is.
func hibobError(raw []byte) (key, msg string) {
	var b struct {
		Key   any `json:"key"`
		Error any `json:"error"`
	}
	if json.Unmarshal(raw, &b) != nil {
		return "", ""
	}
	if s, ok := b.Key.(string); ok {
		key = scrubMessage(s)
	}
	if s, ok := b.Error.(string); ok {
		msg = scrubMessage(s)
	}
	return key, msg
}
