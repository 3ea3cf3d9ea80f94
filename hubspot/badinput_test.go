package hubspot_test

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/cardbridge/sansanhubspot/hubspot"
	"golang.org/x/time/rate"
)

// hostileHub answers every request with status and body.
func hostileHub(t *testing.T, status int, contentType, body string) *hubspot.Client {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if contentType != "" {
			w.Header().Set("Content-Type", contentType)
		}
		w.WriteHeader(status)
		_, _ = w.Write([]byte(body))
	}))
	t.Cleanup(srv.Close)
	c, err := hubspot.NewClient("pat-na1-badinput", hubspot.WithBaseURL(srv.URL),
		hubspot.WithRateLimit(rate.Inf, 0), hubspot.WithSearchRateLimit(rate.Inf, 0),
		hubspot.WithSleep(func(ctx context.Context, _ time.Duration) error { return ctx.Err() }))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestBadInputFromHubSpot feeds the client hostile or broken answers to a
// read, a search and a batch upsert: each decodes or fails with a clear
// error, never a panic, and a batch never reports an input as written
// unless HubSpot said so.
func TestBadInputFromHubSpot(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("長", 100000)
	tests := []struct {
		name   string
		status int
		ctype  string
		body   string
		// ok: the call succeeds; check inspects the result.
		ok       bool
		check    func(t *testing.T, c *hubspot.Contact)
		wantErr  error
		wantText string
	}{
		{name: "null everywhere", status: 200, ok: true,
			body: `{"id":"1","properties":{"email":null,"firstname":null},"propertiesWithHistory":null,"createdAt":null,"updatedAt":null,"archived":null,"associations":null}`,
			check: func(t *testing.T, c *hubspot.Contact) {
				if v, ok := c.Properties.Get("email"); ok || v != "" {
					t.Errorf("null email read as %q, %v", v, ok)
				}
			}},
		{name: "null properties", status: 200, ok: true, body: `{"id":"1","properties":null}`},
		{name: "invalid UTF-8", status: 200, ok: true, body: "{\"id\":\"1\",\"properties\":{\"lastname\":\"\xff\xfe山田\"}}",
			check: func(t *testing.T, c *hubspot.Contact) {
				if v, _ := c.Properties.Get("lastname"); !utf8.ValidString(v) {
					t.Errorf("invalid UTF-8 reached the caller: %q", v)
				}
			}},
		{name: "control characters and a long value", status: 200, ok: true,
			body: `{"id":"1","properties":{"lastname":"山\u0000田\u001b","notes":"` + long + `"}}`},
		{name: "id as a number", status: 200, body: `{"id":1,"properties":{}}`, wantText: "decode response"},
		{name: "malformed JSON", status: 200, ctype: "application/json", body: `{"id":"1","properties":{`, wantText: "decode response"},
		{name: "HTML error page from a proxy", status: 502, ctype: "text/html", body: "<html><body>502 Bad Gateway</body></html>", wantErr: hubspot.ErrServer},
		{name: "HTML page with 200", status: 200, ctype: "text/html", body: "<!doctype html><p>maintenance</p>", wantText: "decode response"},
		{name: "200 with empty body", status: 200, body: "", wantText: "empty response body"},
		{name: "error body not JSON", status: 400, ctype: "text/plain", body: "nope", wantErr: hubspot.ErrBadRequest},
		{name: "error body with nulls", status: 404, body: `{"status":null,"message":null,"category":null,"context":null,"errors":null}`, wantErr: hubspot.ErrNotFound},
		{name: "429 with junk body", status: 429, body: "\x00\x01", wantErr: hubspot.ErrRateLimited},
		{name: "409 with a non-numeric existing id", status: 409, body: `{"status":"error","message":"Contact already exists. Existing ID: abc","category":"CONFLICT"}`, wantErr: hubspot.ErrConflict},
		{name: "embedded property errors not JSON", status: 400, body: `{"status":"error","message":"Property values were not valid: [{\"isValid\":","category":"VALIDATION_ERROR"}`, wantErr: hubspot.ErrValidation},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := hostileHub(t, tt.status, tt.ctype, tt.body)
			got, _, err := c.Contacts.Get(t.Context(), "1", nil)
			if tt.ok {
				if err != nil {
					t.Fatalf("Get: %v", err)
				}
				if tt.check != nil {
					tt.check(t, got)
				}
				return
			}
			if err == nil {
				t.Fatalf("Get succeeded: %+v", got)
			}
			if tt.wantErr != nil && !errors.Is(err, tt.wantErr) {
				t.Errorf("error %v does not match %v", err, tt.wantErr)
			}
			if tt.wantText != "" && !strings.Contains(err.Error(), tt.wantText) {
				t.Errorf("error %q does not mention %q", err, tt.wantText)
			}
			if len(err.Error()) > 2000 {
				t.Errorf("error message is %d bytes", len(err.Error()))
			}
		})
	}
}

// TestBadInput207 answers a batch upsert with 207 bodies HubSpot should
// never send: errors naming trace ids nobody sent, results for unknown
// emails, nulls and duplicates. Every input gets exactly one outcome, and
// only inputs HubSpot confirmed count as written.
func TestBadInput207(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		body string
		// wantOK lists the inputs (by index) confirmed written.
		wantOK []int
	}{
		{name: "errors for unknown trace ids", wantOK: []int{0},
			body: `{"status":"COMPLETE","results":[{"id":"10","properties":{"email":"a@example.jp"},"new":true}],` +
				`"errors":[{"status":"error","category":"VALIDATION_ERROR","message":"bad","context":{"objectWriteTraceId":["nobody-sent-this"]}}],"numErrors":1}`},
		{name: "results for emails nobody sent", wantOK: nil,
			body: `{"status":"COMPLETE","results":[{"id":"11","properties":{"email":"stranger@example.jp"},"new":true}],"errors":[],"numErrors":0}`},
		{name: "null results and errors", wantOK: nil,
			body: `{"status":"COMPLETE","results":null,"errors":null}`},
		{name: "null entries", wantOK: nil,
			body: `{"status":"COMPLETE","results":[null],"errors":[null]}`},
		{name: "error without context", wantOK: []int{1},
			body: `{"status":"COMPLETE","results":[{"id":"12","properties":{"email":"b@example.jp"}}],"errors":[{"status":"error","category":"VALIDATION_ERROR","message":"something"}]}`},
		{name: "same input twice", wantOK: []int{0},
			body: `{"status":"COMPLETE","results":[{"id":"10","properties":{"email":"a@example.jp"}},{"id":"13","properties":{"email":"A@example.jp"}}]}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := hostileHub(t, http.StatusMultiStatus, "application/json", tt.body)
			in := []hubspot.BatchUpsertInput{
				{ID: "a@example.jp", Properties: hubspot.PropertyValues{"lastname": "A"}},
				{ID: "b@example.jp", Properties: hubspot.PropertyValues{"lastname": "B"}},
			}
			res, _, err := c.Contacts.BatchUpsert(t.Context(), in)
			if err != nil {
				t.Fatalf("BatchUpsert: %v", err)
			}
			if len(res.Outcomes) != len(in) {
				t.Fatalf("%d outcomes for %d inputs", len(res.Outcomes), len(in))
			}
			var ok []int
			for i, o := range res.Outcomes {
				if o == nil {
					t.Fatalf("outcome %d is nil", i)
				}
				if o.Err == nil {
					if o.Contact == nil {
						t.Errorf("outcome %d: no error and no contact", i)
					}
					ok = append(ok, i)
				} else if o.Err.Message == "" {
					t.Errorf("outcome %d: error without a message", i)
				}
			}
			if !equalInts(ok, tt.wantOK) {
				t.Errorf("confirmed inputs %v, want %v", ok, tt.wantOK)
			}
		})
	}
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestBadInputWebhooks drives the webhook handler with bad, replayed and
// stale signatures and oversized bodies: only correctly signed, fresh,
// bounded deliveries reach Handle, and a replay inside the window hands
// the same events again (harmless: the engine re-reads contacts by id).
func TestBadInputWebhooks(t *testing.T) {
	t.Parallel()
	const secret = "webhook-secret-0123456789"
	now := time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)
	body := []byte(`[{"eventId":1,"subscriptionId":2,"portalId":3,"appId":4,"occurredAt":1764331200000,"subscriptionType":"contact.creation","attemptNumber":0,"objectId":123,"changeSource":"CRM"}]`)
	var handled atomic.Int64
	h := &hubspot.WebhookHandler{
		ClientSecret: secret,
		MaxBodyBytes: 4096,
		Now:          func() time.Time { return now },
		Handle: func(_ context.Context, ev []hubspot.WebhookEvent) error {
			handled.Add(int64(len(ev)))
			return nil
		},
	}
	const target = "https://hooks.example.jp/hubspot?x=1"
	ts := func(d time.Duration) string { return strconv.FormatInt(now.Add(d).UnixMilli(), 10) }
	sign := func(b []byte, stamp string) string {
		return hubspot.SignatureV3(secret, http.MethodPost, target, b, stamp)
	}
	big := append([]byte("["), bytes.Repeat([]byte(" "), 8192)...)
	big = append(big, ']')
	tests := []struct {
		name      string
		method    string
		body      []byte
		stamp     string
		sig       string
		setSig    bool
		wantCode  int
		wantCount int64 // events handled by this request
	}{
		{"valid", http.MethodPost, body, ts(0), sign(body, ts(0)), true, http.StatusNoContent, 1},
		{"replayed within the window", http.MethodPost, body, ts(0), sign(body, ts(0)), true, http.StatusNoContent, 1},
		{"no signature", http.MethodPost, body, ts(0), "", false, http.StatusUnauthorized, 0},
		{"wrong signature", http.MethodPost, body, ts(0), sign([]byte("[]"), ts(0)), true, http.StatusUnauthorized, 0},
		{"signature of another secret", http.MethodPost, body, ts(0), hubspot.SignatureV3("other", http.MethodPost, target, body, ts(0)), true, http.StatusUnauthorized, 0},
		{"garbage signature", http.MethodPost, body, ts(0), "%%%not base64\x00", true, http.StatusUnauthorized, 0},
		{"body altered after signing", http.MethodPost, append(bytes.Clone(body[:len(body)-1]), []byte(`,{}]`)...), ts(0), sign(body, ts(0)), true, http.StatusUnauthorized, 0},
		{"stale timestamp", http.MethodPost, body, ts(-6 * time.Minute), sign(body, ts(-6*time.Minute)), true, http.StatusUnauthorized, 0},
		{"timestamp from the future", http.MethodPost, body, ts(6 * time.Minute), sign(body, ts(6*time.Minute)), true, http.StatusUnauthorized, 0},
		{"malformed timestamp", http.MethodPost, body, "yesterday", sign(body, "yesterday"), true, http.StatusUnauthorized, 0},
		{"oversized body", http.MethodPost, big, ts(0), sign(big, ts(0)), true, http.StatusRequestEntityTooLarge, 0},
		{"signed garbage", http.MethodPost, []byte("{not json"), ts(0), sign([]byte("{not json"), ts(0)), true, http.StatusBadRequest, 0},
		{"signed invalid UTF-8", http.MethodPost, []byte("[\"\xff\"]"), ts(0), sign([]byte("[\"\xff\"]"), ts(0)), true, http.StatusBadRequest, 0},
		{"GET", http.MethodGet, nil, ts(0), sign(nil, ts(0)), true, http.StatusMethodNotAllowed, 0},
	}
	// Sequential: the handled count is shared.
	for _, tt := range tests {
		before := handled.Load()
		r := httptest.NewRequest(tt.method, target, bytes.NewReader(tt.body))
		r.Header.Set(hubspot.HeaderRequestTimestamp, tt.stamp)
		if tt.setSig {
			r.Header.Set(hubspot.HeaderSignatureV3, tt.sig)
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code != tt.wantCode {
			t.Errorf("%s: status %d, want %d (%s)", tt.name, w.Code, tt.wantCode, w.Body.String())
		}
		if got := handled.Load() - before; got != tt.wantCount {
			t.Errorf("%s: %d events handled, want %d", tt.name, got, tt.wantCount)
		}
	}
}
