package hubspot_test

import (
	"encoding/json"
	"testing"

	"github.com/cardbridge/sansanhubspot/hubspot"
	"github.com/google/go-cmp/cmp"
)

func TestPropertyValuesMarshalJSON(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   hubspot.PropertyValues
	}{
		{"nil", nil},
		{"empty", hubspot.PropertyValues{}},
		{"plain and cleared", hubspot.PropertyValues{"jobtitle": "部長", "email": "a@example.co.jp", "phone": ""}},
		{"escapes", hubspot.PropertyValues{"memo": "\"quoted\" \\ <b>&amp;</b>\n\t\r\b\f\x01\x1f \u2028\u2029 🎴"}},
		{"invalid utf-8", hubspot.PropertyValues{"k\xff": "a\xffb\xc3"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			want, err := json.Marshal(map[string]string(tc.in))
			if err != nil {
				t.Fatal(err)
			}
			got, err := json.Marshal(tc.in)
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(string(want), string(got)); d != "" {
				t.Errorf("MarshalJSON differs from encoding/json (-want +got):\n%s", d)
			}
		})
	}
}

// FuzzPropertyValuesMarshalJSON checks the reflection-free encoder against
// encoding/json byte for byte.
func FuzzPropertyValuesMarshalJSON(f *testing.F) {
	f.Add("email", "a@example.co.jp", "memo", "<&>\"\\\n\u2028\xff")
	f.Add("", "", "k", "日本語")
	f.Fuzz(func(t *testing.T, k1, v1, k2, v2 string) {
		in := hubspot.PropertyValues{k1: v1, k2: v2}
		want, err := json.Marshal(map[string]string(in))
		if err != nil {
			t.Fatal(err)
		}
		got, err := in.MarshalJSON()
		if err != nil {
			t.Fatal(err)
		}
		if string(want) != string(got) {
			t.Errorf("encoder differs:\nencoding/json %s\nMarshalJSON   %s", want, got)
		}
	})
}
