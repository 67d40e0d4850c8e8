package hibob

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"
)

// Error classes. Every error the client returns for a failed call matches exactly one of them
// with errors.Is; errors from HTTP exchanges are also *APIError.
var (
	// ErrUnauthorized: HiBob rejected the service user ID or token (401). Never retry: HiBob's
	// WAF blocks an IP or Authorization header after ~50 failures in 10 s.
	ErrUnauthorized = errors.New("hibob: unauthorized")
	// ErrForbidden: the service user lacks a permission, or HiBob's WAF blocked the caller (403).
	// Never retry, for the same reason as ErrUnauthorized.
	ErrForbidden = errors.New("hibob: forbidden")
	// ErrNotFound: no such resource (404), e.g. an unknown employee ID or an unpurchased module.
	ErrNotFound = errors.New("hibob: not found")
	// ErrRateLimited: HiBob answered 429; APIError.RetryAt says when to try again.
	ErrRateLimited = errors.New("hibob: rate limited")
	// ErrTransient: 5xx, a timeout, a dropped connection; worth retrying with backoff.
	ErrTransient = errors.New("hibob: transient failure")
	// ErrBadRequest: HiBob refused the request as invalid (400 and other 4xx), the client
	// refused to send a request HiBob would refuse, or the request cannot succeed as configured
	// (the base URL's TLS certificate does not verify). Retrying the same request cannot help.
	ErrBadRequest = errors.New("hibob: bad request")
	// ErrBadResponse: HiBob answered something the client cannot trust: not JSON, an HTML page,
	// truncated JSON, the wrong shape, an invalid ID or date.
	ErrBadResponse = errors.New("hibob: bad response")
)

// Retryable reports whether retrying the same call later may succeed: transient failures and
// rate limiting. 401, 403, 400 and bad responses are never retryable.
func Retryable(err error) bool {
	return errors.Is(err, ErrTransient) || errors.Is(err, ErrRateLimited)
}

// APIError is a failed HiBob call. Its message names the endpoint and what to do about it; it
// never contains the token, the Authorization header or employee data.
type APIError struct {
	Endpoint Endpoint
	// Status is the HTTP status, 0 when no response arrived.
	Status int
	// Key and Message come from HiBob's {"key": …, "error": …} body. Message is shortened and
	// has quoted values, e-mail addresses and long numbers masked, because HiBob echoes request
	// values (which can be employee data) into it.
	Key, Message string
	// RateLimit is what the response's X-RateLimit-* headers said, if anything.
	RateLimit RateLimit
	// RetryAt is when a rate-limited (429) call may be retried.
	RetryAt time.Time

	kind  error
	hint  string
	cause error
}

func (e *APIError) Error() string {
	var b strings.Builder
	b.WriteString("hibob: ")
	if e.Endpoint != "" {
		b.WriteString(string(e.Endpoint))
		b.WriteString(": ")
	}
	b.WriteString(e.hint)
	if e.Key != "" || e.Message != "" {
		b.WriteString(" [HiBob says")
		if e.Key != "" {
			b.WriteString(" ")
			b.WriteString(e.Key)
		}
		if e.Message != "" {
			b.WriteString(": ")
			b.WriteString(e.Message)
		}
		b.WriteString("]")
	}
	if e.cause != nil {
		b.WriteString(": ")
		b.WriteString(e.cause.Error())
	}
	return b.String()
}

// Is matches the error's class (ErrUnauthorized, ErrRateLimited, …).
func (e *APIError) Is(target error) bool { return target != nil && target == e.kind }

// Unwrap exposes the underlying cause (a network error, context.DeadlineExceeded, a
// normalisation error), if any.
func (e *APIError) Unwrap() error { return e.cause }

// Kind is the error's class, one of the Err… sentinels.
func (e *APIError) Kind() error { return e.kind }

var (
	quotedRe = regexp.MustCompile(`"[^"]*"|'[^']*'`)
	emailRe  = regexp.MustCompile(`[^\s"',;:<>()\[\]]+@[^\s"',;:<>()\[\]]+`)
	digitsRe = regexp.MustCompile(`[0-9]{5,}`)
)

const maxMessage = 200

// scrubMessage shortens HiBob's error text and masks what might be employee data, keeping the
// words that explain the problem.
func scrubMessage(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	s = quotedRe.ReplaceAllString(s, `"…"`)
	s = emailRe.ReplaceAllString(s, "…@…")
	s = digitsRe.ReplaceAllString(s, "…")
	if r := []rune(s); len(r) > maxMessage {
		s = string(r[:maxMessage]) + "…"
	}
	return s
}

// badResponse builds the error for an answer the client cannot use.
func badResponse(e Endpoint, status int, format string, args ...any) *APIError {
	return &APIError{Endpoint: e, Status: status, kind: ErrBadResponse, hint: fmt.Sprintf(format, args...)}
}

// invalidRequest is a request refused locally, before anything was sent.
func invalidRequest(e Endpoint, format string, args ...any) *APIError {
	return &APIError{Endpoint: e, kind: ErrBadRequest, hint: "request not sent: " + fmt.Sprintf(format, args...)}
}
