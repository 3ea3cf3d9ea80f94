package hubspottest_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/cardbridge/sansanhubspot/hubspot/hubspottest"
)

func TestSignatureV3Vector(t *testing.T) {
	t.Parallel()
	// Computed independently (Python hmac/hashlib/base64) for this input.
	body := `[{"eventId":1,"subscriptionId":12345,"portalId":62515,"occurredAt":1564113600000,"subscriptionType":"contact.creation","attemptNumber":0,"objectId":123,"changeSource":"CRM","changeFlag":"NEW","appId":54321}]`
	got := hubspottest.SignatureV3("hubspottest-secret", "POST", "https://example.com/webhooks/hubspot?x=1", []byte(body), "1715203101896")
	if want := "5aJk5w16CYvduM7vmdEl+yZm/HE+7TuzqGL6VQytg7s="; got != want {
		t.Errorf("SignatureV3 = %s, want %s", got, want)
	}
}

// delivery is one received webhook request.
type delivery struct {
	header http.Header
	uri    string
	body   []byte
	events []hubspottest.WebhookEvent
}

// receiver collects webhook deliveries; fail(n) answers 500 to the next n.
type receiver struct {
	*httptest.Server
	mu    sync.Mutex
	got   []delivery
	fails int
}

func newReceiver(t *testing.T) *receiver {
	t.Helper()
	rc := &receiver{}
	rc.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		var evs []hubspottest.WebhookEvent
		if err := json.Unmarshal(b, &evs); err != nil {
			t.Errorf("webhook body %q: %v", b, err)
		}
		rc.mu.Lock()
		defer rc.mu.Unlock()
		rc.got = append(rc.got, delivery{header: r.Header.Clone(), uri: "http://" + r.Host + r.URL.RequestURI(), body: b, events: evs})
		if rc.fails > 0 {
			rc.fails--
			w.WriteHeader(http.StatusInternalServerError)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(rc.Close)
	return rc
}

func (rc *receiver) deliveries() []delivery {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return slices.Clone(rc.got)
}

// verify checks a delivery's signatures the way a receiver would.
func verify(t *testing.T, d delivery, secret string) {
	t.Helper()
	ts := d.header.Get("X-HubSpot-Request-Timestamp")
	if _, err := strconv.ParseInt(ts, 10, 64); err != nil {
		t.Errorf("timestamp %q: %v", ts, err)
	}
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte("POST" + d.uri + string(d.body) + ts))
	if want := base64.StdEncoding.EncodeToString(m.Sum(nil)); d.header.Get("X-HubSpot-Signature-v3") != want {
		t.Errorf("v3 signature %q, want %q", d.header.Get("X-HubSpot-Signature-v3"), want)
	}
	v1 := sha256.Sum256([]byte(secret + string(d.body)))
	if d.header.Get("X-HubSpot-Signature") != hex.EncodeToString(v1[:]) || d.header.Get("X-HubSpot-Signature-Version") != "v1" {
		t.Errorf("v1 signature headers = %v", d.header)
	}
}

func TestWebhookEmitterSend(t *testing.T) {
	t.Parallel()
	rc := newReceiver(t)
	em := hubspottest.NewWebhookEmitter(rc.URL+"/hook?tenant=a", "s3cret", 777)
	em.Clock = func() time.Time { return time.UnixMilli(1715203101896) }
	evs := []hubspottest.WebhookEvent{
		em.ContactCreation(11),
		em.ContactPropertyChange(11, "firstname", "Briane"),
		em.ContactDeletion(12),
		em.ContactMerge(11, []int64{13}, 2),
	}
	if err := em.Send(t.Context(), evs); err != nil {
		t.Fatal(err)
	}
	ds := rc.deliveries()
	if len(ds) != 1 {
		t.Fatalf("deliveries = %d", len(ds))
	}
	verify(t, ds[0], "s3cret")
	if ds[0].header.Get("X-HubSpot-Request-Timestamp") != "1715203101896" {
		t.Errorf("timestamp = %s", ds[0].header.Get("X-HubSpot-Request-Timestamp"))
	}
	var raw []map[string]any
	if err := json.Unmarshal(ds[0].body, &raw); err != nil {
		t.Fatal(err)
	}
	want := []map[string]any{
		{"eventId": 1.0, "subscriptionId": 1.0, "portalId": 1.0, "appId": 777.0, "occurredAt": 1715203101896.0, "subscriptionType": "contact.creation",
			"attemptNumber": 0.0, "objectId": 11.0, "changeFlag": "NEW", "changeSource": "CRM_UI", "sourceId": "userId:1"},
		{"eventId": 2.0, "subscriptionId": 1.0, "portalId": 1.0, "appId": 777.0, "occurredAt": 1715203101896.0, "subscriptionType": "contact.propertyChange",
			"attemptNumber": 0.0, "objectId": 11.0, "propertyName": "firstname", "propertyValue": "Briane", "changeSource": "CRM_UI", "sourceId": "userId:1"},
		{"eventId": 3.0, "subscriptionId": 1.0, "portalId": 1.0, "appId": 777.0, "occurredAt": 1715203101896.0, "subscriptionType": "contact.deletion",
			"attemptNumber": 0.0, "objectId": 12.0, "changeSource": "CRM_UI", "sourceId": "userId:1"},
		{"eventId": 4.0, "subscriptionId": 1.0, "portalId": 1.0, "appId": 777.0, "occurredAt": 1715203101896.0, "subscriptionType": "contact.merge",
			"attemptNumber": 0.0, "objectId": 11.0, "primaryObjectId": 11.0, "mergedObjectIds": []any{13.0}, "newObjectId": 11.0,
			"numberOfPropertiesMoved": 2.0, "changeSource": "CRM_UI", "sourceId": "userId:1"},
	}
	if diff := cmp.Diff(want, raw); diff != "" {
		t.Errorf("payload (-want +got):\n%s", diff)
	}

	rc.mu.Lock()
	rc.fails = 1
	rc.mu.Unlock()
	if err := em.Send(t.Context(), evs[:1]); err == nil {
		t.Error("Send ignored a 500")
	}
}

// key summarizes an event for comparison.
type key struct {
	Type, Prop, Value, Source string
	Object                    int64
}

func TestAutomaticWebhooks(t *testing.T) {
	t.Parallel()
	rc := newReceiver(t)
	rc.fails = 1 // the first delivery fails and is retried
	s := hubspottest.NewTestServer(t, hubspottest.WithWebhooks(hubspottest.WebhookConfig{
		TargetURL: rc.URL + "/hook", ClientSecret: "sec", AppID: 4242, RetryDelay: time.Millisecond,
		Properties: []string{"email", "firstname"},
	}))
	r := call(t, s, http.MethodPost, "crm/v3/objects/contacts", map[string]any{"properties": map[string]string{"email": "w@example.com", "firstname": "W", "jobtitle": "x"}})
	wantStatus(t, r, http.StatusCreated)
	var o object
	r.Into(t, &o)
	id, _ := strconv.ParseInt(o.ID, 10, 64)
	if err := s.Fake.FlushWebhooks(t.Context()); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Fake.UpdateContact(o.ID, map[string]string{"firstname": "Walt"}); err != nil {
		t.Fatal(err)
	}
	other := mustCreate(t, s.Fake, map[string]string{"lastname": "Other"})
	otherID, _ := strconv.ParseInt(other.ID, 10, 64)
	if _, err := s.Fake.MergeContacts(o.ID, other.ID); err != nil {
		t.Fatal(err)
	}
	wantStatus(t, call(t, s, http.MethodDelete, "crm/v3/objects/contacts/"+o.ID, nil), http.StatusNoContent)
	if err := s.Fake.FlushWebhooks(t.Context()); err != nil {
		t.Fatal(err)
	}

	ds := rc.deliveries()
	var got []key
	attempts := map[int]int{}
	for i, d := range ds {
		verify(t, d, "sec")
		for _, ev := range d.events {
			attempts[ev.AttemptNumber]++
			if i == 0 {
				continue // failed delivery, retried below
			}
			v := ""
			if ev.PropertyValue != nil {
				v = *ev.PropertyValue
			}
			if ev.AppID != 4242 || ev.EventID == 0 || ev.OccurredAt == 0 {
				t.Errorf("event = %+v", ev)
			}
			got = append(got, key{ev.SubscriptionType, ev.PropertyName, v, ev.ChangeSource, ev.ObjectID})
		}
	}
	want := []key{
		{"contact.creation", "", "", "INTEGRATION", id},
		{"contact.propertyChange", "email", "w@example.com", "INTEGRATION", id},
		{"contact.propertyChange", "firstname", "W", "INTEGRATION", id},
		{"contact.propertyChange", "firstname", "Walt", "CRM_UI", id},
		{"contact.creation", "", "", "CRM_UI", otherID},
		{"contact.merge", "", "", "CRM_UI", id},
		{"contact.deletion", "", "", "INTEGRATION", id},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("events (-want +got):\n%s", diff)
	}
	if attempts[0] == 0 || attempts[1] != 3 {
		t.Errorf("attempt numbers = %v, want the 3 events of the first batch retried as attempt 1", attempts)
	}
	if ds[1].events[0].SourceID != "4242" {
		t.Errorf("sourceId = %q", ds[1].events[0].SourceID)
	}
}
