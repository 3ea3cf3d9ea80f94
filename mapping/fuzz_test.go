package mapping_test

import (
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/cardbridge/sansanhubspot/hubspot"
	"github.com/cardbridge/sansanhubspot/mapping"
	"github.com/cardbridge/sansanhubspot/sansan"
)

func FuzzNormalizeEmail(f *testing.F) {
	for _, s := range []string{
		"taro@example.co.jp", "ｔａｒｏ＠ｅｘａｍｐｌｅ．ｃｏ．ｊｐ", " Taro@Example.COM\u3000", "taro@example。co。jp",
		"a@b.c", "@", "", "\u200b", "taro@@example.com", "\"q\"@example.com", "taro@[192.0.2.1]",
		"taro@example.xn--wgv71a", "taro\xff@example.com", "ｆｉ＠ｅｘａｍｐｌｅ．ｃｏｍ", "Ǆ@example.com",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r := mapping.NormalizeEmail(s)
		if !utf8.ValidString(r.Normalized) {
			t.Fatalf("NormalizeEmail(%q).Normalized = %q is not valid UTF-8", s, r.Normalized)
		}
		switch r.Status {
		case mapping.EmailMissing:
			if r.Normalized != "" || r.Reason != "" {
				t.Fatalf("missing result with content: %+v", r)
			}
		case mapping.EmailInvalid:
			if r.Reason == "" {
				t.Fatalf("invalid result without a reason: %+v", r)
			}
		case mapping.EmailValid:
			n := r.Normalized
			if r.Reason != "" || len(n) > 254 || strings.Count(n, "@") != 1 || n != strings.ToLower(n) {
				t.Fatalf("implausible valid result: %+v", r)
			}
			for i := 0; i < len(n); i++ {
				if n[i] <= ' ' || n[i] >= 0x7f {
					t.Fatalf("valid result %q has byte %#x", n, n[i])
				}
			}
			if again := mapping.NormalizeEmail(n); again != r {
				t.Fatalf("second normalization of %q gave %+v, want %+v", n, again, r)
			}
		default:
			t.Fatalf("unknown status %v", r.Status)
		}
	})
}

// fuzzSet is the default set plus mappings of the remaining free-text
// fields, so the fuzzer reaches every cleaning path.
func fuzzSet(tb testing.TB) *mapping.Set {
	tb.Helper()
	s := mapping.Default()
	for _, m := range []mapping.Mapping{
		{Property: "sansan_memo", Source: "memo", Direction: mapping.Both},
		{Property: "sansan_memo_strict", Source: "memo", Overflow: mapping.OverflowReject},
		{Property: "sansan_tag_names", Source: "tagNames"},
		{Property: "sansan_second_tel", Source: "secondTel", Direction: mapping.Both},
	} {
		if err := s.Add(m); err != nil {
			tb.Fatal(err)
		}
	}
	if err := s.Override(mapping.Mapping{Property: "sansan_tags", Source: "tags", Direction: mapping.Both}); err != nil {
		tb.Fatal(err)
	}
	return s
}

func FuzzCardToProperties(f *testing.F) {
	for _, path := range goldenCards(f) {
		c := loadCard(f, path)
		var tagID, tagName string
		if len(c.Tags) > 0 {
			tagID, tagName = c.Tags[0].ID, c.Tags[0].Name
		}
		var y, m, d int
		if c.ExchangeDate != nil {
			y, m, d = c.ExchangeDate.Year, int(c.ExchangeDate.Month), c.ExchangeDate.Day
		}
		f.Add(deref(c.LastName), deref(c.FirstName), deref(c.Email), deref(c.CompanyName), deref(c.Address),
			deref(c.Street), deref(c.Tel), deref(c.Memo), tagID, tagName, y, m, d)
	}
	f.Add("\x00", "\xff\xfe", "a@b.co", "\u0085", strings.Repeat("😀", 40000), "", "", strings.Repeat("a", 70000), "T;1", "", 2023, 2, 29)
	s := fuzzSet(f)
	f.Fuzz(func(t *testing.T, last, first, email, company, address, street, tel, memo, tagID, tagName string, y, m, d int) {
		card := &sansan.BizCard{
			ID: "CARD", PersonID: "PERSON",
			LastName: &last, FirstName: &first, Email: &email, CompanyName: &company,
			Address: &address, Street: &street, Tel: &tel, SecondTel: &tel, Memo: &memo,
			ExchangeDate: &sansan.Date{Year: y, Month: time.Month(m), Day: d},
			Owner:        &sansan.User{Name: first, Email: email},
			Tags:         []sansan.Tag{{ID: tagID, Name: tagName, Type: sansan.TagTypePublic}},
		}
		res := s.CardToProperties(card)
		for k, v := range res.Properties {
			checkValue(t, k, v)
		}
		for _, p := range res.Problems {
			if !utf8.ValidString(p.Message) || p.Code == "" {
				t.Fatalf("bad problem %+v", p)
			}
		}
		if res.Email.Status == mapping.EmailValid {
			if res.Properties["email"] != res.Email.Normalized {
				t.Fatalf("email property %q, normalized %q", res.Properties["email"], res.Email.Normalized)
			}
			if again := mapping.NormalizeEmail(res.Email.Normalized); again != res.Email {
				t.Fatalf("second normalization gave %+v, want %+v", again, res.Email)
			}
		} else if _, ok := res.Properties["email"]; ok {
			t.Fatalf("email written for status %v", res.Email.Status)
		}

		// What was written reads back as the same canonical value.
		contact := contactOf(res.Properties)
		for k, v := range s.ContactValues(contact) {
			if written, ok := res.Properties[k]; ok && written != v {
				t.Fatalf("ContactValues()[%q] = %q, wrote %q", k, v, written)
			}
		}
		req, _ := s.PropertiesToCard(contact)
		if req != nil {
			for _, v := range []*string{req.LastName, req.FirstName, req.CompanyName, req.Email, req.Street, req.Memo, req.Tel, req.SecondTel} {
				if v != nil {
					checkValue(t, "request", *v)
				}
			}
			if len(req.TagIDs) > mapping.MaxRegisterTags {
				t.Fatalf("%d tag ids in a registration", len(req.TagIDs))
			}
		}
	})
}

// checkValue asserts the invariants of every value sent anywhere.
func checkValue(t *testing.T, key, v string) {
	t.Helper()
	if !utf8.ValidString(v) {
		t.Fatalf("%s: value is not valid UTF-8: %q", key, v)
	}
	if n := len(utf16.Encode([]rune(v))); n > mapping.MaxPropertyLength {
		t.Fatalf("%s: value is %d UTF-16 units long", key, n)
	}
	for _, r := range v {
		if unicode.IsControl(r) && r != '\t' && r != '\n' && r != '\r' {
			t.Fatalf("%s: value holds control character %U", key, r)
		}
	}
	if v != strings.TrimSpace(v) {
		t.Fatalf("%s: value has surrounding white space: %q", key, v)
	}
}

func deref(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

// TestContactValuesOfNothing checks that a contact without values reads as
// blank for every mapping flowing to Sansan.
func TestContactValuesOfNothing(t *testing.T) {
	t.Parallel()
	got := fuzzSet(t).ContactValues(hubspot.Properties{})
	for k, v := range got {
		if v != "" {
			t.Errorf("ContactValues(empty)[%q] = %q", k, v)
		}
	}
}
