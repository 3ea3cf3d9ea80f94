package sansan

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/jarcoal/httpmock"
	"golang.org/x/time/rate"
)

func TestNewClientValidation(t *testing.T) {
	t.Parallel()
	mt := httpmock.NewMockTransport()
	tests := []struct {
		name    string
		key     string
		opts    []Option
		wantErr string // "" = success
	}{
		{name: "defaults", key: testKey},
		{name: "nil option ignored", key: testKey, opts: []Option{nil}},
		{name: "empty key", key: "", wantErr: "invalid api key: empty"},
		{name: "key with newline", key: testKey + "\n", wantErr: "white space"},
		{name: "key with space inside", key: "abc def", wantErr: "letters and digits"},
		{name: "key with symbols", key: "abc-def_ghi", wantErr: "letters and digits"},
		{name: "key not ascii", key: "ＡＢＣ", wantErr: "letters and digits"},
		{name: "key too long", key: strings.Repeat("a", 257), wantErr: "too long"},
		{name: "base url https", key: testKey, opts: []Option{WithBaseURL("https://api.sansan.com/v3.1")}},
		{name: "base url bad scheme", key: testKey, opts: []Option{WithBaseURL("ftp://api.sansan.com/v3.2/")}, wantErr: "scheme"},
		{name: "base url not absolute", key: testKey, opts: []Option{WithBaseURL("/v3.2/")}, wantErr: "scheme"},
		{name: "base url with query", key: testKey, opts: []Option{WithBaseURL("https://api.sansan.com/v3.2/?x=1")}, wantErr: "query"},
		{name: "plain http refused", key: testKey, opts: []Option{WithBaseURL("http://api.sansan.com/v3.2/")}, wantErr: "plain-http"},
		{name: "plain http loopback", key: testKey, opts: []Option{WithBaseURL("http://127.0.0.1:8080/v3.2/")}},
		{name: "plain http localhost", key: testKey, opts: []Option{WithBaseURL("http://localhost/v3.2/")}},
		{name: "plain http allowed", key: testKey, opts: []Option{WithInsecureBaseURL(), WithBaseURL("http://sansan.internal/v3.2/")}},
		{name: "plain http allowed by the deprecated alias", key: testKey, opts: []Option{WithInsecureHTTP(), WithBaseURL("http://sansan.internal/v3.2/")}},
		{name: "nil http client", key: testKey, opts: []Option{WithHTTPClient(nil)}, wantErr: "http client"},
		{name: "http client", key: testKey, opts: []Option{WithHTTPClient(&http.Client{Transport: mt})}},
		{name: "zero timeout", key: testKey, opts: []Option{WithTimeout(0)}, wantErr: "timeout"},
		{name: "zero rate", key: testKey, opts: []Option{WithRateLimit(0, 1)}, wantErr: "rate limit"},
		{name: "zero burst", key: testKey, opts: []Option{WithRateLimit(2, 0)}, wantErr: "burst"},
		{name: "no limit", key: testKey, opts: []Option{WithRateLimit(rate.Inf, 0)}},
		{name: "app id", key: testKey, opts: []Option{WithAppID("App01")}},
		{name: "empty app id", key: testKey, opts: []Option{WithAppID("")}, wantErr: "app id"},
		{name: "app id with newline", key: testKey, opts: []Option{WithAppID("a\nb")}, wantErr: "app id"},
		{name: "retry", key: testKey, opts: []Option{WithRetry(RetryPolicy{MaxAttempts: 1})}},
		{name: "retry negative attempts", key: testKey, opts: []Option{WithRetry(RetryPolicy{MaxAttempts: -1})}, wantErr: "max attempts"},
		{name: "retry negative wait", key: testKey, opts: []Option{WithRetry(RetryPolicy{RateLimitWait: -time.Second})}, wantErr: "negative"},
		{name: "retry multiplier", key: testKey, opts: []Option{WithRetry(RetryPolicy{Multiplier: 0.5})}, wantErr: "multiplier"},
		{name: "retry initial over max", key: testKey, opts: []Option{WithRetry(RetryPolicy{Initial: time.Hour})}, wantErr: "exceeds"},
		{name: "nil logger", key: testKey, opts: []Option{WithLogger(nil)}, wantErr: "logger"},
		{name: "empty user agent", key: testKey, opts: []Option{WithUserAgent("")}, wantErr: "user agent"},
		{name: "user agent header injection", key: testKey, opts: []Option{WithUserAgent("x\r\nX-Evil: 1")}, wantErr: "user agent"},
		{name: "nil sleep", key: testKey, opts: []Option{WithSleep(nil)}, wantErr: "sleep"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, err := NewClient(tt.key, tt.opts...)
			if tt.wantErr == "" {
				if err != nil || c == nil {
					t.Fatalf("NewClient = %v, %v; want a client", c, err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("NewClient error = %v, want one containing %q", err, tt.wantErr)
			}
			if tt.key != "" && strings.Contains(err.Error(), strings.TrimSpace(tt.key)) {
				t.Errorf("error %q reveals the key", err)
			}
		})
	}
}

func TestBaseURL(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		opts []Option
		want string
	}{
		{name: "default", want: DefaultBaseURL},
		{name: "pinned version gets a slash", opts: []Option{WithBaseURL("https://api.sansan.com/v3.1")}, want: "https://api.sansan.com/v3.1/"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, err := NewClient(testKey, tt.opts...)
			if err != nil {
				t.Fatal(err)
			}
			if got := c.BaseURL().String(); got != tt.want {
				t.Errorf("BaseURL = %q, want %q", got, tt.want)
			}
			c.BaseURL().Path = "/mutated/"
			if got := c.BaseURL().String(); got != tt.want {
				t.Errorf("BaseURL changed through its copy: %q", got)
			}
		})
	}
}

// TestHTTPClientNotMutated checks that the caller's client is copied.
func TestHTTPClientNotMutated(t *testing.T) {
	t.Parallel()
	mt := httpmock.NewMockTransport()
	mt.RegisterResponder("GET", testBase+"me", httpmock.NewStringResponder(200, `{"item":{"id":"ito"}}`))
	hc := &http.Client{Transport: mt, Timeout: 7 * time.Second}
	c, err := NewClient(testKey, WithHTTPClient(hc), WithBaseURL(testBase), WithTimeout(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := c.Users.Me(t.Context()); err != nil {
		t.Fatal(err)
	}
	if hc.Timeout != 7*time.Second || hc.CheckRedirect != nil || hc.Transport != mt {
		t.Errorf("caller's http.Client was modified: %+v", hc)
	}
}

// TestRedirectToOtherHost checks that the key does not follow a redirect to
// another host.
func TestRedirectToOtherHost(t *testing.T) {
	t.Parallel()
	c, mt, _ := setup(t)
	mt.RegisterResponder("GET", testBase+"me", func(*http.Request) (*http.Response, error) {
		r := httpmock.NewStringResponse(http.StatusFound, "")
		r.Header.Set("Location", "https://evil.example.net/collect")
		return r, nil
	})
	mt.RegisterResponder("GET", "https://evil.example.net/collect", func(req *http.Request) (*http.Response, error) {
		t.Errorf("redirect followed; key header = %q", req.Header.Get(HeaderAPIKey))
		return httpmock.NewStringResponse(200, `{}`), nil
	})
	_, resp, err := c.Users.Me(t.Context())
	var er *ErrorResponse
	if !errors.As(err, &er) || er.StatusCode != http.StatusFound {
		t.Fatalf("err = %v, want the 302 returned as an *ErrorResponse", err)
	}
	if resp == nil || resp.StatusCode != http.StatusFound {
		t.Errorf("resp = %v, want the unfollowed 302", resp)
	}
}

// TestRedirectSameHost checks that redirects within the API host work.
func TestRedirectSameHost(t *testing.T) {
	t.Parallel()
	c, mt, _ := setup(t)
	mt.RegisterResponder("GET", testBase+"me", func(*http.Request) (*http.Response, error) {
		r := httpmock.NewStringResponse(http.StatusTemporaryRedirect, "")
		r.Header.Set("Location", testBase+"me2")
		return r, nil
	})
	mt.RegisterResponder("GET", testBase+"me2", reply(t, "", 200, fixture(t, "me.json")))
	me, _, err := c.Users.Me(t.Context())
	if err != nil || me.ID != "ito" {
		t.Fatalf("Me = %+v, %v", me, err)
	}
}

func TestRetries(t *testing.T) {
	t.Parallel()
	ok := fixture(t, "me.json")
	netErr := errors.New("connection reset by peer")
	tests := []struct {
		name      string
		method    string
		responses []httpmock.Responder
		policy    RetryPolicy
		wantCalls int
		wantErr   error  // nil = success
		wantMsg   string // substring of the error
		minWaits  []time.Duration
	}{
		{
			name:   "429 then 200",
			method: "GET", responses: []httpmock.Responder{httpmock.NewStringResponder(429, `{"statusCode":429,"message":"Too Many Requests"}`), httpmock.NewBytesResponder(200, ok)},
			wantCalls: 2, minWaits: []time.Duration{30 * time.Second},
		},
		{
			name:   "429 waits at least the configured time",
			method: "GET", responses: []httpmock.Responder{httpmock.NewStringResponder(429, ``), httpmock.NewStringResponder(429, ``), httpmock.NewBytesResponder(200, ok)},
			policy:    RetryPolicy{RateLimitWait: 2 * time.Minute, Max: 5 * time.Minute},
			wantCalls: 3, minWaits: []time.Duration{2 * time.Minute, 2 * time.Minute},
		},
		{
			name:   "429 honours a Retry-After header",
			method: "GET", responses: []httpmock.Responder{
				httpmock.NewStringResponder(429, ``).HeaderSet(http.Header{"Retry-After": {"90"}}),
				httpmock.NewBytesResponder(200, ok),
			},
			wantCalls: 2, minWaits: []time.Duration{90 * time.Second},
		},
		{
			name:   "429 until attempts run out",
			method: "GET", responses: []httpmock.Responder{httpmock.NewStringResponder(429, `{"message":"slow down"}`)},
			wantCalls: 4, wantErr: ErrRateLimited, wantMsg: "429 Too Many Requests: slow down",
			minWaits: []time.Duration{30 * time.Second, time.Minute, 2 * time.Minute},
		},
		{
			name:   "429 with retry_after in the body waits at least that long",
			method: "GET", responses: []httpmock.Responder{httpmock.NewStringResponder(429, `{"message":"slow down","retry_after":90}`), httpmock.NewBytesResponder(200, ok)},
			wantCalls: 2, minWaits: []time.Duration{90 * time.Second},
		},
		{
			name:   "500 then 200",
			method: "GET", responses: []httpmock.Responder{httpmock.NewStringResponder(500, `oops`), httpmock.NewBytesResponder(200, ok)},
			wantCalls: 2, minWaits: []time.Duration{0},
		},
		{
			name:   "503 twice then 200",
			method: "GET", responses: []httpmock.Responder{httpmock.NewStringResponder(503, ``), httpmock.NewStringResponder(502, ``), httpmock.NewBytesResponder(200, ok)},
			wantCalls: 3, minWaits: []time.Duration{0, 0},
		},
		{
			name:   "network error then 200",
			method: "GET", responses: []httpmock.Responder{httpmock.NewErrorResponder(netErr), httpmock.NewBytesResponder(200, ok)},
			wantCalls: 2, minWaits: []time.Duration{0},
		},
		{
			name:   "network error until attempts run out",
			method: "GET", responses: []httpmock.Responder{httpmock.NewErrorResponder(netErr)},
			wantCalls: 4, wantErr: netErr, minWaits: []time.Duration{0, 0, 0},
		},
		{
			name:   "retries disabled",
			method: "GET", responses: []httpmock.Responder{httpmock.NewStringResponder(500, ``)},
			policy:    RetryPolicy{MaxAttempts: 1},
			wantCalls: 1, wantMsg: "500 Internal Server Error",
		},
		{
			name:   "400 is final",
			method: "GET", responses: []httpmock.Responder{httpmock.NewBytesResponder(400, fixture(t, "error_400.json"))},
			wantCalls: 1, wantErr: ErrBadRequest,
		},
		{
			name:   "401 is final",
			method: "GET", responses: []httpmock.Responder{httpmock.NewBytesResponder(401, fixture(t, "error_401.json"))},
			wantCalls: 1, wantErr: ErrUnauthorized,
		},
		{
			name:   "404 is final",
			method: "GET", responses: []httpmock.Responder{httpmock.NewStringResponder(404, `{"statusCode":404,"message":"Not Found"}`)},
			wantCalls: 1, wantErr: ErrNotFound,
		},
		{
			name:   "POST 500 is not retried",
			method: "POST", responses: []httpmock.Responder{httpmock.NewStringResponder(500, ``), httpmock.NewBytesResponder(200, ok)},
			wantCalls: 1, wantMsg: "500",
		},
		{
			name:   "POST network error is not retried",
			method: "POST", responses: []httpmock.Responder{httpmock.NewErrorResponder(netErr), httpmock.NewBytesResponder(200, ok)},
			wantCalls: 1, wantErr: netErr,
		},
		{
			name:   "POST 429 is retried",
			method: "POST", responses: []httpmock.Responder{httpmock.NewStringResponder(429, ``), httpmock.NewBytesResponder(200, fixture(t, "register_response.json"))},
			wantCalls: 2, minWaits: []time.Duration{30 * time.Second},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var opts []Option
			if tt.policy != (RetryPolicy{}) {
				opts = append(opts, WithRetry(tt.policy))
			}
			c, mt, sl := setup(t, opts...)
			// Each response but the last is used once, in order.
			r := tt.responses[0]
			for _, next := range tt.responses[1:] {
				r = r.Then(next)
			}
			var err error
			var key string
			if tt.method == "POST" {
				key = "POST " + testBase + "bizCards"
				mt.RegisterResponder("POST", testBase+"bizCards", r)
				_, _, err = c.BizCards.Register(t.Context(), &RegisterBizCardRequest{CompanyName: Ptr("株式会社 ITO")})
			} else {
				key = "GET " + testBase + "me"
				mt.RegisterResponder("GET", testBase+"me", r)
				_, _, err = c.Users.Me(t.Context())
			}
			if n := calls(mt, key); n != tt.wantCalls {
				t.Errorf("%d attempts, want %d", n, tt.wantCalls)
			}
			if n := c.Requests(); n != int64(tt.wantCalls) {
				t.Errorf("Requests() = %d, want %d", n, tt.wantCalls)
			}
			switch {
			case tt.wantErr == nil && tt.wantMsg == "":
				if err != nil {
					t.Errorf("err = %v, want success", err)
				}
			case err == nil:
				t.Errorf("err = nil, want %v %q", tt.wantErr, tt.wantMsg)
			case tt.wantErr != nil && !errors.Is(err, tt.wantErr):
				t.Errorf("err = %v, want errors.Is %v", err, tt.wantErr)
			case !strings.Contains(err.Error(), tt.wantMsg):
				t.Errorf("err = %v, want it to contain %q", err, tt.wantMsg)
			}
			waits := sl.all()
			if len(waits) != len(tt.minWaits) {
				t.Fatalf("waits = %v, want %d of them", waits, len(tt.minWaits))
			}
			policy := tt.policy.WithDefaults(DefaultRetryPolicy)
			for i, w := range waits {
				if w < tt.minWaits[i] || w > max(policy.Max, tt.minWaits[i]) {
					t.Errorf("wait %d = %v, want within [%v, %v]", i, w, tt.minWaits[i], max(policy.Max, tt.minWaits[i]))
				}
			}
		})
	}
}

// TestCancelDuringBackoff checks that cancelling the context while the
// client waits to retry ends the call with the context's error.
func TestCancelDuringBackoff(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	sleeper := func(ctx context.Context, d time.Duration) error {
		cancel()
		<-ctx.Done()
		return ctx.Err()
	}
	c, mt, _ := setup(t, WithSleep(sleeper))
	mt.RegisterResponder("GET", testBase+"me", httpmock.NewStringResponder(429, ``))
	_, _, err := c.Users.Me(ctx)
	if !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want context.Canceled", err)
	}
	if n := calls(mt, "GET "+testBase+"me"); n != 1 {
		t.Errorf("%d attempts, want 1", n)
	}
}

// TestRateLimiterGatesRequests checks that the limiter is awaited before
// each request: with one token and no refill, a second call cannot start.
func TestRateLimiterGatesRequests(t *testing.T) {
	t.Parallel()
	c, mt, _ := setup(t, WithRateLimit(rate.Every(time.Hour), 1))
	mt.RegisterResponder("GET", testBase+"me", httpmock.NewBytesResponder(200, fixture(t, "me.json")))
	if _, _, err := c.Users.Me(t.Context()); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Millisecond)
	defer cancel()
	_, _, err := c.Users.Me(ctx)
	if err == nil {
		t.Fatal("second call succeeded; the limiter did not gate it")
	}
	if n := calls(mt, "GET "+testBase+"me"); n != 1 {
		t.Errorf("%d requests, want 1", n)
	}
}

// TestConcurrentUse exercises one client from many goroutines (run with -race).
func TestConcurrentUse(t *testing.T) {
	t.Parallel()
	c, mt, _ := setup(t)
	mt.RegisterResponder("GET", testBase+"me", httpmock.NewBytesResponder(200, fixture(t, "me.json")))
	errs := make(chan error, 16)
	for range 16 {
		go func() {
			_, _, err := c.Users.Me(t.Context())
			errs <- err
		}()
	}
	for range 16 {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
	if n := c.Requests(); n != 16 {
		t.Errorf("Requests() = %d, want 16", n)
	}
}

func TestErrorResponse(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		status     int
		body       string
		want       *ErrorResponse // compared without Response
		wantString string
		is, isNot  error
	}{
		{
			name: "documented body", status: 400, body: string(fixture(t, "error_400.json")),
			want: &ErrorResponse{Method: "GET", URL: testBase + "me", StatusCode: 400, Message: "パラメータが不正です",
				Codes: []string{"InvalidParameter", "UpdatedToRequired"}, Body: fixture(t, "error_400.json")},
			wantString: "sansan: GET " + testBase + "me: 400 Bad Request: パラメータが不正です (codes: InvalidParameter, UpdatedToRequired)",
			is:         ErrBadRequest, isNot: ErrNotFound,
		},
		{
			name: "html from a proxy", status: 502, body: "<html>Bad Gateway</html>",
			want:       &ErrorResponse{Method: "GET", URL: testBase + "me", StatusCode: 502, Body: []byte("<html>Bad Gateway</html>")},
			wantString: "sansan: GET " + testBase + "me: 502 Bad Gateway",
			isNot:      ErrBadRequest,
		},
		{
			name: "403", status: 403, body: `{"message":"forbidden"}`,
			want:       &ErrorResponse{Method: "GET", URL: testBase + "me", StatusCode: 403, Message: "forbidden", Body: []byte(`{"message":"forbidden"}`)},
			wantString: "sansan: GET " + testBase + "me: 403 Forbidden: forbidden",
			isNot:      ErrUnauthorized,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, mt, _ := setup(t, WithRetry(RetryPolicy{MaxAttempts: 1}))
			mt.RegisterResponder("GET", testBase+"me", httpmock.NewStringResponder(tt.status, tt.body))
			_, resp, err := c.Users.Me(t.Context())
			var er *ErrorResponse
			if !errors.As(err, &er) {
				t.Fatalf("err = %v, want *ErrorResponse", err)
			}
			if er.Response == nil || resp == nil || resp.StatusCode != tt.status {
				t.Errorf("response not returned with the error: %v / %v", er.Response, resp)
			}
			got := *er
			got.Response = nil
			if d := cmp.Diff(tt.want, &got); d != "" {
				t.Errorf("ErrorResponse (-want +got):\n%s", d)
			}
			if err.Error() != tt.wantString {
				t.Errorf("Error() = %q\nwant %q", err.Error(), tt.wantString)
			}
			if tt.is != nil && !errors.Is(err, tt.is) {
				t.Errorf("errors.Is(err, %v) = false", tt.is)
			}
			if errors.Is(err, tt.isNot) {
				t.Errorf("errors.Is(err, %v) = true", tt.isNot)
			}
		})
	}
}

func TestParseErrorBody(t *testing.T) {
	t.Parallel()
	tests := []struct {
		body      string
		wantMsg   string
		wantCodes []string
		wantAfter time.Duration
	}{
		{`{"statusCode":400,"message":"m","error":[{"code":"A"},{"code":"B"}]}`, "m", []string{"A", "B"}, 0},
		{`{"message":"m","error":{"code":"A"}}`, "m", []string{"A"}, 0},
		{`{"error":"invalid_key"}`, "", []string{"invalid_key"}, 0},
		{`{"error":[{"code":42,"message":"from item"}]}`, "from item", []string{"42"}, 0},
		{`{"message":null,"error":null}`, "", nil, 0},
		{`{"message":7,"error":[{"code":"A"}]}`, "", []string{"A"}, 0},
		{`not json`, "", nil, 0},
		{``, "", nil, 0},
		{`[]`, "", nil, 0},
		{`{"statusCode":429,"message":"Too Many Requests","retry_after":42}`, "Too Many Requests", nil, 42 * time.Second},
		{`{"retry_after":"1.5"}`, "", nil, 1500 * time.Millisecond},
		{`{"retry_after":-3}`, "", nil, 0},
		{`{"retry_after":1e300}`, "", nil, time.Hour},
		{`{"retry_after":{"s":1}}`, "", nil, 0},
	}
	for _, tt := range tests {
		t.Run(tt.body, func(t *testing.T) {
			t.Parallel()
			msg, codes, after := parseErrorBody([]byte(tt.body))
			if after != tt.wantAfter {
				t.Errorf("retry after = %v, want %v", after, tt.wantAfter)
			}
			if msg != tt.wantMsg {
				t.Errorf("message = %q, want %q", msg, tt.wantMsg)
			}
			if d := cmp.Diff(tt.wantCodes, codes); d != "" {
				t.Errorf("codes (-want +got):\n%s", d)
			}
		})
	}
}

// TestDecodeErrors checks malformed success bodies.
func TestDecodeErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, body string
	}{
		{"empty body", ""},
		{"html", "<html>maintenance</html>"},
		{"null item", `{"item":null}`},
		{"wrong type", `{"item":{"id":1}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, mt, _ := setup(t)
			mt.RegisterResponder("GET", testBase+"bizCards/X", httpmock.NewStringResponder(200, tt.body))
			card, resp, err := c.BizCards.Get(t.Context(), "X")
			if err == nil || card != nil {
				t.Fatalf("Get = %+v, %v; want an error", card, err)
			}
			if resp == nil || resp.StatusCode != 200 {
				t.Errorf("response = %v", resp)
			}
			if n := calls(mt, "GET "+testBase+"bizCards/X"); n != 1 {
				t.Errorf("%d attempts, want 1 (decode errors are not retried)", n)
			}
		})
	}
}

func TestPrintedClientHidesKey(t *testing.T) {
	t.Parallel()
	c, _, _ := setup(t, WithAppID("App1"))
	for _, s := range []string{fmt.Sprintf("%+v", c), fmt.Sprintf("%#v", c), fmt.Sprintf("%+v", *c)} {
		if strings.Contains(s, testKey) {
			t.Errorf("printed client reveals the key: %s", s)
		}
	}
}
