package syncer_test

import (
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/cardbridge/sansanhubspot/mapping"
	"github.com/cardbridge/sansanhubspot/syncer"
)

// TestDirectionAndMappingDirection: each engine direction flows the way its
// mapping.Direction counterpart does, and the conversions are inverses.
func TestDirectionAndMappingDirection(t *testing.T) {
	t.Parallel()
	type flows struct {
		ToHubSpot, ToSansan bool
		Mapping             mapping.Direction
		Text                string
	}
	for _, tt := range []struct {
		d    syncer.Direction
		want flows
	}{
		{syncer.SansanToHubSpot, flows{ToHubSpot: true, Mapping: mapping.ToHubSpot, Text: "sansan_to_hubspot"}},
		{syncer.HubSpotToSansan, flows{ToSansan: true, Mapping: mapping.ToSansan, Text: "hubspot_to_sansan"}},
		{syncer.TwoWay, flows{ToHubSpot: true, ToSansan: true, Mapping: mapping.Both, Text: "two_way"}},
	} {
		t.Run(tt.d.String(), func(t *testing.T) {
			t.Parallel()
			text, err := tt.d.MarshalText()
			if err != nil {
				t.Fatal(err)
			}
			got := flows{ToHubSpot: tt.d.FlowsToHubSpot(), ToSansan: tt.d.FlowsToSansan(), Mapping: tt.d.MappingDirection(), Text: string(text)}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("mismatch (-want +got):\n%s", diff)
			}
			m := tt.d.MappingDirection()
			if m.FlowsToHubSpot() != tt.d.FlowsToHubSpot() || m.FlowsToSansan() != tt.d.FlowsToSansan() {
				t.Errorf("%s flows (hubspot %t, sansan %t), its mapping direction %s (hubspot %t, sansan %t)",
					tt.d, tt.d.FlowsToHubSpot(), tt.d.FlowsToSansan(), m, m.FlowsToHubSpot(), m.FlowsToSansan())
			}
			back, err := syncer.DirectionFromMapping(m)
			if err != nil || back != tt.d {
				t.Errorf("DirectionFromMapping(%s) = %s, %v; want %s", m, back, err, tt.d)
			}
			// The mapping direction's own name parses to the same direction.
			mtext, err := m.MarshalText()
			if err != nil {
				t.Fatal(err)
			}
			var parsed syncer.Direction
			if err := parsed.UnmarshalText(mtext); err != nil || parsed != tt.d {
				t.Errorf("UnmarshalText(%q) = %s, %v; want %s", mtext, parsed, err, tt.d)
			}
		})
	}
}

// TestDirectionFromMappingRejects: None and invalid values have no engine
// direction.
func TestDirectionFromMappingRejects(t *testing.T) {
	t.Parallel()
	for _, m := range []mapping.Direction{mapping.None, mapping.Direction(9), mapping.Direction(-1)} {
		if d, err := syncer.DirectionFromMapping(m); err == nil {
			t.Errorf("DirectionFromMapping(%s) = %s, want an error", m, d)
		}
	}
}

// TestDirectionInvalidValue: a value outside the three directions neither
// flows nor marshals, like an invalid mapping.Direction.
func TestDirectionInvalidValue(t *testing.T) {
	t.Parallel()
	for _, d := range []syncer.Direction{-1, 3, 42} {
		if d.FlowsToHubSpot() || d.FlowsToSansan() {
			t.Errorf("%s flows (hubspot %t, sansan %t), want neither", d, d.FlowsToHubSpot(), d.FlowsToSansan())
		}
		if got := d.MappingDirection(); got != mapping.None {
			t.Errorf("%s.MappingDirection() = %s, want none", d, got)
		}
		if b, err := d.MarshalText(); err == nil {
			t.Errorf("%s.MarshalText() = %q, want an error", d, b)
		}
	}
}

// TestDirectionJSON: a config struct carrying both kinds of direction
// round-trips through JSON, and the engine direction reads mapping names.
func TestDirectionJSON(t *testing.T) {
	t.Parallel()
	type settings struct {
		Sync  syncer.Direction  `json:"sync"`
		Email mapping.Direction `json:"email"`
	}
	for _, tt := range []struct {
		in, out string
		want    settings
	}{
		{in: `{"sync":"two-way","email":"to_hubspot"}`, out: `{"sync":"two_way","email":"to_hubspot"}`,
			want: settings{Sync: syncer.TwoWay, Email: mapping.ToHubSpot}},
		{in: `{"sync":"both","email":"both"}`, out: `{"sync":"two_way","email":"both"}`,
			want: settings{Sync: syncer.TwoWay, Email: mapping.Both}},
		{in: `{"sync":"TO_SANSAN","email":"none"}`, out: `{"sync":"hubspot_to_sansan","email":"none"}`,
			want: settings{Sync: syncer.HubSpotToSansan, Email: mapping.None}},
	} {
		var got settings
		if err := json.Unmarshal([]byte(tt.in), &got); err != nil {
			t.Errorf("Unmarshal(%s): %v", tt.in, err)
			continue
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("Unmarshal(%s) mismatch (-want +got):\n%s", tt.in, diff)
		}
		b, err := json.Marshal(got)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(tt.out, string(b)); diff != "" {
			t.Errorf("Marshal mismatch (-want +got):\n%s", diff)
		}
	}
	var s settings
	if err := json.Unmarshal([]byte(`{"sync":"none"}`), &s); err == nil {
		t.Errorf("engine direction \"none\" parsed as %s, want an error", s.Sync)
	}
}
