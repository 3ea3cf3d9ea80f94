package sansan

import (
	"bytes"
	"encoding/json"
	"testing"
)

// BenchmarkDecodeCardPage measures decoding a full page of 300 cards, the
// largest page a sync pass requests, card by card as List does.
func BenchmarkDecodeCardPage(b *testing.B) {
	body := fullPage(b)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		p := cardPageBody{limit: DefaultMaxResponseSize}
		if err := p.DecodeBody(body); err != nil || len(p.entries) != MaxLimit {
			b.Fatal(err, len(p.entries))
		}
	}
}

// BenchmarkDecodeCardPageWhole is the former decoder, the whole page by one
// json.Unmarshal, for comparison: decoding each card on its own must not
// cost much more.
func BenchmarkDecodeCardPageWhole(b *testing.B) {
	body := fullPage(b)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		var p page[BizCard]
		if err := json.Unmarshal(body, &p); err != nil {
			b.Fatal(err)
		}
	}
}

// fullPage is a page of MaxLimit cards repeated from the fixture's.
func fullPage(b *testing.B) []byte {
	var fx struct{ Data []json.RawMessage }
	if err := json.Unmarshal(fixture(b, "bizcards_page1.json"), &fx); err != nil {
		b.Fatal(err)
	}
	var buf bytes.Buffer
	buf.WriteString(`{"data":[`)
	for i := range MaxLimit {
		if i > 0 {
			buf.WriteByte(',')
		}
		buf.Write(fx.Data[i%len(fx.Data)])
	}
	buf.WriteString(`],"hasMore":true,"nextPageToken":"t"}`)
	return buf.Bytes()
}
