package hubspot_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/cardbridge/sansanhubspot/hubspot"
)

const (
	docSecret  = "yyyyyyyy-yyyy-yyyy-yyyy-yyyyyyyyyyyy"
	docV1Body  = `[{"eventId":1,"subscriptionId":12345,"portalId":62515,"occurredAt":1564113600000,"subscriptionType":"contact.creation","attemptNumber":0,"objectId":123,"changeSource":"CRM","changeFlag":"NEW","appId":54321}]`
	hookSecret = "client-secret-123"
	hookURL    = "https://hooks.example.com/hubspot/events?portal=62515&email=a%40b.com"
	hookTS     = "1715203101896"
	// hookSig was computed independently (Python hmac) over
	// "POST" + "https://hooks.example.com/hubspot/events?portal=62515&email=a@b.com" + docV1Body + hookTS.
	hookSig = "pgyt/5u0LoBt5YoushjMG54m/7e4GltRm0WUGb8MDBo="
)

var hookNow = time.UnixMilli(1715203101896).Add(30 * time.Second)

func TestSignatureVectors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, got, want string
	}{
		{"v1 docs vector", hubspot.SignatureV1(docSecret, []byte(docV1Body)), "232db2615f3d666fe21a8ec971ac7b5402d33b9a925784df3ca654d05f4817de"},
		{"v2 docs vector GET", hubspot.SignatureV2(docSecret, "GET", "https://www.example.com/webhook_uri", nil), "eee2dddcc73c94d699f5e395f4b9d454a069a6855fbfa152e91e88823087200e"},
		{"v2 docs vector POST", hubspot.SignatureV2(docSecret, "POST", "https://www.example.com/webhook_uri", []byte(`{"example_field":"example_value"}`)), "9569219f8ba981ffa6f6f16aa0f48637d35d728c7e4d93d0d52efaa512af7900"},
		{"v3 computed vector, URI decoded", hubspot.SignatureV3(hookSecret, "POST", hookURL, []byte(docV1Body), hookTS), hookSig},
		{"v3 lower-case escapes decoded too", hubspot.SignatureV3(hookSecret, "POST", strings.Replace(hookURL, "https://", "https%3a%2f%2f", 1), []byte(docV1Body), hookTS), hookSig},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("%s: got %s, want %s", tt.name, tt.got, tt.want)
		}
	}
}

func newHookRequest(body, ts, sig string) *http.Request {
	r := httptest.NewRequest(http.MethodPost, hookURL, strings.NewReader(body))
	if ts != "" {
		r.Header.Set(hubspot.HeaderRequestTimestamp, ts)
	}
	if sig != "" {
		r.Header.Set(hubspot.HeaderSignatureV3, sig)
	}
	return r
}

func TestVerifyWebhook(t *testing.T) {
	t.Parallel()
	otherTS := strconv.FormatInt(hookNow.UnixMilli(), 10)
	tests := []struct {
		name    string
		method  string
		body    string
		ts, sig string
		now     time.Time
		want    error
		missing string // the header a *MissingHeaderError names
	}{
		{name: "valid", body: docV1Body, ts: hookTS, sig: hookSig, now: hookNow},
		{name: "tampered body", body: strings.Replace(docV1Body, "123", "124", 1), ts: hookTS, sig: hookSig, now: hookNow, want: hubspot.ErrInvalidSignature},
		{name: "whitespace added to body", body: docV1Body + " ", ts: hookTS, sig: hookSig, now: hookNow, want: hubspot.ErrInvalidSignature},
		{name: "tampered timestamp", body: docV1Body, ts: otherTS, sig: hookSig, now: hookNow, want: hubspot.ErrInvalidSignature},
		{name: "other method", method: http.MethodPut, body: docV1Body, ts: hookTS, sig: hookSig, now: hookNow, want: hubspot.ErrInvalidSignature},
		{name: "stale", body: docV1Body, ts: hookTS, sig: hookSig, now: hookNow.Add(5 * time.Minute), want: hubspot.ErrStaleTimestamp},
		{name: "from the future", body: docV1Body, ts: hookTS, sig: hookSig, now: hookNow.Add(-6 * time.Minute), want: hubspot.ErrStaleTimestamp},
		{name: "missing timestamp", body: docV1Body, sig: hookSig, now: hookNow, want: hubspot.ErrMissingHeader, missing: hubspot.HeaderRequestTimestamp},
		{name: "blank timestamp", body: docV1Body, ts: "  ", sig: hookSig, now: hookNow, want: hubspot.ErrMissingHeader, missing: hubspot.HeaderRequestTimestamp},
		{name: "malformed timestamp", body: docV1Body, ts: "yesterday", sig: hookSig, now: hookNow, want: hubspot.ErrStaleTimestamp},
		{name: "no header at all", body: docV1Body, now: hookNow, want: hubspot.ErrMissingHeader, missing: hubspot.HeaderRequestTimestamp},
		{name: "missing signature", body: docV1Body, ts: hookTS, now: hookNow, want: hubspot.ErrInvalidSignature, missing: hubspot.HeaderSignatureV3},
		{name: "garbage signature", body: docV1Body, ts: hookTS, sig: "!!", now: hookNow, want: hubspot.ErrInvalidSignature},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := newHookRequest(tt.body, tt.ts, tt.sig)
			if tt.method != "" {
				r.Method = tt.method
			}
			err := hubspot.VerifyWebhook(r, []byte(tt.body), hubspot.WebhookVerifyOptions{ClientSecret: hookSecret, Now: func() time.Time { return tt.now }})
			if tt.want == nil && err != nil || tt.want != nil && !errors.Is(err, tt.want) {
				t.Errorf("err = %v, want %v", err, tt.want)
			}
			if err != nil && strings.Contains(err.Error(), hookSecret) {
				t.Errorf("error leaks secret: %v", err)
			}
			var mh *hubspot.MissingHeaderError
			gotMissing := ""
			if errors.As(err, &mh) {
				gotMissing = mh.Header
			}
			if gotMissing != tt.missing {
				t.Errorf("missing header = %q, want %q (err %v)", gotMissing, tt.missing, err)
			}
			if tt.missing != "" {
				if !errors.Is(err, hubspot.ErrMissingHeader) || errors.Is(err, hubspot.ErrStaleTimestamp) {
					t.Errorf("a missing header is %v: want ErrMissingHeader, not ErrStaleTimestamp", err)
				}
				if !strings.Contains(err.Error(), tt.missing) || strings.Contains(err.Error(), "window") {
					t.Errorf("error %q should name the missing %s header and no time window", err, tt.missing)
				}
			}
		})
	}
	if err := hubspot.VerifyWebhook(newHookRequest(docV1Body, hookTS, hookSig), []byte(docV1Body), hubspot.WebhookVerifyOptions{Now: func() time.Time { return hookNow }}); err == nil {
		t.Error("empty secret accepted")
	}
}

// TestVerifyWebhookBehindProxy checks that X-Forwarded-Proto/Host are used
// for the signed URL only when trusted.
func TestVerifyWebhookBehindProxy(t *testing.T) {
	t.Parallel()
	// The proxy receives https://hooks.example.com/... and forwards it as
	// http://internal:8080/... with the forwarded headers set.
	proxied := func(fwdHost, fwdProto string) *http.Request {
		r := newHookRequest(docV1Body, hookTS, hookSig)
		r.Host = "internal:8080"
		if fwdHost != "" {
			r.Header.Set("X-Forwarded-Host", fwdHost)
		}
		if fwdProto != "" {
			r.Header.Set("X-Forwarded-Proto", fwdProto)
		}
		return r
	}
	tests := []struct {
		name    string
		req     *http.Request
		trust   bool
		want    error
		wantURL string
	}{
		{name: "forwarded headers ignored by default", req: proxied("hooks.example.com", "https"), want: hubspot.ErrInvalidSignature},
		{name: "trusted proxy", req: proxied("hooks.example.com", "https"), trust: true, wantURL: hookURL},
		{name: "first of several hosts", req: proxied("hooks.example.com, internal:8080", "https,http"), trust: true, wantURL: hookURL},
		{name: "malformed forwarded host ignored", req: proxied("evil.example/x", ""), trust: true, want: hubspot.ErrInvalidSignature},
		{name: "forwarded plain http is signed as http", req: proxied("hooks.example.com", "http"), trust: true, want: hubspot.ErrInvalidSignature},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := hubspot.VerifyWebhook(tt.req, []byte(docV1Body), hubspot.WebhookVerifyOptions{
				ClientSecret: hookSecret, Now: func() time.Time { return hookNow }, TrustForwardedHeaders: tt.trust,
			})
			if tt.want == nil && err != nil || tt.want != nil && !errors.Is(err, tt.want) {
				t.Errorf("err = %v, want %v", err, tt.want)
			}
			if tt.wantURL != "" {
				if got := hubspot.ForwardedWebhookURL(tt.req); got != strings.Replace(tt.wantURL, "a%40b.com", "a%40b.com", 1) {
					t.Errorf("ForwardedWebhookURL = %q, want %q", got, tt.wantURL)
				}
			}
		})
	}
}

func TestWebhookHandler(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		req        func() *http.Request
		handleErr  error
		maxBody    int64
		legacy     bool
		wantStatus int
		wantEvents int
		wantBody   string // part of the answer's body, when set
	}{
		{name: "valid delivery", req: func() *http.Request { return newHookRequest(docV1Body, hookTS, hookSig) }, wantStatus: 204, wantEvents: 1},
		{name: "no timestamp", req: func() *http.Request { return newHookRequest(docV1Body, "", hookSig) }, wantStatus: 401,
			wantBody: "missing X-HubSpot-Request-Timestamp header"},
		{name: "bad signature", req: func() *http.Request { return newHookRequest(docV1Body, hookTS, "x"+hookSig[1:]) }, wantStatus: 401},
		{name: "stale", req: func() *http.Request { return newHookRequest(docV1Body, "1000", hookSig) }, wantStatus: 401},
		{name: "get", req: func() *http.Request { return httptest.NewRequest(http.MethodGet, hookURL, nil) }, wantStatus: 405},
		{name: "body too large", req: func() *http.Request { return newHookRequest(docV1Body, hookTS, hookSig) }, maxBody: 10, wantStatus: 413},
		{name: "callback fails", req: func() *http.Request { return newHookRequest(docV1Body, hookTS, hookSig) }, handleErr: errors.New("queue full"), wantStatus: 500, wantEvents: 1},
		{name: "not an array", req: func() *http.Request {
			body := `{"eventId":1}`
			return newHookRequest(body, hookTS, hubspot.SignatureV3(hookSecret, "POST", hookURL, []byte(body), hookTS))
		}, wantStatus: 400},
		{name: "v1 refused by default", req: func() *http.Request {
			r := newHookRequest(docV1Body, "", "")
			r.Header.Set(hubspot.HeaderSignature, hubspot.SignatureV1(hookSecret, []byte(docV1Body)))
			return r
		}, wantStatus: 401},
		{name: "v1 when allowed", legacy: true, req: func() *http.Request {
			r := newHookRequest(docV1Body, "", "")
			r.Header.Set(hubspot.HeaderSignature, hubspot.SignatureV1(hookSecret, []byte(docV1Body)))
			r.Header.Set(hubspot.HeaderSignatureVersion, "v1")
			return r
		}, wantStatus: 204, wantEvents: 1},
		{name: "v2 when allowed", legacy: true, req: func() *http.Request {
			r := newHookRequest(docV1Body, "", "")
			r.Header.Set(hubspot.HeaderSignature, hubspot.SignatureV2(hookSecret, "POST", hookURL, []byte(docV1Body)))
			r.Header.Set(hubspot.HeaderSignatureVersion, "v2")
			return r
		}, wantStatus: 204, wantEvents: 1},
		{name: "bad v1 when allowed", legacy: true, req: func() *http.Request {
			r := newHookRequest(docV1Body, "", "")
			r.Header.Set(hubspot.HeaderSignature, hubspot.SignatureV1("wrong", []byte(docV1Body)))
			return r
		}, wantStatus: 401},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var got []hubspot.WebhookEvent
			h := &hubspot.WebhookHandler{
				ClientSecret: hookSecret,
				Handle: func(_ context.Context, events []hubspot.WebhookEvent) error {
					got = append(got, events...)
					return tt.handleErr
				},
				MaxBodyBytes:          tt.maxBody,
				Now:                   func() time.Time { return hookNow },
				AllowLegacySignatures: tt.legacy,
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, tt.req())
			if rec.Code != tt.wantStatus {
				t.Errorf("status = %d, want %d (%s)", rec.Code, tt.wantStatus, rec.Body)
			}
			if !strings.Contains(rec.Body.String(), tt.wantBody) {
				t.Errorf("body = %q, want it to contain %q", rec.Body, tt.wantBody)
			}
			if len(got) != tt.wantEvents {
				t.Fatalf("events = %d, want %d", len(got), tt.wantEvents)
			}
			if tt.wantEvents > 0 && (got[0].ObjectID != 123 || got[0].SubscriptionType != "contact.creation") {
				t.Errorf("event = %+v", got[0])
			}
		})
	}
	rec := httptest.NewRecorder()
	(&hubspot.WebhookHandler{}).ServeHTTP(rec, newHookRequest(docV1Body, hookTS, hookSig))
	if rec.Code != 500 {
		t.Errorf("misconfigured handler answered %d", rec.Code)
	}
}

func TestParseWebhookEvents(t *testing.T) {
	t.Parallel()
	events, err := hubspot.ParseWebhookEvents([]byte(readFixture(t, "webhook_events.json")))
	if err != nil {
		t.Fatal(err)
	}
	want := []hubspot.WebhookEvent{
		{
			EventID: 3029365631, SubscriptionID: 686627, PortalID: 891472211, AppID: 7906213,
			OccurredAt: time.UnixMilli(1715203101896).UTC(), SubscriptionType: "contact.propertyChange",
			ObjectID: 847297356, PropertyName: "firstname", PropertyValue: "Briane", ChangeSource: "CRM_UI", SourceID: "userId:882761034",
		},
		{
			EventID: 3029365632, SubscriptionID: 686628, PortalID: 891472211, AppID: 7906213,
			OccurredAt: time.UnixMilli(1715203102000).UTC(), SubscriptionType: "contact.merge", AttemptNumber: 2,
			ObjectID: 57156923994, PrimaryObjectID: 57156923994, MergedObjectIDs: []int64{101, 102}, NewObjectID: 57156923994,
			NumberOfPropertiesMoved: 12, ChangeSource: "CRM_UI",
		},
		{
			EventID: 1, SubscriptionID: 3, PortalID: 4, AppID: 5, OccurredAt: time.UnixMilli(1564113600000).UTC(),
			SubscriptionType: "contact.creation", ObjectID: 123, ChangeSource: "CRM", ChangeFlag: "NEW",
		},
		{
			EventID: 2, SubscriptionID: 3, PortalID: 4, AppID: 5, OccurredAt: time.UnixMilli(1564113600001).UTC(),
			SubscriptionType: "contact.associationChange", AssociationType: "CONTACT_TO_COMPANY", FromObjectID: 123, ToObjectID: 456,
			IsPrimaryAssociation: true, ChangeSource: "USER",
		},
	}
	if diff := cmp.Diff(want, events); diff != "" {
		t.Errorf("events (-want +got):\n%s", diff)
	}
	if id := events[1].ContactID(); id != "57156923994" {
		t.Errorf("ContactID = %q", id)
	}
	// Round trip through MarshalJSON.
	b, err := json.Marshal(events)
	if err != nil {
		t.Fatal(err)
	}
	again, err := hubspot.ParseWebhookEvents(b)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(events, again); diff != "" {
		t.Errorf("round trip (-want +got):\n%s", diff)
	}
	for _, bad := range []string{``, `{}`, `[{"objectId":"abc"}]`, `[{"objectId":1.5}]`, `[1]`, `[`} {
		if _, err := hubspot.ParseWebhookEvents([]byte(bad)); err == nil {
			t.Errorf("ParseWebhookEvents(%q) accepted", bad)
		}
	}
}

func FuzzParseWebhookEvents(f *testing.F) {
	f.Add([]byte(docV1Body))
	f.Add([]byte(`[{"objectId":"12","occurredAt":"1","mergedObjectIds":["1",2]}]`))
	f.Add([]byte(`[{"objectTypeId":"0-1"},{"objectTypeId":7},null]`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, body []byte) {
		events, err := hubspot.ParseWebhookEvents(body)
		if err != nil {
			return
		}
		// Whatever parses must survive a round trip unchanged.
		b, err := json.Marshal(events)
		if err != nil {
			t.Fatalf("marshal: %v", err)
		}
		again, err := hubspot.ParseWebhookEvents(b)
		if err != nil {
			t.Fatalf("re-parse %s: %v", b, err)
		}
		if diff := cmp.Diff(events, again); diff != "" {
			t.Fatalf("round trip (-want +got):\n%s", diff)
		}
	})
}
