package store

import (
	"errors"

	"github.com/jackc/pgx/v5/pgconn"
)

var (
	// ErrUnknownTenant: no tenant has that key.
	ErrUnknownTenant = errors.New("unknown tenant")
	// ErrUnknownRun: no sync run has that ID (for that tenant).
	ErrUnknownRun = errors.New("unknown sync run")
	// ErrUnknownEmployee: the tenant has no employee with that ID.
	ErrUnknownEmployee = errors.New("unknown employee")
	// ErrNoCredentials: the tenant has no stored credentials (of that version).
	ErrNoCredentials = errors.New("no stored credentials")
	// ErrSecretKey: HIBOBSYNC_SECRET_KEY is missing or malformed, or cannot open a sealed token.
	ErrSecretKey = errors.New("secret key")
	// ErrStagingIncomplete: a run's staged rows do not match what its fetches recorded (a
	// Postgres crash empties UNLOGGED staging); fetch the run again.
	ErrStagingIncomplete = errors.New("staging incomplete")
	// ErrRunFinished: the run is already applied or failed and takes no more staging.
	ErrRunFinished = errors.New("sync run already finished")
	// ErrNoGuardPending: the run has no removals held by the false-delete guard awaiting a decision.
	ErrNoGuardPending = errors.New("no removals awaiting review")
	// ErrStaleGuard: a later run was applied, so the held removals describe an old picture.
	ErrStaleGuard = errors.New("held removals are stale")
)

// isForeignKeyViolation reports a row that names a parent (a tenant, a run) that is not there.
func isForeignKeyViolation(err error) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && pgErr.Code == "23503"
}
