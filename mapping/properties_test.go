package mapping_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/cardbridge/sansanhubspot/hubspot"
	"github.com/cardbridge/sansanhubspot/mapping"
	"github.com/cardbridge/sansanhubspot/sansan"
)

func TestCustomProperties(t *testing.T) {
	t.Parallel()
	def := func(name, typ, fieldType string) hubspot.Property {
		return hubspot.Property{Name: name, Type: typ, FieldType: fieldType, GroupName: "sansan"}
	}
	want := []hubspot.Property{
		def("sansan_department", "string", "text"),
		def("sansan_last_name_reading", "string", "text"),
		def("sansan_first_name_reading", "string", "text"),
		def("sansan_exchange_date", "date", "date"),
		def("sansan_card_id", "string", "text"),
		def("sansan_person_id", "string", "text"),
		def("sansan_company_id", "string", "text"),
		def("sansan_owner", "string", "text"),
		def("sansan_tags", "enumeration", "checkbox"),
	}
	s := mapping.Default()
	got := s.CustomProperties()
	ignoreText := cmpopts.IgnoreFields(hubspot.Property{}, "Label", "Description")
	if diff := cmp.Diff(want, got, ignoreText); diff != "" {
		t.Errorf("CustomProperties mismatch (-want +got):\n%s", diff)
	}
	for _, p := range got {
		if p.Label == "" || p.Description == "" {
			t.Errorf("custom property %q lacks a label or description", p.Name)
		}
	}
	// The definitions must pass validation once created.
	if err := s.Validate(append(loadProperties(t, "contact_properties.json"), got...)); err != nil {
		t.Errorf("Validate against the created custom properties: %v", err)
	}

	got[0].Label = "changed"
	if again := s.CustomProperties(); again[0].Label == "changed" {
		t.Error("CustomProperties returns shared definitions")
	}
	if err := s.Disable("sansan_tags"); err != nil {
		t.Fatal(err)
	}
	if err := s.Add(mapping.Mapping{Property: "sansan_memo", Source: "memo",
		Definition: &hubspot.Property{Label: "Memo (Sansan)", Type: "string", FieldType: "textarea"}}); err != nil {
		t.Fatal(err)
	}
	wantAfter := append(want[:8:8], def("sansan_memo", "string", "textarea"))
	if diff := cmp.Diff(wantAfter, s.CustomProperties(), ignoreText); diff != "" {
		t.Errorf("CustomProperties after edits mismatch (-want +got):\n%s", diff)
	}

	g := s.PropertyGroup()
	if g.Name != mapping.GroupName || g.Label == "" {
		t.Errorf("PropertyGroup() = %+v", g)
	}
}

func TestTagOptions(t *testing.T) {
	t.Parallel()
	tags := []sansan.Tag{
		{ID: "T3", Name: "展示会2024", Type: sansan.TagTypePublic},
		{ID: "T1", Name: "個人", Type: sansan.TagTypePrivate},
		{ID: "T2", Name: "重要顧客", Type: sansan.TagTypeShared},
		{ID: "T3", Name: "duplicate id", Type: sansan.TagTypePublic},
		{ID: "T4", Name: " ", Type: sansan.TagTypeShared},
		{ID: "T5", Name: "Alpha\x00", Type: sansan.TagTypePublic},
		{ID: "BAD;ID", Name: "bad", Type: sansan.TagTypePublic},
		{ID: "", Name: "empty", Type: sansan.TagTypePublic},
	}
	want := []hubspot.PropertyOption{
		{Label: "Alpha", Value: "T5", DisplayOrder: 0},
		{Label: "T4", Value: "T4", DisplayOrder: 1},
		{Label: "展示会2024", Value: "T3", DisplayOrder: 2},
		{Label: "重要顧客", Value: "T2", DisplayOrder: 3},
	}
	if diff := cmp.Diff(want, mapping.TagOptions(tags)); diff != "" {
		t.Errorf("TagOptions mismatch (-want +got):\n%s", diff)
	}
	if got := mapping.TagOptions(nil); len(got) != 0 {
		t.Errorf("TagOptions(nil) = %v", got)
	}
}

func TestMergeOptions(t *testing.T) {
	t.Parallel()
	existing := []hubspot.PropertyOption{
		{Label: "展示会2023", Value: "T1", DisplayOrder: 0},
		{Label: "Old name", Value: "T2", DisplayOrder: 5, Hidden: true},
	}
	tests := []struct {
		name        string
		wanted      []hubspot.PropertyOption
		want        []hubspot.PropertyOption
		wantChanged bool
	}{
		{"nothing wanted", nil, existing, false},
		{"same options", []hubspot.PropertyOption{{Label: "展示会2023", Value: "T1", DisplayOrder: 9}}, existing, false},
		{
			"renamed and new",
			[]hubspot.PropertyOption{
				{Label: "New name", Value: "T2"},
				{Label: "展示会2024", Value: "T3"},
				{Label: "重要顧客", Value: "T4"},
			},
			[]hubspot.PropertyOption{
				{Label: "展示会2023", Value: "T1", DisplayOrder: 0},
				{Label: "New name", Value: "T2", DisplayOrder: 5, Hidden: true},
				{Label: "展示会2024", Value: "T3", DisplayOrder: 6},
				{Label: "重要顧客", Value: "T4", DisplayOrder: 7},
			},
			true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			before := append([]hubspot.PropertyOption(nil), existing...)
			got, changed := mapping.MergeOptions(existing, tt.wanted)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("MergeOptions mismatch (-want +got):\n%s", diff)
			}
			if changed != tt.wantChanged {
				t.Errorf("changed = %v, want %v", changed, tt.wantChanged)
			}
			if diff := cmp.Diff(before, existing); diff != "" {
				t.Errorf("MergeOptions modified its input (-want +got):\n%s", diff)
			}
		})
	}
	got, changed := mapping.MergeOptions(nil, mapping.TagOptions([]sansan.Tag{{ID: "T1", Name: "a", Type: sansan.TagTypePublic}}))
	if !changed || len(got) != 1 || got[0].DisplayOrder != 0 {
		t.Errorf("MergeOptions(nil, one) = %v, %v", got, changed)
	}
}
