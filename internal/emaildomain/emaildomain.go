// Package emaildomain says whether an e-mail domain ends in a real public
// suffix, the check HubSpot applies to contact e-mail addresses: the ICANN
// section of the Public Suffix List, as embedded in
// golang.org/x/net/publicsuffix, with at least one label before the suffix.
// It is pure (no I/O), so mapping and the fakes share it.
package emaildomain

import (
	"strings"

	"golang.org/x/net/publicsuffix"
)

// Check returns why domain (lower-case ASCII, labels already checked) has
// no registrable name under an ICANN public suffix, or "" when it has one.
// "example.co.jp" passes; "example.con", "example.test", "co.jp" and
// "localhost" do not.
func Check(domain string) string {
	domain = strings.TrimSuffix(domain, ".")
	suffix, icann := publicsuffix.PublicSuffix(domain)
	if !icann {
		// A private suffix (blogspot.com) sits under an ICANN one: judge
		// the top-level domain alone.
		tld := domain[strings.LastIndexByte(domain, '.')+1:]
		if _, tldICANN := publicsuffix.PublicSuffix(tld); !tldICANN || !strings.Contains(domain, ".") {
			return `unknown top-level domain "` + tld + `"`
		}
		return ""
	}
	if suffix == domain {
		return `domain "` + domain + `" is a public suffix`
	}
	return ""
}
