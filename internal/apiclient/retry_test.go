package apiclient_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log"
	"math"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/jarcoal/httpmock"
	"golang.org/x/time/rate"

	"github.com/cardbridge/sansanhubspot/internal/apiclient"
)

// testPolicy has small but non-zero backoff so recorded delays are
// meaningful; the injected sleeper never actually waits.
var testPolicy = apiclient.RetryPolicy{MaxAttempts: 3, Initial: 10 * time.Millisecond, Max: 40 * time.Millisecond}

func TestDoRetries(t *testing.T) {
	t.Parallel()
	errConn := &net.OpError{Op: "dial", Net: "tcp", Err: errors.New("connection refused")}
	httpDate := time.Now().Add(10 * time.Minute).UTC().Format(http.TimeFormat)
	tests := []struct {
		name       string
		method     string
		idempotent *bool
		attempts   int // RetryPolicy.MaxAttempts; testPolicy's when 0
		steps      []step
		wantCalls  int
		wantStatus int           // status of the returned response; 0 for nil
		wantErr    bool          // any error
		wantHTTP   int           // status of the *HTTPError, when wantErr
		minDelay   time.Duration // every recorded delay must be at least this
	}{
		{name: "get 500 then 200", method: "GET", steps: []step{{status: 500}, {status: 200}}, wantCalls: 2, wantStatus: 200},
		{name: "head 503 then 200", method: "HEAD", steps: []step{{status: 503}, {status: 200}}, wantCalls: 2, wantStatus: 200},
		{name: "put 502 502 200", method: "PUT", steps: []step{{status: 502}, {status: 502}, {status: 200}}, wantCalls: 3, wantStatus: 200},
		{name: "delete 504 then 204", method: "DELETE", steps: []step{{status: 504}, {status: 204}}, wantCalls: 2, wantStatus: 204},
		{name: "post 500 not retried", method: "POST", steps: []step{{status: 500}}, wantCalls: 1, wantStatus: 500, wantErr: true, wantHTTP: 500},
		{name: "patch 503 not retried", method: "PATCH", steps: []step{{status: 503}}, wantCalls: 1, wantStatus: 503, wantErr: true, wantHTTP: 503},
		{name: "post marked idempotent retried", method: "POST", idempotent: ptr(true), steps: []step{{status: 500}, {status: 201}}, wantCalls: 2, wantStatus: 201},
		{name: "get marked non-idempotent not retried", method: "GET", idempotent: ptr(false), steps: []step{{status: 500}}, wantCalls: 1, wantStatus: 500, wantErr: true, wantHTTP: 500},
		{name: "post 429 then 200", method: "POST", steps: []step{{status: 429}, {status: 200}}, wantCalls: 2, wantStatus: 200},
		{name: "patch 429 twice then 200", method: "PATCH", steps: []step{{status: 429}, {status: 429}, {status: 200}}, wantCalls: 3, wantStatus: 200},
		{
			name: "retry-after seconds honoured", method: "POST",
			steps:     []step{{status: 429, header: http.Header{"Retry-After": {"7"}}}, {status: 200}},
			wantCalls: 2, wantStatus: 200, minDelay: 7 * time.Second,
		},
		{
			name: "retry-after date honoured", method: "GET",
			steps:     []step{{status: 503, header: http.Header{"Retry-After": {httpDate}}}, {status: 200}},
			wantCalls: 2, wantStatus: 200, minDelay: 9 * time.Minute,
		},
		{
			name: "retry-after beyond MaxRetryAfter ends the call", method: "GET",
			steps:     []step{{status: 503, header: http.Header{"Retry-After": {"86400"}}}},
			wantCalls: 1, wantStatus: 503, wantErr: true, wantHTTP: 503,
		},
		{
			name: "retry-after smaller than backoff", method: "GET",
			steps:     []step{{status: 429, header: http.Header{"Retry-After": {"0"}}}, {status: 200}},
			wantCalls: 2, wantStatus: 200,
		},
		{name: "network error retried for get", method: "GET", steps: []step{{err: errConn}, {err: errConn}, {status: 200}}, wantCalls: 3, wantStatus: 200},
		{name: "network error not retried for post", method: "POST", steps: []step{{err: errConn}}, wantCalls: 1, wantErr: true},
		{name: "network error retried for idempotent post", method: "POST", idempotent: ptr(true), steps: []step{{err: errConn}, {status: 200}}, wantCalls: 2, wantStatus: 200},
		{name: "network errors exhausted", method: "GET", steps: []step{{err: errConn}, {err: errConn}, {err: errConn}}, wantCalls: 3, wantErr: true},
		{name: "400 final", method: "GET", steps: []step{{status: 400}}, wantCalls: 1, wantStatus: 400, wantErr: true, wantHTTP: 400},
		{name: "401 final", method: "GET", steps: []step{{status: 401}}, wantCalls: 1, wantStatus: 401, wantErr: true, wantHTTP: 401},
		{name: "404 final", method: "DELETE", steps: []step{{status: 404}}, wantCalls: 1, wantStatus: 404, wantErr: true, wantHTTP: 404},
		{name: "409 final after a retry", method: "PUT", steps: []step{{status: 500}, {status: 409}}, wantCalls: 2, wantStatus: 409, wantErr: true, wantHTTP: 409},
		{name: "500s exhausted", method: "GET", steps: []step{{status: 500}, {status: 500}, {status: 500}}, wantCalls: 3, wantStatus: 500, wantErr: true, wantHTTP: 500},
		{name: "429s exhausted", method: "POST", attempts: 2, steps: []step{{status: 429}, {status: 429}}, wantCalls: 2, wantStatus: 429, wantErr: true, wantHTTP: 429},
		{name: "max attempts 5", method: "GET", attempts: 5, steps: []step{{status: 500}, {status: 500}, {status: 500}, {status: 500}, {status: 500}}, wantCalls: 5, wantStatus: 500, wantErr: true, wantHTTP: 500},
		{name: "single attempt policy", method: "GET", attempts: 1, steps: []step{{status: 503}}, wantCalls: 1, wantStatus: 503, wantErr: true, wantHTTP: 503},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			policy := testPolicy
			if tt.attempts != 0 {
				policy.MaxAttempts = tt.attempts
			}
			sleeper := &sleepRecorder{}
			c, mt := newMockClient(t, apiclient.Config{Retry: policy, Sleep: sleeper.Sleep})
			mt.RegisterResponder(tt.method, testBase+"things/1", sequence(t, tt.steps...))
			resp, err := c.Do(t.Context(), apiclient.Call{Method: tt.method, Path: "things/1", Idempotent: tt.idempotent})

			if got := mt.GetCallCountInfo()[tt.method+" "+testBase+"things/1"]; got != tt.wantCalls {
				t.Errorf("transport saw %d attempts, want %d", got, tt.wantCalls)
			}
			if got := c.Requests(); got != int64(tt.wantCalls) {
				t.Errorf("Requests() = %d, want %d", got, tt.wantCalls)
			}
			if (err != nil) != tt.wantErr {
				t.Fatalf("Do error = %v, wantErr %v", err, tt.wantErr)
			}
			gotStatus := 0
			if resp != nil {
				gotStatus = resp.StatusCode
			}
			if gotStatus != tt.wantStatus {
				t.Errorf("response status = %d, want %d", gotStatus, tt.wantStatus)
			}
			if tt.wantHTTP != 0 {
				var herr *apiclient.HTTPError
				if !errors.As(err, &herr) || herr.StatusCode != tt.wantHTTP {
					t.Errorf("error = %v, want *HTTPError with status %d", err, tt.wantHTTP)
				}
			}
			if tt.wantErr && tt.wantStatus == 0 && !errors.Is(err, errConn) {
				t.Errorf("error = %v, want it to wrap the transport error", err)
			}
			delays := sleeper.Delays()
			if len(delays) != tt.wantCalls-1 {
				t.Errorf("slept %d times (%v), want %d", len(delays), delays, tt.wantCalls-1)
			}
			for i, d := range delays {
				if d < tt.minDelay {
					t.Errorf("delay %d = %v, want at least Retry-After %v", i+1, d, tt.minDelay)
				}
				if tt.minDelay == 0 && (d < 0 || d > policy.Max) {
					t.Errorf("delay %d = %v, want within [0, %v]", i+1, d, policy.Max)
				}
			}
		})
	}
}

// TestDoDroppedConnection uses a real socket: the server hangs up without a
// response on the first request.
func TestDoDroppedConnection(t *testing.T) {
	t.Parallel()
	tests := []struct {
		method    string
		wantHits  int64
		wantError bool
	}{
		{method: "GET", wantHits: 2},
		{method: "PUT", wantHits: 2},
		{method: "POST", wantHits: 1, wantError: true},
	}
	for _, tt := range tests {
		t.Run(tt.method, func(t *testing.T) {
			t.Parallel()
			var hits atomic.Int64
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if hits.Add(1) == 1 {
					conn, _, err := http.NewResponseController(w).Hijack()
					if err != nil {
						t.Errorf("hijack: %v", err)
						return
					}
					conn.Close()
					return
				}
				w.Header().Set("Content-Type", "application/json")
				fmt.Fprint(w, `{"name":"ok"}`)
			}))
			t.Cleanup(srv.Close)
			sleeper := &sleepRecorder{}
			c, err := apiclient.New(apiclient.Config{
				BaseURL:    mustBase(t, srv.URL+"/api"),
				HTTPClient: srv.Client(),
				Retry:      testPolicy,
				Sleep:      sleeper.Sleep,
			})
			if err != nil {
				t.Fatal(err)
			}
			var out note
			_, err = c.Do(t.Context(), apiclient.Call{Method: tt.method, Path: "x", Body: note{Name: "in"}, Out: &out})
			if (err != nil) != tt.wantError {
				t.Fatalf("Do error = %v, wantError %v", err, tt.wantError)
			}
			if got := hits.Load(); got != tt.wantHits {
				t.Errorf("server saw %d requests, want %d", got, tt.wantHits)
			}
			if !tt.wantError && out.Name != "ok" {
				t.Errorf("Out = %+v, want the retried response", out)
			}
		})
	}
}

// TestDoTLSCertificateErrorIsFinal checks that an untrusted certificate is
// not retried: every retry would fail the same way.
func TestDoTLSCertificateErrorIsFinal(t *testing.T) {
	t.Parallel()
	srv := httptest.NewUnstartedServer(http.NotFoundHandler())
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the refused handshake is expected
	srv.StartTLS()
	t.Cleanup(srv.Close)
	tr := &http.Transport{} // trusts the system roots only, not srv's certificate
	t.Cleanup(tr.CloseIdleConnections)
	sleeper := &sleepRecorder{}
	c, err := apiclient.New(apiclient.Config{
		BaseURL:    mustBase(t, srv.URL),
		HTTPClient: &http.Client{Transport: tr},
		Retry:      testPolicy,
		Sleep:      sleeper.Sleep,
	})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Do(t.Context(), apiclient.Call{Method: "GET", Path: "x"})
	var verr *tls.CertificateVerificationError
	if !errors.As(err, &verr) {
		t.Fatalf("Do error = %v, want a certificate verification error", err)
	}
	if n := c.Requests(); n != 1 {
		t.Errorf("Requests() = %d, want 1 (no retry of a certificate error)", n)
	}
	if d := sleeper.Delays(); len(d) != 0 {
		t.Errorf("slept %v before retrying a certificate error", d)
	}
}

func TestDoCustomClassify(t *testing.T) {
	t.Parallel()
	type seen struct {
		Status     int
		Err        bool
		Idempotent bool
	}
	tests := []struct {
		name      string
		method    string
		steps     []step
		classify  func(resp *http.Response, err error, idempotent bool) apiclient.Decision
		wantCalls int
		wantSeen  []seen
		wantDelay time.Duration // minimum of each recorded delay
	}{
		{
			name:   "retry 423 with its own delay",
			method: "POST",
			steps:  []step{{status: 423}, {status: 423}, {status: 200}},
			classify: func(resp *http.Response, err error, idem bool) apiclient.Decision {
				if resp != nil && resp.StatusCode == http.StatusLocked {
					return apiclient.Decision{Retry: true, After: 3 * time.Second, Reason: "locked"}
				}
				return apiclient.DefaultClassify(resp, err, idem)
			},
			wantCalls: 3,
			wantSeen:  []seen{{423, true, false}, {423, true, false}},
			wantDelay: 3 * time.Second,
		},
		{
			name:      "never retry",
			method:    "GET",
			steps:     []step{{status: 503}},
			classify:  func(*http.Response, error, bool) apiclient.Decision { return apiclient.Decision{Reason: "no"} },
			wantCalls: 1,
			wantSeen:  []seen{{503, true, true}},
		},
		{
			name:   "classifier sees the API error",
			method: "GET",
			steps:  []step{{status: 400, body: "retry-me"}, {status: 200}},
			classify: func(resp *http.Response, err error, idem bool) apiclient.Decision {
				var herr *apiclient.HTTPError
				if errors.As(err, &herr) && string(herr.Body) == "retry-me" {
					return apiclient.Decision{Retry: true}
				}
				return apiclient.Decision{}
			},
			wantCalls: 2,
			wantSeen:  []seen{{400, true, true}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var mu sync.Mutex
			var got []seen
			sleeper := &sleepRecorder{}
			c, mt := newMockClient(t, apiclient.Config{
				Retry: testPolicy,
				Sleep: sleeper.Sleep,
				Classify: func(resp *http.Response, err error, idem bool) apiclient.Decision {
					s := seen{Err: err != nil, Idempotent: idem}
					if resp != nil {
						s.Status = resp.StatusCode
					}
					mu.Lock()
					got = append(got, s)
					mu.Unlock()
					return tt.classify(resp, err, idem)
				},
			})
			mt.RegisterResponder(tt.method, testBase+"x", sequence(t, tt.steps...))
			_, _ = c.Do(t.Context(), apiclient.Call{Method: tt.method, Path: "x"})
			if n := mt.GetTotalCallCount(); n != tt.wantCalls {
				t.Errorf("%d attempts, want %d", n, tt.wantCalls)
			}
			if diff := cmp.Diff(tt.wantSeen, got); diff != "" {
				t.Errorf("classifier calls (-want +got):\n%s", diff)
			}
			for _, d := range sleeper.Delays() {
				if d < tt.wantDelay {
					t.Errorf("delay %v shorter than the classifier's After %v", d, tt.wantDelay)
				}
			}
		})
	}
}

// TestDoContextCancelledDuringBackoff uses the real Sleep with a one-hour
// Retry-After: the call can only finish if the backoff honours ctx.
func TestDoContextCancelledDuringBackoff(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		cancel func(cancel context.CancelFunc) apiclient.Config
	}{
		{
			name: "cancelled while sleeping",
			cancel: func(cancel context.CancelFunc) apiclient.Config {
				return apiclient.Config{Sleep: func(ctx context.Context, d time.Duration) error {
					time.AfterFunc(5*time.Millisecond, cancel)
					return apiclient.Sleep(ctx, d)
				}}
			},
		},
		{
			name: "cancelled before sleeping",
			cancel: func(cancel context.CancelFunc) apiclient.Config {
				return apiclient.Config{Sleep: func(ctx context.Context, d time.Duration) error {
					cancel()
					return apiclient.Sleep(ctx, d)
				}}
			},
		},
		{
			name: "cancelled during the attempt",
			cancel: func(cancel context.CancelFunc) apiclient.Config {
				return apiclient.Config{Classify: func(resp *http.Response, err error, idem bool) apiclient.Decision {
					cancel()
					return apiclient.DefaultClassify(resp, err, idem)
				}}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ctx, cancel := context.WithCancel(t.Context())
			defer cancel()
			cfg := tt.cancel(cancel)
			cfg.Retry = apiclient.RetryPolicy{MaxAttempts: 5, Initial: time.Hour, Max: time.Hour}
			if cfg.Sleep == nil {
				cfg.Sleep = apiclient.Sleep
			}
			c, mt := newMockClient(t, cfg)
			mt.RegisterResponder("GET", testBase+"x", sequence(t,
				step{status: 503, header: http.Header{"Retry-After": {"600"}}},
				step{status: 200}))
			resp, err := c.Do(ctx, apiclient.Call{Method: "GET", Path: "x"})
			if !errors.Is(err, context.Canceled) {
				t.Fatalf("Do error = %v, want context.Canceled", err)
			}
			if n := mt.GetTotalCallCount(); n != 1 {
				t.Errorf("%d attempts, want 1 (no attempt after cancellation)", n)
			}
			if resp != nil && resp.StatusCode != 503 {
				t.Errorf("resp status = %d, want the last response (503) or nil", resp.StatusCode)
			}
		})
	}
}

func TestDoContextAlreadyDone(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		ctx     func(t *testing.T) context.Context
		limiter *rate.Limiter
		wantErr error
	}{
		{
			name: "cancelled",
			ctx: func(t *testing.T) context.Context {
				ctx, cancel := context.WithCancel(t.Context())
				cancel()
				return ctx
			},
			wantErr: context.Canceled,
		},
		{
			name: "cancelled with limiter",
			ctx: func(t *testing.T) context.Context {
				ctx, cancel := context.WithCancel(t.Context())
				cancel()
				return ctx
			},
			limiter: rate.NewLimiter(rate.Every(time.Hour), 1),
			wantErr: context.Canceled,
		},
		{
			name: "deadline passed",
			ctx: func(t *testing.T) context.Context {
				ctx, cancel := context.WithDeadline(t.Context(), time.Now().Add(-time.Second))
				t.Cleanup(cancel)
				return ctx
			},
			wantErr: context.DeadlineExceeded,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, mt := newMockClient(t, apiclient.Config{Retry: testPolicy, Limiter: tt.limiter})
			mt.RegisterResponder("GET", testBase+"x", httpmock.NewStringResponder(200, "{}"))
			resp, err := c.Do(tt.ctx(t), apiclient.Call{Method: "GET", Path: "x"})
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("Do error = %v, want %v", err, tt.wantErr)
			}
			if resp != nil {
				t.Errorf("resp = %v, want nil for a done context", resp)
			}
			if n := mt.GetTotalCallCount(); n != 0 || c.Requests() != 0 {
				t.Errorf("%d attempts (Requests() = %d) for a done context, want 0", n, c.Requests())
			}
		})
	}
}

// slowLimiter returns a limiter with the given burst whose refill (one token
// a day) is negligible during a test, so Tokens() counts Wait calls.
func slowLimiter(burst int) *rate.Limiter {
	return rate.NewLimiter(rate.Every(24*time.Hour), burst)
}

// tokensUsed reports how many tokens l lost from its initial burst.
func tokensUsed(l *rate.Limiter) int {
	return int(math.Round(float64(l.Burst()) - l.Tokens()))
}

func TestDoLimiterAwaitedBeforeEveryAttempt(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name          string
		method        string
		steps         []step
		wantCalls     int
		wantTokens    int
		useCallLimit  bool
		wantCfgTokens int // tokens taken from Config.Limiter
	}{
		{name: "single attempt", method: "GET", steps: []step{{status: 200}}, wantCalls: 1, wantTokens: 1, wantCfgTokens: 1},
		{name: "retries wait too", method: "GET", steps: []step{{status: 500}, {status: 500}, {status: 200}}, wantCalls: 3, wantTokens: 3, wantCfgTokens: 3},
		{name: "429 retry waits", method: "POST", steps: []step{{status: 429}, {status: 200}}, wantCalls: 2, wantTokens: 2, wantCfgTokens: 2},
		{name: "final error", method: "POST", steps: []step{{status: 500}}, wantCalls: 1, wantTokens: 1, wantCfgTokens: 1},
		{name: "per-call limiter overrides", method: "GET", steps: []step{{status: 500}, {status: 200}}, useCallLimit: true, wantCalls: 2, wantTokens: 2, wantCfgTokens: 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cfgLimiter := slowLimiter(10)
			c, mt := newMockClient(t, apiclient.Config{Retry: apiclient.RetryPolicy{MaxAttempts: 5}, Limiter: cfgLimiter})
			mt.RegisterResponder(tt.method, testBase+"x", sequence(t, tt.steps...))
			call := apiclient.Call{Method: tt.method, Path: "x"}
			used := cfgLimiter
			if tt.useCallLimit {
				call.Limiter = slowLimiter(10)
				used = call.Limiter
			}
			_, _ = c.Do(t.Context(), call)
			if n := mt.GetTotalCallCount(); n != tt.wantCalls {
				t.Errorf("%d attempts, want %d", n, tt.wantCalls)
			}
			if got := tokensUsed(used); got != tt.wantTokens {
				t.Errorf("limiter gave %d tokens, want %d (one per attempt)", got, tt.wantTokens)
			}
			if got := tokensUsed(cfgLimiter); got != tt.wantCfgTokens {
				t.Errorf("Config.Limiter gave %d tokens, want %d", got, tt.wantCfgTokens)
			}
		})
	}
}

// TestDoLimiterStopsRetries checks that a retry cannot bypass an exhausted
// limiter: with a burst of 2 and a one-minute deadline, the third attempt
// would wait a day, so Wait fails at once and no third request is sent.
func TestDoLimiterStopsRetries(t *testing.T) {
	t.Parallel()
	c, mt := newMockClient(t, apiclient.Config{Retry: apiclient.RetryPolicy{MaxAttempts: 5}, Limiter: slowLimiter(2)})
	mt.RegisterResponder("GET", testBase+"x", sequence(t, step{status: 500}, step{status: 500}))
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	_, err := c.Do(ctx, apiclient.Call{Method: "GET", Path: "x"})
	if err == nil {
		t.Fatal("Do succeeded with an exhausted limiter")
	}
	if ctx.Err() != nil {
		t.Fatalf("context expired (%v); the limiter should have refused at once", ctx.Err())
	}
	if n := mt.GetTotalCallCount(); n != 2 {
		t.Errorf("%d attempts, want 2 (the third must wait for the limiter)", n)
	}
}

// TestDoLimiterWaitCancelled checks that a call blocked on the limiter ends
// with the context error once the context is cancelled.
func TestDoLimiterWaitCancelled(t *testing.T) {
	t.Parallel()
	lim := slowLimiter(1)
	if !lim.Allow() {
		t.Fatal("fresh limiter refused its burst")
	}
	c, mt := newMockClient(t, apiclient.Config{Limiter: lim})
	mt.RegisterResponder("GET", testBase+"x", httpmock.NewStringResponder(200, "{}"))
	ctx, cancel := context.WithCancel(t.Context())
	time.AfterFunc(5*time.Millisecond, cancel)
	_, err := c.Do(ctx, apiclient.Call{Method: "GET", Path: "x"})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Do error = %v, want context.Canceled", err)
	}
	if n := mt.GetTotalCallCount(); n != 0 {
		t.Errorf("%d requests sent past the limiter", n)
	}
}

func TestRequestsCountsConcurrentAttempts(t *testing.T) {
	t.Parallel()
	c, mt := newMockClient(t, apiclient.Config{Retry: testPolicy})
	var n atomic.Int64
	mt.RegisterResponder("GET", testBase+"x", func(*http.Request) (*http.Response, error) {
		if n.Add(1)%2 == 1 {
			return httpmock.NewStringResponse(500, ""), nil
		}
		return httpmock.NewStringResponse(200, "{}"), nil
	})
	const calls = 20
	var wg sync.WaitGroup
	for range calls {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, _ = c.Do(t.Context(), apiclient.Call{Method: "GET", Path: "x"})
		}()
	}
	wg.Wait()
	if got, want := c.Requests(), int64(mt.GetTotalCallCount()); got != want {
		t.Errorf("Requests() = %d, transport saw %d", got, want)
	}
	if c.Requests() < calls {
		t.Errorf("Requests() = %d, want at least %d", c.Requests(), calls)
	}
}

func TestRetryPolicyBackoff(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		policy   apiclient.RetryPolicy
		n        int
		wantCeil time.Duration
	}{
		{name: "first retry", policy: apiclient.RetryPolicy{Initial: 100 * time.Millisecond, Max: time.Second}, n: 1, wantCeil: 100 * time.Millisecond},
		{name: "default multiplier 2", policy: apiclient.RetryPolicy{Initial: 100 * time.Millisecond, Max: time.Second}, n: 3, wantCeil: 400 * time.Millisecond},
		{name: "capped by max", policy: apiclient.RetryPolicy{Initial: 100 * time.Millisecond, Max: time.Second}, n: 5, wantCeil: time.Second},
		{name: "far past the cap", policy: apiclient.RetryPolicy{Initial: 100 * time.Millisecond, Max: time.Second}, n: 1000, wantCeil: time.Second},
		{name: "multiplier 1.5", policy: apiclient.RetryPolicy{Initial: 100 * time.Millisecond, Max: time.Minute, Multiplier: 1.5}, n: 3, wantCeil: 225 * time.Millisecond},
		{name: "multiplier 1 is constant", policy: apiclient.RetryPolicy{Initial: 50 * time.Millisecond, Multiplier: 1}, n: 9, wantCeil: 50 * time.Millisecond},
		{name: "uncapped", policy: apiclient.RetryPolicy{Initial: 100 * time.Millisecond}, n: 4, wantCeil: 800 * time.Millisecond},
		{name: "n zero treated as first", policy: apiclient.RetryPolicy{Initial: 100 * time.Millisecond, Max: time.Second}, n: 0, wantCeil: 100 * time.Millisecond},
		{name: "n negative treated as first", policy: apiclient.RetryPolicy{Initial: 100 * time.Millisecond, Max: time.Second}, n: -3, wantCeil: 100 * time.Millisecond},
		{name: "zero initial", policy: apiclient.RetryPolicy{Max: time.Second}, n: 4, wantCeil: 0},
		{name: "uncapped overflow", policy: apiclient.RetryPolicy{Initial: time.Second}, n: 200, wantCeil: math.MaxInt64},
		{name: "huge initial", policy: apiclient.RetryPolicy{Initial: math.MaxInt64}, n: 1, wantCeil: math.MaxInt64},
		{name: "huge multiplier", policy: apiclient.RetryPolicy{Initial: time.Second, Multiplier: 1e300}, n: 3, wantCeil: math.MaxInt64},
	}
	const samples = 2000
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var maxSeen time.Duration
			distinct := map[time.Duration]bool{}
			for range samples {
				d := tt.policy.Backoff(tt.n)
				if d < 0 || d > tt.wantCeil {
					t.Fatalf("Backoff(%d) = %v, want within [0, %v]", tt.n, d, tt.wantCeil)
				}
				maxSeen = max(maxSeen, d)
				distinct[d] = true
			}
			if tt.wantCeil == 0 {
				return
			}
			// Full jitter spreads over the whole range: with 2000 uniform
			// samples, missing the top half or repeating one value has a
			// probability far below 2^-1000.
			if maxSeen < tt.wantCeil/2 {
				t.Errorf("largest of %d samples is %v, want above %v (full jitter)", samples, maxSeen, tt.wantCeil/2)
			}
			if len(distinct) < samples/2 {
				t.Errorf("only %d distinct delays in %d samples", len(distinct), samples)
			}
		})
	}
}

func TestRetryPolicyValidate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		policy  apiclient.RetryPolicy
		wantErr bool
	}{
		{name: "single attempt", policy: apiclient.RetryPolicy{MaxAttempts: 1}},
		{name: "typical", policy: apiclient.RetryPolicy{MaxAttempts: 3, Initial: 500 * time.Millisecond, Max: 5 * time.Second, Multiplier: 2}},
		{name: "uncapped", policy: apiclient.RetryPolicy{MaxAttempts: 3, Initial: time.Second}},
		{name: "initial equals max", policy: apiclient.RetryPolicy{MaxAttempts: 3, Initial: time.Second, Max: time.Second}},
		{name: "multiplier one", policy: apiclient.RetryPolicy{MaxAttempts: 3, Multiplier: 1}},
		{name: "zero value means defaults", policy: apiclient.RetryPolicy{}},
		{name: "negative rate-limit wait", policy: apiclient.RetryPolicy{RateLimitWait: -time.Second}, wantErr: true},
		{name: "negative rate-limit max wait", policy: apiclient.RetryPolicy{RateLimitMaxWait: -time.Second}, wantErr: true},
		{name: "negative attempts", policy: apiclient.RetryPolicy{MaxAttempts: -1}, wantErr: true},
		{name: "negative initial", policy: apiclient.RetryPolicy{MaxAttempts: 2, Initial: -1}, wantErr: true},
		{name: "negative max", policy: apiclient.RetryPolicy{MaxAttempts: 2, Max: -time.Second}, wantErr: true},
		{name: "initial above max", policy: apiclient.RetryPolicy{MaxAttempts: 2, Initial: 2 * time.Second, Max: time.Second}, wantErr: true},
		{name: "shrinking multiplier", policy: apiclient.RetryPolicy{MaxAttempts: 2, Multiplier: 0.5}, wantErr: true},
		{name: "negative multiplier", policy: apiclient.RetryPolicy{MaxAttempts: 2, Multiplier: -2}, wantErr: true},
		{name: "nan multiplier", policy: apiclient.RetryPolicy{MaxAttempts: 2, Multiplier: math.NaN()}, wantErr: true},
		{name: "infinite multiplier", policy: apiclient.RetryPolicy{MaxAttempts: 2, Multiplier: math.Inf(1)}, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := tt.policy.Validate()
			if (err != nil) != tt.wantErr {
				t.Fatalf("Validate(%+v) = %v, wantErr %v", tt.policy, err, tt.wantErr)
			}
			if err == nil {
				if d := tt.policy.Backoff(3); d < 0 {
					t.Errorf("valid policy gives negative backoff %v", d)
				}
			}
		})
	}
}

func TestDefaultClassify(t *testing.T) {
	t.Parallel()
	withHeader := func(status int, retryAfter string) *http.Response {
		r := &http.Response{StatusCode: status, Header: http.Header{}}
		if retryAfter != "" {
			r.Header.Set("Retry-After", retryAfter)
		}
		return r
	}
	netErr := &url.Error{Op: "Get", URL: "https://x/", Err: &net.OpError{Op: "read", Net: "tcp", Err: errors.New("connection reset by peer")}}
	certErr := &url.Error{Op: "Get", URL: "https://x/", Err: &tls.CertificateVerificationError{Err: x509.UnknownAuthorityError{}}}
	tests := []struct {
		name       string
		resp       *http.Response
		err        error
		idempotent bool
		wantRetry  bool
		wantAfter  time.Duration
	}{
		{name: "no error", idempotent: true},
		{name: "network error idempotent", err: netErr, idempotent: true, wantRetry: true},
		{name: "network error not idempotent", err: netErr},
		{name: "wrapped network error", err: fmt.Errorf("GET x: %w", netErr.Err), idempotent: true, wantRetry: true},
		{name: "canceled", err: fmt.Errorf("x: %w", context.Canceled), idempotent: true},
		{name: "deadline", err: &url.Error{Op: "Get", URL: "u", Err: context.DeadlineExceeded}, idempotent: true},
		{name: "tls verification", err: certErr, idempotent: true},
		{name: "unknown authority value", err: fmt.Errorf("x: %w", x509.UnknownAuthorityError{}), idempotent: true},
		{name: "hostname mismatch", err: fmt.Errorf("x: %w", x509.HostnameError{Host: "h"}), idempotent: true},
		{name: "invalid certificate", err: fmt.Errorf("x: %w", x509.CertificateInvalidError{Reason: x509.Expired}), idempotent: true},
		{name: "scheme mismatch", err: &url.Error{Op: "Get", URL: "u", Err: http.ErrSchemeMismatch}, idempotent: true},
		{name: "429 not idempotent", resp: withHeader(429, ""), err: errors.New("api"), wantRetry: true},
		{name: "429 retry-after", resp: withHeader(429, "12"), err: errors.New("api"), wantRetry: true, wantAfter: 12 * time.Second},
		{name: "500 idempotent", resp: withHeader(500, ""), err: errors.New("api"), idempotent: true, wantRetry: true},
		{name: "503 retry-after", resp: withHeader(503, "4"), err: errors.New("api"), idempotent: true, wantRetry: true, wantAfter: 4 * time.Second},
		{name: "500 not idempotent", resp: withHeader(500, ""), err: errors.New("api")},
		{name: "400", resp: withHeader(400, ""), err: errors.New("api"), idempotent: true},
		{name: "404", resp: withHeader(404, ""), err: errors.New("api"), idempotent: true},
		{name: "408", resp: withHeader(408, ""), err: errors.New("api"), idempotent: true},
		{name: "200 decode error", resp: withHeader(200, ""), err: &apiclient.DecodeError{Err: errors.New("bad")}, idempotent: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			d := apiclient.DefaultClassify(tt.resp, tt.err, tt.idempotent)
			if d.Retry != tt.wantRetry || d.After != tt.wantAfter {
				t.Errorf("DefaultClassify = %+v, want Retry %v After %v", d, tt.wantRetry, tt.wantAfter)
			}
			if d.Reason == "" {
				t.Error("Decision has no Reason")
			}
		})
	}
}

func TestRetryAfter(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name  string
		value string // "" leaves the header unset
		want  time.Duration
	}{
		{name: "absent", want: 0},
		{name: "seconds", value: "120", want: 2 * time.Minute},
		{name: "zero", value: "0", want: 0},
		{name: "negative", value: "-5", want: 0},
		{name: "fraction", value: "1.5", want: 0},
		{name: "garbage", value: "soon", want: 0},
		{name: "imf date", value: "Sat, 28 Nov 2026 12:00:30 GMT", want: 30 * time.Second},
		{name: "rfc850 date", value: "Saturday, 28-Nov-26 12:01:00 GMT", want: time.Minute},
		{name: "asctime date", value: "Sat Nov 28 12:00:10 2026", want: 10 * time.Second},
		{name: "past date", value: "Sat, 28 Nov 2026 11:59:00 GMT", want: 0},
		{name: "date equals now", value: "Sat, 28 Nov 2026 12:00:00 GMT", want: 0},
		{name: "largest whole seconds", value: strconv.FormatInt(math.MaxInt64/int64(time.Second), 10), want: time.Duration(math.MaxInt64/int64(time.Second)) * time.Second},
		{name: "overflowing seconds saturate", value: "9223372037", want: math.MaxInt64},
		{name: "beyond int64 saturates", value: "99999999999999999999999", want: math.MaxInt64},
		{name: "very negative", value: "-99999999999999999999999", want: 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := http.Header{}
			if tt.value != "" {
				h.Set("Retry-After", tt.value)
			}
			if got := apiclient.RetryAfter(h, now); got != tt.want {
				t.Errorf("RetryAfter(%q) = %v, want %v", tt.value, got, tt.want)
			}
		})
	}
}

func TestSleep(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		d       time.Duration
		ctx     func(t *testing.T) context.Context
		wantErr error
	}{
		{name: "zero", d: 0, ctx: func(t *testing.T) context.Context { return t.Context() }},
		{name: "negative", d: -time.Second, ctx: func(t *testing.T) context.Context { return t.Context() }},
		{name: "short", d: time.Millisecond, ctx: func(t *testing.T) context.Context { return t.Context() }},
		{
			name: "zero with cancelled context", d: 0, wantErr: context.Canceled,
			ctx: func(t *testing.T) context.Context {
				ctx, cancel := context.WithCancel(t.Context())
				cancel()
				return ctx
			},
		},
		{
			name: "cancelled before", d: time.Hour, wantErr: context.Canceled,
			ctx: func(t *testing.T) context.Context {
				ctx, cancel := context.WithCancel(t.Context())
				cancel()
				return ctx
			},
		},
		{
			name: "cancelled while waiting", d: time.Hour, wantErr: context.Canceled,
			ctx: func(t *testing.T) context.Context {
				ctx, cancel := context.WithCancel(t.Context())
				time.AfterFunc(5*time.Millisecond, cancel)
				return ctx
			},
		},
		{
			name: "deadline while waiting", d: time.Hour, wantErr: context.DeadlineExceeded,
			ctx: func(t *testing.T) context.Context {
				ctx, cancel := context.WithTimeout(t.Context(), 5*time.Millisecond)
				t.Cleanup(cancel)
				return ctx
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if err := apiclient.Sleep(tt.ctx(t), tt.d); !errors.Is(err, tt.wantErr) {
				t.Errorf("Sleep(%v) = %v, want %v", tt.d, err, tt.wantErr)
			}
		})
	}
}
