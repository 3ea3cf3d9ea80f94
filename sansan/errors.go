package sansan

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
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
	// RetryAfter is the wait a 429 body asks for in its retry_after field
	// (seconds), zero when absent.
	RetryAfter time.Duration
	// Body is the raw response body, capped at 64 KiB, with the API key
	// scrubbed.
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
	Message    json.RawMessage `json:"message"`
	Error      json.RawMessage `json:"error"`
	RetryAfter json.RawMessage `json:"retry_after"`
}

// maxBodyRetryAfter caps a retry_after read from a body.
const maxBodyRetryAfter = time.Hour

// parseRetryAfter reads retry_after as seconds, given as a JSON number or a
// numeric string; anything else, negative or absurd, is 0.
func parseRetryAfter(raw json.RawMessage) time.Duration {
	var n json.Number
	if json.Unmarshal(raw, &n) != nil {
		var s string
		if json.Unmarshal(raw, &s) != nil {
			return 0
		}
		n = json.Number(strings.TrimSpace(s))
	}
	f, err := n.Float64()
	if err != nil || !(f > 0) {
		return 0
	}
	if f > maxBodyRetryAfter.Seconds() {
		return maxBodyRetryAfter
	}
	return time.Duration(f * float64(time.Second))
}

// parseErrorBody extracts the message, codes and retry_after of an error
// body.
func parseErrorBody(body []byte) (msg string, codes []string, retryAfter time.Duration) {
	var w wireError
	if json.Unmarshal(body, &w) != nil {
		return "", nil, 0
	}
	retryAfter = parseRetryAfter(w.RetryAfter)
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
	return msg, codes, retryAfter
}

// checkResponse builds the *ErrorResponse of a non-2xx response. The body
// arrives with the API key already scrubbed, in case a proxy echoes request
// headers.
func checkResponse(resp *http.Response, body []byte) error {
	msg, codes, retryAfter := parseErrorBody(body)
	return &ErrorResponse{
		Response:   resp,
		StatusCode: resp.StatusCode,
		Message:    msg,
		Codes:      codes,
		RetryAfter: retryAfter,
		Body:       body,
	}
}
