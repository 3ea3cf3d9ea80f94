package hubspot_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/time/rate"

	"github.com/cardbridge/sansanhubspot/hubspot"
)

func TestNewClientOptions(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		token   string
		opts    []hubspot.Option
		wantErr bool
	}{
		{name: "defaults", token: "t"},
		{name: "empty token", token: " ", wantErr: true},
		{name: "token source without token", opts: []hubspot.Option{hubspot.WithTokenSource(hubspot.StaticToken("x"))}},
		{name: "nil token source", token: "t", opts: []hubspot.Option{hubspot.WithTokenSource(nil)}, wantErr: true},
		{name: "plain http refused", token: "t", opts: []hubspot.Option{hubspot.WithBaseURL("http://api.example.com/")}, wantErr: true},
		{name: "plain http loopback", token: "t", opts: []hubspot.Option{hubspot.WithBaseURL("http://127.0.0.1:8080")}},
		{name: "plain http allowed explicitly", token: "t", opts: []hubspot.Option{hubspot.WithBaseURL("http://fake:8080/"), hubspot.WithInsecureBaseURL()}},
		{name: "bad scheme", token: "t", opts: []hubspot.Option{hubspot.WithBaseURL("ftp://x/")}, wantErr: true},
		{name: "empty base", token: "t", opts: []hubspot.Option{hubspot.WithBaseURL("")}, wantErr: true},
		{name: "nil http client", token: "t", opts: []hubspot.Option{hubspot.WithHTTPClient(nil)}, wantErr: true},
		{name: "zero rate", token: "t", opts: []hubspot.Option{hubspot.WithRateLimit(0, 1)}, wantErr: true},
		{name: "zero burst", token: "t", opts: []hubspot.Option{hubspot.WithSearchRateLimit(5, 0)}, wantErr: true},
		{name: "unlimited", token: "t", opts: []hubspot.Option{hubspot.WithRateLimit(rate.Inf, 0)}},
		{name: "bad retry", token: "t", opts: []hubspot.Option{hubspot.WithRetry(hubspot.RetryPolicy{MaxAttempts: -1})}, wantErr: true},
		{name: "zero retry means defaults", token: "t", opts: []hubspot.Option{hubspot.WithRetry(hubspot.RetryPolicy{})}},
		{name: "empty user agent", token: "t", opts: []hubspot.Option{hubspot.WithUserAgent("")}, wantErr: true},
		{name: "multi-line user agent", token: "t", opts: []hubspot.Option{hubspot.WithUserAgent("a\r\nX-Evil: 1")}, wantErr: true},
		{name: "nil logger", token: "t", opts: []hubspot.Option{hubspot.WithLogger(nil)}, wantErr: true},
		{name: "nil sleep", token: "t", opts: []hubspot.Option{hubspot.WithSleep(nil)}, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, err := hubspot.NewClient(tt.token, tt.opts...)
			if (err != nil) != tt.wantErr {
				t.Fatalf("NewClient error = %v, wantErr %v", err, tt.wantErr)
			}
			if err == nil && (c.Contacts == nil || c.Properties == nil) {
				t.Error("services not set")
			}
			if err != nil && strings.Contains(err.Error(), "pat-") {
				t.Errorf("error leaks token: %v", err)
			}
		})
	}
}

func TestWithHTTPClientCopies(t *testing.T) {
	t.Parallel()
	hc := &http.Client{}
	if _, err := hubspot.NewClient("t", hubspot.WithHTTPClient(hc)); err != nil {
		t.Fatal(err)
	}
	if hc.Timeout != 0 || hc.Transport != nil {
		t.Errorf("caller's http.Client was mutated: %+v", hc)
	}
}

func TestAuthAndUserAgent(t *testing.T) {
	t.Parallel()
	h := newHarness(t, hubspot.WithUserAgent("my-app/1.0"))
	h.ok(200, `{"id":"1","properties":{}}`)
	if _, _, err := h.client.Contacts.Get(t.Context(), "1", nil); err != nil {
		t.Fatal(err)
	}
	got := h.only().Header
	if a := got.Get("Authorization"); a != "Bearer "+testToken {
		t.Errorf("Authorization = %q", a)
	}
	if ua := got.Get("User-Agent"); ua != "my-app/1.0" {
		t.Errorf("User-Agent = %q", ua)
	}
	if n := h.client.Requests(); n != 1 {
		t.Errorf("Requests() = %d, want 1", n)
	}
}

func TestTokenSourceAskedPerAttempt(t *testing.T) {
	t.Parallel()
	var n atomic.Int32
	ts := hubspot.TokenSourceFunc(func(context.Context) (string, error) {
		return "oauth-token-" + string(rune('a'+n.Add(1)-1)), nil
	})
	h := newHarness(t, hubspot.WithTokenSource(ts))
	h.queue(reply{status: 503, body: `{}`}, reply{status: 200, body: `{"id":"1","properties":{}}`})
	if _, _, err := h.client.Contacts.Get(t.Context(), "1", nil); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range h.requests() {
		got = append(got, r.Header.Get("Authorization"))
	}
	want := []string{"Bearer oauth-token-a", "Bearer oauth-token-b"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Authorization headers (-want +got):\n%s", diff)
	}
}

func TestTokenSourceError(t *testing.T) {
	t.Parallel()
	boom := errors.New("refresh failed")
	h := newHarness(t, hubspot.WithTokenSource(hubspot.TokenSourceFunc(func(context.Context) (string, error) { return "", boom })))
	_, _, err := h.client.Contacts.Get(t.Context(), "1", nil)
	if !errors.Is(err, boom) {
		t.Errorf("err = %v, want wrapping %v", err, boom)
	}
	if len(h.requests()) != 0 {
		t.Error("request sent without a token")
	}
}

func TestRateHeaders(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.queue(reply{status: 200, body: `{"id":"1","properties":{}}`, header: http.Header{
		"X-Hubspot-Ratelimit-Max":                     {"190"},
		"X-Hubspot-Ratelimit-Remaining":               {"187"},
		"X-Hubspot-Ratelimit-Interval-Milliseconds":   {"10000"},
		"X-Hubspot-Ratelimit-Daily":                   {"1000000"},
		"X-Hubspot-Ratelimit-Daily-Remaining":         {"999000"},
		"X-Hubspot-Correlation-Id":                    {"corr-1"},
		"X-Hubspot-Ratelimit-Secondly":                {"19"},
		"X-Hubspot-Ratelimit-Secondly-Remaining":      {"18"},
		"X-Hubspot-Ratelimit-Unrelated-Garbage-Value": {"x"},
	}})
	h.ok(200, `{"total":0,"results":[]}`) // search: no rate headers
	_, resp, err := h.client.Contacts.Get(t.Context(), "1", nil)
	if err != nil {
		t.Fatal(err)
	}
	want := hubspot.Rate{Max: 190, Remaining: 187, Interval: 10 * time.Second, Daily: 1000000, DailyRemaining: 999000}
	if diff := cmp.Diff(want, resp.Rate); diff != "" {
		t.Errorf("Rate (-want +got):\n%s", diff)
	}
	if resp.CorrelationID != "corr-1" {
		t.Errorf("CorrelationID = %q", resp.CorrelationID)
	}
	_, sresp, err := h.client.Contacts.Search(t.Context(), &hubspot.SearchRequest{Limit: 1})
	if err != nil {
		t.Fatal(err)
	}
	if sresp.Rate != (hubspot.Rate{}) {
		t.Errorf("search Rate = %+v, want zero", sresp.Rate)
	}
	if diff := cmp.Diff(want, h.client.Rate()); diff != "" {
		t.Errorf("Client.Rate keeps the last known headers (-want +got):\n%s", diff)
	}
}

func TestRetryPolicies(t *testing.T) {
	t.Parallel()
	const ok = `{"id":"1","properties":{}}`
	rl := func(policy string) string {
		return `{"status":"error","message":"You have reached your limit.","errorType":"RATE_LIMIT","correlationId":"c","policyName":"` + policy + `"}`
	}
	tests := []struct {
		name         string
		call         string // "get" or "create"
		replies      []reply
		wantAttempts int
		wantMinSleep time.Duration
		wantErr      []error
	}{
		{
			name:         "ten secondly waits out the window",
			replies:      []reply{{status: 429, body: rl("TEN_SECONDLY_ROLLING")}, {status: 200, body: ok}},
			wantAttempts: 2, wantMinSleep: 10 * time.Second,
		},
		{
			name: "ten secondly uses the interval header",
			replies: []reply{{status: 429, body: rl("TEN_SECONDLY_ROLLING"), header: http.Header{
				"X-Hubspot-Ratelimit-Interval-Milliseconds": {"20000"}}}, {status: 200, body: ok}},
			wantAttempts: 2, wantMinSleep: 20 * time.Second,
		},
		{
			name:         "secondly waits a second",
			replies:      []reply{{status: 429, body: `{"status":"error","message":"You have reached your secondly limit.","errorType":"RATE_LIMIT"}`}, {status: 200, body: ok}},
			wantAttempts: 2, wantMinSleep: time.Second,
		},
		{
			name:         "daily is not retried",
			replies:      []reply{{status: 429, body: rl("DAILY")}},
			wantAttempts: 1, wantErr: []error{hubspot.ErrDailyLimit, hubspot.ErrRateLimited},
		},
		{
			name:         "retry-after honoured",
			replies:      []reply{{status: 429, body: `{}`, header: http.Header{"Retry-After": {"7"}}}, {status: 200, body: ok}},
			wantAttempts: 2, wantMinSleep: 7 * time.Second,
		},
		{
			name:         "rate limits exhaust retries",
			replies:      []reply{{status: 429, body: rl("SECONDLY")}, {status: 429, body: rl("SECONDLY")}, {status: 429, body: rl("SECONDLY")}},
			wantAttempts: 3, wantMinSleep: time.Second, wantErr: []error{hubspot.ErrRateLimited},
		},
		{
			name:         "locked waits two seconds",
			replies:      []reply{{status: 423, body: `{}`}, {status: 200, body: ok}},
			wantAttempts: 2, wantMinSleep: 2 * time.Second,
		},
		{
			name:         "5xx retried for get",
			replies:      []reply{{status: 502, body: `bad gateway`}, {status: 500, body: `{}`}, {status: 200, body: ok}},
			wantAttempts: 3,
		},
		{
			name:         "network error retried for get",
			replies:      []reply{{err: errors.New("connection reset")}, {status: 200, body: ok}},
			wantAttempts: 2,
		},
		{
			name:         "5xx not retried for create",
			call:         "create",
			replies:      []reply{{status: 500, body: `{}`}},
			wantAttempts: 1, wantErr: []error{hubspot.ErrServer},
		},
		{
			name:         "4xx not retried",
			replies:      []reply{{status: 400, body: `{"category":"VALIDATION_ERROR","message":"bad"}`}},
			wantAttempts: 1, wantErr: []error{hubspot.ErrBadRequest, hubspot.ErrValidation},
		},
		{
			name:         "401 not retried",
			replies:      []reply{{status: 401, body: `{"category":"EXPIRED_AUTHENTICATION","message":"The OAuth token used to make this call expired 7 second(s) ago."}`}},
			wantAttempts: 1, wantErr: []error{hubspot.ErrUnauthorized},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, hubspot.WithRetry(hubspot.RetryPolicy{MaxAttempts: 3, Initial: time.Millisecond, Max: time.Millisecond}))
			h.queue(tt.replies...)
			var err error
			if tt.call == "create" {
				_, _, err = h.client.Contacts.Create(t.Context(), hubspot.PropertyValues{"email": "a@b.co"})
			} else {
				_, _, err = h.client.Contacts.Get(t.Context(), "1", nil)
			}
			if len(tt.wantErr) == 0 && err != nil {
				t.Fatalf("unexpected error: %v", err)
			}
			for _, want := range tt.wantErr {
				if !errors.Is(err, want) {
					t.Errorf("err = %v, want errors.Is %v", err, want)
				}
			}
			if got := len(h.requests()); got != tt.wantAttempts {
				t.Errorf("attempts = %d, want %d", got, tt.wantAttempts)
			}
			if got := h.client.Requests(); got != int64(tt.wantAttempts) {
				t.Errorf("Requests() = %d, want %d", got, tt.wantAttempts)
			}
			sleeps := h.slept()
			if len(sleeps) != tt.wantAttempts-1 {
				t.Errorf("sleeps = %v, want %d", sleeps, tt.wantAttempts-1)
			}
			for _, d := range sleeps {
				if d < tt.wantMinSleep {
					t.Errorf("slept %v, want at least %v", d, tt.wantMinSleep)
				}
			}
		})
	}
}

func TestDailyLimitIsNotRateLimitOnly(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.ok(429, `{"status":"error","message":"You have reached your ten_secondly_rolling limit.","policyName":"TEN_SECONDLY_ROLLING"}`)
	h.ok(429, `{"status":"error","message":"You have reached your ten_secondly_rolling limit.","policyName":"TEN_SECONDLY_ROLLING"}`)
	h.ok(429, `{"status":"error","message":"You have reached your ten_secondly_rolling limit.","policyName":"TEN_SECONDLY_ROLLING"}`)
	h.ok(429, `{"status":"error","message":"You have reached your ten_secondly_rolling limit.","policyName":"TEN_SECONDLY_ROLLING"}`)
	_, _, err := h.client.Contacts.Get(t.Context(), "1", nil)
	if !errors.Is(err, hubspot.ErrRateLimited) || errors.Is(err, hubspot.ErrDailyLimit) {
		t.Errorf("err = %v, want rate limited but not daily", err)
	}
	if n := len(h.requests()); n != hubspot.DefaultRetryPolicy.MaxAttempts {
		t.Errorf("attempts = %d, want %d", n, hubspot.DefaultRetryPolicy.MaxAttempts)
	}
}

func TestTokenNeverLeaks(t *testing.T) {
	t.Parallel()
	var logs bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	h := newHarness(t, hubspot.WithLogger(logger), hubspot.WithRetry(hubspot.RetryPolicy{MaxAttempts: 2}))
	h.queue(
		// A server that echoes the token in its error body.
		reply{status: 401, body: `{"status":"error","message":"token ` + testToken + ` is invalid","category":"INVALID_AUTHENTICATION"}`},
		reply{err: errors.New("dial tcp: connection refused")},
		reply{err: errors.New("dial tcp: connection refused")},
		reply{status: 429, body: `{"status":"error","message":"You have reached your daily limit.","policyName":"DAILY"}`},
		reply{status: 409, body: `{"status":"error","message":"Contact already exists. Existing ID: 5","category":"CONFLICT"}`},
		reply{status: 500, body: `<html>` + testToken + `</html>`},
		reply{status: 500, body: `<html>` + testToken + `</html>`},
	)
	var errs []error
	_, _, err := h.client.Contacts.Get(t.Context(), "1", nil)
	errs = append(errs, err)
	_, _, err = h.client.Contacts.GetByEmail(t.Context(), "x@y.z", nil)
	errs = append(errs, err)
	_, _, err = h.client.Contacts.List(t.Context(), nil)
	errs = append(errs, err)
	_, _, err = h.client.Contacts.Create(t.Context(), hubspot.PropertyValues{"email": "x@y.z"})
	errs = append(errs, err)
	_, err = h.client.Contacts.BatchArchive(t.Context(), []string{"1"})
	errs = append(errs, err)
	for i, err := range errs {
		if err == nil {
			t.Errorf("call %d: no error", i)
			continue
		}
		if s := err.Error(); strings.Contains(s, testToken) {
			t.Errorf("call %d: error string leaks token: %s", i, s)
		}
		var er *hubspot.ErrorResponse
		if errors.As(err, &er) && bytes.Contains(er.Body, []byte(testToken)) {
			t.Errorf("call %d: error body leaks token", i)
		}
	}
	if strings.Contains(logs.String(), testToken) {
		t.Errorf("logs leak token:\n%s", logs.String())
	}
	if !strings.Contains(logs.String(), "retrying") {
		t.Errorf("expected retry log lines, got:\n%s", logs.String())
	}
}

func TestContextCancelled(t *testing.T) {
	t.Parallel()
	h := newHarness(t, hubspot.WithRateLimit(1, 1))
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	_, _, err := h.client.Contacts.Get(ctx, "1", nil)
	if !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want context.Canceled", err)
	}
	if n := len(h.requests()); n != 0 {
		t.Errorf("sent %d requests after cancellation", n)
	}
}

func TestSearchHasItsOwnLimiter(t *testing.T) {
	t.Parallel()
	// One request per hour on each limiter: a second call on the same
	// limiter fails at once because its wait exceeds the context deadline.
	tests := []struct {
		name    string
		counted bool
		// wantFirstSearch: whether the first search, made after a get,
		// gets through (it does only when search skips the general limit).
		wantFirstSearch bool
	}{
		{name: "search counts against the general limit (default)", counted: true},
		{name: "search not counted", counted: false, wantFirstSearch: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			opts := []hubspot.Option{hubspot.WithRateLimit(rate.Every(time.Hour), 1), hubspot.WithSearchRateLimit(rate.Every(time.Hour), 1)}
			if !tt.counted {
				opts = append(opts, hubspot.WithSearchCountsGeneral(false))
			}
			h := newHarness(t, opts...)
			h.ok(200, `{"id":"1","properties":{}}`)
			h.ok(200, `{"total":0,"results":[]}`)
			ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
			defer cancel()
			if _, _, err := h.client.Contacts.Get(ctx, "1", nil); err != nil {
				t.Fatal(err)
			}
			_, _, err := h.client.Contacts.Search(ctx, nil)
			if (err == nil) != tt.wantFirstSearch {
				t.Fatalf("first search error = %v, want success %v", err, tt.wantFirstSearch)
			}
			if !tt.wantFirstSearch {
				return
			}
			if _, _, err := h.client.Contacts.Search(ctx, nil); err == nil {
				t.Fatal("second search was not limited")
			}
			if _, _, err := h.client.Contacts.Get(ctx, "1", nil); err == nil {
				t.Fatal("second get was not limited")
			}
			if n := len(h.requests()); n != 2 {
				t.Errorf("requests = %d, want 2", n)
			}
		})
	}
}

func TestRateLimitAccessor(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		opts []hubspot.Option
		want rate.Limit
	}{
		{"default", nil, hubspot.DefaultRateLimit},
		{"190 per 10 s", []hubspot.Option{hubspot.WithRateLimit(18.5, 5)}, 18.5},
		{"disabled", []hubspot.Option{hubspot.WithRateLimit(rate.Inf, 0)}, rate.Inf},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c, err := hubspot.NewClient("pat-token", tc.opts...)
			if err != nil {
				t.Fatal(err)
			}
			if got := c.RateLimit(); got != tc.want {
				t.Errorf("RateLimit() = %v, want %v", got, tc.want)
			}
			if got := c.SearchRateLimit(); got != hubspot.DefaultSearchRateLimit {
				t.Errorf("SearchRateLimit() = %v, want the default %v", got, hubspot.DefaultSearchRateLimit)
			}
		})
	}
}
