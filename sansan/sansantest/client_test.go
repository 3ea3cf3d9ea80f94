package sansantest_test

import (
	"context"
	"errors"
	"net/http"
	"regexp"
	"slices"
	"testing"
	"time"

	"github.com/cardbridge/sansanhubspot/sansan"
	"github.com/cardbridge/sansanhubspot/sansan/sansantest"
	"github.com/google/go-cmp/cmp"
	"golang.org/x/time/rate"
)

// These tests drive the fake through the real typed client, so a mismatch
// between the client's and the fake's reading of the wire shows up here.

func noSleep(context.Context, time.Duration) error { return nil }

func newClient(t *testing.T, srv *sansantest.Server, key string, opts ...sansan.Option) *sansan.Client {
	t.Helper()
	// No client-side limiting: the fake is local (its own WithRateLimit is tested separately).
	opts = append([]sansan.Option{sansan.WithBaseURL(srv.URL), sansan.WithSleep(noSleep), sansan.WithRateLimit(rate.Inf, 0)}, opts...)
	c, err := sansan.NewClient(key, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestDefaultUserKeysAreClientValid(t *testing.T) {
	t.Parallel()
	alnum32 := regexp.MustCompile(`^[A-Za-z0-9]{32}$`)
	for _, u := range sansantest.DefaultUsers() {
		if !alnum32.MatchString(u.APIKey) {
			t.Errorf("user %s key %q is not 32 alphanumerics", u.ID, u.APIKey)
		}
	}
}

func TestClientListIterSeededTenant(t *testing.T) {
	t.Parallel()
	srv := sansantest.NewTestServer(t)
	seeded := srv.Fake.Seed(sansantest.GenerateOptions{Seed: 11, Cards: 1000})
	admin := sansantest.DefaultUsers()[0]
	c := newClient(t, srv, admin.APIKey)

	opts := &sansan.ListBizCardsOptions{
		UpdatedFrom:     time.Date(2000, 1, 1, 0, 0, 0, 0, sansan.JST),
		UpdatedTo:       time.Date(2030, 1, 1, 0, 0, 0, 0, sansan.JST),
		CardListOptions: sansan.CardListOptions{Range: sansan.RangeAll, IncludePastBizCards: true, IncludeTags: true, EntryStatus: []sansan.EntryStatus{sansan.EntryStatusCompleted, sansan.EntryStatusProcessing, sansan.EntryStatusUnreadable}, ListOptions: sansan.ListOptions{Limit: sansan.MaxLimit}},
	}
	byID := map[string]sansantest.Card{}
	for _, sc := range seeded {
		byID[sc.ID] = sc
	}
	got := 0
	for card, err := range c.BizCards.ListIter(t.Context(), opts) {
		if err != nil {
			t.Fatal(err)
		}
		got++
		want, ok := byID[card.ID]
		if !ok {
			t.Fatalf("unexpected card %s", card.ID)
		}
		delete(byID, card.ID)
		if !card.UpdatedTime.Equal(want.UpdatedTime) || !card.RegisteredTime.Equal(want.RegisteredTime) {
			t.Errorf("card %s times %v/%v, want %v/%v", card.ID, card.RegisteredTime, card.UpdatedTime, want.RegisteredTime, want.UpdatedTime)
		}
		if _, off := card.UpdatedTime.Zone(); off != 9*3600 {
			t.Errorf("card %s updatedTime offset %d, want +09:00", card.ID, off)
		}
		if diff := cmp.Diff(want.Email, card.Email); diff != "" {
			t.Errorf("card %s email (-want +got):\n%s", card.ID, diff)
		}
		if (want.ExchangeDate == nil) != (card.ExchangeDate == nil) {
			t.Errorf("card %s exchangeDate %v, want %v", card.ID, card.ExchangeDate, want.ExchangeDate)
		}
		if card.Owner == nil || card.Owner.ID != want.OwnerID || string(card.EntryStatus) != want.EntryStatus {
			t.Errorf("card %s owner %+v status %s, want %s %s", card.ID, card.Owner, card.EntryStatus, want.OwnerID, want.EntryStatus)
		}
		var gotTags []string
		for _, tg := range card.Tags {
			gotTags = append(gotTags, tg.ID)
		}
		// The admin does not see other users' private tags.
		var wantTags []string
		for _, id := range want.TagIDs {
			for _, tg := range srv.Fake.Tags() {
				if tg.ID == id && (tg.Type != sansantest.TagTypePrivate || tg.OwnerID == admin.ID) {
					wantTags = append(wantTags, id)
				}
			}
		}
		if diff := cmp.Diff(wantTags, gotTags); diff != "" {
			t.Errorf("card %s tags (-want +got):\n%s", card.ID, diff)
		}
	}
	if got != 1000 || len(byID) != 0 {
		t.Errorf("iterated %d cards, %d seeded cards missing", got, len(byID))
	}
	if n := srv.Fake.Requests()[sansantest.EndpointListBizCards]; n != 4 {
		t.Errorf("list requests = %d, want 4 pages of ≤300", n)
	}
}

func TestClientDefaultRangeIsMe(t *testing.T) {
	t.Parallel()
	srv := sansantest.NewTestServer(t)
	srv.Fake.Seed(sansantest.GenerateOptions{Seed: 12, Cards: 500})
	sato := sansantest.DefaultUsers()[1]
	c := newClient(t, srv, sato.APIKey)
	persons := map[string]bool{}
	n := 0
	for card, err := range c.BizCards.ListIter(t.Context(), &sansan.ListBizCardsOptions{
		UpdatedFrom: time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC),
		UpdatedTo:   time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC),
	}) {
		if err != nil {
			t.Fatal(err)
		}
		n++
		if card.Owner == nil || card.Owner.ID != sato.ID {
			t.Errorf("card %s of %+v returned with the default range", card.ID, card.Owner)
		}
		if card.EntryStatus != sansan.EntryStatusCompleted {
			t.Errorf("card %s has status %s with the default entryStatus", card.ID, card.EntryStatus)
		}
		if persons[card.PersonID] {
			t.Errorf("person %s returned twice without includePastBizCards", card.PersonID)
		}
		persons[card.PersonID] = true
		if card.Tags != nil {
			t.Errorf("card %s has tags without includeTags", card.ID)
		}
	}
	if n == 0 {
		t.Error("no cards for sato")
	}
}

func TestClientEndpoints(t *testing.T) {
	t.Parallel()
	srv := sansantest.NewTestServer(t)
	f := srv.Fake
	f.AddUser(sansantest.User{ID: "alice", Name: "伊藤 花子", Email: "ito@example.com", APIKey: aliceKey})
	pub := f.AddTag(sansantest.Tag{Name: "展示会", Type: sansantest.TagTypePublic, OwnerID: "alice"})
	priv := f.AddTag(sansantest.Tag{Name: "要フォロー", Type: sansantest.TagTypePrivate, OwnerID: "alice"})
	card := f.AddCard(sansantest.Card{
		OwnerID: "alice", LastName: s("伊藤"), FirstName: s("花子"), Email: s("ito@example.com"),
		ExchangeDate: s("2015-08-21"), TagIDs: []string{pub.ID, priv.ID},
	})
	c := newClient(t, srv, aliceKey)
	ctx := t.Context()

	me, _, err := c.Users.Me(ctx)
	if err != nil || me.ID != "alice" || me.Email != "ito@example.com" {
		t.Errorf("Me = %+v, %v", me, err)
	}
	got, _, err := c.BizCards.Get(ctx, card.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.ID != card.ID || *got.LastName != "伊藤" || got.Title != nil || got.ExchangeDate == nil ||
		*got.ExchangeDate != (sansan.Date{Year: 2015, Month: time.August, Day: 21}) {
		t.Errorf("Get = %+v", got)
	}
	img, _, err := c.BizCards.Image(ctx, card.ID)
	if err != nil || !slices.Equal(img, sansantest.CardImage()) {
		t.Errorf("Image: %d bytes, %v", len(img), err)
	}
	tags, _, err := c.BizCards.Tags(ctx, card.ID, nil)
	if err != nil || len(tags) != 2 {
		t.Errorf("card Tags = %v, %v", tags, err)
	}
	person, _, err := c.Persons.Get(ctx, card.PersonID)
	if err != nil || person.ID != card.PersonID || person.HeadBizCard == nil || person.HeadBizCard.ID != card.ID {
		t.Errorf("Persons.Get = %+v, %v", person, err)
	}
	list, _, err := c.Tags.List(ctx, &sansan.ListTagsOptions{Types: []sansan.TagType{sansan.TagTypePublic, sansan.TagTypeShared}, Range: sansan.RangeAll})
	if err != nil || len(list) != 1 || list[0].ID != pub.ID || list[0].Owner == nil || list[0].Owner.ID != "alice" {
		t.Errorf("Tags.List = %+v, %v", list, err)
	}
	found, _, err := c.BizCards.Search(ctx, &sansan.SearchBizCardsOptions{Email: "ito@example.com"})
	if err != nil || len(found) != 1 || found[0].ID != card.ID {
		t.Errorf("Search = %v, %v", found, err)
	}

	created, _, err := c.BizCards.Register(ctx, &sansan.RegisterBizCardRequest{
		LastName: sansan.Ptr("山田"), CompanyName: sansan.Ptr("株式会社 山田商事"),
		ExchangeDate: &sansan.Date{Year: 2024, Month: time.May, Day: 1}, TagIDs: []string{pub.ID},
	})
	if err != nil {
		t.Fatal(err)
	}
	stored, ok := f.Card(created.ID)
	if !ok || *stored.LastName != "山田" || *stored.ExchangeDate != "2024-05-01" || stored.OwnerID != "alice" {
		t.Errorf("registered card stored as %+v (%v)", stored, ok)
	}
}

func TestClientErrors(t *testing.T) {
	t.Parallel()
	srv := sansantest.NewTestServer(t)
	srv.Fake.AddUser(sansantest.User{ID: "alice", Name: "伊藤 花子", APIKey: aliceKey})

	bad := newClient(t, srv, "WRONGKEYWRONGKEYWRONGKEYWRONGKEY", sansan.WithRetry(sansan.RetryPolicy{MaxAttempts: 1}))
	if _, _, err := bad.Users.Me(t.Context()); !errors.Is(err, sansan.ErrUnauthorized) {
		t.Errorf("bad key: err = %v, want ErrUnauthorized", err)
	}
	c := newClient(t, srv, aliceKey, sansan.WithRetry(sansan.RetryPolicy{MaxAttempts: 1}))
	if _, _, err := c.BizCards.Get(t.Context(), "0000000000000000000000000000DEAD"); !errors.Is(err, sansan.ErrNotFound) {
		t.Errorf("unknown card: err = %v, want ErrNotFound", err)
	}
	srv.Fake.FailNext(1, http.StatusTooManyRequests)
	if _, _, err := c.Users.Me(t.Context()); !errors.Is(err, sansan.ErrRateLimited) {
		t.Errorf("429: err = %v, want ErrRateLimited", err)
	}
	var er *sansan.ErrorResponse
	srv.Fake.FailNext(1, http.StatusTooManyRequests)
	if _, _, err := c.Users.Me(t.Context()); !errors.As(err, &er) || er.Response == nil || er.Response.StatusCode != 429 {
		t.Errorf("429: err = %#v, want *ErrorResponse with status 429", err)
	}
}

func TestClientRetriesInjectedFaults(t *testing.T) {
	t.Parallel()
	srv := sansantest.NewTestServer(t)
	srv.Fake.AddUser(sansantest.User{ID: "alice", Name: "伊藤 花子", APIKey: aliceKey})
	c := newClient(t, srv, aliceKey, sansan.WithRetry(sansan.RetryPolicy{MaxAttempts: 4}))

	tests := []struct {
		name   string
		inject func()
		want   int // requests for one successful call
	}{
		{"503 then success", func() { srv.Fake.FailNext(2, http.StatusServiceUnavailable) }, 3},
		{"429 then success", func() { srv.Fake.FailNext(1, http.StatusTooManyRequests) }, 2},
		{"dropped connection then success", func() { srv.Fake.DropNext(1) }, 2},
	}
	for _, tt := range tests { // sequential: they share one fake's counters
		srv.Fake.ResetCounters()
		tt.inject()
		if _, _, err := c.Users.Me(t.Context()); err != nil {
			t.Errorf("%s: %v", tt.name, err)
		}
		if got := srv.Fake.TotalRequests(); got != tt.want {
			t.Errorf("%s: %d requests, want %d", tt.name, got, tt.want)
		}
	}
}

func TestClientPagingWhileCardsChange(t *testing.T) {
	t.Parallel()
	clock := newClock()
	srv := sansantest.NewTestServer(t, sansantest.WithClock(clock.Now))
	seeded := srv.Fake.Seed(sansantest.GenerateOptions{Seed: 13, Cards: 900})
	admin := sansantest.DefaultUsers()[0]
	c := newClient(t, srv, admin.APIKey)
	opts := &sansan.ListBizCardsOptions{
		UpdatedFrom:     time.Date(2000, 1, 1, 0, 0, 0, 0, sansan.JST),
		UpdatedTo:       time.Date(2026, 1, 1, 0, 0, 0, 0, sansan.JST),
		CardListOptions: sansan.CardListOptions{Range: sansan.RangeAll, IncludePastBizCards: true, EntryStatus: []sansan.EntryStatus{sansan.EntryStatusCompleted, sansan.EntryStatusProcessing, sansan.EntryStatusUnreadable}, OrderDirection: sansan.OrderAsc, ListOptions: sansan.ListOptions{Limit: 100}},
	}
	seen := map[string]int{}
	i := 0
	for card, err := range c.BizCards.ListIter(t.Context(), opts) {
		if err != nil {
			t.Fatal(err)
		}
		seen[card.ID]++
		if i%50 == 0 { // touch a card not served yet: it moves past the window end
			clock.Advance(time.Hour)
			if _, err := srv.Fake.UpdateCard(seeded[(i*7+13)%len(seeded)].ID, nil); err != nil {
				t.Fatal(err)
			}
		}
		i++
	}
	if len(seen) != len(seeded) {
		t.Errorf("saw %d distinct cards, want %d", len(seen), len(seeded))
	}
	for id, n := range seen {
		if n != 1 {
			t.Errorf("card %s served %d times", id, n)
		}
	}
}
