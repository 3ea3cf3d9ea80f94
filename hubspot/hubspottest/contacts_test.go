package hubspottest_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/cardbridge/sansanhubspot/hubspot/hubspottest"
)

var isoMillis = regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$`)

func TestAuth(t *testing.T) {
	t.Parallel()
	s := hubspottest.NewTestServer(t, hubspottest.WithToken("tok-a", "tok-b"))
	tests := []struct {
		name, token string
		want        int
	}{
		{"missing", "", http.StatusUnauthorized},
		{"wrong", "nope", http.StatusUnauthorized},
		{"default token not accepted when overridden", hubspottest.DefaultToken, http.StatusUnauthorized},
		{"first", "tok-a", http.StatusOK},
		{"second", "tok-b", http.StatusOK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := callToken(t, s, tt.token, http.MethodGet, "crm/v3/objects/contacts", nil)
			wantStatus(t, r, tt.want)
			if tt.want != http.StatusUnauthorized {
				return
			}
			var e apiErr
			r.Into(t, &e)
			if e.Status != "error" || e.Category != "INVALID_AUTHENTICATION" || e.CorrelationID == "" || e.Message == "" {
				t.Errorf("401 body = %+v", e)
			}
		})
	}
}

func TestCreateGetPatchDelete(t *testing.T) {
	t.Parallel()
	clk := newClock()
	s := hubspottest.NewTestServer(t, hubspottest.WithClock(clk.Now), hubspottest.WithFirstID(90000000001))

	r := call(t, s, http.MethodPost, "crm/v3/objects/contacts", map[string]any{
		"properties":   map[string]string{"email": "Ann@Example.com", "firstname": "Ann"},
		"associations": []any{},
	})
	wantStatus(t, r, http.StatusCreated)
	var created object
	r.Into(t, &created)
	if created.ID != "90000000001" || created.prop("hs_object_id") != created.ID {
		t.Errorf("id = %q, hs_object_id = %q", created.ID, created.prop("hs_object_id"))
	}
	for _, v := range []string{created.CreatedAt, created.UpdatedAt, created.prop("createdate"), created.prop("lastmodifieddate")} {
		if !isoMillis.MatchString(v) {
			t.Errorf("timestamp %q is not ISO 8601 UTC with ms", v)
		}
	}
	if created.prop("createdate") != "2026-03-01T09:00:00.000Z" || created.Archived {
		t.Errorf("created = %+v", created)
	}

	// GET with default properties: unset ones come back null.
	r = call(t, s, http.MethodGet, "crm/v3/objects/contacts/"+created.ID, nil)
	wantStatus(t, r, http.StatusOK)
	raw := r.JSON(t)["properties"].(map[string]any)
	wantKeys := []string{"createdate", "email", "firstname", "hs_object_id", "lastmodifieddate", "lastname"}
	if diff := cmp.Diff(wantKeys, slices.Sorted(mapsKeys(raw))); diff != "" {
		t.Errorf("default properties (-want +got):\n%s", diff)
	}
	if raw["lastname"] != nil {
		t.Errorf("lastname = %v, want null", raw["lastname"])
	}

	// GET by email, case-insensitively, with escaped @.
	r = call(t, s, http.MethodGet, "crm/v3/objects/contacts/ann%40EXAMPLE.com?idProperty=email&properties=firstname,email", nil)
	wantStatus(t, r, http.StatusOK)
	var got object
	r.Into(t, &got)
	if got.ID != created.ID || got.prop("firstname") != "Ann" || len(got.Properties) != 2 {
		t.Errorf("by email = %+v", got)
	}

	// PATCH bumps lastmodifieddate; a no-op PATCH does not.
	clk.Advance(time.Minute)
	r = call(t, s, http.MethodPatch, "crm/v3/objects/contacts/"+created.ID, map[string]any{"properties": map[string]string{"lastname": "Lee"}})
	wantStatus(t, r, http.StatusOK)
	r.Into(t, &got)
	if got.prop("lastname") != "Lee" || got.prop("lastmodifieddate") != "2026-03-01T09:01:00.000Z" || got.UpdatedAt != "2026-03-01T09:01:00.000Z" {
		t.Errorf("patched = %+v", got)
	}
	clk.Advance(time.Minute)
	r = call(t, s, http.MethodPatch, "crm/v3/objects/contacts/ann@example.com?idProperty=email", map[string]any{"properties": map[string]string{"lastname": "Lee"}})
	wantStatus(t, r, http.StatusOK)
	r.Into(t, &got)
	if got.prop("lastmodifieddate") != "2026-03-01T09:01:00.000Z" {
		t.Errorf("no-op patch changed lastmodifieddate to %s", got.prop("lastmodifieddate"))
	}
	// Clearing with "".
	r = call(t, s, http.MethodPatch, "crm/v3/objects/contacts/"+created.ID, map[string]any{"properties": map[string]string{"lastname": ""}})
	wantStatus(t, r, http.StatusOK)
	if c, _ := s.Fake.Contact(created.ID); c.Properties["lastname"] != "" {
		t.Errorf("lastname not cleared: %q", c.Properties["lastname"])
	}

	// DELETE archives.
	wantStatus(t, call(t, s, http.MethodDelete, "crm/v3/objects/contacts/"+created.ID, nil), http.StatusNoContent)
	wantStatus(t, call(t, s, http.MethodGet, "crm/v3/objects/contacts/"+created.ID, nil), http.StatusNotFound)
	r = call(t, s, http.MethodGet, "crm/v3/objects/contacts/"+created.ID+"?archived=true", nil)
	wantStatus(t, r, http.StatusOK)
	r.Into(t, &got)
	if !got.Archived || !isoMillis.MatchString(got.ArchivedAt) {
		t.Errorf("archived = %+v", got)
	}
	// The email is free again.
	wantStatus(t, call(t, s, http.MethodPost, "crm/v3/objects/contacts", map[string]any{"properties": map[string]string{"email": "ann@example.com"}}), http.StatusCreated)
	// Unknown ids.
	r = call(t, s, http.MethodGet, "crm/v3/objects/contacts/424242", nil)
	wantStatus(t, r, http.StatusNotFound)
	var e apiErr
	r.Into(t, &e)
	if e.Category != "OBJECT_NOT_FOUND" {
		t.Errorf("404 category = %q", e.Category)
	}
	wantStatus(t, call(t, s, http.MethodPatch, "crm/v3/objects/contacts/424242", map[string]any{"properties": map[string]string{}}), http.StatusNotFound)
}

func mapsKeys(m map[string]any) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

func TestDuplicateEmailConflict(t *testing.T) {
	t.Parallel()
	s := hubspottest.NewTestServer(t)
	first := mustCreate(t, s.Fake, map[string]string{"email": "dup@example.com"})
	other := mustCreate(t, s.Fake, map[string]string{"email": "other@example.com"})
	tests := []struct {
		name, method, path string
	}{
		{"create same case", http.MethodPost, "crm/v3/objects/contacts"},
		{"create upper case", http.MethodPost, "crm/v3/objects/contacts"},
		{"update to taken email", http.MethodPatch, "crm/v3/objects/contacts/" + other.ID},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			email := "dup@example.com"
			if i == 1 {
				email = "DUP@Example.COM"
			}
			r := call(t, s, tt.method, tt.path, map[string]any{"properties": map[string]string{"email": email}})
			wantStatus(t, r, http.StatusConflict)
			var e apiErr
			r.Into(t, &e)
			want := apiErr{Status: "error", Message: "Contact already exists. Existing ID: " + first.ID, Category: "CONFLICT", CorrelationID: e.CorrelationID}
			if diff := cmp.Diff(want, e); diff != "" || e.CorrelationID == "" {
				t.Errorf("409 body (-want +got):\n%s", diff)
			}
		})
	}
	if _, err := s.Fake.CreateContact(map[string]string{"email": "Dup@example.com"}); err == nil || !strings.Contains(err.Error(), "Existing ID: "+first.ID) {
		t.Errorf("helper duplicate error = %v", err)
	}
}

// embedded parses the JSON array embedded in a "Property values were not
// valid: " message.
func embedded(t *testing.T, msg string) []map[string]any {
	t.Helper()
	const prefix = "Property values were not valid: "
	if !strings.HasPrefix(msg, prefix) {
		t.Fatalf("message %q lacks prefix", msg)
	}
	var out []map[string]any
	if err := json.Unmarshal([]byte(msg[len(prefix):]), &out); err != nil {
		t.Fatalf("embedded array %q: %v", msg, err)
	}
	return out
}

func TestInvalidPropertyValues(t *testing.T) {
	t.Parallel()
	s := hubspottest.NewTestServer(t)
	if err := s.Fake.AddProperty(hubspottest.Property{
		Name: "interests", Label: "Interests", Type: "enumeration", FieldType: "checkbox", GroupName: "contactinformation",
		Options: []hubspottest.PropertyOption{{Label: "Golf", Value: "golf"}, {Label: "Tea", Value: "tea"}},
	}); err != nil {
		t.Fatal(err)
	}
	for _, p := range []hubspottest.Property{
		{Name: "is_vip", Label: "VIP", Type: "bool", FieldType: "booleancheckbox", GroupName: "contactinformation"},
		{Name: "score", Label: "Score", Type: "number", FieldType: "number", GroupName: "contactinformation"},
		{Name: "last_met", Label: "Last met", Type: "datetime", FieldType: "date", GroupName: "contactinformation"},
		{Name: "met_on", Label: "Met on", Type: "date", FieldType: "date", GroupName: "contactinformation"},
	} {
		if err := s.Fake.AddProperty(p); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		name      string
		props     map[string]string
		wantCode  string // "" = accepted
		wantName  string
		wantInMsg string
	}{
		{"invalid email", map[string]string{"email": "example.lcom"}, "INVALID_EMAIL", "email", "Email address example.lcom is invalid"},
		{"bogus tld", map[string]string{"email": "a@example.con"}, "INVALID_EMAIL", "email", "Email address a@example.con is invalid"},
		{"no domain", map[string]string{"email": "dsfsafas@"}, "INVALID_EMAIL", "email", "is invalid"},
		{"undefined property", map[string]string{"missing": "x"}, "PROPERTY_DOESNT_EXIST", "missing", `Property "missing" does not exist`},
		{"read-only property", map[string]string{"hs_object_id": "5"}, "READ_ONLY_VALUE", "hs_object_id", "read only"},
		{"read-only lastmodifieddate", map[string]string{"lastmodifieddate": "1700000000000"}, "READ_ONLY_VALUE", "lastmodifieddate", "read only"},
		{"enumeration not an option", map[string]string{"lifecyclestage": "Lead"}, "INVALID_OPTION", "lifecyclestage", "Lead was not one of the allowed options"},
		{"enumeration option", map[string]string{"lifecyclestage": "lead"}, "", "", ""},
		{"multi-checkbox ok", map[string]string{"interests": "golf;tea"}, "", "", ""},
		{"multi-checkbox bad part", map[string]string{"interests": "golf;chess"}, "INVALID_OPTION", "interests", "chess"},
		{"too long", map[string]string{"firstname": strings.Repeat("x", 65537)}, "VALUE_TOO_LONG", "firstname", "65537"},
		{"max length ok", map[string]string{"firstname": strings.Repeat("é", 65536)}, "", "", ""},
		{"read-only bool", map[string]string{"hs_email_optout": "true"}, "READ_ONLY_VALUE", "hs_email_optout", ""},
		{"bad bool", map[string]string{"is_vip": "yes"}, "INVALID_BOOLEAN", "is_vip", "yes"},
		{"bool", map[string]string{"is_vip": "true"}, "", "", ""},
		{"bad number", map[string]string{"score": "12a"}, "INVALID_NUMBER", "score", "12a"},
		{"number", map[string]string{"score": "-1.5e3"}, "", "", ""},
		{"datetime ms", map[string]string{"last_met": "1700000000000"}, "", "", ""},
		{"datetime iso", map[string]string{"last_met": "2026-03-01T09:00:00Z"}, "", "", ""},
		{"bad datetime", map[string]string{"last_met": "yesterday"}, "INVALID_DATETIME", "last_met", "yesterday"},
		{"date", map[string]string{"met_on": "2026-03-01"}, "", "", ""},
		{"date midnight ms", map[string]string{"met_on": "1430438400000"}, "", "", ""},
		{"date not midnight", map[string]string{"met_on": "1430438400001"}, "INVALID_DATE", "met_on", "1430438400001"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := call(t, s, http.MethodPost, "crm/v3/objects/contacts", map[string]any{"properties": tt.props})
			if tt.wantCode == "" {
				wantStatus(t, r, http.StatusCreated)
				return
			}
			wantStatus(t, r, http.StatusBadRequest)
			var e apiErr
			r.Into(t, &e)
			if e.Category != "VALIDATION_ERROR" || e.Status != "error" {
				t.Errorf("body = %+v", e)
			}
			details := embedded(t, e.Message)
			if len(details) != 1 {
				t.Fatalf("details = %v", details)
			}
			d := details[0]
			if d["isValid"] != false || d["error"] != tt.wantCode || d["name"] != tt.wantName || !strings.Contains(d["message"].(string), tt.wantInMsg) {
				t.Errorf("detail = %v, want error %s name %s message containing %q", d, tt.wantCode, tt.wantName, tt.wantInMsg)
			}
		})
	}
	// The documented example, byte for byte.
	r := call(t, s, http.MethodPost, "crm/v3/objects/contacts", map[string]any{"properties": map[string]string{"email": "example.lcom"}})
	var e apiErr
	r.Into(t, &e)
	want := `Property values were not valid: [{"isValid":false,"message":"Email address example.lcom is invalid","error":"INVALID_EMAIL","name":"email"}]`
	if e.Message != want {
		t.Errorf("message = %s\nwant      %s", e.Message, want)
	}
}

func TestMultiCheckboxAppend(t *testing.T) {
	t.Parallel()
	s := hubspottest.NewTestServer(t)
	if err := s.Fake.AddProperty(hubspottest.Property{
		Name: "roles", Label: "Roles", Type: "enumeration", FieldType: "checkbox", GroupName: "contactinformation",
		Options: []hubspottest.PropertyOption{{Label: "A", Value: "A"}, {Label: "B", Value: "B"}, {Label: "C", Value: "C"}},
	}); err != nil {
		t.Fatal(err)
	}
	c := mustCreate(t, s.Fake, map[string]string{"roles": "A"})
	wantStatus(t, call(t, s, http.MethodPatch, "crm/v3/objects/contacts/"+c.ID, map[string]any{"properties": map[string]string{"roles": ";B;C"}}), http.StatusOK)
	got, _ := s.Fake.Contact(c.ID)
	if got.Properties["roles"] != "A;B;C" {
		t.Errorf("roles = %q, want A;B;C", got.Properties["roles"])
	}
}

func TestList(t *testing.T) {
	t.Parallel()
	s := hubspottest.NewTestServer(t)
	var ids []string
	for i := range 25 {
		ids = append(ids, mustCreate(t, s.Fake, map[string]string{"email": fmt.Sprintf("u%d@example.com", i)}).ID)
	}
	if err := s.Fake.ArchiveContact(ids[3]); err != nil {
		t.Fatal(err)
	}
	var seen []string
	after := ""
	pages := 0
	for {
		path := "crm/v3/objects/contacts?limit=10&properties=email"
		if after != "" {
			path += "&after=" + after
		}
		r := call(t, s, http.MethodGet, path, nil)
		wantStatus(t, r, http.StatusOK)
		var page searchResponse
		r.Into(t, &page)
		pages++
		for _, o := range page.Results {
			seen = append(seen, o.ID)
			if o.prop("email") == "" || len(o.Properties) != 1 {
				t.Errorf("properties = %v", o.Properties)
			}
		}
		if after = page.next(); after == "" {
			break
		}
		if !strings.Contains(page.Paging.Next.Link, "after="+after) {
			t.Errorf("link %q lacks after", page.Paging.Next.Link)
		}
	}
	want := slices.Delete(slices.Clone(ids), 3, 4)
	if diff := cmp.Diff(want, seen); diff != "" || pages != 3 {
		t.Errorf("pages = %d; ids (-want +got):\n%s", pages, diff)
	}
	r := call(t, s, http.MethodGet, "crm/v3/objects/contacts?archived=true", nil)
	var arch searchResponse
	r.Into(t, &arch)
	if len(arch.Results) != 1 || arch.Results[0].ID != ids[3] || !arch.Results[0].Archived {
		t.Errorf("archived list = %+v", arch.Results)
	}
	wantStatus(t, call(t, s, http.MethodGet, "crm/v3/objects/contacts?limit=101", nil), http.StatusBadRequest)
	r = call(t, s, http.MethodGet, "crm/v3/objects/contacts", nil)
	var def searchResponse
	r.Into(t, &def)
	if len(def.Results) != 10 {
		t.Errorf("default page size = %d, want 10", len(def.Results))
	}
}

func TestBatchInputLimit(t *testing.T) {
	t.Parallel()
	s := hubspottest.NewTestServer(t)
	for _, op := range []string{"read", "create", "update", "upsert", "archive"} {
		t.Run(op, func(t *testing.T) {
			t.Parallel()
			mk := func(n int) batch {
				b := batch{}
				for i := range n {
					b.Inputs = append(b.Inputs, input{ID: fmt.Sprintf("%s%d@example.com", op, i), IDProperty: "email",
						Properties: map[string]string{"firstname": "x"}, ObjectWriteTraceID: fmt.Sprint(i)})
				}
				if op == "read" {
					b.IDProperty = "email"
					for i := range b.Inputs {
						b.Inputs[i].IDProperty = ""
					}
				}
				if op == "update" || op == "archive" {
					for i := range b.Inputs {
						b.Inputs[i].ID, b.Inputs[i].IDProperty = fmt.Sprint(1000+i), ""
					}
				}
				return b
			}
			r := call(t, s, http.MethodPost, "crm/v3/objects/contacts/batch/"+op, mk(101))
			wantStatus(t, r, http.StatusBadRequest)
			var e apiErr
			r.Into(t, &e)
			if e.Category != "VALIDATION_ERROR" {
				t.Errorf("category = %q", e.Category)
			}
			r = call(t, s, http.MethodPost, "crm/v3/objects/contacts/batch/"+op, mk(100))
			if r.Status == http.StatusBadRequest {
				t.Errorf("100 inputs rejected: %s", r.Body)
			}
		})
	}
}

func TestBatchCreate(t *testing.T) {
	t.Parallel()
	s := hubspottest.NewTestServer(t)
	existing := mustCreate(t, s.Fake, map[string]string{"email": "taken@example.com"})

	t.Run("traced inputs get 207 with per-input errors", func(t *testing.T) {
		t.Parallel()
		r := call(t, s, http.MethodPost, "crm/v3/objects/contacts/batch/create", batch{Inputs: []input{
			{Properties: map[string]string{"email": "new1@example.com"}, ObjectWriteTraceID: "t1"},
			{Properties: map[string]string{"email": "TAKEN@example.com"}, ObjectWriteTraceID: "t2"},
			{Properties: map[string]string{"email": "bad@example.lcom"}, ObjectWriteTraceID: "t3"},
			{Properties: map[string]string{"email": "new1@EXAMPLE.com"}, ObjectWriteTraceID: "t4"},
		}})
		wantStatus(t, r, http.StatusMultiStatus)
		var b batchResponse
		r.Into(t, &b)
		if b.Status != "COMPLETE" || b.NumErrors != 3 || len(b.Results) != 1 || b.Results[0].ObjectWriteTraceID != "t1" {
			t.Fatalf("batch = %+v", b)
		}
		byTrace := map[string]stdErr{}
		for _, e := range b.Errors {
			byTrace[e.Context["objectWriteTraceId"][0]] = e
		}
		if e := byTrace["t2"]; e.Category != "CONFLICT" || e.Message != "Contact already exists. Existing ID: "+existing.ID || e.Status != "error" {
			t.Errorf("t2 error = %+v", e)
		}
		if e := byTrace["t3"]; e.Category != "VALIDATION_ERROR" || embedded(t, e.Message)[0]["error"] != "INVALID_EMAIL" {
			t.Errorf("t3 error = %+v", e)
		}
		if e := byTrace["t4"]; e.Category != "CONFLICT" || e.Message != "Contact already exists. Existing ID: "+b.Results[0].ID {
			t.Errorf("t4 error = %+v", e)
		}
		// The raw shape carries numErrors and context arrays.
		raw := r.JSON(t)
		if raw["numErrors"] != float64(3) || raw["startedAt"] == nil || raw["completedAt"] == nil {
			t.Errorf("raw = %v", raw)
		}
	})
	t.Run("untraced batch fails whole with the first error", func(t *testing.T) {
		t.Parallel()
		r := call(t, s, http.MethodPost, "crm/v3/objects/contacts/batch/create", batch{Inputs: []input{
			{Properties: map[string]string{"email": "untraced-ok@example.com"}},
			{Properties: map[string]string{"email": "taken@example.com"}},
		}})
		wantStatus(t, r, http.StatusConflict)
		var e apiErr
		r.Into(t, &e)
		if e.Message != "Contact already exists. Existing ID: "+existing.ID {
			t.Errorf("message = %q", e.Message)
		}
		if _, ok := s.Fake.ContactByEmail("untraced-ok@example.com"); ok {
			t.Error("untraced failing batch created a contact")
		}
	})
	t.Run("all good is 201", func(t *testing.T) {
		t.Parallel()
		r := call(t, s, http.MethodPost, "crm/v3/objects/contacts/batch/create", batch{Inputs: []input{
			{Properties: map[string]string{"email": "good1@example.com"}},
			{Properties: map[string]string{"email": "good2@example.com"}},
		}})
		wantStatus(t, r, http.StatusCreated)
		var b batchResponse
		r.Into(t, &b)
		if len(b.Results) != 2 || b.NumErrors != 0 || b.Errors != nil {
			t.Errorf("batch = %+v", b)
		}
	})
}

func TestBatchUpsert(t *testing.T) {
	t.Parallel()
	s := hubspottest.NewTestServer(t)
	old := mustCreate(t, s.Fake, map[string]string{"email": "Known@Example.com", "firstname": "Old"})
	r := call(t, s, http.MethodPost, "crm/v3/objects/contacts/batch/upsert", batch{Inputs: []input{
		{ID: "known@example.com", IDProperty: "email", Properties: map[string]string{"firstname": "New"}, ObjectWriteTraceID: "a"},
		{ID: "fresh@example.com", IDProperty: "email", Properties: map[string]string{"firstname": "Fresh"}, ObjectWriteTraceID: "b"},
	}})
	wantStatus(t, r, http.StatusOK)
	var b batchResponse
	r.Into(t, &b)
	got := map[string]object{}
	for _, o := range b.Results {
		got[o.ObjectWriteTraceID] = o
	}
	if a := got["a"]; a.ID != old.ID || a.New == nil || *a.New || a.prop("firstname") != "New" {
		t.Errorf("existing = %+v", a)
	}
	if f := got["b"]; f.New == nil || !*f.New || f.prop("email") != "fresh@example.com" {
		t.Errorf("created = %+v", f)
	}
	// "new" is always present on the wire.
	for _, res := range r.JSON(t)["results"].([]any) {
		if _, ok := res.(map[string]any)["new"]; !ok {
			t.Errorf("result lacks new: %v", res)
		}
	}
	tests := []struct {
		name   string
		inputs []input
		want   int
	}{
		{"duplicate ids", []input{{ID: "x@example.com", IDProperty: "email", Properties: map[string]string{}}, {ID: "X@example.com", IDProperty: "email", Properties: map[string]string{}}}, http.StatusBadRequest},
		{"missing idProperty", []input{{ID: "x@example.com", Properties: map[string]string{}}}, http.StatusBadRequest},
		{"invalid email untraced", []input{{ID: "bad@x.con", IDProperty: "email", Properties: map[string]string{}}}, http.StatusBadRequest},
		// Upsert by email is all or nothing, trace ids or not.
		{"invalid email traced", []input{{ID: "bad@x.con", IDProperty: "email", Properties: map[string]string{}, ObjectWriteTraceID: "1"}, {ID: "ok@x.com", IDProperty: "email", Properties: map[string]string{}, ObjectWriteTraceID: "2"}}, http.StatusBadRequest},
		{"domain without a public suffix", []input{{ID: "a@example.test", IDProperty: "email", Properties: map[string]string{}}}, http.StatusBadRequest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			wantStatus(t, call(t, s, http.MethodPost, "crm/v3/objects/contacts/batch/upsert", batch{Inputs: tt.inputs}), tt.want)
		})
	}
}

func TestBatchReadUpdateArchive(t *testing.T) {
	t.Parallel()
	s := hubspottest.NewTestServer(t)
	a := mustCreate(t, s.Fake, map[string]string{"email": "a@example.com", "firstname": "A"})
	b := mustCreate(t, s.Fake, map[string]string{"email": "b@example.com"})

	r := call(t, s, http.MethodPost, "crm/v3/objects/contacts/batch/read", batch{Inputs: []input{{ID: a.ID}, {ID: "999999"}}, Properties: []string{"firstname"}})
	wantStatus(t, r, http.StatusMultiStatus)
	var br batchResponse
	r.Into(t, &br)
	if len(br.Results) != 1 || br.Results[0].prop("firstname") != "A" || len(br.Errors) != 1 ||
		br.Errors[0].Category != "OBJECT_NOT_FOUND" || !slices.Equal(br.Errors[0].Context["ids"], []string{"999999"}) {
		t.Errorf("batch read = %+v", br)
	}
	r = call(t, s, http.MethodPost, "crm/v3/objects/contacts/batch/read", batch{IDProperty: "email", Inputs: []input{{ID: "A@example.com"}, {ID: "b@example.com"}}})
	wantStatus(t, r, http.StatusOK)
	r.Into(t, &br)
	if len(br.Results) != 2 {
		t.Errorf("read by email = %+v", br)
	}
	wantStatus(t, call(t, s, http.MethodPost, "crm/v3/objects/contacts/batch/read", batch{Inputs: []input{{ID: a.ID}, {ID: a.ID}}}), http.StatusBadRequest)

	r = call(t, s, http.MethodPost, "crm/v3/objects/contacts/batch/update", batch{Inputs: []input{
		{ID: a.ID, Properties: map[string]string{"lastname": "Z"}},
		{ID: "777777", Properties: map[string]string{"lastname": "Z"}},
	}})
	wantStatus(t, r, http.StatusMultiStatus)
	r.Into(t, &br)
	if len(br.Results) != 1 || br.Results[0].prop("lastname") != "Z" || br.Errors[0].Category != "OBJECT_NOT_FOUND" || br.Errors[0].Context["ids"][0] != "777777" {
		t.Errorf("batch update = %+v", br)
	}
	r = call(t, s, http.MethodPost, "crm/v3/objects/contacts/batch/update", batch{Inputs: []input{{ID: "a@example.com", IDProperty: "email", Properties: map[string]string{"lastname": "Y"}}}})
	wantStatus(t, r, http.StatusBadRequest)
	var e apiErr
	r.Into(t, &e)
	if !strings.Contains(e.Message, "Unable to perform update/upsert by non-unique 0-1 property") {
		t.Errorf("message = %q", e.Message)
	}

	wantStatus(t, call(t, s, http.MethodPost, "crm/v3/objects/contacts/batch/archive", batch{Inputs: []input{{ID: b.ID}, {ID: "5555555"}}}), http.StatusNoContent)
	if c, _ := s.Fake.Contact(b.ID); !c.Archived {
		t.Error("b not archived")
	}
}

func TestFailBatchInputs(t *testing.T) {
	t.Parallel()
	s := hubspottest.NewTestServer(t)
	s.Fake.FailBatchInputs(func(p map[string]string) bool { return p["firstname"] == "Fail" })
	// An upsert by email is all or nothing: the failing input fails it.
	r := call(t, s, http.MethodPost, "crm/v3/objects/contacts/batch/upsert", batch{Inputs: []input{
		{ID: "ok@example.com", IDProperty: "email", Properties: map[string]string{"firstname": "Ok"}, ObjectWriteTraceID: "1"},
		{ID: "fail@example.com", IDProperty: "email", Properties: map[string]string{"firstname": "Fail"}, ObjectWriteTraceID: "2"},
	}})
	wantStatus(t, r, http.StatusBadRequest)
	if _, ok := s.Fake.ContactByEmail("ok@example.com"); ok {
		t.Error("a refused email upsert stored its good input")
	}
	// With WithPartialEmailUpserts the old per-input answer comes back.
	lenient := hubspottest.NewTestServer(t, hubspottest.WithPartialEmailUpserts())
	lenient.Fake.FailBatchInputs(func(p map[string]string) bool { return p["firstname"] == "Fail" })
	wantStatus(t, call(t, lenient, http.MethodPost, "crm/v3/objects/contacts/batch/upsert", batch{Inputs: []input{
		{ID: "ok@example.com", IDProperty: "email", Properties: map[string]string{"firstname": "Ok"}, ObjectWriteTraceID: "1"},
		{ID: "fail@example.com", IDProperty: "email", Properties: map[string]string{"firstname": "Fail"}, ObjectWriteTraceID: "2"},
	}}), http.StatusMultiStatus)
	// A traced batch create still answers 207 per input.
	r = call(t, s, http.MethodPost, "crm/v3/objects/contacts/batch/create", batch{Inputs: []input{
		{Properties: map[string]string{"email": "ok@example.com", "firstname": "Ok"}, ObjectWriteTraceID: "1"},
		{Properties: map[string]string{"email": "fail@example.com", "firstname": "Fail"}, ObjectWriteTraceID: "2"},
	}})
	wantStatus(t, r, http.StatusMultiStatus)
	var b batchResponse
	r.Into(t, &b)
	if len(b.Results) != 1 || b.Results[0].ObjectWriteTraceID != "1" || len(b.Errors) != 1 || b.Errors[0].Context["objectWriteTraceId"][0] != "2" {
		t.Errorf("batch = %+v", b)
	}
	if _, ok := s.Fake.ContactByEmail("fail@example.com"); ok {
		t.Error("failed input was stored")
	}
	// Helpers and single-record endpoints are not affected.
	mustCreate(t, s.Fake, map[string]string{"firstname": "Fail"})
	wantStatus(t, call(t, s, http.MethodPost, "crm/v3/objects/contacts", map[string]any{"properties": map[string]string{"firstname": "Fail"}}), http.StatusCreated)
}

func TestMerge(t *testing.T) {
	t.Parallel()
	s := hubspottest.NewTestServer(t)
	p := mustCreate(t, s.Fake, map[string]string{"email": "p@example.com", "firstname": "P"})
	sec := mustCreate(t, s.Fake, map[string]string{"email": "s@example.com", "firstname": "S", "jobtitle": "CTO"})
	r := call(t, s, http.MethodPost, "crm/v3/objects/contacts/merge", map[string]string{"primaryObjectId": p.ID, "objectIdToMerge": sec.ID})
	wantStatus(t, r, http.StatusOK)
	var o object
	r.Into(t, &o)
	want := map[string]string{"firstname": "P", "jobtitle": "CTO", "hs_additional_emails": "s@example.com", "hs_merged_object_ids": sec.ID}
	for k, v := range want {
		if o.prop(k) != v {
			t.Errorf("%s = %q, want %q", k, o.prop(k), v)
		}
	}
	// The merged-away id resolves to the primary.
	r = call(t, s, http.MethodGet, "crm/v3/objects/contacts/"+sec.ID, nil)
	wantStatus(t, r, http.StatusOK)
	r.Into(t, &o)
	if o.ID != p.ID {
		t.Errorf("merged id resolved to %s", o.ID)
	}
	if _, ok := s.Fake.ContactByEmail("s@example.com"); ok {
		t.Error("secondary email still indexed")
	}
	if n := s.Fake.NumContacts(); n != 1 {
		t.Errorf("NumContacts = %d", n)
	}
}

func TestUnknownRoute(t *testing.T) {
	t.Parallel()
	s := hubspottest.NewTestServer(t)
	wantStatus(t, call(t, s, http.MethodGet, "crm/v3/objects/deals", nil), http.StatusNotFound)
	if got := s.Fake.Requests()["GET unknown"]; got != 1 {
		t.Errorf("unknown count = %d", got)
	}
	wantStatus(t, call(t, s, http.MethodPost, "crm/v3/objects/contacts", "{not json"), http.StatusBadRequest)
}

func TestEmailValidation(t *testing.T) {
	t.Parallel()
	s := hubspottest.NewTestServer(t)
	tests := []struct {
		email string
		valid bool
	}{
		{"first.last+tag@sub.example.co.jp", true},
		{"o'neil@example.org", true},
		{"UPPER@EXAMPLE.COM", true},
		{"a@x.museum", true},
		{"a..b@example.com", false},
		{".a@example.com", false},
		{"a.@example.com", false},
		{"a b@example.com", false},
		{"a@b@example.com", false},
		{"a@-example.com", false},
		{"a@example", false},
		{"a@example.c0m", false},
		{"a@example.c", false},
		{"a@example..com", false},
		{"@example.com", false},
		{"a@example.con", false},
	}
	for _, tt := range tests {
		t.Run(tt.email, func(t *testing.T) {
			t.Parallel()
			r := call(t, s, http.MethodPost, "crm/v3/objects/contacts", map[string]any{"properties": map[string]string{"email": tt.email}})
			if got := r.Status == http.StatusCreated; got != tt.valid {
				t.Errorf("%q accepted = %v, want %v (%s)", tt.email, got, tt.valid, r.Body)
			}
		})
	}
}
