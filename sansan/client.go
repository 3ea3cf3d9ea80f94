package sansan

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"golang.org/x/time/rate"

	"github.com/cardbridge/sansanhubspot/internal/apiclient"
)

// DefaultBaseURL is the API base used by [NewClient] unless [WithBaseURL] is
// given. The API version is part of the base, so another one can be pinned
// with WithBaseURL("https://api.sansan.com/v3.1/").
const DefaultBaseURL = "https://api.sansan.com/v3.2/"

// DefaultRateLimit and DefaultBurst configure the client-side token bucket
// used unless [WithRateLimit] is given. Sansan publishes no limit; public
// reports range from 300 requests per minute to 10 per second per API key,
// so 5 requests per second with no burst stays under all of them.
const (
	DefaultRateLimit rate.Limit = 5
	DefaultBurst     int        = 1
)

// DefaultTimeout is the timeout of the http.Client built when
// [WithHTTPClient] is not given.
const DefaultTimeout = 60 * time.Second

// DefaultUserAgent is sent as User-Agent unless [WithUserAgent] is given.
const DefaultUserAgent = "sansanhubspot-go (+https://github.com/cardbridge/sansanhubspot)"

// Header names used for authentication.
const (
	// HeaderAPIKey carries the API key on every request.
	HeaderAPIKey = "X-Sansan-Api-Key"
	// HeaderAppID carries the partner application id when one is set.
	HeaderAppID = "X-Sansan-App-Id"
)

// RetryPolicy configures retries. Zero fields take the values of
// [DefaultRetryPolicy]; set MaxAttempts to 1 to disable retries.
//
// Network errors and 5xx responses are retried for GET requests only; 429
// responses are retried for every request, since the server did not act on
// them. The wait before retry n is a random duration up to
// min(Max, Initial*Multiplier^(n-1)) ("full jitter"); after a 429 it is at
// least RateLimitWait, or the Retry-After header if the server ever sends
// one, because Sansan does not say when the limit resets.
type RetryPolicy struct {
	// MaxAttempts is the total number of attempts, the first included.
	MaxAttempts int
	// Initial is the backoff ceiling before the first retry.
	Initial time.Duration
	// Max caps the backoff ceiling.
	Max time.Duration
	// Multiplier grows the ceiling after each retry.
	Multiplier float64
	// RateLimitWait is the minimum wait after a 429 response.
	RateLimitWait time.Duration
}

// DefaultRetryPolicy is used unless [WithRetry] is given: 4 attempts, backoff
// from 1 s up to 30 s, and at least 30 s after a 429.
var DefaultRetryPolicy = RetryPolicy{
	MaxAttempts:   4,
	Initial:       time.Second,
	Max:           30 * time.Second,
	Multiplier:    2,
	RateLimitWait: 30 * time.Second,
}

func (p RetryPolicy) withDefaults() RetryPolicy {
	d := DefaultRetryPolicy
	if p.MaxAttempts != 0 {
		d.MaxAttempts = p.MaxAttempts
	}
	if p.Initial != 0 {
		d.Initial = p.Initial
	}
	if p.Max != 0 {
		d.Max = p.Max
	}
	if p.Multiplier != 0 {
		d.Multiplier = p.Multiplier
	}
	if p.RateLimitWait != 0 {
		d.RateLimitWait = p.RateLimitWait
	}
	return d
}

func (p RetryPolicy) validate() error {
	switch {
	case p.MaxAttempts < 0:
		return errors.New("max attempts must not be negative")
	case p.Initial < 0 || p.Max < 0 || p.RateLimitWait < 0:
		return errors.New("durations must not be negative")
	case p.Multiplier < 0 || (p.Multiplier > 0 && p.Multiplier < 1):
		return errors.New("multiplier must be at least 1")
	}
	full := p.withDefaults()
	if full.Initial > full.Max {
		return errors.New("initial backoff exceeds max")
	}
	return nil
}

// Option configures a [Client]. Options validate their argument; an invalid
// one makes [NewClient] fail.
type Option func(*clientOptions) error

type clientOptions struct {
	baseURL    *url.URL
	httpClient *http.Client
	timeout    time.Duration
	limit      rate.Limit
	burst      int
	appID      string
	retry      RetryPolicy
	logger     *slog.Logger
	userAgent  string
	sleep      func(context.Context, time.Duration) error
	allowHTTP  bool
}

// WithBaseURL sets the API base, version included, e.g.
// "https://api.sansan.com/v3.1/". A missing trailing slash is added. Plain
// http is refused except for loopback hosts, unless [WithInsecureHTTP] is
// also given.
func WithBaseURL(rawURL string) Option {
	return func(o *clientOptions) error {
		u, err := apiclient.ParseBaseURL(rawURL)
		if err != nil {
			return err
		}
		o.baseURL = u
		return nil
	}
}

// WithInsecureHTTP allows a plain-http base URL on a non-loopback host, for
// example a test server inside a private network. The API key then travels
// unencrypted.
func WithInsecureHTTP() Option {
	return func(o *clientOptions) error {
		o.allowHTTP = true
		return nil
	}
}

// WithHTTPClient sets the http.Client used to send requests. The client is
// copied, never modified; the copy refuses redirects to another host so the
// API key cannot leak. Without this option a client with [DefaultTimeout] is
// used.
func WithHTTPClient(c *http.Client) Option {
	return func(o *clientOptions) error {
		if c == nil {
			return errors.New("sansan: http client must not be nil")
		}
		o.httpClient = c
		return nil
	}
}

// WithTimeout sets the timeout of the client's http.Client (a copy of the
// one given with [WithHTTPClient], if any).
func WithTimeout(d time.Duration) Option {
	return func(o *clientOptions) error {
		if d <= 0 {
			return errors.New("sansan: timeout must be positive")
		}
		o.timeout = d
		return nil
	}
}

// WithRateLimit sets the client-side rate limit: r requests per second with
// bursts of up to burst requests. The limiter is awaited before every
// attempt, retries included. WithRateLimit(rate.Inf, 0) disables limiting.
// See [DefaultRateLimit].
func WithRateLimit(r rate.Limit, burst int) Option {
	return func(o *clientOptions) error {
		if r == rate.Inf {
			o.limit, o.burst = r, max(burst, 0)
			return nil
		}
		if r <= 0 {
			return errors.New("sansan: rate limit must be positive")
		}
		if burst < 1 {
			return errors.New("sansan: rate limit burst must be at least 1")
		}
		o.limit, o.burst = r, burst
		return nil
	}
}

// WithAppID sets the application id sent in X-Sansan-App-Id, needed only by
// apps registered in Sansan's partner program. Without it the header is not
// sent.
func WithAppID(id string) Option {
	return func(o *clientOptions) error {
		if id == "" || !isAlnum(id) {
			return errors.New("sansan: app id must be non-empty and alphanumeric")
		}
		o.appID = id
		return nil
	}
}

// WithRetry sets the retry policy. See [RetryPolicy] and [DefaultRetryPolicy].
func WithRetry(p RetryPolicy) Option {
	return func(o *clientOptions) error {
		if err := p.validate(); err != nil {
			return fmt.Errorf("sansan: retry policy: %w", err)
		}
		o.retry = p
		return nil
	}
}

// WithLogger sets the logger that receives a debug line per attempt and a
// warning per retry. By default nothing is logged. The API key is redacted
// from every record, should it ever appear in an error message.
func WithLogger(l *slog.Logger) Option {
	return func(o *clientOptions) error {
		if l == nil {
			return errors.New("sansan: logger must not be nil")
		}
		o.logger = l
		return nil
	}
}

// WithUserAgent sets the User-Agent header (default [DefaultUserAgent]).
func WithUserAgent(ua string) Option {
	return func(o *clientOptions) error {
		if ua == "" || strings.ContainsAny(ua, "\r\n\x00") {
			return errors.New("sansan: user agent must be non-empty and on one line")
		}
		o.userAgent = ua
		return nil
	}
}

// WithSleep replaces the function that waits between attempts. It must
// return ctx.Err() when ctx ends first. Tests use it to retry without
// waiting; the default waits on a timer.
func WithSleep(sleep func(ctx context.Context, d time.Duration) error) Option {
	return func(o *clientOptions) error {
		if sleep == nil {
			return errors.New("sansan: sleep function must not be nil")
		}
		o.sleep = sleep
		return nil
	}
}

// Client is a Sansan Open API client for one API key. It is safe for
// concurrent use; create one per key and share it, so that its rate limiter
// sees every request made with that key.
type Client struct {
	api     *apiclient.Client
	baseURL *url.URL
	// redact scrubs the API key from errors. The key lives only in
	// closures, so printing a Client with %+v cannot reveal it.
	redact func(error) error

	common service

	// BizCards reads and registers business cards.
	BizCards *BizCardsService
	// Persons reads persons (all cards of one individual).
	Persons *PersonsService
	// Tags lists tags.
	Tags *TagsService
	// Users reads Sansan users.
	Users *UsersService
}

type service struct{ client *Client }

// NewClient returns a client that authenticates with apiKey, which must be
// the key issued in Sansan's admin screen: ASCII letters and digits only
// (32 of them today). An empty or malformed key is an error here rather
// than a 401 later. The key is only ever sent in the X-Sansan-Api-Key header
// and never appears in URLs, errors or logs.
func NewClient(apiKey string, opts ...Option) (*Client, error) {
	if err := validateAPIKey(apiKey); err != nil {
		return nil, err
	}
	o := clientOptions{
		limit:     DefaultRateLimit,
		burst:     DefaultBurst,
		userAgent: DefaultUserAgent,
	}
	for _, opt := range opts {
		if opt == nil {
			continue
		}
		if err := opt(&o); err != nil {
			return nil, redactError(err, apiKey)
		}
	}
	if o.baseURL == nil {
		u, err := apiclient.ParseBaseURL(DefaultBaseURL)
		if err != nil {
			return nil, err
		}
		o.baseURL = u
	}
	if o.baseURL.Scheme == "http" && !o.allowHTTP && !apiclient.IsLoopback(o.baseURL) {
		return nil, fmt.Errorf("sansan: refusing plain-http base url %q: use https (or WithInsecureHTTP)", o.baseURL.Redacted())
	}

	hc := &http.Client{Timeout: DefaultTimeout}
	if o.httpClient != nil {
		cp := *o.httpClient
		hc = &cp
	}
	if o.timeout > 0 {
		hc.Timeout = o.timeout
	}
	hc.CheckRedirect = sameHostRedirects(hc.CheckRedirect)

	var limiter *rate.Limiter
	if o.limit != rate.Inf {
		limiter = rate.NewLimiter(o.limit, o.burst)
	}
	retry := o.retry.withDefaults()
	logger := o.logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	} else {
		logger = slog.New(&redactHandler{h: logger.Handler(), secret: apiKey})
	}
	appID := o.appID
	api, err := apiclient.New(apiclient.Config{
		BaseURL:    o.baseURL,
		HTTPClient: hc,
		Limiter:    limiter,
		Retry: apiclient.RetryPolicy{
			MaxAttempts: retry.MaxAttempts,
			Initial:     retry.Initial,
			Max:         retry.Max,
			Multiplier:  retry.Multiplier,
		},
		Classify:      classify(retry.RateLimitWait),
		CheckResponse: checkResponse(apiKey),
		Auth: func(_ context.Context, req *http.Request) error {
			req.Header.Set(HeaderAPIKey, apiKey)
			if appID != "" {
				req.Header.Set(HeaderAppID, appID)
			}
			return nil
		},
		Logger:    logger,
		UserAgent: o.userAgent,
		Sleep:     o.sleep,
	})
	if err != nil {
		return nil, fmt.Errorf("sansan: %w", err)
	}
	c := &Client{api: api, baseURL: o.baseURL, redact: func(err error) error { return redactError(err, apiKey) }}
	c.common.client = c
	c.BizCards = (*BizCardsService)(&c.common)
	c.Persons = (*PersonsService)(&c.common)
	c.Tags = (*TagsService)(&c.common)
	c.Users = (*UsersService)(&c.common)
	return c, nil
}

// ErrInvalidAPIKey reports an API key that cannot be valid. The key itself is
// never part of the error.
var ErrInvalidAPIKey = errors.New("sansan: invalid api key")

func validateAPIKey(k string) error {
	switch {
	case k == "":
		return fmt.Errorf("%w: empty", ErrInvalidAPIKey)
	case strings.TrimSpace(k) != k:
		return fmt.Errorf("%w: leading or trailing white space", ErrInvalidAPIKey)
	case len(k) > 256:
		return fmt.Errorf("%w: %d characters is too long", ErrInvalidAPIKey, len(k))
	case !isAlnum(k):
		return fmt.Errorf("%w: only ASCII letters and digits are allowed", ErrInvalidAPIKey)
	}
	return nil
}

func isAlnum(s string) bool {
	for i := 0; i < len(s); i++ {
		b := s[i]
		if (b < '0' || b > '9') && (b < 'a' || b > 'z') && (b < 'A' || b > 'Z') {
			return false
		}
	}
	return true
}

// sameHostRedirects wraps next (nil = the default policy) so that redirects
// to another host or from https to http are refused: Go forwards custom
// headers such as X-Sansan-Api-Key on redirects.
func sameHostRedirects(next func(*http.Request, []*http.Request) error) func(*http.Request, []*http.Request) error {
	return func(req *http.Request, via []*http.Request) error {
		first := via[0].URL
		if req.URL.Host != first.Host || (first.Scheme == "https" && req.URL.Scheme != "https") {
			return fmt.Errorf("sansan: refusing redirect from %s to another host or scheme", first.Host)
		}
		if next != nil {
			return next(req, via)
		}
		if len(via) >= 10 {
			return errors.New("sansan: stopped after 10 redirects")
		}
		return nil
	}
}

// BaseURL returns a copy of the client's base URL.
func (c *Client) BaseURL() *url.URL {
	u := *c.baseURL
	return &u
}

// Requests returns how many HTTP requests (attempts, retries included) the
// client has sent since it was created.
func (c *Client) Requests() int64 { return c.api.Requests() }

// Response wraps the last *http.Response of a call (its body is already
// read and closed) with the paging state of list responses.
type Response struct {
	*http.Response

	// NextPageToken is the token of the next page: pass it as the
	// NextPageToken option to continue. It is empty on the last page.
	NextPageToken string
	// HasMore reports whether the server has more pages.
	HasMore bool
}

func newResponse(r *http.Response) *Response {
	if r == nil {
		return nil
	}
	return &Response{Response: r}
}

// do sends call and returns the response, with errors annotated and
// scrubbed of the API key.
func (c *Client) do(ctx context.Context, call apiclient.Call) (*Response, error) {
	hr, err := c.api.Do(ctx, call)
	scrubRequests(hr)
	resp := newResponse(hr)
	if err != nil {
		var er *ErrorResponse
		if errors.As(err, &er) {
			er.Method = call.Method
			if u, perr := c.baseURL.Parse(call.Path); perr == nil {
				er.URL = u.String()
			}
		}
		return resp, c.redact(err)
	}
	return resp, nil
}

// scrubRequests replaces the requests reachable from resp (the last one
// and those of any redirects) with copies without the API key header, so a
// caller that logs resp.Request.Header cannot leak it.
func scrubRequests(resp *http.Response) {
	for i := 0; resp != nil && resp.Request != nil && i < 20; i++ {
		r := resp.Request.Clone(resp.Request.Context())
		r.Header.Del(HeaderAPIKey)
		resp.Request = r
		resp = r.Response
	}
}

// classify is apiclient's default policy with Sansan's long wait after 429,
// whose responses carry no Retry-After.
func classify(rateLimitWait time.Duration) apiclient.Classifier {
	return func(resp *http.Response, err error, idempotent bool) apiclient.Decision {
		d := apiclient.DefaultClassify(resp, err, idempotent)
		if resp != nil && resp.StatusCode == http.StatusTooManyRequests && d.Retry {
			d.After = max(d.After, rateLimitWait)
		}
		return d
	}
}
