package hubspot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
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

// RetryPolicy configures retries of failed attempts; it is the same type as
// sansan.RetryPolicy. Zero fields take the values of [DefaultRetryPolicy];
// MaxAttempts 1 disables retries.
type RetryPolicy = apiclient.RetryPolicy

// RetryEvent describes a retry the client is about to wait for; see
// [WithRetryHook]. It is the same type as sansan.RetryEvent.
type RetryEvent = apiclient.RetryEvent

// DefaultRetryPolicy fills the zero fields of the policy given to
// WithRetry: 4 attempts, full-jitter exponential backoff from 500 ms capped
// at 10 s, and at least 1 s after a 429. Rate-limit waits HubSpot states
// (the 10 s window of TEN_SECONDLY_ROLLING, 1 s for SECONDLY, 2 s for 423)
// are added on top as minimums.
var DefaultRetryPolicy = RetryPolicy{
	MaxAttempts:      4,
	Initial:          500 * time.Millisecond,
	Max:              10 * time.Second,
	Multiplier:       2,
	RateLimitWait:    time.Second,
	RateLimitMaxWait: time.Second,
}

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

// Option configures a Client in NewClient. Options validate their
// argument; an invalid one makes NewClient fail. The options both clients
// share have the same names and meaning in package sansan.
type Option func(*options) error

type options struct {
	apiclient.Settings
	tokenSource TokenSource
	apiVersion  string
}

// WithBaseURL sets the API base URL (default [DefaultBaseURL]). Plain http
// is refused except for loopback hosts, unless [WithInsecureBaseURL] is
// given.
func WithBaseURL(rawURL string) Option {
	return func(o *options) error { return o.SetBaseURL(rawURL) }
}

// WithInsecureBaseURL allows a plain-http base URL on a non-loopback host
// (e.g. a fake server in another container). The token then travels in
// clear text.
func WithInsecureBaseURL() Option {
	return func(o *options) error { return o.SetInsecureBaseURL() }
}

// WithHTTPClient sets the HTTP client. It is copied, never mutated; the copy
// refuses redirects to another host, and a zero Timeout in it becomes
// [DefaultTimeout].
func WithHTTPClient(c *http.Client) Option {
	return func(o *options) error { return o.SetHTTPClient(c) }
}

// WithTimeout sets the timeout of the client's http.Client (a copy of the
// one given with [WithHTTPClient], if any); default [DefaultTimeout].
func WithTimeout(d time.Duration) Option {
	return func(o *options) error { return o.SetTimeout(d) }
}

// WithRateLimit sets the proactive limit of all calls (default
// [DefaultRateLimit] per second, burst [DefaultBurst]); search calls also
// wait for it unless [WithSearchCountsGeneral] says otherwise. rate.Inf
// disables it. The limiter is awaited before every attempt, retries
// included.
func WithRateLimit(r rate.Limit, burst int) Option {
	return func(o *options) error { return o.SetRateLimit(r, burst) }
}

// WithSearchRateLimit sets the separate proactive limit of search calls
// (default [DefaultSearchRateLimit] per second, burst
// [DefaultSearchBurst]). rate.Inf disables it.
func WithSearchRateLimit(r rate.Limit, burst int) Option {
	return func(o *options) error { return o.SetSearchRateLimit(r, burst) }
}

// WithSearchCountsGeneral says whether search calls also count against the
// general limit of [WithRateLimit]. HubSpot documents a separate 5 requests
// per second for search but not whether search requests also use up the
// 100 (or 190) per 10 s of a private app, so the default, true, assumes
// they do: the safe choice, at the price of a slightly slower sync. Pass
// false when you know your account does not count them.
func WithSearchCountsGeneral(counted bool) Option {
	return func(o *options) error { return o.SetSearchCountsGeneral(counted) }
}

// WithRetry sets the retry policy; its zero fields take the values of
// [DefaultRetryPolicy].
func WithRetry(p RetryPolicy) Option {
	return func(o *options) error { return o.SetRetry(p) }
}

// WithLogger sets the logger for retries (Warn) and requests (Debug). The
// token is scrubbed from every record. The default discards everything.
func WithLogger(l *slog.Logger) Option {
	return func(o *options) error { return o.SetLogger(l) }
}

// WithUserAgent sets the User-Agent header. It must be non-empty and on one
// line, so a bad value fails here rather than on every request.
func WithUserAgent(ua string) Option {
	return func(o *options) error { return o.SetUserAgent(ua) }
}

// WithSleep replaces the function that waits between retries; tests use it
// to retry without waiting. It must return ctx.Err() when ctx is done.
func WithSleep(sleep func(ctx context.Context, d time.Duration) error) Option {
	return func(o *options) error { return o.SetSleep(sleep) }
}

// ContextWithSendCheck returns a copy of ctx whose calls (of this
// package's clients and the other service's, which share the plumbing) run
// check immediately before every attempt is sent, after the rate limiter's
// wait, with the request's method and URL path; an error from check fails
// the call without sending it. Checks already on ctx run first. The sync
// engine uses it to stop a lease holder that can no longer be sure of its
// lease from sending anything (see syncer.Fence).
func ContextWithSendCheck(ctx context.Context, check func(ctx context.Context, method, path string) error) context.Context {
	return apiclient.ContextWithSendCheck(ctx, check)
}

// ContextWithRetryHook returns a context that makes every call made with
// it report each retry wait to hook, as [WithRetryHook] does for all calls:
// a sync engine given a *Client it did not build uses it to report
// rate-limit waits per pass.
func ContextWithRetryHook(ctx context.Context, hook func(ctx context.Context, ev RetryEvent)) context.Context {
	return apiclient.ContextWithRetryHook(ctx, hook)
}

// WithRetryHook makes the client call hook before every wait for a retry,
// with the attempt, the wait and, for 429s, how many came in a row.
func WithRetryHook(hook func(ctx context.Context, ev RetryEvent)) Option {
	return func(o *options) error { return o.SetRetryHook(hook) }
}

// APIVersionV3 is the default API family, /crm/v3/objects/contacts and
// /crm/v3/properties/contacts. HubSpot's docs now file it under "legacy" and
// point "latest" at the date-versioned family (e.g. 2026-03); no v3
// shutdown date is announced.
const APIVersionV3 = "v3"

// datedVersionRe matches a date-versioned API family such as "2026-03".
var datedVersionRe = regexp.MustCompile(`^20[0-9]{2}-(0[1-9]|1[0-2])$`)

// WithAPIVersion selects the API family: [APIVersionV3] (the default) or a
// date-versioned one such as "2026-03", whose paths are
// /crm/objects/2026-03/contacts and /crm/properties/2026-03/contacts. The
// request and response shapes the client uses are the same in both
// families, so users can move before v3 is retired.
func WithAPIVersion(version string) Option {
	return func(o *options) error {
		if version != APIVersionV3 && !datedVersionRe.MatchString(version) {
			return fmt.Errorf("hubspot: api version %q is neither %q nor a date such as \"2026-03\"", version, APIVersionV3)
		}
		o.apiVersion = version
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

// Client is a HubSpot CRM API client. It is safe for concurrent use.
type Client struct {
	api    *apiclient.Client
	tokens TokenSource
	// dated is the date-versioned API family in use, "" for v3.
	dated string

	rateMu sync.Mutex
	rate   Rate

	// Contacts accesses the contacts API.
	Contacts *ContactsService
	// Properties accesses the contact properties API.
	Properties *PropertiesService
	// Account reads the details of the token's account (portal).
	Account *AccountService
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
	o := options{Settings: apiclient.Settings{
		Service:            "hubspot",
		DefaultBaseURL:     DefaultBaseURL,
		DefaultTimeout:     DefaultTimeout,
		DefaultLimit:       DefaultRateLimit,
		DefaultBurst:       DefaultBurst,
		DefaultSearchLimit: DefaultSearchRateLimit,
		DefaultSearchBurst: DefaultSearchBurst,
		DefaultRetry:       DefaultRetryPolicy,
		DefaultUserAgent:   defaultUserAgent,
	}}
	for _, opt := range opts {
		if opt == nil {
			continue
		}
		if err := opt(&o); err != nil {
			return nil, err
		}
	}
	tokens := o.tokenSource
	var static []string
	if tokens == nil {
		if strings.TrimSpace(accessToken) == "" {
			return nil, errors.New("hubspot: access token is required")
		}
		tokens = StaticToken(accessToken)
		static = []string{accessToken}
	}
	c := &Client{tokens: tokens}
	if o.apiVersion != "" && o.apiVersion != APIVersionV3 {
		c.dated = o.apiVersion
	}
	var err error
	c.api, err = o.Build(apiclient.Config{
		Classify:      classify,
		CheckResponse: c.checkResponse,
		Auth:          c.auth,
		Secrets:       static,
	})
	if err != nil {
		return nil, err
	}
	s := &service{client: c}
	c.Contacts = (*ContactsService)(s)
	c.Properties = (*PropertiesService)(s)
	c.Account = (*AccountService)(s)
	return c, nil
}

// Requests returns how many HTTP requests (attempts, retries included) the
// client has sent.
func (c *Client) Requests() int64 { return c.api.Requests() }

// RateLimit returns the proactive limit of the client's calls in requests
// per second, as set by [WithRateLimit] (rate.Inf when disabled). The sync
// engine sizes its writes in flight from it.
func (c *Client) RateLimit() rate.Limit { return c.api.RateLimit() }

// SearchRateLimit returns the proactive limit of search calls in requests
// per second, as set by [WithSearchRateLimit] (rate.Inf when disabled).
func (c *Client) SearchRateLimit() rate.Limit { return c.api.SearchRateLimit() }

// Rate returns the rate-limit state from the most recent response that
// carried HubSpot's rate-limit headers (search responses carry none).
func (c *Client) Rate() Rate {
	c.rateMu.Lock()
	defer c.rateMu.Unlock()
	return c.rate
}

func (c *Client) auth(ctx context.Context, req *http.Request) ([]string, error) {
	tok, err := c.tokens.Token(ctx)
	if err != nil {
		return nil, fmt.Errorf("hubspot: token source: %w", err)
	}
	if tok == "" {
		return nil, errors.New("hubspot: token source returned an empty token")
	}
	req.Header.Set("Authorization", "Bearer "+tok)
	return []string{tok}, nil
}

// redactBatchErrors scrubs the client's secrets from the per-input errors of
// a 207 answer, as the kit does for error bodies.
func (c *Client) redactBatchErrors(errs []*BatchError) {
	clean := c.api.Redact
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
		for k, v := range e.Extra {
			e.Extra[k] = json.RawMessage(clean(string(v)))
		}
	}
}

func (c *Client) checkResponse(resp *http.Response, body []byte) error {
	method, where := "", ""
	if resp.Request != nil {
		method = resp.Request.Method
		where = apiclient.SanitizeURL(resp.Request.URL)
	}
	e := newErrorResponse(method, where, resp, body)
	for k, vs := range e.Header { // a proxy may echo credentials into headers too
		for i, v := range vs {
			vs[i] = c.api.Redact(v)
		}
		e.Header[k] = vs
	}
	if resp.StatusCode == http.StatusConflict {
		if id, ok := parseExistingID(e.Message); ok {
			return &ConflictError{ExistingID: id, Response: e}
		}
	}
	return e
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
	if c.dated != "" {
		call.Path = datedPath(call.Path, c.dated)
	}
	r, err := c.api.Do(ctx, call)
	return c.newResponse(r), err
}

// datedPath turns a v3 path into the date-versioned family's:
// crm/v3/objects/... becomes crm/objects/{version}/..., and likewise for
// properties.
func datedPath(p, version string) string {
	for _, kind := range []string{"objects", "properties"} {
		if rest, ok := strings.CutPrefix(p, "crm/v3/"+kind+"/"); ok {
			return "crm/" + kind + "/" + version + "/" + rest
		}
	}
	if rest, ok := strings.CutPrefix(p, "account-info/v3/"); ok {
		return "account-info/" + version + "/" + rest
	}
	return p
}

// APIVersion returns the API family in use: [APIVersionV3] or a date such
// as "2026-03".
func (c *Client) APIVersion() string {
	if c.dated != "" {
		return c.dated
	}
	return APIVersionV3
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
