package syncer

import (
	"testing"

	"github.com/cardbridge/sansanhubspot/hubspot"
	"github.com/cardbridge/sansanhubspot/mapping"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// TestValueRule is the value rule's table: for one property, base (what
// the sync last wrote), theirs (HubSpot now) and ours (the winning card)
// decide what is sent. "-" means absent or blank.
func TestValueRule(t *testing.T) {
	t.Parallel()
	const p = "jobtitle"
	tests := []struct {
		name    string
		policy  mapping.BlankPolicy
		hasBase bool
		base    string // "-": the sync never wrote the property
		theirs  string // "-": blank in HubSpot
		remote  bool   // theirs is known to differ from base (two-way)
		ours    string // "-": the card's field is blank
		hubWins bool   // the mapping's conflict winner keeps HubSpot's value
		want    string // what HubSpot holds after the write; "-": blank
	}{
		{name: "theirs equals base: ours written", hasBase: true, base: "A", theirs: "A", ours: "B", want: "B"},
		{name: "theirs equals base: blank ours clears", hasBase: true, base: "A", theirs: "A", ours: "-", want: "-"},
		{name: "theirs changed: blank ours never clears", hasBase: true, base: "A", theirs: "P", ours: "-", want: "P"},
		{name: "theirs changed, known: blank never clears", hasBase: true, base: "A", theirs: "P", remote: true, ours: "-", want: "P"},
		{name: "theirs changed: non-blank ours, card wins", hasBase: true, base: "A", theirs: "P", remote: true, ours: "B", want: "B"},
		{name: "theirs changed: non-blank ours, hubspot wins", hasBase: true, base: "A", theirs: "P", remote: true, ours: "B", hubWins: true, want: "P"},
		{name: "ours equals base: nothing sent, person's value stays", hasBase: true, base: "A", theirs: "P", ours: "A", want: "P"},
		{name: "base never written: blank never clears", hasBase: true, base: "-", theirs: "P", ours: "-", want: "P"},
		{name: "no base (adopted): blank never clears", base: "-", theirs: "P", ours: "-", want: "P"},
		{name: "no base (adopted): non-blank written", base: "-", theirs: "P", ours: "B", want: "B"},
		{name: "never clear: sync's own value stays", policy: mapping.BlanksNeverClear, hasBase: true, base: "A", theirs: "A", ours: "-", want: "A"},
		{name: "always clear: person's value cleared", policy: mapping.BlanksAlwaysClear, hasBase: true, base: "A", theirs: "P", ours: "-", want: "-"},
		{name: "always clear without base", policy: mapping.BlanksAlwaysClear, base: "-", theirs: "P", ours: "-", want: "-"},
	}
	val := func(s string) string {
		if s == "-" {
			return ""
		}
		return s
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			vr := valueRule{
				blanks:     func(string) mapping.BlankPolicy { return tc.policy },
				sansanWins: func(string) bool { return !tc.hubWins },
			}
			ours := hubspot.PropertyValues{}
			if tc.ours != "-" {
				ours[p] = tc.ours
			} else if tc.policy == mapping.BlanksAlwaysClear {
				ours[p] = "" // what CardToProperties makes of an always-clear blank
			}
			var base map[string]string
			if tc.hasBase {
				base = map[string]string{}
				if tc.base != "-" {
					base[p] = tc.base
				}
			}
			var remote map[string]string
			if tc.remote {
				remote = map[string]string{p: val(tc.theirs)}
			}
			send, clears := vr.diffValues(ours, base, tc.hasBase, remote)
			send = resolveClears(send, clears, base, map[string]string{p: val(tc.theirs)})
			got := val(tc.theirs)
			if v, ok := send[p]; ok {
				got = v
			}
			if got != val(tc.want) {
				t.Errorf("HubSpot holds %q after the write, want %q (send %v, clears %v)", got, val(tc.want), send, clears)
			}
		})
	}
}

// TestValueRuleOnlyDiffs checks that a write sends only what differs and
// asks to clear only the sync's own values.
func TestValueRuleOnlyDiffs(t *testing.T) {
	t.Parallel()
	vr := valueRule{}
	send, clears := vr.diffValues(
		hubspot.PropertyValues{"a": "1", "b": "2-new", "d": "4"},
		map[string]string{"a": "1", "b": "2", "c": "3", "e": ""}, true, nil)
	if d := cmp.Diff(hubspot.PropertyValues{"b": "2-new", "d": "4"}, send, cmpopts.EquateEmpty()); d != "" {
		t.Errorf("send (-want +got):\n%s", d)
	}
	if d := cmp.Diff([]string{"c"}, clears); d != "" {
		t.Errorf("clears (-want +got):\n%s", d)
	}
}
