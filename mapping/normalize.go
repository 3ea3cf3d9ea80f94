package mapping

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"github.com/cardbridge/sansanhubspot/internal/emaildomain"
)

// EmailStatus says whether an e-mail address is usable as a HubSpot contact
// key.
type EmailStatus int

// E-mail statuses.
const (
	// EmailMissing means the card has no e-mail address (nil, empty or blank).
	EmailMissing EmailStatus = iota
	// EmailValid means the normalized address passed the syntax check.
	EmailValid
	// EmailInvalid means the address is present but unusable; the
	// [EmailResult] Reason says why.
	EmailInvalid
)

// String returns "missing", "valid" or "invalid".
func (s EmailStatus) String() string {
	switch s {
	case EmailMissing:
		return "missing"
	case EmailValid:
		return "valid"
	case EmailInvalid:
		return "invalid"
	}
	return "EmailStatus(" + strconv.Itoa(int(s)) + ")"
}

// MarshalText implements [encoding.TextMarshaler] with the names of
// [EmailStatus.String], so reports and JSON read "valid" rather than 1.
func (s EmailStatus) MarshalText() ([]byte, error) {
	if s < EmailMissing || s > EmailInvalid {
		return nil, errors.New("mapping: invalid email status " + strconv.Itoa(int(s)))
	}
	return []byte(s.String()), nil
}

// UnmarshalText implements [encoding.TextUnmarshaler]; it accepts the names
// of [EmailStatus.String].
func (s *EmailStatus) UnmarshalText(text []byte) error {
	for v := EmailMissing; v <= EmailInvalid; v++ {
		if v.String() == string(text) {
			*s = v
			return nil
		}
	}
	return fmt.Errorf("mapping: unknown email status %q", text)
}

// EmailResult is the outcome of [NormalizeEmail].
type EmailResult struct {
	// Normalized is the address after trimming, NFKC width folding and
	// lower-casing. It is the dedup key only when Status is EmailValid; for
	// an invalid address it is the folded form (useful in reports), and it
	// is empty when the address is missing.
	Normalized string `json:"normalized,omitempty"`
	// Status says whether the address is valid, invalid or missing.
	Status EmailStatus `json:"status"`
	// Reason explains an EmailInvalid status in lower-case words, e.g.
	// "no @" or "unknown top-level domain \"con\"". It is empty otherwise.
	Reason string `json:"reason,omitempty"`
}

// Limits of the e-mail syntax check (RFC 5321 §4.5.3.1).
const (
	maxEmailLength  = 254
	maxLocalLength  = 64
	maxDomainLength = 253
	maxLabelLength  = 63
)

// NormalizeEmail normalizes an e-mail address printed on a card and checks
// that HubSpot will accept it. The steps are:
//
//  1. invalid UTF-8 makes the address invalid;
//  2. NFKC folds full-width forms, so "ｔａｒｏ＠ｅｘａｍｐｌｅ．ｃｏ．ｊｐ"
//     becomes "taro@example.co.jp"; the ideographic full stops "。" and "｡"
//     in the domain are read as dots (as IDNA does);
//  3. surrounding white space (including U+3000) and zero-width characters
//     are trimmed; a blank result is [EmailMissing];
//  4. ASCII letters are lower-cased.
//
// The syntax check is deliberately stricter than RFC 5322, because HubSpot
// rejects more than the RFC does: the address must be ASCII; have exactly one
// "@"; a dot-atom local part of at most 64 characters (letters, digits and
// !#$%&'*+/=?^_`{|}~- with no leading, trailing or doubled dot; no quoted
// strings or comments); a domain of at least two dot-separated labels of
// letters, digits and inner hyphens (IP literals are refused); and, as
// HubSpot requires, a registrable name under a real public suffix: the
// domain must end in an ICANN suffix of the Public Suffix List (as embedded
// in golang.org/x/net/publicsuffix) with at least one label before it, so
// typos such as "example.con", reserved names such as "example.test" and a
// bare suffix such as "co.jp" are refused. The whole address is at most 254
// characters.
//
// A valid result is a fixed point: normalizing Normalized again gives the
// same valid result.
func NormalizeEmail(s string) EmailResult {
	if !utf8.ValidString(s) {
		return EmailResult{Normalized: strings.ToValidUTF8(s, "\uFFFD"), Status: EmailInvalid, Reason: "invalid UTF-8"}
	}
	s = trimBlank(s)
	if s == "" {
		return EmailResult{Status: EmailMissing}
	}
	if !isASCII(s) {
		s = foldWidth(s)
		if at := strings.LastIndexByte(s, '@'); at >= 0 {
			s = s[:at+1] + replaceIdeographicStops(s[at+1:])
		}
		s = trimBlank(s)
		if s == "" {
			return EmailResult{Status: EmailMissing}
		}
	}
	s = asciiLower(s)
	if reason := checkEmail(s); reason != "" {
		return EmailResult{Normalized: s, Status: EmailInvalid, Reason: reason}
	}
	return EmailResult{Normalized: s, Status: EmailValid}
}

// foldWidth returns the NFKC form of s. Addresses typed in full width hold
// only full-width ASCII variants (U+FF01 to U+FF5E, whose NFKC form is the
// ASCII character U+FEE0 below) and U+3000 IDEOGRAPHIC SPACE (NFKC: U+0020)
// besides ASCII; those are folded directly, which is much faster than the
// general normalizer. Anything else goes through NFKC.
func foldWidth(s string) string {
	b := make([]byte, 0, len(s))
	for _, r := range s {
		switch {
		case r < utf8.RuneSelf:
			b = append(b, byte(r))
		case r >= '\uFF01' && r <= '\uFF5E':
			b = append(b, byte(r-0xFEE0))
		case r == '\u3000':
			b = append(b, ' ')
		default:
			return norm.NFKC.String(s)
		}
	}
	return string(b)
}

// checkEmail returns why the normalized address s is unacceptable, or "".
func checkEmail(s string) string {
	if !isASCII(s) {
		return "non-ASCII character"
	}
	if len(s) > maxEmailLength {
		return "longer than 254 characters"
	}
	at := strings.IndexByte(s, '@')
	switch {
	case at < 0:
		return "no @"
	case strings.IndexByte(s[at+1:], '@') >= 0:
		return "more than one @"
	}
	local, domain := s[:at], s[at+1:]
	if reason := checkLocal(local); reason != "" {
		return reason
	}
	return checkDomain(domain)
}

func checkLocal(local string) string {
	switch {
	case local == "":
		return "empty local part"
	case len(local) > maxLocalLength:
		return "local part longer than 64 characters"
	case local[0] == '.' || local[len(local)-1] == '.':
		return "local part starts or ends with a dot"
	case strings.Contains(local, ".."):
		return "local part has consecutive dots"
	}
	for i := 0; i < len(local); i++ {
		if !isAtext(local[i]) && local[i] != '.' {
			return "invalid character " + quoteByte(local[i]) + " in local part"
		}
	}
	return ""
}

func checkDomain(domain string) string {
	switch {
	case domain == "":
		return "empty domain"
	case len(domain) > maxDomainLength:
		return "domain longer than 253 characters"
	case domain[0] == '[':
		return "IP address literals are not accepted"
	}
	dot := strings.LastIndexByte(domain, '.')
	if dot < 0 {
		return "domain has no dot"
	}
	rest := domain
	for rest != "" {
		label := rest
		if i := strings.IndexByte(rest, '.'); i >= 0 {
			label, rest = rest[:i], rest[i+1:]
			if rest == "" {
				return "domain ends with a dot"
			}
		} else {
			rest = ""
		}
		if reason := checkLabel(label); reason != "" {
			return reason
		}
	}
	// HubSpot refuses an address whose domain has no real public suffix
	// (example.con, example.test); the Public Suffix List knows them all.
	return emaildomain.Check(domain)
}

func checkLabel(label string) string {
	switch {
	case label == "":
		return "empty domain label"
	case len(label) > maxLabelLength:
		return "domain label longer than 63 characters"
	case label[0] == '-' || label[len(label)-1] == '-':
		return "domain label starts or ends with a hyphen"
	}
	for i := 0; i < len(label); i++ {
		c := label[i]
		if !isLowerAlnum(c) && c != '-' {
			return "invalid character " + quoteByte(c) + " in domain"
		}
	}
	return ""
}

// isAtext reports whether c is an RFC 5322 atext character, restricted to
// lower-case letters because addresses are lower-cased first.
func isAtext(c byte) bool {
	if isLowerAlnum(c) {
		return true
	}
	switch c {
	case '!', '#', '$', '%', '&', '\'', '*', '+', '-', '/', '=', '?', '^', '_', '`', '{', '|', '}', '~':
		return true
	}
	return false
}

func isLowerAlnum(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= '0' && c <= '9'
}

func quoteByte(c byte) string {
	if c < 0x20 || c >= 0x7f {
		return "0x" + string("0123456789abcdef"[c>>4]) + string("0123456789abcdef"[c&15])
	}
	if c == '"' {
		return `'"'`
	}
	return `"` + string(rune(c)) + `"`
}

// replaceIdeographicStops maps U+3002 "。" (NFKC's image of U+FF61 "｡") to
// "." in a domain, as UTS #46 does.
func replaceIdeographicStops(domain string) string {
	if !strings.ContainsRune(domain, '\u3002') {
		return domain
	}
	return strings.ReplaceAll(domain, "\u3002", ".")
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// asciiLower lower-cases ASCII letters, allocating only when there is one
// to change.
func asciiLower(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= 'A' && c <= 'Z' {
			var b strings.Builder
			b.Grow(len(s))
			b.WriteString(s[:i])
			for j := i; j < len(s); j++ {
				c := s[j]
				if c >= 'A' && c <= 'Z' {
					c += 'a' - 'A'
				}
				b.WriteByte(c)
			}
			return b.String()
		}
	}
	return s
}

// isBlankRune reports white space (Unicode White_Space, including U+3000
// IDEOGRAPHIC SPACE) and the invisible zero-width characters that
// copy-and-paste leaves around values (U+200B to U+200D, U+2060, U+FEFF).
func isBlankRune(r rune) bool {
	if r < 0x100 {
		switch r {
		case ' ', '\t', '\n', '\v', '\f', '\r', 0x85, 0xA0:
			return true
		}
		return false
	}
	switch {
	case r >= 0x2000 && r <= 0x200D, r == 0x1680, r == 0x2028, r == 0x2029, r == 0x202F,
		r == 0x205F, r == 0x2060, r == 0x3000, r == 0xFEFF:
		return true
	}
	return false
}

// trimBlank trims [isBlankRune] characters from both ends of s.
func trimBlank(s string) string {
	for s != "" {
		c := s[0]
		if c < utf8.RuneSelf {
			if c > ' ' {
				break
			}
			if !isBlankRune(rune(c)) {
				break
			}
			s = s[1:]
			continue
		}
		r, size := utf8.DecodeRuneInString(s)
		if !isBlankRune(r) {
			break
		}
		s = s[size:]
	}
	for s != "" {
		c := s[len(s)-1]
		if c < utf8.RuneSelf {
			if c > ' ' {
				break
			}
			if !isBlankRune(rune(c)) {
				break
			}
			s = s[:len(s)-1]
			continue
		}
		r, size := utf8.DecodeLastRuneInString(s)
		if !isBlankRune(r) {
			break
		}
		s = s[:len(s)-size]
	}
	return s
}

// NormalizePhone returns the matching form of a phone or fax number. The
// printed form stays what is shown and written to HubSpot; this form is for
// comparing numbers. It applies NFKC (full-width digits and letters become
// ASCII), unifies every hyphen and dash variant (‐ ‑ ‒ – — ― − ー ｰ － ﹣ ˗ ⁃)
// and the separators space, U+3000, "(", ")", "." and "/" into a single "-"
// between groups, and trims separators from both ends; other characters
// (digits, "+", letters such as "ext", "内線") are kept. For example
// "（０３）１２３４ー５６７８" and "03-1234-5678" both give "03-1234-5678". A
// blank or separator-only input gives "". Invalid UTF-8 bytes are dropped.
func NormalizePhone(s string) string {
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "")
	}
	s = norm.NFKC.String(s)
	var b strings.Builder
	b.Grow(len(s))
	pending := false
	for _, r := range s {
		if isPhoneSeparator(r) {
			pending = b.Len() > 0
			continue
		}
		if unicode.IsControl(r) || r == '\u200B' || r == '\u200C' || r == '\u200D' || r == '\u2060' || r == '\uFEFF' {
			continue
		}
		if pending {
			b.WriteByte('-')
			pending = false
		}
		b.WriteRune(r)
	}
	return b.String()
}

func isPhoneSeparator(r rune) bool {
	switch r {
	case '-', '\u2010', '\u2011', '\u2012', '\u2013', '\u2014', '\u2015', '\u2212',
		'\u30FC', '\uFF70', '\uFF0D', '\uFE63', '\uFE58', '\u02D7', '\u2043', '\u2E3A', '\u2E3B',
		'(', ')', '.', '/':
		return true
	}
	return unicode.IsSpace(r)
}

// MaxPropertyLength is HubSpot's documented limit on a string property
// value, in characters. HubSpot does not say how it counts characters, so
// this package counts UTF-16 code units, the stricter reading: a character
// outside the Basic Multilingual Plane, such as most emoji, counts twice.
const MaxPropertyLength = 65536

// TruncationMarker ends every value that was cut to fit a length limit under
// [OverflowTruncate]. The marker is counted in the limit.
const TruncationMarker = "…[truncated]"

// textIssues are the repairs [cleanText] made, as bits.
type textIssues uint8

const (
	issueInvalidUTF8 textIssues = 1 << iota
	issueControl
	issueTruncated
	issueTooLong // over the limit and rejected (OverflowReject)
)

// cleanText prepares a display value for writing: it replaces invalid UTF-8
// with U+FFFD, removes control characters (Unicode category Cc) other than
// tab, line feed and carriage return, trims [isBlankRune] characters from
// both ends (inner spaces, including U+3000, are kept as printed), and applies
// the length limit maxLen (UTF-16 code units) per overflow. It does not
// allocate when s needs no repair.
func cleanText(s string, maxLen int, overflow Overflow) (string, textIssues) {
	var issues textIssues
	if needsRepair(s) {
		s, issues = repairText(s)
	}
	s = trimBlank(s)
	if len(s) > maxLen && utf16Len(s) > maxLen {
		if overflow == OverflowReject {
			return "", issues | issueTooLong
		}
		s = truncateUTF16(s, maxLen)
		issues |= issueTruncated
	}
	return s, issues
}

// needsRepair reports whether s has invalid UTF-8 or a control character
// that [repairText] would remove: C0 controls other than tab, line feed and
// carriage return, DEL, and C1 controls (U+0080 to U+009F, encoded as 0xC2
// followed by 0x80 to 0x9F). It tests eight bytes at a time for the bytes
// that can start such a character and checks candidates exactly; validity
// is left to [utf8.ValidString].
func needsRepair(s string) bool {
	const (
		ones  = 0x0101010101010101
		highs = 0x8080808080808080
	)
	nonASCII := false
	i := 0
	for ; i+8 <= len(s); i += 8 {
		w := s[i : i+8]
		x := uint64(w[0]) | uint64(w[1])<<8 | uint64(w[2])<<16 | uint64(w[3])<<24 |
			uint64(w[4])<<32 | uint64(w[5])<<40 | uint64(w[6])<<48 | uint64(w[7])<<56
		if x&highs != 0 {
			nonASCII = true
		}
		del, c2 := x^(0x7f*ones), x^(0xc2*ones)
		if (x-0x20*ones)&^x&highs != 0 || (del-ones)&^del&highs != 0 || (c2-ones)&^c2&highs != 0 {
			for j := i; j < i+8; j++ {
				if badByteAt(s, j) {
					return true
				}
			}
		}
	}
	for ; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			nonASCII = true
		}
		if badByteAt(s, i) {
			return true
		}
	}
	return nonASCII && !utf8.ValidString(s)
}

// badByteAt reports whether a control character that [repairText] removes
// starts at s[i].
func badByteAt(s string, i int) bool {
	switch c := s[i]; {
	case c < 0x20:
		return c != '\t' && c != '\n' && c != '\r'
	case c == 0x7f:
		return true
	case c == 0xc2:
		return i+1 < len(s) && s[i+1] >= 0x80 && s[i+1] <= 0x9f
	}
	return false
}

func repairText(s string) (string, textIssues) {
	var issues textIssues
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			issues |= issueInvalidUTF8
			b.WriteRune(utf8.RuneError)
		case unicode.IsControl(r) && r != '\t' && r != '\n' && r != '\r':
			issues |= issueControl
		default:
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String(), issues
}

// utf16Len returns the length of the valid UTF-8 string s in UTF-16 code
// units: one per character, two for characters outside the Basic
// Multilingual Plane (those with a 4-byte UTF-8 encoding). It counts bytes
// rather than decoding runes.
func utf16Len(s string) int {
	n := 0
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c < 0x80 || c >= 0xC0 && c < 0xF0:
			n++ // ASCII, or the lead byte of a 2- or 3-byte character
		case c >= 0xF0:
			n += 2
		}
	}
	return n
}

// truncateUTF16 cuts s on a character boundary so that, with
// [TruncationMarker] appended, it is at most maxLen UTF-16 code units.
func truncateUTF16(s string, maxLen int) string {
	room := maxLen - utf16Len(TruncationMarker)
	if room <= 0 {
		return truncatePlain(TruncationMarker, maxLen)
	}
	return truncatePlain(s, room) + TruncationMarker
}

// truncatePlain cuts the valid UTF-8 string s on a character boundary to
// at most maxLen UTF-16 code units, without a marker.
func truncatePlain(s string, maxLen int) string {
	n := 0
	for i := 0; i < len(s); i++ {
		w := 0
		switch c := s[i]; {
		case c < 0x80 || c >= 0xC0 && c < 0xF0:
			w = 1
		case c >= 0xF0:
			w = 2
		}
		if w > 0 {
			if n+w > maxLen {
				return s[:i]
			}
			n += w
		}
	}
	return s
}
