package apiclient_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
	"github.com/jarcoal/httpmock"

	"github.com/cardbridge/sansanhubspot/internal/apiclient"
)

// listOptions is a go-querystring query struct like the clients' Options.
type listOptions struct {
	Limit      int      `url:"limit,omitempty"`
	After      string   `url:"after,omitempty"`
	Properties []string `url:"properties,omitempty"`
	Archived   bool     `url:"archived,omitempty"`
	Skip       string   `url:"-"`
}

type note struct {
	Name string   `json:"name"`
	Tags []string `json:"tags,omitempty"`
}

// selfDecoder decodes the body itself (apiclient.BodyDecoder) and records
// what an oversized body held (apiclient.OversizeScanner).
type selfDecoder struct {
	Body    string
	Scanned string
}

func (d *selfDecoder) DecodeBody(data []byte) error {
	if bytes.HasPrefix(data, []byte("bad")) {
		return errors.New("refused by the decoder")
	}
	d.Body = string(data)
	return nil
}

func (d *selfDecoder) ScanOversized(body io.Reader) {
	b, _ := io.ReadAll(io.LimitReader(body, 64))
	d.Scanned = string(b)
}

// countingBody counts how often it is JSON-encoded.
type countingBody struct {
	n *atomic.Int64
}

func (b countingBody) MarshalJSON() ([]byte, error) {
	b.n.Add(1)
	return []byte(`{"count":true}`), nil
}

func TestNewRequest(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		userAgent  string
		call       apiclient.Call
		wantURL    string
		wantHeader http.Header // compared for these keys only
		wantBody   string      // "" means no body at all
	}{
		{
			name:       "get under non-root base",
			userAgent:  "sansanhubspot-test/1.0",
			call:       apiclient.Call{Method: http.MethodGet, Path: "crm/v3/objects/contacts"},
			wantURL:    "https://api.example.test/v1/crm/v3/objects/contacts",
			wantHeader: http.Header{"Accept": {"application/json"}, "User-Agent": {"sansanhubspot-test/1.0"}, "Content-Type": nil},
		},
		{
			name:       "no user agent configured",
			call:       apiclient.Call{Method: http.MethodGet, Path: "x"},
			wantURL:    "https://api.example.test/v1/x",
			wantHeader: http.Header{"Content-Type": nil},
		},
		{
			name:    "url values sorted and repeated",
			call:    apiclient.Call{Method: http.MethodGet, Path: "bizCards", Query: url.Values{"range": {"all"}, "entryStatus": {"b", "a"}}},
			wantURL: "https://api.example.test/v1/bizCards?entryStatus=b&entryStatus=a&range=all",
		},
		{
			name:    "empty url values",
			call:    apiclient.Call{Method: http.MethodGet, Path: "bizCards", Query: url.Values{}},
			wantURL: "https://api.example.test/v1/bizCards",
		},
		{
			name: "querystring struct with repeated keys",
			call: apiclient.Call{Method: http.MethodGet, Path: "contacts", Query: listOptions{
				Limit: 100, After: "abc=", Properties: []string{"email", "first name"}, Skip: "hidden",
			}},
			wantURL: "https://api.example.test/v1/contacts?after=abc%3D&limit=100&properties=email&properties=first+name",
		},
		{
			name:    "querystring struct pointer",
			call:    apiclient.Call{Method: http.MethodGet, Path: "contacts", Query: &listOptions{Archived: true}},
			wantURL: "https://api.example.test/v1/contacts?archived=true",
		},
		{
			name:    "nil struct pointer gives no query",
			call:    apiclient.Call{Method: http.MethodGet, Path: "contacts", Query: (*listOptions)(nil)},
			wantURL: "https://api.example.test/v1/contacts",
		},
		{
			name:    "zero struct gives no query",
			call:    apiclient.Call{Method: http.MethodGet, Path: "contacts", Query: listOptions{}},
			wantURL: "https://api.example.test/v1/contacts",
		},
		{
			name:    "inline query kept without Query",
			call:    apiclient.Call{Method: http.MethodGet, Path: "contacts?limit=5"},
			wantURL: "https://api.example.test/v1/contacts?limit=5",
		},
		{
			name:    "escaped path part",
			call:    apiclient.Call{Method: http.MethodDelete, Path: mustPath(t, "bizCards/%s", "a/b?c")},
			wantURL: "https://api.example.test/v1/bizCards/a%2Fb%3Fc",
		},
		{
			name:    "colon in first segment is a path, not a scheme",
			call:    apiclient.Call{Method: http.MethodGet, Path: mustPath(t, "%s/x", "https:evil.example")},
			wantURL: "https://api.example.test/v1/https:evil.example/x",
		},
		{
			name:       "json body",
			call:       apiclient.Call{Method: http.MethodPost, Path: "notes", Body: note{Name: "山田 <太郎>", Tags: []string{"a"}}},
			wantURL:    "https://api.example.test/v1/notes",
			wantHeader: http.Header{"Content-Type": {"application/json"}},
			wantBody:   `{"name":"山田 \u003c太郎\u003e","tags":["a"]}`,
		},
		{
			name:       "raw json body sent verbatim",
			call:       apiclient.Call{Method: http.MethodPatch, Path: "notes/1", Body: json.RawMessage(`{"properties":{"a":null}}`)},
			wantURL:    "https://api.example.test/v1/notes/1",
			wantHeader: http.Header{"Content-Type": {"application/json"}},
			wantBody:   `{"properties":{"a":null}}`,
		},
		{
			name: "extra headers added and overriding defaults",
			call: apiclient.Call{Method: http.MethodGet, Path: "export", Header: http.Header{
				"Accept":          {"text/csv"},
				"X-Request-Id":    {"r1", "r2"},
				"Idempotency-Key": {"k-1"},
			}},
			wantURL: "https://api.example.test/v1/export",
			wantHeader: http.Header{
				"Accept":          {"text/csv"},
				"X-Request-Id":    {"r1", "r2"},
				"Idempotency-Key": {"k-1"},
				"Content-Type":    nil,
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, _ := newMockClient(t, apiclient.Config{UserAgent: tt.userAgent})
			req, err := c.NewRequest(t.Context(), tt.call)
			if err != nil {
				t.Fatalf("NewRequest: %v", err)
			}
			if req.Method != tt.call.Method {
				t.Errorf("Method = %q, want %q", req.Method, tt.call.Method)
			}
			if got := req.URL.String(); got != tt.wantURL {
				t.Errorf("URL = %q, want %q", got, tt.wantURL)
			}
			if tt.userAgent == "" && req.Header.Get("User-Agent") != "" {
				t.Errorf("User-Agent = %q, want none", req.Header.Get("User-Agent"))
			}
			for k, want := range tt.wantHeader {
				if diff := cmp.Diff(want, req.Header.Values(k)); diff != "" {
					t.Errorf("header %s mismatch (-want +got):\n%s", k, diff)
				}
			}
			if req.Context() != t.Context() {
				t.Error("request does not carry the caller's context")
			}
			if tt.wantBody == "" {
				if req.Body != nil && req.Body != http.NoBody {
					t.Errorf("Body = %v, want none", req.Body)
				}
				if req.ContentLength != 0 || req.GetBody != nil {
					t.Errorf("ContentLength = %d, GetBody set = %v; want 0, false", req.ContentLength, req.GetBody != nil)
				}
				return
			}
			first, err := io.ReadAll(req.Body)
			if err != nil {
				t.Fatal(err)
			}
			if got := string(first); got != tt.wantBody {
				t.Errorf("body = %s, want %s", got, tt.wantBody)
			}
			if req.ContentLength != int64(len(tt.wantBody)) {
				t.Errorf("ContentLength = %d, want %d", req.ContentLength, len(tt.wantBody))
			}
			for i := range 2 {
				rc, err := req.GetBody()
				if err != nil {
					t.Fatalf("GetBody: %v", err)
				}
				replay, _ := io.ReadAll(rc)
				if !bytes.Equal(replay, first) {
					t.Errorf("GetBody #%d = %s, want %s", i+1, replay, first)
				}
			}
		})
	}
}

func mustPath(t testing.TB, format string, parts ...string) string {
	t.Helper()
	p, err := apiclient.Path(format, parts...)
	if err != nil {
		t.Fatalf("Path: %v", err)
	}
	return p
}

func TestNewRequestErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		call    apiclient.Call
		wantErr error // errors.Is target when set
	}{
		{name: "absolute path", call: apiclient.Call{Method: "GET", Path: "/admin"}},
		{name: "absolute url", call: apiclient.Call{Method: "GET", Path: "https://evil.example/steal"}},
		{name: "scheme relative", call: apiclient.Call{Method: "GET", Path: "//evil.example/steal"}},
		{name: "embedded url", call: apiclient.Call{Method: "GET", Path: "redirect?to=http://evil.example"}},
		{name: "dot dot", call: apiclient.Call{Method: "GET", Path: "contacts/../admin"}, wantErr: apiclient.ErrInvalidPath},
		{name: "leading dot dot", call: apiclient.Call{Method: "GET", Path: "../v2/contacts"}, wantErr: apiclient.ErrInvalidPath},
		{name: "trailing dot dot", call: apiclient.Call{Method: "GET", Path: "contacts/.."}, wantErr: apiclient.ErrInvalidPath},
		{name: "dot dot before query", call: apiclient.Call{Method: "GET", Path: "a/..?x=1"}, wantErr: apiclient.ErrInvalidPath},
		{name: "dot", call: apiclient.Call{Method: "GET", Path: "./contacts"}, wantErr: apiclient.ErrInvalidPath},
		{name: "escaped dot dot", call: apiclient.Call{Method: "GET", Path: "contacts/%2e%2e/admin"}, wantErr: apiclient.ErrInvalidPath},
		{name: "mixed escaped dot dot", call: apiclient.Call{Method: "GET", Path: "contacts/.%2E"}, wantErr: apiclient.ErrInvalidPath},
		{name: "bad escape", call: apiclient.Call{Method: "GET", Path: "contacts/%zz"}},
		{name: "query not a struct", call: apiclient.Call{Method: "GET", Path: "x", Query: map[string]string{"a": "b"}}},
		{name: "query not a struct pointer", call: apiclient.Call{Method: "GET", Path: "x", Query: ptr(42)}},
		{name: "body not encodable", call: apiclient.Call{Method: "POST", Path: "x", Body: map[string]any{"c": make(chan int)}}},
		{name: "bad method", call: apiclient.Call{Method: "GET /x", Path: "x"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, mt := newMockClient(t, apiclient.Config{})
			req, err := c.NewRequest(t.Context(), tt.call)
			if err == nil {
				t.Fatalf("NewRequest(%+v) = %s, want error", tt.call, req.URL)
			}
			if tt.wantErr != nil && !errors.Is(err, tt.wantErr) {
				t.Errorf("NewRequest error = %v, want %v", err, tt.wantErr)
			}
			// Do refuses the same call without touching the network.
			resp, err := c.Do(t.Context(), tt.call)
			if err == nil || resp != nil {
				t.Errorf("Do = %v, %v; want nil response and an error", resp, err)
			}
			if n := mt.GetTotalCallCount(); n != 0 || c.Requests() != 0 {
				t.Errorf("%d transport calls, Requests() = %d; want 0", n, c.Requests())
			}
		})
	}
}

func TestDoDecodesAndSendsRequest(t *testing.T) {
	t.Parallel()
	var seen []*http.Request
	var bodies []string
	var mu sync.Mutex
	c, mt := newMockClient(t, apiclient.Config{UserAgent: "ua/2"})
	mt.RegisterResponder("POST", "https://api.example.test/v1/crm/v3/objects/contacts/search",
		func(req *http.Request) (*http.Response, error) {
			b, _ := io.ReadAll(req.Body)
			mu.Lock()
			seen = append(seen, req)
			bodies = append(bodies, string(b))
			mu.Unlock()
			return httpmock.NewStringResponse(200, `{"name":"ok","tags":["x"],"extra":1}`), nil
		})
	var out note
	resp, err := c.Do(t.Context(), apiclient.Call{
		Method: http.MethodPost,
		Path:   "crm/v3/objects/contacts/search",
		Query:  url.Values{"archived": {"false"}},
		Body:   note{Name: "q"},
		Out:    &out,
	})
	if err != nil {
		t.Fatalf("Do: %v", err)
	}
	if resp == nil || resp.StatusCode != 200 {
		t.Fatalf("resp = %v, want 200", resp)
	}
	if diff := cmp.Diff(note{Name: "ok", Tags: []string{"x"}}, out); diff != "" {
		t.Errorf("Out mismatch (-want +got):\n%s", diff)
	}
	if len(seen) != 1 {
		t.Fatalf("%d requests, want 1", len(seen))
	}
	got := seen[0]
	if got.URL.RawQuery != "archived=false" {
		t.Errorf("query = %q", got.URL.RawQuery)
	}
	if diff := cmp.Diff([]string{`{"name":"q"}`}, bodies); diff != "" {
		t.Errorf("body mismatch (-want +got):\n%s", diff)
	}
	for k, want := range map[string]string{"User-Agent": "ua/2", "Content-Type": "application/json", "Accept": "application/json"} {
		if v := got.Header.Get(k); v != want {
			t.Errorf("header %s = %q, want %q", k, v, want)
		}
	}
	if c.Requests() != 1 {
		t.Errorf("Requests() = %d, want 1", c.Requests())
	}
}

// TestDoBodyEncodedOnceAndReplayed checks that a retried request carries the
// same bytes every time and that the body value is marshalled only once.
func TestDoBodyEncodedOnceAndReplayed(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		method string
		idem   *bool
		steps  []int
	}{
		{name: "post marked idempotent", method: http.MethodPost, idem: ptr(true), steps: []int{503, 500, 201}},
		{name: "put", method: http.MethodPut, steps: []int{502, 200}},
		{name: "post rate limited", method: http.MethodPost, steps: []int{429, 429, 200}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var marshals atomic.Int64
			var mu sync.Mutex
			var bodies []string
			var lengths []int64
			c, mt := newMockClient(t, apiclient.Config{Retry: apiclient.RetryPolicy{MaxAttempts: 5}})
			var n atomic.Int64
			mt.RegisterResponder(tt.method, testBase+"things", func(req *http.Request) (*http.Response, error) {
				b, err := io.ReadAll(req.Body)
				if err != nil {
					t.Errorf("read body: %v", err)
				}
				mu.Lock()
				bodies = append(bodies, string(b))
				lengths = append(lengths, req.ContentLength)
				mu.Unlock()
				return httpmock.NewStringResponse(tt.steps[n.Add(1)-1], "{}"), nil
			})
			_, err := c.Do(t.Context(), apiclient.Call{Method: tt.method, Path: "things", Body: countingBody{&marshals}, Idempotent: tt.idem})
			if err != nil {
				t.Fatalf("Do: %v", err)
			}
			want := make([]string, len(tt.steps))
			wantLen := make([]int64, len(tt.steps))
			for i := range want {
				want[i] = `{"count":true}`
				wantLen[i] = int64(len(want[i]))
			}
			if diff := cmp.Diff(want, bodies); diff != "" {
				t.Errorf("bodies per attempt (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(wantLen, lengths); diff != "" {
				t.Errorf("Content-Length per attempt (-want +got):\n%s", diff)
			}
			if m := marshals.Load(); m != 1 {
				t.Errorf("body marshalled %d times, want 1", m)
			}
		})
	}
}

// TestDoAuthOnClone checks that Auth sees a fresh request per attempt, so
// credentials are applied exactly once each time and never leak into the
// caller's Call.Header.
func TestDoAuthOnClone(t *testing.T) {
	t.Parallel()
	var authCalls atomic.Int64
	c, mt := newMockClient(t, apiclient.Config{
		Retry: apiclient.RetryPolicy{MaxAttempts: 3},
		Auth: func(_ context.Context, req *http.Request) ([]string, error) {
			authCalls.Add(1)
			req.Header.Add("Authorization", "Bearer tok")
			return nil, nil
		},
	})
	var mu sync.Mutex
	var authHeaders [][]string
	var extra [][]string
	var n atomic.Int64
	mt.RegisterResponder("GET", testBase+"me", func(req *http.Request) (*http.Response, error) {
		mu.Lock()
		authHeaders = append(authHeaders, req.Header.Values("Authorization"))
		extra = append(extra, req.Header.Values("X-Trace"))
		mu.Unlock()
		if n.Add(1) < 3 {
			return httpmock.NewStringResponse(500, ""), nil
		}
		return httpmock.NewStringResponse(200, "{}"), nil
	})
	hdr := http.Header{"X-Trace": {"t1"}}
	before := hdr.Clone()
	if _, err := c.Do(t.Context(), apiclient.Call{Method: "GET", Path: "me", Header: hdr}); err != nil {
		t.Fatalf("Do: %v", err)
	}
	want := [][]string{{"Bearer tok"}, {"Bearer tok"}, {"Bearer tok"}}
	if diff := cmp.Diff(want, authHeaders); diff != "" {
		t.Errorf("Authorization per attempt (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([][]string{{"t1"}, {"t1"}, {"t1"}}, extra); diff != "" {
		t.Errorf("X-Trace per attempt (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(before, hdr); diff != "" {
		t.Errorf("caller's Call.Header was modified (-want +got):\n%s", diff)
	}
	if authCalls.Load() != 3 {
		t.Errorf("Auth called %d times, want once per attempt (3)", authCalls.Load())
	}
	// NewRequest hands out the request without credentials.
	req, err := c.NewRequest(t.Context(), apiclient.Call{Method: "GET", Path: "me"})
	if err != nil {
		t.Fatal(err)
	}
	if v := req.Header.Get("Authorization"); v != "" {
		t.Errorf("NewRequest set Authorization %q; auth belongs on the per-attempt clone", v)
	}
}

func TestDoAuthError(t *testing.T) {
	t.Parallel()
	errNoToken := errors.New("no token configured")
	c, mt := newMockClient(t, apiclient.Config{
		Auth: func(context.Context, *http.Request) ([]string, error) { return nil, errNoToken },
	})
	mt.RegisterNoResponder(httpmock.NewStringResponder(200, "{}"))
	resp, err := c.Do(t.Context(), apiclient.Call{Method: "POST", Path: "x", Body: note{}})
	if !errors.Is(err, errNoToken) {
		t.Fatalf("Do error = %v, want %v", err, errNoToken)
	}
	if resp != nil {
		t.Errorf("resp = %v, want nil", resp)
	}
	if mt.GetTotalCallCount() != 0 || c.Requests() != 0 {
		t.Errorf("sent %d requests (Requests() = %d) despite the auth failure", mt.GetTotalCallCount(), c.Requests())
	}
}

func TestDoErrorResponses(t *testing.T) {
	t.Parallel()
	errAPI := errors.New("api error")
	huge := bytes.Repeat([]byte("0123456789abcdef"), 1<<16) // 1 MiB
	tests := []struct {
		name         string
		maxErrorBody int64
		status       int
		body         []byte
		check        func(resp *http.Response, body []byte) error
		wantErr      error // errors.Is target; nil means *HTTPError
		wantBody     []byte
	}{
		{name: "default http error", status: 404, body: []byte(`{"message":"not found"}`), wantBody: []byte(`{"message":"not found"}`)},
		{name: "default cap", status: 500, body: huge, wantBody: huge[:apiclient.DefaultMaxErrorBody]},
		{name: "custom cap", maxErrorBody: 1000, status: 400, body: huge, wantBody: huge[:1000]},
		{name: "empty error body", status: 401, wantBody: []byte{}},
		{
			name: "check response gets capped body", maxErrorBody: 1024, status: 409, body: huge,
			check: func(resp *http.Response, body []byte) error {
				if resp.StatusCode != 409 {
					return errors.New("wrong status")
				}
				if !bytes.Equal(body, huge[:1024]) {
					return errors.New("body not capped to MaxErrorBody")
				}
				return errAPI
			},
			wantErr: errAPI,
		},
		{
			name: "check response returning nil still fails", status: 503, body: []byte("down"),
			check:    func(*http.Response, []byte) error { return nil },
			wantBody: []byte("down"),
		},
		{name: "redirect status without location", status: 302, body: []byte("moved"), wantBody: []byte("moved")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, mt := newMockClient(t, apiclient.Config{MaxErrorBody: tt.maxErrorBody, CheckResponse: tt.check})
			mt.RegisterResponder("POST", testBase+"things", httpmock.NewBytesResponder(tt.status, tt.body))
			var out note
			resp, err := c.Do(t.Context(), apiclient.Call{Method: "POST", Path: "things", Body: note{Name: "n"}, Out: &out})
			if err == nil {
				t.Fatal("Do succeeded, want error")
			}
			if resp == nil || resp.StatusCode != tt.status {
				t.Fatalf("resp = %v, want status %d", resp, tt.status)
			}
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Errorf("error = %v, want %v", err, tt.wantErr)
				}
				return
			}
			var herr *apiclient.HTTPError
			if !errors.As(err, &herr) {
				t.Fatalf("error %T %v is not *HTTPError", err, err)
			}
			want := &apiclient.HTTPError{Method: "POST", URL: testBase + "things", StatusCode: tt.status, Body: tt.wantBody}
			if diff := cmp.Diff(want, herr); diff != "" {
				t.Errorf("HTTPError mismatch (-want +got):\n%s", diff)
			}
			if msg := err.Error(); !strings.Contains(msg, "POST "+testBase+"things") || !strings.Contains(msg, "status "+strconv.Itoa(tt.status)) {
				t.Errorf("error %q lacks method or status", msg)
			}
			if out.Name != "" {
				t.Errorf("Out was filled from an error response: %+v", out)
			}
		})
	}
}

func TestDoSuccessBodies(t *testing.T) {
	t.Parallel()
	html, err := os.ReadFile("testdata/html_error.html")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		status  int
		body    string
		maxBody int64
		out     func() any
		want    any   // expected Out after the call, when wantErr is nil
		wantErr error // errors.Is target
		check   func(t *testing.T, err error)
	}{
		{name: "json", status: 200, body: `{"name":"a"}`, out: func() any { return &note{} }, want: &note{Name: "a"}},
		{name: "exactly max body", status: 200, body: `{"name":"abc"}`, maxBody: 14, out: func() any { return &note{} }, want: &note{Name: "abc"}},
		{name: "over max body", status: 200, body: `{"name":"abcd"}`, maxBody: 14, out: func() any { return &note{} }, wantErr: apiclient.ErrBodyTooLarge},
		{name: "writer over max body", status: 200, body: "0123456789ABCDEF", maxBody: 10, out: func() any { return &bytes.Buffer{} }, wantErr: apiclient.ErrBodyTooLarge},
		{name: "self decoder gets the raw body", status: 200, body: "not json", out: func() any { return &selfDecoder{} }, want: &selfDecoder{Body: "not json"}},
		{name: "self decoder error", status: 200, body: "bad body", out: func() any { return &selfDecoder{} }, check: func(t *testing.T, err error) {
			if !strings.Contains(err.Error(), "refused by the decoder") {
				t.Errorf("error %q is not the decoder's", err)
			}
		}},
		{name: "self decoder empty body", status: 200, body: " \n", out: func() any { return &selfDecoder{} }, wantErr: apiclient.ErrEmptyBody},
		{
			name: "oversize scanner reads the whole body", status: 200, body: "0123456789ABCDEFGHIJ", maxBody: 10, out: func() any { return &selfDecoder{} },
			check: func(t *testing.T, err error) {
				var tl *apiclient.BodyTooLargeError
				if !errors.As(err, &tl) || tl.Limit != 10 || !errors.Is(err, apiclient.ErrBodyTooLarge) {
					t.Fatalf("error %v is not a *BodyTooLargeError of limit 10", err)
				}
				if !strings.Contains(err.Error(), "over the 10-byte limit") {
					t.Errorf("error %q does not state the limit", err)
				}
			},
		},
		{name: "empty body with out", status: 200, body: "", out: func() any { return &note{} }, wantErr: apiclient.ErrEmptyBody},
		{name: "no content with out", status: 204, body: "", out: func() any { return &note{} }, wantErr: apiclient.ErrEmptyBody},
		{name: "whitespace body with out", status: 200, body: " \r\n\t", out: func() any { return &note{} }, wantErr: apiclient.ErrEmptyBody},
		{name: "nil out discards json", status: 200, body: `{"name":"a"}`, out: func() any { return nil }},
		{name: "nil out discards non-json", status: 200, body: "<html>", out: func() any { return nil }},
		{name: "nil out with no content", status: 204, out: func() any { return nil }},
		{name: "nil out ignores max body", status: 200, body: strings.Repeat("x", 100), maxBody: 10, out: func() any { return nil }},
		{name: "writer streams raw bytes", status: 200, body: "id,name\n1,山田\n", out: func() any { return &bytes.Buffer{} }, want: bytes.NewBufferString("id,name\n1,山田\n")},
		{name: "writer empty body", status: 200, body: "", out: func() any { return &bytes.Buffer{} }, want: &bytes.Buffer{}},
		{name: "null document", status: 200, body: "null", out: func() any { return &note{Name: "keep"} }, want: &note{Name: "keep"}},
		{name: "nulls and unknown fields", status: 200, body: `{"name":null,"tags":null,"new":{"x":[1]}}`, out: func() any { return &note{} }, want: &note{}},
		{
			name: "html body", status: 200, body: string(html), out: func() any { return &note{} },
			check: func(t *testing.T, err error) {
				var derr *apiclient.DecodeError
				if !errors.As(err, &derr) {
					t.Fatalf("error %T %v is not *DecodeError", err, err)
				}
				if len(derr.Prefix) == 0 || len(derr.Prefix) > 120 || !strings.HasPrefix(string(html), derr.Prefix) {
					t.Errorf("Prefix %q is not a short prefix of the body", derr.Prefix)
				}
				if strings.Contains(err.Error(), "nginx") {
					t.Errorf("error %q carries more than the short prefix", err)
				}
				var syn *json.SyntaxError
				if !errors.As(err, &syn) {
					t.Errorf("DecodeError does not unwrap to *json.SyntaxError: %v", derr.Err)
				}
			},
		},
		{
			name: "wrong json type", status: 200, body: `{"name":42}`, out: func() any { return &note{} },
			check: func(t *testing.T, err error) {
				var terr *json.UnmarshalTypeError
				if !errors.As(err, &terr) {
					t.Errorf("error %v does not unwrap to *json.UnmarshalTypeError", err)
				}
			},
		},
		{
			name: "invalid utf8 prefix", status: 200, body: "\xff\xfe<" + strings.Repeat("é", 100), out: func() any { return &note{} },
			check: func(t *testing.T, err error) {
				var derr *apiclient.DecodeError
				if !errors.As(err, &derr) {
					t.Fatalf("error %T is not *DecodeError", err)
				}
				if !utf8.ValidString(derr.Prefix) || len(derr.Prefix) > 120 {
					t.Errorf("Prefix %q is not short valid UTF-8", derr.Prefix)
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, mt := newMockClient(t, apiclient.Config{MaxBody: tt.maxBody})
			mt.RegisterResponder("GET", testBase+"doc", httpmock.NewStringResponder(tt.status, tt.body))
			out := tt.out()
			resp, err := c.Do(t.Context(), apiclient.Call{Method: "GET", Path: "doc", Out: out})
			if resp == nil || resp.StatusCode != tt.status {
				t.Fatalf("resp = %v, want status %d", resp, tt.status)
			}
			if tt.check != nil {
				if err == nil {
					t.Fatal("Do succeeded, want error")
				}
				tt.check(t, err)
				return
			}
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("Do error = %v, want %v", err, tt.wantErr)
			}
			if err == nil && tt.want != nil {
				if diff := cmp.Diff(tt.want, out, cmp.Comparer(func(a, b *bytes.Buffer) bool { return a.String() == b.String() })); diff != "" {
					t.Errorf("Out mismatch (-want +got):\n%s", diff)
				}
			}
			if mt.GetTotalCallCount() != 1 {
				t.Errorf("%d attempts, want 1 (a 2xx is never retried)", mt.GetTotalCallCount())
			}
		})
	}
}

// hubspotContact mirrors a subset of the fixture's fields; the rest must be
// ignored.
type hubspotContact struct {
	ID         string             `json:"id"`
	Properties map[string]*string `json:"properties"`
	UpdatedAt  *string            `json:"updatedAt"`
	Archived   bool               `json:"archived"`
}

func TestDecodeJSONFixture(t *testing.T) {
	t.Parallel()
	data, err := os.ReadFile("testdata/contact.json")
	if err != nil {
		t.Fatal(err)
	}
	var got hubspotContact
	if err := apiclient.DecodeJSON(data, &got); err != nil {
		t.Fatalf("DecodeJSON: %v", err)
	}
	want := hubspotContact{
		ID: "1501",
		Properties: map[string]*string{
			"email":          ptr("taro.yamada@example.co.jp"),
			"firstname":      ptr("太郎"),
			"lastname":       ptr("山田"),
			"company":        nil,
			"hs_object_id":   ptr("1501"),
			"lifecyclestage": ptr("lead"),
		},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("DecodeJSON mismatch (-want +got):\n%s", diff)
	}
}

func TestDecodeJSON(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		data    string
		wantErr error
		wantDec bool // want a *DecodeError
	}{
		{name: "object", data: `{"name":"x"}`},
		{name: "empty", data: "", wantErr: apiclient.ErrEmptyBody},
		{name: "blank", data: "\n \t", wantErr: apiclient.ErrEmptyBody},
		{name: "truncated", data: `{"name":`, wantDec: true},
		{name: "trailing garbage", data: `{"name":"x"} <html>`, wantDec: true},
		{name: "array into struct", data: `[1,2]`, wantDec: true},
		{name: "html", data: "<!DOCTYPE html>", wantDec: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var out note
			err := apiclient.DecodeJSON([]byte(tt.data), &out)
			var derr *apiclient.DecodeError
			switch {
			case tt.wantDec:
				if !errors.As(err, &derr) {
					t.Fatalf("DecodeJSON(%q) error = %v, want *DecodeError", tt.data, err)
				}
				if !strings.HasPrefix(tt.data, derr.Prefix) || derr.Prefix == "" {
					t.Errorf("Prefix = %q, want a prefix of %q", derr.Prefix, tt.data)
				}
				if !strings.HasPrefix(err.Error(), "decode response: ") {
					t.Errorf("Error() = %q", err)
				}
			case !errors.Is(err, tt.wantErr):
				t.Fatalf("DecodeJSON(%q) error = %v, want %v", tt.data, err, tt.wantErr)
			}
		})
	}
}

func TestClientBaseURLIsACopy(t *testing.T) {
	t.Parallel()
	c, _ := newMockClient(t, apiclient.Config{})
	u := c.BaseURL()
	u.Host = "evil.example"
	u.Path = "/other/"
	req, err := c.NewRequest(t.Context(), apiclient.Call{Method: "GET", Path: "x"})
	if err != nil {
		t.Fatal(err)
	}
	if got := req.URL.String(); got != testBase+"x" {
		t.Errorf("URL after mutating BaseURL() = %q, want %q", got, testBase+"x")
	}
}

func TestNewValidates(t *testing.T) {
	t.Parallel()
	base := mustBase(t, testBase)
	hc := &http.Client{Transport: httpmock.NewMockTransport()}
	tests := []struct {
		name    string
		cfg     apiclient.Config
		wantErr bool
	}{
		{name: "minimal", cfg: apiclient.Config{BaseURL: base, HTTPClient: hc}},
		{name: "no base", cfg: apiclient.Config{HTTPClient: hc}, wantErr: true},
		{name: "no http client", cfg: apiclient.Config{BaseURL: base}, wantErr: true},
		{name: "bad retry", cfg: apiclient.Config{BaseURL: base, HTTPClient: hc, Retry: apiclient.RetryPolicy{MaxAttempts: 3, Initial: 2e9, Max: 1e9}}, wantErr: true},
		{name: "negative attempts", cfg: apiclient.Config{BaseURL: base, HTTPClient: hc, Retry: apiclient.RetryPolicy{MaxAttempts: -1}}, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, err := apiclient.New(tt.cfg)
			if (err != nil) != tt.wantErr {
				t.Fatalf("New error = %v, wantErr %v", err, tt.wantErr)
			}
			if err == nil && c == nil {
				t.Fatal("New returned nil client and nil error")
			}
		})
	}
}

// TestOversizeScannerSeesWholeBody: an Out that scans oversized bodies is
// handed the body from its first byte to its end (the part read up to the
// cap and the rest of the stream), whether the length was announced or
// not, and the call still fails as too large.
func TestOversizeScannerSeesWholeBody(t *testing.T) {
	t.Parallel()
	body := strings.Repeat("0123456789", 5)
	for _, announced := range []bool{true, false} {
		t.Run(fmt.Sprintf("announced=%t", announced), func(t *testing.T) {
			t.Parallel()
			c, mt := newMockClient(t, apiclient.Config{MaxBody: 16})
			mt.RegisterResponder("GET", testBase+"doc", func(req *http.Request) (*http.Response, error) {
				resp := httpmock.NewStringResponse(200, body)
				if !announced {
					resp.ContentLength = -1
				}
				return resp, nil
			})
			out := &selfDecoder{}
			_, err := c.Do(t.Context(), apiclient.Call{Method: "GET", Path: "doc", Out: out})
			if !errors.Is(err, apiclient.ErrBodyTooLarge) {
				t.Fatalf("Do error = %v, want ErrBodyTooLarge", err)
			}
			if diff := cmp.Diff(&selfDecoder{Scanned: body}, out); diff != "" {
				t.Errorf("scanned (-want +got):\n%s", diff)
			}
		})
	}
}
