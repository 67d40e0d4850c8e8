package model

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestTenantKeyOf(t *testing.T) {
	for _, tc := range []struct {
		in     string
		key    TenantKey
		suffix bool
	}{
		{"Acme", "acme", false},
		{"Acme Service User", "acme", true},
		{"  ACME   service   user ", "acme", true},
		{"Acme Ltd.", "acme-ltd", false},
		{"Ben & Jerry's", "ben-jerry-s", false},
		{"Café Noir GmbH", "café-noir-gmbh", false},
		{"Service User Co", "service-user-co", false},
	} {
		key, suffix, err := TenantKeyOf(tc.in)
		require.NoError(t, err, tc.in)
		require.Equal(t, tc.key, key, tc.in)
		require.Equal(t, tc.suffix, suffix, tc.in)
	}
	for _, bad := range []string{"", "   ", "Service User", "service user", "!!!", string(make([]rune, 101))} {
		_, _, err := TenantKeyOf(bad)
		require.ErrorIs(t, err, ErrInvalidCompanyName, "%q", bad)
	}
	_, _, err := TenantKeyOf("Service User")
	require.ErrorContains(t, err, "only the \"Service User\" suffix")
}

func TestParseTenantKey(t *testing.T) {
	k, err := ParseTenantKey("acme-ltd")
	require.NoError(t, err)
	require.Equal(t, TenantKey("acme-ltd"), k)
	for _, bad := range []string{"Acme", "acme--ltd", "-acme", "acme service user", "acme/ltd", ""} {
		_, err := ParseTenantKey(bad)
		require.Error(t, err, bad)
	}
}
