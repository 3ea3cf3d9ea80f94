package syncer

import (
	"slices"

	"github.com/cardbridge/sansanhubspot/hubspot"
	"github.com/cardbridge/sansanhubspot/mapping"
)

// The value rule decides, property by property, what a write of a card to
// a contact sends. Three values are known for each mapped property:
//
//   - base: what the sync last wrote to that contact (Link.Values of the
//     link holding it; absent when the sync never wrote the property, or
//     when there is no base at all because the contact is new or was
//     adopted by email);
//   - theirs: HubSpot's current value;
//   - ours: the winning card's mapped value, possibly blank.
//
// ours equal to base: nothing to write. A non-blank ours is written, except
// where theirs is known to differ from base (a two-way conflict) and the
// mapping's Winner keeps HubSpot's value. A blank ours over a non-blank
// base clears the property only while theirs still equals base (the field
// is the sync's own); a value a person or another tool typed is never
// erased. Without a base, blanks never clear. A mapping's
// [mapping.BlankPolicy] overrides the blank part per property.
//
// diffValues does everything but compare with theirs, which needs a read:
// it returns the properties to clear if HubSpot still holds base's value,
// and the executor settles them with resolveClears after one batch read.

// valueRule holds the mapping facts the rule needs, as functions so that
// the planner's tests can state them directly.
type valueRule struct {
	// blanks returns a property's blank policy.
	blanks func(property string) mapping.BlankPolicy
	// sansanWins reports whether, in a conflict on property, the card wins.
	sansanWins func(property string) bool
}

// diffValues returns what a write of ours sends to a contact whose base is
// base (hasBase false: none), and the properties to clear once theirs is
// known to equal base. remote holds HubSpot values known to differ from
// base (Link.Remote, two-way sync).
func (vr valueRule) diffValues(ours hubspot.PropertyValues, base map[string]string, hasBase bool, remote map[string]string) (send hubspot.PropertyValues, clears []string) {
	put := func(k, v string) {
		if send == nil {
			send = hubspot.PropertyValues{}
		}
		send[k] = v
	}
	for k, o := range ours {
		b := base[k]
		if !hasBase {
			// No base: every non-blank value is written; blanks are
			// written only by an always-clear mapping (ours holds "").
			put(k, o)
			continue
		}
		if o == b {
			continue
		}
		if o == "" {
			// An always-clear mapping's explicit blank over a value.
			if b != "" {
				put(k, "")
			}
			continue
		}
		if _, changed := remote[k]; changed && vr.sansanWins != nil && !vr.sansanWins(k) {
			continue // both sides changed and HubSpot's value wins
		}
		put(k, o)
	}
	if !hasBase {
		return send, nil
	}
	for k, b := range base {
		if b == "" {
			continue
		}
		if _, ok := ours[k]; ok {
			continue
		}
		policy := mapping.BlanksClearOwn
		if vr.blanks != nil {
			policy = vr.blanks(k)
		}
		switch policy {
		case mapping.BlanksAlwaysClear:
			put(k, "")
		case mapping.BlanksClearOwn:
			if _, changed := remote[k]; changed {
				continue // a person's value: never cleared
			}
			clears = append(clears, k)
		}
	}
	slices.Sort(clears)
	return send, clears
}

// resolveClears settles a record's conditional clears against theirs, the
// contact's current values in canonical form: a property whose value still
// equals the base is cleared; one a person changed is left alone, and the
// sync stops owning it (it is not in the link's next Values, since ours is
// blank). It returns the send map with the clears added.
func resolveClears(send hubspot.PropertyValues, clears []string, base, theirs map[string]string) hubspot.PropertyValues {
	for _, k := range clears {
		if theirs[k] != base[k] {
			continue
		}
		if send == nil {
			send = hubspot.PropertyValues{}
		}
		send[k] = ""
	}
	return send
}
