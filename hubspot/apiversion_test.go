package hubspot_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/cardbridge/sansanhubspot/hubspot"
)

// TestAPIVersionPaths checks that both API families are addressed: v3 by
// default, the date-versioned one with WithAPIVersion.
func TestAPIVersionPaths(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		opts    []hubspot.Option
		version string
		want    []string
	}{
		{name: "default v3", version: "v3", want: []string{
			"crm/v3/objects/contacts/1", "crm/v3/objects/contacts/search", "crm/v3/objects/contacts/batch/upsert",
			"crm/v3/properties/contacts/email", "crm/v3/properties/contacts/groups",
		}},
		{name: "explicit v3", opts: []hubspot.Option{hubspot.WithAPIVersion("v3")}, version: "v3", want: []string{
			"crm/v3/objects/contacts/1", "crm/v3/objects/contacts/search", "crm/v3/objects/contacts/batch/upsert",
			"crm/v3/properties/contacts/email", "crm/v3/properties/contacts/groups",
		}},
		{name: "2026-03", opts: []hubspot.Option{hubspot.WithAPIVersion("2026-03")}, version: "2026-03", want: []string{
			"crm/objects/2026-03/contacts/1", "crm/objects/2026-03/contacts/search", "crm/objects/2026-03/contacts/batch/upsert",
			"crm/properties/2026-03/contacts/email", "crm/properties/2026-03/contacts/groups",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, tt.opts...)
			h.ok(200, `{"id":"1","properties":{}}`)
			h.ok(200, `{"total":0,"results":[]}`)
			h.ok(200, `{"status":"COMPLETE","results":[{"id":"1","properties":{"email":"a@example.com"},"new":false}]}`)
			h.ok(200, `{"name":"email","label":"Email","type":"string","fieldType":"text","groupName":"contactinformation"}`)
			h.ok(200, `{"results":[]}`)
			ctx := t.Context()
			_, _, _ = h.client.Contacts.Get(ctx, "1", nil)
			_, _, _ = h.client.Contacts.Search(ctx, nil)
			_, _, _ = h.client.Contacts.BatchUpsert(ctx, []hubspot.BatchUpsertInput{{ID: "a@example.com", Properties: hubspot.PropertyValues{}}})
			_, _, _ = h.client.Properties.Get(ctx, "email")
			_, _, _ = h.client.Properties.ListGroups(ctx)
			var got []string
			for _, r := range h.requests() {
				got = append(got, r.Path)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("paths (-want +got):\n%s", diff)
			}
			if v := h.client.APIVersion(); v != tt.version {
				t.Errorf("APIVersion() = %q, want %q", v, tt.version)
			}
		})
	}
	for _, bad := range []string{"", "v4", "2026-13", "latest"} {
		if _, err := hubspot.NewClient("t", hubspot.WithAPIVersion(bad)); err == nil {
			t.Errorf("WithAPIVersion(%q) accepted", bad)
		}
	}
}
