package syncer_test

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cardbridge/sansanhubspot/mapping"
	"github.com/cardbridge/sansanhubspot/sansan"
	"github.com/cardbridge/sansanhubspot/sansan/sansantest"
	"github.com/cardbridge/sansanhubspot/syncer"
	"golang.org/x/time/rate"
)

// poisonCard picks a card in the middle of the listing order (update time
// ascending), or on its last page of 10 with last, that wins an email no
// other card has, so the contacts without it are exactly the others.
func poisonCard(t *testing.T, e *env, want map[string]*sansan.BizCard, last ...bool) sansantest.Card {
	t.Helper()
	count := map[string]int{}
	cards := e.ss.Fake.Cards()
	for _, c := range cards {
		count[mapping.NormalizeEmail(deref(c.Email)).Normalized]++
	}
	slices.SortFunc(cards, func(a, b sansantest.Card) int { return a.UpdatedTime.Compare(b.UpdatedTime) })
	from := len(cards) / 2
	if len(last) > 0 && last[0] {
		// The cards of the listing's last page of 10, as the engine lists.
		opts := &sansan.ListBizCardsOptions{UpdatedFrom: time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC), UpdatedTo: time.Now().Add(time.Hour),
			CardListOptions: sansan.CardListOptions{Range: sansan.RangeAll, EntryStatus: []sansan.EntryStatus{sansan.EntryStatusCompleted},
				OrderBy: sansan.OrderByUpdatedAt, OrderDirection: sansan.OrderAsc, ListOptions: sansan.ListOptions{Limit: 10}}}
		var page []*sansan.BizCard
		for {
			cs, resp, err := e.sansanClient(e.admin()).BizCards.List(t.Context(), opts)
			if err != nil {
				t.Fatal(err)
			}
			if page = cs; !resp.HasMore {
				break
			}
			opts.NextPageToken = resp.NextPageToken
		}
		from = slices.IndexFunc(cards, func(c sansantest.Card) bool { return c.ID == page[0].ID })
	}
	for _, c := range cards[from:] {
		em := mapping.NormalizeEmail(deref(c.Email)).Normalized
		if w, ok := want[em]; ok && w.ID == c.ID && count[em] == 1 {
			return c
		}
	}
	t.Fatal("no card fit to poison")
	return sansantest.Card{}
}

// catchUp moves the engine's clock past t (a card's update time on the
// fake's real clock), so the next window lists the card.
func catchUp(clock *testClock, t time.Time) {
	if d := t.Sub(clock.Now()) + 2*time.Second; d > 0 {
		clock.Advance(d)
	}
}

func without(want map[string]*sansan.BizCard, id string) map[string]*sansan.BizCard {
	out := map[string]*sansan.BizCard{}
	for em, c := range want {
		if c.ID != id {
			out[em] = c
		}
	}
	return out
}

// TestPoisonCard: a card Sansan serves in a form the client cannot decode
// (wrong types, nesting deeper than Go's decoder allows, not a card, alone
// larger than the response size cap) no longer stops its account: the
// pass completes, the cards listed after it are synced, it is quarantined
// (a failing link of category undecodable, in Report.Failed,
// FailedByCategory and Failures), it stays quarantined on retry while still
// broken, and once fixed in Sansan it syncs.
func TestPoisonCard(t *testing.T) {
	t.Parallel()
	const sizeCap = 32 << 10
	tests := []struct {
		name string
		// poison breaks the card on the fake.
		poison func(f *sansantest.Fake, c sansantest.Card) error
		// key is the link the card is quarantined under ("" for none).
		key func(c sansantest.Card) string
		// cardID is the card id the failure names.
		cardID func(c sansantest.Card) string
		// relist: the fix must change the card for it to come back (no id
		// to retry it by).
		relist bool
		// last poisons a card of the listing's last page.
		last bool
	}{
		{name: "object as memo",
			poison: func(f *sansantest.Fake, c sansantest.Card) error {
				return f.SetRawField(c.ID, "memo", `{"note":{"nested":[1,{"deeper":"x"}]}}`)
			}},
		{name: "number as name",
			poison: func(f *sansantest.Fake, c sansantest.Card) error { return f.SetRawField(c.ID, "lastName", "42") }},
		{name: "nested deeper than the decoder allows",
			poison: func(f *sansantest.Fake, c sansantest.Card) error {
				return f.SetRawField(c.ID, "memo", strings.Repeat(`{"a":`, 12000)+"1"+strings.Repeat("}", 12000))
			}},
		{name: "personId unreadable",
			poison: func(f *sansantest.Fake, c sansantest.Card) error { return f.SetRawField(c.ID, "personId", "42") },
			key:    func(c sansantest.Card) string { return syncer.UndecodableKey(c.ID) }},
		{name: "no readable id",
			poison: func(f *sansantest.Fake, c sansantest.Card) error { return f.SetRawCard(c.ID, `"not a card"`) },
			key:    func(sansantest.Card) string { return "" }, cardID: func(sansantest.Card) string { return "" }, relist: true},
		{name: "alone over the response size cap",
			poison: func(f *sansantest.Fake, c sansantest.Card) error {
				return f.SetRawField(c.ID, "memo", `"`+strings.Repeat("長い", sizeCap/3)+`"`)
			}},
		// The fake takes a token back once it serves the last page, so the
		// page is not asked again in halves: its cards are read one by
		// one by the ids the client found in it.
		{name: "over the response size cap on the last page", last: true,
			poison: func(f *sansantest.Fake, c sansantest.Card) error {
				return f.SetRawField(c.ID, "memo", `"`+strings.Repeat("長い", sizeCap/3)+`"`)
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, 60, 19)
			want := e.expected()
			bad := poisonCard(t, e, want, tt.last)
			if err := tt.poison(e.ss.Fake, bad); err != nil {
				t.Fatal(err)
			}
			key, cardID := bad.PersonID, bad.ID
			if tt.key != nil {
				key = tt.key(bad)
			}
			if tt.cardID != nil {
				cardID = tt.cardID(bad)
			}
			clock := newTestClock()
			client, err := sansan.NewClient(e.admin().APIKey, sansan.WithBaseURL(e.ss.URL), sansan.WithRateLimit(rate.Inf, 0),
				sansan.WithSleep(noSleep), sansan.WithMaxResponseSize(sizeCap))
			if err != nil {
				t.Fatal(err)
			}
			eng := e.engine(func(c *syncer.Config) {
				c.Accounts[0].Client = client
				c.PageSize, c.ReadConcurrency, c.Now = 10, 1, clock.Now
			})
			quarantined := func(pass string, attempts int) {
				t.Helper()
				rep := e.syncOnce(eng)
				if rep.Failed != 1 || rep.FailedByCategory[syncer.CategoryUndecodable] != 1 || len(rep.Failures) != 1 {
					t.Fatalf("%s: failed %d %v, %d failures listed; want the one undecodable card", pass, rep.Failed, rep.FailedByCategory, len(rep.Failures))
				}
				f := rep.Failures[0]
				if f.Category != syncer.CategoryUndecodable || f.PersonID != key || f.CardID != cardID || f.Message == "" || len(f.Message) > 1000 {
					t.Errorf("%s: failure %+v, want category undecodable, person %q, card %q and a short message", pass, f, key, cardID)
				}
				if key == "" {
					return
				}
				links, err := e.store.LinksByPerson(t.Context(), []string{key})
				if err != nil {
					t.Fatal(err)
				}
				l := links[key]
				if l == nil || l.Failure() != syncer.CategoryUndecodable || l.CardID != bad.ID || l.Attempts != attempts || l.NextRetry.IsZero() {
					t.Errorf("%s: link %+v, want failing undecodable for card %s after %d attempts, with a retry time", pass, l, bad.ID, attempts)
				}
			}
			// The pass completes past the bad card: every other card is synced.
			gets0 := e.ss.Fake.Requests()[sansantest.EndpointGetBizCard]
			quarantined("first pass", 1)
			if gets := e.ss.Fake.Requests()[sansantest.EndpointGetBizCard] - gets0; tt.last && gets == 0 {
				t.Errorf("the last page's cards were not read one by one")
			}
			e.checkState(without(want, bad.ID))
			cp, err := e.store.Checkpoint(t.Context(), "sansan/tokyo/bizcards")
			if err != nil || cp.Phase() != syncer.PhaseIncremental {
				t.Errorf("checkpoint %+v (%v), want the window completed", cp, err)
			}
			if !tt.relist {
				// The retry reads it again by id; still broken, it stays
				// quarantined. (10 minutes on: past the retry time and the
				// listing's overlap, so only the retry reads it.)
				clock.Advance(10 * time.Minute)
				quarantined("retry while broken", 2)
			}
			// Fixed in Sansan: the next retry (or, without an id, the
			// listing of the changed card) syncs it.
			e.ss.Fake.ClearRaw(bad.ID)
			if tt.relist {
				upd, err := e.ss.Fake.UpdateCard(bad.ID, func(*sansantest.Card) {})
				if err != nil {
					t.Fatal(err)
				}
				catchUp(clock, upd.UpdatedTime)
				want = e.expected()
			} else {
				clock.Advance(10 * time.Minute)
			}
			rep := e.syncOnce(eng)
			if rep.Failed != 0 || rep.Created != 1 {
				t.Errorf("after the fix: created %d, failed %d %v; want the card created", rep.Created, rep.Failed, rep.Failures)
			}
			e.checkState(want)
			links, err := e.store.LinksByPerson(t.Context(), []string{bad.PersonID, syncer.UndecodableKey(bad.ID)})
			if err != nil {
				t.Fatal(err)
			}
			if l := links[bad.PersonID]; l == nil || l.State != syncer.StateInSync || l.ContactID == "" {
				t.Errorf("person link after the fix: %+v, want in sync with a contact", l)
			}
			standIn := links[syncer.UndecodableKey(bad.ID)]
			switch {
			case key == syncer.UndecodableKey(bad.ID) && standIn.Exclusion() != syncer.ReasonReplaced:
				t.Errorf("stand-in link after the fix: %+v, want excluded as replaced", standIn)
			case key != syncer.UndecodableKey(bad.ID) && standIn != nil:
				t.Errorf("unexpected stand-in link %+v", standIn)
			}
		})
	}
}

// TestPoisonCardHeldContact: a card already synced that becomes
// undecodable keeps its contact and values (nothing is undone) while
// quarantined, and its next good read updates the contact as usual.
func TestPoisonCardHeldContact(t *testing.T) {
	t.Parallel()
	e := newEnv(t, 40, 23)
	want := e.expected()
	clock := newTestClock()
	eng := e.engine(func(c *syncer.Config) { c.PageSize, c.ReadConcurrency, c.Now = 10, 1, clock.Now })
	e.syncOnce(eng)
	bad := poisonCard(t, e, want)
	before, err := e.store.LinksByPerson(t.Context(), []string{bad.PersonID})
	if err != nil || before[bad.PersonID] == nil || before[bad.PersonID].ContactID == "" {
		t.Fatalf("card not synced first: %v %v", before, err)
	}
	// Edited, and served broken: the listing of the edit quarantines it.
	upd, err := e.ss.Fake.UpdateCard(bad.ID, func(c *sansantest.Card) { c.Title = sansantest.Ptr("部長") })
	if err != nil {
		t.Fatal(err)
	}
	if err := e.ss.Fake.SetRawField(bad.ID, "title", `["部長"]`); err != nil {
		t.Fatal(err)
	}
	catchUp(clock, upd.UpdatedTime)
	rep := e.syncOnce(eng)
	if rep.FailedByCategory[syncer.CategoryUndecodable] != 1 {
		t.Fatalf("failed %v, want the card quarantined", rep.FailedByCategory)
	}
	links, err := e.store.LinksByPerson(t.Context(), []string{bad.PersonID})
	if err != nil {
		t.Fatal(err)
	}
	l, was := links[bad.PersonID], before[bad.PersonID]
	if l.ContactID != was.ContactID || l.Email != was.Email || l.ValuesHash != was.ValuesHash || l.Failure() != syncer.CategoryUndecodable {
		t.Errorf("quarantined link %+v lost what was synced (%+v)", l, was)
	}
	e.checkState(want) // the contact still holds the last good values
	e.ss.Fake.ClearRaw(bad.ID)
	clock.Advance(10 * time.Minute)
	rep = e.syncOnce(eng)
	if rep.Updated != 1 || rep.Failed != 0 {
		t.Errorf("after the fix: updated %d, failed %d, want the contact updated", rep.Updated, rep.Failed)
	}
	c, ok := e.hs.Fake.ContactByEmail(deref(bad.Email))
	if !ok || c.Properties["jobtitle"] != "部長" {
		t.Errorf("contact after the fix: %v (found %t), want the new title", c.Properties, ok)
	}
}

// TestOversizedCardWithoutID: a single card over the size cap whose id
// cannot be read from its first bytes cannot be quarantined: the pass
// fails with an error naming the account and window and matching
// sansan.ErrResponseTooLarge, whether its page is asked again in halves
// (in the middle of the listing) or read card by card (on the last page,
// whose token the fake takes back).
func TestOversizedCardWithoutID(t *testing.T) {
	t.Parallel()
	for _, last := range []bool{false, true} {
		t.Run(fmt.Sprintf("last=%t", last), func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, 60, 29)
			want := e.expected()
			bad := poisonCard(t, e, want, last)
			if err := e.ss.Fake.SetRawCard(bad.ID, `{"memo":"`+strings.Repeat("x", 40<<10)+`","id":"`+bad.ID+`"}`); err != nil {
				t.Fatal(err)
			}
			client, err := sansan.NewClient(e.admin().APIKey, sansan.WithBaseURL(e.ss.URL), sansan.WithRateLimit(rate.Inf, 0),
				sansan.WithSleep(noSleep), sansan.WithMaxResponseSize(32<<10))
			if err != nil {
				t.Fatal(err)
			}
			eng := e.engine(func(c *syncer.Config) { c.Accounts[0].Client = client; c.PageSize, c.ReadConcurrency = 10, 1 })
			_, err = eng.SyncOnce(t.Context())
			if !errors.Is(err, sansan.ErrResponseTooLarge) || !strings.Contains(err.Error(), "window 2000-01-01T00:00:00Z to ") || !strings.Contains(err.Error(), `account "tokyo"`) {
				t.Fatalf("err = %v, want a too-large error naming the account and window", err)
			}
		})
	}
}

// TestReliabilityPoisonCards: an initial sync of a tenant in which five
// cards, spread over the listing, are served broken in five ways (an
// object as memo, a number as name, a memo nested 12,000 levels deep, an
// unreadable personId, and a card alone over the client's response size
// cap, which makes its 300-card page too large): every other card is
// synced in the first pass, those listed after the first bad card
// included; the five are quarantined and reported; a retry while they are
// still broken writes nothing; once fixed, the next retry syncs them and
// HubSpot equals the expected state.
func TestReliabilityPoisonCards(t *testing.T) {
	t.Parallel()
	const sizeCap = 512 << 10
	cards := scaled(1500, 400)
	e := newEnv(t, cards, 37)
	want := e.expected()
	order := e.ss.Fake.Cards()
	slices.SortFunc(order, func(a, b sansantest.Card) int { return a.UpdatedTime.Compare(b.UpdatedTime) })
	count := map[string]int{}
	for _, c := range order {
		count[mapping.NormalizeEmail(deref(c.Email)).Normalized]++
	}
	faults := []func(f *sansantest.Fake, id string) error{
		func(f *sansantest.Fake, id string) error {
			return f.SetRawField(id, "memo", `{"note":{"nested":[1,{"deeper":"x"}]}}`)
		},
		func(f *sansantest.Fake, id string) error { return f.SetRawField(id, "lastName", "42") },
		func(f *sansantest.Fake, id string) error {
			return f.SetRawField(id, "memo", strings.Repeat(`{"a":`, 12000)+"1"+strings.Repeat("}", 12000))
		},
		func(f *sansantest.Fake, id string) error { return f.SetRawField(id, "personId", "42") },
		func(f *sansantest.Fake, id string) error {
			return f.SetRawField(id, "memo", `"`+strings.Repeat("x", sizeCap+1)+`"`)
		},
	}
	var bad []sansantest.Card
	for i := range faults {
		// Spread over the listing: the first at a fifth of it.
		for _, c := range order[(i+1)*len(order)/(len(faults)+2):] {
			em := mapping.NormalizeEmail(deref(c.Email)).Normalized
			if w, ok := want[em]; ok && w.ID == c.ID && count[em] == 1 && !slices.ContainsFunc(bad, func(b sansantest.Card) bool { return b.ID == c.ID }) {
				bad = append(bad, c)
				break
			}
		}
	}
	if len(bad) != len(faults) {
		t.Fatalf("found %d cards to poison, want %d", len(bad), len(faults))
	}
	badIDs := map[string]bool{}
	for i, c := range bad {
		badIDs[c.ID] = true
		if err := faults[i](e.ss.Fake, c.ID); err != nil {
			t.Fatal(err)
		}
	}
	clock := newTestClock()
	client, err := sansan.NewClient(e.admin().APIKey, sansan.WithBaseURL(e.ss.URL), sansan.WithRateLimit(rate.Inf, 0),
		sansan.WithSleep(noSleep), sansan.WithMaxResponseSize(sizeCap))
	if err != nil {
		t.Fatal(err)
	}
	eng := e.engine(func(c *syncer.Config) { c.Accounts[0].Client = client; c.ReadConcurrency, c.Now = 1, clock.Now })

	lists0 := e.ss.Fake.Requests()[sansantest.EndpointListBizCards]
	rep := e.syncOnce(eng)
	synced1, lists := len(e.hs.Fake.Contacts()), e.ss.Fake.Requests()[sansantest.EndpointListBizCards]-lists0
	if rep.FailedByCategory[syncer.CategoryUndecodable] != len(bad) || rep.Failed != len(bad) {
		t.Errorf("first pass: failed %d %v, want the %d poisoned cards", rep.Failed, rep.FailedByCategory, len(bad))
	}
	healthy := map[string]*sansan.BizCard{}
	for em, c := range want {
		if !badIDs[c.ID] {
			healthy[em] = c
		}
	}
	e.checkState(healthy)
	later, laterSynced := 0, 0
	for _, c := range order {
		em := mapping.NormalizeEmail(deref(c.Email)).Normalized
		if w, ok := want[em]; !ok || w.ID != c.ID || badIDs[c.ID] || !c.UpdatedTime.After(bad[0].UpdatedTime) {
			continue
		}
		later++
		if _, ok := e.hs.Fake.ContactByEmail(em); ok {
			laterSynced++
		}
	}
	if later == 0 || laterSynced != later {
		t.Errorf("%d of %d winning cards listed after the first bad card synced", laterSynced, later)
	}
	firstCalls := rep.APICalls["sansan"]

	clock.Advance(10 * time.Minute)
	w0 := e.writes()
	rep = e.syncOnce(eng)
	retryQuarantined, retryWrites := rep.FailedByCategory[syncer.CategoryUndecodable], e.writes()-w0
	if retryQuarantined != len(bad) || retryWrites != 0 {
		t.Errorf("retry while broken: failed %v, %d writes; want the %d still quarantined and no write", rep.FailedByCategory, retryWrites, len(bad))
	}
	for _, c := range bad {
		e.ss.Fake.ClearRaw(c.ID)
	}
	clock.Advance(10 * time.Minute)
	rep = e.syncOnce(eng)
	if rep.Created != len(bad) || rep.Failed != 0 {
		t.Errorf("after the fix: created %d, failed %d; want the %d created", rep.Created, rep.Failed, len(bad))
	}
	e.checkState(want)
	figures(t, "poison cards", map[string]any{
		"cards": cards, "winning_cards": len(want), "poisoned": len(bad),
		"synced_first_pass": synced1, "listed_after_first_bad": later, "listed_after_first_bad_synced": laterSynced,
		"sansan_calls_first_pass": firstCalls, "list_requests_first_pass": lists, "quarantined_on_retry": retryQuarantined, "writes_on_retry_while_broken": retryWrites,
		"created_after_fix": rep.Created, "lost": e.lost(want), "duplicates": e.duplicates(),
	})
}
