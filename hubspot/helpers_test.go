package hubspot_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/jarcoal/httpmock"
	"golang.org/x/time/rate"

	"github.com/cardbridge/sansanhubspot/hubspot"
)

const (
	testToken = "pat-na1-11111111-2222-3333-4444-555555555555"
	testBase  = "https://api.test/hs/"
)

// captured is one request seen by the mock transport.
type captured struct {
	Method string
	Path   string // escaped path, without the /hs prefix
	Query  url.Values
	Body   any // decoded JSON, nil when empty
	Header http.Header
}

// reply is one canned response.
type reply struct {
	status int
	body   string
	header http.Header
	err    error
}

// harness is a client on a per-test httpmock transport that serves queued
// replies (or a handler) and records every request.
type harness struct {
	t       testing.TB
	mt      *httpmock.MockTransport
	client  *hubspot.Client
	mu      sync.Mutex
	replies []reply
	handler func(c captured) reply
	reqs    []captured
	sleeps  []time.Duration
}

func newHarness(t testing.TB, opts ...hubspot.Option) *harness {
	t.Helper()
	h := &harness{t: t, mt: httpmock.NewMockTransport()}
	h.mt.RegisterNoResponder(h.respond)
	base := []hubspot.Option{
		hubspot.WithBaseURL(testBase),
		hubspot.WithHTTPClient(&http.Client{Transport: h.mt}),
		hubspot.WithRateLimit(rate.Inf, 0),
		hubspot.WithSearchRateLimit(rate.Inf, 0),
		hubspot.WithSleep(func(ctx context.Context, d time.Duration) error {
			h.mu.Lock()
			h.sleeps = append(h.sleeps, d)
			h.mu.Unlock()
			return ctx.Err()
		}),
	}
	c, err := hubspot.NewClient(testToken, append(base, opts...)...)
	if err != nil {
		t.Fatalf("NewClient: %v", err)
	}
	h.client = c
	return h
}

func (h *harness) respond(req *http.Request) (*http.Response, error) {
	c := captured{Method: req.Method, Query: req.URL.Query(), Header: req.Header.Clone()}
	c.Path = strings.TrimPrefix(req.URL.EscapedPath(), "/hs/")
	if !strings.HasPrefix(req.URL.String(), testBase) {
		h.t.Errorf("request outside base url: %s", req.URL)
	}
	if req.Body != nil {
		b, _ := io.ReadAll(req.Body)
		if len(b) > 0 {
			if err := json.Unmarshal(b, &c.Body); err != nil {
				h.t.Errorf("request body is not json: %v: %s", err, b)
			}
		}
	}
	h.mu.Lock()
	h.reqs = append(h.reqs, c)
	var r reply
	switch {
	case h.handler != nil:
		h.mu.Unlock()
		r = h.handler(c)
		h.mu.Lock()
	case len(h.replies) > 0:
		r = h.replies[0]
		h.replies = h.replies[1:]
	default:
		h.mu.Unlock()
		h.t.Errorf("unexpected request %s %s", req.Method, req.URL)
		return nil, io.ErrUnexpectedEOF
	}
	h.mu.Unlock()
	if r.err != nil {
		return nil, r.err
	}
	resp := httpmock.NewStringResponse(r.status, r.body)
	for k, v := range r.header {
		resp.Header[k] = v
	}
	if resp.Header.Get("Content-Type") == "" {
		resp.Header.Set("Content-Type", "application/json")
	}
	resp.Request = req
	return resp, nil
}

// queue appends canned replies.
func (h *harness) queue(rs ...reply) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.replies = append(h.replies, rs...)
}

// ok queues one reply with the given status and JSON body.
func (h *harness) ok(status int, body string) { h.queue(reply{status: status, body: body}) }

func (h *harness) requests() []captured {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]captured(nil), h.reqs...)
}

func (h *harness) slept() []time.Duration {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]time.Duration(nil), h.sleeps...)
}

// only returns the single recorded request, failing otherwise.
func (h *harness) only() captured {
	h.t.Helper()
	reqs := h.requests()
	if len(reqs) != 1 {
		h.t.Fatalf("got %d requests, want 1", len(reqs))
	}
	return reqs[0]
}

// checkRequest compares a request's method, path, query and JSON body.
func checkRequest(t *testing.T, got captured, method, path string, query url.Values, body string) {
	t.Helper()
	if got.Method != method || got.Path != path {
		t.Errorf("request = %s %s, want %s %s", got.Method, got.Path, method, path)
	}
	if query == nil {
		query = url.Values{}
	}
	if diff := cmp.Diff(query, got.Query); diff != "" {
		t.Errorf("query mismatch (-want +got):\n%s", diff)
	}
	var want any
	if body != "" {
		want = decodeJSON(t, body)
	}
	if diff := cmp.Diff(want, got.Body); diff != "" {
		t.Errorf("body mismatch (-want +got):\n%s", diff)
	}
	if a := got.Header.Get("Authorization"); a != "Bearer "+testToken && !strings.HasPrefix(a, "Bearer ") {
		t.Errorf("Authorization = %q", a)
	}
}

func decodeJSON(t *testing.T, s string) any {
	t.Helper()
	var v any
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		t.Fatalf("bad test json: %v\n%s", err, s)
	}
	return v
}

func readFixture(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func sp(s string) *string { return &s }
