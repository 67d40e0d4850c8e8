package model

import (
	"errors"
	"fmt"
	"strings"
	"unicode"
)

// TenantKey identifies one customer's HiBob connection: the company name as Gifted's customer
// typed it, normalised, without the "Service User" suffix (so "Acme Service User" and "acme"
// are the same tenant). It names the tenant's workflow and keys every stored row.
type TenantKey string

// MaxCompanyName bounds what a customer may type as the company name.
const MaxCompanyName = 100

// serviceUserSuffix is what Gifted's setup guide asks customers who synced before to append.
const serviceUserSuffix = "service user"

// ErrInvalidCompanyName is wrapped by every error TenantKeyOf returns.
var ErrInvalidCompanyName = errors.New("invalid company name")

// TenantKeyOf normalises a company name as entered into its tenant key, and reports whether
// the name carried the "Service User" suffix (a customer re-connecting).
func TenantKeyOf(companyName string) (key TenantKey, hadSuffix bool, err error) {
	name := strings.Join(strings.Fields(companyName), " ")
	switch {
	case name == "":
		return "", false, fmt.Errorf("%w: the company name is empty; enter the company's name as it appears in Bob", ErrInvalidCompanyName)
	case len([]rune(name)) > MaxCompanyName:
		return "", false, fmt.Errorf("%w: the company name is %d characters long, at most %d are allowed", ErrInvalidCompanyName, len([]rune(name)), MaxCompanyName)
	}
	lower := strings.ToLower(name)
	if stripped, ok := strings.CutSuffix(lower, serviceUserSuffix); ok {
		lower, hadSuffix = strings.TrimSpace(stripped), true
	}
	var b strings.Builder
	dash := false
	for _, r := range lower {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			if dash && b.Len() > 0 {
				b.WriteByte('-')
			}
			b.WriteRune(r)
			dash = false
			continue
		}
		dash = true
	}
	if b.Len() == 0 {
		if hadSuffix {
			return "", true, fmt.Errorf("%w: %q is only the \"Service User\" suffix; enter the company's name followed by \"Service User\"", ErrInvalidCompanyName, name)
		}
		return "", false, fmt.Errorf("%w: %q has no letters or digits; enter the company's name as it appears in Bob", ErrInvalidCompanyName, name)
	}
	return TenantKey(b.String()), hadSuffix, nil
}

// ParseTenantKey checks that s is already a normalised key (as in a URL path or workflow ID).
func ParseTenantKey(s string) (TenantKey, error) {
	key, hadSuffix, err := TenantKeyOf(s)
	if err != nil || hadSuffix || string(key) != s {
		return "", fmt.Errorf("%q is not a tenant key: keys are lower-case letters and digits joined by single dashes, e.g. \"acme-ltd\"", s)
	}
	return key, nil
}

func (k TenantKey) String() string { return string(k) }
