package hubspot_test

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/cardbridge/sansanhubspot/hubspot"
)

// roundTrip marshals v, compares the wire form with want, and unmarshals it
// back into a value equal to v.
func roundTrip[T any](t *testing.T, v T, want string) {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(decodeJSON(t, want), decodeJSON(t, string(b))); diff != "" {
		t.Errorf("wire form of %T (-want +got):\n%s", v, diff)
	}
	var back T
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(v, back); diff != "" {
		t.Errorf("round trip of %T (-want +got):\n%s", v, diff)
	}
}

func TestModelJSON(t *testing.T) {
	t.Parallel()
	ts := time.Date(2024, 5, 6, 7, 8, 9, 10e6, time.UTC)
	t.Run("contact", func(t *testing.T) {
		t.Parallel()
		roundTrip(t, hubspot.Contact{
			ID: "1", Properties: hubspot.Properties{"email": sp("a@b.co"), "phone": nil, "fax": sp("")},
			CreatedAt: ts, UpdatedAt: ts,
		}, `{"id":"1","properties":{"email":"a@b.co","phone":null,"fax":""},
			"createdAt":"2024-05-06T07:08:09.01Z","updatedAt":"2024-05-06T07:08:09.01Z","archived":false}`)
	})
	t.Run("upsert input", func(t *testing.T) {
		t.Parallel()
		roundTrip(t, hubspot.BatchUpsertInput{ID: "a@b.co", IDProperty: "email", Properties: hubspot.PropertyValues{"firstname": ""}, ObjectWriteTraceID: "t"},
			`{"id":"a@b.co","idProperty":"email","properties":{"firstname":""},"objectWriteTraceId":"t"}`)
	})
	t.Run("search request", func(t *testing.T) {
		t.Parallel()
		roundTrip(t, hubspot.SearchRequest{
			FilterGroups: []hubspot.FilterGroup{{Filters: []hubspot.Filter{{PropertyName: "email", Operator: hubspot.OperatorEQ, Value: "a@b.co"}}}},
			Sorts:        []hubspot.Sort{{PropertyName: "createdate", Direction: hubspot.Descending}},
		}, `{"filterGroups":[{"filters":[{"propertyName":"email","operator":"EQ","value":"a@b.co"}]}],
			"sorts":[{"propertyName":"createdate","direction":"DESCENDING"}]}`)
	})
	t.Run("property group", func(t *testing.T) {
		t.Parallel()
		roundTrip(t, hubspot.PropertyGroup{Name: "sansan", Label: "Sansan", DisplayOrder: 2},
			`{"name":"sansan","label":"Sansan","displayOrder":2}`)
	})
	t.Run("webhook event", func(t *testing.T) {
		t.Parallel()
		roundTrip(t, hubspot.WebhookEvent{EventID: 1, OccurredAt: time.UnixMilli(1715203101896).UTC(), SubscriptionType: "contact.deletion", ObjectID: 9},
			`{"eventId":1,"subscriptionId":0,"portalId":0,"appId":0,"occurredAt":1715203101896,"subscriptionType":"contact.deletion","attemptNumber":0,"objectId":9}`)
	})
}

func BenchmarkBatchUpsertMatching(b *testing.B) {
	h := newHarness(b)
	inputs := make([]hubspot.BatchUpsertInput, hubspot.MaxBatchSize)
	results := ""
	for i := range inputs {
		email := fmt.Sprintf("user%d@example.com", i)
		inputs[i] = hubspot.BatchUpsertInput{ID: email, Properties: hubspot.PropertyValues{"firstname": "x"}}
		if i > 0 {
			results += ","
		}
		// Reverse order, so matching cannot rely on position.
		results += fmt.Sprintf(`{"id":"%d","new":true,"properties":{"email":"user%d@example.com"}}`, 1000+i, hubspot.MaxBatchSize-1-i)
	}
	h.handler = func(captured) reply {
		return reply{status: 200, body: `{"status":"COMPLETE","results":[` + results + `]}`}
	}
	ctx := b.Context()
	b.ReportAllocs()
	for b.Loop() {
		res, _, err := h.client.Contacts.BatchUpsert(ctx, inputs)
		if err != nil || len(res.Failed()) != 0 {
			b.Fatal(err, res.Failed())
		}
	}
}

func BenchmarkSignatureV3(b *testing.B) {
	body := make([]byte, 64<<10)
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		_ = hubspot.SignatureV3("secret", "POST", "https://hooks.example.com/hubspot?x=%40", body, "1715203101896")
	}
}
