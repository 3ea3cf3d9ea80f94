package emaildomain_test

import (
	"testing"

	"github.com/cardbridge/sansanhubspot/internal/emaildomain"
)

func TestCheck(t *testing.T) {
	t.Parallel()
	tests := []struct {
		domain string
		ok     bool
	}{
		{"example.com", true},
		{"example.co.jp", true},
		{"mail.example.co.jp", true},
		{"xn--wgv71a119e.jp", true},
		{"foo.blogspot.com", true},
		{"example.jp", true},
		{"example.con", false},
		{"example.lcom", false},
		{"example.test", false},
		{"example.invalid", false},
		{"co.jp", false},
		{"com", false},
		{"localhost", false},
		{"example.local", false},
	}
	for _, tt := range tests {
		if got := emaildomain.Check(tt.domain); (got == "") != tt.ok {
			t.Errorf("Check(%q) = %q, want ok %v", tt.domain, got, tt.ok)
		}
	}
}

func FuzzCheck(f *testing.F) {
	for _, s := range []string{"example.com", "co.jp", "", ".", "a..b", "x.y.z.blogspot.com"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		_ = emaildomain.Check(s) // must not panic
	})
}
