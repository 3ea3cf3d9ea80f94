package apiclient_test

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/jarcoal/httpmock"
	"golang.org/x/time/rate"

	"github.com/cardbridge/sansanhubspot/internal/apiclient"
)

func kitSettings() apiclient.Settings {
	return apiclient.Settings{
		Service:            "svc",
		DefaultBaseURL:     testBase,
		DefaultTimeout:     time.Minute,
		DefaultLimit:       rate.Inf,
		DefaultSearchLimit: rate.Inf,
		DefaultRetry:       apiclient.RetryPolicy{MaxAttempts: 3, RateLimitWait: time.Second, RateLimitMaxWait: 4 * time.Second},
		DefaultUserAgent:   "ua",
	}
}

// TestSettingsErrors checks that every setter refuses a bad argument with
// an error naming the service, never apiclient, and quoting the input as
// given without its credentials.
func TestSettingsErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		set     func(s *apiclient.Settings) error
		wantMsg string // "" = success
	}{
		{name: "empty base url", set: func(s *apiclient.Settings) error { return s.SetBaseURL("") }, wantMsg: `svc: invalid base url "": empty`},
		{name: "bad scheme quoted as given", set: func(s *apiclient.Settings) error { return s.SetBaseURL("ftp://h/a b") }, wantMsg: `svc: invalid base url "ftp://h/a b": scheme must be http or https`},
		{name: "user info hidden", set: func(s *apiclient.Settings) error { return s.SetBaseURL("https://u:SECRETSECRET@h/") }, wantMsg: `svc: invalid base url "https://…@h/": must not carry user info, query or fragment`},
		{name: "query hidden", set: func(s *apiclient.Settings) error { return s.SetBaseURL("https://h/?key=SECRETSECRET") }, wantMsg: `svc: invalid base url "https://h/…": must not carry user info, query or fragment`},
		{name: "good base url", set: func(s *apiclient.Settings) error { return s.SetBaseURL("https://h/v1") }},
		{name: "nil http client", set: func(s *apiclient.Settings) error { return s.SetHTTPClient(nil) }, wantMsg: "svc: http client must not be nil"},
		{name: "zero timeout", set: func(s *apiclient.Settings) error { return s.SetTimeout(0) }, wantMsg: "svc: timeout 0s must be positive"},
		{name: "zero rate", set: func(s *apiclient.Settings) error { return s.SetRateLimit(0, 1) }, wantMsg: "svc: rate limit 0 must be positive (rate.Inf disables it)"},
		{name: "zero burst", set: func(s *apiclient.Settings) error { return s.SetRateLimit(1, 0) }, wantMsg: "svc: rate limit burst 0 must be at least 1"},
		{name: "infinite rate", set: func(s *apiclient.Settings) error { return s.SetRateLimit(rate.Inf, 0) }},
		{name: "zero search burst", set: func(s *apiclient.Settings) error { return s.SetSearchRateLimit(1, 0) }, wantMsg: "svc: search rate limit burst 0 must be at least 1"},
		{name: "negative retry", set: func(s *apiclient.Settings) error { return s.SetRetry(apiclient.RetryPolicy{MaxAttempts: -1}) }, wantMsg: "svc: retry policy: max attempts must not be negative"},
		{name: "zero retry is defaults", set: func(s *apiclient.Settings) error { return s.SetRetry(apiclient.RetryPolicy{}) }},
		{name: "retry initial above default max", set: func(s *apiclient.Settings) error {
			return s.SetRetry(apiclient.RetryPolicy{Initial: time.Hour, Max: time.Minute})
		}, wantMsg: "svc: retry policy: initial backoff exceeds max"},
		{name: "nil logger", set: func(s *apiclient.Settings) error { return s.SetLogger(nil) }, wantMsg: "svc: logger must not be nil"},
		{name: "two-line user agent", set: func(s *apiclient.Settings) error { return s.SetUserAgent("a\nb") }, wantMsg: `svc: user agent "a\nb" must be non-empty and on one line`},
		{name: "nil sleep", set: func(s *apiclient.Settings) error { return s.SetSleep(nil) }, wantMsg: "svc: sleep function must not be nil"},
		{name: "tiny max body", set: func(s *apiclient.Settings) error { return s.SetMaxBody(1023) }, wantMsg: "svc: max response size 1023 must be at least 1024 bytes"},
		{name: "max body", set: func(s *apiclient.Settings) error { return s.SetMaxBody(1 << 10) }},
		{name: "nil retry hook", set: func(s *apiclient.Settings) error { return s.SetRetryHook(nil) }, wantMsg: "svc: retry hook must not be nil"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := kitSettings()
			err := tt.set(&s)
			got := ""
			if err != nil {
				got = err.Error()
			}
			if got != tt.wantMsg {
				t.Errorf("error = %q, want %q", got, tt.wantMsg)
			}
			if strings.Contains(got, "apiclient") || strings.Contains(got, "SECRETSECRET") {
				t.Errorf("error %q names the internal package or leaks the input's credential", got)
			}
		})
	}
}

// TestSettingsNoSearchLimit checks that a service without a search limit
// refuses the search option.
func TestSettingsNoSearchLimit(t *testing.T) {
	t.Parallel()
	s := kitSettings()
	s.DefaultSearchLimit = 0
	if err := s.SetSearchRateLimit(1, 1); err == nil || !strings.HasPrefix(err.Error(), "svc: ") {
		t.Errorf("SetSearchRateLimit on a service without one = %v, want a svc: error", err)
	}
}

// TestBuildPlainHTTP checks the plain-http rule of Build.
func TestBuildPlainHTTP(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		base     string
		insecure bool
		wantErr  string
	}{
		{name: "loopback", base: "http://127.0.0.1:9/"},
		{name: "remote refused", base: "http://fake.internal/", wantErr: `svc: refusing plain-http base url "http://fake.internal/": use https, a loopback host or WithInsecureBaseURL`},
		{name: "remote allowed", base: "http://fake.internal/", insecure: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := kitSettings()
			if err := s.SetBaseURL(tt.base); err != nil {
				t.Fatal(err)
			}
			if tt.insecure {
				_ = s.SetInsecureBaseURL()
			}
			_, err := s.Build(apiclient.Config{})
			got := ""
			if err != nil {
				got = err.Error()
			}
			if got != tt.wantErr {
				t.Errorf("Build error = %q, want %q", got, tt.wantErr)
			}
		})
	}
}

// TestBuildTimeout checks the timeout rules: a given client's timeout is
// kept, zero becomes the default, SetTimeout wins, and the caller's client
// is never modified.
func TestBuildTimeout(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		given   *http.Client
		timeout time.Duration
		want    time.Duration
	}{
		{name: "default", want: time.Minute},
		{name: "given keeps its timeout", given: &http.Client{Timeout: 7 * time.Second}, want: 7 * time.Second},
		{name: "given zero becomes default", given: &http.Client{}, want: time.Minute},
		{name: "set timeout wins", given: &http.Client{Timeout: 7 * time.Second}, timeout: 3 * time.Second, want: 3 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			mt := httpmock.NewMockTransport()
			var seen time.Duration
			mt.RegisterNoResponder(func(req *http.Request) (*http.Response, error) {
				dl, ok := req.Context().Deadline()
				if ok {
					seen = time.Until(dl).Round(time.Second)
				}
				return httpmock.NewStringResponse(200, "{}"), nil
			})
			s := kitSettings()
			given := tt.given
			if given == nil {
				given = &http.Client{}
				_ = s.SetTimeout(time.Minute) // same as the default, to route to the mock
			}
			before := given.Timeout
			given.Transport = mt
			_ = s.SetHTTPClient(given)
			if tt.timeout > 0 {
				_ = s.SetTimeout(tt.timeout)
			}
			c, err := s.Build(apiclient.Config{})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := c.Do(t.Context(), apiclient.Call{Method: "GET", Path: "x"}); err != nil {
				t.Fatal(err)
			}
			if seen != tt.want {
				t.Errorf("request deadline in %v, want %v", seen, tt.want)
			}
			if given.Timeout != before || given.CheckRedirect != nil {
				t.Errorf("caller's http.Client was modified: %+v", given)
			}
		})
	}
}

// TestRateLimitBackoffGrows checks the growing wait after consecutive 429s
// and that any other response resets it.
func TestRateLimitBackoffGrows(t *testing.T) {
	t.Parallel()
	p := apiclient.RetryPolicy{RateLimitWait: 30 * time.Second, RateLimitMaxWait: 5 * time.Minute}
	var got []time.Duration
	for n := 1; n <= 6; n++ {
		got = append(got, p.RateLimitBackoff(n))
	}
	want := []time.Duration{30 * time.Second, time.Minute, 2 * time.Minute, 4 * time.Minute, 5 * time.Minute, 5 * time.Minute}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("RateLimitBackoff (-want +got):\n%s", d)
	}
	flat := apiclient.RetryPolicy{RateLimitWait: time.Second}
	if got := flat.RateLimitBackoff(5); got != time.Second {
		t.Errorf("without a max the wait grows: %v", got)
	}
}

// TestDoRateLimitWaitsAndHook checks that Do applies the growing wait
// across calls, resets it after another response, and reports every retry
// to the hook.
func TestDoRateLimitWaitsAndHook(t *testing.T) {
	t.Parallel()
	sl := &sleepRecorder{}
	var mu sync.Mutex
	var events []apiclient.RetryEvent
	c, mt := newMockClient(t, apiclient.Config{
		Retry: apiclient.RetryPolicy{MaxAttempts: 3, RateLimitWait: 30 * time.Second, RateLimitMaxWait: 5 * time.Minute},
		Sleep: sl.Sleep,
		RetryHook: func(_ context.Context, ev apiclient.RetryEvent) {
			mu.Lock()
			events = append(events, ev)
			mu.Unlock()
		},
	})
	mt.RegisterResponder("GET", testBase+"x", sequence(t,
		step{status: 429}, step{status: 429}, step{status: 429}, // first call gives up
		step{status: 429}, step{status: 200}, // second call: the fourth 429 in a row
		step{status: 429}, step{status: 200}, // third call: reset by the 200
	))
	for range 3 {
		_, _ = c.Do(t.Context(), apiclient.Call{Method: "GET", Path: "x"})
	}
	want := []time.Duration{30 * time.Second, time.Minute, 4 * time.Minute, 30 * time.Second}
	if d := cmp.Diff(want, sl.Delays()); d != "" {
		t.Errorf("waits (-want +got):\n%s", d)
	}
	var gotLimited []int
	for _, ev := range events {
		gotLimited = append(gotLimited, ev.RateLimited)
		if ev.StatusCode != 429 || ev.Method != "GET" || ev.URL != testBase+"x" || ev.Reason == "" {
			t.Errorf("event = %+v", ev)
		}
	}
	if d := cmp.Diff([]int{1, 2, 4, 1}, gotLimited); d != "" {
		t.Errorf("RateLimited of the hook events (-want +got):\n%s", d)
	}
}

// TestDoSearchLimiters checks which limiters a search call waits for.
func TestDoSearchLimiters(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		notCounted  bool
		search      bool
		wantGeneral int
		wantSearch  int
	}{
		{name: "plain call", wantGeneral: 1},
		{name: "search counts against both", search: true, wantGeneral: 1, wantSearch: 1},
		{name: "search not counted", search: true, notCounted: true, wantSearch: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			general, search := slowLimiter(5), slowLimiter(5)
			c, mt := newMockClient(t, apiclient.Config{Limiter: general, SearchLimiter: search, SearchNotCounted: tt.notCounted})
			mt.RegisterNoResponder(httpmock.NewStringResponder(200, "{}"))
			if _, err := c.Do(t.Context(), apiclient.Call{Method: "GET", Path: "x", Search: tt.search}); err != nil {
				t.Fatal(err)
			}
			if g, s := tokensUsed(general), tokensUsed(search); g != tt.wantGeneral || s != tt.wantSearch {
				t.Errorf("tokens general %d search %d, want %d and %d", g, s, tt.wantGeneral, tt.wantSearch)
			}
		})
	}
}

// TestSecretsScrubbedEverywhere checks the one redaction path: a secret
// Auth reports is scrubbed from error bodies, errors, logs and the request
// reachable from the response.
func TestSecretsScrubbedEverywhere(t *testing.T) {
	t.Parallel()
	const secret = "tok-SECRET-123456"
	logs := &lockedBuffer{}
	c, mt := newMockClient(t, apiclient.Config{
		Service: "svc",
		Auth: func(_ context.Context, req *http.Request) ([]string, error) {
			req.Header.Set("Authorization", "Bearer "+secret)
			return []string{secret}, nil
		},
		Logger: slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		CheckResponse: func(resp *http.Response, body []byte) error {
			return errors.New("svc: echoed " + string(body))
		},
	})
	mt.RegisterNoResponder(func(req *http.Request) (*http.Response, error) {
		r := httpmock.NewStringResponse(400, "you sent "+req.Header.Get("Authorization"))
		r.Request = req
		return r, nil
	})
	resp, err := c.Do(t.Context(), apiclient.Call{Method: "GET", Path: "x"})
	if err == nil || strings.Contains(err.Error(), secret) || !strings.Contains(err.Error(), apiclient.Redacted) {
		t.Errorf("err = %v, want the echoed secret redacted", err)
	}
	if resp == nil || resp.Request == nil || resp.Request.Header.Get("Authorization") != "" {
		t.Errorf("the response's request still carries the credential")
	}
	if got := c.Redact("a " + secret + " b"); got != "a "+apiclient.Redacted+" b" {
		t.Errorf("Redact = %q", got)
	}
	c.Logger().Info("value " + secret)
	out := logs.String()
	if strings.Contains(out, secret) || !strings.Contains(out, apiclient.Redacted) {
		t.Errorf("logs not scrubbed:\n%s", out)
	}
}
