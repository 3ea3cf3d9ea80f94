package mapping_test

import (
	"maps"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/cardbridge/sansanhubspot/mapping"
	"github.com/cardbridge/sansanhubspot/sansan"
)

func TestFingerprints(t *testing.T) {
	t.Parallel()
	from := func(*sansan.BizCard) (string, bool) { return "x", true }
	base := mapping.Default().Fingerprints()
	tests := []struct {
		name    string
		change  func(t *testing.T, s *mapping.Set)
		changed []string // properties whose fingerprint differs from the default's or is new
		gone    []string // properties no longer fingerprinted
	}{
		{name: "unchanged", change: func(*testing.T, *mapping.Set) {}},
		{
			name: "added source mapping",
			change: func(t *testing.T, s *mapping.Set) {
				must(t, s.Add(mapping.Mapping{Property: "sansan_owner_email", Source: "ownerEmail"}))
			},
			changed: []string{"sansan_owner_email"},
		},
		{
			name: "source changed",
			change: func(t *testing.T, s *mapping.Set) {
				m, _ := s.Get("jobtitle")
				m.Source = "departmentName"
				must(t, s.Override(m))
			},
			changed: []string{"jobtitle"},
		},
		{
			name: "blank policy changed",
			change: func(t *testing.T, s *mapping.Set) {
				m, _ := s.Get("jobtitle")
				m.Blanks = mapping.BlanksNeverClear
				must(t, s.Override(m))
			},
			changed: []string{"jobtitle"},
		},
		{
			name: "disabled",
			change: func(t *testing.T, s *mapping.Set) {
				must(t, s.Disable("jobtitle"))
			},
			gone: []string{"jobtitle"},
		},
		{
			name: "from mapping changes only with its version",
			change: func(t *testing.T, s *mapping.Set) {
				must(t, s.Add(mapping.Mapping{Property: "sansan_x", From: from}))
			},
			changed: []string{"sansan_x"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := mapping.Default()
			tt.change(t, s)
			got := s.Fingerprints()
			var changed, gone []string
			for k, v := range got {
				if base[k] != v {
					changed = append(changed, k)
				}
			}
			for k := range base {
				if _, ok := got[k]; !ok {
					gone = append(gone, k)
				}
			}
			slices.Sort(changed)
			slices.Sort(gone)
			if diff := cmp.Diff(tt.changed, changed); diff != "" {
				t.Errorf("changed (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.gone, gone); diff != "" {
				t.Errorf("gone (-want +got):\n%s", diff)
			}
		})
	}

	t.Run("version of a from mapping", func(t *testing.T) {
		t.Parallel()
		a, b := mapping.Default(), mapping.Default()
		must(t, a.Add(mapping.Mapping{Property: "sansan_x", From: from, Version: "1"}))
		must(t, b.Add(mapping.Mapping{Property: "sansan_x", From: from, Version: "2"}))
		if a.Fingerprints()["sansan_x"] == b.Fingerprints()["sansan_x"] {
			t.Error("a new Version kept the fingerprint")
		}
		if !maps.Equal(mapping.Default().Fingerprints(), base) {
			t.Error("fingerprints of the default set are not stable")
		}
	})
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
