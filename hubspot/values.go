package hubspot

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

const (
	dateLayout     = "2006-01-02"
	dateTimeLayout = "2006-01-02T15:04:05.000Z"
)

// FormatDate formats the calendar date of t (in t's location) as a value for
// a HubSpot date property: "YYYY-MM-DD", which HubSpot stores as midnight
// UTC of that date.
func FormatDate(t time.Time) string {
	y, m, d := t.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Format(dateLayout)
}

// FormatDateMillis formats the calendar date of t (in t's location) as
// epoch milliseconds of midnight UTC, the other form HubSpot accepts for
// date properties and the form search filters compare.
func FormatDateMillis(t time.Time) string {
	y, m, d := t.Date()
	return strconv.FormatInt(time.Date(y, m, d, 0, 0, 0, 0, time.UTC).UnixMilli(), 10)
}

// FormatDateTime formats t for a HubSpot datetime property as RFC 3339 in
// UTC with milliseconds, e.g. "2020-02-29T03:30:17.000Z".
func FormatDateTime(t time.Time) string {
	return t.UTC().Format(dateTimeLayout)
}

// FormatDateTimeMillis formats t as epoch milliseconds, the form search
// filters on datetime properties compare.
func FormatDateTimeMillis(t time.Time) string {
	return strconv.FormatInt(t.UnixMilli(), 10)
}

// ParseDate parses a HubSpot date property value, "YYYY-MM-DD", an
// RFC 3339 time at midnight UTC, or epoch milliseconds of midnight UTC,
// returning midnight UTC of that date.
func ParseDate(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	if t, err := time.Parse(dateLayout, s); err == nil {
		return t, nil
	}
	t, err := ParseDateTime(s)
	if err != nil {
		return time.Time{}, fmt.Errorf("hubspot: invalid date %q", s)
	}
	if t.Hour() != 0 || t.Minute() != 0 || t.Second() != 0 || t.Nanosecond() != 0 {
		return time.Time{}, fmt.Errorf("hubspot: date %q is not midnight utc", s)
	}
	return t, nil
}

// ParseDateTime parses a HubSpot datetime value given as RFC 3339 or epoch
// milliseconds, returning it in UTC.
func ParseDateTime(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	if ms, err := strconv.ParseInt(s, 10, 64); err == nil {
		return time.UnixMilli(ms).UTC(), nil
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("hubspot: invalid datetime %q", s)
	}
	return t.UTC(), nil
}
