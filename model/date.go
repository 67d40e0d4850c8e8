package model

import (
	"fmt"
	"time"
)

// Date is a calendar date with no time zone, HiBob's machine format "YYYY-MM-DD".
// The zero Date means "no date" and encodes as an empty string.
type Date struct {
	Year  int
	Month time.Month
	Day   int
}

// ParseDate reads "YYYY-MM-DD" strictly: impossible dates such as 2023-02-29 are errors,
// because HiBob data that carries them is corrupt and must be rejected, not guessed at.
func ParseDate(s string) (Date, error) {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return Date{}, fmt.Errorf("date %q is not a valid YYYY-MM-DD date", s)
	}
	return DateOf(t), nil
}

// DateOf is the calendar date of t in t's own location.
func DateOf(t time.Time) Date {
	y, m, d := t.Date()
	return Date{Year: y, Month: m, Day: d}
}

// MustDate is ParseDate for literals in tests and generators; it panics on a bad literal.
func MustDate(s string) Date {
	d, err := ParseDate(s)
	if err != nil {
		panic(err)
	}
	return d
}

func (d Date) IsZero() bool { return d == Date{} }

func (d Date) String() string {
	if d.IsZero() {
		return ""
	}
	return fmt.Sprintf("%04d-%02d-%02d", d.Year, int(d.Month), d.Day)
}

// Time is midnight UTC of the date.
func (d Date) Time() time.Time { return time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, time.UTC) }

func (d Date) Before(o Date) bool { return d.Time().Before(o.Time()) }
func (d Date) After(o Date) bool  { return d.Time().After(o.Time()) }

// AddDays is the date n days later (earlier when n < 0).
func (d Date) AddDays(n int) Date { return DateOf(d.Time().AddDate(0, 0, n)) }

// MonthDay is the month and day, the year cut off: the birthday and anniversary that gifting runs on.
func (d Date) MonthDay() MonthDay {
	if d.IsZero() {
		return MonthDay{}
	}
	return MonthDay{Month: d.Month, Day: d.Day}
}

func (d Date) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

func (d *Date) UnmarshalText(b []byte) error {
	if len(b) == 0 {
		*d = Date{}
		return nil
	}
	v, err := ParseDate(string(b))
	if err != nil {
		return err
	}
	*d = v
	return nil
}

// MonthDay is HiBob's "short date", "MM-DD" with no year (personal.shortBirthDate,
// work.shortStartDate). 02-29 is a valid birthday.
type MonthDay struct {
	Month time.Month
	Day   int
}

// ParseMonthDay reads "MM-DD" strictly, accepting 02-29 and refusing 02-30 or 13-01.
func ParseMonthDay(s string) (MonthDay, error) {
	// Parsed against a leap year so that 29 February is accepted.
	t, err := time.Parse(time.DateOnly, "2000-"+s)
	if err != nil || len(s) != 5 {
		return MonthDay{}, fmt.Errorf("short date %q is not a valid MM-DD date", s)
	}
	return MonthDay{Month: t.Month(), Day: t.Day()}, nil
}

func (m MonthDay) IsZero() bool { return m == MonthDay{} }

func (m MonthDay) String() string {
	if m.IsZero() {
		return ""
	}
	return fmt.Sprintf("%02d-%02d", int(m.Month), m.Day)
}

func (m MonthDay) MarshalText() ([]byte, error) { return []byte(m.String()), nil }

func (m *MonthDay) UnmarshalText(b []byte) error {
	if len(b) == 0 {
		*m = MonthDay{}
		return nil
	}
	v, err := ParseMonthDay(string(b))
	if err != nil {
		return err
	}
	*m = v
	return nil
}
