package hubspottest_test

import (
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/cardbridge/sansanhubspot/hubspot/hubspottest"
)

type rateBody struct {
	Status        string `json:"status"`
	Message       string `json:"message"`
	ErrorType     string `json:"errorType"`
	CorrelationID string `json:"correlationId"`
	PolicyName    string `json:"policyName"`
}

func check429(t *testing.T, r response, policy, message string) {
	t.Helper()
	wantStatus(t, r, http.StatusTooManyRequests)
	var b rateBody
	r.Into(t, &b)
	want := rateBody{Status: "error", Message: message, ErrorType: "RATE_LIMIT", CorrelationID: b.CorrelationID, PolicyName: policy}
	if diff := cmp.Diff(want, b); diff != "" || b.CorrelationID == "" {
		t.Errorf("429 body (-want +got):\n%s", diff)
	}
}

func TestRateLimitBurst(t *testing.T) {
	t.Parallel()
	clk := newClock()
	s := hubspottest.NewTestServer(t, hubspottest.WithClock(clk.Now), hubspottest.WithRateLimit(3, 10*time.Second))
	for i, want := range []string{"2", "1", "0"} {
		r := call(t, s, http.MethodGet, "crm/v3/objects/contacts", nil)
		wantStatus(t, r, http.StatusOK)
		got := []string{r.Header.Get("X-HubSpot-RateLimit-Max"), r.Header.Get("X-HubSpot-RateLimit-Remaining"), r.Header.Get("X-HubSpot-RateLimit-Interval-Milliseconds")}
		if diff := cmp.Diff([]string{"3", want, "10000"}, got); diff != "" {
			t.Errorf("request %d headers (-want +got):\n%s", i, diff)
		}
		if r.Header.Get("X-HubSpot-RateLimit-Daily") != "" {
			t.Error("daily header without a daily limit")
		}
		clk.Advance(time.Second)
	}
	r := call(t, s, http.MethodGet, "crm/v3/objects/contacts", nil)
	check429(t, r, "TEN_SECONDLY_ROLLING", "You have reached your ten_secondly_rolling limit.")
	if r.Header.Get("X-HubSpot-RateLimit-Remaining") != "0" {
		t.Errorf("429 remaining = %q", r.Header.Get("X-HubSpot-RateLimit-Remaining"))
	}
	// Search is limited separately and carries no rate headers.
	r = call(t, s, http.MethodPost, "crm/v3/objects/contacts/search", map[string]any{})
	wantStatus(t, r, http.StatusOK)
	for _, h := range []string{"X-HubSpot-RateLimit-Max", "X-HubSpot-RateLimit-Remaining", "X-HubSpot-RateLimit-Interval-Milliseconds"} {
		if r.Header.Get(h) != "" {
			t.Errorf("search response has %s", h)
		}
	}
	// The window rolls: the first request (t=0) leaves it at t=10s.
	clk.Advance(7*time.Second + time.Millisecond)
	r = call(t, s, http.MethodGet, "crm/v3/objects/contacts", nil)
	wantStatus(t, r, http.StatusOK)
	if got := r.Header.Get("X-HubSpot-RateLimit-Remaining"); got != "0" {
		t.Errorf("remaining after roll = %s, want 0", got)
	}
	if got := s.Fake.Requests()["GET /crm/v3/objects/contacts"]; got != 5 {
		t.Errorf("counted %d list requests, want 5 (429s count)", got)
	}
}

func TestRateLimitSearch(t *testing.T) {
	t.Parallel()
	clk := newClock()
	s := hubspottest.NewTestServer(t, hubspottest.WithClock(clk.Now), hubspottest.WithSearchRateLimit(2), hubspottest.WithRateLimit(100, 10*time.Second))
	for range 2 {
		wantStatus(t, call(t, s, http.MethodPost, "crm/v3/objects/contacts/search", map[string]any{}), http.StatusOK)
	}
	r := call(t, s, http.MethodPost, "crm/v3/objects/contacts/search", map[string]any{})
	check429(t, r, "SECONDLY", "You have reached your secondly limit.")
	if r.Header.Get("X-HubSpot-RateLimit-Remaining") != "" {
		t.Error("search 429 carries rate headers")
	}
	// Other endpoints are unaffected.
	wantStatus(t, call(t, s, http.MethodGet, "crm/v3/objects/contacts", nil), http.StatusOK)
	clk.Advance(time.Second)
	wantStatus(t, call(t, s, http.MethodPost, "crm/v3/objects/contacts/search", map[string]any{}), http.StatusOK)
}

func TestRateLimitDaily(t *testing.T) {
	t.Parallel()
	clk := newClock()
	s := hubspottest.NewTestServer(t, hubspottest.WithClock(clk.Now), hubspottest.WithDailyLimit(2))
	r := call(t, s, http.MethodGet, "crm/v3/objects/contacts", nil)
	wantStatus(t, r, http.StatusOK)
	if r.Header.Get("X-HubSpot-RateLimit-Daily") != "2" || r.Header.Get("X-HubSpot-RateLimit-Daily-Remaining") != "1" {
		t.Errorf("daily headers = %q %q", r.Header.Get("X-HubSpot-RateLimit-Daily"), r.Header.Get("X-HubSpot-RateLimit-Daily-Remaining"))
	}
	wantStatus(t, call(t, s, http.MethodPost, "crm/v3/objects/contacts/search", map[string]any{}), http.StatusOK)
	r = call(t, s, http.MethodGet, "crm/v3/objects/contacts", nil)
	check429(t, r, "DAILY", "You have reached your daily limit.")
	if r.Header.Get("X-HubSpot-RateLimit-Daily-Remaining") != "0" {
		t.Errorf("remaining = %q", r.Header.Get("X-HubSpot-RateLimit-Daily-Remaining"))
	}
	check429(t, call(t, s, http.MethodPost, "crm/v3/objects/contacts/search", map[string]any{}), "DAILY", "You have reached your daily limit.")
	clk.Advance(24 * time.Hour)
	wantStatus(t, call(t, s, http.MethodGet, "crm/v3/objects/contacts", nil), http.StatusOK)
}

func TestCountersAndFaults(t *testing.T) {
	t.Parallel()
	s := hubspottest.NewTestServer(t)
	c := mustCreate(t, s.Fake, map[string]string{"email": "c@example.com"})
	if s.Fake.TotalRequests() != 0 {
		t.Fatal("helper counted as a request")
	}
	s.Fake.FailNext(2, http.StatusServiceUnavailable)
	for range 2 {
		r := call(t, s, http.MethodGet, "crm/v3/objects/contacts/"+c.ID, nil)
		wantStatus(t, r, http.StatusServiceUnavailable)
		var e apiErr
		r.Into(t, &e)
		if e.Status != "error" || e.CorrelationID == "" {
			t.Errorf("injected body = %+v", e)
		}
	}
	s.Fake.FailNext(1, http.StatusTooManyRequests)
	check429(t, call(t, s, http.MethodGet, "crm/v3/objects/contacts/"+c.ID, nil), "TEN_SECONDLY_ROLLING", "You have reached your ten_secondly_rolling limit.")
	wantStatus(t, call(t, s, http.MethodGet, "crm/v3/objects/contacts/"+c.ID, nil), http.StatusOK)

	// A POST, because net/http retries an idempotent request whose reused
	// connection closed without an answer.
	s.Fake.DropNext(1)
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, s.URL+"crm/v3/objects/contacts/search", strings.NewReader("{}"))
	if err != nil {
		t.Fatal(err)
	}
	if resp, err := http.DefaultClient.Do(req); err == nil {
		resp.Body.Close()
		t.Errorf("dropped request answered %d", resp.StatusCode)
	}
	wantStatus(t, callToken(t, s, "", http.MethodPost, "crm/v3/objects/contacts/batch/upsert", batch{}), http.StatusUnauthorized)
	wantStatus(t, call(t, s, http.MethodPost, "crm/v3/objects/contacts/batch/upsert", batch{}), http.StatusOK)

	want := map[string]int{
		"GET /crm/v3/objects/contacts/{contactId}":   4,
		"POST /crm/v3/objects/contacts/search":       1,
		"POST /crm/v3/objects/contacts/batch/upsert": 2,
	}
	if diff := cmp.Diff(want, s.Fake.Requests()); diff != "" {
		t.Errorf("counters (-want +got):\n%s", diff)
	}
	if s.Fake.TotalRequests() != 7 {
		t.Errorf("total = %d", s.Fake.TotalRequests())
	}
	s.Fake.ResetCounters()
	if s.Fake.TotalRequests() != 0 || len(s.Fake.Requests()) != 0 {
		t.Error("counters not reset")
	}
}

func TestDropNextWithoutHijacker(t *testing.T) {
	t.Parallel()
	f := hubspottest.New()
	f.DropNext(1)
	defer func() {
		if r := recover(); !errors.Is(asError(r), http.ErrAbortHandler) {
			t.Errorf("recovered %v, want http.ErrAbortHandler", r)
		}
	}()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, "/crm/v3/objects/contacts", nil)
	if err != nil {
		t.Fatal(err)
	}
	f.ServeHTTP(noHijack{}, req)
}

func asError(v any) error {
	err, _ := v.(error)
	return err
}

type noHijack struct{}

func (noHijack) Header() http.Header         { return http.Header{} }
func (noHijack) Write(b []byte) (int, error) { return len(b), nil }
func (noHijack) WriteHeader(int)             {}
