package store_test

import (
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"hibobsync/hibob"
	"hibobsync/model"
	"hibobsync/store"
	"hibobsync/store/storetest"
)

// openSibling opens a second Store on s's (already migrated) database with another keyring, as
// a worker configured with a different HIBOBSYNC_SECRET_KEY would.
func openSibling(t *testing.T, s *store.Store, keys *store.Keyring) *store.Store {
	t.Helper()
	other, err := store.Open(t.Context(), s.Pool().Config().ConnString(), keys)
	require.NoError(t, err)
	t.Cleanup(other.Close)
	return other
}

func ensureTenant(t *testing.T, s *store.Store, name string) model.TenantKey {
	t.Helper()
	tenant, _, err := s.EnsureTenant(t.Context(), name)
	require.NoError(t, err)
	return tenant.Key
}

func TestEnsureTenant(t *testing.T) {
	t.Parallel()
	s, ctx := storetest.NewStore(t), t.Context()

	first, created, err := s.EnsureTenant(ctx, "  Acme   Ltd ")
	require.NoError(t, err)
	assert.True(t, created)
	assert.Equal(t, model.TenantKey("acme-ltd"), first.Key)
	assert.Equal(t, "Acme Ltd", first.CompanyName)
	assert.False(t, first.ServiceUserSuffix)
	assert.Zero(t, first.BaselineRunID)
	assert.False(t, first.CreatedAt.IsZero())

	again, created, err := s.EnsureTenant(ctx, "acme ltd")
	require.NoError(t, err)
	assert.False(t, created)
	assert.Equal(t, first, again, "an existing tenant keeps its row")

	// The customer re-connects as Gifted's guide asks: same tenant, now marked.
	reconnect, created, err := s.EnsureTenant(ctx, "Acme Ltd Service User")
	require.NoError(t, err)
	assert.False(t, created)
	assert.Equal(t, first.Key, reconnect.Key)
	assert.Equal(t, "Acme Ltd", reconnect.CompanyName)
	assert.True(t, reconnect.ServiceUserSuffix)
	assert.Equal(t, first.CreatedAt, reconnect.CreatedAt)

	// A later connect without the suffix does not unmark it.
	later, _, err := s.EnsureTenant(ctx, "ACME LTD")
	require.NoError(t, err)
	assert.True(t, later.ServiceUserSuffix)

	read, err := s.Tenant(ctx, first.Key)
	require.NoError(t, err)
	assert.Equal(t, reconnect, read)

	// A first connect that already carries the suffix.
	beta, created, err := s.EnsureTenant(ctx, "Beta Service User")
	require.NoError(t, err)
	assert.True(t, created)
	assert.Equal(t, model.TenantKey("beta"), beta.Key)
	assert.True(t, beta.ServiceUserSuffix)

	_, _, err = s.EnsureTenant(ctx, "   ")
	require.ErrorIs(t, err, model.ErrInvalidCompanyName)

	_, err = s.Tenant(ctx, "nobody-here")
	require.ErrorIs(t, err, store.ErrUnknownTenant)
	assert.Contains(t, err.Error(), `"nobody-here"`)
}

func TestEnsureTenantConcurrent(t *testing.T) {
	t.Parallel()
	s := storetest.NewStore(t)
	names := []string{"Gamma Co", "gamma co", "GAMMA  CO", "Gamma Co Service User"}

	const n = 16
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		created int
		seen    []store.Tenant
	)
	for i := range n {
		wg.Go(func() {
			tenant, c, err := s.EnsureTenant(t.Context(), names[i%len(names)])
			if !assert.NoError(t, err) {
				return
			}
			mu.Lock()
			defer mu.Unlock()
			if c {
				created++
			}
			seen = append(seen, tenant)
		})
	}
	wg.Wait()
	assert.Equal(t, 1, created, "exactly one call creates the tenant")
	require.Len(t, seen, n)
	for _, tenant := range seen {
		assert.Equal(t, model.TenantKey("gamma-co"), tenant.Key)
		assert.Equal(t, seen[0].CreatedAt, tenant.CreatedAt)
	}
	var rows int
	require.NoError(t, s.Pool().QueryRow(t.Context(), `SELECT count(*) FROM tenants WHERE key = 'gamma-co'`).Scan(&rows))
	assert.Equal(t, 1, rows)
	final, err := s.Tenant(t.Context(), "gamma-co")
	require.NoError(t, err)
	assert.True(t, final.ServiceUserSuffix)
}

func TestCredentialsVersions(t *testing.T) {
	t.Parallel()
	s, ctx := storetest.NewStore(t), t.Context()
	key := ensureTenant(t, s, "Delta Inc")
	v1creds := hibob.NewCredentials("SERVICE-111", "tok-first-3f9a6c1e")
	v2creds := hibob.NewCredentials("SERVICE-111", "tok-second-8b2d4e7f")

	_, _, err := s.LatestCredentials(ctx, key)
	require.ErrorIs(t, err, store.ErrNoCredentials)
	assert.Contains(t, err.Error(), string(key))

	v, err := s.SaveCredentials(ctx, key, v1creds)
	require.NoError(t, err)
	assert.Equal(t, 1, v)

	// Connecting twice with the same credentials stores nothing new.
	v, err = s.SaveCredentials(ctx, key, hibob.NewCredentials("SERVICE-111", "tok-first-3f9a6c1e"))
	require.NoError(t, err)
	assert.Equal(t, 1, v)

	got, err := s.Credentials(ctx, key, 1)
	require.NoError(t, err)
	assert.True(t, got.Equal(v1creds))

	// A rotated token is a new version; the old one stays readable.
	v, err = s.SaveCredentials(ctx, key, v2creds)
	require.NoError(t, err)
	assert.Equal(t, 2, v)
	latest, gotLatest, err := s.LatestCredentials(ctx, key)
	require.NoError(t, err)
	assert.Equal(t, 2, latest)
	assert.True(t, gotLatest.Equal(v2creds))
	got, err = s.Credentials(ctx, key, 1)
	require.NoError(t, err)
	assert.True(t, got.Equal(v1creds))

	// Same token, another service user: a new version too.
	v, err = s.SaveCredentials(ctx, key, hibob.NewCredentials("SERVICE-222", "tok-second-8b2d4e7f"))
	require.NoError(t, err)
	assert.Equal(t, 3, v)
	// Going back to the first credentials is a change from the latest, so a new version.
	v, err = s.SaveCredentials(ctx, key, v1creds)
	require.NoError(t, err)
	assert.Equal(t, 4, v)

	var rows int
	require.NoError(t, s.Pool().QueryRow(ctx, `SELECT count(*) FROM credentials WHERE tenant_key = $1`, key).Scan(&rows))
	assert.Equal(t, 4, rows)

	_, err = s.Credentials(ctx, key, 99)
	require.ErrorIs(t, err, store.ErrNoCredentials)
	assert.Contains(t, err.Error(), string(key))
	assert.Contains(t, err.Error(), "99")

	_, err = s.SaveCredentials(ctx, "no-such-tenant", v1creds)
	require.ErrorIs(t, err, store.ErrUnknownTenant)
	assert.Contains(t, err.Error(), "no-such-tenant")
	_, err = s.Credentials(ctx, "no-such-tenant", 1)
	require.ErrorIs(t, err, store.ErrUnknownTenant)
	_, _, err = s.LatestCredentials(ctx, "no-such-tenant")
	require.ErrorIs(t, err, store.ErrUnknownTenant)

	_, err = s.SaveCredentials(ctx, key, hibob.NewCredentials("SERVICE-111", ""))
	require.Error(t, err)
	assertNoToken(t, err, "tok-first-3f9a6c1e")
}

func TestSaveCredentialsConcurrent(t *testing.T) {
	t.Parallel()
	s := storetest.NewStore(t)
	distinct := ensureTenant(t, s, "Epsilon")
	same := ensureTenant(t, s, "Zeta")

	const n = 8
	versions := make([]int, n)
	sameVersions := make([]int, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			var err error
			versions[i], err = s.SaveCredentials(t.Context(), distinct, hibob.NewCredentials("SU", fmt.Sprintf("token-%d", i)))
			assert.NoError(t, err)
		})
		wg.Go(func() {
			var err error
			sameVersions[i], err = s.SaveCredentials(t.Context(), same, hibob.NewCredentials("SU", "one-token"))
			assert.NoError(t, err)
		})
	}
	wg.Wait()
	slices.Sort(versions)
	assert.Equal(t, []int{1, 2, 3, 4, 5, 6, 7, 8}, versions, "concurrent saves get distinct versions")
	assert.Equal(t, slices.Repeat([]int{1}, n), sameVersions, "concurrent identical saves store one version")

	latest, creds, err := s.LatestCredentials(t.Context(), distinct)
	require.NoError(t, err)
	assert.Equal(t, n, latest)
	assert.True(t, strings.HasPrefix(creds.RevealToken(), "token-"))
}

func TestCredentialsKeyRotation(t *testing.T) {
	t.Parallel()
	base := storetest.NewStore(t)
	ctx := t.Context()
	oldKeys, oldSpec := newKeyring(t)
	_, newSpec := newKeyring(t)
	rotatedKeys, err := store.ParseKeyring(newSpec + "," + oldSpec)
	require.NoError(t, err)
	newOnly, err := store.ParseKeyring(newSpec)
	require.NoError(t, err)

	before := openSibling(t, base, oldKeys)
	after := openSibling(t, base, rotatedKeys)
	lacking := openSibling(t, base, newOnly)

	key := ensureTenant(t, before, "Eta Gmbh")
	oldCreds := hibob.NewCredentials("SU-ETA", "eta-token-0ld-9c1f")
	_, err = before.SaveCredentials(ctx, key, oldCreds)
	require.NoError(t, err)

	// After rotation the old key still opens version 1, and the same credentials are still
	// recognised as already saved.
	got, err := after.Credentials(ctx, key, 1)
	require.NoError(t, err)
	assert.True(t, got.Equal(oldCreds))
	v, err := after.SaveCredentials(ctx, key, oldCreds)
	require.NoError(t, err)
	assert.Equal(t, 1, v)

	// New credentials are sealed with the new key.
	newCreds := hibob.NewCredentials("SU-ETA", "eta-token-n3w-77aa")
	v, err = after.SaveCredentials(ctx, key, newCreds)
	require.NoError(t, err)
	assert.Equal(t, 2, v)
	var keyIDs []string
	rows, err := base.Pool().Query(ctx, `SELECT key_id FROM credentials WHERE tenant_key = $1 ORDER BY version`, key)
	require.NoError(t, err)
	for rows.Next() {
		var id string
		require.NoError(t, rows.Scan(&id))
		keyIDs = append(keyIDs, id)
	}
	require.NoError(t, rows.Err())
	assert.Equal(t, []string{oldKeys.KeyIDs()[0], newOnly.KeyIDs()[0]}, keyIDs)

	// A process whose keyring lacks the old key can read version 2 but not version 1, and says
	// which key it lacks.
	_, latest, err := lacking.LatestCredentials(ctx, key)
	require.NoError(t, err)
	assert.True(t, latest.Equal(newCreds))
	_, err = lacking.Credentials(ctx, key, 1)
	require.ErrorIs(t, err, store.ErrSecretKey)
	assert.Contains(t, err.Error(), oldKeys.KeyIDs()[0])
	assert.Contains(t, err.Error(), string(key))
	assertNoToken(t, err, oldCreds.RevealToken())

	// And the old process cannot read what the new key sealed.
	_, _, err = before.LatestCredentials(ctx, key)
	require.ErrorIs(t, err, store.ErrSecretKey)
	assertNoToken(t, err, newCreds.RevealToken())
}

func TestSealedTokenBoundToItsRow(t *testing.T) {
	t.Parallel()
	s, ctx := storetest.NewStore(t), t.Context()
	a := ensureTenant(t, s, "Theta")
	b := ensureTenant(t, s, "Iota")
	_, err := s.SaveCredentials(ctx, a, hibob.NewCredentials("SU-A", "theta-secret-token"))
	require.NoError(t, err)
	_, err = s.SaveCredentials(ctx, b, hibob.NewCredentials("SU-B", "iota-secret-token"))
	require.NoError(t, err)
	_, err = s.SaveCredentials(ctx, b, hibob.NewCredentials("SU-B", "iota-secret-token-2"))
	require.NoError(t, err)

	// Someone with write access to the database puts tenant A's sealed token in tenant B's row.
	_, err = s.Pool().Exec(ctx, `
		UPDATE credentials SET (key_id, sealed_token) =
			(SELECT key_id, sealed_token FROM credentials WHERE tenant_key = $1 AND version = 1)
		WHERE tenant_key = $2 AND version = 1`, a, b)
	require.NoError(t, err)
	_, err = s.Credentials(ctx, b, 1)
	require.ErrorIs(t, err, store.ErrSecretKey)
	assertNoToken(t, err, "theta-secret-token")

	// Or tenant B's version 2 token into its version 1 row (the AAD carries the version too).
	_, err = s.Pool().Exec(ctx, `
		UPDATE credentials SET (key_id, sealed_token) =
			(SELECT key_id, sealed_token FROM credentials WHERE tenant_key = $1 AND version = 2)
		WHERE tenant_key = $1 AND version = 1`, b)
	require.NoError(t, err)
	_, err = s.Credentials(ctx, b, 1)
	require.ErrorIs(t, err, store.ErrSecretKey)

	// Tenant A, untouched, still opens.
	got, err := s.Credentials(ctx, a, 1)
	require.NoError(t, err)
	assert.Equal(t, "theta-secret-token", got.RevealToken())
}

// TestNoPlaintextTokenInDatabase dumps the whole database and looks for the tokens in every
// form a careless implementation could store them in.
func TestNoPlaintextTokenInDatabase(t *testing.T) {
	t.Parallel()
	pgDump := findPgDump(t)
	s, ctx := storetest.NewStore(t), t.Context()
	creds := map[string]hibob.Credentials{
		"Kappa Ltd":               hibob.NewCredentials("SU-KAPPA-4417", "kappa-tok-Q7h2mX9pL4vR8sT1"),
		"Lambda Plc Service User": hibob.NewCredentials("SU-LAMBDA-9021", "lambda-tok-Z3nB6wE0yU5iO2aK"),
	}
	for name, c := range creds {
		key := ensureTenant(t, s, name)
		_, err := s.SaveCredentials(ctx, key, c)
		require.NoError(t, err)
		// A second version, so more than one sealed token per tenant is in the dump.
		_, err = s.SaveCredentials(ctx, key, hibob.NewCredentials(c.ServiceUserID(), c.RevealToken()+"-v2"))
		require.NoError(t, err)
	}

	out, err := exec.CommandContext(ctx, pgDump, "--no-owner", "--dbname="+s.Pool().Config().ConnString()).CombinedOutput()
	require.NoError(t, err, "pg_dump: %s", out)
	dump := string(out)
	require.Contains(t, dump, "COPY public.credentials", "the dump holds the credentials table")

	for _, c := range creds {
		// Plain booleans rather than assert.Contains: a failure must not print the whole dump.
		if !strings.Contains(dump, c.ServiceUserID()) {
			t.Errorf("service user ID %s is not in the dump: the test is not looking at the credentials", c.ServiceUserID())
		}
		for _, token := range []string{c.RevealToken(), c.RevealToken() + "-v2"} {
			b := []byte(token)
			for form, encoded := range map[string]string{
				"plain":      token,
				"base64":     base64.StdEncoding.EncodeToString(b),
				"raw base64": base64.RawStdEncoding.EncodeToString(b),
				"url base64": base64.URLEncoding.EncodeToString(b),
				"hex":        hex.EncodeToString(b),
				"upper hex":  strings.ToUpper(hex.EncodeToString(b)),
			} {
				if strings.Contains(dump, encoded) {
					t.Errorf("the %s form of a token of %s is in the pg_dump output", form, c.ServiceUserID())
				}
			}
		}
	}
}

// findPgDump looks on PATH, then in the Debian layout, newest version first (pg_dump refuses to
// dump a server newer than itself).
func findPgDump(t *testing.T) string {
	t.Helper()
	candidates, _ := filepath.Glob("/usr/lib/postgresql/*/bin/pg_dump")
	slices.SortFunc(candidates, func(a, b string) int { return versionOf(b) - versionOf(a) })
	if p, err := exec.LookPath("pg_dump"); err == nil {
		candidates = append([]string{p}, candidates...)
	}
	for _, p := range candidates {
		if fi, err := os.Stat(p); err == nil && !fi.IsDir() {
			return p
		}
	}
	t.Skip("pg_dump not found on PATH or under /usr/lib/postgresql/*/bin")
	return ""
}

func versionOf(pgDumpPath string) int {
	var v int
	fmt.Sscanf(filepath.Base(filepath.Dir(filepath.Dir(pgDumpPath))), "%d", &v)
	return v
}

func assertNoToken(t *testing.T, err error, token string) {
	t.Helper()
	for _, s := range []string{err.Error(), fmt.Sprintf("%+v", err), fmt.Sprintf("%#v", err)} {
		assert.NotContains(t, s, token, "an error shows the token")
	}
}
