package hubspot_test

import (
	"testing"
	"time"

	"github.com/cardbridge/sansanhubspot/hubspot"
)

func TestFormatValues(t *testing.T) {
	t.Parallel()
	tokyo := time.FixedZone("JST", 9*3600)
	// 2015-05-01 08:00 in Tokyo is still 2015-04-30 in UTC: the calendar
	// date of the given location is kept.
	t1 := time.Date(2015, 5, 1, 8, 0, 0, 0, tokyo)
	tests := []struct{ name, got, want string }{
		{"date", hubspot.FormatDate(t1), "2015-05-01"},
		{"datetime", hubspot.FormatDateTime(t1), "2015-04-30T23:00:00.000Z"},
		{"datetime millis", hubspot.FormatDateTimeMillis(t1), "1430434800000"},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("%s = %q, want %q", tt.name, tt.got, tt.want)
		}
	}
}

func TestParseValues(t *testing.T) {
	t.Parallel()
	midnight := time.Date(2015, 5, 1, 0, 0, 0, 0, time.UTC)
	for _, s := range []string{"2015-05-01", "1430438400000", "2015-05-01T00:00:00.000Z"} {
		got, err := hubspot.ParseDateTime(s)
		if err != nil || !got.Equal(midnight) {
			t.Errorf("ParseDateTime(%q) = %v, %v", s, got, err)
		}
	}
	for _, s := range []string{"2015-13-01", "May 1", ""} {
		if _, err := hubspot.ParseDateTime(s); err == nil {
			t.Errorf("ParseDateTime(%q) accepted", s)
		}
	}
	want := time.Date(2020, 2, 29, 3, 30, 17, 0, time.UTC)
	for _, s := range []string{"2020-02-29T03:30:17.000Z", "1582947017000", "2020-02-29T12:30:17+09:00"} {
		got, err := hubspot.ParseDateTime(s)
		if err != nil || !got.Equal(want) || got.Location() != time.UTC {
			t.Errorf("ParseDateTime(%q) = %v, %v", s, got, err)
		}
	}
	if _, err := hubspot.ParseDateTime("yesterday"); err == nil {
		t.Error("ParseDateTime accepted garbage")
	}
}
