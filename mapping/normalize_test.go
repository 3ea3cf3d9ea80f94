package mapping_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/cardbridge/sansanhubspot/mapping"
)

func valid(s string) mapping.EmailResult {
	return mapping.EmailResult{Normalized: s, Status: mapping.EmailValid}
}

func invalid(s, reason string) mapping.EmailResult {
	return mapping.EmailResult{Normalized: s, Status: mapping.EmailInvalid, Reason: reason}
}

func TestNormalizeEmail(t *testing.T) {
	t.Parallel()
	long63 := strings.Repeat("a", 63)
	tests := []struct {
		name string
		in   string
		want mapping.EmailResult
	}{
		{"plain", "taro@example.co.jp", valid("taro@example.co.jp")},
		{"full-width", "ｔａｒｏ＠ｅｘａｍｐｌｅ．ｃｏ．ｊｐ", valid("taro@example.co.jp")},
		{"full-width upper case", "ＴＡＲＯ＠ＥＸＡＭＰＬＥ．ＣＯＭ", valid("taro@example.com")},
		{"upper case", "Taro.Yamada@Example.COM", valid("taro.yamada@example.com")},
		{"surrounding spaces", "  taro@example.com\t\n", valid("taro@example.com")},
		{"ideographic spaces", "\u3000taro@example.com\u3000", valid("taro@example.com")},
		{"zero-width and BOM", "\uFEFFtaro@example.com\u200B", valid("taro@example.com")},
		{"ideographic full stops in domain", "taro@example。co。jp", valid("taro@example.co.jp")},
		{"half-width ideographic full stop", "taro@example｡com", valid("taro@example.com")},
		{"plus and symbols", "o'neil+crm_1@sub-domain.example.org", valid("o'neil+crm_1@sub-domain.example.org")},
		{"punycode TLD", "taro@example.xn--p1ai", valid("taro@example.xn--p1ai")},
		{"retired punycode TLD", "taro@example.xn--wgv71a", invalid("taro@example.xn--wgv71a", `unknown top-level domain "xn--wgv71a"`)},
		{"private suffix under com", "taro@foo.blogspot.com", valid("taro@foo.blogspot.com")},
		{"bare public suffix", "taro@co.jp", invalid("taro@co.jp", `domain "co.jp" is a public suffix`)},
		{"new gTLD", "taro@example.tokyo", valid("taro@example.tokyo")},
		{"64-character local part", strings.Repeat("a", 64) + "@example.com", valid(strings.Repeat("a", 64) + "@example.com")},
		{"63-character label", "a@" + long63 + ".com", valid("a@" + long63 + ".com")},

		{"nil-like empty", "", mapping.EmailResult{Status: mapping.EmailMissing}},
		{"blank", " \t ", mapping.EmailResult{Status: mapping.EmailMissing}},
		{"ideographic blank", "\u3000\u3000", mapping.EmailResult{Status: mapping.EmailMissing}},

		{"no at", "taro.example.com", invalid("taro.example.com", "no @")},
		{"two ats", "taro@home@example.com", invalid("taro@home@example.com", "more than one @")},
		{"two addresses", "a@example.com; b@example.com", invalid("a@example.com; b@example.com", "more than one @")},
		{"empty local part", "@example.com", invalid("@example.com", "empty local part")},
		{"empty domain", "taro@", invalid("taro@", "empty domain")},
		{"leading dot", ".taro@example.com", invalid(".taro@example.com", "local part starts or ends with a dot")},
		{"trailing dot", "taro.@example.com", invalid("taro.@example.com", "local part starts or ends with a dot")},
		{"double dot", "ta..ro@example.com", invalid("ta..ro@example.com", "local part has consecutive dots")},
		{"space inside", "ta ro@example.com", invalid("ta ro@example.com", `invalid character " " in local part`)},
		{"quoted local part", `"taro"@example.com`, invalid(`"taro"@example.com`, `invalid character '"' in local part`)},
		{"comma in domain", "taro@exa,mple.com", invalid("taro@exa,mple.com", `invalid character "," in domain`)},
		{"local part too long", strings.Repeat("a", 65) + "@example.com", invalid(strings.Repeat("a", 65)+"@example.com", "local part longer than 64 characters")},
		{"label too long", "a@" + long63 + "a.com", invalid("a@"+long63+"a.com", "domain label longer than 63 characters")},
		{"address too long", "a@" + strings.Repeat(long63+".", 4) + "com", invalid("a@"+strings.Repeat(long63+".", 4)+"com", "longer than 254 characters")},
		{"no dot in domain", "taro@localhost", invalid("taro@localhost", "domain has no dot")},
		{"trailing dot in domain", "taro@example.com.", invalid("taro@example.com.", "domain ends with a dot")},
		{"empty label", "taro@example..com", invalid("taro@example..com", "empty domain label")},
		{"hyphen label", "taro@-example.com", invalid("taro@-example.com", "domain label starts or ends with a hyphen")},
		{"IP literal", "taro@[192.0.2.1]", invalid("taro@[192.0.2.1]", "IP address literals are not accepted")},
		{"one-letter TLD", "taro@example.c", invalid("taro@example.c", `unknown top-level domain "c"`)},
		{"numeric TLD", "taro@example.123", invalid("taro@example.123", `unknown top-level domain "123"`)},
		{"IPv4 domain", "taro@192.0.2.1", invalid("taro@192.0.2.1", `unknown top-level domain "1"`)},
		{"typo con", "taro@example.con", invalid("taro@example.con", `unknown top-level domain "con"`)},
		{"typo lcom", "dsfsafas@example.lcom", invalid("dsfsafas@example.lcom", `unknown top-level domain "lcom"`)},
		{"bare xn--", "taro@example.xn--", invalid("taro@example.xn--", "domain label starts or ends with a hyphen")},
		{"reserved test", "taro@example.test", invalid("taro@example.test", `unknown top-level domain "test"`)},
		{"reserved invalid", "taro@example.invalid", invalid("taro@example.invalid", `unknown top-level domain "invalid"`)},
		{"internationalized domain", "taro@例え.jp", invalid("taro@例え.jp", "non-ASCII character")},
		{"internationalized local part", "太郎@example.jp", invalid("太郎@example.jp", "non-ASCII character")},
		{"invalid UTF-8", "taro\xff@example.com", invalid("taro\uFFFD@example.com", "invalid UTF-8")},
		{"control character", "taro\x00@example.com", invalid("taro\x00@example.com", "invalid character 0x00 in local part")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := mapping.NormalizeEmail(tt.in)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("NormalizeEmail(%q) mismatch (-want +got):\n%s", tt.in, diff)
			}
			if got.Status == mapping.EmailValid {
				again := mapping.NormalizeEmail(got.Normalized)
				if diff := cmp.Diff(got, again); diff != "" {
					t.Errorf("second normalization mismatch (-want +got):\n%s", diff)
				}
			}
		})
	}
}

func TestEmailStatusText(t *testing.T) {
	t.Parallel()
	for _, s := range []mapping.EmailStatus{mapping.EmailMissing, mapping.EmailValid, mapping.EmailInvalid} {
		b, err := json.Marshal(mapping.EmailResult{Status: s})
		if err != nil {
			t.Fatalf("Marshal(%v): %v", s, err)
		}
		var back mapping.EmailResult
		if err := json.Unmarshal(b, &back); err != nil {
			t.Fatalf("Unmarshal(%s): %v", b, err)
		}
		if back.Status != s {
			t.Errorf("round trip of %v gave %v (JSON %s)", s, back.Status, b)
		}
	}
	if got := mapping.EmailValid.String(); got != "valid" {
		t.Errorf("EmailValid.String() = %q, want %q", got, "valid")
	}
	if got := mapping.EmailStatus(7).String(); got != "EmailStatus(7)" {
		t.Errorf("EmailStatus(7).String() = %q", got)
	}
	if _, err := mapping.EmailStatus(7).MarshalText(); err == nil {
		t.Error("MarshalText of an invalid status succeeded")
	}
	var s mapping.EmailStatus
	if err := s.UnmarshalText([]byte("bogus")); err == nil {
		t.Error(`UnmarshalText("bogus") succeeded`)
	}
}

func TestNormalizePhone(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, in, want string
	}{
		{"plain", "03-1234-5678", "03-1234-5678"},
		{"full-width digits and hyphens", "０３－１２３４－５６７８", "03-1234-5678"},
		{"katakana prolonged sound mark", "０３ー１２３４ー５６７８", "03-1234-5678"},
		{"half-width prolonged sound mark", "03ｰ1234ｰ5678", "03-1234-5678"},
		{"minus sign and dashes", "03−1234–5678", "03-1234-5678"},
		{"hyphen, figure dash, em dash, bar", "03‐1234‒5678—9―0", "03-1234-5678-9-0"},
		{"parentheses", "（０３）１２３４－５６７８", "03-1234-5678"},
		{"spaces collapse", "03 1234  5678", "03-1234-5678"},
		{"ideographic space", "03\u30001234\u30005678", "03-1234-5678"},
		{"dots", "03.1234.5678", "03-1234-5678"},
		{"international", "+81 (0)3-1234-5678", "+81-0-3-1234-5678"},
		{"full-width plus", "＋８１－３－１２３４－５６７８", "+81-3-1234-5678"},
		{"extension kept", "03-1234-5678 内線 123", "03-1234-5678-内線-123"},
		{"separators trimmed", " -03-1234-5678- ", "03-1234-5678"},
		{"blank", " \u3000 ", ""},
		{"separators only", "--", ""},
		{"empty", "", ""},
		{"invalid UTF-8 dropped", "03\xff-1234", "03-1234"},
		{"control characters dropped", "03-\x001234", "03-1234"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := mapping.NormalizePhone(tt.in)
			if got != tt.want {
				t.Errorf("NormalizePhone(%q) = %q, want %q", tt.in, got, tt.want)
			}
			if again := mapping.NormalizePhone(got); again != got {
				t.Errorf("NormalizePhone is not idempotent: %q -> %q", got, again)
			}
		})
	}
}
