package optionstest_test

import (
	"context"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jarcoal/httpmock"
	"golang.org/x/time/rate"

	"github.com/cardbridge/sansanhubspot/hubspot"
	"github.com/cardbridge/sansanhubspot/internal/apiclient"
	"github.com/cardbridge/sansanhubspot/sansan"
)

// opt is a sansan.Option or a hubspot.Option.
type opt any

// side adapts one client to the table: its option constructors, how to
// build it and the one GET call the behaviour checks make.
type side struct {
	name       string
	baseURL    func(string) opt
	insecure   func() opt
	httpClient func(*http.Client) opt
	timeout    func(time.Duration) opt
	rateLimit  func(rate.Limit, int) opt
	retry      func(apiclient.RetryPolicy) opt
	logger     func(*slog.Logger) opt
	userAgent  func(string) opt
	sleep      func(func(context.Context, time.Duration) error) opt
	retryHook  func(func(context.Context, apiclient.RetryEvent)) opt
	ctxHook    func(context.Context, func(context.Context, apiclient.RetryEvent)) context.Context
	// build returns the client's one call, a GET of callPath.
	build    func(opts []opt) (func(ctx context.Context) error, error)
	callPath string
}

var sides = []side{
	{
		name:       "sansan",
		baseURL:    func(s string) opt { return sansan.WithBaseURL(s) },
		insecure:   func() opt { return sansan.WithInsecureBaseURL() },
		httpClient: func(c *http.Client) opt { return sansan.WithHTTPClient(c) },
		timeout:    func(d time.Duration) opt { return sansan.WithTimeout(d) },
		rateLimit:  func(r rate.Limit, b int) opt { return sansan.WithRateLimit(r, b) },
		retry:      func(p apiclient.RetryPolicy) opt { return sansan.WithRetry(p) },
		logger:     func(l *slog.Logger) opt { return sansan.WithLogger(l) },
		userAgent:  func(s string) opt { return sansan.WithUserAgent(s) },
		sleep:      func(f func(context.Context, time.Duration) error) opt { return sansan.WithSleep(f) },
		retryHook:  func(f func(context.Context, apiclient.RetryEvent)) opt { return sansan.WithRetryHook(f) },
		ctxHook:    sansan.ContextWithRetryHook,
		build: func(opts []opt) (func(ctx context.Context) error, error) {
			var os []sansan.Option
			for _, o := range opts {
				os = append(os, o.(sansan.Option))
			}
			c, err := sansan.NewClient("key0123456789abcdef", os...)
			if err != nil {
				return nil, err
			}
			return func(ctx context.Context) error { _, _, err := c.Users.Me(ctx); return err }, nil
		},
		callPath: "me",
	},
	{
		name:       "hubspot",
		baseURL:    func(s string) opt { return hubspot.WithBaseURL(s) },
		insecure:   func() opt { return hubspot.WithInsecureBaseURL() },
		httpClient: func(c *http.Client) opt { return hubspot.WithHTTPClient(c) },
		timeout:    func(d time.Duration) opt { return hubspot.WithTimeout(d) },
		rateLimit:  func(r rate.Limit, b int) opt { return hubspot.WithRateLimit(r, b) },
		retry:      func(p apiclient.RetryPolicy) opt { return hubspot.WithRetry(p) },
		logger:     func(l *slog.Logger) opt { return hubspot.WithLogger(l) },
		userAgent:  func(s string) opt { return hubspot.WithUserAgent(s) },
		sleep:      func(f func(context.Context, time.Duration) error) opt { return hubspot.WithSleep(f) },
		retryHook:  func(f func(context.Context, apiclient.RetryEvent)) opt { return hubspot.WithRetryHook(f) },
		ctxHook:    hubspot.ContextWithRetryHook,
		build: func(opts []opt) (func(ctx context.Context) error, error) {
			var os []hubspot.Option
			for _, o := range opts {
				os = append(os, o.(hubspot.Option))
			}
			c, err := hubspot.NewClient("pat-token-0123456789", os...)
			if err != nil {
				return nil, err
			}
			return func(ctx context.Context) error { _, _, err := c.Contacts.Get(ctx, "1", nil); return err }, nil
		},
		callPath: "crm/v3/objects/contacts/1",
	},
}

const base = "https://api.example.test/x/"

// observed is what a behaviour check saw.
type observed struct {
	mu        sync.Mutex
	attempts  int
	userAgent string
	deadline  time.Duration
	waits     []time.Duration
	hooks     []apiclient.RetryEvent
	logs      strings.Builder
}

// TestSharedOptions runs every shared option on both clients: the same
// argument is refused with the same message (but for the package name) or
// accepted with the same effect.
func TestSharedOptions(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		opts func(s side, o *observed) []opt
		// wantErr is the NewClient error with PKG for the package name;
		// "" means success.
		wantErr string
		// status is what the server answers every attempt (200 when 0).
		status int
		check  func(t *testing.T, o *observed, callErr error)
	}{
		{name: "empty base url", opts: func(s side, _ *observed) []opt { return []opt{s.baseURL("")} },
			wantErr: `PKG: invalid base url "": empty`},
		{name: "base url quoted as given", opts: func(s side, _ *observed) []opt { return []opt{s.baseURL("ftp://h/a b")} },
			wantErr: `PKG: invalid base url "ftp://h/a b": scheme must be http or https`},
		{name: "base url credentials hidden", opts: func(s side, _ *observed) []opt { return []opt{s.baseURL("https://u:pw-secret@h/")} },
			wantErr: `PKG: invalid base url "https://…@h/": must not carry user info, query or fragment`},
		{name: "plain http refused", opts: func(s side, _ *observed) []opt { return []opt{s.baseURL("http://remote.example/")} },
			wantErr: `PKG: refusing plain-http base url "http://remote.example/": use https, a loopback host or WithInsecureBaseURL`},
		{name: "plain http with WithInsecureBaseURL", opts: func(s side, _ *observed) []opt {
			return []opt{s.baseURL("http://remote.example/"), s.insecure()}
		}},
		{name: "plain http on loopback", opts: func(s side, _ *observed) []opt { return []opt{s.baseURL("http://127.0.0.1:1/")} }},
		{name: "nil http client", opts: func(s side, _ *observed) []opt { return []opt{s.httpClient(nil)} },
			wantErr: "PKG: http client must not be nil"},
		{name: "zero timeout", opts: func(s side, _ *observed) []opt { return []opt{s.timeout(0)} },
			wantErr: "PKG: timeout 0s must be positive"},
		{name: "zero rate", opts: func(s side, _ *observed) []opt { return []opt{s.rateLimit(0, 1)} },
			wantErr: "PKG: rate limit 0 must be positive (rate.Inf disables it)"},
		{name: "zero burst", opts: func(s side, _ *observed) []opt { return []opt{s.rateLimit(1, 0)} },
			wantErr: "PKG: rate limit burst 0 must be at least 1"},
		{name: "negative retry", opts: func(s side, _ *observed) []opt { return []opt{s.retry(apiclient.RetryPolicy{MaxAttempts: -1})} },
			wantErr: "PKG: retry policy: max attempts must not be negative"},
		{name: "nil logger", opts: func(s side, _ *observed) []opt { return []opt{s.logger(nil)} },
			wantErr: "PKG: logger must not be nil"},
		{name: "two-line user agent", opts: func(s side, _ *observed) []opt { return []opt{s.userAgent("a\r\nX-Evil: 1")} },
			wantErr: `PKG: user agent "a\r\nX-Evil: 1" must be non-empty and on one line`},
		{name: "nil sleep", opts: func(s side, _ *observed) []opt { return []opt{s.sleep(nil)} },
			wantErr: "PKG: sleep function must not be nil"},
		{name: "nil retry hook", opts: func(s side, _ *observed) []opt { return []opt{s.retryHook(nil)} },
			wantErr: "PKG: retry hook must not be nil"},
		{name: "user agent is sent", opts: func(s side, _ *observed) []opt { return []opt{s.userAgent("probe/1.0")} },
			check: func(t *testing.T, o *observed, err error) {
				if err != nil || o.userAgent != "probe/1.0" {
					t.Errorf("User-Agent = %q (err %v), want probe/1.0", o.userAgent, err)
				}
			}},
		{name: "timeout applies to the request", opts: func(s side, _ *observed) []opt { return []opt{s.timeout(42 * time.Second)} },
			check: func(t *testing.T, o *observed, err error) {
				if err != nil || o.deadline != 42*time.Second {
					t.Errorf("request deadline in %v (err %v), want 42s", o.deadline, err)
				}
			}},
		{name: "default timeout is 60s", opts: func(side, *observed) []opt { return nil },
			check: func(t *testing.T, o *observed, err error) {
				if err != nil || o.deadline != time.Minute {
					t.Errorf("request deadline in %v (err %v), want 1m", o.deadline, err)
				}
			}},
		{name: "retry policy, sleep and hook on a 503", status: http.StatusServiceUnavailable,
			opts: func(s side, o *observed) []opt {
				return []opt{
					s.retry(apiclient.RetryPolicy{MaxAttempts: 3, Initial: time.Millisecond, Max: time.Millisecond}),
					s.sleep(func(ctx context.Context, d time.Duration) error {
						o.mu.Lock()
						o.waits = append(o.waits, d)
						o.mu.Unlock()
						return ctx.Err()
					}),
					s.retryHook(func(_ context.Context, ev apiclient.RetryEvent) {
						o.mu.Lock()
						o.hooks = append(o.hooks, ev)
						o.mu.Unlock()
					}),
				}
			},
			check: func(t *testing.T, o *observed, err error) {
				if err == nil || o.attempts != 3 || len(o.waits) != 2 || len(o.hooks) != 2 {
					t.Errorf("attempts %d, waits %v, hook events %d, err %v; want 3 attempts, 2 waits, 2 events, an error",
						o.attempts, o.waits, len(o.hooks), err)
				}
				for _, ev := range o.hooks {
					if ev.StatusCode != http.StatusServiceUnavailable || ev.Method != http.MethodGet {
						t.Errorf("hook event %+v", ev)
					}
				}
			}},
		{name: "logger gets the retry warning", status: http.StatusServiceUnavailable,
			opts: func(s side, o *observed) []opt {
				return []opt{
					s.retry(apiclient.RetryPolicy{MaxAttempts: 2}),
					s.sleep(func(ctx context.Context, _ time.Duration) error { return ctx.Err() }),
					s.logger(slog.New(slog.NewTextHandler(&lockedWriter{o}, nil))),
				}
			},
			check: func(t *testing.T, o *observed, err error) {
				if !strings.Contains(o.logs.String(), "retrying request") {
					t.Errorf("logs = %q, want a retry warning", o.logs.String())
				}
			}},
		{name: "rate limit is awaited", opts: func(s side, _ *observed) []opt {
			return []opt{s.rateLimit(rate.Every(time.Hour), 1)}
		}, check: func(t *testing.T, o *observed, err error) {
			if err != nil || o.attempts != 1 {
				t.Errorf("first call: attempts %d, err %v", o.attempts, err)
			}
		}},
	}
	for _, tt := range tests {
		for _, s := range sides {
			t.Run(tt.name+"/"+s.name, func(t *testing.T) {
				t.Parallel()
				o := &observed{}
				mt := httpmock.NewMockTransport()
				status := tt.status
				if status == 0 {
					status = http.StatusOK
				}
				mt.RegisterNoResponder(func(req *http.Request) (*http.Response, error) {
					o.mu.Lock()
					defer o.mu.Unlock()
					o.attempts++
					o.userAgent = req.Header.Get("User-Agent")
					if dl, ok := req.Context().Deadline(); ok {
						o.deadline = time.Until(dl).Round(time.Second)
					}
					if !strings.HasSuffix(req.URL.Path, "/"+s.callPath) {
						t.Errorf("request to %s, want path ending in %s", req.URL, s.callPath)
					}
					return httpmock.NewStringResponse(status, `{"id":"1","properties":{}}`), nil
				})
				opts := []opt{s.baseURL(base), s.httpClient(&http.Client{Transport: mt})}
				opts = append(opts, tt.opts(s, o)...)
				call, err := s.build(opts)
				got := ""
				if err != nil {
					got = err.Error()
				}
				if want := strings.ReplaceAll(tt.wantErr, "PKG", s.name); got != want {
					t.Fatalf("NewClient error = %q, want %q", got, want)
				}
				if err != nil || tt.check == nil {
					return
				}
				callErr := call(t.Context())
				o.mu.Lock()
				defer o.mu.Unlock()
				tt.check(t, o, callErr)
			})
		}
	}
}

// TestRateLimitBlocksSecondCall checks that WithRateLimit limits both
// clients the same way: with one request an hour, a second call cannot get
// through before a short deadline.
func TestRateLimitBlocksSecondCall(t *testing.T) {
	t.Parallel()
	for _, s := range sides {
		t.Run(s.name, func(t *testing.T) {
			t.Parallel()
			mt := httpmock.NewMockTransport()
			mt.RegisterNoResponder(httpmock.NewStringResponder(200, `{"id":"1","properties":{}}`))
			call, err := s.build([]opt{s.baseURL(base), s.httpClient(&http.Client{Transport: mt}), s.rateLimit(rate.Every(time.Hour), 1)})
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
			defer cancel()
			if err := call(ctx); err != nil {
				t.Fatal(err)
			}
			if err := call(ctx); err == nil || !strings.HasPrefix(err.Error(), s.name+": rate limiter: ") {
				t.Errorf("second call error = %v, want a %s: rate limiter error", err, s.name)
			}
			if n := mt.GetTotalCallCount(); n != 1 {
				t.Errorf("%d requests, want 1", n)
			}
		})
	}
}

type lockedWriter struct{ o *observed }

func (w *lockedWriter) Write(p []byte) (int, error) {
	w.o.mu.Lock()
	defer w.o.mu.Unlock()
	return w.o.logs.Write(p)
}

// TestContextRetryHook checks that a hook carried by the context sees the
// retries of the calls made with it, on both clients, next to the
// client's own hook.
func TestContextRetryHook(t *testing.T) {
	t.Parallel()
	for _, s := range sides {
		t.Run(s.name, func(t *testing.T) {
			t.Parallel()
			mt := httpmock.NewMockTransport()
			mt.RegisterNoResponder(httpmock.NewStringResponder(http.StatusTooManyRequests, `{"message":"slow down"}`))
			var mu sync.Mutex
			var fromClient, fromContext []apiclient.RetryEvent
			call, err := s.build([]opt{
				s.baseURL(base), s.httpClient(&http.Client{Transport: mt}),
				s.retry(apiclient.RetryPolicy{MaxAttempts: 3}),
				s.sleep(func(ctx context.Context, _ time.Duration) error { return ctx.Err() }),
				s.retryHook(func(_ context.Context, ev apiclient.RetryEvent) {
					mu.Lock()
					fromClient = append(fromClient, ev)
					mu.Unlock()
				}),
			})
			if err != nil {
				t.Fatal(err)
			}
			ctx := s.ctxHook(t.Context(), func(_ context.Context, ev apiclient.RetryEvent) {
				mu.Lock()
				fromContext = append(fromContext, ev)
				mu.Unlock()
			})
			if err := call(ctx); err == nil {
				t.Fatal("want the 429 to outlast the retries")
			}
			if err := call(t.Context()); err == nil {
				t.Fatal("want the 429 to outlast the retries")
			}
			mu.Lock()
			defer mu.Unlock()
			if len(fromClient) != 4 || len(fromContext) != 2 {
				t.Fatalf("client hook saw %d retries, context hook %d; want 4 and 2", len(fromClient), len(fromContext))
			}
			for i, ev := range fromContext {
				if ev.StatusCode != http.StatusTooManyRequests || ev.RateLimited != i+1 || ev.Wait <= 0 {
					t.Errorf("context event %d = %+v", i, ev)
				}
			}
		})
	}
}
