package sansan

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
)

// Sentinel errors matched by [ErrorResponse] through errors.Is, by HTTP
// status.
var (
	// ErrBadRequest is a 400: a missing or invalid parameter.
	ErrBadRequest = errors.New("sansan: bad request")
	// ErrUnauthorized is a 401: the API key is missing, wrong or revoked.
	ErrUnauthorized = errors.New("sansan: unauthorized")
	// ErrNotFound is a 404: an unknown id, or a path the API version lacks.
	ErrNotFound = errors.New("sansan: not found")
	// ErrRateLimited is a 429 that persisted through every retry.
	ErrRateLimited = errors.New("sansan: rate limited")
)

// ErrInvalidArgument reports a request the client refuses to send, such as
// a missing required option or an empty id.
var ErrInvalidArgument = errors.New("sansan: invalid argument")

// redacted replaces the API key wherever it might appear.
const redacted = "[REDACTED]"

// ErrorResponse is the error for every non-2xx response. Sansan's error body
// {"statusCode": 400, "message": "…", "error": [{"code": "…"}]} is decoded
// leniently into Message and Codes; Body always keeps the raw (capped) body,
// which is all there is when it is not JSON.
//
// errors.Is matches [ErrBadRequest], [ErrUnauthorized], [ErrNotFound] and
// [ErrRateLimited] by status code; errors.As reaches the details:
//
//	var er *sansan.ErrorResponse
//	if errors.As(err, &er) { log.Print(er.StatusCode, er.Codes) }
type ErrorResponse struct {
	// Response is the HTTP response; its body is already read and closed.
	Response *http.Response
	// Method is the request method.
	Method string
	// URL is the request URL without its query.
	URL string
	// StatusCode is the HTTP status code.
	StatusCode int
	// Message is the error message from the body, if any.
	Message string
	// Codes are the error codes from the body's "error" array, if any.
	Codes []string
	// Body is the raw response body, capped at 64 KiB.
	Body []byte
}

// Error returns a one-line description with method, URL, status, message
// and codes.
func (e *ErrorResponse) Error() string {
	var b strings.Builder
	b.WriteString("sansan: ")
	if e.Method != "" {
		b.WriteString(e.Method)
		b.WriteByte(' ')
	}
	if e.URL != "" {
		b.WriteString(e.URL)
		b.WriteString(": ")
	}
	fmt.Fprintf(&b, "%d %s", e.StatusCode, http.StatusText(e.StatusCode))
	if e.Message != "" {
		b.WriteString(": ")
		b.WriteString(e.Message)
	}
	if len(e.Codes) > 0 {
		fmt.Fprintf(&b, " (codes: %s)", strings.Join(e.Codes, ", "))
	}
	return b.String()
}

// Unwrap returns the sentinel matching the status code, or nil.
func (e *ErrorResponse) Unwrap() error {
	switch e.StatusCode {
	case http.StatusBadRequest:
		return ErrBadRequest
	case http.StatusUnauthorized:
		return ErrUnauthorized
	case http.StatusNotFound:
		return ErrNotFound
	case http.StatusTooManyRequests:
		return ErrRateLimited
	}
	return nil
}

// wireError is the documented error body. Each part is decoded on its own so
// that one odd field does not lose the others.
type wireError struct {
	Message json.RawMessage `json:"message"`
	Error   json.RawMessage `json:"error"`
}

// parseErrorBody extracts the message and codes of an error body.
func parseErrorBody(body []byte) (msg string, codes []string) {
	var w wireError
	if json.Unmarshal(body, &w) != nil {
		return "", nil
	}
	_ = json.Unmarshal(w.Message, &msg)
	type item struct {
		Code    json.RawMessage `json:"code"`
		Message string          `json:"message"`
	}
	codeOf := func(it item) string {
		var s string
		if json.Unmarshal(it.Code, &s) == nil {
			return s
		}
		var n json.Number
		if json.Unmarshal(it.Code, &n) == nil {
			return n.String()
		}
		return ""
	}
	var list []item
	var one item
	var str string
	switch {
	case json.Unmarshal(w.Error, &list) == nil:
	case json.Unmarshal(w.Error, &one) == nil:
		list = []item{one}
	case json.Unmarshal(w.Error, &str) == nil && str != "":
		codes = append(codes, str)
	}
	for _, it := range list {
		if c := codeOf(it); c != "" {
			codes = append(codes, c)
		}
		if msg == "" && it.Message != "" {
			msg = it.Message
		}
	}
	return msg, codes
}

// checkResponse builds the *ErrorResponse of a non-2xx response. The key is
// scrubbed from the body in case a proxy echoes request headers.
func checkResponse(apiKey string) func(*http.Response, []byte) error {
	return func(resp *http.Response, body []byte) error {
		body = bytes.ReplaceAll(body, []byte(apiKey), []byte(redacted))
		msg, codes := parseErrorBody(body)
		return &ErrorResponse{
			Response:   resp,
			StatusCode: resp.StatusCode,
			Message:    msg,
			Codes:      codes,
			Body:       body,
		}
	}
}

// redactedError hides a secret that appeared in err's message. It still
// unwraps to err, so errors.Is and errors.As keep working.
type redactedError struct {
	msg string
	err error
}

func (e *redactedError) Error() string { return e.msg }
func (e *redactedError) Unwrap() error { return e.err }

// redactError returns err unchanged unless its message contains secret.
func redactError(err error, secret string) error {
	if err == nil || secret == "" {
		return err
	}
	msg := err.Error()
	if !strings.Contains(msg, secret) {
		return err
	}
	return &redactedError{msg: strings.ReplaceAll(msg, secret, redacted), err: err}
}

// redactHandler is a slog.Handler that replaces secret in the message and
// in every string-valued attribute before passing records on.
type redactHandler struct {
	h      slog.Handler
	secret string
}

func (r *redactHandler) Enabled(ctx context.Context, l slog.Level) bool {
	return r.h.Enabled(ctx, l)
}

func (r *redactHandler) Handle(ctx context.Context, rec slog.Record) error {
	out := slog.NewRecord(rec.Time, rec.Level, r.str(rec.Message), rec.PC)
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
	return &redactHandler{h: r.h.WithAttrs(clean), secret: r.secret}
}

func (r *redactHandler) WithGroup(name string) slog.Handler {
	return &redactHandler{h: r.h.WithGroup(name), secret: r.secret}
}

func (r *redactHandler) str(s string) string {
	return strings.ReplaceAll(s, r.secret, redacted)
}

func (r *redactHandler) attr(a slog.Attr) slog.Attr {
	v := a.Value.Resolve()
	switch v.Kind() {
	case slog.KindString:
		return slog.String(a.Key, r.str(v.String()))
	case slog.KindGroup:
		g := v.Group()
		clean := make([]any, len(g))
		for i, ga := range g {
			clean[i] = r.attr(ga)
		}
		return slog.Group(a.Key, clean...)
	case slog.KindAny:
		if s := fmt.Sprint(v.Any()); strings.Contains(s, r.secret) {
			return slog.String(a.Key, r.str(s))
		}
	}
	return slog.Attr{Key: a.Key, Value: v}
}
