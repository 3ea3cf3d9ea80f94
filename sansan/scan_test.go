package sansan

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"unicode/utf8"
)

func scanSeeds(f *testing.F) {
	for _, name := range []string{"bizcards_page1.json", "bizcards_page2.json", "bizcards_badcards_page1.json", "bizcards_badcards_page2.json", "tags_page1.json"} {
		f.Add(fixture(f, name))
	}
	for _, s := range []string{
		`{}`, `null`, ` {"data":null} `, `{"data":[]}`, `{"data":[null,1,"s",true,{"a":[{}]}],"hasMore":true,"nextPageToken":"x"}`,
		`{"DATA":[1],"data":[2]}`, `{"d\u0061ta":[3]}`, `{"hasMore":false,"haſMore":true}`, `{"nextPageToKen":"kelvin"}`,
		`{"data":[{"id":"a\"b\\c\u00e9\ud83d\ude00"}]}`, `{"data":[1,]}`, `{"data":[` + nested(50) + `]}`,
		`{"data":[{"a":nan}]}`, `{"data":[1]} x`, `[1]`, `{"data":{}}`, `{"data":[1],"data":null}`,
		"{\"data\":[\"\xff\xfe\"]}", `{"a":"\ud800"}`,
	} {
		f.Add([]byte(s))
	}
}

// FuzzScanEnvelope: the envelope scanner never panics, and on every body
// encoding/json decodes as a card page it finds exactly the cards and
// paging members encoding/json finds.
func FuzzScanEnvelope(f *testing.F) {
	scanSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		lim := scanLimits{elemCap: -1, memberCap: -1, maxElems: maxScannedCards}
		sc, err := scanEnvelope(bytes.NewReader(data), "data", lim)
		// The streaming form, with caps, must not panic either, and must
		// agree on success.
		capped, cerr := scanEnvelope(bufio.NewReaderSize(bytes.NewReader(data), 16), "data", scanLimits{elemCap: 8, memberCap: 8, maxElems: maxScannedCards, maxBytes: int64(len(data)) + 1})
		if (err == nil) != (cerr == nil) {
			t.Fatalf("in memory: %v; streaming with caps: %v", err, cerr)
		}
		if err == nil {
			for i, e := range capped.elems {
				if len(e.raw) > 8 || e.truncated != (len(sc.elems[i].raw) > 8) {
					t.Fatalf("element %d kept %d bytes, truncated %t", i, len(e.raw), e.truncated)
				}
			}
		}
		var env struct {
			Data          []json.RawMessage `json:"data"`
			HasMore       *bool             `json:"hasMore"`
			NextPageToken *string           `json:"nextPageToken"`
		}
		if json.Unmarshal(data, &env) != nil {
			return // the scanner may accept more; its elements are checked one by one
		}
		if err != nil {
			t.Fatalf("encoding/json decodes the page, the scanner fails: %v", err)
		}
		if len(sc.elems) != len(env.Data) || (sc.elems == nil) != (env.Data == nil) {
			t.Fatalf("scanner found %d elements (nil %t), encoding/json %d (nil %t)", len(sc.elems), sc.elems == nil, len(env.Data), env.Data == nil)
		}
		for i := range env.Data {
			if !bytes.Equal(sc.elems[i].raw, env.Data[i]) {
				t.Fatalf("element %d: scanner %q, encoding/json %q", i, sc.elems[i].raw, env.Data[i])
			}
		}
		var more *bool
		var next *string
		if raw, ok := sc.member("hasMore"); ok && json.Unmarshal(raw, &more) != nil {
			t.Fatalf("hasMore %q does not decode", raw)
		}
		if raw, ok := sc.member("nextPageToken"); ok && json.Unmarshal(raw, &next) != nil {
			t.Fatalf("nextPageToken %q does not decode", raw)
		}
		if !sameBool(more, env.HasMore) || !sameString(next, env.NextPageToken) {
			t.Fatalf("paging: scanner %v %v, encoding/json %v %v", more, next, env.HasMore, env.NextPageToken)
		}
	})
}

func sameBool(a, b *bool) bool     { return (a == nil) == (b == nil) && (a == nil || *a == *b) }
func sameString(a, b *string) bool { return (a == nil) == (b == nil) && (a == nil || *a == *b) }

// FuzzDecodeCardPage decodes any body as a card list page: it fails as a
// whole or yields each non-null card exactly once, decoded or reported
// with a short error, a short valid excerpt and plausible ids; nothing
// panics.
func FuzzDecodeCardPage(f *testing.F) {
	scanSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		p := &cardPageBody{limit: DefaultMaxResponseSize, redact: func(s string) string { return strings.ReplaceAll(s, testKey, "REDACTED") }}
		if err := p.DecodeBody(data); err != nil {
			if len(err.Error()) > 4096 {
				t.Fatalf("page error of %d bytes", len(err.Error()))
			}
			return
		}
		plausible := func(id string) bool { return id == "" || plausibleID(id) }
		for i, e := range p.entries {
			switch {
			case (e.card == nil) == (e.bad == nil):
				t.Fatalf("entry %d is neither a card nor an undecodable one (or both)", i)
			case e.bad != nil:
				if len(e.bad.Excerpt) > MaxExcerpt || !utf8.ValidString(e.bad.Excerpt) || len(e.bad.Error()) > 600 || !errors.Is(e.bad, ErrUndecodableCard) {
					t.Fatalf("bad entry %d: excerpt %q, message %q", i, e.bad.Excerpt, e.bad.Error())
				}
				if !plausible(e.bad.ID) || !plausible(e.bad.PersonID) {
					t.Fatalf("bad entry %d: implausible ids %q %q", i, e.bad.ID, e.bad.PersonID)
				}
			case len(e.card.Raw) == 0:
				t.Fatalf("card %d without its raw JSON", i)
			}
		}
		if len(p.entries) > 0 && p.entries[0].card != nil {
			id, _ := lenientIDs(p.entries[0].card.Raw)
			if got := p.entries[0].card.ID; id != got && id != "" && got != "" {
				t.Fatalf("lenient id %q, decoded id %q", id, p.entries[0].card.ID)
			}
		}
	})
}
