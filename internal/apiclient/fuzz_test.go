package apiclient_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/cardbridge/sansanhubspot/internal/apiclient"
)

// FuzzDecodeJSON checks that DecodeJSON never panics and always reports one
// of its documented outcomes: success for valid JSON into any, ErrEmptyBody
// for blank input, otherwise a *DecodeError with a short valid UTF-8 prefix.
func FuzzDecodeJSON(f *testing.F) {
	files, err := filepath.Glob("testdata/*")
	if err != nil {
		f.Fatal(err)
	}
	for _, name := range files {
		if data, err := os.ReadFile(name); err == nil {
			f.Add(data)
		}
	}
	for _, s := range []string{"", " \n", "null", "{", `{"a":null}`, "[1,2,3]", `"\ud800"`, "\xff\xfe", "<html>", `{"name":1}`, "1e999", strings.Repeat("[", 10000)} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var anyOut any
		err := apiclient.DecodeJSON(data, &anyOut)
		blank := len(bytes.TrimSpace(data)) == 0
		switch {
		case blank:
			if !errors.Is(err, apiclient.ErrEmptyBody) {
				t.Fatalf("DecodeJSON(%q) = %v, want ErrEmptyBody", data, err)
			}
		case json.Valid(data):
			// Valid JSON decodes into any, except numbers beyond float64.
			var terr *json.UnmarshalTypeError
			if err != nil && !errors.As(err, &terr) {
				t.Fatalf("DecodeJSON(%q) into any = %v, want success for valid JSON", data, err)
			}
		default:
			checkDecodeError(t, data, err)
		}

		var structOut note
		err = apiclient.DecodeJSON(data, &structOut)
		switch {
		case blank:
			if !errors.Is(err, apiclient.ErrEmptyBody) {
				t.Fatalf("DecodeJSON(%q) into struct = %v, want ErrEmptyBody", data, err)
			}
		case err != nil:
			checkDecodeError(t, data, err)
		}
	})
}

func checkDecodeError(t *testing.T, data []byte, err error) {
	t.Helper()
	var derr *apiclient.DecodeError
	if !errors.As(err, &derr) {
		t.Fatalf("DecodeJSON(%q) = %v, want *DecodeError", data, err)
	}
	if derr.Err == nil || errors.Unwrap(err) != derr.Err {
		t.Fatalf("DecodeError does not unwrap to its cause: %#v", derr)
	}
	if len(derr.Prefix) > 120 || !utf8.ValidString(derr.Prefix) {
		t.Fatalf("Prefix %q is longer than 120 bytes or not valid UTF-8", derr.Prefix)
	}
	if !strings.HasPrefix(err.Error(), "decode response: ") {
		t.Fatalf("Error() = %q", err)
	}
}

// FuzzRetryAfter checks that RetryAfter never panics or returns a negative
// delay, and that it agrees with a direct reading of the header.
func FuzzRetryAfter(f *testing.F) {
	now := time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)
	for _, s := range []string{"", "0", "120", "-1", "+3", "1.5", " 5", "9223372037", "99999999999999999999",
		"Sat, 28 Nov 2026 12:00:30 GMT", "Saturday, 28-Nov-26 12:01:00 GMT", "Sat Nov 28 12:00:10 2026",
		"Fri, 31 Dec 9999 23:59:59 GMT", "Mon, 01 Jan 0001 00:00:00 GMT", "garbage"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		h := http.Header{"Retry-After": {v}}
		got := apiclient.RetryAfter(h, now)
		if got < 0 {
			t.Fatalf("RetryAfter(%q) = %v, want >= 0", v, got)
		}
		want := time.Duration(0)
		if secs, err := strconv.ParseInt(v, 10, 64); err == nil || errors.Is(err, strconv.ErrRange) {
			switch {
			case secs <= 0:
			case secs > math.MaxInt64/int64(time.Second):
				want = math.MaxInt64
			default:
				want = time.Duration(secs) * time.Second
			}
		} else if ts, err := http.ParseTime(v); err == nil && ts.After(now) {
			want = ts.Sub(now)
		}
		if got != want {
			t.Fatalf("RetryAfter(%q) = %v, want %v", v, got, want)
		}
	})
}
