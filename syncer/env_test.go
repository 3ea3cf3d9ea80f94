package syncer_test

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cardbridge/sansanhubspot/hubspot"
	"github.com/cardbridge/sansanhubspot/hubspot/hubspottest"
	"github.com/cardbridge/sansanhubspot/mapping"
	"github.com/cardbridge/sansanhubspot/sansan"
	"github.com/cardbridge/sansanhubspot/sansan/sansantest"
	"github.com/cardbridge/sansanhubspot/syncer"
	"golang.org/x/time/rate"
)

// env is a Sansan tenant and a HubSpot portal, both fakes on loopback, with
// clients that neither rate-limit nor wait between retries.
type env struct {
	t     testing.TB
	ss    *sansantest.Server
	hs    *hubspottest.Server
	users []sansantest.User
	hub   *hubspot.Client
	// hubRT counts and can interrupt HubSpot requests.
	hubRT *countingRT
	store *syncer.MemoryStore
	// seeded is how many cards the tenant had when the env was made.
	seeded int
}

func noSleep(ctx context.Context, _ time.Duration) error { return ctx.Err() }

func newEnv(t testing.TB, cards int, seed uint64) *env {
	t.Helper()
	return newEnvWith(t, cards, seed)
}

// newEnvWith is newEnv with options for the Sansan fake.
func newEnvWith(t testing.TB, cards int, seed uint64, ssOpts ...sansantest.Option) *env {
	t.Helper()
	e := &env{t: t, store: syncer.NewMemoryStore()}
	e.ss = sansantest.NewTestServer(t, ssOpts...)
	e.users = sansantest.DefaultUsers()
	for _, u := range e.users {
		e.ss.Fake.AddUser(u)
	}
	for _, tag := range sansantest.DefaultTags(e.users) {
		e.ss.Fake.AddTag(tag)
	}
	if cards > 0 {
		e.ss.Fake.Seed(sansantest.GenerateOptions{Seed: seed, Cards: cards, Owners: e.users, Tags: e.ss.Fake.Tags()})
	}
	e.seeded = len(e.ss.Fake.Cards())
	e.hs = hubspottest.NewTestServer(t)
	e.hubRT = &countingRT{next: http.DefaultTransport}
	var err error
	e.hub, err = hubspot.NewClient(hubspottest.DefaultToken,
		hubspot.WithBaseURL(e.hs.URL),
		hubspot.WithHTTPClient(&http.Client{Transport: e.hubRT, Timeout: 30 * time.Second}),
		hubspot.WithRateLimit(rate.Inf, 0), hubspot.WithSearchRateLimit(rate.Inf, 0),
		hubspot.WithSleep(noSleep))
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func (e *env) sansanClient(u sansantest.User) *sansan.Client {
	e.t.Helper()
	c, err := sansan.NewClient(u.APIKey, sansan.WithBaseURL(e.ss.URL), sansan.WithRateLimit(rate.Inf, 0), sansan.WithSleep(noSleep))
	if err != nil {
		e.t.Fatal(err)
	}
	return c
}

func (e *env) admin() sansantest.User {
	for _, u := range e.users {
		if u.Admin {
			return u
		}
	}
	e.t.Fatal("no admin user")
	return sansantest.User{}
}

// engine builds an engine on the env's store; mut adjusts the config.
func (e *env) engine(mut func(*syncer.Config)) *syncer.Engine {
	e.t.Helper()
	cfg := syncer.Config{
		HubSpot:  e.hub,
		Accounts: []syncer.Account{{Name: "tokyo", Client: e.sansanClient(e.admin())}},
		Store:    e.store,
	}
	if mut != nil {
		mut(&cfg)
	}
	eng, err := syncer.New(cfg)
	if err != nil {
		e.t.Fatal(err)
	}
	return eng
}

func (e *env) syncOnce(eng *syncer.Engine) *syncer.Report {
	e.t.Helper()
	rep, err := eng.SyncOnce(e.t.Context())
	if err != nil {
		e.t.Fatalf("SyncOnce: %v", err)
	}
	return rep
}

// writes counts HubSpot contact write requests made so far.
func (e *env) writes() int {
	n := 0
	for k, v := range e.hs.Fake.Requests() {
		if strings.HasPrefix(k, "POST /crm/v3/objects/contacts/batch/") && !strings.HasSuffix(k, "/read") {
			n += v
		} else if (strings.HasPrefix(k, "PATCH ") || k == "POST /crm/v3/objects/contacts") && strings.Contains(k, "contacts") {
			n += v
		}
	}
	return n
}

// expected computes, independently of the engine, the contact every valid
// email should end up as: the head card (as the API lists it) with the
// newest exchange date, then update time, then card id.
func (e *env) expected() map[string]*sansan.BizCard {
	e.t.Helper()
	c := e.sansanClient(e.admin())
	opts := &sansan.ListBizCardsOptions{
		UpdatedFrom:     time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC),
		UpdatedTo:       time.Now().Add(time.Hour),
		CardListOptions: sansan.CardListOptions{Range: sansan.RangeAll, IncludeTags: true, ListOptions: sansan.ListOptions{Limit: 300}},
	}
	want := map[string]*sansan.BizCard{}
	key := func(c *sansan.BizCard) string {
		d := "0000-00-00" // a card without a date ranks below any dated card
		if c.ExchangeDate != nil {
			d = c.ExchangeDate.String()
		}
		return d + "|" + c.UpdatedTime.UTC().Format(time.RFC3339Nano) + "|" + c.ID
	}
	for card, err := range c.BizCards.ListIter(e.t.Context(), opts) {
		if err != nil {
			e.t.Fatal(err)
		}
		if card.EntryStatus != sansan.EntryStatusCompleted {
			continue
		}
		em := mapping.NormalizeEmail(deref(card.Email))
		if em.Status != mapping.EmailValid {
			continue
		}
		if cur, ok := want[em.Normalized]; !ok || key(cur) < key(card) {
			want[em.Normalized] = card
		}
	}
	return want
}

func deref(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

// checkState asserts HubSpot holds exactly one contact per expected email,
// made from the winning card, and nothing else.
func (e *env) checkState(want map[string]*sansan.BizCard) {
	e.t.Helper()
	got := map[string]hubspottest.Contact{}
	for _, c := range e.hs.Fake.Contacts() {
		em := strings.ToLower(c.Properties["email"])
		if _, dup := got[em]; dup {
			e.t.Errorf("two contacts with email %q", em)
		}
		got[em] = c
	}
	if len(got) != len(want) {
		e.t.Errorf("hubspot has %d contacts, want %d", len(got), len(want))
	}
	bad := 0
	for em, card := range want {
		c, ok := got[em]
		if !ok {
			e.t.Errorf("no contact for %q", em)
			continue
		}
		if c.Properties["sansan_person_id"] != card.PersonID || c.Properties["sansan_card_id"] != card.ID {
			bad++
			if bad < 5 {
				e.t.Errorf("contact %q from person %s card %s, want person %s card %s", em,
					c.Properties["sansan_person_id"], c.Properties["sansan_card_id"], card.PersonID, card.ID)
			}
		}
		if ln := strings.TrimSpace(deref(card.LastName)); ln != "" && c.Properties["lastname"] == "" {
			e.t.Errorf("contact %q has no lastname, card has %q", em, ln)
		}
	}
}

// countingRT counts requests and can cancel a context after the k-th write
// reaches the server: the write happens, the client never sees the answer.
type countingRT struct {
	next    http.RoundTripper
	n       atomic.Int64
	writes  atomic.Int64
	cancelK atomic.Int64
	cancel  atomic.Pointer[context.CancelFunc]
}

func (c *countingRT) RoundTrip(r *http.Request) (*http.Response, error) {
	c.n.Add(1)
	write := r.Method != http.MethodGet && !strings.HasSuffix(r.URL.Path, "/search") && !strings.HasSuffix(r.URL.Path, "/read") &&
		strings.Contains(r.URL.Path, "/objects/contacts")
	resp, err := c.next.RoundTrip(r)
	if write {
		if k := c.writes.Add(1); k == c.cancelK.Load() {
			if f := c.cancel.Load(); f != nil {
				(*f)()
			}
			if err == nil {
				resp.Body.Close()
			}
			return nil, context.Canceled
		}
	}
	return resp, err
}

func sortedKeys[M ~map[string]V, V any](m M) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}
