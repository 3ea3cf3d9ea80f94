package apiclient_test

import (
	"errors"
	"net/url"
	"strings"
	"testing"

	"github.com/cardbridge/sansanhubspot/internal/apiclient"
)

func TestPath(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		format  string
		parts   []string
		want    string
		wantErr error
	}{
		{name: "plain", format: "bizCards/%s/tags", parts: []string{"abc123"}, want: "bizCards/abc123/tags"},
		{name: "slash", format: "bizCards/%s/tags", parts: []string{"a/b"}, want: "bizCards/a%2Fb/tags"},
		{name: "traversal inside one part", format: "bizCards/%s", parts: []string{"../admin"}, want: "bizCards/..%2Fadmin"},
		{name: "question mark", format: "bizCards/%s", parts: []string{"a?limit=1"}, want: "bizCards/a%3Flimit=1"},
		{name: "hash", format: "bizCards/%s", parts: []string{"a#frag"}, want: "bizCards/a%23frag"},
		{name: "percent", format: "bizCards/%s", parts: []string{"100%"}, want: "bizCards/100%25"},
		{name: "already escaped stays literal", format: "bizCards/%s", parts: []string{"a%2Fb"}, want: "bizCards/a%252Fb"},
		{name: "at sign is legal in a segment", format: "contacts/%s", parts: []string{"taro@example.co.jp"}, want: "contacts/taro@example.co.jp"},
		{name: "plus is legal in a segment", format: "contacts/%s", parts: []string{"a+b"}, want: "contacts/a+b"},
		{name: "space", format: "tags/%s", parts: []string{"VIP customer"}, want: "tags/VIP%20customer"},
		{name: "japanese", format: "tags/%s", parts: []string{"名刺"}, want: "tags/%E5%90%8D%E5%88%BA"},
		{name: "colon", format: "%s", parts: []string{"a:b"}, want: "a:b"},
		{name: "three dots are a name", format: "tags/%s", parts: []string{"..."}, want: "tags/..."},
		{name: "two parts", format: "objects/%s/%s", parts: []string{"contacts", "15 01"}, want: "objects/contacts/15%2001"},
		{name: "no parts", format: "contacts", want: "contacts"},
		{name: "empty", format: "bizCards/%s", parts: []string{""}, wantErr: apiclient.ErrInvalidPath},
		{name: "dot", format: "bizCards/%s", parts: []string{"."}, wantErr: apiclient.ErrInvalidPath},
		{name: "dot dot", format: "bizCards/%s", parts: []string{".."}, wantErr: apiclient.ErrInvalidPath},
		{name: "second part invalid", format: "objects/%s/%s", parts: []string{"contacts", ".."}, wantErr: apiclient.ErrInvalidPath},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := apiclient.Path(tt.format, tt.parts...)
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("Path(%q, %q) error = %v, want %v", tt.format, tt.parts, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("Path(%q, %q): %v", tt.format, tt.parts, err)
			}
			if got != tt.want {
				t.Errorf("Path(%q, %q) = %q, want %q", tt.format, tt.parts, got, tt.want)
			}
		})
	}
}

// TestPathRoundTrip checks that an escaped part stays one path segment under
// the base path once the client resolves it, and decodes back to the input.
func TestPathRoundTrip(t *testing.T) {
	t.Parallel()
	ids := []string{"a/b", "a?b=c", "a#b", "100%", "a@b", "a+b", "a b", "名刺/東京", "..%2F..", "a:b", "%2e%2e", "./x", "x/.."}
	for _, id := range ids {
		t.Run(id, func(t *testing.T) {
			t.Parallel()
			c, _ := newMockClient(t, apiclient.Config{})
			p, err := apiclient.Path("bizCards/%s", id)
			if err != nil {
				t.Fatalf("Path: %v", err)
			}
			req, err := c.NewRequest(t.Context(), apiclient.Call{Method: "GET", Path: p})
			if err != nil {
				t.Fatalf("NewRequest(%q): %v", p, err)
			}
			if req.URL.Host != "api.example.test" || req.URL.RawQuery != "" || req.URL.Fragment != "" {
				t.Errorf("URL %q escaped its endpoint", req.URL)
			}
			esc := req.URL.EscapedPath()
			last, ok := strings.CutPrefix(esc, "/v1/bizCards/")
			if !ok || strings.Contains(last, "/") {
				t.Fatalf("escaped path %q is not one segment under /v1/bizCards/", esc)
			}
			got, err := url.PathUnescape(last)
			if err != nil || got != id {
				t.Errorf("segment %q decodes to %q, %v; want %q", last, got, err, id)
			}
		})
	}
}

func TestParseBaseURL(t *testing.T) {
	t.Parallel()
	const secret = "s3cr3t-canary"
	tests := []struct {
		name    string
		raw     string
		want    string
		wantErr error // checked with errors.Is when set
	}{
		{name: "root without slash", raw: "https://api.hubapi.com", want: "https://api.hubapi.com/"},
		{name: "root with slash", raw: "https://api.hubapi.com/", want: "https://api.hubapi.com/"},
		{name: "path prefix gets slash", raw: "https://api.sansan.com/v3.2", want: "https://api.sansan.com/v3.2/"},
		{name: "path prefix kept", raw: "https://gw.example.com/sansan/v3.2/", want: "https://gw.example.com/sansan/v3.2/"},
		{name: "loopback http with port", raw: "http://127.0.0.1:8080/api", want: "http://127.0.0.1:8080/api/"},
		{name: "ipv6", raw: "http://[::1]:9/", want: "http://[::1]:9/"},
		{name: "ftp scheme", raw: "ftp://api.example.com/"},
		{name: "no scheme", raw: "api.example.com/v1"},
		{name: "relative path", raw: "/v1/"},
		{name: "empty", raw: ""},
		{name: "opaque", raw: "https:api.example.com"},
		{name: "no host", raw: "https:///v1/"},
		{name: "port without host", raw: "https://:443/v1/"},
		{name: "user info", raw: "https://user:" + secret + "@api.example.com/"},
		{name: "bare user token", raw: "https://" + secret + "@api.example.com/"},
		{name: "query", raw: "https://api.example.com/v1?hapikey=" + secret},
		{name: "empty query", raw: "https://api.example.com/v1/?"},
		{name: "fragment", raw: "https://api.example.com/v1#" + secret},
		{name: "dot dot", raw: "https://api.example.com/v1/../admin/", wantErr: apiclient.ErrInvalidPath},
		{name: "escaped dot dot", raw: "https://api.example.com/v1/%2e%2e/admin/", wantErr: apiclient.ErrInvalidPath},
		{name: "trailing dot dot", raw: "https://api.example.com/v1/..", wantErr: apiclient.ErrInvalidPath},
		{name: "bad escape with password", raw: "https://user:" + secret + "@api.example.com/%zz"},
		{name: "control character", raw: "https://api.example.com/\x7f" + secret + "\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := apiclient.ParseBaseURL(tt.raw)
			if tt.want == "" {
				if err == nil {
					t.Fatalf("ParseBaseURL(%q) = %q, want error", tt.raw, got)
				}
				if tt.wantErr != nil && !errors.Is(err, tt.wantErr) {
					t.Errorf("ParseBaseURL(%q) error = %v, want %v", tt.raw, err, tt.wantErr)
				}
				if strings.Contains(err.Error(), secret) {
					t.Errorf("ParseBaseURL(%q) error leaks the secret: %v", tt.raw, err)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseBaseURL(%q): %v", tt.raw, err)
			}
			if got.String() != tt.want {
				t.Errorf("ParseBaseURL(%q) = %q, want %q", tt.raw, got, tt.want)
			}
		})
	}
}

// TestParseBaseURLResolves checks that a relative path lands under a
// non-root prefix, which needs the appended trailing slash.
func TestParseBaseURLResolves(t *testing.T) {
	t.Parallel()
	tests := []struct {
		raw, path, want string
	}{
		{raw: "https://api.sansan.com/v3.2", path: "bizCards", want: "https://api.sansan.com/v3.2/bizCards"},
		{raw: "https://gw.example.com/a/b/", path: "crm/v3/objects/contacts", want: "https://gw.example.com/a/b/crm/v3/objects/contacts"},
		{raw: "https://api.hubapi.com", path: "crm/v3/objects/contacts", want: "https://api.hubapi.com/crm/v3/objects/contacts"},
	}
	for _, tt := range tests {
		t.Run(tt.raw, func(t *testing.T) {
			t.Parallel()
			c, _ := newMockClient(t, apiclient.Config{BaseURL: mustBase(t, tt.raw)})
			req, err := c.NewRequest(t.Context(), apiclient.Call{Method: "GET", Path: tt.path})
			if err != nil {
				t.Fatalf("NewRequest: %v", err)
			}
			if got := req.URL.String(); got != tt.want {
				t.Errorf("URL = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestIsLoopback(t *testing.T) {
	t.Parallel()
	tests := []struct {
		raw  string
		want bool
	}{
		{raw: "http://127.0.0.1:8080/", want: true},
		{raw: "http://127.1.2.3/", want: true},
		{raw: "http://localhost/", want: true},
		{raw: "http://LocalHost:9000/", want: true},
		{raw: "http://[::1]:8080/", want: true},
		{raw: "http://[::ffff:127.0.0.1]/", want: true},
		{raw: "https://api.hubapi.com/", want: false},
		{raw: "http://127.example.com/", want: false},
		{raw: "http://127.0.0.1.nip.io/", want: false},
		{raw: "http://localhost.example.com/", want: false},
		{raw: "http://10.0.0.1/", want: false},
		{raw: "http://[::2]/", want: false},
		{raw: "http://0.0.0.0/", want: false},
	}
	for _, tt := range tests {
		t.Run(tt.raw, func(t *testing.T) {
			t.Parallel()
			u, err := url.Parse(tt.raw)
			if err != nil {
				t.Fatal(err)
			}
			if got := apiclient.IsLoopback(u); got != tt.want {
				t.Errorf("IsLoopback(%q) = %v, want %v", tt.raw, got, tt.want)
			}
		})
	}
}
