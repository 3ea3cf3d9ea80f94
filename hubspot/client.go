package hubspot

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/time/rate"

	"github.com/cardbridge/sansanhubspot/internal/apiclient"
)

// DefaultBaseURL is the HubSpot API base URL.
const DefaultBaseURL = "https://api.hubapi.com/"

// Default rate limits, sized for a Free or Starter private app.
//
// HubSpot allows a Free/Starter private app 100 requests per rolling 10 s
// (Professional and Enterprise: 190; with the API limit increase add-on:
// 250; a public OAuth app: 110 per installing account), and CRM search 5
// requests per second. A token bucket of rate r and burst b lets through at
// most b + 10r requests in any 10 s, so the defaults (9.5/s, burst 5) stay
// within 100 while sustaining 95 % of it (a burst of 10 at 9/s would cap a
// long sync at 90 %), and the search defaults (4/s, burst 1) within 5 per
// second. For Professional/Enterprise use WithRateLimit(18.5, 5) (190 per
// 10 s).
const (
	DefaultRateLimit       rate.Limit = 9.5
	DefaultBurst                      = 5
	DefaultSearchRateLimit rate.Limit = 4
	DefaultSearchBurst                = 1
)

// DefaultTimeout is the timeout of the default http.Client, and of a
// WithHTTPClient copy whose Timeout is zero.
const DefaultTimeout = 60 * time.Second

const (
	defaultUserAgent         = "sansanhubspot-go"
	contactsPath             = "crm/v3/objects/contacts"
	propertiesPath           = "crm/v3/properties/contacts"
	headerRateMax            = "X-HubSpot-RateLimit-Max"
	headerRateRemaining      = "X-HubSpot-RateLimit-Remaining"
	headerRateInterval       = "X-HubSpot-RateLimit-Interval-Milliseconds"
	headerRateDaily          = "X-HubSpot-RateLimit-Daily"
	headerRateDailyRemaining = "X-HubSpot-RateLimit-Daily-Remaining"
)

// RetryPolicy configures retries of failed attempts.
type RetryPolicy struct {
	// MaxAttempts is the total number of attempts, the first included; 1
	// disables retries.
	MaxAttempts int
	// Initial is the backoff ceiling before the first retry.
	Initial time.Duration
	// Max caps the backoff ceiling.
	Max time.Duration
	// Multiplier grows the ceiling after each attempt (2 when zero).
	Multiplier float64
}

// DefaultRetryPolicy is used unless WithRetry says otherwise: 4 attempts,
// full-jitter exponential backoff from 500 ms capped at 10 s. Rate-limit
// waits (a 10 s window, a second, 2 s for 423) are added on top as minimums.
var DefaultRetryPolicy = RetryPolicy{MaxAttempts: 4, Initial: 500 * time.Millisecond, Max: 10 * time.Second, Multiplier: 2}

// TokenSource supplies the access token for each request. It is asked
// before every attempt, so an implementation backed by OAuth can refresh the
// 30-minute access token when it nears expiry; it must be safe for
// concurrent use and should cache the token between calls.
//
// An oauth2.TokenSource adapts in three lines:
//
//	hubspot.TokenSourceFunc(func(context.Context) (string, error) {
//		t, err := ts.Token()
//		if err != nil { return "", err }
//		return t.AccessToken, nil
//	})
type TokenSource interface {
	Token(ctx context.Context) (string, error)
}

// TokenSourceFunc adapts a function to [TokenSource].
type TokenSourceFunc func(ctx context.Context) (string, error)

// Token calls f.
func (f TokenSourceFunc) Token(ctx context.Context) (string, error) { return f(ctx) }

// StaticToken is a [TokenSource] that always returns the same token, e.g. a
// private app's access token.
type StaticToken string

// Token returns t.
func (t StaticToken) Token(context.Context) (string, error) { return string(t), nil }

// String hides the token, so printing a StaticToken with %v or %s does not
// reveal it.
func (t StaticToken) String() string { return "REDACTED" }

// GoString hides the token from %#v.
func (t StaticToken) GoString() string { return `hubspot.StaticToken("REDACTED")` }

// Option configures a Client in NewClient.
type Option func(*options) error

type options struct {
	baseURL       string
	allowInsecure bool
	httpClient    *http.Client
	limiter       *rate.Limiter
	searchLimiter *rate.Limiter
	retry         RetryPolicy
	logger        *slog.Logger
	userAgent     string
	tokenSource   TokenSource
	sleep         func(context.Context, time.Duration) error
}

// WithBaseURL sets the API base URL (default [DefaultBaseURL]). Plain http
// is refused except for loopback hosts, unless WithInsecureBaseURL is given.
func WithBaseURL(rawURL string) Option {
	return func(o *options) error {
		if rawURL == "" {
			return errors.New("hubspot: empty base url")
		}
		o.baseURL = rawURL
		return nil
	}
}

// WithInsecureBaseURL allows a plain-http base URL on a non-loopback host
// (e.g. a fake server in another container). The token then travels in
// clear text.
func WithInsecureBaseURL() Option {
	return func(o *options) error {
		o.allowInsecure = true
		return nil
	}
}

// WithHTTPClient sets the HTTP client. It is copied, never mutated; a zero
// Timeout in the copy is replaced by [DefaultTimeout].
func WithHTTPClient(c *http.Client) Option {
	return func(o *options) error {
		if c == nil {
			return errors.New("hubspot: nil http client")
		}
		cp := *c
		if cp.Timeout == 0 {
			cp.Timeout = DefaultTimeout
		}
		o.httpClient = &cp
		return nil
	}
}

func newLimiter(r rate.Limit, burst int) (*rate.Limiter, error) {
	if r == rate.Inf {
		return nil, nil
	}
	if r <= 0 || burst < 1 {
		return nil, fmt.Errorf("hubspot: invalid rate limit %v with burst %d", r, burst)
	}
	return rate.NewLimiter(r, burst), nil
}

// WithRateLimit sets the proactive limit for all calls except search
// (default [DefaultRateLimit] per second, burst [DefaultBurst]). rate.Inf
// disables it. The limiter is awaited before every attempt, retries included.
func WithRateLimit(r rate.Limit, burst int) Option {
	return func(o *options) error {
		l, err := newLimiter(r, burst)
		if err != nil {
			return err
		}
		o.limiter = l
		return nil
	}
}

// WithSearchRateLimit sets the proactive limit for search calls (default
// [DefaultSearchRateLimit] per second, burst [DefaultSearchBurst]); search
// calls do not consume the general limit. rate.Inf disables it.
func WithSearchRateLimit(r rate.Limit, burst int) Option {
	return func(o *options) error {
		l, err := newLimiter(r, burst)
		if err != nil {
			return err
		}
		o.searchLimiter = l
		return nil
	}
}

// WithRetry sets the retry policy (default [DefaultRetryPolicy]).
func WithRetry(p RetryPolicy) Option {
	return func(o *options) error {
		ap := apiclient.RetryPolicy(p)
		if err := ap.Validate(); err != nil {
			return fmt.Errorf("hubspot: %w", err)
		}
		o.retry = p
		return nil
	}
}

// WithLogger sets the logger for retries (Warn) and requests (Debug). It
// never receives the token. The default discards everything.
func WithLogger(l *slog.Logger) Option {
	return func(o *options) error {
		if l == nil {
			return errors.New("hubspot: nil logger")
		}
		o.logger = l
		return nil
	}
}

// WithUserAgent sets the User-Agent header. It must be non-empty and on one
// line, so a bad value fails here rather than on every request.
func WithUserAgent(ua string) Option {
	return func(o *options) error {
		if ua == "" || strings.ContainsAny(ua, "\r\n\x00") {
			return errors.New("hubspot: user agent must be non-empty and on one line")
		}
		o.userAgent = ua
		return nil
	}
}

// WithTokenSource makes the client ask ts for the access token before every
// attempt, instead of using the token given to NewClient (which may then be
// empty). Use it for OAuth access tokens, which expire after 30 minutes.
func WithTokenSource(ts TokenSource) Option {
	return func(o *options) error {
		if ts == nil {
			return errors.New("hubspot: nil token source")
		}
		o.tokenSource = ts
		return nil
	}
}

// WithSleep replaces the function that waits between retries; tests use it
// to retry without waiting. It must return ctx.Err() when ctx is done.
func WithSleep(sleep func(ctx context.Context, d time.Duration) error) Option {
	return func(o *options) error {
		if sleep == nil {
			return errors.New("hubspot: nil sleep function")
		}
		o.sleep = sleep
		return nil
	}
}

// Client is a HubSpot CRM API client. It is safe for concurrent use.
type Client struct {
	api           *apiclient.Client
	searchLimiter *rate.Limiter
	tokens        TokenSource
	lastToken     atomic.Pointer[string]

	rateMu sync.Mutex
	rate   Rate

	// Contacts accesses the contacts API.
	Contacts *ContactsService
	// Properties accesses the contact properties API.
	Properties *PropertiesService
}

type service struct{ client *Client }

// String describes the client by its base URL only, so %v and %+v of a
// *Client never print its token.
func (c *Client) String() string {
	if c == nil || c.api == nil {
		return "hubspot.Client(nil)"
	}
	return "hubspot.Client{" + c.api.BaseURL().Redacted() + "}"
}

// GoString is String for %#v.
func (c *Client) GoString() string { return c.String() }

// NewClient returns a client authenticating with accessToken (a private
// app's access token or an OAuth access token) as a Bearer token.
func NewClient(accessToken string, opts ...Option) (*Client, error) {
	o := options{baseURL: DefaultBaseURL, retry: DefaultRetryPolicy, userAgent: defaultUserAgent}
	var err error
	if o.limiter, err = newLimiter(DefaultRateLimit, DefaultBurst); err != nil {
		return nil, err
	}
	if o.searchLimiter, err = newLimiter(DefaultSearchRateLimit, DefaultSearchBurst); err != nil {
		return nil, err
	}
	for _, opt := range opts {
		if opt == nil {
			continue
		}
		if err := opt(&o); err != nil {
			return nil, err
		}
	}
	tokens := o.tokenSource
	if tokens == nil {
		if strings.TrimSpace(accessToken) == "" {
			return nil, errors.New("hubspot: access token is required")
		}
		tokens = StaticToken(accessToken)
	}
	base, err := apiclient.ParseBaseURL(o.baseURL)
	if err != nil {
		return nil, fmt.Errorf("hubspot: %w", err)
	}
	if base.Scheme == "http" && !apiclient.IsLoopback(base) && !o.allowInsecure {
		return nil, fmt.Errorf("hubspot: refusing plain-http base url %q (use https, a loopback host or WithInsecureBaseURL)", base.Redacted())
	}
	if o.httpClient == nil {
		o.httpClient = &http.Client{Timeout: DefaultTimeout}
	}
	if o.logger == nil {
		o.logger = slog.New(slog.DiscardHandler)
	}
	c := &Client{searchLimiter: o.searchLimiter, tokens: tokens}
	c.api, err = apiclient.New(apiclient.Config{
		BaseURL:       base,
		HTTPClient:    o.httpClient,
		Limiter:       o.limiter,
		Retry:         apiclient.RetryPolicy(o.retry),
		Classify:      classify,
		CheckResponse: c.checkResponse,
		Auth:          c.auth,
		Logger:        o.logger,
		UserAgent:     o.userAgent,
		Sleep:         o.sleep,
	})
	if err != nil {
		return nil, fmt.Errorf("hubspot: %w", err)
	}
	s := &service{client: c}
	c.Contacts = (*ContactsService)(s)
	c.Properties = (*PropertiesService)(s)
	return c, nil
}

// Requests returns how many HTTP requests (attempts, retries included) the
// client has sent.
func (c *Client) Requests() int64 { return c.api.Requests() }

// Rate returns the rate-limit state from the most recent response that
// carried HubSpot's rate-limit headers (search responses carry none).
func (c *Client) Rate() Rate {
	c.rateMu.Lock()
	defer c.rateMu.Unlock()
	return c.rate
}

func (c *Client) auth(ctx context.Context, req *http.Request) error {
	tok, err := c.tokens.Token(ctx)
	if err != nil {
		return fmt.Errorf("hubspot: token source: %w", err)
	}
	if tok == "" {
		return errors.New("hubspot: token source returned an empty token")
	}
	c.lastToken.Store(&tok)
	req.Header.Set("Authorization", "Bearer "+tok)
	return nil
}

// redact removes the current token from s, in case a server echoes it.
func (c *Client) redact(b []byte) []byte {
	p := c.lastToken.Load()
	if p == nil || len(*p) < 8 {
		return b
	}
	return []byte(strings.ReplaceAll(string(b), *p, "REDACTED"))
}

// redactErr hides the current token in err's message, in case a server
// echoed it into something the error repeats (a redirect URL, say).
// errors.Is and errors.As still reach the original error.
func (c *Client) redactErr(err error) error {
	p := c.lastToken.Load()
	if err == nil || p == nil || len(*p) < 8 || !strings.Contains(err.Error(), *p) {
		return err
	}
	return &redactedError{msg: strings.ReplaceAll(err.Error(), *p, "REDACTED"), err: err}
}

// redactedError is an error whose message had the token removed.
type redactedError struct {
	msg string
	err error
}

func (e *redactedError) Error() string { return e.msg }
func (e *redactedError) Unwrap() error { return e.err }

// redactBatchErrors hides the current token in the per-input errors of a
// 207 answer, as checkResponse does for error bodies.
func (c *Client) redactBatchErrors(errs []*BatchError) {
	p := c.lastToken.Load()
	if p == nil || len(*p) < 8 {
		return
	}
	clean := func(s string) string { return strings.ReplaceAll(s, *p, "REDACTED") }
	for _, e := range errs {
		if e == nil {
			continue
		}
		e.Message = clean(e.Message)
		for k, vs := range e.Context {
			for i := range vs {
				vs[i] = clean(vs[i])
			}
			e.Context[k] = vs
		}
		for i := range e.Errors {
			e.Errors[i].Message = clean(e.Errors[i].Message)
		}
	}
}

func (c *Client) checkResponse(resp *http.Response, body []byte) error {
	method, where := "", ""
	if resp.Request != nil {
		method = resp.Request.Method
		where = sanitizeURL(resp.Request.URL)
	}
	e := newErrorResponse(method, where, resp, c.redact(body))
	for k, vs := range e.Header { // a proxy may echo credentials into headers too
		for i, v := range vs {
			vs[i] = string(c.redact([]byte(v)))
		}
		e.Header[k] = vs
	}
	if resp.StatusCode == http.StatusConflict {
		if id, ok := ParseExistingID(e.Message); ok {
			return &ConflictError{ExistingID: id, Response: e}
		}
	}
	return e
}

func sanitizeURL(u *url.URL) string {
	if u == nil {
		return ""
	}
	c := *u
	c.User = nil
	c.RawQuery = ""
	c.Fragment = ""
	return c.String()
}

// Rate is HubSpot's rate-limit state as reported in response headers.
// Fields are zero when the header was absent (always on search responses;
// the daily headers are not sent for OAuth tokens).
type Rate struct {
	// Max is the number of requests allowed per Interval.
	Max int
	// Remaining is the number left in the current interval.
	Remaining int
	// Interval is the window Max applies to (10 s in practice).
	Interval time.Duration
	// Daily is the daily allowance; DailyRemaining what is left of it.
	Daily, DailyRemaining int
}

func (r Rate) isZero() bool { return r == Rate{} }

func parseRate(h http.Header) Rate {
	atoi := func(k string) int {
		n, err := strconv.Atoi(strings.TrimSpace(h.Get(k)))
		if err != nil || n < 0 {
			return 0
		}
		return n
	}
	return Rate{
		Max:            atoi(headerRateMax),
		Remaining:      atoi(headerRateRemaining),
		Interval:       time.Duration(atoi(headerRateInterval)) * time.Millisecond,
		Daily:          atoi(headerRateDaily),
		DailyRemaining: atoi(headerRateDailyRemaining),
	}
}

// Response wraps the last HTTP response of a call (its body already read
// and closed) with HubSpot's rate-limit headers.
type Response struct {
	*http.Response
	// Rate holds the X-HubSpot-RateLimit-* headers; zero when absent.
	Rate Rate
	// CorrelationID is X-HubSpot-Correlation-Id, when sent.
	CorrelationID string
}

func (c *Client) newResponse(r *http.Response) *Response {
	if r == nil {
		return nil
	}
	resp := &Response{Response: r, Rate: parseRate(r.Header), CorrelationID: r.Header.Get("X-HubSpot-Correlation-Id")}
	if !resp.Rate.isZero() {
		c.rateMu.Lock()
		c.rate = resp.Rate
		c.rateMu.Unlock()
	}
	return resp
}

// do sends call and wraps the response.
func (c *Client) do(ctx context.Context, call apiclient.Call) (*Response, error) {
	r, err := c.api.Do(ctx, call)
	return c.newResponse(r), c.redactErr(err)
}

// yes marks calls that are safe to replay (apiclient.Call.Idempotent).
var yes = true

// classify applies HubSpot's retry rules on top of apiclient.DefaultClassify:
// a 429 waits out its policy's window (TEN_SECONDLY_ROLLING: the interval,
// 10 s by default; SECONDLY: 1 s) and is never retried for DAILY; 423
// waits at least 2 s; 477 is retried only when Retry-After is short.
func classify(resp *http.Response, err error, idempotent bool) apiclient.Decision {
	if resp == nil {
		return apiclient.DefaultClassify(resp, err, idempotent)
	}
	after := apiclient.RetryAfter(resp.Header, time.Now())
	switch resp.StatusCode {
	case http.StatusTooManyRequests:
		var er *ErrorResponse
		errors.As(err, &er)
		policy := ""
		if er != nil {
			if er.IsDailyLimit() {
				return apiclient.Decision{Reason: "daily limit reached"}
			}
			policy = strings.ToUpper(er.PolicyName)
			if policy == "" {
				msg := strings.ToLower(er.Message)
				switch {
				case strings.Contains(msg, "ten_secondly"):
					policy = PolicyTenSecondlyRolling
				case strings.Contains(msg, "secondly"):
					policy = PolicySecondly
				}
			}
		}
		switch policy {
		case PolicySecondly:
			return apiclient.Decision{Retry: true, After: max(after, time.Second), Reason: "secondly limit"}
		case PolicyTenSecondlyRolling:
			window := 10 * time.Second
			if ms, err := strconv.Atoi(resp.Header.Get(headerRateInterval)); err == nil && ms > 0 && ms <= 60_000 {
				window = time.Duration(ms) * time.Millisecond
			}
			return apiclient.Decision{Retry: true, After: max(after, window), Reason: "ten-secondly limit"}
		}
		return apiclient.Decision{Retry: true, After: max(after, time.Second), Reason: "rate limited"}
	case http.StatusLocked:
		return apiclient.Decision{Retry: true, After: max(after, 2*time.Second), Reason: "locked"}
	case 477:
		if after > 0 && after <= time.Minute {
			return apiclient.Decision{Retry: true, After: after, Reason: "migration in progress"}
		}
		return apiclient.Decision{Reason: "migration in progress"}
	}
	return apiclient.DefaultClassify(resp, err, idempotent)
}

// escapeID escapes a path parameter such as a record ID or an email
// address: url.PathEscape plus "@" and "+" (which PathEscape keeps but
// HubSpot, like many servers, may read as a space).
func escapeID(id string) (string, error) {
	if id == "" || id == "." || id == ".." {
		return "", fmt.Errorf("%w: invalid id %q", ErrInvalidInput, id)
	}
	s := url.PathEscape(id)
	s = strings.ReplaceAll(s, "@", "%40")
	s = strings.ReplaceAll(s, "+", "%2B")
	return s, nil
}
