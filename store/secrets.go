package store

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// SecretKeyEnv names the environment variable that holds the keyring spec.
const SecretKeyEnv = "HIBOBSYNC_SECRET_KEY"

const (
	keySize    = 32 // AES-256
	nonceSize  = 12 // GCM's standard nonce
	maxKeyID   = 32
	genKeyHint = "generate one with `hibobsync gen-key`"
)

// Keyring seals credential tokens with AES-256-GCM. Every sealed token is stored beside the ID
// of the key that sealed it, so keys can rotate: the first key of the spec seals, every key
// opens. To rotate, put a new key first and keep the old ones until no row uses them.
//
// A Keyring never prints its keys: fmt, %#v included, shows only the key IDs.
type Keyring struct {
	ids []string // ids[0] seals
	// The ciphers live in a closure, for the reason hibob.Credentials keeps its token in one:
	// fmt's reflection cannot walk into a closure, so even a Keyring printed from an
	// unexported struct field shows no key schedule.
	aead func(id string) (cipher.AEAD, bool)
}

// ParseKeyring reads a keyring spec, the value of HIBOBSYNC_SECRET_KEY:
// `keyid:base64key[,keyid:base64key…]`. Key IDs are 1-32 lower-case letters, digits or dashes,
// unique within the spec; keys are 32 bytes in standard base64. The first key seals.
//
// Every error wraps ErrSecretKey, says how to fix the spec and never repeats key material.
func ParseKeyring(spec string) (*Keyring, error) {
	spec = strings.TrimSpace(spec)
	if spec == "" {
		return nil, secretKeyError("%s is not set: %s and set it on every worker and API process", SecretKeyEnv, genKeyHint)
	}
	entries := strings.Split(spec, ",")
	ids := make([]string, 0, len(entries))
	aeads := make(map[string]cipher.AEAD, len(entries))
	for i, entry := range entries {
		n := i + 1 // people count from one
		entry = strings.TrimSpace(entry)
		if entry == "" {
			return nil, secretKeyError("%s entry %d of %d is empty: entries are keyid:base64key separated by single commas", SecretKeyEnv, n, len(entries))
		}
		id, encoded, ok := strings.Cut(entry, ":")
		if !ok {
			return nil, secretKeyError("%s entry %d has no colon: write each key as keyid:base64key, e.g. the output of `hibobsync gen-key`", SecretKeyEnv, n)
		}
		// The ID is not echoed when it is invalid: it might be key material pasted in the wrong place.
		if !validKeyID(id) {
			return nil, secretKeyError("%s entry %d has an invalid key ID (%d characters before the colon): IDs are 1-%d lower-case letters, digits or dashes", SecretKeyEnv, n, len(id), maxKeyID)
		}
		if _, dup := aeads[id]; dup {
			return nil, secretKeyError("%s names key ID %q twice (entry %d): give every key its own ID", SecretKeyEnv, id, n)
		}
		key, err := base64.StdEncoding.DecodeString(strings.TrimSpace(encoded))
		if err != nil {
			return nil, secretKeyError("%s key %q (entry %d) is not standard base64: %s", SecretKeyEnv, id, n, genKeyHint)
		}
		if len(key) != keySize {
			clear(key)
			return nil, secretKeyError("%s key %q (entry %d) is %d bytes long, AES-256 needs exactly %d: %s", SecretKeyEnv, id, n, len(key), keySize, genKeyHint)
		}
		aead, err := newAEAD(key)
		clear(key) // the cipher holds its own expanded copy
		if err != nil {
			return nil, secretKeyError("%s key %q (entry %d): %v", SecretKeyEnv, id, n, err)
		}
		ids = append(ids, id)
		aeads[id] = aead
	}
	return &Keyring{
		ids:  ids,
		aead: func(id string) (cipher.AEAD, bool) { a, ok := aeads[id]; return a, ok },
	}, nil
}

// KeyringFromEnv parses HIBOBSYNC_SECRET_KEY as getenv reports it.
func KeyringFromEnv(getenv func(string) string) (*Keyring, error) {
	return ParseKeyring(getenv(SecretKeyEnv))
}

// GenerateKeyring makes a keyring of one fresh random key and returns it with its spec, for
// `hibobsync gen-key`, the demo and tests. The key ID carries the date (so an operator can tell
// keys apart when rotating) and a random suffix (so two keys made the same day differ).
func GenerateKeyring() (*Keyring, string, error) {
	key := make([]byte, keySize)
	suffix := make([]byte, 3)
	if _, err := rand.Read(key); err != nil {
		return nil, "", fmt.Errorf("store: generate a secret key: %w", err)
	}
	if _, err := rand.Read(suffix); err != nil {
		return nil, "", fmt.Errorf("store: generate a secret key ID: %w", err)
	}
	spec := "k" + time.Now().UTC().Format("20060102") + "-" + hex.EncodeToString(suffix) + ":" + base64.StdEncoding.EncodeToString(key)
	clear(key)
	k, err := ParseKeyring(spec)
	if err != nil {
		return nil, "", err
	}
	return k, spec, nil
}

// KeyIDs lists the keyring's key IDs, the sealing key first.
func (k *Keyring) KeyIDs() []string {
	if k == nil {
		return nil
	}
	return append([]string(nil), k.ids...)
}

// Seal encrypts plaintext under the keyring's first key. aad binds the ciphertext to where it
// is stored (Open must be given the same aad), so a sealed value copied elsewhere does not
// open. sealed is the random nonce followed by the ciphertext.
func (k *Keyring) Seal(plaintext, aad []byte) (keyID string, sealed []byte, err error) {
	if k == nil || len(k.ids) == 0 {
		return "", nil, secretKeyError("no keyring to seal with: set %s (%s)", SecretKeyEnv, genKeyHint)
	}
	keyID = k.ids[0]
	aead, _ := k.aead(keyID)
	nonce := make([]byte, nonceSize, nonceSize+len(plaintext)+aead.Overhead())
	// A random 96-bit nonce is safe for far more seals than one key will ever see here
	// (NIST's bound is 2^32 per key).
	if _, err := rand.Read(nonce); err != nil {
		return "", nil, fmt.Errorf("store: make a nonce: %w", err)
	}
	return keyID, aead.Seal(nonce, nonce, plaintext, aad), nil
}

// Open decrypts what Seal returned. An unknown key ID, or sealed data that does not
// authenticate (another key with the same ID, a different aad, altered bytes), is an error
// wrapping ErrSecretKey that names the key ID, never the data.
func (k *Keyring) Open(keyID string, sealed, aad []byte) ([]byte, error) {
	if k == nil || len(k.ids) == 0 {
		return nil, secretKeyError("no keyring to open key %q with: set %s", keyID, SecretKeyEnv)
	}
	aead, ok := k.aead(keyID)
	if !ok {
		return nil, secretKeyError("the value was sealed with key %q, which %s does not hold (it holds %s): add that key back after the sealing key",
			keyID, SecretKeyEnv, strings.Join(k.ids, ", "))
	}
	if len(sealed) < nonceSize+aead.Overhead() {
		return nil, secretKeyError("the value sealed with key %q is %d bytes, too short to be sealed: the stored data is damaged", keyID, len(sealed))
	}
	plain, err := aead.Open(nil, sealed[:nonceSize], sealed[nonceSize:], aad)
	if err != nil {
		return nil, secretKeyError("the value sealed with key %q does not open: the key with that ID is not the one that sealed it, or the stored data was altered or moved", keyID)
	}
	return plain, nil
}

func (k Keyring) String() string {
	return "store.Keyring{keys: " + strings.Join(k.ids, ", ") + "}"
}

func (k Keyring) GoString() string {
	quoted := make([]string, len(k.ids))
	for i, id := range k.ids {
		quoted[i] = strconv.Quote(id)
	}
	return "store.Keyring{KeyIDs: []string{" + strings.Join(quoted, ", ") + "}}"
}

// Format handles every verb, so that no verb (%x, %+v, %#v…) can reach the ciphers.
func (k Keyring) Format(f fmt.State, verb rune) {
	switch {
	case verb == 'v' && f.Flag('#'):
		fmt.Fprint(f, k.GoString())
	case verb == 'q':
		fmt.Fprint(f, strconv.Quote(k.String()))
	default:
		fmt.Fprint(f, k.String())
	}
}

func newAEAD(key []byte) (cipher.AEAD, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}

func validKeyID(id string) bool {
	if len(id) == 0 || len(id) > maxKeyID {
		return false
	}
	for _, r := range id {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-') {
			return false
		}
	}
	return true
}

func secretKeyError(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrSecretKey}, args...)...)
}
