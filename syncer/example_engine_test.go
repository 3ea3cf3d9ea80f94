package syncer_test

import (
	"context"
	"fmt"
	"log"
	"net/http/httptest"
	"strings"
	"sync"
	"time"

	"github.com/cardbridge/sansanhubspot/hubspot"
	"github.com/cardbridge/sansanhubspot/hubspot/hubspottest"
	"github.com/cardbridge/sansanhubspot/sansan"
	"github.com/cardbridge/sansanhubspot/sansan/sansantest"
	"github.com/cardbridge/sansanhubspot/syncer"
)

// Run syncs until its context ends: the initial sync at once, then a pass
// every Interval. Here OnPass reports each pass, a card is edited after the
// first one, and the third cancels the context, as a service's SIGTERM
// handler would.
func ExampleEngine_Run() {
	f := startFakes(200)
	defer f.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	passes := 0
	eng, err := syncer.New(syncer.Config{
		HubSpot:  f.HubSpotClient,
		Accounts: []syncer.Account{{Name: "tokyo", Client: f.SansanClient}},
		Store:    syncer.NewMemoryStore(), // a durable store in a service (syncer/filestore)
		Interval: 10 * time.Millisecond,   // 1 minute by default
		OnPass: func(r *syncer.Report, err error) {
			passes++
			fmt.Printf("pass %d: initial %t, created %d, updated %d, unchanged %d, error %v\n",
				passes, r.Initial, r.Created, r.Updated, r.Unchanged, err)
			switch passes {
			case 1: // someone edits a card in Sansan
				card := f.Sansan.Fake.Cards()[0]
				if _, err := f.Sansan.Fake.UpdateCard(card.ID, func(c *sansantest.Card) { c.Title = sansantest.Ptr("部長") }); err != nil {
					log.Fatal(err)
				}
			case 3:
				cancel()
			}
		},
	})
	if err != nil {
		log.Fatal(err)
	}
	if err := eng.Run(ctx); err != nil { // nil when ctx ends
		log.Fatal(err)
	}
	fmt.Println("Run returned after", passes, "passes")
	// Output:
	// pass 1: initial true, created 110, updated 0, unchanged 0, error <nil>
	// pass 2: initial false, created 0, updated 1, unchanged 0, error <nil>
	// pass 3: initial false, created 0, updated 0, unchanged 1, error <nil>
	// Run returned after 3 passes
}

// Notify takes HubSpot's webhook events, here from hubspot.WebhookHandler,
// which verifies their signature: the contacts they name are read in the
// next pass, which Run starts at once instead of waiting for the interval.
func ExampleEngine_Notify() {
	const secret = "the app's client secret"
	var eng *syncer.Engine
	// The app's webhook endpoint; HubSpot calls it over HTTPS.
	receiver := httptest.NewTLSServer(&hubspot.WebhookHandler{
		ClientSecret: secret,
		Handle: func(ctx context.Context, events []hubspot.WebhookEvent) error {
			return eng.Notify(ctx, events) // only queues the contacts: answer HubSpot fast
		},
	})
	defer receiver.Close()
	// A HubSpot fake that delivers webhooks to the receiver, as HubSpot
	// delivers them to the app's target URL.
	f := startFakes(0, hubspottest.WithWebhooks(hubspottest.WebhookConfig{
		TargetURL: receiver.URL + "/webhooks/hubspot", ClientSecret: secret, Client: receiver.Client(),
	}))
	defer f.Close()

	passed := make(chan *syncer.Report, 10)
	var err error
	eng, err = syncer.New(syncer.Config{
		HubSpot:   f.HubSpotClient,
		Accounts:  []syncer.Account{{Name: "tokyo", Client: f.SansanClient}},
		Store:     syncer.NewMemoryStore(),
		Direction: syncer.HubSpotToSansan,
		Interval:  time.Hour, // webhooks, not the interval, start the next pass
		OnPass:    func(r *syncer.Report, _ error) { passed <- r },
	})
	if err != nil {
		log.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- eng.Run(ctx) }()
	<-passed // the initial sync: HubSpot has no contact yet

	// A person adds a contact in HubSpot; HubSpot sends a webhook.
	if _, err := f.HubSpot.Fake.CreateContact(map[string]string{
		"email": "hanako.yamada@example.co.jp", "firstname": "花子", "lastname": "山田", "company": "株式会社ハブ",
	}); err != nil {
		log.Fatal(err)
	}
	select {
	case r := <-passed:
		fmt.Println("pass after the webhook: cards registered in Sansan:", r.Created)
	case <-time.After(10 * time.Second):
		log.Fatal("no pass after the webhook")
	}
	cancel()
	if err := <-done; err != nil {
		log.Fatal(err)
	}
	for _, c := range f.Sansan.Fake.Cards() {
		fmt.Println("card:", *c.LastName, *c.FirstName, *c.Email)
	}
	// Output:
	// pass after the webhook: cards registered in Sansan: 1
	// card: 山田 花子 hanako.yamada@example.co.jp
}

// A dry run (Config.DryRun) computes a full pass, what it would create,
// update and exclude and why, reading both services and writing to
// neither, nor to the store.
func ExampleConfig_dryRun() {
	f := startFakes(200)
	defer f.Close()
	ctx := context.Background()
	cfg := syncer.Config{
		HubSpot:  f.HubSpotClient,
		Accounts: []syncer.Account{{Name: "tokyo", Client: f.SansanClient}},
		Store:    syncer.NewMemoryStore(),
		DryRun:   true,
	}
	eng, err := syncer.New(cfg)
	if err != nil {
		log.Fatal(err)
	}
	plan, err := eng.SyncOnce(ctx)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("dry run %t: would create %d, excluded %d %v\n", plan.DryRun, plan.Created, plan.Excluded, plan.ExcludedByReason)
	fmt.Println("contacts in HubSpot:", f.HubSpot.Fake.NumContacts())

	cfg.DryRun = false // the plan looks right: sync for real, on the same store
	eng, err = syncer.New(cfg)
	if err != nil {
		log.Fatal(err)
	}
	report, err := eng.SyncOnce(ctx)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("created:", report.Created, "contacts in HubSpot:", f.HubSpot.Fake.NumContacts())
	// Output:
	// dry run true: would create 110, excluded 19 map[duplicate_email:1 invalid_email:4 no_email:14]
	// contacts in HubSpot: 0
	// created: 110 contacts in HubSpot: 110
}

// Config.Progress is called as a pass reads and writes, with the running
// counts of one account and direction, named as in AccountReport; Done
// marks its last call. A terminal shows a progress bar from it; this
// prints the last call of each account.
func ExampleProgress() {
	f := startFakes(200)
	defer f.Close()
	eng, err := syncer.New(syncer.Config{
		HubSpot: f.HubSpotClient,
		Accounts: []syncer.Account{
			{Name: "tokyo", Client: f.SansanClient},
			{Name: "osaka", Client: f.sansanClient(f.Users[1])}, // sees fewer cards
		},
		Store: syncer.NewMemoryStore(),
		Progress: func(p syncer.Progress) {
			if p.Done {
				fmt.Printf("%s %s: read %d, created %d, updated %d, unchanged %d, excluded %d, failed %d\n",
					p.Account, p.Direction, p.Read, p.Created, p.Updated, p.Unchanged, p.Excluded, p.Failed)
			}
		},
	})
	if err != nil {
		log.Fatal(err)
	}
	if _, err := eng.SyncOnce(context.Background()); err != nil {
		log.Fatal(err)
	}
	// Output:
	// tokyo sansan_to_hubspot: read 129, created 110, updated 0, unchanged 0, excluded 19, failed 0
	// osaka sansan_to_hubspot: read 36, created 0, updated 0, unchanged 32, excluded 4, failed 0
}

// countingStore is a Store of your own: here a wrapper around another
// store that counts what the engine saves and logs each checkpoint. Any
// Store works, a database of your choice included; run storetest.Run on it
// to check the contract. Embedding the interface forwards the methods not
// overridden; forward the optional interfaces the wrapped store has
// (syncer.MetaStore, syncer.LinkLister) the same way when they are needed.
type countingStore struct {
	syncer.Store
	mu      sync.Mutex
	persons map[string]bool
	streams map[string]bool
}

// PutLinks counts the persons whose links are saved, then saves them.
func (s *countingStore) PutLinks(ctx context.Context, links []*syncer.Link) error {
	s.mu.Lock()
	for _, l := range links {
		s.persons[l.PersonID] = true
	}
	s.mu.Unlock()
	return s.Store.PutLinks(ctx, links)
}

// PutCheckpoint notes the stream, then saves its checkpoint.
func (s *countingStore) PutCheckpoint(ctx context.Context, stream string, cp syncer.Checkpoint) error {
	s.mu.Lock()
	s.streams[stream] = true
	s.mu.Unlock()
	return s.Store.PutCheckpoint(ctx, stream, cp)
}

// Config.Store takes any Store: countingStore wraps the memory store.
func ExampleStore() {
	f := startFakes(200)
	defer f.Close()
	store := &countingStore{Store: syncer.NewMemoryStore(), persons: map[string]bool{}, streams: map[string]bool{}}
	eng, err := syncer.New(syncer.Config{
		HubSpot:  f.HubSpotClient,
		Accounts: []syncer.Account{{Name: "tokyo", Client: f.SansanClient}},
		Store:    store,
	})
	if err != nil {
		log.Fatal(err)
	}
	report, err := eng.SyncOnce(context.Background())
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("created:", report.Created, "excluded:", report.Excluded)
	fmt.Println("persons linked:", len(store.persons), "streams checkpointed:", len(store.streams))
	// Output:
	// created: 110 excluded: 19
	// persons linked: 129 streams checkpointed: 1
}

// Three filters decide which cards sync: an account's TagIDs (public or
// shared tags, checked against Sansan before anything is written),
// Config.CardFilter, and the email policy (cards without a valid email are
// excluded by default). Cards left out are reported as excluded, by
// reason.
func ExampleConfig_filters() {
	f := startFakes(200)
	defer f.Close()
	var tag sansantest.Tag
	for _, t := range f.Sansan.Fake.Tags() {
		if t.Name == "HubSpot連携" {
			tag = t
		}
	}
	eng, err := syncer.New(syncer.Config{
		HubSpot: f.HubSpotClient,
		Accounts: []syncer.Account{{
			Name:   "tokyo",
			Client: f.SansanClient,
			TagIDs: []string{tag.ID}, // only cards with this tag are listed
		}},
		Store: syncer.NewMemoryStore(),
		// Only cards of a kabushiki kaisha sync.
		CardFilter: func(c *sansan.BizCard) bool {
			return c.CompanyName != nil && strings.Contains(*c.CompanyName, "株式会社")
		},
	})
	if err != nil {
		log.Fatal(err)
	}
	report, err := eng.SyncOnce(context.Background())
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("read:", report.Accounts[0].Read, "created:", report.Created)
	fmt.Println("excluded:", report.ExcludedByReason)
	// Output:
	// read: 129 created: 4
	// excluded: map[filtered:125]
}

// A ContactFilter limits the contacts that flow to Sansan: conditions in
// HubSpot's search operators (sent with the search when they fit, and
// checked again on every contact) and an optional predicate.
func ExampleContactFilter() {
	f := startFakes(0)
	defer f.Close()
	for _, c := range []map[string]string{
		{"email": "customer@example.co.jp", "lastname": "顧客", "lifecyclestage": "customer"},
		{"email": "lead@example.co.jp", "lastname": "見込", "lifecyclestage": "lead"},
		{"email": "partner@example.co.jp", "lastname": "協力", "lifecyclestage": "customer", "jobtitle": "パートナー"},
	} {
		if _, err := f.HubSpot.Fake.CreateContact(c); err != nil {
			log.Fatal(err)
		}
	}
	eng, err := syncer.New(syncer.Config{
		HubSpot:   f.HubSpotClient,
		Accounts:  []syncer.Account{{Name: "tokyo", Client: f.SansanClient}},
		Store:     syncer.NewMemoryStore(),
		Direction: syncer.HubSpotToSansan,
		ContactFilter: syncer.ContactFilter{
			Conditions: []hubspot.Filter{{PropertyName: "lifecyclestage", Operator: hubspot.OperatorEQ, Value: "customer"}},
			Match: func(c *hubspot.Contact) bool {
				title, _ := c.Properties.Get("jobtitle")
				return title != "パートナー"
			},
		},
	})
	if err != nil {
		log.Fatal(err)
	}
	report, err := eng.SyncOnce(context.Background())
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("registered in Sansan:", report.Created, "excluded:", report.ExcludedByReason)
	for _, c := range f.Sansan.Fake.Cards() {
		fmt.Println("card:", *c.Email)
	}
	// Output:
	// registered in Sansan: 1 excluded: map[filtered:1]
	// card: customer@example.co.jp
}

// TwoWay syncs both ways in every pass. HubSpot's changes are read first:
// a contact no card made is registered in Sansan as a card, and cards are
// written to contacts. The registered card's Sansan ids are written back
// to its contact by the Sansan half of the same pass, or of the next one
// when the card's update time falls after the pass's window. Sansan's API
// cannot update a card, so HubSpot edits of linked contacts are reported
// (Report.SansanChangesNotApplied), not applied. Once both sides agree, a
// pass writes nothing: the engine's own writes do not echo back.
func ExampleDirection() {
	f := startFakes(100)
	defer f.Close()
	only, err := f.HubSpot.Fake.CreateContact(map[string]string{
		"email": "only.in.hubspot@example.co.jp", "firstname": "太郎", "lastname": "佐藤", "company": "株式会社ハブ",
	})
	if err != nil {
		log.Fatal(err)
	}
	eng, err := syncer.New(syncer.Config{
		HubSpot:   f.HubSpotClient,
		Accounts:  []syncer.Account{{Name: "tokyo", Client: f.SansanClient}},
		Store:     syncer.NewMemoryStore(),
		Direction: syncer.TwoWay,
	})
	if err != nil {
		log.Fatal(err)
	}
	// written counts a pass's records created and updated, by direction.
	written := func() map[syncer.Direction][2]int {
		report, err := eng.SyncOnce(context.Background())
		if err != nil {
			log.Fatal(err)
		}
		out := map[syncer.Direction][2]int{}
		for _, a := range report.Accounts {
			out[a.Direction] = [2]int{a.Created, a.Updated}
		}
		return out
	}
	first, second := written(), written()
	fmt.Println("registered in Sansan:", first[syncer.HubSpotToSansan][0])
	fmt.Println("created in HubSpot:", first[syncer.SansanToHubSpot][0])
	fmt.Println("contacts given their card's Sansan ids:", first[syncer.SansanToHubSpot][1]+second[syncer.SansanToHubSpot][1])
	c, _ := f.HubSpot.Fake.Contact(only.ID)
	fmt.Println("the HubSpot-only contact has a sansan_card_id:", c.Properties["sansan_card_id"] != "")
	fmt.Println("then a pass writes:", written())
	// Output:
	// registered in Sansan: 1
	// created in HubSpot: 50
	// contacts given their card's Sansan ids: 1
	// the HubSpot-only contact has a sansan_card_id: true
	// then a pass writes: map[sansan_to_hubspot:[0 0] hubspot_to_sansan:[0 0]]
}
