package hubspot_test

import (
	"encoding/json"
	"errors"
	"net/url"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/cardbridge/sansanhubspot/hubspot"
)

const tagProperty = `{"name":"sansan_tags","label":"Sansan tags","description":"","groupName":"sansan","type":"enumeration","fieldType":"checkbox",
	"options":[{"label":"VIP","value":"vip","displayOrder":0,"hidden":false}],"modificationMetadata":{"readOnlyValue":false}}`

func TestPropertiesList(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.ok(200, readFixture(t, "properties.json"))
	props, _, err := h.client.Properties.List(t.Context(), &hubspot.ListPropertiesOptions{DataSensitivity: "non_sensitive"})
	if err != nil {
		t.Fatal(err)
	}
	checkRequest(t, h.only(), "GET", "crm/v3/properties/contacts", url.Values{"dataSensitivity": {"non_sensitive"}}, "")
	want := []*hubspot.Property{
		{
			Name: "sansan_tags", Label: "Sansan tags", Description: "Tags from Sansan", GroupName: "sansan",
			Type: "enumeration", FieldType: "checkbox",
			Options: []hubspot.PropertyOption{
				{Label: "VIP", Value: "vip"},
				{Label: "Event 2024", Value: "event_2024", DisplayOrder: 1, Description: "Met at the event"},
			},
			DisplayOrder: -1, FormField: true,
			CreatedAt: time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC), UpdatedAt: time.Date(2024, 2, 1, 0, 0, 0, 0, time.UTC),
			Archivable: true,
		},
		{
			Name: "hs_object_id", Label: "Record ID", GroupName: "contactinformation", Type: "number", FieldType: "number",
			Options: []hubspot.PropertyOption{}, HubSpotDefined: true, ReadOnlyDefinition: true, ReadOnlyValue: true,
		},
	}
	if diff := cmp.Diff(want, props); diff != "" {
		t.Errorf("properties (-want +got):\n%s", diff)
	}
	if props[0].ReadOnly() || !props[1].ReadOnly() {
		t.Error("ReadOnly() wrong")
	}
	if o, ok := props[0].Option("event_2024"); !ok || o.Label != "Event 2024" {
		t.Errorf("Option = %+v, %v", o, ok)
	}
}

func TestPropertyJSONRoundTrip(t *testing.T) {
	t.Parallel()
	in := hubspot.Property{Name: "x", Label: "X", Type: "string", FieldType: "text", GroupName: "g", ReadOnlyValue: true, Archivable: true}
	b, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	want := decodeJSON(t, `{"name":"x","label":"X","description":"","groupName":"g","type":"string","fieldType":"text","options":[],
		"modificationMetadata":{"archivable":true,"readOnlyDefinition":false,"readOnlyOptions":false,"readOnlyValue":true}}`)
	if diff := cmp.Diff(want, decodeJSON(t, string(b))); diff != "" {
		t.Errorf("wire form (-want +got):\n%s", diff)
	}
	var out hubspot.Property
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	in.Options = []hubspot.PropertyOption{}
	if diff := cmp.Diff(in, out); diff != "" {
		t.Errorf("round trip (-want +got):\n%s", diff)
	}
}

func TestPropertiesCRUD(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.ok(200, tagProperty)
	h.ok(201, tagProperty)
	h.ok(200, tagProperty)
	h.ok(200, `{"results":[{"name":"sansan","label":"Sansan","displayOrder":3}]}`)
	h.ok(201, `{"name":"sansan","label":"Sansan","displayOrder":0}`)
	h.ok(200, `{"name":"sansan","label":"Sansan 2","displayOrder":0}`)
	ctx := t.Context()
	if _, _, err := h.client.Properties.Get(ctx, "sansan_tags"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := h.client.Properties.Create(ctx, &hubspot.PropertyCreateRequest{
		Name: "sansan_tags", Label: "Sansan tags", Type: "enumeration", FieldType: "checkbox", GroupName: "sansan",
		Options: []hubspot.PropertyOption{{Label: "VIP", Value: "vip"}},
	}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := h.client.Properties.Update(ctx, "sansan_tags", &hubspot.PropertyUpdateRequest{Label: hubspot.Ptr("Tags"), Hidden: hubspot.Ptr(false)}); err != nil {
		t.Fatal(err)
	}
	groups, _, err := h.client.Properties.ListGroups(ctx)
	if err != nil || len(groups) != 1 || groups[0].DisplayOrder != 3 {
		t.Fatalf("groups = %+v, %v", groups, err)
	}
	if _, _, err := h.client.Properties.CreateGroup(ctx, &hubspot.PropertyGroup{Name: "sansan", Label: "Sansan"}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := h.client.Properties.UpdateGroup(ctx, "sansan", &hubspot.PropertyGroupUpdateRequest{Label: hubspot.Ptr("Sansan 2")}); err != nil {
		t.Fatal(err)
	}
	reqs := h.requests()
	checkRequest(t, reqs[0], "GET", "crm/v3/properties/contacts/sansan_tags", nil, "")
	checkRequest(t, reqs[1], "POST", "crm/v3/properties/contacts", nil, `{"name":"sansan_tags","label":"Sansan tags","type":"enumeration",
		"fieldType":"checkbox","groupName":"sansan","options":[{"label":"VIP","value":"vip","displayOrder":0,"hidden":false}]}`)
	checkRequest(t, reqs[2], "PATCH", "crm/v3/properties/contacts/sansan_tags", nil, `{"label":"Tags","hidden":false}`)
	checkRequest(t, reqs[3], "GET", "crm/v3/properties/contacts/groups", nil, "")
	checkRequest(t, reqs[4], "POST", "crm/v3/properties/contacts/groups", nil, `{"name":"sansan","label":"Sansan"}`)
	checkRequest(t, reqs[5], "PATCH", "crm/v3/properties/contacts/groups/sansan", nil, `{"label":"Sansan 2"}`)

	if _, _, err := h.client.Properties.Create(ctx, &hubspot.PropertyCreateRequest{Name: "x"}); !errors.Is(err, hubspot.ErrInvalidInput) {
		t.Errorf("incomplete create: err = %v", err)
	}
}

func TestEnsureProperty(t *testing.T) {
	t.Parallel()
	want := &hubspot.PropertyCreateRequest{
		Name: "sansan_tags", Label: "Sansan tags", Type: "enumeration", FieldType: "checkbox", GroupName: "sansan",
		Options: []hubspot.PropertyOption{{Label: "VIP", Value: "vip"}, {Label: "Event", Value: "event"}},
	}
	notFound := reply{status: 404, body: `{"status":"error","category":"OBJECT_NOT_FOUND","message":"Unable to find property"}`}
	tests := []struct {
		name       string
		replies    []reply
		wantResult hubspot.EnsureResult
		wantErr    error
		wantReqs   []string // method + path
		wantBodies map[int]string
	}{
		{
			name:       "missing property is created",
			replies:    []reply{notFound, {status: 201, body: tagProperty}},
			wantResult: hubspot.EnsureResult{Created: true},
			wantReqs:   []string{"GET crm/v3/properties/contacts/sansan_tags", "POST crm/v3/properties/contacts"},
		},
		{
			name:       "missing options are added, existing kept",
			replies:    []reply{{status: 200, body: tagProperty}, {status: 200, body: tagProperty}},
			wantResult: hubspot.EnsureResult{AddedOptions: []string{"event"}},
			wantReqs:   []string{"GET crm/v3/properties/contacts/sansan_tags", "PATCH crm/v3/properties/contacts/sansan_tags"},
			wantBodies: map[int]string{1: `{"options":[
				{"label":"VIP","value":"vip","displayOrder":0,"hidden":false},
				{"label":"Event","value":"event","displayOrder":1,"hidden":false}]}`},
		},
		{
			name: "complete property is left alone",
			replies: []reply{{status: 200, body: `{"name":"sansan_tags","type":"enumeration","fieldType":"checkbox","options":[
				{"label":"Very important","value":"vip","displayOrder":0},{"label":"Event","value":"event","displayOrder":1}]}`}},
			wantReqs: []string{"GET crm/v3/properties/contacts/sansan_tags"},
		},
		{
			name:     "type mismatch",
			replies:  []reply{{status: 200, body: `{"name":"sansan_tags","type":"string","fieldType":"text","options":[]}`}},
			wantErr:  hubspot.ErrPropertyMismatch,
			wantReqs: []string{"GET crm/v3/properties/contacts/sansan_tags"},
		},
		{
			name:       "concurrent creation",
			replies:    []reply{notFound, {status: 409, body: `{"category":"CONFLICT","message":"Property already exists"}`}, {status: 200, body: tagProperty}, {status: 200, body: tagProperty}},
			wantResult: hubspot.EnsureResult{AddedOptions: []string{"event"}},
			wantReqs: []string{"GET crm/v3/properties/contacts/sansan_tags", "POST crm/v3/properties/contacts",
				"GET crm/v3/properties/contacts/sansan_tags", "PATCH crm/v3/properties/contacts/sansan_tags"},
		},
		{
			name:     "other errors surface",
			replies:  []reply{{status: 403, body: `{"category":"MISSING_SCOPES","message":"missing scopes"}`}},
			wantErr:  hubspot.ErrForbidden,
			wantReqs: []string{"GET crm/v3/properties/contacts/sansan_tags"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t)
			h.queue(tt.replies...)
			_, res, err := h.client.Properties.EnsureProperty(t.Context(), want)
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Errorf("err = %v, want %v", err, tt.wantErr)
				}
			} else if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.wantResult, res); diff != "" {
				t.Errorf("result (-want +got):\n%s", diff)
			}
			if res.Changed() != (tt.wantResult.Created || len(tt.wantResult.AddedOptions) > 0) {
				t.Error("Changed() wrong")
			}
			var got []string
			reqs := h.requests()
			for _, r := range reqs {
				got = append(got, r.Method+" "+r.Path)
			}
			if diff := cmp.Diff(tt.wantReqs, got); diff != "" {
				t.Errorf("requests (-want +got):\n%s", diff)
			}
			for i, body := range tt.wantBodies {
				if diff := cmp.Diff(decodeJSON(t, body), reqs[i].Body); diff != "" {
					t.Errorf("request %d body (-want +got):\n%s", i, diff)
				}
			}
		})
	}
}

func TestEnsureGroup(t *testing.T) {
	t.Parallel()
	group := &hubspot.PropertyGroup{Name: "sansan", Label: "Sansan"}
	tests := []struct {
		name     string
		replies  []reply
		wantReqs int
	}{
		{"exists", []reply{{status: 200, body: `{"name":"sansan","label":"Sansan"}`}}, 1},
		{"created", []reply{{status: 404, body: `{}`}, {status: 201, body: `{"name":"sansan","label":"Sansan"}`}}, 2},
		{"created concurrently", []reply{{status: 404, body: `{}`}, {status: 409, body: `{}`}, {status: 200, body: `{"name":"sansan","label":"Sansan"}`}}, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t)
			h.queue(tt.replies...)
			g, err := h.client.Properties.EnsureGroup(t.Context(), group)
			if err != nil {
				t.Fatal(err)
			}
			if g.Name != "sansan" {
				t.Errorf("group = %+v", g)
			}
			if n := len(h.requests()); n != tt.wantReqs {
				t.Errorf("requests = %d, want %d", n, tt.wantReqs)
			}
		})
	}
}
