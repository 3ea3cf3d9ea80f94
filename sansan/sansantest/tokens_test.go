package sansantest_test

import (
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/cardbridge/sansanhubspot/sansan"
	"github.com/cardbridge/sansanhubspot/sansan/sansantest"
)

// TestPageTokensExpire checks WithPageTokenTTL through the client: a token
// stored past its lifetime is refused with ErrPageTokenExpired, and the
// listing restarted from the window's start (the caller's checkpoint)
// still returns every card.
func TestPageTokensExpire(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	now := time.Date(2026, 4, 1, 9, 0, 0, 0, sansan.JST)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	srv := sansantest.NewTestServer(t, sansantest.WithClock(clock), sansantest.WithPageTokenTTL(time.Minute))
	srv.Fake.Seed(sansantest.GenerateOptions{Seed: 3, Cards: 25})
	admin := sansantest.DefaultUsers()[0]
	c := newClient(t, srv, admin.APIKey)
	opts := &sansan.ListBizCardsOptions{
		UpdatedFrom: time.Date(2000, 1, 1, 0, 0, 0, 0, sansan.JST), UpdatedTo: now.Add(time.Hour),
		CardListOptions: sansan.CardListOptions{Range: sansan.RangeAll, IncludePastBizCards: true, ListOptions: sansan.ListOptions{Limit: 10}},
	}
	count := func() int {
		n := 0
		for _, err := range c.BizCards.ListIter(t.Context(), opts) {
			if err != nil {
				t.Fatal(err)
			}
			n++
		}
		return n
	}
	want := count()
	if want <= 10 {
		t.Fatalf("only %d cards: the test needs more than one page", want)
	}
	_, resp, err := c.BizCards.List(t.Context(), opts)
	if err != nil || resp.NextPageToken == "" {
		t.Fatalf("first page: %v, token %q", err, resp.NextPageToken)
	}
	stored := *opts
	stored.NextPageToken = resp.NextPageToken

	mu.Lock()
	now = now.Add(2 * time.Minute)
	mu.Unlock()
	_, _, err = c.BizCards.List(t.Context(), &stored)
	if !errors.Is(err, sansan.ErrPageTokenExpired) {
		t.Fatalf("resume with an expired token = %v, want ErrPageTokenExpired", err)
	}
	if n := count(); n != want {
		t.Errorf("restarted listing returned %d cards, want %d", n, want)
	}
}
