package sansan

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/jarcoal/httpmock"
	"golang.org/x/time/rate"
)

// testKey is a well-formed API key (32 letters and digits).
const testKey = "k3yS3cr3tABCDEFGHIJKLMNOPQRSTUVW"

// testBase has a non-root path, so an endpoint written as an absolute path
// would miss it.
const testBase = "https://api.example.test/proxy/v3.2/"

// ignoreRaw compares cards without their raw JSON.
var ignoreRaw = cmpopts.IgnoreFields(BizCard{}, "Raw")

// sleeps records the waits the client asked for, without waiting.
type sleeps struct {
	mu sync.Mutex
	d  []time.Duration
}

func (s *sleeps) sleep(ctx context.Context, d time.Duration) error {
	s.mu.Lock()
	s.d = append(s.d, d)
	s.mu.Unlock()
	return ctx.Err()
}

func (s *sleeps) all() []time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]time.Duration(nil), s.d...)
}

// setup returns a client on a fresh mock transport that fails the test on
// any unregistered request. Limiting is off and retries do not wait.
func setup(t *testing.T, opts ...Option) (*Client, *httpmock.MockTransport, *sleeps) {
	t.Helper()
	mt := httpmock.NewMockTransport()
	mt.RegisterNoResponder(func(req *http.Request) (*http.Response, error) {
		t.Errorf("unexpected request %s %s", req.Method, req.URL)
		return httpmock.NewStringResponse(http.StatusTeapot, ""), nil
	})
	sl := &sleeps{}
	all := append([]Option{
		WithBaseURL(testBase),
		WithHTTPClient(&http.Client{Transport: mt}),
		WithRateLimit(rate.Inf, 0),
		WithSleep(sl.sleep),
	}, opts...)
	c, err := NewClient(testKey, all...)
	if err != nil {
		t.Fatalf("NewClient: %v", err)
	}
	return c, mt, sl
}

// fixture reads testdata/name.
func fixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// reply answers with status and body as JSON after checking that the raw
// query is exactly query and that the API key header is set.
func reply(t *testing.T, query string, status int, body []byte) httpmock.Responder {
	return func(req *http.Request) (*http.Response, error) {
		if req.URL.RawQuery != query {
			t.Errorf("query of %s:\n got %s\nwant %s", req.URL.Path, req.URL.RawQuery, query)
		}
		if got := req.Header.Get(HeaderAPIKey); got != testKey {
			t.Errorf("%s header = %q, want the test key", HeaderAPIKey, got)
		}
		resp := httpmock.NewBytesResponse(status, body)
		resp.Header.Set("Content-Type", "application/json; charset=utf-8")
		resp.Request = req
		return resp, nil
	}
}

// calls returns how many requests matched "METHOD URL".
func calls(mt *httpmock.MockTransport, key string) int {
	return mt.GetCallCountInfo()[key]
}

// diff compares with the options every model comparison needs.
func diff(want, got any) string {
	return cmp.Diff(want, got, ignoreRaw)
}
