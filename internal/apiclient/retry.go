package apiclient

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// RetryPolicy configures retries of failed attempts. It is the one policy
// type of both clients (sansan.RetryPolicy and hubspot.RetryPolicy are
// aliases of it). As with gax-go's Backoff, a zero field means "the
// client's default" (see [RetryPolicy.WithDefaults]); MaxAttempts 1
// disables retries.
type RetryPolicy struct {
	// MaxAttempts is the total number of attempts, the first included.
	MaxAttempts int
	// Initial is the backoff ceiling before the first retry.
	Initial time.Duration
	// Max caps the backoff ceiling.
	Max time.Duration
	// Multiplier grows the ceiling after each attempt (2 when zero).
	Multiplier float64
	// RateLimitWait is the minimum wait after a 429 response. After
	// consecutive 429s (the client's, across calls, until any other
	// response) it doubles each time, up to RateLimitMaxWait.
	RateLimitWait time.Duration
	// RateLimitMaxWait caps the growing wait after consecutive 429s; at or
	// below RateLimitWait the wait does not grow.
	RateLimitMaxWait time.Duration
}

// WithDefaults returns p with its zero fields taken from d.
func (p RetryPolicy) WithDefaults(d RetryPolicy) RetryPolicy {
	orDefault(&p.MaxAttempts, d.MaxAttempts)
	orDefault(&p.Initial, d.Initial)
	orDefault(&p.Max, d.Max)
	orDefault(&p.Multiplier, d.Multiplier)
	orDefault(&p.RateLimitWait, d.RateLimitWait)
	orDefault(&p.RateLimitMaxWait, d.RateLimitMaxWait)
	return p
}

// orDefault sets *v to d when *v is the zero value.
func orDefault[T comparable](v *T, d T) {
	var zero T
	if *v == zero {
		*v = d
	}
}

// Validate reports a policy that cannot work. Zero fields are valid: they
// stand for defaults.
func (p RetryPolicy) Validate() error {
	switch {
	case p.MaxAttempts < 0:
		return errors.New("retry policy: max attempts must not be negative")
	case p.Initial < 0 || p.Max < 0 || p.RateLimitWait < 0 || p.RateLimitMaxWait < 0:
		return errors.New("retry policy: durations must not be negative")
	case p.Max > 0 && p.Initial > p.Max:
		return errors.New("retry policy: initial backoff exceeds max")
	case p.Multiplier != 0 && !(p.Multiplier >= 1 && !math.IsInf(p.Multiplier, 1)):
		return errors.New("retry policy: multiplier must be a finite number of at least 1")
	}
	return nil
}

// RateLimitBackoff returns the minimum wait after the n-th consecutive 429
// (1-based): RateLimitWait doubled n-1 times, capped at RateLimitMaxWait
// (or at RateLimitWait when that is larger).
func (p RetryPolicy) RateLimitBackoff(n int) time.Duration {
	w := p.RateLimitWait
	if w <= 0 {
		return 0
	}
	ceil := max(p.RateLimitMaxWait, w)
	for i := 1; i < n && w < ceil; i++ {
		w *= 2
	}
	return min(w, ceil)
}

// Backoff returns the full-jitter delay before retry number n (1-based):
// a uniform random duration in [0, min(Max, Initial*Multiplier^(n-1))].
func (p RetryPolicy) Backoff(n int) time.Duration {
	if n < 1 {
		n = 1
	}
	mult := p.Multiplier
	if mult == 0 {
		mult = 2
	}
	ceil := float64(p.Initial) * math.Pow(mult, float64(n-1))
	if p.Max > 0 && ceil > float64(p.Max) {
		ceil = float64(p.Max)
	}
	if !(ceil > 0) { // also catches NaN
		return 0
	}
	// Without a cap the ceiling overflows int64 after a few dozen retries
	// (1s*2^34 > MaxInt64 ns); converting such a float is undefined.
	if ceil >= math.MaxInt64 {
		return time.Duration(rand.Int64N(math.MaxInt64))
	}
	return time.Duration(rand.Int64N(int64(ceil) + 1))
}

// Decision is a classifier's verdict on one failed attempt.
type Decision struct {
	// Retry says whether another attempt may be made.
	Retry bool
	// After is the minimum wait before that attempt (e.g. from Retry-After);
	// the jittered backoff is used when it is larger.
	After time.Duration
	// Reason explains the decision for logs.
	Reason string
}

// Classifier decides whether a failed attempt is retried. resp is nil for
// transport errors; err is the transport error or the error returned by
// Config.CheckResponse. idempotent tells whether replaying the request is
// safe when the server may have processed it.
type Classifier func(resp *http.Response, err error, idempotent bool) Decision

// DefaultClassify retries network errors and 5xx responses of idempotent
// requests, and 429 responses of any request (the server refused it without
// acting), honouring Retry-After when present. Other responses, TLS
// certificate errors and cancelled contexts are final.
func DefaultClassify(resp *http.Response, err error, idempotent bool) Decision {
	if resp == nil {
		if err == nil {
			return Decision{Reason: "no error"}
		}
		if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
			return Decision{Reason: "context done"}
		}
		// The x509 errors are returned as values, not pointers; crypto/tls
		// wraps them all in a *tls.CertificateVerificationError.
		var verifyErr *tls.CertificateVerificationError
		var certErr x509.UnknownAuthorityError
		var hostErr x509.HostnameError
		var invalid x509.CertificateInvalidError
		if errors.As(err, &verifyErr) || errors.As(err, &certErr) || errors.As(err, &hostErr) || errors.As(err, &invalid) {
			return Decision{Reason: "tls certificate error"}
		}
		var uerr *url.Error
		if errors.As(err, &uerr) && uerr.Err != nil && errors.Is(uerr.Err, http.ErrSchemeMismatch) {
			return Decision{Reason: "scheme mismatch"}
		}
		if !idempotent {
			return Decision{Reason: "network error on non-idempotent request"}
		}
		return Decision{Retry: true, Reason: "network error"}
	}
	switch {
	case resp.StatusCode == http.StatusTooManyRequests:
		return Decision{Retry: true, After: RetryAfter(resp.Header, time.Now()), Reason: "rate limited"}
	case resp.StatusCode >= 500:
		if !idempotent {
			return Decision{Reason: fmt.Sprintf("status %d on non-idempotent request", resp.StatusCode)}
		}
		return Decision{Retry: true, After: RetryAfter(resp.Header, time.Now()), Reason: fmt.Sprintf("status %d", resp.StatusCode)}
	}
	return Decision{Reason: fmt.Sprintf("status %d is final", resp.StatusCode)}
}

// maxRetryAfterSeconds is the largest Retry-After in seconds that fits a
// time.Duration.
const maxRetryAfterSeconds = math.MaxInt64 / int64(time.Second)

// RetryAfter parses a Retry-After header given as seconds or an HTTP date,
// returning 0 when it is absent, unparsable or in the past. A value too large
// for a time.Duration saturates at the maximum duration.
func RetryAfter(h http.Header, now time.Time) time.Duration {
	v := h.Get("Retry-After")
	if v == "" {
		return 0
	}
	if secs, err := strconv.ParseInt(v, 10, 64); err == nil || errors.Is(err, strconv.ErrRange) {
		if secs < 0 {
			return 0
		}
		if secs > maxRetryAfterSeconds {
			// Saturate instead of overflowing into a negative duration.
			return time.Duration(math.MaxInt64)
		}
		return time.Duration(secs) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		if d := t.Sub(now); d > 0 {
			return d
		}
	}
	return 0
}

// Sleep waits for d or until ctx is done, returning ctx.Err() in that case.
// It is the default sleeper; tests inject their own through Config.Sleep.
func Sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
