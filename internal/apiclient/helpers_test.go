package apiclient_test

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jarcoal/httpmock"

	"github.com/cardbridge/sansanhubspot/internal/apiclient"
)

// testBase is the base URL of mock clients; its non-root path checks that
// relative paths resolve under it.
const testBase = "https://api.example.test/v1/"

// mustBase parses raw with ParseBaseURL or fails the test.
func mustBase(t testing.TB, raw string) *url.URL {
	t.Helper()
	u, err := apiclient.ParseBaseURL(raw)
	if err != nil {
		t.Fatalf("ParseBaseURL(%q): %v", raw, err)
	}
	return u
}

// newMockClient returns a client whose requests go to a fresh httpmock
// transport. Unset BaseURL and Sleep get testBase and a recorder that never
// waits, so no test sleeps by accident.
func newMockClient(t testing.TB, cfg apiclient.Config) (*apiclient.Client, *httpmock.MockTransport) {
	t.Helper()
	mt := httpmock.NewMockTransport()
	if cfg.BaseURL == nil {
		cfg.BaseURL = mustBase(t, testBase)
	}
	cfg.HTTPClient = &http.Client{Transport: mt}
	if cfg.Sleep == nil {
		cfg.Sleep = (&sleepRecorder{}).Sleep
	}
	c, err := apiclient.New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return c, mt
}

// sleepRecorder is an injectable Config.Sleep that records the requested
// delays and returns at once (or with ctx.Err() when ctx is done).
type sleepRecorder struct {
	mu     sync.Mutex
	delays []time.Duration
}

// Sleep records d.
func (s *sleepRecorder) Sleep(ctx context.Context, d time.Duration) error {
	s.mu.Lock()
	s.delays = append(s.delays, d)
	s.mu.Unlock()
	return ctx.Err()
}

// Delays returns a copy of the recorded delays.
func (s *sleepRecorder) Delays() []time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]time.Duration(nil), s.delays...)
}

// step is one scripted reply of a sequence responder: a transport error when
// err is set, a response otherwise.
type step struct {
	status int
	header http.Header
	body   string
	err    error
}

// sequence returns a responder that plays steps in order and fails the test
// when it is called more often than scripted.
func sequence(t testing.TB, steps ...step) httpmock.Responder {
	t.Helper()
	var n atomic.Int64
	return func(req *http.Request) (*http.Response, error) {
		i := int(n.Add(1)) - 1
		if i >= len(steps) {
			t.Errorf("unexpected attempt %d of %s %s (only %d scripted)", i+1, req.Method, req.URL, len(steps))
			return nil, errUnscripted
		}
		s := steps[i]
		if s.err != nil {
			return nil, s.err
		}
		resp := httpmock.NewStringResponse(s.status, s.body)
		for k, vs := range s.header {
			resp.Header[k] = vs
		}
		resp.Request = req
		return resp, nil
	}
}

// errUnscripted is returned by a sequence responder called too often.
var errUnscripted = errors.New("unscripted attempt")

// ptr returns a pointer to v.
func ptr[T any](v T) *T { return &v }
