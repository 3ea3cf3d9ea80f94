package hubspot_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/cardbridge/sansanhubspot/hubspot"
)

func TestRefusedUpsertInputs(t *testing.T) {
	t.Parallel()
	inputs := []hubspot.BatchUpsertInput{
		{ID: "a@example.com", ObjectWriteTraceID: "t-a"},
		{ID: "Bad@Example.con", ObjectWriteTraceID: "t-b"},
		{ID: "c@example.com", Properties: hubspot.PropertyValues{"email": "c2@example.con"}, ObjectWriteTraceID: "t-c"},
		{ID: "aa@example.com", ObjectWriteTraceID: "t-aa"},
	}
	tests := []struct {
		name   string
		status int
		body   string
		want   []int
	}{
		{name: "email in the property errors", status: 400,
			body: `{"status":"error","category":"VALIDATION_ERROR","message":"Property values were not valid: [{\"isValid\":false,\"message\":\"Email address bad@example.con is invalid\",\"error\":\"INVALID_EMAIL\",\"name\":\"email\"}]"}`,
			want: []int{1}},
		{name: "email property value in the message", status: 400,
			body: `{"category":"VALIDATION_ERROR","message":"Email address c2@example.con is invalid."}`, want: []int{2}},
		{name: "a longer address does not match a shorter one", status: 400,
			body: `{"category":"VALIDATION_ERROR","message":"Email address xaa@example.com is invalid"}`},
		{name: "trace id in the context", status: 400,
			body: `{"category":"VALIDATION_ERROR","message":"x","context":{"objectWriteTraceId":["t-aa"]}}`, want: []int{3}},
		{name: "ids in a string context", status: 400,
			body: `{"category":"VALIDATION_ERROR","message":"x","context":"{ids=[A@EXAMPLE.COM, aa@example.com]}"}`, want: []int{0, 3}},
		{name: "names nothing", status: 400, body: `{"category":"VALIDATION_ERROR","message":"Invalid input JSON"}`},
		{name: "not a refusal", status: 500, body: `{"message":"Email address a@example.com failed"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, hubspot.WithRetry(hubspot.RetryPolicy{MaxAttempts: 1}))
			h.ok(tt.status, tt.body)
			_, _, err := h.client.Contacts.BatchUpsert(t.Context(), inputs)
			if err == nil {
				t.Fatal("no error")
			}
			if diff := cmp.Diff(tt.want, hubspot.RefusedUpsertInputs(err, inputs)); diff != "" {
				t.Errorf("RefusedUpsertInputs (-want +got):\n%s", diff)
			}
		})
	}
}
