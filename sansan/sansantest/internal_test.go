package sansantest

import (
	"encoding/json"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestTokenRoundTrip(t *testing.T) {
	t.Parallel()
	tests := []struct {
		snap, hash string
		offset     int
	}{
		{"1abc", "0123456789abcdef", 0},
		{"zz9", "ffffffffffffffff", 300},
		{"k", "00", 99_999},
	}
	for _, tt := range tests {
		tok := encodeToken(tt.snap, tt.offset, tt.hash)
		snap, off, hash, ok := decodeToken(tok)
		if !ok || snap != tt.snap || off != tt.offset || hash != tt.hash {
			t.Errorf("decodeToken(encodeToken(%v)) = %q %d %q %v", tt, snap, off, hash, ok)
		}
		if strings.ContainsAny(tok, "+/=") {
			t.Errorf("token %q is not URL-safe", tok)
		}
	}
}

func FuzzDecodeToken(f *testing.F) {
	f.Add(encodeToken("1abc", 300, "0123456789abcdef"))
	f.Add("")
	f.Add("czE6eHl6OjA6YWJj")
	f.Add("czE6eHl6Oi0xOmFiYw") // negative offset
	f.Fuzz(func(t *testing.T, tok string) {
		snap, off, hash, ok := decodeToken(tok)
		if !ok {
			return
		}
		if off < 0 {
			t.Fatalf("negative offset %d accepted", off)
		}
		if again := encodeToken(snap, off, hash); again != tok {
			// Re-encoding must be stable when the parts hold no separator.
			if !strings.Contains(snap+hash, ":") {
				s2, o2, h2, ok2 := decodeToken(again)
				if !ok2 || s2 != snap || o2 != off || h2 != hash {
					t.Fatalf("unstable round trip for %q", tok)
				}
			}
		}
	})
}

func FuzzParseQueryTime(f *testing.F) {
	for _, s := range []string{"2024-01-01T00:00:00+09:00", "2024-01-01T00:00:00 09:00", "2024-01-01T00:00:00Z", "2024-01-01", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		tm, err := parseQueryTime(url.Values{"updatedFrom": {s}}, "updatedFrom")
		if err != nil {
			return
		}
		if strings.Contains(s, " ") {
			t.Fatalf("accepted %q containing a space (a decoded raw '+')", s)
		}
		if tm.IsZero() && !strings.HasPrefix(s, "0001-01-01") {
			t.Fatalf("parsed %q to the zero time", s)
		}
	})
}

func TestHeadRank(t *testing.T) {
	t.Parallel()
	day := time.Date(2024, 1, 1, 0, 0, 0, 0, JST)
	d := func(s string) *string { return &s }
	tests := []struct {
		name string
		a, b Card
		want bool // a ranks below b
	}{
		{"older exchange date", Card{ExchangeDate: d("2020-01-01")}, Card{ExchangeDate: d("2021-01-01")}, true},
		{"null date ranks lowest", Card{RegisteredTime: day.Add(time.Hour)}, Card{ExchangeDate: d("2000-01-01")}, true},
		{"tie on date: registeredTime", Card{ExchangeDate: d("2020-01-01"), RegisteredTime: day.Add(time.Hour)}, Card{ExchangeDate: d("2020-01-01"), RegisteredTime: day}, false},
		{"full tie: id", Card{ID: "A", RegisteredTime: day}, Card{ID: "B", RegisteredTime: day}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := headRankLess(&tt.a, &tt.b); got != tt.want {
				t.Errorf("headRankLess = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestFormatTimeAlwaysJST(t *testing.T) {
	t.Parallel()
	tm := time.Date(2024, 12, 31, 20, 0, 0, 0, time.UTC)
	if got, want := formatTime(tm), "2025-01-01T05:00:00+09:00"; got != want {
		t.Errorf("formatTime = %q, want %q", got, want)
	}
}

func TestAppendCardMatchesEncodingJSON(t *testing.T) {
	t.Parallel()
	f := New()
	cards := f.Seed(GenerateOptions{Seed: 21, Cards: 400})
	odd := f.AddCard(Card{
		OwnerID: "nobody", LastName: Ptr("a\"b\\c\n\r\t\x01\x1f<>&"), FirstName: Ptr("\u2028\u2029 \xff\xfe end"),
		Memo: Ptr(""), TagIDs: []string{f.Tags()[0].ID},
	})
	cards = append(cards, odd)
	users := DefaultUsers()
	for i, c := range cards {
		u := &users[i%len(users)]
		for _, includeTags := range []bool{false, true} {
			f.mu.RLock()
			stored := f.cards[c.ID]
			got := f.appendCard(nil, u, stored, includeTags)
			want, err := json.Marshal(f.toWire(u, stored, includeTags))
			f.mu.RUnlock()
			if err != nil {
				t.Fatal(err)
			}
			var g, w any
			if err := json.Unmarshal(got, &g); err != nil {
				t.Fatalf("appendCard produced invalid JSON %s: %v", got, err)
			}
			if err := json.Unmarshal(want, &w); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(w, g); diff != "" {
				t.Fatalf("card %s includeTags=%v (-encoding/json +appendCard):\n%s", c.ID, includeTags, diff)
			}
		}
	}
}
