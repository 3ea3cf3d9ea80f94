package apiclient

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
)

// ErrInvalidPath reports a path parameter that cannot be placed in a URL
// safely: empty, "." or "..", which would change the resolved endpoint.
var ErrInvalidPath = errors.New("invalid path parameter")

// Path builds a relative request path from a format whose %s verbs are
// replaced by the escaped parts, e.g. Path("bizCards/%s/tags", id). Each part
// is escaped with url.PathEscape, so "/" or "?" inside an id cannot reach
// another endpoint; empty, "." and ".." parts are rejected.
func Path(format string, parts ...string) (string, error) {
	args := make([]any, len(parts))
	for i, p := range parts {
		if p == "" || p == "." || p == ".." {
			return "", fmt.Errorf("%w: %q", ErrInvalidPath, p)
		}
		args[i] = url.PathEscape(p)
	}
	return fmt.Sprintf(format, args...), nil
}

// ParseBaseURL parses a client base URL, requiring an absolute http or https
// URL without query, fragment or user info, and appending the trailing slash
// that relative resolution needs. Its errors give only the reason, never the
// input, which may carry a credential; [Settings] adds the service and the
// input as given.
func ParseBaseURL(raw string) (*url.URL, error) {
	if raw == "" {
		return nil, errors.New("empty")
	}
	u, err := url.Parse(raw)
	if err != nil {
		// *url.Error repeats the raw URL, user info included; keep only the
		// reason so a credential pasted into the URL stays out of errors.
		return nil, unwrapURLError(err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, errors.New("scheme must be http or https")
	}
	if u.Hostname() == "" {
		return nil, errors.New("no host")
	}
	if u.User != nil || u.RawQuery != "" || u.ForceQuery || u.Fragment != "" {
		return nil, errors.New("must not carry user info, query or fragment")
	}
	for _, seg := range strings.Split(u.Path, "/") {
		if seg == ".." {
			return nil, ErrInvalidPath
		}
	}
	if !strings.HasSuffix(u.Path, "/") {
		u.Path += "/"
	}
	u.RawPath = ""
	return u, nil
}

// IsLoopback reports whether u points at a loopback host (127.0.0.0/8,
// ::1 or localhost), where plain http is acceptable for tests and fakes.
func IsLoopback(u *url.URL) bool {
	h := u.Hostname()
	if strings.EqualFold(h, "localhost") {
		return true
	}
	// Parse rather than match a "127." prefix, which a DNS name such as
	// "127.example.com" also has.
	ip := net.ParseIP(h)
	return ip != nil && ip.IsLoopback()
}

// SanitizeURL returns u without user info and with the query values whose
// names suggest secrets replaced, so URLs can go into errors and logs. It is
// the one URL sanitizer of both clients.
func SanitizeURL(u *url.URL) string {
	if u == nil {
		return ""
	}
	c := *u
	c.User = nil
	c.Fragment = ""
	if c.RawQuery != "" {
		q := c.Query()
		for k := range q {
			lk := strings.ToLower(k)
			if strings.Contains(lk, "key") || strings.Contains(lk, "token") || strings.Contains(lk, "secret") || strings.Contains(lk, "password") {
				q[k] = []string{"REDACTED"}
			}
		}
		c.RawQuery = q.Encode()
	}
	return c.String()
}
