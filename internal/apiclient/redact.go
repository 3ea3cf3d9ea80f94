package apiclient

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"
)

// Redacted replaces a secret wherever the client scrubs one.
const Redacted = "[REDACTED]"

// minSecretLen is the shortest secret that is scrubbed: replacing a shorter
// string everywhere would mangle messages without protecting anything.
const minSecretLen = 6

// maxSecrets bounds how many recent secrets a client remembers (a token
// source may rotate tokens for as long as the client lives).
const maxSecrets = 8

// secrets is the set of credentials a client scrubs: the static ones from
// Config.Secrets and those Config.Auth reported while sending requests. They
// are held behind a function and a pointer, so printing a client with %+v
// shows no secret.
type secrets struct {
	static func() []string
	list   atomicList
}

func newSecrets(static []string) secrets {
	var keep []string
	for _, s := range static {
		if len(s) >= minSecretLen {
			keep = append(keep, s)
		}
	}
	return secrets{static: func() []string { return keep }}
}

// add remembers s, keeping the most recent maxSecrets.
func (s *secrets) add(vals []string) {
	for _, v := range vals {
		if len(v) < minSecretLen || slices.Contains(s.static(), v) {
			continue
		}
		s.list.add(v, maxSecrets)
	}
}

// all returns every secret to scrub.
func (s *secrets) all() []string {
	return append(slices.Clip(s.static()), s.list.load()...)
}

// Redact returns s with every secret the client knows replaced by
// [Redacted].
func (c *Client) Redact(s string) string {
	for _, sec := range c.secrets.all() {
		s = strings.ReplaceAll(s, sec, Redacted)
	}
	return s
}

// redactBytes is Redact for a body.
func (c *Client) redactBytes(b []byte) []byte {
	for _, sec := range c.secrets.all() {
		b = bytes.ReplaceAll(b, []byte(sec), []byte(Redacted))
	}
	return b
}

// RedactError returns err unchanged unless its message contains a secret
// the client knows; then it returns an error with that message scrubbed
// which still unwraps to err, so errors.Is and errors.As keep working.
func (c *Client) RedactError(err error) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	if clean := c.Redact(msg); clean != msg {
		return &redactedError{msg: clean, err: err}
	}
	return err
}

// redactedError hides a secret that appeared in err's message.
type redactedError struct {
	msg string
	err error
}

func (e *redactedError) Error() string { return e.msg }
func (e *redactedError) Unwrap() error { return e.err }

// scrubRequests replaces the requests reachable from resp (the last one and
// those of any redirects) with copies whose headers carry no secret, so a
// caller that logs resp.Request.Header cannot leak a credential.
func (c *Client) scrubRequests(resp *http.Response) {
	for i := 0; resp != nil && resp.Request != nil && i < 20; i++ {
		r := resp.Request.Clone(resp.Request.Context())
		for k, vs := range r.Header {
			for _, v := range vs {
				if c.Redact(v) != v {
					r.Header.Del(k)
					break
				}
			}
		}
		resp.Request = r
		resp = r.Response
	}
}

// redactHandler is a slog.Handler that scrubs the client's secrets from the
// message and every attribute before passing records on.
type redactHandler struct {
	h      slog.Handler
	redact func(string) string
}

func (r *redactHandler) Enabled(ctx context.Context, l slog.Level) bool {
	return r.h.Enabled(ctx, l)
}

func (r *redactHandler) Handle(ctx context.Context, rec slog.Record) error {
	out := slog.NewRecord(rec.Time, rec.Level, r.redact(rec.Message), rec.PC)
	rec.Attrs(func(a slog.Attr) bool {
		out.AddAttrs(r.attr(a))
		return true
	})
	return r.h.Handle(ctx, out)
}

func (r *redactHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	clean := make([]slog.Attr, len(attrs))
	for i, a := range attrs {
		clean[i] = r.attr(a)
	}
	return &redactHandler{h: r.h.WithAttrs(clean), redact: r.redact}
}

func (r *redactHandler) WithGroup(name string) slog.Handler {
	return &redactHandler{h: r.h.WithGroup(name), redact: r.redact}
}

func (r *redactHandler) attr(a slog.Attr) slog.Attr {
	v := a.Value.Resolve()
	switch v.Kind() {
	case slog.KindString:
		return slog.String(a.Key, r.redact(v.String()))
	case slog.KindGroup:
		g := v.Group()
		clean := make([]any, len(g))
		for i, ga := range g {
			clean[i] = r.attr(ga)
		}
		return slog.Group(a.Key, clean...)
	case slog.KindAny:
		s := fmt.Sprint(v.Any())
		if clean := r.redact(s); clean != s {
			return slog.String(a.Key, clean)
		}
	}
	return slog.Attr{Key: a.Key, Value: v}
}
