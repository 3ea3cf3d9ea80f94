package hubspottest_test

import (
	"net/http"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/cardbridge/sansanhubspot/hubspot/hubspottest"
)

type propSummary struct {
	Type      string
	FieldType string
	GroupName string
	ReadOnly  bool
}

func TestPropertiesDefaults(t *testing.T) {
	t.Parallel()
	s := hubspottest.NewTestServer(t)
	r := call(t, s, http.MethodGet, "crm/v3/properties/contacts", nil)
	wantStatus(t, r, http.StatusOK)
	var list struct {
		Results []hubspottest.Property `json:"results"`
		Paging  any                    `json:"paging"`
	}
	r.Into(t, &list)
	if list.Paging != nil {
		t.Error("properties list must not page")
	}
	got := map[string]propSummary{}
	for _, p := range list.Results {
		got[p.Name] = propSummary{p.Type, p.FieldType, p.GroupName, p.ModificationMetadata != nil && p.ModificationMetadata.ReadOnlyValue}
		if p.Label == "" || p.Options == nil {
			t.Errorf("%s: label %q options %v", p.Name, p.Label, p.Options)
		}
	}
	want := map[string]propSummary{
		"email":            {"string", "text", "contactinformation", false},
		"firstname":        {"string", "text", "contactinformation", false},
		"lastname":         {"string", "text", "contactinformation", false},
		"company":          {"string", "text", "contactinformation", false},
		"jobtitle":         {"string", "text", "contactinformation", false},
		"phone":            {"string", "phonenumber", "contactinformation", false},
		"mobilephone":      {"string", "phonenumber", "contactinformation", false},
		"fax":              {"string", "text", "contactinformation", false},
		"website":          {"string", "text", "contactinformation", false},
		"zip":              {"string", "text", "contactinformation", false},
		"state":            {"string", "text", "contactinformation", false},
		"city":             {"string", "text", "contactinformation", false},
		"address":          {"string", "text", "contactinformation", false},
		"country":          {"string", "text", "contactinformation", false},
		"lifecyclestage":   {"enumeration", "radio", "contactinformation", false},
		"hs_object_id":     {"number", "number", "contactinformation", true},
		"createdate":       {"datetime", "date", "contactinformation", true},
		"lastmodifieddate": {"datetime", "date", "contactinformation", true},
	}
	for name, w := range want {
		if diff := cmp.Diff(w, got[name]); diff != "" {
			t.Errorf("%s (-want +got):\n%s", name, diff)
		}
	}

	r = call(t, s, http.MethodGet, "crm/v3/properties/contacts/email", nil)
	wantStatus(t, r, http.StatusOK)
	var p hubspottest.Property
	r.Into(t, &p)
	if p.Name != "email" || !p.HubspotDefined {
		t.Errorf("email = %+v", p)
	}
	wantStatus(t, call(t, s, http.MethodGet, "crm/v3/properties/contacts/nope", nil), http.StatusNotFound)
	for _, alias := range []string{"crm/v3/properties/0-1/email", "crm/properties/2026-03/contacts/email", "crm/objects/2026-03/contacts", "crm/v3/objects/0-1"} {
		wantStatus(t, call(t, s, http.MethodGet, alias, nil), http.StatusOK)
	}
	if n := s.Fake.Requests()["GET /crm/v3/properties/contacts/{propertyName}"]; n != 4 {
		t.Errorf("property reads counted %d times under the v3 template, want 4 (2 direct, 2 aliases)", n)
	}
}

func TestPropertiesCreateUpdateGroups(t *testing.T) {
	t.Parallel()
	s := hubspottest.NewTestServer(t)
	r := call(t, s, http.MethodPost, "crm/v3/properties/contacts/groups", map[string]any{"name": "sansan", "label": "Sansan"})
	wantStatus(t, r, http.StatusCreated)
	wantStatus(t, call(t, s, http.MethodPost, "crm/v3/properties/contacts/groups", map[string]any{"name": "sansan", "label": "Sansan"}), http.StatusConflict)
	r = call(t, s, http.MethodGet, "crm/v3/properties/contacts/groups", nil)
	var groups struct {
		Results []hubspottest.PropertyGroup `json:"results"`
	}
	r.Into(t, &groups)
	found := false
	for _, g := range groups.Results {
		found = found || g.Name == "sansan"
	}
	if !found {
		t.Errorf("groups = %+v", groups.Results)
	}

	create := map[string]any{"name": "sansan_card_id", "label": "Sansan card ID", "type": "string", "fieldType": "text", "groupName": "sansan"}
	tests := []struct {
		name string
		body map[string]any
		want int
	}{
		{"create", create, http.StatusCreated},
		{"duplicate", create, http.StatusConflict},
		{"unknown group", map[string]any{"name": "x1", "label": "X", "type": "string", "fieldType": "text", "groupName": "nope"}, http.StatusBadRequest},
		{"bad field type", map[string]any{"name": "x2", "label": "X", "type": "number", "fieldType": "text", "groupName": "sansan"}, http.StatusBadRequest},
		{"enumeration without options", map[string]any{"name": "x3", "label": "X", "type": "enumeration", "fieldType": "select", "groupName": "sansan"}, http.StatusBadRequest},
		{"missing label", map[string]any{"name": "x4", "type": "string", "fieldType": "text", "groupName": "sansan"}, http.StatusBadRequest},
	}
	for _, tt := range tests { // sequential: create precedes duplicate
		r := call(t, s, http.MethodPost, "crm/v3/properties/contacts", tt.body)
		if r.Status != tt.want {
			t.Errorf("%s: status %d, want %d: %s", tt.name, r.Status, tt.want, r.Body)
		}
	}
	r = call(t, s, http.MethodPatch, "crm/v3/properties/contacts/sansan_card_id", map[string]any{"label": "Card ID"})
	wantStatus(t, r, http.StatusOK)
	var p hubspottest.Property
	r.Into(t, &p)
	if p.Label != "Card ID" || p.Type != "string" {
		t.Errorf("updated = %+v", p)
	}
	wantStatus(t, call(t, s, http.MethodPatch, "crm/v3/properties/contacts/email", map[string]any{"type": "number"}), http.StatusBadRequest)
	// The new property is writable.
	wantStatus(t, call(t, s, http.MethodPost, "crm/v3/objects/contacts", map[string]any{"properties": map[string]string{"sansan_card_id": "c-1"}}), http.StatusCreated)

	// Single group reads and updates.
	r = call(t, s, http.MethodGet, "crm/v3/properties/contacts/groups/sansan", nil)
	wantStatus(t, r, http.StatusOK)
	var g hubspottest.PropertyGroup
	r.Into(t, &g)
	if g != (hubspottest.PropertyGroup{Name: "sansan", Label: "Sansan"}) {
		t.Errorf("group = %+v", g)
	}
	r = call(t, s, http.MethodPatch, "crm/v3/properties/contacts/groups/sansan", map[string]any{"label": "Sansan cards", "displayOrder": 3})
	wantStatus(t, r, http.StatusOK)
	r.Into(t, &g)
	if g.Label != "Sansan cards" || g.DisplayOrder != 3 {
		t.Errorf("patched group = %+v", g)
	}
	r = call(t, s, http.MethodGet, "crm/v3/properties/contacts/groups/nope", nil)
	wantStatus(t, r, http.StatusNotFound)
	var e apiErr
	r.Into(t, &e)
	if e.Category != "OBJECT_NOT_FOUND" {
		t.Errorf("missing group category = %q", e.Category)
	}

	// Archiving a custom property hides it and rejects its values.
	wantStatus(t, call(t, s, http.MethodDelete, "crm/v3/properties/contacts/sansan_card_id", nil), http.StatusNoContent)
	wantStatus(t, call(t, s, http.MethodGet, "crm/v3/properties/contacts/sansan_card_id", nil), http.StatusNotFound)
	wantStatus(t, call(t, s, http.MethodGet, "crm/v3/properties/contacts/sansan_card_id?archived=true", nil), http.StatusOK)
	wantStatus(t, call(t, s, http.MethodPost, "crm/v3/objects/contacts", map[string]any{"properties": map[string]string{"sansan_card_id": "c-2"}}), http.StatusBadRequest)
	wantStatus(t, call(t, s, http.MethodDelete, "crm/v3/properties/contacts/email", nil), http.StatusBadRequest)
	wantStatus(t, call(t, s, http.MethodDelete, "crm/v3/properties/contacts/groups/sansan", nil), http.StatusNoContent)
	wantStatus(t, call(t, s, http.MethodGet, "crm/v3/properties/contacts/groups/sansan", nil), http.StatusNotFound)
}
