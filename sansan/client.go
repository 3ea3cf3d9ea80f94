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

// RetryPolicy configures retries; it is the same type as
// hubspot.RetryPolicy. Zero fields take the values of [DefaultRetryPolicy];
// set MaxAttempts to 1 to disable retries.
//
// Network errors and 5xx responses are retried for GET requests only; 429
// responses are retried for every request, since the server did not act on
// them. The wait before retry n is a random duration up to
// min(Max, Initial*Multiplier^(n-1)) ("full jitter"). After a 429 it is at
// least RateLimitWait, doubling with every consecutive 429 up to
// RateLimitMaxWait, or the retry_after of the 429 body (or a Retry-After
// header) when longer: Sansan does not say when its limit resets, and its
// own kintone plugin tells users to wait five minutes after a 429.
type RetryPolicy = apiclient.RetryPolicy

// RetryEvent describes a retry the client is about to wait for; see
// [WithRetryHook]. It is the same type as hubspot.RetryEvent.
type RetryEvent = apiclient.RetryEvent

// DefaultRetryPolicy is used for the zero fields of the policy given to
// [WithRetry]: 4 attempts, backoff from 1 s up to 30 s, and after 429s a
// wait of 30 s, 1 min, 2 min, 4 min, then 5 min while they persist.
var DefaultRetryPolicy = RetryPolicy{
	MaxAttempts:      4,
	Initial:          time.Second,
	Max:              30 * time.Second,
	Multiplier:       2,
	RateLimitWait:    30 * time.Second,
	RateLimitMaxWait: 5 * time.Minute,
}

// Option configures a [Client]. Options validate their argument; an invalid
// one makes [NewClient] fail. The options both clients share have the same
// names and meaning in package hubspot.
type Option func(*clientOptions) error

type clientOptions struct {
	apiclient.Settings
	appID    string
	version  string
	versions map[Endpoint]string
	maxBody  int64
}

// DefaultMaxResponseSize caps a successful response body unless
// [WithMaxResponseSize] is given: 32 MiB, about a hundred times a full page
// of 300 ordinary cards.
const DefaultMaxResponseSize = 32 << 20

// WithMaxResponseSize caps successful response bodies at n bytes (at least
// 1 KiB; default [DefaultMaxResponseSize]), so a broken or hostile server
// cannot make the client buffer without bound. A larger body is not
// decoded: the call fails with a [*ResponseTooLargeError] matching
// [ErrResponseTooLarge]. Error bodies have their own, smaller cap.
func WithMaxResponseSize(n int64) Option {
	return func(o *clientOptions) error {
		if err := o.SetMaxBody(n); err != nil {
			return err
		}
		o.maxBody = n
		return nil
	}
}

// WithBaseURL sets the API base, version included (default
// [DefaultBaseURL]). A missing trailing slash is added. Plain http is
// refused except for loopback hosts, unless [WithInsecureBaseURL] is also
// given.
func WithBaseURL(rawURL string) Option {
	return func(o *clientOptions) error { return o.SetBaseURL(rawURL) }
}

// WithInsecureBaseURL allows a plain-http base URL on a non-loopback host,
// for example a test server inside a private network. The API key then
// travels unencrypted.
func WithInsecureBaseURL() Option {
	return func(o *clientOptions) error { return o.SetInsecureBaseURL() }
}

// WithInsecureHTTP is the former name of [WithInsecureBaseURL].
//
// Deprecated: use WithInsecureBaseURL, the name both clients share. This
// alias will be removed in the next release.
func WithInsecureHTTP() Option { return WithInsecureBaseURL() }

// WithHTTPClient sets the http.Client used to send requests. The client is
// copied, never modified; the copy refuses redirects to another host so the
// API key cannot leak, and a zero Timeout in it becomes [DefaultTimeout].
func WithHTTPClient(c *http.Client) Option {
	return func(o *clientOptions) error { return o.SetHTTPClient(c) }
}

// WithTimeout sets the timeout of the client's http.Client (a copy of the
// one given with [WithHTTPClient], if any); default [DefaultTimeout].
func WithTimeout(d time.Duration) Option {
	return func(o *clientOptions) error { return o.SetTimeout(d) }
}

// WithRateLimit sets the client-side rate limit: r requests per second with
// bursts of up to burst requests. The limiter is awaited before every
// attempt, retries included. WithRateLimit(rate.Inf, 0) disables limiting.
// See [DefaultRateLimit]. Sansan has no separate search limit, so there is
// no WithSearchRateLimit here.
func WithRateLimit(r rate.Limit, burst int) Option {
	return func(o *clientOptions) error { return o.SetRateLimit(r, burst) }
}

// WithRetry sets the retry policy; its zero fields take the values of
// [DefaultRetryPolicy]. See [RetryPolicy].
func WithRetry(p RetryPolicy) Option {
	return func(o *clientOptions) error { return o.SetRetry(p) }
}

// WithLogger sets the logger that receives a debug line per attempt and a
// warning per retry. By default nothing is logged. The API key is scrubbed
// from every record, should it ever appear in an error message.
func WithLogger(l *slog.Logger) Option {
	return func(o *clientOptions) error { return o.SetLogger(l) }
}

// WithUserAgent sets the User-Agent header (default [DefaultUserAgent]).
func WithUserAgent(ua string) Option {
	return func(o *clientOptions) error { return o.SetUserAgent(ua) }
}

// WithSleep replaces the function that waits between attempts. It must
// return ctx.Err() when ctx ends first. Tests use it to retry without
// waiting; the default waits on a timer.
func WithSleep(sleep func(ctx context.Context, d time.Duration) error) Option {
	return func(o *clientOptions) error { return o.SetSleep(sleep) }
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
// a sync engine given a *Client it did not build uses it to report the
// waits of 429s (30 s up to 5 min) per pass.
func ContextWithRetryHook(ctx context.Context, hook func(ctx context.Context, ev RetryEvent)) context.Context {
	return apiclient.ContextWithRetryHook(ctx, hook)
}

// WithRetryHook makes the client call hook before every wait for a retry,
// with the attempt, the wait and, for 429s, how many came in a row: a sync
// engine uses it to report rate-limit pauses.
func WithRetryHook(hook func(ctx context.Context, ev RetryEvent)) Option {
	return func(o *clientOptions) error { return o.SetRetryHook(hook) }
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

// Client is a Sansan Open API client for one API key. It is safe for
// concurrent use; create one per key and share it, so that its rate limiter
// sees every request made with that key.
type Client struct {
	// api holds the API key only in closures and its scrubber, so
	// printing a Client with %+v cannot reveal it.
	api     *apiclient.Client
	baseURL *url.URL
	// bases holds the base URL of the endpoint families whose API version
	// differs from the base URL's (version).
	bases    map[Endpoint]*url.URL
	versions map[Endpoint]string
	// maxBody caps successful response bodies (WithMaxResponseSize).
	maxBody int64

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
	o := clientOptions{Settings: apiclient.Settings{
		Service:          "sansan",
		DefaultBaseURL:   DefaultBaseURL,
		DefaultTimeout:   DefaultTimeout,
		DefaultLimit:     DefaultRateLimit,
		DefaultBurst:     DefaultBurst,
		DefaultRetry:     DefaultRetryPolicy,
		DefaultUserAgent: DefaultUserAgent,
	}}
	for _, opt := range opts {
		if opt == nil {
			continue
		}
		if err := opt(&o); err != nil {
			return nil, err
		}
	}
	appID := o.appID
	if o.maxBody == 0 {
		o.maxBody = DefaultMaxResponseSize
		if err := o.SetMaxBody(o.maxBody); err != nil {
			return nil, err
		}
	}
	api, err := o.Build(apiclient.Config{
		Classify:      classify,
		CheckResponse: checkResponse,
		Secrets:       []string{apiKey},
		Auth: func(_ context.Context, req *http.Request) ([]string, error) {
			req.Header.Set(HeaderAPIKey, apiKey)
			if appID != "" {
				req.Header.Set(HeaderAppID, appID)
			}
			return nil, nil
		},
	})
	if err != nil {
		return nil, err
	}
	c := &Client{api: api, baseURL: api.BaseURL(), maxBody: o.maxBody}
	c.bases, c.versions, err = versionedBases(c.baseURL, o.version, o.versions)
	if err != nil {
		return nil, err
	}
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

// BaseURL returns a copy of the client's base URL.
func (c *Client) BaseURL() *url.URL {
	u := *c.baseURL
	return &u
}

// Requests returns how many HTTP requests (attempts, retries included) the
// client has sent since it was created.
func (c *Client) Requests() int64 { return c.api.Requests() }

// RateLimit returns the proactive limit of the client's calls in requests
// per second, as set by [WithRateLimit] (rate.Inf when disabled). The sync
// engine sizes its concurrent listings from it.
func (c *Client) RateLimit() rate.Limit { return c.api.RateLimit() }

// Response wraps the last *http.Response of a call (its body is already
// read and closed) with the paging state of list responses.
type Response struct {
	*http.Response

	// NextPageToken is the token of the next page: pass it as the
	// NextPageToken option to continue. It is empty on the last page.
	NextPageToken string
	// HasMore reports whether the server has more pages.
	HasMore bool
	// Undecodable lists the cards of a card list page
	// ([BizCardsService.List], [BizCardsService.Search]) that the client
	// could not decode, in page order; they are missing from the cards
	// returned. Empty for every other call. See [CardDecodeError].
	Undecodable []*CardDecodeError
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
	ep := endpointOf(call.Method, call.Path)
	base := c.baseURL
	if b := c.bases[ep]; b != nil {
		call.Base, base = b, b
	}
	hr, err := c.api.Do(ctx, call)
	resp := newResponse(hr)
	if err != nil {
		where := ""
		if u, perr := base.Parse(call.Path); perr == nil {
			where = u.String()
		}
		var er *ErrorResponse
		if errors.As(err, &er) {
			er.Method, er.URL = call.Method, where
		}
		var tl *apiclient.BodyTooLargeError
		if errors.As(err, &tl) {
			return resp, &ResponseTooLargeError{Method: call.Method, URL: where, Limit: tl.Limit}
		}
		return resp, err
	}
	return resp, nil
}

// APIVersion returns the API version the client sends requests of an
// endpoint family to, e.g. "v3.2" ("" when the base URL has no version
// segment).
func (c *Client) APIVersion(ep Endpoint) string { return c.versions[ep] }

// classify is apiclient's default policy; the growing wait after
// consecutive 429s comes from RetryPolicy.RateLimitWait. A 429 body's
// retry_after (seconds), which one public client reads, is honoured when it
// asks for longer.
func classify(resp *http.Response, err error, idempotent bool) apiclient.Decision {
	d := apiclient.DefaultClassify(resp, err, idempotent)
	if resp != nil && resp.StatusCode == http.StatusTooManyRequests && d.Retry {
		var er *ErrorResponse
		if errors.As(err, &er) && er.RetryAfter > 0 {
			d.After = max(d.After, er.RetryAfter)
		}
	}
	return d
}
