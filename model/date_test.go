package model

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestParseDate(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want Date
		ok   bool
	}{
		{"2015-03-20", Date{2015, 3, 20}, true},
		{"2024-02-29", Date{2024, 2, 29}, true},
		{"2023-02-29", Date{}, false},
		{"2023-13-01", Date{}, false},
		{"2023-1-01", Date{}, false},
		{"20/03/2015", Date{}, false},
		{"", Date{}, false},
	} {
		got, err := ParseDate(tc.in)
		if tc.ok {
			require.NoError(t, err, tc.in)
			require.Equal(t, tc.want, got)
			require.Equal(t, tc.in, got.String())
		} else {
			require.Error(t, err, tc.in)
		}
	}
}

func TestParseMonthDay(t *testing.T) {
	md, err := ParseMonthDay("02-29")
	require.NoError(t, err)
	require.Equal(t, "02-29", md.String())
	for _, bad := range []string{"02-30", "13-01", "2-29", "00-10", "", "02-29x"} {
		_, err := ParseMonthDay(bad)
		require.Error(t, err, bad)
	}
}

func TestDateJSON(t *testing.T) {
	type doc struct {
		D  Date     `json:"d,omitzero"`
		MD MonthDay `json:"md,omitzero"`
	}
	b, err := json.Marshal(doc{D: MustDate("2026-12-04"), MD: MonthDay{2, 29}})
	require.NoError(t, err)
	require.JSONEq(t, `{"d":"2026-12-04","md":"02-29"}`, string(b))

	b, err = json.Marshal(doc{})
	require.NoError(t, err)
	require.JSONEq(t, `{}`, string(b))

	var back doc
	require.NoError(t, json.Unmarshal([]byte(`{"d":"2026-12-04","md":"02-29"}`), &back))
	require.Equal(t, MustDate("2026-12-04"), back.D)
	require.Error(t, json.Unmarshal([]byte(`{"d":"2026-02-30"}`), &back))
}

func TestDateArithmetic(t *testing.T) {
	d := MustDate("2024-02-28")
	require.Equal(t, "2024-02-29", d.AddDays(1).String())
	require.Equal(t, "2024-03-01", d.AddDays(2).String())
	require.True(t, d.Before(d.AddDays(1)))
	require.True(t, d.AddDays(1).After(d))
	require.Equal(t, MonthDay{2, 28}, d.MonthDay())
}
