package hubspot

import (
	"slices"

	"github.com/cardbridge/sansanhubspot/internal/jsonstr"
)

// MarshalJSON encodes the values as a JSON object without reflection:
// batch request bodies carry up to 100 of them, and encoding/json's map
// path (reflection and a key sort through interfaces) was about half of a
// batch call's CPU. The output is what encoding/json writes for a
// map[string]string, byte for byte: keys sorted, HTML-safe escaping,
// invalid UTF-8 replaced by U+FFFD.
func (p PropertyValues) MarshalJSON() ([]byte, error) {
	if p == nil {
		return []byte("null"), nil
	}
	keys := make([]string, 0, len(p))
	size := 2
	for k, v := range p {
		keys = append(keys, k)
		size += len(k) + len(v) + 6
	}
	slices.Sort(keys)
	b := make([]byte, 0, size)
	b = append(b, '{')
	for i, k := range keys {
		if i > 0 {
			b = append(b, ',')
		}
		b = jsonstr.Append(b, k, true)
		b = append(b, ':')
		b = jsonstr.Append(b, p[k], true)
	}
	return append(b, '}'), nil
}
