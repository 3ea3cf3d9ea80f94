package syncer_test

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cardbridge/sansanhubspot/hubspot"
	"github.com/cardbridge/sansanhubspot/hubspot/hubspottest"
	"github.com/cardbridge/sansanhubspot/mapping"
	"github.com/cardbridge/sansanhubspot/sansan/sansantest"
	"github.com/cardbridge/sansanhubspot/syncer"
)

// sansanWrites counts card registrations: cards the fake holds beyond the
// seeded ones (a POST /bizCards request can also be the engine's preflight
// probe of the endpoint, which registers nothing).
func (e *env) sansanWrites() int { return len(e.ss.Fake.Cards()) - e.seeded }

func (e *env) newContacts(n int, prefix string) []hubspottest.Contact {
	e.t.Helper()
	var out []hubspottest.Contact
	for i := range n {
		c, err := e.hs.Fake.CreateContact(map[string]string{
			"email": fmt.Sprintf("%s%d@hubspot-only.example.jp", prefix, i), "firstname": "花子", "lastname": fmt.Sprintf("山田%d", i),
			"company": "株式会社ハブ", "jobtitle": "部長",
		})
		if err != nil {
			e.t.Fatal(err)
		}
		out = append(out, c)
	}
	return out
}

func TestHubSpotToSansanRegistersOnce(t *testing.T) {
	t.Parallel()
	e := newEnv(t, 30, 20)
	contacts := e.newContacts(5, "new")
	if _, err := e.hs.Fake.CreateContact(map[string]string{"firstname": "メールなし"}); err != nil {
		t.Fatal(err)
	}
	eng := e.engine(func(c *syncer.Config) { c.Direction = syncer.HubSpotToSansan })
	rep := e.syncOnce(eng)
	if rep.Created != 5 || rep.ExcludedByReason["no_email"] != 1 {
		t.Fatalf("report %s; want 5 created, 1 without email", rep)
	}
	for _, c := range contacts {
		found := false
		for _, card := range e.ss.Fake.Cards() {
			if card.Email != nil && *card.Email == c.Properties["email"] {
				found = true
				if deref(card.LastName) != c.Properties["lastname"] || deref(card.CompanyName) != "株式会社ハブ" {
					t.Errorf("card %s: last name %q company %q", card.ID, deref(card.LastName), deref(card.CompanyName))
				}
			}
		}
		if !found {
			t.Errorf("no card registered for %s", c.Properties["email"])
		}
	}
	w := e.sansanWrites()
	for range 3 {
		e.syncOnce(eng)
	}
	if got := e.sansanWrites() - w; got != 0 {
		t.Errorf("later passes registered %d more cards", got)
	}
}

// TestRegisterCrashBeforeLink: the card is registered but the link is
// never saved (the store fails); the next pass finds the card by email
// instead of registering it again.
func TestRegisterCrashBeforeLink(t *testing.T) {
	t.Parallel()
	e := newEnv(t, 0, 21)
	e.newContacts(3, "crash")
	fs := &failingStore{MemoryStore: e.store}
	fs.failPuts.Store(1)
	eng := e.engine(func(c *syncer.Config) { c.Direction = syncer.HubSpotToSansan; c.Store = fs })
	if _, err := eng.SyncOnce(t.Context()); err == nil {
		t.Fatal("want the store failure")
	}
	if got := e.sansanWrites(); got != 3 {
		t.Fatalf("%d registrations before the crash, want 3", got)
	}
	e.syncOnce(e.engine(func(c *syncer.Config) { c.Direction = syncer.HubSpotToSansan; c.Store = fs }))
	if got := e.sansanWrites(); got != 3 {
		t.Errorf("%d registrations after restart, want still 3", got)
	}
	if n := len(e.ss.Fake.Cards()); n != 3 {
		t.Errorf("%d cards in Sansan, want 3", n)
	}
}

type failingStore struct {
	*syncer.MemoryStore
	failPuts atomic.Int64
}

func (s *failingStore) PutLinks(ctx context.Context, links []*syncer.Link) error {
	if s.failPuts.Add(-1) >= 0 {
		return fmt.Errorf("disk full")
	}
	return s.MemoryStore.PutLinks(ctx, links)
}

// TestTwoWayConvergesWithoutEcho: after the pass that exchanges the
// records, passes write nothing in either direction.
func TestTwoWayConvergesWithoutEcho(t *testing.T) {
	t.Parallel()
	e := newEnv(t, 300, 22)
	e.newContacts(4, "two")
	eng := e.engine(func(c *syncer.Config) { c.Direction = syncer.TwoWay })
	for range 2 {
		e.syncOnce(eng)
	}
	hw, sw := e.writes(), e.sansanWrites()
	for i := range 3 {
		rep := e.syncOnce(eng)
		if rep.Created+rep.Updated != 0 || len(rep.SansanChangesNotApplied) != 0 {
			t.Errorf("pass %d: %s, changes not applied %v", i+3, rep, rep.SansanChangesNotApplied)
		}
	}
	if e.writes() != hw || e.sansanWrites() != sw {
		t.Errorf("echo: %d hubspot and %d sansan writes after convergence", e.writes()-hw, e.sansanWrites()-sw)
	}
	if e.sansanWrites() != 4 {
		t.Errorf("%d cards registered, want 4", e.sansanWrites())
	}
	e.checkState(e.expected())
}

// TestTwoWayConflicts: a field changed on both sides resolves by the
// mapping's winner; a HubSpot-only change is reported, not dropped.
func TestTwoWayConflicts(t *testing.T) {
	t.Parallel()
	e := newEnv(t, 200, 23)
	set := mapping.Default()
	m, _ := set.Get("jobtitle")
	m.Winner = mapping.WinnerHubSpot
	if err := set.Override(m); err != nil {
		t.Fatal(err)
	}
	eng := e.engine(func(c *syncer.Config) { c.Direction = syncer.TwoWay; c.Mapping = set })
	e.syncOnce(eng)
	e.syncOnce(eng)
	want := e.expected()
	ems := sortedKeys(want)
	hubWins, sansanWins := ems[0], ems[1]
	for _, em := range []string{hubWins, sansanWins} {
		c, _ := e.hs.Fake.ContactByEmail(em)
		if _, err := e.hs.Fake.UpdateContact(c.ID, map[string]string{"jobtitle": "HubSpot役職", "company": "HubSpot社"}); err != nil {
			t.Fatal(err)
		}
	}
	time.Sleep(10 * time.Millisecond)
	for _, em := range []string{hubWins, sansanWins} {
		if _, err := e.ss.Fake.UpdateCard(want[em].ID, func(c *sansantest.Card) {
			c.Title = sansantest.Ptr("Sansan役職")
			c.CompanyName = sansantest.Ptr("Sansan社")
		}); err != nil {
			t.Fatal(err)
		}
	}
	// The H→S half of this pass sees the HubSpot edits; the next pass's
	// S→H half resolves them against the card edits.
	rep := e.syncOnce(eng)
	t.Logf("pass: %s not applied %v", rep, rep.SansanChangesNotApplied)
	rep = e.syncOnce(eng)
	for _, em := range []string{hubWins, sansanWins} {
		c, _ := e.hs.Fake.ContactByEmail(em)
		// jobtitle: HubSpot wins. company: Sansan wins (the default).
		if c.Properties["jobtitle"] != "HubSpot役職" {
			t.Errorf("%s jobtitle = %q, want HubSpot's value", em, c.Properties["jobtitle"])
		}
		if c.Properties["company"] != "Sansan社" {
			t.Errorf("%s company = %q, want Sansan's value", em, c.Properties["company"])
		}
	}
	_ = rep
}

// TestIdenticalTimestamps walks 12,000 contacts sharing one
// lastmodifieddate, past HubSpot's 10,000-result search cap (30,000, three
// times the cap, in the soak run).
func TestIdenticalTimestamps(t *testing.T) {
	t.Parallel()
	e := newEnv(t, 0, 24)
	n := 12000
	if soak() {
		n = 30000
	}
	ids := make([]string, 0, n)
	for i := range n {
		c, err := e.hs.Fake.CreateContact(map[string]string{"email": fmt.Sprintf("bulk%05d@example.jp", i)})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, c.ID)
	}
	if err := e.hs.Fake.SetContactsModifiedAt(ids, time.Now().Add(-time.Hour)); err != nil {
		t.Fatal(err)
	}
	// Exclude everything client-side so the test measures reading only.
	eng := e.engine(func(c *syncer.Config) {
		c.Direction = syncer.HubSpotToSansan
		c.ContactFilter.Match = func(*hubspot.Contact) bool { return false }
	})
	rep := e.syncOnce(eng)
	var read int
	for _, a := range rep.Accounts {
		if a.Direction == syncer.HubSpotToSansan {
			read += a.Read
		}
	}
	if read != n || rep.ExcludedByReason["filtered"] != n {
		t.Errorf("read %d contacts, filtered %d; want %d", read, rep.ExcludedByReason["filtered"], n)
	}
}

// TestWebhookNotify: a contact created in HubSpot reaches Sansan through a
// webhook without waiting for the interval; the latency is logged.
func TestWebhookNotify(t *testing.T) {
	t.Parallel()
	e := newEnv(t, 0, 25)
	eng := e.engine(func(c *syncer.Config) { c.Direction = syncer.HubSpotToSansan; c.Interval = time.Hour })
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	errc := make(chan error, 1)
	go func() { errc <- eng.Run(ctx) }()
	time.Sleep(50 * time.Millisecond) // let the initial pass finish its empty window
	c := e.newContacts(1, "hook")[0]
	var id int64
	fmt.Sscan(c.ID, &id)
	start := time.Now()
	if err := eng.Notify(ctx, []hubspot.WebhookEvent{{SubscriptionType: "contact.creation", ObjectID: id}, {SubscriptionType: "contact.creation", ObjectID: id}}); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for e.sansanWrites() == 0 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if e.sansanWrites() != 1 {
		t.Fatalf("%d registrations after the webhook, want 1", e.sansanWrites())
	}
	t.Logf("webhook → card registered in %s", time.Since(start))
	cancel()
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
	found := false
	for _, card := range e.ss.Fake.Cards() {
		found = found || strings.HasPrefix(deref(card.Email), "hook0@")
	}
	if !found {
		t.Error("the registered card has the wrong email")
	}
}
