package jsonstr_test

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/cardbridge/sansanhubspot/internal/jsonstr"
)

// encode is what encoding/json writes for s.
func encode(t testing.TB, s string, escapeHTML bool) []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(escapeHTML)
	if err := enc.Encode(s); err != nil {
		t.Fatal(err)
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
}

func TestAppend(t *testing.T) {
	t.Parallel()
	for _, s := range []string{"", "plain", `quo"te \ back`, "\b\f\n\r\t\x00\x1f", "<a href='x'>&amp;</a>",
		"山田 太郎", "bad \xff utf-8", "line\u2028sep\u2029", "emoji 🙂"} {
		for _, html := range []bool{true, false} {
			if got, want := jsonstr.Append(nil, s, html), encode(t, s, html); !bytes.Equal(got, want) {
				t.Errorf("Append(%q, escapeHTML=%v) = %s, want %s", s, html, got, want)
			}
		}
	}
}

func FuzzAppend(f *testing.F) {
	for _, s := range []string{"", "a<b>&c", "\xff\xfe", "\u2028", "\"\\\x01"} {
		f.Add(s, true)
	}
	f.Fuzz(func(t *testing.T, s string, html bool) {
		if got, want := jsonstr.Append(nil, s, html), encode(t, s, html); !bytes.Equal(got, want) {
			t.Errorf("Append(%q, %v) = %s, want %s", s, html, got, want)
		}
	})
}
