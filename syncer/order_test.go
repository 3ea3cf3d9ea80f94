package syncer_test

import (
	"context"
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cardbridge/sansanhubspot/mapping"
	"github.com/cardbridge/sansanhubspot/sansan"
	"github.com/cardbridge/sansanhubspot/sansan/sansantest"
	"github.com/cardbridge/sansanhubspot/syncer"
	"github.com/google/go-cmp/cmp"
)

// orderTenant is a generated set of cards with shared emails: each email
// group has one to four persons with distinct exchange dates, so the
// winner of every email is fixed by the cards alone, and each card has a
// random subset of fields, so winners often have fewer fields than the
// losers written before them.
type orderTenant struct {
	cards []sansantest.Card
}

func newOrderTenant(seed uint64, groups int, owners []sansantest.User) orderTenant {
	rng := rand.New(rand.NewPCG(seed, 7))
	var tn orderTenant
	opt := func(v string) *string {
		if rng.IntN(10) < 6 {
			return &v
		}
		return nil
	}
	for g := range groups {
		email := fmt.Sprintf("person%d@example.co.jp", g)
		persons := 1 + rng.IntN(4)
		days := rng.Perm(300)
		for p := range persons {
			date := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, days[p]).Format(time.DateOnly)
			id := fmt.Sprintf("%032X", g*10+p+1)
			em := email
			if p > 0 && rng.IntN(4) == 0 {
				em = strings.ToUpper(email) // the same email as another person writes it
			}
			tn.cards = append(tn.cards, sansantest.Card{
				ID: id, PersonID: fmt.Sprintf("%032X", 1_000_000+g*10+p), ExchangeDate: &date, Email: &em,
				OwnerID:        owners[rng.IntN(len(owners))].ID,
				LastName:       sansantest.Ptr(fmt.Sprintf("姓%d-%d", g, p)),
				Title:          opt(fmt.Sprintf("title %d-%d", g, p)),
				Mobile:         opt(fmt.Sprintf("090-%04d-%04d", g, p)),
				DepartmentName: opt(fmt.Sprintf("dept %d-%d", g, p)),
				CompanyName:    opt(fmt.Sprintf("company %d", g)),
				URL:            opt(fmt.Sprintf("https://example.co.jp/%d/%d", g, p)),
			})
		}
	}
	return tn
}

// orderScenario is one way of delivering the same cards.
type orderScenario struct {
	pageSize int
	perm     []int // listing position (update time order) of each card
	swap     bool  // list the second account first
	readers  int   // Config.ReadConcurrency (above 1: windows listed in parts)
	crashAt  int64 // crash after this many HubSpot writes (0: none)
}

// contactState is HubSpot's final state: mapped properties by email.
type contactState map[string]map[string]string

func (e *env) contactState(t *testing.T) contactState {
	t.Helper()
	set := mapping.Default()
	out := contactState{}
	for _, c := range e.hs.Fake.Contacts() {
		em := strings.ToLower(c.Properties["email"])
		if _, dup := out[em]; dup {
			t.Errorf("two contacts with email %q", em)
		}
		props := map[string]string{}
		for _, m := range set.Mappings() {
			if v := c.Properties[m.Property]; v != "" && m.Direction.FlowsToHubSpot() {
				props[m.Property] = v
			}
		}
		props["email"] = em
		out[em] = props
	}
	return out
}

// wantState computes, from the cards alone, what HubSpot must hold: per
// email the winner's mapped values, nothing else.
func wantState(cards []*sansan.BizCard) contactState {
	set := mapping.Default()
	best := map[string]*sansan.BizCard{}
	key := func(c *sansan.BizCard) string {
		return c.ExchangeDate.String() + "|" + c.UpdatedTime.UTC().Format(time.RFC3339Nano) + "|" + c.ID
	}
	for _, c := range cards {
		em := mapping.NormalizeEmail(deref(c.Email))
		if em.Status != mapping.EmailValid {
			continue
		}
		if cur, ok := best[em.Normalized]; !ok || key(cur) < key(c) {
			best[em.Normalized] = c
		}
	}
	out := contactState{}
	for em, c := range best {
		props := map[string]string{}
		for k, v := range set.CardToProperties(c).Properties {
			if v != "" {
				props[k] = v
			}
		}
		props["email"] = em
		out[em] = props
	}
	return out
}

func (e *env) listAll(t *testing.T) []*sansan.BizCard {
	t.Helper()
	c := e.sansanClient(e.admin())
	var out []*sansan.BizCard
	opts := &sansan.ListBizCardsOptions{UpdatedFrom: time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC), UpdatedTo: time.Now().Add(24 * time.Hour),
		CardListOptions: sansan.CardListOptions{Range: sansan.RangeAll, IncludeTags: true, ListOptions: sansan.ListOptions{Limit: 300}}}
	for card, err := range c.BizCards.ListIter(t.Context(), opts) {
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, card)
	}
	return out
}

// runScenario syncs the tenant delivered as sc describes, then changes
// it (winners leave their email, lose it, or are outranked by a newer card
// of another person) and syncs again, checking HubSpot against the cards
// after each stage. It returns the final state.
func runScenario(t *testing.T, tn orderTenant, sc orderScenario) contactState {
	t.Helper()
	e := newEnv(t, 0, 0)
	base := time.Now().Add(-48 * time.Hour).Truncate(time.Second)
	cards := slices.Clone(tn.cards)
	for i := range cards {
		cards[i].UpdatedTime = base.Add(time.Duration(sc.perm[i]) * time.Second)
		cards[i].RegisteredTime = cards[i].UpdatedTime
		e.ss.Fake.AddCard(cards[i])
	}
	users := e.users
	var admin, other sansantest.User
	for _, u := range users {
		if u.Admin {
			admin = u
		} else if other.ID == "" {
			other = u
		}
	}
	accounts := []syncer.Account{{Name: "admin", Client: e.sansanClient(admin)}, {Name: "member", Client: e.sansanClient(other)}}
	if sc.swap {
		slices.Reverse(accounts)
	}
	mut := func(c *syncer.Config) {
		c.Accounts = accounts
		c.PageSize = sc.pageSize
		c.ReadConcurrency = sc.readers
	}
	if sc.crashAt > 0 {
		ctx, cancel := context.WithCancel(t.Context())
		e.hubRT.cancelK.Store(sc.crashAt)
		e.hubRT.cancel.Store(&cancel)
		_, _ = e.engine(mut).SyncOnce(ctx) // interrupted (or finished first)
		cancel()
		e.hubRT.cancelK.Store(0)
	}
	eng := e.engine(mut)
	e.syncOnce(eng)
	// A winner that drops its email, with no other person for it, leaves
	// its contact as it was: deletes are never propagated.
	orphans := map[string]bool{}
	check := func(stage string) contactState {
		got, want := e.contactState(t), wantState(e.listAll(t))
		for em := range got {
			if _, ok := want[em]; !ok && orphans[em] {
				delete(got, em)
			}
		}
		if d := cmp.Diff(want, got); d != "" {
			t.Errorf("%s: contacts differ from the winning cards (-want +got):\n%s", stage, d)
		}
		return got
	}
	check("initial sync")
	if rep := e.syncOnce(eng); rep.Created+rep.Updated != 0 {
		t.Errorf("a second pass wrote: %s", rep)
	}

	// Winners leave: to a fresh email, to no email, or are outranked by a
	// newer card of a new person.
	want := wantState(e.listAll(t))
	emails := slices.Sorted(maps.Keys(want))
	for i, em := range emails {
		winnerCard := want[em]["sansan_card_id"]
		switch i % 5 {
		case 0:
			fresh := "moved" + strings.TrimPrefix(em, "person")
			if _, err := e.ss.Fake.UpdateCard(winnerCard, func(c *sansantest.Card) { c.Email = &fresh }); err != nil {
				t.Fatal(err)
			}
		case 1:
			orphans[em] = true
			if _, err := e.ss.Fake.UpdateCard(winnerCard, func(c *sansantest.Card) { c.Email = nil }); err != nil {
				t.Fatal(err)
			}
		case 2:
			d := "2030-01-01"
			e.ss.Fake.AddCard(sansantest.Card{ExchangeDate: &d, Email: sansantest.Ptr(em), OwnerID: admin.ID,
				LastName: sansantest.Ptr("newcomer " + em), Title: sansantest.Ptr("newcomer title")})
		}
	}
	e.syncOnce(eng)
	e.syncOnce(eng)
	return check("after winners changed")
}

// TestOrderIndependence syncs one tenant with shared emails under many
// deliveries — page sizes from 1 to 300, shuffled listing orders, both
// account orders, crashes after k writes — and asserts every delivery ends
// with the same contacts, equal to the winning cards' mapped values: a
// winner's blank field is an empty contact field even where a losing card
// was written first.
func TestOrderIndependence(t *testing.T) {
	t.Parallel()
	groups, scenarios := 24, 10
	if soak() {
		groups, scenarios = 80, 60
	}
	users := sansantest.DefaultUsers()
	tn := newOrderTenant(42, groups, users)
	rng := rand.New(rand.NewPCG(42, 9))
	sizes := []int{1, 2, 7, 50, 300}
	results := make([]contactState, scenarios)
	for i := range scenarios {
		sc := orderScenario{pageSize: sizes[i%len(sizes)], perm: rng.Perm(len(tn.cards)), swap: i%2 == 1, readers: 3 * (i % 2)}
		if i%3 == 2 {
			sc.crashAt = 1 + rng.Int64N(4)
		}
		t.Run(fmt.Sprintf("page%d/swap=%t/readers=%d/crash=%d/%d", sc.pageSize, sc.swap, sc.readers, sc.crashAt, i), func(t *testing.T) {
			t.Parallel()
			results[i] = runScenario(t, tn, sc)
		})
	}
	t.Cleanup(func() {
		for i := 1; i < len(results); i++ {
			if results[i] == nil || results[0] == nil {
				continue
			}
			if d := cmp.Diff(stripIDs(results[0]), stripIDs(results[i])); d != "" {
				t.Errorf("delivery %d ends differently from delivery 0 (-0 +%d):\n%s", i, i, d)
			}
		}
	})
}

// stripIDs drops the values the fakes generate per run (ids of cards
// added during the test), so two runs compare by content.
func stripIDs(s contactState) contactState {
	out := contactState{}
	for em, props := range s {
		c := maps.Clone(props)
		if strings.HasPrefix(c["lastname"], "newcomer") {
			delete(c, "sansan_card_id")
			delete(c, "sansan_person_id")
			delete(c, "sansan_company_id")
		}
		out[em] = c
	}
	return out
}
