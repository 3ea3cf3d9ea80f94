package mapping

import (
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"strings"
)

// Fingerprints returns, for every enabled mapping whose values flow to
// HubSpot, a short fingerprint of what decides the property's values: its
// source (or Version, for a From mapping), kind, enumeration values,
// direction, conflict winner, blank policy and overflow policy. Two Sets
// give a property the same fingerprint when they compute the same values
// for it from the same card, so a sync engine that stores the fingerprints
// can tell which properties a configuration change affects and backfill
// only those. Labels and property definitions are not part of it: they
// change no value.
func (s *Set) Fingerprints() map[string]string {
	out := make(map[string]string, len(s.entries))
	for _, e := range s.entries {
		m := e.m
		if m.Disabled || !m.Direction.FlowsToHubSpot() {
			continue
		}
		var b strings.Builder
		field := func(name, v string) {
			b.WriteString(name)
			b.WriteByte('=')
			b.WriteString(strconv.Quote(v))
			b.WriteByte(';')
		}
		field("property", m.Property)
		if m.From != nil {
			field("from", m.Version)
		} else {
			field("source", m.Source)
		}
		field("kind", strconv.Itoa(int(m.Kind)))
		field("values", strings.Join(m.Values, "\x00"))
		field("direction", m.Direction.String())
		field("winner", strconv.Itoa(int(m.Winner)))
		field("blanks", m.BlankPolicy().String())
		field("overflow", strconv.Itoa(int(m.Overflow)))
		sum := sha256.Sum256([]byte(b.String()))
		out[m.Property] = hex.EncodeToString(sum[:8])
	}
	return out
}
