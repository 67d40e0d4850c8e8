package activities

import (
	"context"
	"errors"
	"time"

	"hibobsync/hibob"
)

// requestAttempts is how often one HiBob request is tried inside an activity when it fails
// transiently (a 5xx, a reset, a timeout, a truncated body): a flaky answer then costs a
// moment, not the activity's attempt, its backoff and the re-reading of what it had staged.
// Anything else (401, 403, 400, 404, a rate limit) is returned at once.
const requestAttempts = 4

// firstRetryDelay doubles at each retry: 0.2 s, 0.4 s, 0.8 s.
const firstRetryDelay = 200 * time.Millisecond

func retryTransient[T any](ctx context.Context, call func() (T, error)) (T, error) {
	delay := firstRetryDelay
	for attempt := 1; ; attempt++ {
		v, err := call()
		if err == nil || attempt == requestAttempts || !transient(err) {
			return v, err
		}
		select {
		case <-ctx.Done():
			return v, err
		case <-time.After(delay):
		}
		delay *= 2
	}
}

// transient: worth asking again at once. A bad response counts: truncated JSON is the common
// one; a persistent HTML page (a wrong base URL) fails after requestAttempts all the same.
func transient(err error) bool {
	return errors.Is(err, hibob.ErrTransient) || errors.Is(err, hibob.ErrBadResponse)
}
