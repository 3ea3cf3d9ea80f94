package hubspot_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/cardbridge/sansanhubspot/hubspot"
	"golang.org/x/time/rate"
)

// FuzzParseExistingID: any message yields a digits-only id or none.
func FuzzParseExistingID(f *testing.F) {
	for _, s := range []string{"Contact already exists. Existing ID: 37765128953", "Existing ID: ", "Existing ID: abc", "Existing ID: 1 Existing ID: 2", "existing id: 5", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, msg string) {
		id, ok := hubspot.ParseExistingID(msg)
		if ok != (id != "") {
			t.Fatalf("parseExistingID(%q) = %q, %v", msg, id, ok)
		}
		for _, r := range id {
			if r < '0' || r > '9' {
				t.Fatalf("parseExistingID(%q) = %q, not digits", msg, id)
			}
		}
	})
}

// FuzzParseDateTime: dates and datetimes parse to UTC or fail, never
// panic, and formatting a parsed datetime parses back to the same instant.
func FuzzParseDateTime(f *testing.F) {
	for _, s := range []string{"2020-02-29T03:30:17.000Z", "1579514400000", "2024-01-02", "-1", "99999999999999999999", "2024-13-45T99:99:99Z", "0"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		tm, err := hubspot.ParseDateTime(s)
		if err != nil {
			return
		}
		if tm.Location() != time.UTC {
			t.Fatalf("ParseDateTime(%q) not UTC", s)
		}
		if tm.Year() < 0 || tm.Year() > 9999 {
			return // not representable in RFC 3339
		}
		back, err := hubspot.ParseDateTime(hubspot.FormatDateTimeMillis(tm))
		if err != nil || !back.Equal(tm.Truncate(time.Millisecond)) {
			t.Fatalf("round trip of %q: %v, %v", s, back, err)
		}
	})
}

// FuzzVerifyWebhook: arbitrary headers and bodies never verify unless
// signed with the secret, and never panic.
func FuzzVerifyWebhook(f *testing.F) {
	f.Add("POST", "https://example.com/hook", []byte(`[{"objectId":1}]`), "1715203101896", "sig")
	f.Add("", "", []byte{}, "", "")
	f.Add("POST", "https://example.com/hook?a=%3A", []byte("\xff"), "-1", "====")
	f.Fuzz(func(t *testing.T, method, uri string, body []byte, stamp, sig string) {
		now := time.UnixMilli(1715203101896)
		verify := func(sig string) error {
			r := &http.Request{Method: method, URL: &url.URL{}, Header: http.Header{}}
			r.Header.Set(hubspot.HeaderRequestTimestamp, stamp)
			r.Header.Set(hubspot.HeaderSignatureV3, sig)
			return hubspot.VerifyWebhook(r, body, hubspot.WebhookVerifyOptions{
				ClientSecret: "secret",
				Now:          func() time.Time { return now },
				URL:          func(*http.Request) string { return uri },
			})
		}
		err := verify(sig)
		if err == nil && sig != hubspot.SignatureV3("secret", method, uri, body, stamp) {
			t.Fatalf("accepted a signature not made with the secret")
		}
		good := hubspot.SignatureV3("secret", method, uri, body, stamp)
		if ms, perr := strconv.ParseInt(stamp, 10, 64); perr == nil && ms == now.UnixMilli() {
			if err := verify(good); err != nil {
				t.Fatalf("rejected a good signature: %v", err)
			}
		}
	})
}

// fuzzTransport answers every request with the fuzzed status and body.
type fuzzTransport struct {
	status int
	body   []byte
}

func (f fuzzTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Body != nil {
		_, _ = io.Copy(io.Discard, r.Body)
		r.Body.Close()
	}
	return &http.Response{StatusCode: f.status, Header: http.Header{"Content-Type": {"application/json"}},
		Body: io.NopCloser(bytes.NewReader(f.body)), Request: r, ContentLength: int64(len(f.body))}, nil
}

// FuzzResponseDecoding answers a read, a search and a batch upsert with
// any status and body: no panic, an error or a well-formed result, one
// outcome per batch input, and errors that stay short.
func FuzzResponseDecoding(f *testing.F) {
	f.Add(200, []byte(`{"id":"1","properties":{"email":null}}`))
	f.Add(207, []byte(`{"status":"COMPLETE","results":[{"id":"1","properties":{"email":"a@example.jp"}}],"errors":[{"message":"x","context":{"objectWriteTraceId":["t"]}}]}`))
	f.Add(400, []byte(`{"status":"error","message":"Property values were not valid: [{\"isValid\":false,\"error\":\"INVALID_EMAIL\",\"name\":\"email\"}]","category":"VALIDATION_ERROR"}`))
	f.Add(409, []byte(`{"message":"Contact already exists. Existing ID: 12"}`))
	f.Add(429, []byte(`{"policyName":"DAILY"}`))
	f.Add(200, []byte(`<html>`))
	f.Add(200, []byte{})
	f.Fuzz(func(t *testing.T, status int, body []byte) {
		if status < 100 || status > 599 || status == 301 || status == 302 || status == 303 || status == 307 || status == 308 {
			return
		}
		c, err := hubspot.NewClient("fuzz-token-123456", hubspot.WithHTTPClient(&http.Client{Transport: fuzzTransport{status, body}}),
			hubspot.WithRateLimit(rate.Inf, 0), hubspot.WithSearchRateLimit(rate.Inf, 0),
			hubspot.WithRetry(hubspot.RetryPolicy{MaxAttempts: 1}),
			hubspot.WithSleep(func(ctx context.Context, _ time.Duration) error { return ctx.Err() }))
		if err != nil {
			t.Fatal(err)
		}
		ctx := context.Background()
		check := func(err error) {
			if err != nil && (len(err.Error()) > 4096 || !utf8.ValidString(err.Error()) && utf8.Valid(body)) {
				t.Fatalf("error too long or not UTF-8: %d bytes", len(err.Error()))
			}
		}
		_, _, err = c.Contacts.Get(ctx, "1", nil)
		check(err)
		_, _, err = c.Contacts.Search(ctx, &hubspot.SearchRequest{Query: "x"})
		check(err)
		in := []hubspot.BatchUpsertInput{{ID: "a@example.jp", Properties: hubspot.PropertyValues{"x": "1"}}, {ID: "b@example.jp"}}
		res, _, err := c.Contacts.BatchUpsert(ctx, in)
		check(err)
		if err == nil {
			if len(res.Outcomes) != len(in) {
				t.Fatalf("%d outcomes for %d inputs", len(res.Outcomes), len(in))
			}
			for _, o := range res.Outcomes {
				if o == nil || (o.Err == nil) == (o.Contact == nil) {
					t.Fatalf("outcome without exactly one of contact and error: %+v", o)
				}
			}
		}
	})
}
