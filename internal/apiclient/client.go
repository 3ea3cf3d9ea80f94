package apiclient

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"sync/atomic"
	"time"

	"github.com/google/go-querystring/query"
	"golang.org/x/time/rate"
)

// DefaultMaxErrorBody caps how much of an error response body is read and
// kept, so a misbehaving proxy cannot make the client buffer megabytes.
const DefaultMaxErrorBody = 64 << 10

// MaxRetryAfter is the longest server-requested wait Do sleeps through
// before a retry; a longer Retry-After ends the call with its error.
const MaxRetryAfter = 15 * time.Minute

// DefaultMaxBody caps a successful response body (32 MiB).
const DefaultMaxBody = 32 << 20

// Config holds everything a Client needs. BaseURL and HTTPClient are
// required; the rest have safe defaults. The public clients fill it through
// [Settings.Build].
type Config struct {
	// Service is the public package name that starts error messages
	// ("apiclient" when empty).
	Service string
	// BaseURL is the absolute base with a trailing slash; relative paths
	// resolve against it.
	BaseURL *url.URL
	// HTTPClient sends requests. New copies it and refuses redirects that
	// leave the original scheme and host, which would hand the credentials
	// set by Auth to another server; the caller's client is not modified.
	HTTPClient *http.Client
	// Limiter, when set, is awaited before every attempt, retries included.
	Limiter *rate.Limiter
	// SearchLimiter, when set, is awaited before every attempt of a call
	// with Call.Search set.
	SearchLimiter *rate.Limiter
	// SearchNotCounted makes search calls skip Limiter; by default they
	// wait for both limiters.
	SearchNotCounted bool
	// Retry configures retries; MaxAttempts 0 means a single attempt.
	Retry RetryPolicy
	// Classify decides which failures are retried (DefaultClassify when nil).
	Classify Classifier
	// CheckResponse turns a non-2xx response and its capped body into an
	// error (an *HTTPError when it is nil or returns nil).
	CheckResponse func(resp *http.Response, body []byte) error
	// Auth sets credentials on the outgoing request, which is already a
	// clone owned by this call, and reports the secrets it used: the client
	// scrubs them from error bodies, errors, logs and the requests reachable
	// from responses.
	Auth func(ctx context.Context, req *http.Request) (secrets []string, err error)
	// Secrets are scrubbed like the ones Auth reports, from the start.
	Secrets []string
	// RetryHook, when set, is called before every wait for a retry.
	RetryHook func(ctx context.Context, ev RetryEvent)
	// Logger receives debug lines per attempt and warnings per retry.
	Logger *slog.Logger
	// UserAgent is sent as User-Agent.
	UserAgent string
	// Sleep waits between attempts (Sleep when nil); tests inject a fake.
	Sleep func(ctx context.Context, d time.Duration) error
	// MaxErrorBody caps error bodies (DefaultMaxErrorBody when 0).
	MaxErrorBody int64
	// MaxBody caps success bodies (DefaultMaxBody when 0).
	MaxBody int64
}

// Client sends Calls according to its Config. It is safe for concurrent use.
type Client struct {
	cfg      Config
	requests atomic.Int64
	secrets  secrets
	// rateLimited counts consecutive 429 responses, for the growing wait
	// of RetryPolicy.RateLimitWait.
	rateLimited atomic.Int64
}

// RetryEvent describes a retry about to be waited for.
type RetryEvent struct {
	// Method and URL identify the request; URL is sanitized.
	Method, URL string
	// Attempt is the number of the attempt that failed (1 for the first).
	Attempt int
	// StatusCode is the failed attempt's status, 0 for a transport error.
	StatusCode int
	// Wait is how long the client waits before the next attempt.
	Wait time.Duration
	// Reason explains the retry, e.g. "rate limited".
	Reason string
	// RateLimited counts the consecutive 429 responses so far (0 when the
	// failure was not a 429).
	RateLimited int
}

// New validates cfg and returns a Client.
func New(cfg Config) (*Client, error) {
	if cfg.Service == "" {
		cfg.Service = "apiclient"
	}
	if cfg.BaseURL == nil {
		return nil, fmt.Errorf("%s: base url is required", cfg.Service)
	}
	if cfg.HTTPClient == nil {
		return nil, fmt.Errorf("%s: http client is required", cfg.Service)
	}
	hc := *cfg.HTTPClient
	hc.CheckRedirect = sameHostRedirects(cfg.HTTPClient.CheckRedirect)
	cfg.HTTPClient = &hc
	if cfg.Retry.MaxAttempts == 0 {
		cfg.Retry.MaxAttempts = 1
	}
	if err := cfg.Retry.Validate(); err != nil {
		return nil, fmt.Errorf("%s: %w", cfg.Service, err)
	}
	if cfg.Classify == nil {
		cfg.Classify = DefaultClassify
	}
	c := &Client{secrets: newSecrets(cfg.Secrets)}
	cfg.Secrets = nil // kept only in c.secrets, out of reach of %+v
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	} else {
		// One redaction path: every record passes through the client's
		// scrubber, whoever logs it.
		cfg.Logger = slog.New(&redactHandler{h: cfg.Logger.Handler(), redact: c.Redact})
	}
	if cfg.Sleep == nil {
		cfg.Sleep = Sleep
	}
	if cfg.MaxErrorBody <= 0 {
		cfg.MaxErrorBody = DefaultMaxErrorBody
	}
	if cfg.MaxBody <= 0 {
		cfg.MaxBody = DefaultMaxBody
	}
	c.cfg = cfg
	return c, nil
}

// errorf returns an error whose message starts with the service name.
func (c *Client) errorf(format string, args ...any) error {
	return fmt.Errorf(c.cfg.Service+": "+format, args...)
}

// Logger returns the client's logger, which scrubs the client's secrets.
func (c *Client) Logger() *slog.Logger { return c.cfg.Logger }

// sameHostRedirects wraps next (net/http's default policy when nil) so that
// a redirect to another host, or from https to http, is not followed: unless
// next already refused it, the 3xx response is returned instead. net/http strips Authorization on such
// redirects but forwards custom headers such as an API key header.
func sameHostRedirects(next func(*http.Request, []*http.Request) error) func(*http.Request, []*http.Request) error {
	return func(req *http.Request, via []*http.Request) error {
		// The caller's policy decides first, so a client that already
		// refuses such redirects keeps its own error.
		if next != nil {
			if err := next(req, via); err != nil {
				return err
			}
		} else if len(via) >= 10 {
			return errors.New("stopped after 10 redirects")
		}
		first := via[0].URL
		if !strings.EqualFold(req.URL.Host, first.Host) || (first.Scheme == "https" && req.URL.Scheme != "https") {
			return http.ErrUseLastResponse
		}
		return nil
	}
}

// BaseURL returns a copy of the base URL.
func (c *Client) BaseURL() *url.URL {
	u := *c.cfg.BaseURL
	return &u
}

// Requests returns how many HTTP requests (attempts, retries included) this
// client has sent since it was created.
func (c *Client) Requests() int64 { return c.requests.Load() }

// SearchRateLimit returns the proactive limit of search calls in requests
// per second: rate.Inf when they have none of their own.
func (c *Client) SearchRateLimit() rate.Limit {
	if c.cfg.SearchLimiter == nil {
		return rate.Inf
	}
	return c.cfg.SearchLimiter.Limit()
}

// RateLimit returns the proactive limit of the client's calls in requests
// per second: rate.Inf when it has none.
func (c *Client) RateLimit() rate.Limit {
	if c.cfg.Limiter == nil {
		return rate.Inf
	}
	return c.cfg.Limiter.Limit()
}

// Call describes one logical API call.
type Call struct {
	// Method is the HTTP method.
	Method string
	// Path is relative to the base URL, already escaped (see Path).
	Path string
	// Base, when set, replaces the client's base URL for this call (e.g.
	// another API version of the same host). It must have the scheme and
	// host of the client's base URL.
	Base *url.URL
	// Query is url.Values, or a struct encoded with go-querystring, or nil.
	Query any
	// Body is JSON-encoded once and replayed on retries; nil sends no body.
	Body any
	// Header holds extra request headers.
	Header http.Header
	// Out receives the decoded JSON response, or the raw body when it is an
	// io.Writer; nil discards the body.
	Out any
	// Idempotent overrides the method's default (GET, HEAD, PUT, DELETE and
	// OPTIONS are idempotent; POST and PATCH are not).
	Idempotent *bool
	// Limiter overrides Config.Limiter for this call.
	Limiter *rate.Limiter
	// Search marks a search call: it waits for Config.SearchLimiter, and
	// for Config.Limiter too unless Config.SearchNotCounted.
	Search bool
}

// HTTPError is the default error for a non-2xx response.
type HTTPError struct {
	// Method and URL identify the request; URL is sanitized.
	Method, URL string
	// StatusCode is the HTTP status.
	StatusCode int
	// Body is the response body, capped.
	Body []byte
}

// Error implements error.
func (e *HTTPError) Error() string {
	return fmt.Sprintf("%s %s: status %d", e.Method, e.URL, e.StatusCode)
}

// buildURL resolves path and query against base (the client's when nil).
func (c *Client) buildURL(base *url.URL, path string, q any) (*url.URL, error) {
	if base == nil {
		base = c.cfg.BaseURL
	} else if base.Scheme != c.cfg.BaseURL.Scheme || !strings.EqualFold(base.Host, c.cfg.BaseURL.Host) {
		return nil, c.errorf("call base %q is not on the client's host", SanitizeURL(base))
	}
	if strings.HasPrefix(path, "/") || strings.Contains(path, "://") {
		return nil, c.errorf("path %q must be relative", path)
	}
	rawPath, _, _ := strings.Cut(path, "?")
	rawPath, _, _ = strings.Cut(rawPath, "#")
	for _, seg := range strings.Split(rawPath, "/") {
		// An escaped dot segment ("%2e%2e") is decoded by many servers too.
		if un, err := url.PathUnescape(seg); seg == ".." || seg == "." || (err == nil && (un == ".." || un == ".")) {
			return nil, c.errorf("%w in %q", ErrInvalidPath, path)
		}
	}
	// The "./" prefix keeps a colon in the first segment (an id such as
	// "a:b") from being parsed as a URL scheme.
	u, err := base.Parse("./" + path)
	if err != nil {
		return nil, c.errorf("path %q: %w", path, unwrapURLError(err))
	}
	vals, err := encodeQuery(q)
	if err != nil {
		return nil, c.errorf("%w", err)
	}
	if len(vals) > 0 {
		u.RawQuery = vals.Encode()
	}
	return u, nil
}

func encodeQuery(q any) (url.Values, error) {
	switch v := q.(type) {
	case nil:
		return nil, nil
	case url.Values:
		return v, nil
	}
	rv := reflect.ValueOf(q)
	if rv.Kind() == reflect.Pointer && rv.IsNil() {
		return nil, nil
	}
	vals, err := query.Values(q)
	if err != nil {
		return nil, fmt.Errorf("encode query: %w", err)
	}
	return vals, nil
}

// NewRequest builds the request of call without sending it. The body is
// encoded once and GetBody replays it.
func (c *Client) NewRequest(ctx context.Context, call Call) (*http.Request, error) {
	u, err := c.buildURL(call.Base, call.Path, call.Query)
	if err != nil {
		return nil, err
	}
	var body []byte
	if call.Body != nil {
		if raw, ok := call.Body.(json.RawMessage); ok {
			body = raw
		} else if body, err = json.Marshal(call.Body); err != nil {
			return nil, c.errorf("encode body: %w", err)
		}
	}
	req, err := http.NewRequestWithContext(ctx, call.Method, u.String(), nil)
	if err != nil {
		return nil, c.errorf("%w", err)
	}
	if body != nil {
		req.Body = io.NopCloser(bytes.NewReader(body))
		req.ContentLength = int64(len(body))
		req.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Accept", "application/json")
	if c.cfg.UserAgent != "" {
		req.Header.Set("User-Agent", c.cfg.UserAgent)
	}
	// Caller headers replace the defaults above instead of duplicating them.
	for k := range call.Header {
		req.Header.Del(k)
	}
	for k, vs := range call.Header {
		for _, v := range vs {
			req.Header.Add(k, v)
		}
	}
	return req, nil
}

func idempotent(call Call) bool {
	if call.Idempotent != nil {
		return *call.Idempotent
	}
	switch call.Method {
	case http.MethodGet, http.MethodHead, http.MethodPut, http.MethodDelete, http.MethodOptions:
		return true
	}
	return false
}

// Do sends call, retrying as the policy and classifier allow, and decodes a
// 2xx body into call.Out. It returns the last response (body consumed and
// closed) when one was received, so callers can read status and headers even
// with an error. A cancelled ctx ends the call with ctx.Err().
//
// The client's secrets are scrubbed from the error and from the requests
// reachable from the response.
func (c *Client) Do(ctx context.Context, call Call) (*http.Response, error) {
	resp, err := c.do(ctx, call)
	c.scrubRequests(resp)
	return resp, c.RedactError(err)
}

func (c *Client) do(ctx context.Context, call Call) (*http.Response, error) {
	req, err := c.NewRequest(ctx, call)
	if err != nil {
		return nil, err
	}
	// A done ctx sends nothing; transports differ in whether they notice.
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	limiters := c.limiters(call)
	idem := idempotent(call)
	where := SanitizeURL(req.URL)
	log := c.cfg.Logger
	for attempt := 1; ; attempt++ {
		for _, l := range limiters {
			if err := l.Wait(ctx); err != nil {
				if ctxErr := ctx.Err(); ctxErr != nil {
					return nil, ctxErr
				}
				return nil, c.errorf("rate limiter: %w", err)
			}
		}
		if err := checkSend(ctx, req); err != nil {
			return nil, err
		}
		resp, err := c.attempt(ctx, req, call.Out)
		limited := 0
		if resp != nil {
			if resp.StatusCode == http.StatusTooManyRequests {
				limited = int(c.rateLimited.Add(1))
			} else {
				c.rateLimited.Store(0)
			}
		}
		if err == nil {
			return resp, nil
		}
		if ctxErr := ctx.Err(); ctxErr != nil {
			return resp, ctxErr
		}
		var terr *transportError
		if resp == nil && !errors.As(err, &terr) {
			// No response and not a transport failure: the request was never
			// sent (auth or request building failed); retrying cannot help.
			return nil, err
		}
		d := c.cfg.Classify(resp, err, idem)
		if d.Retry && limited > 0 {
			d.After = max(d.After, c.cfg.Retry.RateLimitBackoff(limited))
		}
		if d.Retry && d.After > MaxRetryAfter {
			// A server asking for a longer pause gets the error back rather
			// than a call blocked for that long.
			d = Decision{Reason: fmt.Sprintf("server asks to wait %s", d.After)}
		}
		if !d.Retry || attempt >= c.cfg.Retry.MaxAttempts {
			if d.Retry {
				log.WarnContext(ctx, "giving up after retries", "method", req.Method, "url", where, "attempts", attempt, "reason", d.Reason)
			}
			return resp, err
		}
		wait := max(c.cfg.Retry.Backoff(attempt), d.After)
		log.WarnContext(ctx, "retrying request", "method", req.Method, "url", where, "attempt", attempt, "delay", wait, "reason", d.Reason)
		if hook := contextRetryHook(ctx); c.cfg.RetryHook != nil || hook != nil {
			ev := RetryEvent{Method: req.Method, URL: where, Attempt: attempt, Wait: wait, Reason: d.Reason, RateLimited: limited}
			if resp != nil {
				ev.StatusCode = resp.StatusCode
			}
			if c.cfg.RetryHook != nil {
				c.cfg.RetryHook(ctx, ev)
			}
			if hook != nil {
				hook(ctx, ev)
			}
		}
		if err := c.cfg.Sleep(ctx, wait); err != nil {
			return resp, err
		}
	}
}

type retryHookKey struct{}

// ContextWithRetryHook returns a context that makes every call made with it
// report its retries to hook, in addition to Config.RetryHook. Code that
// receives a client already built (a sync engine) uses it to observe the
// waits of its own calls.
func ContextWithRetryHook(ctx context.Context, hook func(ctx context.Context, ev RetryEvent)) context.Context {
	return context.WithValue(ctx, retryHookKey{}, hook)
}

type sendCheckKey struct{}

// ContextWithSendCheck returns a copy of ctx whose calls run check
// immediately before every attempt is sent, after the rate limiters'
// waits: an error from it fails the call unsent. Checks already on ctx run
// first, then this one.
func ContextWithSendCheck(ctx context.Context, check func(ctx context.Context, method, path string) error) context.Context {
	if check == nil {
		return ctx
	}
	if prev := contextSendCheck(ctx); prev != nil {
		inner := check
		check = func(ctx context.Context, method, path string) error {
			if err := prev(ctx, method, path); err != nil {
				return err
			}
			return inner(ctx, method, path)
		}
	}
	return context.WithValue(ctx, sendCheckKey{}, check)
}

func contextSendCheck(ctx context.Context) func(context.Context, string, string) error {
	h, _ := ctx.Value(sendCheckKey{}).(func(context.Context, string, string) error)
	return h
}

// checkSend runs ctx's send check for req, if any.
func checkSend(ctx context.Context, req *http.Request) error {
	check := contextSendCheck(ctx)
	if check == nil {
		return nil
	}
	return check(ctx, req.Method, req.URL.Path)
}

func contextRetryHook(ctx context.Context) func(context.Context, RetryEvent) {
	h, _ := ctx.Value(retryHookKey{}).(func(context.Context, RetryEvent))
	return h
}

// limiters returns the limiters call waits for, in order.
func (c *Client) limiters(call Call) []*rate.Limiter {
	var ls []*rate.Limiter
	switch {
	case call.Limiter != nil:
		ls = append(ls, call.Limiter)
	case call.Search && c.cfg.SearchLimiter != nil:
		ls = append(ls, c.cfg.SearchLimiter)
		if !c.cfg.SearchNotCounted && c.cfg.Limiter != nil {
			ls = append(ls, c.cfg.Limiter)
		}
	case c.cfg.Limiter != nil:
		ls = append(ls, c.cfg.Limiter)
	}
	return ls
}

// transportError marks an error from the transport rather than the API.
type transportError struct{ err error }

func (e *transportError) Error() string { return e.err.Error() }
func (e *transportError) Unwrap() error { return e.err }

func (c *Client) attempt(ctx context.Context, orig *http.Request, out any) (*http.Response, error) {
	req := orig.Clone(ctx)
	if orig.GetBody != nil {
		b, err := orig.GetBody()
		if err != nil {
			return nil, c.errorf("replay body: %w", err)
		}
		req.Body = b
	}
	if c.cfg.Auth != nil {
		secrets, err := c.cfg.Auth(ctx, req)
		if err != nil {
			return nil, c.errorf("auth: %w", err)
		}
		c.secrets.add(secrets)
	}
	c.requests.Add(1)
	where := SanitizeURL(req.URL)
	start := time.Now()
	resp, err := c.cfg.HTTPClient.Do(req)
	if err != nil {
		// *url.Error repeats the raw URL; swap it for the sanitized one
		// before the error reaches a log or the caller.
		terr := &transportError{err: c.errorf("%s %s: %w", req.Method, where, unwrapURLError(err))}
		c.cfg.Logger.DebugContext(ctx, "request failed", "method", req.Method, "url", where, "error", terr)
		return nil, terr
	}
	defer func() {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 4<<10))
		resp.Body.Close()
	}()
	c.cfg.Logger.DebugContext(ctx, "request done", "method", req.Method, "url", where, "status", resp.StatusCode, "elapsed", time.Since(start))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		body, _ := io.ReadAll(io.LimitReader(resp.Body, c.cfg.MaxErrorBody))
		body = c.redactBytes(body)
		if c.cfg.CheckResponse != nil {
			// A nil from CheckResponse must not turn a failed call into a
			// success with an undecoded Out; fall back to *HTTPError.
			if err := c.cfg.CheckResponse(resp, body); err != nil {
				return resp, err
			}
		}
		return resp, &HTTPError{Method: req.Method, URL: where, StatusCode: resp.StatusCode, Body: body}
	}
	if err := decodeBody(resp.Body, out, c.cfg.MaxBody, resp.ContentLength); err != nil {
		return resp, c.errorf("%s %s: %w", req.Method, where, err)
	}
	return resp, nil
}

func unwrapURLError(err error) error {
	var uerr *url.Error
	if errors.As(err, &uerr) {
		return uerr.Err
	}
	return err
}

// ErrBodyTooLarge reports a response body over the configured cap; the
// error is a *BodyTooLargeError.
var ErrBodyTooLarge = errors.New("response body too large")

// BodyTooLargeError reports a 2xx response body over Config.MaxBody. It
// matches ErrBodyTooLarge.
type BodyTooLargeError struct {
	// Limit is the cap in bytes.
	Limit int64
}

// Error implements error.
func (e *BodyTooLargeError) Error() string {
	return fmt.Sprintf("response body over the %d-byte limit", e.Limit)
}

// Is matches ErrBodyTooLarge.
func (e *BodyTooLargeError) Is(target error) bool { return target == ErrBodyTooLarge }

// BodyDecoder is implemented by a Call.Out that decodes the 2xx body
// itself: Do reads the body (at most Config.MaxBody bytes) and calls
// DecodeBody with it instead of decoding it as JSON into Out. An empty or
// whitespace-only body is ErrEmptyBody, as for any Out, and DecodeBody is
// not called.
type BodyDecoder interface {
	DecodeBody(data []byte) error
}

// OversizeScanner is implemented by a Call.Out that can learn something
// from a 2xx body over Config.MaxBody without keeping it: Do calls
// ScanOversized with a reader of the whole body, from its first byte (the
// part already read, then the rest of the stream), and then fails the call
// with a *BodyTooLargeError. ScanOversized must bound what it reads and
// keeps; whatever it finds it keeps in the Out for the caller.
type OversizeScanner interface {
	ScanOversized(body io.Reader)
}

// decodeBody decodes JSON into out, tolerating an empty body, unknown fields
// and nulls; an io.Writer receives the raw bytes instead, and a
// BodyDecoder the body to decode itself.
//
// size is the Content-Length when known (-1 otherwise): reading into a
// buffer of that size avoids io.ReadAll's repeated growth, which for a
// 300-card Sansan page allocated about twice the body.
func decodeBody(r io.Reader, out any, limit, size int64) error {
	if out == nil {
		return nil
	}
	lr := &io.LimitedReader{R: r, N: limit + 1}
	if w, ok := out.(io.Writer); ok {
		n, err := io.Copy(w, lr)
		if err != nil {
			return fmt.Errorf("read body: %w", err)
		}
		if n > limit {
			return &BodyTooLargeError{Limit: limit}
		}
		return nil
	}
	var data []byte
	var err error
	if size > 0 && size <= limit {
		data = make([]byte, size)
		n := 0
		for n < len(data) && err == nil {
			var m int
			m, err = lr.Read(data[n:])
			n += m
		}
		data = data[:n]
		if err == nil { // a body longer than announced, up to the cap
			var rest []byte
			if rest, err = io.ReadAll(lr); len(rest) > 0 {
				data = append(data, rest...)
			}
		} else if err == io.EOF { // as io.ReadAll: EOF ends the body
			err = nil
		}
	} else {
		data, err = io.ReadAll(lr)
	}
	if err != nil {
		return fmt.Errorf("read body: %w", err)
	}
	if int64(len(data)) > limit {
		if sc, ok := out.(OversizeScanner); ok {
			sc.ScanOversized(io.MultiReader(bytes.NewReader(data), r))
		}
		return &BodyTooLargeError{Limit: limit}
	}
	if d, ok := out.(BodyDecoder); ok {
		if len(bytes.TrimSpace(data)) == 0 {
			return ErrEmptyBody
		}
		return d.DecodeBody(data)
	}
	return DecodeJSON(data, out)
}

// ErrEmptyBody reports a 2xx response without the JSON body the call needs.
var ErrEmptyBody = errors.New("empty response body")

// DecodeJSON decodes data into out, ignoring unknown fields. An empty or
// whitespace-only body is ErrEmptyBody, since every caller that passes out
// expects a document; a body that is not JSON (an HTML page from a proxy,
// say) is a *DecodeError holding a short prefix of it.
func DecodeJSON(data []byte, out any) error {
	if len(bytes.TrimSpace(data)) == 0 {
		return ErrEmptyBody
	}
	if err := json.Unmarshal(data, out); err != nil {
		return &DecodeError{Err: err, Prefix: prefix(data, 120)}
	}
	return nil
}

// DecodeError reports a response body that is not the expected JSON.
type DecodeError struct {
	Err    error
	Prefix string
}

// Error implements error.
func (e *DecodeError) Error() string {
	return fmt.Sprintf("decode response: %v (body starts %q)", e.Err, e.Prefix)
}

// Unwrap returns the JSON error.
func (e *DecodeError) Unwrap() error { return e.Err }

func prefix(b []byte, n int) string {
	if len(b) > n {
		b = b[:n]
	}
	return strings.ToValidUTF8(string(b), "?")
}
