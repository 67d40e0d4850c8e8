package hibob

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"strconv"
)

const redacted = "[redacted]"

// Credentials are a HiBob service user's ID and token. The token is never printed: every way
// fmt, encoding/json, encoding (text) and log/slog have of rendering a value yields the
// redacted form, so a Credentials can sit in a struct that ends up in a log line or an error.
type Credentials struct {
	id string
	// The token lives in a closure: reflection cannot see into one, so even where fmt cannot
	// call our methods (Credentials in an unexported struct field, printed with %v or with a
	// bad verb) it prints an address, never the token. A pointer would not do: fmt prints
	// what a pointer points to on a bad verb. The price is that Credentials are not
	// comparable with ==; use Equal.
	token func() string
}

// NewCredentials pairs a service user ID with its token.
func NewCredentials(serviceUserID, token string) Credentials {
	return Credentials{id: serviceUserID, token: func() string { return token }}
}

// ServiceUserID is the service user's ID; it is not secret.
func (c Credentials) ServiceUserID() string { return c.id }

// RevealToken returns the token. It is the one deliberate way out, for the HTTP Authorization
// header and for encryption at rest; never log its result.
func (c Credentials) RevealToken() string {
	if c.token == nil {
		return ""
	}
	return c.token()
}

// IsZero reports whether both the ID and the token are empty.
func (c Credentials) IsZero() bool { return c.id == "" && c.RevealToken() == "" }

// Equal compares ID and token.
func (c Credentials) Equal(o Credentials) bool {
	return c.id == o.id && c.RevealToken() == o.RevealToken()
}

func (c Credentials) String() string { return c.id + ":" + redacted }

func (c Credentials) GoString() string {
	return "hibob.Credentials{ServiceUserID:" + strconv.Quote(c.id) + ", Token:" + strconv.Quote(redacted) + "}"
}

// Format handles every verb, so that %x, %q or %#v cannot reach the fields.
func (c Credentials) Format(f fmt.State, verb rune) {
	switch {
	case verb == 'v' && f.Flag('#'):
		fmt.Fprint(f, c.GoString())
	case verb == 'q':
		fmt.Fprint(f, strconv.Quote(c.String()))
	default:
		fmt.Fprint(f, c.String())
	}
}

func (c Credentials) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		ServiceUserID string `json:"serviceUserId"`
		Token         string `json:"token"`
	}{c.id, redacted})
}

func (c Credentials) MarshalText() ([]byte, error) { return []byte(c.String()), nil }

func (c Credentials) LogValue() slog.Value {
	return slog.GroupValue(slog.String("serviceUserId", c.id), slog.String("token", redacted))
}
