package mapping_test

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/cardbridge/sansanhubspot/mapping"
)

// BenchmarkCardToProperties converts a full Japanese card (every default
// mapping has a value, e-mail printed in full width) with the default set.
// The whole sync pipeline's budget is 5 µs per card.
func BenchmarkCardToProperties(b *testing.B) {
	s := mapping.Default()
	for _, name := range []string{"card_full", "card_fullwidth", "card_messy"} {
		card := loadCard(b, filepath.Join("testdata", name+".json"))
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				s.CardToProperties(card)
			}
		})
	}
}

func BenchmarkCardToPropertiesLongMemo(b *testing.B) {
	s := mapping.Default()
	if err := s.Add(mapping.Mapping{Property: "sansan_memo", Source: "memo"}); err != nil {
		b.Fatal(err)
	}
	card := fullCard()
	memo := strings.Repeat("展示会で名刺交換。", 10000) // 90,000 characters: truncated
	card.Memo = &memo
	b.ReportAllocs()
	for b.Loop() {
		s.CardToProperties(card)
	}
}

func BenchmarkNormalizeEmail(b *testing.B) {
	for _, in := range []string{"taro.yamada@sample-shoji.co.jp", "ＴＡＲＯ．ＹＡＭＡＤＡ＠ｓａｍｐｌｅ－ｓｈｏｊｉ．ｃｏ．ｊｐ"} {
		b.Run(map[bool]string{true: "ascii", false: "fullwidth"}[in[0] < 0x80], func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				mapping.NormalizeEmail(in)
			}
		})
	}
}

func BenchmarkPropertiesToCard(b *testing.B) {
	s := mapping.Default()
	props := contactOf(fullProperties())
	b.ReportAllocs()
	for b.Loop() {
		s.PropertiesToCard(props)
	}
}

func BenchmarkContactValues(b *testing.B) {
	s := mapping.Default()
	props := contactOf(fullProperties())
	b.ReportAllocs()
	for b.Loop() {
		s.ContactValues(props)
	}
}
