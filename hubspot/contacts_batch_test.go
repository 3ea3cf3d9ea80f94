package hubspot_test

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/cardbridge/sansanhubspot/hubspot"
)

// outcomeSummary flattens an outcome for comparison.
type outcomeSummary struct {
	Key, ContactID, Category, ExistingID string
	New                                  bool
	PropertyCodes                        []string
}

func summarize(r *hubspot.BatchResult) []outcomeSummary {
	var out []outcomeSummary
	for _, o := range r.Outcomes {
		s := outcomeSummary{Key: o.Key, New: o.New}
		if o.Contact != nil {
			s.ContactID = o.Contact.ID
		}
		if o.Err != nil {
			s.Category, s.ExistingID = o.Err.Category, o.Err.ExistingID
			for _, pe := range o.Err.PropertyErrors {
				s.PropertyCodes = append(s.PropertyCodes, pe.Name+":"+pe.Code)
			}
		}
		out = append(out, s)
	}
	return out
}

func TestBatchReadByEmail(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.ok(207, readFixture(t, "batch_read_207.json"))
	res, _, err := h.client.Contacts.BatchRead(t.Context(),
		[]string{"alice@example.com", "ghost@example.com", "bob@example.com"},
		&hubspot.BatchReadOptions{IDProperty: "email", Properties: []string{"firstname"}, Archived: true})
	if err != nil {
		t.Fatal(err)
	}
	checkRequest(t, h.only(), "POST", "crm/v3/objects/contacts/batch/read", url.Values{"archived": {"true"}},
		`{"idProperty":"email","inputs":[{"id":"alice@example.com"},{"id":"ghost@example.com"},{"id":"bob@example.com"}],
		  "properties":["firstname","email"],"propertiesWithHistory":[]}`)
	want := []outcomeSummary{
		{Key: "alice@example.com", ContactID: "101"},
		{Key: "ghost@example.com", Category: "OBJECT_NOT_FOUND"},
		{Key: "bob@example.com", ContactID: "202"}, // matched case-insensitively, not by position
	}
	if diff := cmp.Diff(want, summarize(res)); diff != "" {
		t.Errorf("outcomes (-want +got):\n%s", diff)
	}
	if o, ok := res.Outcome("GHOST@example.com"); !ok || !errors.Is(o.Err, hubspot.ErrNotFound) {
		t.Errorf("Outcome(ghost) = %+v, %v", o, ok)
	}
	if len(res.Results) != 2 || len(res.Errors) != 1 || res.Status != "COMPLETE" || res.CompletedAt.IsZero() {
		t.Errorf("raw result = %+v", res)
	}
	if got := len(res.Failed()); got != 1 {
		t.Errorf("Failed() = %d", got)
	}
}

func TestBatchReadByID(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.ok(200, `{"status":"COMPLETE","results":[{"id":"2","properties":{}},{"id":"1","properties":{}}]}`)
	res, _, err := h.client.Contacts.BatchRead(t.Context(), []string{"1", "2"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	checkRequest(t, h.only(), "POST", "crm/v3/objects/contacts/batch/read", nil,
		`{"inputs":[{"id":"1"},{"id":"2"}],"properties":[],"propertiesWithHistory":[]}`)
	want := []outcomeSummary{{Key: "1", ContactID: "1"}, {Key: "2", ContactID: "2"}}
	if diff := cmp.Diff(want, summarize(res)); diff != "" {
		t.Errorf("outcomes (-want +got):\n%s", diff)
	}
}

func TestBatchCreatePartialFailure(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.ok(207, readFixture(t, "batch_create_207.json"))
	res, _, err := h.client.Contacts.BatchCreate(t.Context(), []hubspot.BatchCreateInput{
		{Properties: hubspot.PropertyValues{"email": "a@example.com"}}, // trace generated; matched by email
		{Properties: hubspot.PropertyValues{"email": "bad@@example"}, ObjectWriteTraceID: "t-bad"},
		{Properties: hubspot.PropertyValues{"email": "c@example.com"}, ObjectWriteTraceID: "t-c"},
		{Properties: hubspot.PropertyValues{"email": "dup@example.com"}, ObjectWriteTraceID: "t-dup"},
	})
	if err != nil {
		t.Fatal(err)
	}
	req := h.only()
	inputs := req.Body.(map[string]any)["inputs"].([]any)
	first := inputs[0].(map[string]any)
	gen, _ := first["objectWriteTraceId"].(string)
	if gen == "" || gen == "t-bad" || gen == "t-c" || gen == "t-dup" {
		t.Fatalf("generated trace id = %q", gen)
	}
	checkRequest(t, req, "POST", "crm/v3/objects/contacts/batch/create", nil, fmt.Sprintf(`{"inputs":[
		{"properties":{"email":"a@example.com"},"associations":[],"objectWriteTraceId":%q},
		{"properties":{"email":"bad@@example"},"associations":[],"objectWriteTraceId":"t-bad"},
		{"properties":{"email":"c@example.com"},"associations":[],"objectWriteTraceId":"t-c"},
		{"properties":{"email":"dup@example.com"},"associations":[],"objectWriteTraceId":"t-dup"}]}`, gen))
	want := []outcomeSummary{
		{Key: gen, ContactID: "3001"},
		{Key: "t-bad", Category: "VALIDATION_ERROR", PropertyCodes: []string{"email:INVALID_EMAIL"}},
		{Key: "t-c", ContactID: "3002"},
		{Key: "t-dup", Category: "CONFLICT", ExistingID: "777"},
	}
	if diff := cmp.Diff(want, summarize(res)); diff != "" {
		t.Errorf("outcomes (-want +got):\n%s", diff)
	}
	dup, _ := res.Outcome("t-dup")
	if !errors.Is(dup.Err, hubspot.ErrConflict) || errors.Is(dup.Err, hubspot.ErrNotFound) {
		t.Errorf("dup err = %v", dup.Err)
	}
	bad, _ := res.Outcome("t-bad")
	if !errors.Is(bad.Err, hubspot.ErrValidation) {
		t.Errorf("bad err = %v", bad.Err)
	}
}

func TestBatchCreateRejectsDuplicateTraceIDs(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	_, _, err := h.client.Contacts.BatchCreate(t.Context(), []hubspot.BatchCreateInput{
		{ObjectWriteTraceID: "x"}, {ObjectWriteTraceID: "x"},
	})
	if !errors.Is(err, hubspot.ErrInvalidInput) {
		t.Errorf("err = %v", err)
	}
}

func TestBatchUpdateMissingAndNotFound(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.ok(207, `{"status":"COMPLETE",
		"results":[{"id":"3","properties":{"jobtitle":"C"}},{"id":"1","properties":{"jobtitle":"A"}}],
		"numErrors":1,
		"errors":[{"status":"error","category":"OBJECT_NOT_FOUND","message":"Could not get some CONTACT objects","context":{"ids":["4"]}}]}`)
	res, _, err := h.client.Contacts.BatchUpdate(t.Context(), []hubspot.BatchUpdateInput{
		{ID: "1", Properties: hubspot.PropertyValues{"jobtitle": "A"}, ObjectWriteTraceID: "u1"},
		{ID: "2", Properties: hubspot.PropertyValues{"jobtitle": "B"}, ObjectWriteTraceID: "u2"},
		{ID: "3", Properties: hubspot.PropertyValues{"jobtitle": "C"}, ObjectWriteTraceID: "u3"},
		{ID: "4", Properties: hubspot.PropertyValues{"jobtitle": ""}, ObjectWriteTraceID: "u4"},
	})
	if err != nil {
		t.Fatal(err)
	}
	checkRequest(t, h.only(), "POST", "crm/v3/objects/contacts/batch/update", nil, `{"inputs":[
		{"id":"1","properties":{"jobtitle":"A"},"objectWriteTraceId":"u1"},
		{"id":"2","properties":{"jobtitle":"B"},"objectWriteTraceId":"u2"},
		{"id":"3","properties":{"jobtitle":"C"},"objectWriteTraceId":"u3"},
		{"id":"4","properties":{"jobtitle":""},"objectWriteTraceId":"u4"}]}`)
	want := []outcomeSummary{
		{Key: "1", ContactID: "1"},
		{Key: "2", Category: hubspot.CategoryMissingResult},
		{Key: "3", ContactID: "3"},
		{Key: "4", Category: "OBJECT_NOT_FOUND"},
	}
	if diff := cmp.Diff(want, summarize(res)); diff != "" {
		t.Errorf("outcomes (-want +got):\n%s", diff)
	}
	missing, _ := res.Outcome("2")
	if !errors.Is(missing.Err, hubspot.ErrMissingResult) {
		t.Errorf("missing err = %v", missing.Err)
	}
}

func TestBatchUpsert(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.ok(200, readFixture(t, "batch_upsert.json"))
	res, _, err := h.client.Contacts.BatchUpsert(t.Context(), []hubspot.BatchUpsertInput{
		{ID: "old@example.com", Properties: hubspot.PropertyValues{"firstname": "O"}, ObjectWriteTraceID: "a"},
		{ID: "new@example.com", IDProperty: "email", Properties: hubspot.PropertyValues{"firstname": "N"}, ObjectWriteTraceID: "b"},
	})
	if err != nil {
		t.Fatal(err)
	}
	checkRequest(t, h.only(), "POST", "crm/v3/objects/contacts/batch/upsert", nil, `{"inputs":[
		{"id":"old@example.com","idProperty":"email","properties":{"firstname":"O"},"objectWriteTraceId":"a"},
		{"id":"new@example.com","idProperty":"email","properties":{"firstname":"N"},"objectWriteTraceId":"b"}]}`)
	want := []outcomeSummary{
		{Key: "old@example.com", ContactID: "11", New: false},
		{Key: "new@example.com", ContactID: "12", New: true},
	}
	if diff := cmp.Diff(want, summarize(res)); diff != "" {
		t.Errorf("outcomes (-want +got):\n%s", diff)
	}
}

func TestBatchValidation(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	many := make([]string, hubspot.MaxBatchSize+1)
	for i := range many {
		many[i] = fmt.Sprint(i + 1)
	}
	manyUpserts := make([]hubspot.BatchUpsertInput, hubspot.MaxBatchSize+1)
	for i := range manyUpserts {
		manyUpserts[i] = hubspot.BatchUpsertInput{ID: fmt.Sprintf("u%d@x.io", i)}
	}
	tests := []struct {
		name string
		call func() error
		want error
	}{
		{"read too many", func() error { _, _, err := h.client.Contacts.BatchRead(t.Context(), many, nil); return err }, hubspot.ErrBatchTooLarge},
		{"archive too many", func() error { _, err := h.client.Contacts.BatchArchive(t.Context(), many); return err }, hubspot.ErrBatchTooLarge},
		{"upsert too many", func() error { _, _, err := h.client.Contacts.BatchUpsert(t.Context(), manyUpserts); return err }, hubspot.ErrBatchTooLarge},
		{"empty", func() error { _, _, err := h.client.Contacts.BatchRead(t.Context(), nil, nil); return err }, hubspot.ErrInvalidInput},
		{"duplicate upsert emails", func() error {
			_, _, err := h.client.Contacts.BatchUpsert(t.Context(), []hubspot.BatchUpsertInput{{ID: "a@x.io"}, {ID: "A@X.io"}})
			return err
		}, hubspot.ErrInvalidInput},
		{"duplicate update ids", func() error {
			_, _, err := h.client.Contacts.BatchUpdate(t.Context(), []hubspot.BatchUpdateInput{{ID: "1"}, {ID: "1"}})
			return err
		}, hubspot.ErrInvalidInput},
		{"empty upsert id", func() error {
			_, _, err := h.client.Contacts.BatchUpsert(t.Context(), []hubspot.BatchUpsertInput{{ID: ""}})
			return err
		}, hubspot.ErrInvalidInput},
	}
	for _, tt := range tests {
		if err := tt.call(); !errors.Is(err, tt.want) {
			t.Errorf("%s: err = %v, want %v", tt.name, err, tt.want)
		}
	}
	if n := len(h.requests()); n != 0 {
		t.Errorf("%d requests sent for invalid batches", n)
	}
}

func TestBatchArchive(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.ok(204, "")
	if _, err := h.client.Contacts.BatchArchive(t.Context(), []string{"1", "2"}); err != nil {
		t.Fatal(err)
	}
	checkRequest(t, h.only(), "POST", "crm/v3/objects/contacts/batch/archive", nil, `{"inputs":[{"id":"1"},{"id":"2"}]}`)
}

func TestBatchGeneratedTraceIDsUnique(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.ok(200, `{"status":"COMPLETE","results":[]}`)
	inputs := make([]hubspot.BatchUpsertInput, hubspot.MaxBatchSize)
	for i := range inputs {
		inputs[i] = hubspot.BatchUpsertInput{ID: fmt.Sprintf("p%d@x.io", i)}
	}
	inputs[5].ObjectWriteTraceID = "custom"
	res, _, err := h.client.Contacts.BatchUpsert(t.Context(), inputs)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, in := range h.only().Body.(map[string]any)["inputs"].([]any) {
		tr := in.(map[string]any)["objectWriteTraceId"].(string)
		if tr == "" || seen[tr] {
			t.Fatalf("trace id %q empty or repeated", tr)
		}
		seen[tr] = true
	}
	if !seen["custom"] {
		t.Error("caller's trace id not kept")
	}
	// HubSpot returned nothing: every input is reported, none silently lost.
	for _, o := range res.Outcomes {
		if !errors.Is(o.Err, hubspot.ErrMissingResult) || !strings.Contains(o.Err.Error(), "neither") {
			t.Fatalf("outcome %d err = %v", o.Index, o.Err)
		}
	}
}
