package mapping

import (
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/cardbridge/sansanhubspot/sansan"
)

// canonical cleans raw (see [cleanText]) and brings it into the canonical
// form of kind, the form that is written and compared. It never handles
// KindEmail, which needs the full [EmailResult]. A blank result is "".
func canonical(kind ValueKind, raw string, maxLen int, overflow Overflow) (string, textIssues, *valueError) {
	v, issues := cleanText(raw, maxLen, overflow)
	if v == "" {
		return "", issues, nil
	}
	var err *valueError
	switch kind {
	case KindDate:
		v, err = canonicalDate(v)
	case KindDateTime:
		v, err = canonicalDateTime(v)
	case KindNumber:
		err = checkNumber(v)
	case KindBool:
		v, err = canonicalBool(v)
	case KindMultiEnum:
		v = canonicalMulti(v)
	}
	if err != nil {
		return "", issues, err
	}
	return v, issues, nil
}

// canonicalDate accepts "YYYY-MM-DD", a timestamp whose date part is kept
// as written (no time-zone shift), or epoch milliseconds (HubSpot's
// midnight-UTC form, read as a UTC date), and returns "YYYY-MM-DD".
func canonicalDate(v string) (string, *valueError) {
	if isEpochMillis(v) {
		ms, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return "", &valueError{code: CodeInvalidValue, msg: "epoch milliseconds out of range"}
		}
		s, verr := formatDate(sansan.DateOf(time.UnixMilli(ms).UTC()))
		if verr != nil {
			return "", verr.(*valueError)
		}
		return s, nil
	}
	d, err := sansan.ParseDate(v)
	if err != nil {
		return "", &valueError{code: CodeInvalidValue, msg: "not a date (YYYY-MM-DD)"}
	}
	s, verr := formatDate(d)
	if verr != nil {
		return "", verr.(*valueError)
	}
	return s, nil
}

// canonicalDateTime accepts RFC 3339, "YYYY-MM-DD" (midnight UTC) or epoch
// milliseconds and returns RFC 3339 UTC with milliseconds.
func canonicalDateTime(v string) (string, *valueError) {
	var t time.Time
	switch {
	case isEpochMillis(v):
		ms, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return "", &valueError{code: CodeInvalidValue, msg: "epoch milliseconds out of range"}
		}
		t = time.UnixMilli(ms)
	case len(v) == len(time.DateOnly):
		d, err := time.Parse(time.DateOnly, v)
		if err != nil {
			return "", &valueError{code: CodeInvalidValue, msg: "not a date-time (RFC 3339)"}
		}
		t = d
	default:
		var err error
		if t, err = time.Parse(time.RFC3339Nano, v); err != nil {
			return "", &valueError{code: CodeInvalidValue, msg: "not a date-time (RFC 3339)"}
		}
	}
	if y := t.UTC().Year(); y < 1 || y > 9999 {
		return "", &valueError{code: CodeInvalidValue, msg: "date-time out of range"}
	}
	return formatDateTime(t), nil
}

func isEpochMillis(v string) bool {
	v = strings.TrimPrefix(v, "-")
	if v == "" || len(v) > 19 {
		return false
	}
	for i := 0; i < len(v); i++ {
		if v[i] < '0' || v[i] > '9' {
			return false
		}
	}
	return len(v) > 8 // shorter digit strings are not plausible timestamps
}

// checkNumber accepts what HubSpot accepts for number properties: an
// optional sign, digits with at most one decimal point, and an optional
// exponent; no thousands separators, no hex, no Inf or NaN.
func checkNumber(v string) *valueError {
	for i := 0; i < len(v); i++ {
		c := v[i]
		if !(c >= '0' && c <= '9' || c == '.' || c == '-' || c == '+' || c == 'e' || c == 'E') {
			return &valueError{code: CodeInvalidValue, msg: "not a plain decimal number"}
		}
	}
	if _, err := strconv.ParseFloat(v, 64); err != nil {
		return &valueError{code: CodeInvalidValue, msg: "not a plain decimal number"}
	}
	return nil
}

func canonicalBool(v string) (string, *valueError) {
	switch strings.ToLower(v) {
	case "true":
		return "true", nil
	case "false":
		return "false", nil
	}
	return "", &valueError{code: CodeInvalidValue, msg: `not "true" or "false"`}
}

// canonicalMulti sorts and de-duplicates ";"-separated values, dropping
// blank ones.
func canonicalMulti(v string) string {
	if !strings.Contains(v, ";") {
		return v
	}
	parts := strings.Split(v, ";")
	out := parts[:0]
	for _, p := range parts {
		if p = trimBlank(p); p != "" {
			out = append(out, p)
		}
	}
	slices.Sort(out)
	return strings.Join(slices.Compact(out), ";")
}
