package mapping

import (
	"cmp"
	"slices"

	"github.com/cardbridge/sansanhubspot/hubspot"
	"github.com/cardbridge/sansanhubspot/sansan"
)

// GroupName is the HubSpot property group that holds the custom properties
// of the default mappings.
const GroupName = "sansan"

// PropertyGroup returns the definition of the "sansan" contact property
// group that the custom properties belong to, for the engine to create
// before them.
func (s *Set) PropertyGroup() hubspot.PropertyGroup {
	return hubspot.PropertyGroup{Name: GroupName, Label: "Sansan", DisplayOrder: -1}
}

// CustomProperties returns the definitions (name, label, description, type,
// fieldType, group) of the properties the enabled mappings need created, in
// mapping order: those whose Mapping has a Definition. For the default Set
// these are the sansan_* properties of the package documentation's table.
// The "sansan_tags" enumeration is returned without options; add them with
// [TagOptions] (merged into the existing options when it already exists).
func (s *Set) CustomProperties() []hubspot.Property {
	var out []hubspot.Property
	for _, e := range s.entries {
		if !e.m.Disabled && e.m.Definition != nil {
			out = append(out, *copyMapping(e.m).Definition)
		}
	}
	return out
}

// TagOptions returns the enumeration options for the "sansan_tags" property
// for the given tags: one per public or shared tag (private tags are never
// synced), with the tag id as value and the tag name as label (the id when
// the name is blank). Duplicated ids keep their first name; ids that cannot
// be option values (anything but non-empty printable ASCII without spaces
// and ";") are skipped. Options are sorted by label, then value, and
// numbered from 0 in that order.
func TagOptions(tags []sansan.Tag) []hubspot.PropertyOption {
	out := make([]hubspot.PropertyOption, 0, len(tags))
	for i := range tags {
		t := &tags[i]
		if !syncableTag(t) || !usableTagID(t.ID) {
			continue
		}
		if slices.ContainsFunc(out, func(o hubspot.PropertyOption) bool { return o.Value == t.ID }) {
			continue
		}
		label, _ := cleanText(t.Name, MaxPropertyLength, OverflowTruncate)
		if label == "" {
			label = t.ID
		}
		out = append(out, hubspot.PropertyOption{Label: label, Value: t.ID})
	}
	slices.SortFunc(out, func(a, b hubspot.PropertyOption) int {
		return cmp.Or(cmp.Compare(a.Label, b.Label), cmp.Compare(a.Value, b.Value))
	})
	for i := range out {
		out[i].DisplayOrder = i
	}
	return out
}

// mergeOptions merges wanted options into a property's existing ones and
// reports whether anything changed. Existing options keep their position,
// display order and hidden flag, and take the wanted label (a renamed tag);
// wanted options that are new are appended after the existing ones, in
// order. Options are never removed, because contacts may still hold them.
func mergeOptions(existing, wanted []hubspot.PropertyOption) ([]hubspot.PropertyOption, bool) {
	out := slices.Clone(existing)
	changed := false
	next := 0
	for _, o := range out {
		next = max(next, o.DisplayOrder+1)
	}
	for _, w := range wanted {
		i := slices.IndexFunc(out, func(o hubspot.PropertyOption) bool { return o.Value == w.Value })
		if i >= 0 {
			if out[i].Label != w.Label {
				out[i].Label = w.Label
				changed = true
			}
			continue
		}
		w.DisplayOrder = next
		next++
		out = append(out, w)
		changed = true
	}
	return out, changed
}
