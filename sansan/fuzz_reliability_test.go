package sansan_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/cardbridge/sansanhubspot/sansan"
	"golang.org/x/time/rate"
)

// FuzzParseDate: dates parse or fail, never panic, and a parsed date
// formats back to a date that parses to itself.
func FuzzParseDate(f *testing.F) {
	for _, s := range []string{"2024-01-02", "2024-01-02T10:00:00+09:00", "0000-00-00", "2024-02-30", "", "２０２４-01-02", "9999-12-31T99:99"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := sansan.ParseDate(s)
		if err != nil {
			return
		}
		back, err := sansan.ParseDate(d.String())
		if err != nil || back != d {
			t.Fatalf("ParseDate(%q) = %v; round trip %v, %v", s, d, back, err)
		}
	})
}

type fuzzTransport struct {
	status int
	body   []byte
}

func (f fuzzTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	return &http.Response{StatusCode: f.status, Header: http.Header{"Content-Type": {"application/json"}},
		Body: io.NopCloser(bytes.NewReader(f.body)), Request: r, ContentLength: int64(len(f.body))}, nil
}

// FuzzResponseDecoding answers a card listing, a card read and /me with any
// status and body: an error or a result, never a panic, and short errors.
func FuzzResponseDecoding(f *testing.F) {
	f.Add(200, []byte(`{"data":[{"id":"C1","email":null,"exchangeDate":"2024-01-02","updatedTime":"2024-01-02T10:00:00+09:00"}],"hasMore":true,"nextPageToken":"x"}`))
	f.Add(200, []byte(`{"item":{"id":"C1","tags":[{"id":"t","type":"public"}]}}`))
	f.Add(400, []byte(`{"statusCode":400,"message":"bad","error":[{"code":"InvalidParameter"}]}`))
	f.Add(502, []byte(`<html>502</html>`))
	f.Add(200, []byte{})
	f.Add(200, []byte(`{"data":null}`))
	f.Fuzz(func(t *testing.T, status int, body []byte) {
		if status < 100 || status > 599 || (status >= 300 && status < 400) {
			return
		}
		c, err := sansan.NewClient(strings.Repeat("k", 32), sansan.WithHTTPClient(&http.Client{Transport: fuzzTransport{status, body}}),
			sansan.WithRateLimit(rate.Inf, 0), sansan.WithRetry(sansan.RetryPolicy{MaxAttempts: 1}),
			sansan.WithSleep(func(ctx context.Context, _ time.Duration) error { return ctx.Err() }))
		if err != nil {
			t.Fatal(err)
		}
		ctx := context.Background()
		check := func(err error) {
			if err != nil && len(err.Error()) > 4096 {
				t.Fatalf("error of %d bytes", len(err.Error()))
			}
		}
		cards, resp, err := c.BizCards.List(ctx, &sansan.ListBizCardsOptions{UpdatedFrom: time.Unix(0, 0), UpdatedTo: time.Unix(1, 0)})
		check(err)
		if err == nil && resp != nil && resp.HasMore && resp.NextPageToken == "" {
			t.Logf("hasMore without a token (callers must stop): %d cards", len(cards))
		}
		_, _, err = c.BizCards.Get(ctx, "C1")
		check(err)
		_, _, err = c.Users.Me(ctx)
		check(err)
	})
}
