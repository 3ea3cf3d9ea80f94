package mapping

import (
	"slices"
	"strings"
	"testing"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/text/unicode/norm"
)

func TestCleanText(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		in         string
		max        int
		overflow   Overflow
		want       string
		wantIssues textIssues
	}{
		{"clean", "山田　太郎", 100, OverflowTruncate, "山田　太郎", 0},
		{"outer blanks", "\u3000 山田\t\n\u200B", 100, OverflowTruncate, "山田", 0},
		{"keeps tab, LF, CR inside", "a\tb\r\nc", 100, OverflowTruncate, "a\tb\r\nc", 0},
		{"C0, DEL and C1 removed", "a\x00b\x7fc\u0085d\u009fe", 100, OverflowTruncate, "abcde", issueControl},
		{"invalid UTF-8 replaced", "a\xffb\xc3", 100, OverflowTruncate, "a\uFFFDb\uFFFD", issueInvalidUTF8},
		{"both", "\x01\xff", 100, OverflowTruncate, "\uFFFD", issueInvalidUTF8 | issueControl},
		{"control only is blank", "\x00\x01", 100, OverflowTruncate, "", issueControl},
		{"at limit", "abcdefghijklmnop", 16, OverflowTruncate, "abcdefghijklmnop", 0},
		{"truncated", "abcdefghijklmnopq", 16, OverflowTruncate, "abcd" + TruncationMarker, issueTruncated},
		{"rejected", "abcdefghijklmnopq", 16, OverflowReject, "", issueTooLong},
		{"limit below the marker", "abcdefghijklmnopq", 5, OverflowTruncate, "…[tru", issueTruncated},
		{"trim before limit", "  abcdefghijklmnop  ", 16, OverflowTruncate, "abcdefghijklmnop", 0},
		{"emoji not split", "😀😀😀😀😀😀😀😀😀", 16, OverflowTruncate, "😀😀" + TruncationMarker, issueTruncated},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, issues := cleanText(tt.in, tt.max, tt.overflow)
			if got != tt.want || issues != tt.wantIssues {
				t.Errorf("cleanText(%q, %d) = %q, %b; want %q, %b", tt.in, tt.max, got, issues, tt.want, tt.wantIssues)
			}
			if n := utf16Len(got); n > tt.max {
				t.Errorf("result is %d units, over %d", n, tt.max)
			}
		})
	}
}

// BenchmarkCleanText shows that clean text is passed through without
// allocating (0 allocs/op).
func BenchmarkCleanText(b *testing.B) {
	in := "　株式会社サンプル商事 営業本部　"
	b.ReportAllocs()
	for b.Loop() {
		cleanText(in, MaxPropertyLength, OverflowTruncate)
	}
}

func TestIsBlankRune(t *testing.T) {
	t.Parallel()
	for r := rune(0); r <= unicode.MaxRune; r++ {
		want := unicode.IsSpace(r) || r == '\u200B' || r == '\u200C' || r == '\u200D' || r == '\u2060' || r == '\uFEFF'
		if got := isBlankRune(r); got != want {
			t.Errorf("isBlankRune(%U) = %v, want %v", r, got, want)
		}
	}
}

func TestFoldWidthMatchesNFKC(t *testing.T) {
	t.Parallel()
	var all []rune
	for r := rune(0xFF01); r <= 0xFF5E; r++ {
		all = append(all, r)
	}
	all = append(all, '\u3000', 'a', '@')
	inputs := []string{string(all), "ｔａｒｏ＠ｅｘａｍｐｌｅ．ｃｏ．ｊｐ", "ｆｉ＠ｅｘ。ｊｐ", "Ǆ＠ｘ", "\u3000ａ\u3000"}
	for _, in := range inputs {
		if got, want := foldWidth(in), norm.NFKC.String(in); got != want {
			t.Errorf("foldWidth(%q) = %q, NFKC gives %q", in, got, want)
		}
	}
}

func TestLookupField(t *testing.T) {
	t.Parallel()
	var reversible []string
	for _, name := range fieldNames() {
		f, ok := lookupField(name)
		if !ok || f.name != name || f.get == nil {
			t.Errorf("lookupField(%q) = %+v, %v", name, f, ok)
		}
		if f.set != nil {
			reversible = append(reversible, name)
		}
		if (f.set != nil) != (f.target != "") {
			t.Errorf("field %q: setter %v but target %q", name, f.set != nil, f.target)
		}
	}
	want := []string{
		"exchangeDate", "lastName", "firstName", "lastNameReading", "firstNameReading",
		"departmentName", "title", "email", "mobile", "companyName", "countryCode",
		"postalCode", "prefecture", "city", "street", "building", "streetAddress",
		"tel", "secondTel", "fax", "url", "memo", "tags",
	}
	if diff := cmp.Diff(want, reversible); diff != "" {
		t.Errorf("reversible fields mismatch (-want +got):\n%s", diff)
	}
	if _, ok := lookupField("nickname"); ok {
		t.Error("lookupField found an unknown field")
	}
	if names := fieldNames(); len(slices.Compact(slices.Sorted(slices.Values(names)))) != len(names) {
		t.Error("fieldNames has duplicates")
	}
}

// needsRepairRef is the obvious rune-by-rune version of needsRepair.
func needsRepairRef(s string) bool {
	for _, r := range s {
		if r == utf8.RuneError || unicode.IsControl(r) && r != '\t' && r != '\n' && r != '\r' {
			if r == utf8.RuneError && strings.Contains(s, "\uFFFD") && utf8.ValidString(s) {
				continue // a genuine U+FFFD
			}
			return true
		}
	}
	return false
}

func TestNeedsRepair(t *testing.T) {
	t.Parallel()
	for _, s := range []string{
		"", "abc", "abcdefgh", "abcdefghi", "山田太郎株式会社", "tab\there\nline\r",
		"\x00", "12345678\x01", "1234567\x7f", "\u0085", "1234567\u0085", "123456\u009f",
		"\u00a0\u00c2", "\xc2", "1234567\xc2", "\xff", "株式会社\xe3\x81", "\uFFFD", "ok\uFFFDok",
	} {
		if got, want := needsRepair(s), needsRepairRef(s); got != want {
			t.Errorf("needsRepair(%q) = %v, want %v", s, got, want)
		}
	}
}

func FuzzTextHelpers(f *testing.F) {
	for _, s := range []string{"", "abc", "山田　太郎", "😀a😀", "\xff\x00", "ｔａｒｏ＠ｘ", "\u0085", strings.Repeat("あ", 20)} {
		f.Add(s, 7)
	}
	f.Fuzz(func(t *testing.T, s string, max int) {
		if max < 0 || max > 1<<20 {
			return
		}
		if utf8.ValidString(s) {
			if got, want := utf16Len(s), len(utf16.Encode([]rune(s))); got != want {
				t.Fatalf("utf16Len(%q) = %d, want %d", s, got, want)
			}
			if got, want := foldWidth(s), norm.NFKC.String(s); got != want {
				t.Fatalf("foldWidth(%q) = %q, NFKC gives %q", s, got, want)
			}
			cut := truncatePlain(s, max)
			if !strings.HasPrefix(s, cut) || !utf8.ValidString(cut) || utf16Len(cut) > max {
				t.Fatalf("truncatePlain(%q, %d) = %q", s, max, cut)
			}
			if utf16Len(s) <= max && cut != s {
				t.Fatalf("truncatePlain(%q, %d) cut a short string to %q", s, max, cut)
			}
		}
		if got, want := needsRepair(s), needsRepairRef(s); got != want {
			t.Fatalf("needsRepair(%q) = %v, want %v", s, got, want)
		}
		out, issues := cleanText(s, max, OverflowTruncate)
		if !utf8.ValidString(out) || utf16Len(out) > max || needsRepair(out) {
			t.Fatalf("cleanText(%q, %d) = %q", s, max, out)
		}
		if again, againIssues := cleanText(out, max, OverflowTruncate); again != out || againIssues != 0 {
			t.Fatalf("cleanText is not idempotent: %q -> %q (%b)", out, again, againIssues)
		}
		if issues&issueTooLong != 0 {
			t.Fatalf("truncate policy reported too long")
		}
	})
}
