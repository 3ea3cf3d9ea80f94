package hubspot_test

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/cardbridge/sansanhubspot/hubspot"
)

// TestBatchCreateOddErrorsKeepResults checks that errors of unexpected
// shapes (context as a string, subCategory and links as objects, a numeric
// id and message, an unknown field, a bare string) neither discard the
// batch's results nor lose the failed inputs' errors.
func TestBatchCreateOddErrorsKeepResults(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.ok(207, readFixture(t, "batch_create_207_odd_errors.json"))
	res, _, err := h.client.Contacts.BatchCreate(t.Context(), []hubspot.BatchCreateInput{
		{Properties: hubspot.PropertyValues{"email": "a@example.com"}, ObjectWriteTraceID: "t-a"},
		{Properties: hubspot.PropertyValues{"email": "s@example.com"}, ObjectWriteTraceID: "t-scope"},
		{Properties: hubspot.PropertyValues{"email": "n@example.com"}, ObjectWriteTraceID: "t-num"},
	})
	if err != nil {
		t.Fatalf("BatchCreate = %v, want the 207 decoded", err)
	}
	want := []outcomeSummary{
		{Key: "t-a", ContactID: "3001"},
		{Key: "t-scope", Category: "MISSING_SCOPES"},
		{Key: "t-num", Category: "VALIDATION_ERROR"},
	}
	if diff := cmp.Diff(want, summarize(res)); diff != "" {
		t.Errorf("outcomes (-want +got):\n%s", diff)
	}
	if res.NumErrors != 3 || res.Links["self"] == "" {
		t.Errorf("NumErrors = %d, Links = %v", res.NumErrors, res.Links)
	}
	scope, _ := res.Outcome("t-scope")
	wantScope := &hubspot.BatchError{
		Status: "error", Category: "MISSING_SCOPES", SubCategory: `{"type": "SCOPES"}`, Message: "missing scopes",
		Context: hubspot.ErrorContext{"missingScopes": {"crm.objects.contacts.write", "crm.schemas.contacts.read"}, "objectWriteTraceId": {"t-scope"}},
		Links:   map[string]string{"docs": `{"url":"https://x"}`},
		ID:      "17",
		Extra:   map[string]json.RawMessage{"futureField": json.RawMessage(`{"a": 1}`)},
	}
	if diff := cmp.Diff(wantScope, scope.Err); diff != "" {
		t.Errorf("scope error (-want +got):\n%s", diff)
	}
	num, _ := res.Outcome("t-num")
	if num.Err.Message != "42" || num.Err.Context["count"][1] != "2" || num.Err.Errors[0].SubCategory != `{"k": "v"}` ||
		num.Err.Errors[0].Context[""][0] != "plain" || !errors.Is(num.Err, hubspot.ErrValidation) {
		t.Errorf("numeric error = %+v", num.Err)
	}
	if len(res.Errors) != 3 || res.Errors[2].Message != "a bare string error" {
		t.Errorf("errors = %+v", res.Errors)
	}
}

// TestErrorResponseOddFields checks that an error body with fields of
// unexpected shapes keeps every field it can.
func TestErrorResponseOddFields(t *testing.T) {
	t.Parallel()
	h := newHarness(t, hubspot.WithRetry(hubspot.RetryPolicy{MaxAttempts: 1}))
	h.ok(403, `{"status":"error","message":"This app hasn't been granted all required scopes","correlationId":"c-1","category":"MISSING_SCOPES","subCategory":{"x":1},"context":"{requiredScopes=[crm.objects.contacts.read]}","errors":"oops","links":{"d":"https://d"},"engagement":true}`)
	_, _, err := h.client.Contacts.Get(t.Context(), "1", nil)
	var er *hubspot.ErrorResponse
	if !errors.As(err, &er) || !errors.Is(err, hubspot.ErrForbidden) {
		t.Fatalf("err = %v", err)
	}
	got := struct {
		Message, Category, Correlation string
		Sub                            hubspot.SubCategory
		Context                        hubspot.ErrorContext
		Details                        []hubspot.ErrorDetail
		Links                          map[string]string
		Extra                          string
	}{er.Message, er.Category, er.CorrelationID, er.SubCategory, er.Context, er.Errors, er.Links, string(er.Extra["engagement"])}
	want := got
	want.Message, want.Category, want.Correlation = "This app hasn't been granted all required scopes", "MISSING_SCOPES", "c-1"
	want.Sub = `{"x":1}`
	want.Context = hubspot.ErrorContext{"requiredScopes": {"crm.objects.contacts.read"}}
	want.Details = []hubspot.ErrorDetail{{Message: "oops"}}
	want.Links = map[string]string{"d": "https://d"}
	want.Extra = "true"
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("decoded (-want +got):\n%s", diff)
	}
}

func TestErrorContextForms(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want hubspot.ErrorContext
	}{
		{`{"ids":["1","2"]}`, hubspot.ErrorContext{"ids": {"1", "2"}}},
		{`{"ids":"1"}`, hubspot.ErrorContext{"ids": {"1"}}},
		{`{"n":[1,{"a":true}]}`, hubspot.ErrorContext{"n": {"1", `{"a":true}`}}},
		{`"{missingScopes=[a, b], x=y}"`, hubspot.ErrorContext{"missingScopes": {"a", "b"}, "x": {"y"}}},
		{`"{}"`, hubspot.ErrorContext{}},
		{`"not a map"`, hubspot.ErrorContext{"": {"not a map"}}},
		{`"{broken=[a"`, hubspot.ErrorContext{"": {"{broken=[a"}}},
		{`null`, nil},
		{`7`, hubspot.ErrorContext{"": {"7"}}},
	}
	for _, tt := range tests {
		var got hubspot.ErrorContext
		if err := json.Unmarshal([]byte(tt.in), &got); err != nil {
			t.Errorf("Unmarshal(%s) = %v", tt.in, err)
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tt.in, diff)
		}
	}
}

// FuzzBatchErrorDecode: any JSON value decodes into a BatchError (and an
// ObjectWarning, ErrorContext and ErrorDetail) without an error or a panic,
// and a message that is a JSON string survives.
func FuzzBatchErrorDecode(f *testing.F) {
	for _, s := range []string{
		`{"status":"error","category":"CONFLICT","message":"Contact already exists. Existing ID: 1","context":{"objectWriteTraceId":["t"]}}`,
		`{"context":"{missingScopes=[a, b]}","subCategory":{"a":1},"links":{"x":{"y":2}},"id":5}`,
		`"bare"`, `[1,2]`, `null`, `{"errors":[{"context":"{a=b"}]}`, `{"message":{"m":1}}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if !json.Valid(data) {
			return
		}
		var e hubspot.BatchError
		if err := json.Unmarshal(data, &e); err != nil {
			t.Fatalf("Unmarshal(%q) = %v", data, err)
		}
		var w hubspot.ObjectWarning
		var c hubspot.ErrorContext
		var d hubspot.ErrorDetail
		if err := errors.Join(json.Unmarshal(data, &w), json.Unmarshal(data, &c), json.Unmarshal(data, &d)); err != nil {
			t.Fatalf("warning, context or detail of %q: %v", data, err)
		}
		var obj map[string]json.RawMessage
		var msg string
		if json.Unmarshal(data, &obj) == nil && json.Unmarshal(obj["message"], &msg) == nil && e.Message != msg {
			t.Fatalf("message %q decoded as %q", msg, e.Message)
		}
	})
}

// TestContactWarnings checks that a record's warnings are decoded, odd
// shapes included, without losing the record.
func TestContactWarnings(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.ok(200, `{"id":"1","properties":{"email":"a@example.com"},"warnings":[
		{"category":"VALIDATION","message":"phone reformatted","context":{"property":"phone","n":2}},
		"odd"]}`)
	c, _, err := h.client.Contacts.Get(t.Context(), "1", nil)
	if err != nil {
		t.Fatal(err)
	}
	want := []hubspot.ObjectWarning{
		{Category: "VALIDATION", Message: "phone reformatted", Context: map[string]string{"property": "phone", "n": "2"}},
		{Message: "odd"},
	}
	if diff := cmp.Diff(want, c.Warnings); diff != "" {
		t.Errorf("warnings (-want +got):\n%s", diff)
	}
}

// TestPropertyFields checks the property fields the specs define that the
// model used to drop.
func TestPropertyFields(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.ok(200, `{"name":"amount","label":"Amount","type":"number","fieldType":"number","groupName":"g",
		"referencedObjectType":"OWNER","currencyPropertyName":"currency","textDisplayHint":"multi_line",
		"dataSensitivity":"sensitive","sensitiveData":true,"sensitiveDataCategories":["HIPAA"]}`)
	p, _, err := h.client.Properties.Get(t.Context(), "amount", hubspot.GetPropertyOptions{DataSensitivity: hubspot.DataSensitive})
	if err != nil {
		t.Fatal(err)
	}
	got := []any{p.ReferencedObjectType, p.CurrencyPropertyName, p.TextDisplayHint, p.DataSensitivity, p.SensitiveData, p.SensitiveDataCategories}
	want := []any{"OWNER", "currency", "multi_line", "sensitive", true, []string{"HIPAA"}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("fields (-want +got):\n%s", diff)
	}
	if q := h.only().Query.Get("dataSensitivity"); q != "sensitive" {
		t.Errorf("dataSensitivity query = %q", q)
	}
}
