package sansantest

import (
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"

	"github.com/cardbridge/sansanhubspot/internal/jsonstr"
)

// rawCard is how a card is served instead of its own JSON (see
// [Fake.SetRawField] and [Fake.SetRawCard]).
type rawCard struct {
	card   string            // the whole card, verbatim; "" when fields are replaced
	fields map[string]string // member name -> raw value
}

// SetRawField makes every response that renders the card cardID (listings,
// searches, GET /bizCards/{id}, and GET /persons/{id} when it is the head
// card) carry raw, verbatim, as the value of the member field instead of
// the card's own value (or as an extra member when the card has none). raw
// need not be valid JSON or of the right type: SetRawField(id, "memo",
// `{"a":{"b":1}}`) serves an object as memo, SetRawField(id, "personId",
// "42") a number as personId, as a broken server might. The card itself is
// unchanged (its updatedTime too), and [Fake.ClearRaw] restores it.
func (f *Fake) SetRawField(cardID, field, raw string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, ok := f.cards[cardID]; !ok {
		return fmt.Errorf("%w: card %q", ErrNotFound, cardID)
	}
	rc := f.raws[cardID]
	if rc == nil || rc.card != "" {
		rc = &rawCard{fields: map[string]string{}}
		f.raws[cardID] = rc
	}
	rc.fields[field] = raw
	return nil
}

// SetRawCard makes every response that renders the card cardID serve raw,
// verbatim, in its place, e.g. `"not a card"` or `{"id":` + a nesting
// deeper than decoders allow. [Fake.ClearRaw] restores it.
func (f *Fake) SetRawCard(cardID, raw string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, ok := f.cards[cardID]; !ok {
		return fmt.Errorf("%w: card %q", ErrNotFound, cardID)
	}
	f.raws[cardID] = &rawCard{card: raw}
	return nil
}

// ClearRaw serves the card cardID as itself again, undoing
// [Fake.SetRawField] and [Fake.SetRawCard]. The card's updatedTime is not
// changed, as when a server bug is fixed rather than the card edited.
func (f *Fake) ClearRaw(cardID string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.raws, cardID)
}

// hasRaw reports whether card id is served raw. f.mu must be held.
func (f *Fake) hasRaw(id string) bool { return f.raws[id] != nil }

// appendRaw appends the card as SetRawField or SetRawCard asked. f.mu must
// be held.
func (f *Fake) appendRaw(b []byte, u *User, c *Card, includeTags bool, rc *rawCard) []byte {
	if rc.card != "" {
		return append(b, rc.card...)
	}
	own := f.appendCardJSON(nil, u, c, includeTags)
	b = append(b, '{')
	first := true
	for name, value := range members(own) {
		if _, ok := rc.fields[name]; ok {
			continue
		}
		if !first {
			b = append(b, ',')
		}
		first = false
		b = jsonstr.Append(b, name, false)
		b = append(b, ':')
		b = append(b, value...)
	}
	for _, name := range slices.Sorted(maps.Keys(rc.fields)) {
		if !first {
			b = append(b, ',')
		}
		first = false
		b = jsonstr.Append(b, name, false)
		b = append(b, ':')
		b = append(b, rc.fields[name]...)
	}
	return append(b, '}')
}

// members yields the top-level members of obj, a JSON object as
// appendCardJSON writes it (names without escapes).
func members(obj []byte) func(yield func(string, []byte) bool) {
	return func(yield func(string, []byte) bool) {
		i := 1 // after '{'
		for i < len(obj) && obj[i] == '"' {
			end := i + 1
			for obj[end] != '"' {
				end++
			}
			name := string(obj[i+1 : end])
			start := end + 2 // after `":`
			stop := skipValue(obj, start)
			if !yield(name, obj[start:stop]) {
				return
			}
			i = stop
			if obj[i] == ',' {
				i++
			}
		}
	}
}

// skipValue returns the end of the well-formed JSON value at obj[i:].
func skipValue(obj []byte, i int) int {
	depth := 0
	for ; i < len(obj); i++ {
		switch c := obj[i]; c {
		case '"':
			for i++; obj[i] != '"'; i++ {
				if obj[i] == '\\' {
					i++
				}
			}
			if depth == 0 {
				return i + 1
			}
		case '{', '[':
			depth++
		case '}', ']':
			if depth == 0 {
				return i
			}
			depth--
			if depth == 0 {
				return i + 1
			}
		case ',':
			if depth == 0 {
				return i
			}
		}
	}
	return i
}

// endless is the state of ServeEndlessPages.
type endless struct {
	tokenBytes atomic.Int64
	served     atomic.Int64
}

// ServeEndlessPages makes card listings and searches answer, until called
// again with 0, like a broken or hostile server that never ends a listing:
// every page is empty, says hasMore, and carries a fresh nextPageToken of
// tokenBytes bytes (at least 16) that was never served before; any token
// is accepted. Other endpoints are not affected. [Fake.EndlessPagesServed]
// counts the pages served so.
func (f *Fake) ServeEndlessPages(tokenBytes int) {
	if tokenBytes > 0 {
		tokenBytes = max(tokenBytes, 16)
	}
	f.endless.tokenBytes.Store(int64(tokenBytes))
}

// EndlessPagesServed returns how many pages [Fake.ServeEndlessPages] has
// served.
func (f *Fake) EndlessPagesServed() int { return int(f.endless.served.Load()) }

// serveEndless answers a listing with an endless page, if asked to.
func (f *Fake) serveEndless(w http.ResponseWriter) bool {
	n := int(f.endless.tokenBytes.Load())
	if n <= 0 {
		return false
	}
	seq := f.endless.served.Add(1)
	prefix := "endless-" + strconv.FormatInt(seq, 10) + "-"
	b := make([]byte, 0, n+64)
	b = append(b, `{"data":[],"hasMore":true,"nextPageToken":"`...)
	b = append(b, prefix...)
	b = append(b, strings.Repeat("z", max(0, n-len(prefix)))...)
	b = append(b, "\"}\n"...)
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(b)
	return true
}
