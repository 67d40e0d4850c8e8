package store

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"hibobsync/hibob"
	"hibobsync/model"
)

// Tenant is one customer's connection as stored.
type Tenant struct {
	Key model.TenantKey
	// CompanyName is the name as the customer first entered it.
	CompanyName string
	// ServiceUserSuffix: some connect of this tenant carried the "Service User" suffix (a
	// customer re-connecting after an earlier sync).
	ServiceUserSuffix bool
	CreatedAt         time.Time
	// BaselineRunID is the run that stored the tenant's first full picture; 0 = no baseline yet.
	BaselineRunID int64
}

const tenantColumns = `key, company_name, service_user_suffix, created_at, COALESCE(baseline_run_id, 0)`

func scanTenant(row pgx.Row) (Tenant, error) {
	var t Tenant
	err := row.Scan(&t.Key, &t.CompanyName, &t.ServiceUserSuffix, &t.CreatedAt, &t.BaselineRunID)
	return t, err
}

// EnsureTenant finds or creates the tenant that companyName names. An existing tenant keeps its
// row (and its name as first entered); a name with the "Service User" suffix marks it as
// re-connected. Safe to call concurrently for the same name: one call creates, all see one row.
func (s *Store) EnsureTenant(ctx context.Context, companyName string) (t Tenant, created bool, err error) {
	key, hadSuffix, err := model.TenantKeyOf(companyName)
	if err != nil {
		return Tenant{}, false, fmt.Errorf("store: ensure tenant: %w", err)
	}
	// DO NOTHING rather than DO UPDATE: an existing row is not rewritten on every connect, and a
	// concurrent insert of the same key waits for the first to commit, then finds the row.
	t, err = scanTenant(s.pool.QueryRow(ctx, `
		INSERT INTO tenants (key, company_name, service_user_suffix) VALUES ($1, $2, $3)
		ON CONFLICT (key) DO NOTHING
		RETURNING `+tenantColumns,
		key, strings.Join(strings.Fields(companyName), " "), hadSuffix))
	switch {
	case err == nil:
		return t, true, nil
	case !errors.Is(err, pgx.ErrNoRows):
		return Tenant{}, false, fmt.Errorf("store: create tenant %q: %w", key, err)
	}
	if hadSuffix {
		// Only when not yet marked: a re-connect is rare, and a needless write would queue
		// behind a running apply's lock on the row.
		t, err = scanTenant(s.pool.QueryRow(ctx, `
			UPDATE tenants SET service_user_suffix = true WHERE key = $1 AND NOT service_user_suffix
			RETURNING `+tenantColumns, key))
		switch {
		case err == nil:
			return t, false, nil
		case !errors.Is(err, pgx.ErrNoRows):
			return Tenant{}, false, fmt.Errorf("store: mark tenant %q as re-connected: %w", key, err)
		}
	}
	t, err = scanTenant(s.pool.QueryRow(ctx, `SELECT `+tenantColumns+` FROM tenants WHERE key = $1`, key))
	if err != nil {
		return Tenant{}, false, fmt.Errorf("store: read tenant %q: %w", key, err)
	}
	return t, false, nil
}

// Tenant reads the tenant with that key.
func (s *Store) Tenant(ctx context.Context, key model.TenantKey) (Tenant, error) {
	t, err := scanTenant(s.pool.QueryRow(ctx, `SELECT `+tenantColumns+` FROM tenants WHERE key = $1`, key))
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return Tenant{}, fmt.Errorf("store: %w: no tenant has the key %q", ErrUnknownTenant, key)
	case err != nil:
		return Tenant{}, fmt.Errorf("store: read tenant %q: %w", key, err)
	}
	return t, nil
}

// credentialsAAD binds a sealed token to its row: a token copied to another tenant's row, or
// to another version of the same tenant, does not open.
func credentialsAAD(key model.TenantKey, version int) []byte {
	return []byte(string(key) + "\x00" + strconv.Itoa(version))
}

// SaveCredentials stores creds as the tenant's next credentials version, the token sealed with
// the store's keyring. Saving the same service user ID and token as the latest version again
// (a customer pressing "Sync" twice, a retried activity) stores nothing and returns that version.
func (s *Store) SaveCredentials(ctx context.Context, key model.TenantKey, creds hibob.Credentials) (version int, err error) {
	if creds.ServiceUserID() == "" || creds.RevealToken() == "" {
		return 0, fmt.Errorf("store: save credentials of tenant %q: the service user ID and the token must both be set", key)
	}
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return 0, fmt.Errorf("store: save credentials of tenant %q: %w", key, err)
	}
	defer func() { _ = tx.Rollback(ctx) }() // a no-op after Commit; the error that matters is returned

	// The tenant row lock serialises saves of one tenant, so concurrent saves get distinct
	// versions (max+1 alone would race); it also proves the tenant exists. NO KEY UPDATE, the
	// weakest lock that conflicts with itself, still lets foreign keys to the tenant be checked.
	err = tx.QueryRow(ctx, `SELECT 1 FROM tenants WHERE key = $1 FOR NO KEY UPDATE`, key).Scan(new(int))
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return 0, fmt.Errorf("store: save credentials: %w: no tenant has the key %q", ErrUnknownTenant, key)
	case err != nil:
		return 0, fmt.Errorf("store: save credentials of tenant %q: lock the tenant: %w", key, err)
	}

	var (
		latest   int
		latestID string
		keyID    string
		sealed   []byte
	)
	err = tx.QueryRow(ctx, `
		SELECT version, service_user_id, key_id, sealed_token FROM credentials
		WHERE tenant_key = $1 ORDER BY version DESC LIMIT 1`, key).Scan(&latest, &latestID, &keyID, &sealed)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
	case err != nil:
		return 0, fmt.Errorf("store: save credentials of tenant %q: read the latest version: %w", key, err)
	case latestID == creds.ServiceUserID():
		// A latest token that no longer opens (its key was dropped from the keyring) is taken as
		// different: the customer's new submission is stored, sealed with the current key.
		token, err := s.keys.Open(keyID, sealed, credentialsAAD(key, latest))
		if err == nil && subtle.ConstantTimeCompare(token, []byte(creds.RevealToken())) == 1 {
			clear(token)
			return latest, nil
		}
		clear(token)
	}

	version = latest + 1
	keyID, sealed, err = s.keys.Seal([]byte(creds.RevealToken()), credentialsAAD(key, version))
	if err != nil {
		return 0, fmt.Errorf("store: save credentials of tenant %q: %w", key, err)
	}
	if _, err := tx.Exec(ctx, `
		INSERT INTO credentials (tenant_key, version, service_user_id, key_id, sealed_token)
		VALUES ($1, $2, $3, $4, $5)`, key, version, creds.ServiceUserID(), keyID, sealed); err != nil {
		return 0, fmt.Errorf("store: save credentials of tenant %q version %d: %w", key, version, err)
	}
	if err := tx.Commit(ctx); err != nil {
		return 0, fmt.Errorf("store: save credentials of tenant %q version %d: commit: %w", key, version, err)
	}
	return version, nil
}

// Credentials reads and opens one credentials version of the tenant.
func (s *Store) Credentials(ctx context.Context, key model.TenantKey, version int) (hibob.Credentials, error) {
	// The LEFT JOIN tells an unknown tenant from a known one without that version in one query.
	row := s.pool.QueryRow(ctx, `
		SELECT c.version, c.service_user_id, c.key_id, c.sealed_token
		FROM tenants t LEFT JOIN credentials c ON c.tenant_key = t.key AND c.version = $2
		WHERE t.key = $1`, key, version)
	v, creds, err := s.openCredentials(key, row)
	if err == nil && v == 0 {
		err = fmt.Errorf("store: %w: tenant %q has no credentials version %d", ErrNoCredentials, key, version)
	}
	return creds, err
}

// LatestCredentials reads and opens the tenant's newest credentials version.
func (s *Store) LatestCredentials(ctx context.Context, key model.TenantKey) (version int, creds hibob.Credentials, err error) {
	row := s.pool.QueryRow(ctx, `
		SELECT c.version, c.service_user_id, c.key_id, c.sealed_token
		FROM tenants t LEFT JOIN LATERAL (
			SELECT version, service_user_id, key_id, sealed_token FROM credentials
			WHERE tenant_key = t.key ORDER BY version DESC LIMIT 1
		) c ON true
		WHERE t.key = $1`, key)
	version, creds, err = s.openCredentials(key, row)
	if err == nil && version == 0 {
		err = fmt.Errorf("store: %w: tenant %q has no credentials yet (none saved at any version)", ErrNoCredentials, key)
	}
	return version, creds, err
}

// openCredentials scans a tenants-LEFT-JOIN-credentials row and opens its token. version 0 with
// no error: the tenant exists but the join found no credentials.
func (s *Store) openCredentials(key model.TenantKey, row pgx.Row) (int, hibob.Credentials, error) {
	var (
		version *int
		id      *string
		keyID   *string
		sealed  []byte
	)
	err := row.Scan(&version, &id, &keyID, &sealed)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return 0, hibob.Credentials{}, fmt.Errorf("store: read credentials: %w: no tenant has the key %q", ErrUnknownTenant, key)
	case err != nil:
		return 0, hibob.Credentials{}, fmt.Errorf("store: read credentials of tenant %q: %w", key, err)
	case version == nil:
		return 0, hibob.Credentials{}, nil
	}
	token, err := s.keys.Open(*keyID, sealed, credentialsAAD(key, *version))
	if err != nil {
		return 0, hibob.Credentials{}, fmt.Errorf("store: open credentials of tenant %q version %d: %w", key, *version, err)
	}
	return *version, hibob.NewCredentials(*id, string(token)), nil
}
