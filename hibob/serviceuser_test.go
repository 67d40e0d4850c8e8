package hibob

import (
	"errors"
	"strings"
	"testing"
)

func TestValidServiceUserID(t *testing.T) {
	for in, want := range map[string]string{
		"SERVICE-12345":     "SERVICE-12345",
		"SERVICE-123456":    "SERVICE-123456",
		"  SERVICE-12345\n": "SERVICE-12345",
		"\tSERVICE-1 ":      "SERVICE-1",
	} {
		got, err := ValidServiceUserID(in)
		if err != nil || got != want {
			t.Errorf("ValidServiceUserID(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	token := strings.Repeat("abcdefXYZ1", 5)
	for in, hint := range map[string]string{
		"":                                   "empty",
		"   ":                                "empty",
		"12345":                              `start with "SERVICE-"`,
		"service-12345":                      `start with "SERVICE-"`,
		"SERVICE-":                           "only digits",
		"SERVICE-12a45":                      "only digits",
		"SERVICE-12 45":                      "only digits",
		"SERVICE-" + strings.Repeat("1", 21): "only digits",
		token:                                "is it the token?",
	} {
		_, err := ValidServiceUserID(in)
		if !errors.Is(err, ErrInvalidServiceUserID) || !strings.Contains(err.Error(), hint) {
			t.Errorf("ValidServiceUserID(%q) = %v; want an ErrInvalidServiceUserID saying %q", in, err, hint)
		}
		if in == token && strings.Contains(err.Error(), token) {
			t.Errorf("the error repeats what may be a token: %v", err)
		}
	}
}
