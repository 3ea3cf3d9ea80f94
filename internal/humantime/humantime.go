// Package humantime formats durations for people: rounded to the precision
// that matters at their size ("1.69s", "420ms", "2m3s", "1h5m"), never
// "1.693762107s". The sync service's page and logs and the command-line
// tool use it.
package humantime

import (
	"strings"
	"time"
)

// Round rounds d to a precision that suits its size: microseconds below a
// millisecond, milliseconds below a second, hundredths of a second below a
// minute, seconds below an hour and minutes above.
func Round(d time.Duration) time.Duration {
	if d < 0 {
		return -Round(-d)
	}
	switch {
	case d < time.Millisecond:
		return d.Round(time.Microsecond)
	case d < time.Second:
		return d.Round(time.Millisecond)
	case d < time.Minute:
		return d.Round(10 * time.Millisecond)
	case d < time.Hour:
		return d.Round(time.Second)
	}
	return d.Round(time.Minute)
}

// String is Round(d).String() without the zero units Go appends after
// hours or minutes: "1h5m" rather than "1h5m0s", "2m" rather than "2m0s".
func String(d time.Duration) string {
	s := Round(d).String()
	if strings.ContainsAny(s, "hm") && strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}
