package hibob

import (
	"errors"
	"fmt"
	"strings"
)

// ErrInvalidServiceUserID is wrapped by every error ValidServiceUserID returns.
var ErrInvalidServiceUserID = errors.New("invalid service user ID")

// serviceUserIDPrefix starts every service user ID we accept.
const serviceUserIDPrefix = "SERVICE-"

// maxServiceUserIDDigits bounds the number part, so a pasted token is not taken for an ID.
const maxServiceUserIDDigits = 20

// ValidServiceUserID checks that id looks like a HiBob service user ID and returns it with
// surrounding whitespace removed (a pasted ID often carries a space or a newline).
//
// The rule is "SERVICE-" followed by digits, which is what the simulator issues
// ("SERVICE-12345"). HiBob's real format is UNCONFIRMED (/work/shared/docs/hibob-api.md
// documents only that the ID is the Basic-auth user name); this function is the one place to
// change when production shows otherwise.
func ValidServiceUserID(id string) (string, error) {
	id = strings.TrimSpace(id)
	if id == "" {
		return "", fmt.Errorf("%w: the service user ID is empty; copy it from Bob (Settings → Integrations → Service users)", ErrInvalidServiceUserID)
	}
	digits, ok := strings.CutPrefix(id, serviceUserIDPrefix)
	if !ok {
		return "", fmt.Errorf("%w: %s; service user IDs start with %q followed by digits, e.g. SERVICE-12345 (Bob: Settings → Integrations → Service users)",
			ErrInvalidServiceUserID, describeBadID(id), serviceUserIDPrefix)
	}
	if digits == "" || len(digits) > maxServiceUserIDDigits || strings.IndexFunc(digits, func(r rune) bool { return r < '0' || r > '9' }) >= 0 {
		return "", fmt.Errorf("%w: %s; after %q a service user ID has only digits (at most %d), e.g. SERVICE-12345",
			ErrInvalidServiceUserID, describeBadID(id), serviceUserIDPrefix, maxServiceUserIDDigits)
	}
	return id, nil
}

// describeBadID names a rejected ID in an error. A short one is quoted; a long one may be a
// token pasted into the wrong field, so only its length is told.
func describeBadID(id string) string {
	if len(id) > len(serviceUserIDPrefix)+maxServiceUserIDDigits {
		return fmt.Sprintf("the value given is %d characters long (is it the token?)", len(id))
	}
	return fmt.Sprintf("%q is not one", id)
}
