package pgstore_test

import (
	"database/sql"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cardbridge/sansanhubspot/hubspot"
	"github.com/cardbridge/sansanhubspot/hubspot/hubspottest"
	"github.com/cardbridge/sansanhubspot/internal/testutil"
	"github.com/cardbridge/sansanhubspot/mapping"
	"github.com/cardbridge/sansanhubspot/sansan"
	"github.com/cardbridge/sansanhubspot/sansan/sansantest"
	"github.com/cardbridge/sansanhubspot/syncer"
	"github.com/cardbridge/sansanhubspot/syncer/pgstore"
	"golang.org/x/time/rate"
)

// The SIGKILL test of RELIABILITY.md on PostgreSQL. The default run kills
// the child at its first request and at the first, middle and last contact
// write and card registration: 4 crash points one-way (1,500 cards), 7
// two-way (200 cards, 40 HubSpot-only contacts), about 10 s on two cores,
// most of it waiting for leases to expire. SANSANHUBSPOT_SOAK=1, the switch
// of the root module's reliability suite, kills at every request of the
// pass, two-way on 400 cards and 80 HubSpot-only contacts:
//
//	SANSANHUBSPOT_PG_DSN=... go test -run TestKill .
//	SANSANHUBSPOT_PG_DSN=... SANSANHUBSPOT_SOAK=1 go test -run TestKill -timeout 30m .
//
// SANSANHUBSPOT_FIGURES names a file the figures are appended to as JSON
// lines, as in the root module.

// Environment of the child process of TestKill (the DSN is inherited).
const (
	envPGKillChild = "SANSANHUBSPOT_PGKILL_CHILD"
	envPGKillHub   = "SANSANHUBSPOT_PGKILL_HUB"
	envPGKillSS    = "SANSANHUBSPOT_PGKILL_SS"
	envPGKillKey   = "SANSANHUBSPOT_PGKILL_KEY"
	envPGKillConn  = "SANSANHUBSPOT_PGKILL_CONNECTION"
	envPGKillDir   = "SANSANHUBSPOT_PGKILL_DIRECTION"
)

// killTTL is the lease TTL of the child and of the parent: the parent
// waits up to this long after the kill for the dead holder's lease to
// expire.
const killTTL = time.Second

// killInFlight is the write concurrency of the child and the parent: the
// kill lands between sends and saved outcomes.
const killInFlight = 4

// TestKillChild is the child process of TestKill: one pass on a
// pgstore.Store under the store's Locker. It does nothing in a normal run.
func TestKillChild(t *testing.T) {
	if os.Getenv(envPGKillChild) == "" {
		t.Skip("runs only as the child of TestKill")
	}
	dir, err := syncer.ParseDirection(os.Getenv(envPGKillDir))
	if err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("pgx", os.Getenv(dsnEnv))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	store := pgstore.New(db, os.Getenv(envPGKillConn))
	eng := killEngine(t, os.Getenv(envPGKillHub), os.Getenv(envPGKillSS), os.Getenv(envPGKillKey),
		store, store.Locker("engine", "child", killTTL), dir)
	if _, err := eng.SyncOnce(t.Context()); err != nil {
		t.Fatal(err)
	}
}

// killEngine builds the engine of the child and of the parent: clients
// that neither rate-limit nor wait, the store and its Locker.
func killEngine(t *testing.T, hubURL, ssURL, apiKey string, store *pgstore.Store, locker syncer.Locker, dir syncer.Direction) *syncer.Engine {
	t.Helper()
	hub, err := hubspot.NewClient(hubspottest.DefaultToken, hubspot.WithBaseURL(hubURL),
		hubspot.WithRateLimit(rate.Inf, 0), hubspot.WithSearchRateLimit(rate.Inf, 0), hubspot.WithSleep(noSleep))
	if err != nil {
		t.Fatal(err)
	}
	ss, err := sansan.NewClient(apiKey, sansan.WithBaseURL(ssURL), sansan.WithRateLimit(rate.Inf, 0), sansan.WithSleep(noSleep))
	if err != nil {
		t.Fatal(err)
	}
	eng, err := syncer.New(syncer.Config{HubSpot: hub, Accounts: []syncer.Account{{Name: "tokyo", Client: ss}},
		Store: store, Locker: locker, Direction: dir, WriteConcurrency: killInFlight,
		// Several pages per pass: the checkpoint moves during the pass.
		PageSize: 100})
	if err != nil {
		t.Fatal(err)
	}
	return eng
}

// pgKillCase is one configuration of TestKill.
type pgKillCase struct {
	name  string
	cards int
	dir   syncer.Direction
	// hubOnly HubSpot contacts exist before the sync; two-way registers
	// them in Sansan.
	hubOnly int
	// sansanToo counts Sansan requests as kill points too (a kill right
	// after POST /bizCards registered a card).
	sansanToo bool
	// points is how many crash points are spread evenly over the pass
	// besides the writes (see killPoints).
	points int
}

// TestKill runs the initial sync in a child process on a pgstore.Store
// under the store's Locker (lease TTL 1 s) and kills the child with
// SIGKILL right after its k-th request was served (the fake acted; the
// child never saw the answer). This process then takes over the same
// connection: it is locked out until the dead holder's lease expires, then
// finishes from the child's links and checkpoint. Every run ends with
// exactly the expected contacts and values, none duplicated; two-way, every
// HubSpot-only contact is registered in Sansan exactly once.
func TestKill(t *testing.T) {
	t.Parallel()
	testDB(t)
	if testing.Short() {
		t.Skip("spawns processes")
	}
	cases := []pgKillCase{
		{name: "one-way", cards: 1500, points: 1},
		{name: "two-way", cards: 200, dir: syncer.TwoWay, hubOnly: 40, sansanToo: true, points: 1},
	}
	if testutil.Soak() {
		cases[1].cards, cases[1].hubOnly = 400, 80
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			runPGKill(t, tc)
		})
	}
}

func runPGKill(t *testing.T, tc pgKillCase) {
	// The probe counts the requests of an uninterrupted pass, as the
	// child's kill switch counts them.
	probeSW := &testutil.KillSwitch{}
	probe := newKillEnv(t, tc, probeSW)
	probeStore := newStore(t)
	probeEng := killEngine(t, probe.hs.URL, probe.ss.URL, probe.admin.APIKey, probeStore,
		probeStore.Locker("engine", "probe", killTTL), tc.dir)
	if _, err := probeEng.SyncOnce(t.Context()); err != nil {
		t.Fatal(err)
	}
	requests := probeSW.Recorded()
	total := len(requests)
	if total < 10 {
		t.Fatalf("only %d requests in the initial sync", total)
	}
	var tried, killed, lockedOut, lost, dups, wrong, regTwice atomic.Int64
	var maxTakeover atomic.Int64
	t.Cleanup(func() {
		testutil.Figures(t, "kill/pgstore-"+tc.name, map[string]any{"cards": tc.cards, "hub_only": tc.hubOnly,
			"requests_per_sync": total, "crash_points": tried.Load(), "sigkills": killed.Load(),
			"locked_out": lockedOut.Load(), "max_takeover_ms": maxTakeover.Load(),
			"lost": lost.Load(), "duplicates": dups.Load(), "wrong_values": wrong.Load(),
			"cards_registered_twice": regTwice.Load()})
	})
	for _, k := range killPoints(requests, tc.points) {
		t.Run(fmt.Sprintf("k=%d", k), func(t *testing.T) {
			t.Parallel()
			sw := &testutil.KillSwitch{K: k}
			e := newKillEnv(t, tc, sw)
			store := newStore(t)
			cmd := exec.CommandContext(t.Context(), os.Args[0], "-test.run=^TestKillChild$", "-test.count=1")
			cmd.Env = append(os.Environ(), envPGKillChild+"=1", envPGKillHub+"="+e.hs.URL, envPGKillSS+"="+e.ss.URL,
				envPGKillKey+"="+e.admin.APIKey, envPGKillConn+"="+store.Connection(), envPGKillDir+"="+tc.dir.String())
			sw.Run(t, cmd)
			killedAt := time.Now()
			killed.Add(1)

			// A fresh store and engine in this process on the dead child's
			// connection, with their own holder id.
			parent := pgstore.New(testDB(t), store.Connection())
			eng := killEngine(t, e.hs.URL, e.ss.URL, e.admin.APIKey, parent, parent.Locker("engine", "parent", killTTL), tc.dir)
			start := time.Now()
			rep, err := eng.SyncOnce(t.Context())
			if errors.Is(err, syncer.ErrLocked) {
				lockedOut.Add(1)
			} else if since := start.Sub(killedAt); since < killTTL/4 {
				// The child renewed its lease at most TTL/3 before it died.
				t.Fatalf("pass %v after the kill, while the dead holder's lease was live: err = %v, want ErrLocked",
					since.Round(time.Millisecond), err)
			}
			for deadline := killedAt.Add(killTTL + 5*time.Second); errors.Is(err, syncer.ErrLocked) && time.Now().Before(deadline); {
				time.Sleep(20 * time.Millisecond)
				start = time.Now()
				rep, err = eng.SyncOnce(t.Context())
			}
			if err != nil {
				t.Fatalf("first pass after the kill: %v", err)
			}
			// The takeover: from the kill to the start of the pass that
			// got the lease.
			took := start.Sub(killedAt).Milliseconds()
			for {
				m := maxTakeover.Load()
				if took <= m || maxTakeover.CompareAndSwap(m, took) {
					break
				}
			}
			finishPasses(t, eng, rep, tc.dir)
			tried.Add(1)
			l, d, w, r := e.check(t, tc)
			lost.Add(int64(l))
			dups.Add(int64(d))
			wrong.Add(int64(w))
			regTwice.Add(int64(r))
		})
	}
}

// finishPasses runs passes after the first one (rep) until one writes
// nothing, at most 4 in all: two-way, the pass after the one that
// registers cards carries their ids back to HubSpot.
func finishPasses(t *testing.T, eng *syncer.Engine, rep *syncer.Report, dir syncer.Direction) {
	t.Helper()
	for i := 0; ; i++ {
		if rep.Failed != 0 {
			t.Errorf("pass %d after the kill: %d failed: %+v", i+1, rep.Failed, rep.Failures)
		}
		if rep.Created+rep.Updated == 0 && (dir == syncer.SansanToHubSpot || i > 0) {
			return
		}
		if i == 3 {
			t.Errorf("no quiet pass after 4 passes")
			return
		}
		var err error
		if rep, err = eng.SyncOnce(t.Context()); err != nil {
			t.Fatalf("pass %d after the kill: %v", i+2, err)
		}
	}
}

// killPoints returns the k to try, given the requests of an
// uninterrupted pass: every one in a soak run; else n spread from the
// first request to the one before last (the request count of a pass
// varies by one between runs), and the first, middle and last contact
// write and card registration, where the store and the services part.
func killPoints(requests []string, n int) []int64 {
	total := len(requests)
	seen := map[int]bool{}
	add := func(k int) {
		if k >= 1 && k <= total {
			seen[k] = true
		}
	}
	if testutil.Soak() || total <= n {
		for k := 1; k <= total; k++ {
			add(k)
		}
	} else {
		for i := range n {
			add(1 + i*(total-2)/max(n-1, 1))
		}
		for _, write := range []string{"POST /crm/v3/objects/contacts/batch/", "POST /" + sansantest.DefaultVersion + "/bizCards"} {
			var at []int
			for i, r := range requests {
				if strings.HasPrefix(r, write) && !strings.HasSuffix(r, "/read") {
					at = append(at, i+1)
				}
			}
			if len(at) > 0 {
				add(at[0])
				add(at[len(at)/2])
				add(at[len(at)-1])
			}
		}
	}
	ks := make([]int64, 0, len(seen))
	for k := range seen {
		ks = append(ks, int64(k))
	}
	slices.Sort(ks)
	return ks
}

// killEnv is a Sansan tenant and a HubSpot portal behind a kill switch.
type killEnv struct {
	ss     *sansantest.Server
	hs     *hubspottest.Server
	admin  sansantest.User
	seeded int
}

func newKillEnv(t *testing.T, tc pgKillCase, sw *testutil.KillSwitch) *killEnv {
	t.Helper()
	e := &killEnv{}
	sf := sansantest.New()
	users := sansantest.DefaultUsers()
	for _, u := range users {
		sf.AddUser(u)
		if u.Admin {
			e.admin = u
		}
	}
	for _, tag := range sansantest.DefaultTags(users) {
		sf.AddTag(tag)
	}
	sf.Seed(sansantest.GenerateOptions{Seed: 71, Cards: tc.cards, Owners: users, Tags: sf.Tags()})
	e.seeded = len(sf.Cards())
	var sh http.Handler = sf
	if tc.sansanToo {
		sh = sw.Wrap(sh)
	}
	sts := httptest.NewServer(sh)
	t.Cleanup(sts.Close)
	e.ss = &sansantest.Server{URL: sts.URL + "/" + sansantest.DefaultVersion + "/", Fake: sf}

	hf := hubspottest.New()
	t.Cleanup(hf.Close)
	hts := httptest.NewServer(sw.Wrap(hf))
	t.Cleanup(hts.Close)
	e.hs = &hubspottest.Server{URL: hts.URL + "/", Fake: hf}
	for i := range tc.hubOnly {
		if _, err := hf.CreateContact(map[string]string{
			"email": fmt.Sprintf("hubonly%d@hubspot-only.example.jp", i), "firstname": "花子", "lastname": fmt.Sprintf("山田%d", i),
			"company": "株式会社ハブ", "jobtitle": "部長",
		}); err != nil {
			t.Fatal(err)
		}
	}
	return e
}

// expected computes, independently of the engine, the contact every valid
// email should end up as: the card (as the API lists it) with the newest
// exchange date, then update time, then card id.
func (e *killEnv) expected(t *testing.T) map[string]*sansan.BizCard {
	t.Helper()
	c, err := sansan.NewClient(e.admin.APIKey, sansan.WithBaseURL(e.ss.URL), sansan.WithRateLimit(rate.Inf, 0), sansan.WithSleep(noSleep))
	if err != nil {
		t.Fatal(err)
	}
	opts := &sansan.ListBizCardsOptions{
		UpdatedFrom:     time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC),
		UpdatedTo:       time.Now().Add(time.Hour),
		CardListOptions: sansan.CardListOptions{Range: sansan.RangeAll, IncludeTags: true, ListOptions: sansan.ListOptions{Limit: 300}},
	}
	key := func(c *sansan.BizCard) string {
		d := "0000-00-00" // a card without a date ranks below any dated card
		if c.ExchangeDate != nil {
			d = c.ExchangeDate.String()
		}
		return d + "|" + c.UpdatedTime.UTC().Format(time.RFC3339Nano) + "|" + c.ID
	}
	want := map[string]*sansan.BizCard{}
	for card, err := range c.BizCards.ListIter(t.Context(), opts) {
		if err != nil {
			t.Fatal(err)
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

// check compares HubSpot (and, two-way, Sansan) with the expected state:
// exactly one contact per expected email, from its winning card, with
// every mapped value of that card (blanks included), nothing else; each
// HubSpot-only contact registered once and no other card registered. It
// returns lost records, duplicate contacts, wrong values and extra
// registrations.
func (e *killEnv) check(t *testing.T, tc pgKillCase) (lost, dups, wrong, regTwice int) {
	t.Helper()
	if tc.hubOnly > 0 {
		perEmail := map[string]int{}
		cards := e.ss.Fake.Cards()
		for _, c := range cards {
			if em := deref(c.Email); strings.HasPrefix(em, "hubonly") {
				perEmail[em]++
			}
		}
		if len(perEmail) != tc.hubOnly {
			t.Errorf("%d HubSpot contacts registered in Sansan, want %d", len(perEmail), tc.hubOnly)
			lost += max(tc.hubOnly-len(perEmail), 0)
		}
		registered := 0
		for em, n := range perEmail {
			registered += n
			if n > 1 {
				regTwice += n - 1
				t.Errorf("%s registered %d times", em, n)
			}
		}
		if other := len(cards) - e.seeded - registered; other != 0 {
			t.Errorf("%d cards registered that are not HubSpot-only contacts", other)
			regTwice += max(other, 0)
		}
	}
	want := e.expected(t)
	got := map[string]hubspottest.Contact{}
	persons := map[string]int{}
	for _, c := range e.hs.Fake.Contacts() {
		if c.Archived {
			continue
		}
		em := strings.ToLower(c.Properties["email"])
		if _, dup := got[em]; dup {
			dups++
			t.Errorf("two contacts with email %q", em)
		}
		got[em] = c
		if p := c.Properties["sansan_person_id"]; p != "" {
			if persons[p]++; persons[p] > 1 {
				dups++
				t.Errorf("person %s has %d contacts", p, persons[p])
			}
		}
	}
	if len(got) != len(want) {
		t.Errorf("hubspot has %d contacts, want %d", len(got), len(want))
	}
	set := mapping.Default()
	for em, card := range want {
		c, ok := got[em]
		if !ok {
			lost++
			t.Errorf("no contact for %q", em)
			continue
		}
		wantProps := set.CardToProperties(card).Properties
		for _, m := range set.Mappings() {
			if _, ok := wantProps[m.Property]; !ok && !m.Disabled && m.Direction.FlowsToHubSpot() {
				wantProps[m.Property] = ""
			}
		}
		for k, v := range wantProps {
			g := c.Properties[k]
			if g == v || (k == "email" && strings.EqualFold(g, v)) {
				continue
			}
			if wrong++; wrong <= 5 {
				t.Errorf("contact %s: %s = %q, want %q (card %s)", em, k, g, v, card.ID)
			}
		}
	}
	if wrong > 5 {
		t.Errorf("... %d wrong values in all", wrong)
	}
	return lost, dups, wrong, regTwice
}

func deref(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}
