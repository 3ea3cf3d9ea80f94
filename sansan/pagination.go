package sansan

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"iter"
	"net/http"
	"net/url"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/cardbridge/sansanhubspot/internal/apiclient"
)

// MaxLimit is the largest page size the API accepts for cards.
const MaxLimit = 300

// MaxTagLimit is the largest page size sent for tag lists. Sansan's older
// documentation allows 300, but the public code that lists tags caps them at
// 100, so the client refuses more rather than risk a 400.
const MaxTagLimit = 100

// ListOptions is the paging every list shares; the options of the lists
// with filters embed it.
type ListOptions struct {
	// Limit is the page size; 0 leaves the server's default (100). Cards
	// allow up to [MaxLimit], tags up to [MaxTagLimit].
	Limit int
	// NextPageToken continues from a previous page's
	// [Response.NextPageToken]; empty starts at the first page.
	NextPageToken string
}

// encode adds the page size (at most maxLimit) and token to q.
func (o *ListOptions) encode(q url.Values, maxLimit int) error {
	if err := setLimit(q, o.Limit, maxLimit); err != nil {
		return err
	}
	if o.NextPageToken != "" {
		q.Set("nextPageToken", o.NextPageToken)
	}
	return nil
}

// page is the envelope of every list response.
type page[T any] struct {
	Data          []*T    `json:"data"`
	HasMore       *bool   `json:"hasMore"`
	NextPageToken *string `json:"nextPageToken"`
}

// getPage fetches one page of a list endpoint and records its paging state in
// the Response. A page without "hasMore" is taken to have more when it
// carries a token; null items are dropped.
func getPage[T any](ctx context.Context, c *Client, path string, q url.Values) ([]*T, *Response, error) {
	var p page[T]
	resp, err := c.do(ctx, apiclient.Call{Method: http.MethodGet, Path: path, Query: q, Out: &p})
	if err != nil {
		return nil, resp, pageTokenError(err, q.Get("nextPageToken"))
	}
	resp.HasMore, resp.NextPageToken = paging(p.HasMore, p.NextPageToken)
	items := make([]*T, 0, len(p.Data))
	for _, it := range p.Data {
		if it != nil {
			items = append(items, it)
		}
	}
	return items, resp, nil
}

// ErrPageTokenExpired matches the error of a page request whose
// nextPageToken the server refused. Sansan does not document how long a
// token lives; a caller that stored one to resume later should, on this
// error, restart the listing from its own checkpoint (e.g. the update
// window start) instead of failing.
var ErrPageTokenExpired = errors.New("sansan: page token expired or refused")

// PageTokenError is the error of a page request sent with a nextPageToken
// that the server answered with 400, 404 or 410. It matches
// [ErrPageTokenExpired] and unwraps to the [*ErrorResponse].
type PageTokenError struct {
	// Token is the refused token.
	Token string
	// Response is the server's answer.
	Response *ErrorResponse
}

// Error implements error. It does not repeat the token.
func (e *PageTokenError) Error() string {
	return "sansan: page token refused, restart the listing: " + e.Response.Error()
}

// Is matches [ErrPageTokenExpired].
func (e *PageTokenError) Is(target error) bool { return target == ErrPageTokenExpired }

// Unwrap returns the response error.
func (e *PageTokenError) Unwrap() error { return e.Response }

// pageTokenError wraps the error of a request that carried token when the
// server refused it as a request error (400, 404, 410): the same query
// without a token was valid, so the token is the likely culprit.
func pageTokenError(err error, token string) error {
	var er *ErrorResponse
	if token == "" || !errors.As(err, &er) {
		return err
	}
	switch er.StatusCode {
	case http.StatusBadRequest, http.StatusNotFound, http.StatusGone:
		return &PageTokenError{Token: token, Response: er}
	}
	return err
}

// paginate turns a page function into a lazy iterator. The first request
// continues from start (an options' NextPageToken); later ones follow the
// tokens returned.
func paginate[T any](ctx context.Context, start string, fetch func(ctx context.Context, token string) ([]*T, *Response, error)) iter.Seq2[*T, error] {
	return apiclient.Paginate(ctx, func(ctx context.Context, cursor string) ([]*T, string, error) {
		if cursor == "" {
			cursor = start
		}
		items, resp, err := fetch(ctx, cursor)
		if err != nil {
			return nil, "", err
		}
		return items, resp.NextPageToken, nil
	})
}

// queryTimeLayout renders query times as Sansan expects them: ISO 8601 with
// a numeric offset. url.Values encodes the "+" as %2B.
const queryTimeLayout = "2006-01-02T15:04:05-07:00"

func formatQueryTime(t time.Time) string { return t.In(JST).Format(queryTimeLayout) }

func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrInvalidArgument, fmt.Sprintf(format, args...))
}

func setLimit(q url.Values, limit, maxLimit int) error {
	switch {
	case limit < 0:
		return invalid("limit %d is negative", limit)
	case limit > maxLimit:
		return invalid("limit %d exceeds %d", limit, maxLimit)
	case limit > 0:
		q.Set("limit", strconv.Itoa(limit))
	}
	return nil
}

func setString[S ~string](q url.Values, key string, v S) {
	if v != "" {
		q.Set(key, string(v))
	}
}

func setBool(q url.Values, key string, v bool) {
	if v {
		q.Set(key, "true")
	}
}

func addAll[S ~string](q url.Values, key string, vs []S) {
	for _, v := range vs {
		if v != "" {
			q.Add(key, string(v))
		}
	}
}

// pathFor escapes ids into a path, reporting bad ids as ErrInvalidArgument.
func pathFor(format string, ids ...string) (string, error) {
	p, err := apiclient.Path(format, ids...)
	if err != nil {
		if errors.Is(err, apiclient.ErrInvalidPath) {
			return "", fmt.Errorf("%w: empty or invalid id", ErrInvalidArgument)
		}
		return "", err
	}
	return p, nil
}

// item decodes a single-object response, which Sansan wraps as
// {"item": {...}}; a bare object is accepted as well.
type item[T any] struct{ V T }

func (x *item[T]) UnmarshalJSON(data []byte) error {
	var env struct {
		Item json.RawMessage `json:"item"`
	}
	if err := json.Unmarshal(data, &env); err != nil {
		return err
	}
	if len(env.Item) > 0 {
		if string(env.Item) == "null" {
			return errors.New("sansan: response item is null")
		}
		return json.Unmarshal(env.Item, &x.V)
	}
	return json.Unmarshal(data, &x.V)
}

func runeLen(p *string) int {
	if p == nil {
		return 0
	}
	return utf8.RuneCountInString(*p)
}
