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

// ParseDateTime parses a HubSpot date or datetime property value, given as
// "YYYY-MM-DD" (a date, read as midnight UTC), RFC 3339 or epoch
// milliseconds, returning it in UTC.
func ParseDateTime(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	if t, err := time.Parse(dateLayout, s); err == nil {
		return t, nil
	}
	if ms, err := strconv.ParseInt(s, 10, 64); err == nil {
		return time.UnixMilli(ms).UTC(), nil
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("hubspot: invalid datetime %q", s)
	}
	return t.UTC(), nil
}
