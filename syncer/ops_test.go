package syncer_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/time/rate"

	"github.com/cardbridge/sansanhubspot/hubspot"
	"github.com/cardbridge/sansanhubspot/hubspot/hubspottest"
	"github.com/cardbridge/sansanhubspot/mapping"
	"github.com/cardbridge/sansanhubspot/sansan/sansantest"
	"github.com/cardbridge/sansanhubspot/syncer"
)

// otherPortal returns a client of a second, empty HubSpot portal.
func otherPortal(t *testing.T, id int64) (*hubspot.Client, *hubspottest.Server) {
	t.Helper()
	hs := hubspottest.NewTestServer(t, hubspottest.WithPortalID(id))
	c, err := hubspot.NewClient(hubspottest.DefaultToken, hubspot.WithBaseURL(hs.URL),
		hubspot.WithRateLimit(rate.Inf, 0), hubspot.WithSearchRateLimit(rate.Inf, 0), hubspot.WithSleep(noSleep))
	if err != nil {
		t.Fatal(err)
	}
	return c, hs
}

func TestStoreBinding(t *testing.T) {
	t.Parallel()
	e := newEnv(t, 40, 11)
	ctx := t.Context()

	// A dry run on a new store binds nothing.
	if _, err := e.engine(func(c *syncer.Config) { c.DryRun = true }).SyncOnce(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := e.store.Meta(ctx, "binding"); !errors.Is(err, syncer.ErrNotFound) {
		t.Fatalf("binding after a dry run: err = %v, want ErrNotFound", err)
	}
	rep := e.syncOnce(e.engine(nil))
	if rep.Created == 0 {
		t.Fatal("first pass created nothing")
	}

	other, hs2 := otherPortal(t, hubspottest.DefaultPortalID+1)
	var member sansantest.User
	for _, u := range e.users {
		if !u.Admin {
			member = u
			break
		}
	}
	tests := []struct {
		name     string
		mut      func(*syncer.Config)
		wantWhat string
	}{
		{name: "another portal", mut: func(c *syncer.Config) { c.HubSpot = other }, wantWhat: "hubspot portal"},
		{name: "another sansan user", mut: func(c *syncer.Config) { c.Accounts[0].Client = e.sansanClient(member) }, wantWhat: `sansan account "tokyo"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			eng := e.engine(tt.mut)
			_, err := eng.SyncOnce(ctx)
			var mm *syncer.StoreMismatchError
			if !errors.As(err, &mm) || !errors.Is(err, syncer.ErrStoreMismatch) || !errors.Is(err, syncer.ErrConfig) {
				t.Fatalf("SyncOnce: err = %v, want a *StoreMismatchError matching ErrStoreMismatch and ErrConfig", err)
			}
			if mm.What != tt.wantWhat {
				t.Errorf("What = %q, want %q", mm.What, tt.wantWhat)
			}
			// Run stops on it rather than retrying for ever.
			rctx, cancel := context.WithTimeout(ctx, 10*time.Second)
			defer cancel()
			if err := eng.Run(rctx); !errors.Is(err, syncer.ErrStoreMismatch) {
				t.Errorf("Run: err = %v, want ErrStoreMismatch", err)
			}
		})
	}
	if n := len(hs2.Fake.Contacts()); n != 0 {
		t.Errorf("the other portal got %d contacts", n)
	}
	// A second account joins the binding; the first keeps its user.
	eng := e.engine(func(c *syncer.Config) {
		c.Accounts = append(c.Accounts, syncer.Account{Name: "osaka", Client: e.sansanClient(member)})
	})
	if _, err := eng.SyncOnce(ctx); err != nil {
		t.Fatalf("pass with an added account: %v", err)
	}
	_, err := e.engine(func(c *syncer.Config) {
		c.Accounts = []syncer.Account{{Name: "osaka", Client: e.sansanClient(e.admin())}}
	}).SyncOnce(ctx)
	if !errors.Is(err, syncer.ErrStoreMismatch) {
		t.Errorf("account osaka with another key: err = %v, want ErrStoreMismatch", err)
	}
}

// contactsBy returns the fake's contacts keyed by lower-case email.
func contactsBy(e *env) map[string]hubspottest.Contact {
	out := map[string]hubspottest.Contact{}
	for _, c := range e.hs.Fake.Contacts() {
		out[strings.ToLower(c.Properties["email"])] = c
	}
	return out
}

// withTitles counts the winning cards that have a title, and checks that
// each contact's jobtitle is the winning card's (want true) or empty.
func checkTitles(t *testing.T, e *env, want bool) int {
	t.Helper()
	got := contactsBy(e)
	n := 0
	for em, card := range e.expected() {
		title := strings.TrimSpace(deref(card.Title))
		if title != "" {
			n++
		}
		have := got[em].Properties["jobtitle"]
		switch {
		case want && title != "" && have == "":
			t.Errorf("contact %s has no jobtitle, card has %q", em, title)
		case !want && have != "":
			t.Errorf("contact %s has jobtitle %q before it was mapped", em, have)
		}
	}
	return n
}

func TestMappingChangeBackfills(t *testing.T) {
	t.Parallel()
	e := newEnv(t, 120, 12)
	ctx := t.Context()
	without := mapping.Default()
	if err := without.Disable("jobtitle"); err != nil {
		t.Fatal(err)
	}
	e.syncOnce(e.engine(func(c *syncer.Config) { c.Mapping = without }))
	checkTitles(t, e, false)

	// The mapping gains jobtitle: the next pass backfills it, even though
	// no card changed, and stops after k writes the first time.
	ctrl, stop := context.WithCancel(ctx)
	defer stop()
	e.hubRT.cancel.Store(&stop)
	e.hubRT.cancelK.Store(int64(e.hubRT.writes.Load() + 1))
	eng := e.engine(nil)
	rep, err := eng.SyncOnce(ctrl)
	if err == nil {
		t.Fatal("interrupted backfill pass: no error")
	}
	if len(rep.Backfills) != 1 || rep.Backfills[0].Done {
		t.Fatalf("interrupted pass: backfills = %+v, want one not done", rep.Backfills)
	}
	e.hubRT.cancelK.Store(0)
	rep = e.syncOnce(e.engine(nil))
	if len(rep.Backfills) != 1 {
		t.Fatalf("backfills = %+v, want one", rep.Backfills)
	}
	bf := rep.Backfills[0]
	if diff := cmp.Diff(&syncer.BackfillReport{Account: "tokyo", Reason: syncer.BackfillMappingChanged, Properties: []string{"jobtitle"},
		Read: bf.Read, Updated: bf.Updated, Unchanged: bf.Unchanged, Excluded: bf.Excluded, Done: true}, bf); diff != "" {
		t.Errorf("backfill report (-want +got):\n%s", diff)
	}
	if bf.Read < len(e.ss.Fake.Cards())-e.seeded || bf.Updated == 0 || bf.Failed != 0 || bf.Created != 0 {
		t.Errorf("backfill read %d, updated %d, created %d, failed %d", bf.Read, bf.Updated, bf.Created, bf.Failed)
	}
	checkTitles(t, e, true)

	// Settled: a quiet pass, no backfill, no write.
	w := e.writes()
	rep = e.syncOnce(e.engine(nil))
	if len(rep.Backfills) != 0 || e.writes() != w {
		t.Errorf("pass after the backfill: %d backfills, %d writes", len(rep.Backfills), e.writes()-w)
	}

	// Dropping the mapping again clears nothing and needs no backfill.
	rep = e.syncOnce(e.engine(func(c *syncer.Config) { c.Mapping = without }))
	if len(rep.Backfills) != 0 || e.writes() != w {
		t.Errorf("pass after unmapping: %d backfills, %d writes", len(rep.Backfills), e.writes()-w)
	}
	checkTitles(t, e, true)
}

func TestResync(t *testing.T) {
	t.Parallel()
	e := newEnv(t, 80, 13)
	ctx := t.Context()
	e.syncOnce(e.engine(nil))

	// Someone edits titles and cities in HubSpot.
	var edits []hubspot.BatchUpdateInput
	for _, c := range e.hs.Fake.Contacts() {
		if c.Properties["jobtitle"] != "" {
			edits = append(edits, hubspot.BatchUpdateInput{ID: c.ID, Properties: hubspot.PropertyValues{"jobtitle": "edited", "city": "edited"}})
		}
	}
	if len(edits) == 0 {
		t.Fatal("no contact with a title")
	}
	for chunk := range slices.Chunk(edits, 100) {
		if _, _, err := e.hub.Contacts.BatchUpdate(ctx, chunk); err != nil {
			t.Fatal(err)
		}
	}
	edited := func() (titles, cities int) {
		for _, c := range e.hs.Fake.Contacts() {
			if c.Properties["jobtitle"] == "edited" {
				titles++
			}
			if c.Properties["city"] == "edited" {
				cities++
			}
		}
		return
	}

	if _, err := e.engine(nil).Resync(ctx, syncer.ResyncOptions{Properties: []string{"no_such_property"}}); !errors.Is(err, syncer.ErrConfig) {
		t.Errorf("Resync of an unmapped property: err = %v, want ErrConfig", err)
	}
	if _, err := e.engine(nil).Resync(ctx, syncer.ResyncOptions{Accounts: []string{"nowhere"}}); !errors.Is(err, syncer.ErrConfig) {
		t.Errorf("Resync of an unknown account: err = %v, want ErrConfig", err)
	}

	w := e.writes()
	dry, err := e.engine(func(c *syncer.Config) { c.DryRun = true }).Resync(ctx, syncer.ResyncOptions{Properties: []string{"jobtitle"}})
	if err != nil {
		t.Fatal(err)
	}
	if e.writes() != w || !dry.DryRun {
		t.Fatalf("dry-run Resync wrote %d batches", e.writes()-w)
	}
	if titles, _ := edited(); titles != len(edits) {
		t.Fatalf("dry run changed titles: %d edited left, want %d", titles, len(edits))
	}

	rep, err := e.engine(nil).Resync(ctx, syncer.ResyncOptions{Properties: []string{"jobtitle"}})
	if err != nil {
		t.Fatal(err)
	}
	titles, cities := edited()
	if titles != 0 || cities != len(edits) {
		t.Errorf("after Resync of jobtitle: %d titles and %d cities still edited, want 0 and %d", titles, cities, len(edits))
	}
	if len(rep.Backfills) != 1 || !rep.Backfills[0].Done || rep.Backfills[0].Reason != syncer.BackfillResync {
		t.Fatalf("backfills = %+v", rep.Backfills)
	}
	if rep.Updated < len(edits) || rep.Updated != dry.Updated {
		t.Errorf("Resync updated %d, dry run said %d, want ≥ %d and equal", rep.Updated, dry.Updated, len(edits))
	}
	checkTitles(t, e, true)
}

func TestOperatorQueries(t *testing.T) {
	t.Parallel()
	e := newEnv(t, 60, 14)
	ctx := t.Context()
	eng := e.engine(nil)
	if _, err := eng.LastReport(ctx); !errors.Is(err, syncer.ErrNotFound) {
		t.Fatalf("LastReport before a pass: err = %v, want ErrNotFound", err)
	}
	rep := e.syncOnce(eng)
	last, err := eng.LastReport(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if last.Created != rep.Created || last.Excluded != rep.Excluded || !last.Started.Equal(rep.Started) ||
		!cmp.Equal(last.ExcludedByReason, rep.ExcludedByReason) {
		t.Errorf("LastReport = %v, want %v", last, rep)
	}

	counts, err := eng.LinkCounts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	byState := map[syncer.LinkState]int{}
	excluded := map[syncer.ExclusionReason]int{}
	for _, c := range counts {
		byState[c.State] += c.N
		if c.State == syncer.StateExcluded {
			excluded[syncer.ExclusionReason(c.Reason)] += c.N
		}
	}
	if byState[syncer.StateInSync] != rep.Created || byState[syncer.StateExcluded] != rep.Excluded {
		t.Errorf("counts by state = %v, want in_sync %d, excluded %d", byState, rep.Created, rep.Excluded)
	}
	if diff := cmp.Diff(rep.ExcludedByReason, excluded); diff != "" {
		t.Errorf("excluded by reason (-report +counts):\n%s", diff)
	}

	// Three records fail: one for a conflict, two for invalid values, all
	// with a retry far away.
	synced, err := eng.Links(ctx, syncer.LinkQuery{States: []syncer.LinkState{syncer.StateInSync}, Limit: 3})
	if err != nil || len(synced) != 3 {
		t.Fatalf("Links: %d links, err %v", len(synced), err)
	}
	later := time.Now().Add(time.Hour)
	for i, l := range synced {
		l.State, l.Reason, l.Message, l.Attempts, l.NextRetry = syncer.StateFailing, string(syncer.CategoryInvalidValue), "bad", 3, later
		if i == 0 {
			l.Reason = string(syncer.CategoryConflict)
		}
	}
	if err := e.store.PutLinks(ctx, synced); err != nil {
		t.Fatal(err)
	}
	failing, err := eng.Links(ctx, syncer.LinkQuery{States: []syncer.LinkState{syncer.StateFailing}})
	if err != nil || len(failing) != 3 {
		t.Fatalf("failing links: %d, err %v", len(failing), err)
	}
	due := func() int {
		ls, err := e.store.LinksToRetry(ctx, time.Now().Add(time.Second), 100)
		if err != nil {
			t.Fatal(err)
		}
		return len(ls)
	}
	if due() != 0 {
		t.Fatal("records due before RetryNow")
	}
	n, err := eng.RetryNow(ctx, syncer.RetrySelector{Category: syncer.CategoryInvalidValue})
	if err != nil || n != 2 || due() != 2 {
		t.Fatalf("RetryNow(invalid_value) = %d, %v; %d due, want 2", n, err, due())
	}
	n, err = eng.RetryNow(ctx, syncer.RetrySelector{PersonIDs: []string{synced[0].PersonID, "unknown"}})
	if err != nil || n != 1 || due() != 3 {
		t.Fatalf("RetryNow(person) = %d, %v; %d due, want 1 and 3 due", n, err, due())
	}
	// The next pass retries them: the three contacts are written again.
	e.syncOnce(eng)
	if left, _ := eng.Links(ctx, syncer.LinkQuery{States: []syncer.LinkState{syncer.StateFailing}}); len(left) != 0 {
		t.Errorf("%d links still failing after the retry pass", len(left))
	}
}

// stubFence is a Fence with a fixed epoch whose validity a test moves.
type stubFence struct {
	epoch int64
	until func() time.Time
}

func (f stubFence) Epoch() int64          { return f.epoch }
func (f stubFence) ValidUntil() time.Time { return f.until() }

// fenceLocker hands out a fixed Fence.
type fenceLocker struct{ f syncer.Fence }

func (l fenceLocker) Lock(ctx context.Context) (context.Context, func(), error) {
	ctx, cancel := context.WithCancel(ctx)
	return syncer.WithFence(ctx, l.f), cancel, nil
}

// pausingRT holds the first batch update it sees until release is closed,
// after the engine's last check: a holder frozen between check and send.
type pausingRT struct {
	next    http.RoundTripper
	held    chan struct{} // closed when the update is held
	release chan struct{}
	once    bool
}

func (p *pausingRT) RoundTrip(r *http.Request) (*http.Response, error) {
	if !p.once && r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/batch/update") {
		p.once = true
		close(p.held)
		<-p.release
	}
	return p.next.RoundTrip(r)
}

// TestPausedHolderRepaired: holder A pauses between its last validity check
// and the send of an update; B takes over and writes newer titles; A's
// stale batch then lands. B's next pass repairs every stale contact, and
// A, whose validity ended, saves nothing.
func TestPausedHolderRepaired(t *testing.T) {
	t.Parallel()
	e := newEnv(t, 60, 15)
	ctx := t.Context()
	e.syncOnce(e.engine(nil))
	retitle := func(title string) {
		for _, c := range e.ss.Fake.Cards() {
			if _, err := e.ss.Fake.UpdateCard(c.ID, func(c *sansantest.Card) { c.Title = sansantest.Ptr(title) }); err != nil {
				t.Fatal(err)
			}
		}
	}
	retitle("v2")

	// Holder A: epoch 1, valid until the test says otherwise.
	var aExpired atomic.Bool
	pause := &pausingRT{next: http.DefaultTransport, held: make(chan struct{}), release: make(chan struct{})}
	aHub, err := hubspot.NewClient(hubspottest.DefaultToken, hubspot.WithBaseURL(e.hs.URL),
		hubspot.WithHTTPClient(&http.Client{Transport: pause}),
		hubspot.WithRateLimit(rate.Inf, 0), hubspot.WithSearchRateLimit(rate.Inf, 0), hubspot.WithSleep(noSleep))
	if err != nil {
		t.Fatal(err)
	}
	far := time.Now().Add(time.Hour)
	aFence := stubFence{epoch: 1, until: func() time.Time {
		if aExpired.Load() {
			return time.Now().Add(-time.Second) // ended while A was paused
		}
		return far
	}}
	a := e.engine(func(c *syncer.Config) { c.HubSpot = aHub; c.Locker = fenceLocker{aFence}; c.WriteConcurrency = 1 })
	aErr := make(chan error, 1)
	go func() {
		_, err := a.SyncOnce(ctx)
		aErr <- err
	}()
	<-pause.held
	aExpired.Store(true) // A's validity ends during its pause

	// B takes over with epoch 2 and writes v3.
	retitle("v3")
	b := e.engine(func(c *syncer.Config) {
		c.Locker = fenceLocker{stubFence{epoch: 2, until: func() time.Time { return far }}}
	})
	if rep := e.syncOnce(b); rep.Repaired != 0 {
		t.Errorf("takeover pass repaired %d before the stale write landed", rep.Repaired)
	}
	stale := func() int {
		n := 0
		for _, c := range e.hs.Fake.Contacts() {
			if c.Properties["jobtitle"] == "v2" {
				n++
			}
		}
		return n
	}
	if n := stale(); n != 0 {
		t.Fatalf("%d stale contacts before A resumed", n)
	}

	close(pause.release) // A's stale batch lands
	if err := <-aErr; !errors.Is(err, syncer.ErrFenced) {
		t.Fatalf("A's pass: err = %v, want ErrFenced", err)
	}
	staleN := stale()
	if staleN == 0 {
		t.Fatal("A's stale batch changed nothing: the test does not pause where it should")
	}
	rep := e.syncOnce(b)
	if rep.Repaired != staleN {
		t.Errorf("repaired %d contacts, want %d", rep.Repaired, staleN)
	}
	if n := stale(); n != 0 {
		t.Errorf("%d stale contacts after B's next pass", n)
	}
	for _, c := range e.hs.Fake.Contacts() {
		if c.Properties["jobtitle"] != "v3" && c.Properties["email"] != "" {
			if l, err := e.store.LinkByContact(ctx, c.ID); err == nil && l.Values["jobtitle"] == "v3" {
				t.Errorf("contact %s: jobtitle %q, link says v3", c.ID, c.Properties["jobtitle"])
			}
		}
	}
}

// TestCreatedThenTakenOverCountsCreated: two persons share an email and
// arrive on separate pages, the loser first: the loser's record creates
// the contact, the winner's takes it over in the same pass. The pass made
// one contact, and reports it as created, not updated.
func TestCreatedThenTakenOverCountsCreated(t *testing.T) {
	t.Parallel()
	e := newEnv(t, 0, 16)
	admin := e.admin()
	shared := "taken.over@kabushiki-tokyo.co.jp"
	e.ss.Fake.AddCard(sansantest.Card{OwnerID: admin.ID, LastName: sansantest.Ptr("佐藤"), Email: sansantest.Ptr(shared),
		ExchangeDate: sansantest.Ptr("2020-01-01"), Title: sansantest.Ptr("loser's title")})
	// A full batch of others between them: the loser's write is sent
	// before the winner is read.
	for i := range 120 {
		e.ss.Fake.AddCard(sansantest.Card{OwnerID: admin.ID, LastName: sansantest.Ptr("田中"),
			Email: sansantest.Ptr(fmt.Sprintf("filler%03d@kabushiki-tokyo.co.jp", i))})
	}
	winner := e.ss.Fake.AddCard(sansantest.Card{OwnerID: admin.ID, LastName: sansantest.Ptr("鈴木"), Email: sansantest.Ptr(shared),
		ExchangeDate: sansantest.Ptr("2024-01-01")})
	rep := e.syncOnce(e.engine(func(c *syncer.Config) { c.PageSize = 10; c.ReadConcurrency = 1 }))
	if c, _ := e.hs.Fake.ContactByEmail(shared); c.Properties["sansan_person_id"] != winner.PersonID || e.hs.Fake.NumContacts() != 121 {
		t.Fatalf("contact of %s: person %s, %d contacts; want the winner's, 121", shared, c.Properties["sansan_person_id"], e.hs.Fake.NumContacts())
	}
	if rep.Updated != 0 || rep.Created != 121 || rep.ExcludedByReason[syncer.ReasonDuplicateEmail] != 1 {
		t.Errorf("report: %s; want 121 created, 0 updated, 1 duplicate", rep)
	}
	// The winner has no title: the one the loser's record wrote moments
	// ago in this pass is cleared, without reading the contact first.
	if c, _ := e.hs.Fake.ContactByEmail(shared); c.Properties["jobtitle"] != "" {
		t.Errorf("jobtitle = %q, want the loser's cleared", c.Properties["jobtitle"])
	}
	if n := e.hs.Fake.Requests()["POST /crm/v3/objects/contacts/batch/read"]; n != 0 {
		t.Errorf("%d batch reads, want none for a contact the pass created", n)
	}
}

func TestOnPlanned(t *testing.T) {
	t.Parallel()
	e := newEnv(t, 60, 17)
	var mu sync.Mutex
	var planned []syncer.PlannedWrite
	dry := e.engine(func(c *syncer.Config) {
		c.DryRun = true
		c.OnPlanned = func(w syncer.PlannedWrite) {
			mu.Lock()
			planned = append(planned, w)
			mu.Unlock()
		}
	})
	rep := e.syncOnce(dry)
	if len(planned) != rep.Created+rep.Updated || rep.Created == 0 {
		t.Fatalf("%d planned writes, report says created %d, updated %d", len(planned), rep.Created, rep.Updated)
	}
	for _, w := range planned {
		if w.Action != syncer.PlanCreate || w.ContactID != "" || w.Account != "tokyo" || w.PersonID == "" ||
			w.Email == "" || w.Properties["email"] == "" {
			t.Fatalf("planned write %+v", w)
		}
	}
	live := e.engine(nil)
	e.syncOnce(live)
	planned = nil
	synced, err := live.Links(t.Context(), syncer.LinkQuery{States: []syncer.LinkState{syncer.StateInSync}, Limit: 1})
	if err != nil || len(synced) != 1 {
		t.Fatalf("Links: %v, %v", synced, err)
	}
	if _, err := e.ss.Fake.UpdateCard(synced[0].CardID, func(c *sansantest.Card) { c.Title = sansantest.Ptr("planned title") }); err != nil {
		t.Fatal(err)
	}
	e.syncOnce(dry)
	if len(planned) != 1 || planned[0].Action != syncer.PlanUpdate || planned[0].ContactID == "" ||
		!cmp.Equal(planned[0].Properties, hubspot.PropertyValues{"jobtitle": "planned title"}) {
		t.Errorf("planned after one title change: %+v", planned)
	}
}

// levelRecorder keeps the levels and messages of the records it handles.
type levelRecorder struct {
	mu   *sync.Mutex
	recs *[]string
}

func (h levelRecorder) Enabled(context.Context, slog.Level) bool { return true }
func (h levelRecorder) Handle(_ context.Context, r slog.Record) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	*h.recs = append(*h.recs, r.Level.String()+" "+r.Message)
	return nil
}
func (h levelRecorder) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h levelRecorder) WithGroup(string) slog.Handler      { return h }

func TestCancelledPassLogsNoError(t *testing.T) {
	t.Parallel()
	e := newEnv(t, 400, 18)
	var mu sync.Mutex
	var recs []string
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	eng := e.engine(func(c *syncer.Config) {
		c.PageSize = 50
		c.ReadConcurrency = 1
		c.Logger = slog.New(levelRecorder{&mu, &recs})
		c.Progress = func(p syncer.Progress) {
			if p.Read >= 100 {
				cancel()
			}
		}
	})
	if _, err := eng.SyncOnce(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("SyncOnce: err = %v, want context.Canceled", err)
	}
	mu.Lock()
	defer mu.Unlock()
	for _, r := range recs {
		if strings.HasPrefix(r, "ERROR") {
			t.Errorf("a cancelled pass logged %q", r)
		}
	}
	if !slices.Contains(recs, "INFO sync pass stopped") {
		t.Errorf("records %q lack the INFO stop", recs)
	}
}

func TestLastReportOfFailedPass(t *testing.T) {
	t.Parallel()
	e := newEnv(t, 20, 19)
	eng := e.engine(nil)
	e.syncOnce(eng)
	e.ss.Fake.FailNext(3, http.StatusUnauthorized)
	_, err := eng.SyncOnce(t.Context())
	if err == nil {
		t.Fatal("pass with a refused key: no error")
	}
	last, lerr := eng.LastReport(t.Context())
	if lerr != nil {
		t.Fatal(lerr)
	}
	if last.Err == nil || last.Err.Error() != err.Error() || !strings.HasPrefix(last.String(), "pass failed: ") {
		t.Errorf("LastReport after a failed pass: Err %v, String %q; want the pass's error %v", last.Err, last.String(), err)
	}
}
