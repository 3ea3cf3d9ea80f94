package sansantest_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/cardbridge/sansanhubspot/sansan"
	"github.com/cardbridge/sansanhubspot/sansan/sansantest"
	"github.com/google/go-cmp/cmp"
)

// TestRawCardFaults: a card served wrong-typed or replaced shows so in every
// response that renders it, reaches the real client as an undecodable card
// among good ones, and is served as itself again after ClearRaw.
func TestRawCardFaults(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		set  func(f *sansantest.Fake, id string) error
		// want is the memo (or whole card) as served, raw.
		wantMemo, wantCard string
		wantBadID          string
	}{
		{name: "object as memo", set: func(f *sansantest.Fake, id string) error { return f.SetRawField(id, "memo", `{"a":{"b":[1]}}`) },
			wantMemo: `{"a":{"b":[1]}}`, wantBadID: "self"},
		{name: "number as personId", set: func(f *sansantest.Fake, id string) error { return f.SetRawField(id, "personId", `42`) },
			wantMemo: `"m"`, wantBadID: "self"},
		{name: "whole card", set: func(f *sansantest.Fake, id string) error { return f.SetRawCard(id, `"not a card"`) },
			wantCard: `"not a card"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			at := time.Date(2024, 4, 1, 9, 0, 0, 0, jst)
			good := e.fake.AddCard(card("alice", "良", "一", at))
			c := card("alice", "悪", "二", at.Add(time.Second))
			c.Memo = s("m")
			bad := e.fake.AddCard(c)
			if err := tt.set(e.fake, bad.ID); err != nil {
				t.Fatal(err)
			}
			// The listing and the single reads serve it raw.
			page := decode[struct{ Data []json.RawMessage }](t, e.get(t, aliceKey, "bizCards", wideWindow("orderDirection", "asc")))
			if len(page.Data) != 2 {
				t.Fatalf("%d cards listed, want 2", len(page.Data))
			}
			item := decode[struct{ Item json.RawMessage }](t, e.get(t, aliceKey, "bizCards/"+bad.ID, ""))
			person := decode[struct {
				Item struct{ HeadBizCard json.RawMessage }
			}](t, e.get(t, aliceKey, "persons/"+bad.PersonID, ""))
			for where, raw := range map[string]json.RawMessage{"list": page.Data[1], "get": item.Item, "person": person.Item.HeadBizCard} {
				if tt.wantCard != "" {
					if string(raw) != tt.wantCard {
						t.Errorf("%s: card served as %s, want %s", where, raw, tt.wantCard)
					}
					continue
				}
				var m map[string]json.RawMessage
				if err := json.Unmarshal(raw, &m); err != nil {
					t.Fatalf("%s: %v", where, err)
				}
				if string(m["memo"]) != tt.wantMemo || string(m["lastName"]) != `"悪"` {
					t.Errorf("%s: memo %s lastName %s, want %s and the card's own name", where, m["memo"], m["lastName"], tt.wantMemo)
				}
			}
			// The real client gets the good card and reports the bad one.
			cl := newClient(t, e.srv, aliceKey)
			opts := &sansan.ListBizCardsOptions{UpdatedFrom: at.Add(-time.Hour), UpdatedTo: at.Add(time.Hour),
				CardListOptions: sansan.CardListOptions{OrderDirection: sansan.OrderAsc}}
			cards, resp, err := cl.BizCards.List(t.Context(), opts)
			if err != nil {
				t.Fatal(err)
			}
			wantBad := []string{""}
			if tt.wantBadID == "self" {
				wantBad = []string{bad.ID}
			}
			gotBad := []string{}
			for _, b := range resp.Undecodable {
				gotBad = append(gotBad, b.ID)
			}
			if len(cards) != 1 || cards[0].ID != good.ID {
				t.Errorf("cards = %v, want only the good one", cards)
			}
			if diff := cmp.Diff(wantBad, gotBad); diff != "" {
				t.Errorf("undecodable ids (-want +got):\n%s", diff)
			}
			if _, _, err := cl.BizCards.Get(t.Context(), bad.ID); !errors.Is(err, sansan.ErrUndecodableCard) {
				t.Errorf("Get of the bad card: %v, want ErrUndecodableCard", err)
			}
			// Fixed: served as itself, same update time.
			e.fake.ClearRaw(bad.ID)
			cards, resp, err = cl.BizCards.List(t.Context(), opts)
			if err != nil || len(cards) != 2 || len(resp.Undecodable) != 0 {
				t.Fatalf("after ClearRaw: %d cards, %d undecodable, %v", len(cards), len(resp.Undecodable), err)
			}
			if !cards[1].UpdatedTime.Equal(bad.UpdatedTime) {
				t.Errorf("ClearRaw changed the update time: %v, was %v", cards[1].UpdatedTime, bad.UpdatedTime)
			}
		})
	}
	t.Run("unknown card", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		if err := e.fake.SetRawField("NOPE", "memo", "1"); !errors.Is(err, sansantest.ErrNotFound) {
			t.Errorf("SetRawField: %v, want ErrNotFound", err)
		}
		if err := e.fake.SetRawCard("NOPE", "1"); !errors.Is(err, sansantest.ErrNotFound) {
			t.Errorf("SetRawCard: %v, want ErrNotFound", err)
		}
	})
}

// TestServeEndlessPages: listings and searches never end, each page with a
// fresh token of the asked size; other endpoints answer as usual; 0 ends
// the fault.
func TestServeEndlessPages(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.fake.AddCard(card("alice", "山", "田", time.Date(2024, 4, 1, 9, 0, 0, 0, jst)))
	e.fake.ServeEndlessPages(1000)
	seen := map[string]bool{}
	query := wideWindow()
	for _, path := range []string{"bizCards", "bizCards", "bizCards/search", "bizCards"} {
		p := decode[listPage](t, e.get(t, aliceKey, path, query))
		if !p.HasMore || p.NextPageToken == nil || len(*p.NextPageToken) != 1000 || len(p.Data) != 0 {
			t.Fatalf("%s: hasMore %t, %d cards, token %v", path, p.HasMore, len(p.Data), p.NextPageToken)
		}
		if seen[*p.NextPageToken] {
			t.Fatalf("token served twice")
		}
		seen[*p.NextPageToken] = true
		query = wideWindow("nextPageToken", *p.NextPageToken)
	}
	if got := e.fake.EndlessPagesServed(); got != 4 {
		t.Errorf("EndlessPagesServed = %d, want 4", got)
	}
	mustStatus(t, e.get(t, aliceKey, "me", ""), 200)
	e.fake.ServeEndlessPages(0)
	p := decode[listPage](t, e.get(t, aliceKey, "bizCards", wideWindow()))
	if p.HasMore || len(p.Data) != 1 || strings.HasPrefix(deref(p.NextPageToken), "endless") {
		t.Errorf("after ServeEndlessPages(0): hasMore %t, %d cards", p.HasMore, len(p.Data))
	}
}

func deref(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}
