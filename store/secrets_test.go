package store_test

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"hibobsync/store"
)

func newKeyring(t *testing.T) (*store.Keyring, string) {
	t.Helper()
	k, spec, err := store.GenerateKeyring()
	require.NoError(t, err)
	return k, spec
}

func TestKeyringRoundTrip(t *testing.T) {
	k, _ := newKeyring(t)
	plain, aad := []byte("a service user's token"), []byte("acme\x001")

	id, sealed, err := k.Seal(plain, aad)
	require.NoError(t, err)
	assert.Equal(t, k.KeyIDs()[0], id)
	assert.NotContains(t, string(sealed), string(plain))

	got, err := k.Open(id, sealed, aad)
	require.NoError(t, err)
	assert.Equal(t, plain, got)

	// A fresh nonce each time: sealing the same token twice gives different bytes.
	_, again, err := k.Seal(plain, aad)
	require.NoError(t, err)
	assert.NotEqual(t, sealed, again)
}

func TestKeyringRejectsWrongAADAndTampering(t *testing.T) {
	k, _ := newKeyring(t)
	id, sealed, err := k.Seal([]byte("token"), []byte("acme\x001"))
	require.NoError(t, err)

	_, err = k.Open(id, sealed, []byte("acme\x002"))
	require.ErrorIs(t, err, store.ErrSecretKey)
	assert.Contains(t, err.Error(), id)

	for i := range sealed {
		tampered := bytes.Clone(sealed)
		tampered[i] ^= 0x01
		_, err := k.Open(id, tampered, []byte("acme\x001"))
		require.ErrorIs(t, err, store.ErrSecretKey, "flipping byte %d", i)
	}
	_, err = k.Open(id, sealed[:10], []byte("acme\x001"))
	require.ErrorIs(t, err, store.ErrSecretKey)
}

func TestKeyringRotation(t *testing.T) {
	_, oldSpec := newKeyring(t)
	_, newSpec := newKeyring(t)
	old, err := store.ParseKeyring(oldSpec)
	require.NoError(t, err)
	oldID, sealedOld, err := old.Seal([]byte("old token"), nil)
	require.NoError(t, err)

	rotated, err := store.ParseKeyring(newSpec + "," + oldSpec)
	require.NoError(t, err)
	got, err := rotated.Open(oldID, sealedOld, nil)
	require.NoError(t, err, "the old key still opens")
	assert.Equal(t, "old token", string(got))

	newID, sealedNew, err := rotated.Seal([]byte("new token"), nil)
	require.NoError(t, err)
	assert.NotEqual(t, oldID, newID, "the new key seals")
	assert.Equal(t, rotated.KeyIDs()[0], newID)

	// The old keyring alone cannot open what the new key sealed, and says which key it lacks.
	_, err = old.Open(newID, sealedNew, nil)
	require.ErrorIs(t, err, store.ErrSecretKey)
	assert.Contains(t, err.Error(), newID)
	assert.Contains(t, err.Error(), store.SecretKeyEnv)
}

func TestKeyringSameIDOtherKey(t *testing.T) {
	a, err := store.ParseKeyring("k1:" + base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{1}, 32)))
	require.NoError(t, err)
	b, err := store.ParseKeyring("k1:" + base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{2}, 32)))
	require.NoError(t, err)
	id, sealed, err := a.Seal([]byte("token"), nil)
	require.NoError(t, err)
	_, err = b.Open(id, sealed, nil)
	require.ErrorIs(t, err, store.ErrSecretKey)
	assert.Contains(t, err.Error(), `"k1"`)
}

func TestParseKeyringErrors(t *testing.T) {
	key32 := bytes.Repeat([]byte{0xA5}, 32)
	key16 := bytes.Repeat([]byte{0x5A}, 16)
	good := base64.StdEncoding.EncodeToString(key32)
	short := base64.StdEncoding.EncodeToString(key16)

	tests := []struct {
		name, spec, want string
	}{
		{"empty", "", "is not set"},
		{"blank", "  \n", "is not set"},
		{"no colon", good, "has no colon"},
		{"bad base64", "k1:" + good[:len(good)-2] + "!!", "not standard base64"},
		{"16-byte key", "k1:" + short, "16 bytes long"},
		{"duplicate IDs", "k1:" + good + ",k1:" + good, `key ID "k1" twice`},
		{"upper-case ID", "K1:" + good, "invalid key ID"},
		{"empty ID", ":" + good, "invalid key ID"},
		{"long ID", strings.Repeat("a", 33) + ":" + good, "invalid key ID"},
		{"key in the ID's place", good[:20] + ":" + good, "invalid key ID"},
		{"stray comma", "k1:" + good + ",", "entry 2 of 2 is empty"},
		{"second entry bad", "k1:" + good + ",k2:" + short, `key "k2" (entry 2)`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k, err := store.ParseKeyring(tt.spec)
			require.Error(t, err)
			assert.Nil(t, k)
			require.ErrorIs(t, err, store.ErrSecretKey)
			msg := err.Error()
			assert.Contains(t, msg, tt.want)
			assert.Contains(t, msg, store.SecretKeyEnv, "the error names the variable to fix")
			assertNoKeyMaterial(t, msg, key32, key16)
		})
	}
}

func TestParseKeyringAccepts(t *testing.T) {
	good := base64.StdEncoding.EncodeToString(make([]byte, 32))
	k, err := store.ParseKeyring(" new-2:" + good + " , old-1:" + good + "\n")
	require.NoError(t, err)
	assert.Equal(t, []string{"new-2", "old-1"}, k.KeyIDs())

	env := map[string]string{store.SecretKeyEnv: "k1:" + good}
	k, err = store.KeyringFromEnv(func(name string) string { return env[name] })
	require.NoError(t, err)
	assert.Equal(t, []string{"k1"}, k.KeyIDs())

	_, err = store.KeyringFromEnv(func(string) string { return "" })
	require.ErrorIs(t, err, store.ErrSecretKey)
	assert.Contains(t, err.Error(), "hibobsync gen-key")
}

func TestGenerateKeyringSpec(t *testing.T) {
	k, spec, err := store.GenerateKeyring()
	require.NoError(t, err)
	parsed, err := store.ParseKeyring(spec)
	require.NoError(t, err)
	assert.Equal(t, k.KeyIDs(), parsed.KeyIDs())

	id, sealed, err := k.Seal([]byte("x"), nil)
	require.NoError(t, err)
	got, err := parsed.Open(id, sealed, nil)
	require.NoError(t, err)
	assert.Equal(t, "x", string(got))

	_, spec2, err := store.GenerateKeyring()
	require.NoError(t, err)
	assert.NotEqual(t, spec, spec2)
}

// TestKeyringNeverPrintsKeys renders a keyring every way fmt can, on its own and nested in
// structs (where fmt falls back to reflection for unexported fields), and looks for the key.
func TestKeyringNeverPrintsKeys(t *testing.T) {
	key := bytes.Repeat([]byte{0x3C}, 32)
	k, err := store.ParseKeyring("k-print:" + base64.StdEncoding.EncodeToString(key))
	require.NoError(t, err)

	type exported struct{ K *store.Keyring }
	type unexported struct{ k store.Keyring }
	type unexportedPtr struct{ k *store.Keyring }
	values := []any{k, *k, exported{k}, unexported{*k}, unexportedPtr{k}, []any{k}}
	for _, v := range values {
		for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%d", "%T"} {
			out := fmt.Sprintf(verb, v)
			assertNoKeyMaterial(t, out, key)
		}
	}
	assert.Equal(t, "store.Keyring{keys: k-print}", fmt.Sprint(k))
	assert.Equal(t, `store.Keyring{KeyIDs: []string{"k-print"}}`, fmt.Sprintf("%#v", k))
}

func TestNilKeyring(t *testing.T) {
	var k *store.Keyring
	_, _, err := k.Seal([]byte("x"), nil)
	require.ErrorIs(t, err, store.ErrSecretKey)
	_, err = k.Open("k1", []byte("x"), nil)
	require.ErrorIs(t, err, store.ErrSecretKey)
	assert.Nil(t, k.KeyIDs())
}

// assertNoKeyMaterial checks s for each secret raw, in base64 (padded or not) and in hex.
func assertNoKeyMaterial(t *testing.T, s string, secrets ...[]byte) {
	t.Helper()
	for _, secret := range secrets {
		for _, form := range []string{
			string(secret),
			base64.StdEncoding.EncodeToString(secret),
			base64.RawStdEncoding.EncodeToString(secret),
			hex.EncodeToString(secret),
			strings.ToUpper(hex.EncodeToString(secret)),
			fmt.Sprint(secret),
		} {
			if strings.Contains(s, form) {
				t.Errorf("output contains key material: %q", s)
			}
		}
	}
}
