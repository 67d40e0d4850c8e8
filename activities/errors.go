package activities

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.temporal.io/sdk/temporal"

	"hibobsync/hibob"
	"hibobsync/model"
	"hibobsync/store"
)

// More ApplicationError types, beside those in types.go. Both are non-retryable.
const (
	// ErrRequestRefused: HiBob refused the request as invalid (400) or unknown (404), or it
	// cannot be sent as configured (the base URL's TLS certificate): retrying cannot help.
	ErrRequestRefused = "HiBobRequestRefused"
	// ErrInvalidInput: the activity's input names nothing it can act on (an unknown run or
	// batch, a run already finished, a bad range or table).
	ErrInvalidInput = "InvalidInput"
)

// ErrRateLimited is the type of a retryable ApplicationError for a 429 in an activity that
// does not hand rate limits back in its result; its NextRetryDelay is HiBob's reset time.
const ErrRateLimited = "RateLimited"

// failure turns an error from the hibob client or the store into what the activity returns:
// a non-retryable ApplicationError of a type the workflow branches on, a rate-limit error
// that retries after HiBob's reset, or the error wrapped (retried by the activity's policy).
// Messages name the tenant and what to do; neither the hibob client's nor the store's errors
// carry the token or employee data.
func failure(tenant model.TenantKey, doing string, err error, now time.Time) error {
	if err == nil {
		return nil
	}
	if _, ok := errors.AsType[*temporal.ApplicationError](err); ok {
		return err
	}
	switch {
	case errors.Is(err, context.Canceled):
		return err
	case errors.Is(err, hibob.ErrUnauthorized):
		return temporal.NewNonRetryableApplicationError(fmt.Sprintf(
			"tenant %q: HiBob refused the service user ID and token (401) while %s: enter the credentials again "+
				"(not retried: HiBob's firewall blocks callers after repeated 401s)", tenant, doing),
			ErrCredentialsInvalid, err)
	case errors.Is(err, hibob.ErrForbidden):
		return temporal.NewNonRetryableApplicationError(fmt.Sprintf(
			"tenant %q: HiBob refused access (403) while %s: add the missing permission to the service user's "+
				"permission group, then check the permissions again", tenant, doing),
			ErrPermissionsMissing, err)
	case errors.Is(err, hibob.ErrRateLimited):
		at := now.Add(time.Minute)
		if e, ok := errors.AsType[*hibob.APIError](err); ok && !e.RetryAt.IsZero() {
			at = e.RetryAt
		}
		return temporal.NewApplicationErrorWithOptions(fmt.Sprintf(
			"tenant %q: HiBob's rate limit is spent while %s: retrying after %s", tenant, doing, at.UTC().Format(time.RFC3339)),
			ErrRateLimited, temporal.ApplicationErrorOptions{NextRetryDelay: max(at.Sub(now), time.Second), Cause: err})
	case errors.Is(err, hibob.ErrBadRequest), errors.Is(err, hibob.ErrNotFound):
		return temporal.NewNonRetryableApplicationError(fmt.Sprintf(
			"tenant %q: HiBob refused the request while %s; retrying cannot help: check the base URL and the HiBob modules", tenant, doing),
			ErrRequestRefused, err)
	case errors.Is(err, store.ErrStagingIncomplete):
		return temporal.NewNonRetryableApplicationError(fmt.Sprintf(
			"tenant %q: the run's staged data is incomplete while %s (Postgres lost it): fetch the run again", tenant, doing),
			ErrStagingIncomplete, err)
	case errors.Is(err, store.ErrUnknownRun), errors.Is(err, store.ErrUnknownBatch), errors.Is(err, store.ErrUnknownTenant),
		errors.Is(err, store.ErrRunFinished), errors.Is(err, store.ErrNoGuardPending), errors.Is(err, store.ErrStaleGuard):
		return temporal.NewNonRetryableApplicationError(fmt.Sprintf("tenant %q: %s: %v", tenant, doing, err), ErrInvalidInput, err)
	}
	return fmt.Errorf("tenant %q: %s: %w", tenant, doing, err)
}

// invalidInput is a non-retryable error for an input the activity cannot act on.
func invalidInput(format string, args ...any) error {
	return temporal.NewNonRetryableApplicationError(fmt.Sprintf(format, args...), ErrInvalidInput, nil)
}
