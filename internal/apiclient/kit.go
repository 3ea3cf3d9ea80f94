package apiclient

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"golang.org/x/time/rate"
)

// Settings is the construction kit both public clients are built from. It
// holds the options they share, with the same names and meaning on both
// sides; each public WithX option calls the matching setter, which validates
// its argument, and NewClient calls [Settings.Build]. Errors name the public
// package ([Settings.Service]), never this one, and quote inputs as given.
type Settings struct {
	// Service is the public package name ("sansan", "hubspot") that starts
	// every error message.
	Service string
	// DefaultBaseURL is used when SetBaseURL is not called.
	DefaultBaseURL string
	// DefaultTimeout is the timeout of the http.Client, and of a given one
	// whose Timeout is zero, unless SetTimeout is called.
	DefaultTimeout time.Duration
	// DefaultLimit and DefaultBurst configure the general limiter unless
	// SetRateLimit is called.
	DefaultLimit rate.Limit
	DefaultBurst int
	// DefaultSearchLimit and DefaultSearchBurst configure the search limiter
	// unless SetSearchRateLimit is called; a zero DefaultSearchLimit means
	// the service has no separate search limit.
	DefaultSearchLimit rate.Limit
	DefaultSearchBurst int
	// DefaultRetry fills the zero fields of the policy given to SetRetry.
	DefaultRetry RetryPolicy
	// DefaultUserAgent is sent unless SetUserAgent is called.
	DefaultUserAgent string

	baseURL          string
	baseSet          bool
	allowInsecure    bool
	httpClient       *http.Client
	timeout          time.Duration
	limit            rate.Limit
	burst            int
	limitSet         bool
	searchLimit      rate.Limit
	searchBurst      int
	searchSet        bool
	searchNotCounted bool
	retry            RetryPolicy
	logger           *slog.Logger
	userAgent        string
	sleep            func(context.Context, time.Duration) error
	retryHook        func(context.Context, RetryEvent)
	maxBody          int64
}

// Errorf returns an error whose message starts with the service name.
func (s *Settings) Errorf(format string, args ...any) error {
	return fmt.Errorf(s.Service+": "+format, args...)
}

// SetBaseURL sets the API base URL after checking that it parses as an
// absolute http(s) URL without user info, query or fragment.
func (s *Settings) SetBaseURL(raw string) error {
	if _, err := ParseBaseURL(raw); err != nil {
		return s.baseURLError(raw, err)
	}
	s.baseURL, s.baseSet = raw, true
	return nil
}

func (s *Settings) baseURLError(raw string, err error) error {
	return s.Errorf("invalid base url %q: %w", shownURL(raw), err)
}

// shownURL is raw as given, except for the parts that may carry a
// credential: user info, query and fragment are replaced by "…".
func shownURL(raw string) string {
	if i := strings.IndexAny(raw, "?#"); i >= 0 {
		raw = raw[:i] + "…"
	}
	if at := strings.LastIndex(raw, "@"); at >= 0 {
		if s := strings.Index(raw, "://"); s >= 0 && s < at {
			return raw[:s+3] + "…@" + raw[at+1:]
		}
		return "…@" + raw[at+1:]
	}
	return raw
}

// SetInsecureBaseURL allows a plain-http base URL on a host that is not a
// loopback address.
func (s *Settings) SetInsecureBaseURL() error {
	s.allowInsecure = true
	return nil
}

// SetHTTPClient sets the client requests are sent with. It is copied,
// never modified.
func (s *Settings) SetHTTPClient(c *http.Client) error {
	if c == nil {
		return s.Errorf("http client must not be nil")
	}
	s.httpClient = c
	return nil
}

// SetTimeout sets the timeout of the client's http.Client.
func (s *Settings) SetTimeout(d time.Duration) error {
	if d <= 0 {
		return s.Errorf("timeout %v must be positive", d)
	}
	s.timeout = d
	return nil
}

func (s *Settings) checkLimit(what string, r rate.Limit, burst int) error {
	if r == rate.Inf {
		return nil
	}
	if !(r > 0) {
		return s.Errorf("%s %v must be positive (rate.Inf disables it)", what, r)
	}
	if burst < 1 {
		return s.Errorf("%s burst %d must be at least 1", what, burst)
	}
	return nil
}

// SetRateLimit sets the general limit: r requests per second in bursts of
// up to burst. rate.Inf disables it.
func (s *Settings) SetRateLimit(r rate.Limit, burst int) error {
	if err := s.checkLimit("rate limit", r, burst); err != nil {
		return err
	}
	s.limit, s.burst, s.limitSet = r, burst, true
	return nil
}

// SetSearchRateLimit sets the separate limit of search calls. It is an
// error for a service without one.
func (s *Settings) SetSearchRateLimit(r rate.Limit, burst int) error {
	if s.DefaultSearchLimit == 0 {
		return s.Errorf("no separate search rate limit")
	}
	if err := s.checkLimit("search rate limit", r, burst); err != nil {
		return err
	}
	s.searchLimit, s.searchBurst, s.searchSet = r, burst, true
	return nil
}

// SetSearchCountsGeneral says whether a search call also waits for the
// general limiter (true by default).
func (s *Settings) SetSearchCountsGeneral(counted bool) error {
	s.searchNotCounted = !counted
	return nil
}

// SetRetry sets the retry policy; its zero fields take DefaultRetry's.
func (s *Settings) SetRetry(p RetryPolicy) error {
	if err := p.Validate(); err != nil {
		return s.Errorf("%w", err)
	}
	if err := p.WithDefaults(s.DefaultRetry).Validate(); err != nil {
		return s.Errorf("%w", err)
	}
	s.retry = p
	return nil
}

// SetLogger sets the logger of attempts (Debug) and retries (Warn).
func (s *Settings) SetLogger(l *slog.Logger) error {
	if l == nil {
		return s.Errorf("logger must not be nil")
	}
	s.logger = l
	return nil
}

// SetUserAgent sets the User-Agent header.
func (s *Settings) SetUserAgent(ua string) error {
	if ua == "" || strings.ContainsAny(ua, "\r\n\x00") {
		return s.Errorf("user agent %q must be non-empty and on one line", ua)
	}
	s.userAgent = ua
	return nil
}

// SetSleep replaces the function that waits between attempts.
func (s *Settings) SetSleep(f func(ctx context.Context, d time.Duration) error) error {
	if f == nil {
		return s.Errorf("sleep function must not be nil")
	}
	s.sleep = f
	return nil
}

// SetRetryHook sets a function called before every wait for a retry.
func (s *Settings) SetRetryHook(f func(ctx context.Context, ev RetryEvent)) error {
	if f == nil {
		return s.Errorf("retry hook must not be nil")
	}
	s.retryHook = f
	return nil
}

// SetMaxBody caps a successful response body at n bytes (DefaultMaxBody
// unless called); a larger body fails the call with a *BodyTooLargeError.
// n must be at least 1 KiB, so that an ordinary answer always fits.
func (s *Settings) SetMaxBody(n int64) error {
	if n < 1<<10 {
		return s.Errorf("max response size %d must be at least 1024 bytes", n)
	}
	s.maxBody = n
	return nil
}

// Build completes cfg, which carries the service's Auth, Classify,
// CheckResponse and Secrets, with the settings and returns the client.
func (s *Settings) Build(cfg Config) (*Client, error) {
	raw := s.DefaultBaseURL
	if s.baseSet {
		raw = s.baseURL
	}
	base, err := ParseBaseURL(raw)
	if err != nil {
		return nil, s.baseURLError(raw, err)
	}
	if base.Scheme == "http" && !s.allowInsecure && !IsLoopback(base) {
		return nil, s.Errorf("refusing plain-http base url %q: use https, a loopback host or WithInsecureBaseURL", shownURL(raw))
	}
	hc := &http.Client{}
	if s.httpClient != nil {
		cp := *s.httpClient
		hc = &cp
	}
	switch {
	case s.timeout > 0:
		hc.Timeout = s.timeout
	case hc.Timeout == 0:
		hc.Timeout = s.DefaultTimeout
	}
	limit, burst := s.DefaultLimit, s.DefaultBurst
	if s.limitSet {
		limit, burst = s.limit, s.burst
	}
	cfg.Limiter = newLimiter(limit, burst)
	if s.DefaultSearchLimit != 0 {
		limit, burst := s.DefaultSearchLimit, s.DefaultSearchBurst
		if s.searchSet {
			limit, burst = s.searchLimit, s.searchBurst
		}
		cfg.SearchLimiter = newLimiter(limit, burst)
	}
	cfg.SearchNotCounted = s.searchNotCounted
	cfg.Service = s.Service
	cfg.BaseURL = base
	cfg.HTTPClient = hc
	cfg.Retry = s.retry.WithDefaults(s.DefaultRetry)
	cfg.Logger = s.logger
	cfg.UserAgent = s.DefaultUserAgent
	if s.userAgent != "" {
		cfg.UserAgent = s.userAgent
	}
	cfg.Sleep = s.sleep
	cfg.RetryHook = s.retryHook
	if s.maxBody > 0 {
		cfg.MaxBody = s.maxBody
	}
	return New(cfg)
}

func newLimiter(r rate.Limit, burst int) *rate.Limiter {
	if r == rate.Inf || r == 0 {
		return nil
	}
	return rate.NewLimiter(r, burst)
}
