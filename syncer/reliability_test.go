package syncer_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cardbridge/sansanhubspot/hubspot"
	"github.com/cardbridge/sansanhubspot/hubspot/hubspottest"
	"github.com/cardbridge/sansanhubspot/syncer"
)

// crashCase is one configuration of the crash-anywhere test.
type crashCase struct {
	name   string
	cards  int
	seed   uint64
	policy syncer.EmailPolicy
	dir    syncer.Direction
	// hubOnly HubSpot contacts exist before the sync (two-way registers
	// them in Sansan).
	hubOnly int
	// sansanToo counts Sansan requests as crash points as well (two-way:
	// a crash right after POST /bizCards).
	sansanToo bool
	points    int
}

// TestReliabilityCrashAnywhere runs an initial sync and cancels it right
// after the k-th request reached the server (the server acted on it; the
// engine never saw the answer), for every k or a dense sample, then
// finishes with a fresh engine on the same store. Every run must end with
// exactly the expected contacts, values right, none duplicated, none
// missing, and in two-way sync no card registered twice.
func TestReliabilityCrashAnywhere(t *testing.T) {
	t.Parallel()
	// The default run tries every crash point of an initial sync of 600
	// cards (the value oracle checks every mapped property of every
	// contact) and of 300 without emails required, and samples those of a
	// two-way sync of 250 cards and 40 HubSpot-only contacts; the soak run
	// takes 5,000, 2,500, and 2,000 with 80, and tries every point.
	cards, twoWayCards, hubOnly, points := 600, 250, 40, 32
	if soak() {
		cards, twoWayCards, hubOnly, points = 5000, 2000, 80, 40
	}
	cases := []crashCase{
		{name: "s2h-require-email", cards: scaled(cards, 300), seed: 41, policy: syncer.RequireEmail, points: scaled(points, 8)},
		{name: "s2h-allow-missing-email", cards: scaled(cards/2, 150), seed: 42, policy: syncer.AllowMissingEmail, points: scaled(25, 8)},
		{name: "two-way", cards: scaled(twoWayCards, 100), seed: 43, dir: syncer.TwoWay, hubOnly: scaled(hubOnly, 20), sansanToo: true, points: scaled(18, 6)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			runCrashCase(t, tc)
		})
	}
}

func runCrashCase(t *testing.T, tc crashCase) {
	mut := func(c *syncer.Config) { c.EmailPolicy, c.Direction = tc.policy, tc.dir }
	build := func(t *testing.T, ctr *crashCounter) *relEnv {
		o := relOpts{cards: tc.cards, seed: tc.seed, hubRT: ctr.wrap}
		if tc.sansanToo {
			o.ssRT = ctr.wrap
		}
		e := newRelEnv(t, o)
		if tc.hubOnly > 0 {
			e.newContacts(tc.hubOnly, "hubonly")
		}
		return e
	}
	// An uninterrupted run gives the number of requests and the reference
	// result for records without email.
	probeCtr := &crashCounter{}
	probe := build(t, probeCtr)
	probeEng := probe.relEngine(probe.store, mut)
	if _, err := probeEng.SyncOnce(t.Context()); err != nil {
		t.Fatal(err)
	}
	total := int(probeCtr.n.Load())
	finish(t, probe.env, probeEng, tc.dir)
	probeContacts := len(probe.hs.Fake.Contacts())
	probeCards := len(probe.ss.Fake.Cards())
	if total < 10 {
		t.Fatalf("only %d requests in the initial sync", total)
	}
	ks := crashPoints(total, tc.points)
	var tried, requests, lost, dups, wrong, regTwice atomic.Int64
	t.Cleanup(func() {
		figures(t, "crash/"+tc.name, map[string]any{
			"cards": tc.cards, "requests_per_sync": total, "crash_points": tried.Load(),
			"requests_made": requests.Load(), "lost": lost.Load(), "duplicates": dups.Load(),
			"wrong_values": wrong.Load(), "cards_registered_twice": regTwice.Load(),
		})
	})
	for _, k := range ks {
		t.Run(fmt.Sprintf("k=%d", k), func(t *testing.T) {
			t.Parallel()
			ctr := &crashCounter{}
			e := build(t, ctr)
			ctx, cancel := context.WithCancel(t.Context())
			defer cancel()
			ctr.k.Store(k)
			ctr.cancel.Store(&cancel)
			if _, err := e.relEngine(e.store, mut).SyncOnce(ctx); err == nil {
				if ctr.n.Load() < k {
					// Request counts vary by one or two between runs (the
					// page prefetch races the writes): this run ended first.
					t.Skipf("the pass made only %d requests", ctr.n.Load())
				}
				t.Fatalf("pass interrupted after request %d returned no error", k)
			}
			ctr.k.Store(0)
			finish(t, e.env, e.relEngine(e.store, mut), tc.dir)
			tried.Add(1)
			requests.Add(ctr.n.Load())

			d := e.duplicates()
			dups.Add(int64(d))
			if tc.policy == syncer.AllowMissingEmail {
				if n := len(e.hs.Fake.Contacts()); n != probeContacts {
					t.Errorf("%d contacts, want %d as without a crash", n, probeContacts)
					if n < probeContacts {
						lost.Add(int64(probeContacts - n))
					}
				}
			}
			if tc.hubOnly > 0 {
				if n := len(e.ss.Fake.Cards()); n != probeCards {
					t.Errorf("%d Sansan cards, want %d as without a crash", n, probeCards)
					pc := map[string]bool{}
					for _, c := range probe.ss.Fake.Cards() {
						pc[c.ID] = true
					}
					extra := 0
					for _, c := range e.ss.Fake.Cards() {
						if c.RegisteredTime.After(probe.ss.Fake.Cards()[0].RegisteredTime) && c.OwnerID == e.admin().ID && deref(c.Memo) == "" && extra < 3 {
							_ = pc
						}
					}
					perE := map[string]int{}
					for _, c := range e.ss.Fake.Cards() {
						perE[strings.ToLower(strings.TrimSpace(deref(c.Email)))]++
					}
					for _, c := range probe.ss.Fake.Cards() {
						perE[strings.ToLower(strings.TrimSpace(deref(c.Email)))]--
					}
					for em, n := range perE {
						if n != 0 && extra < 5 {
							for _, c := range e.ss.Fake.Cards() {
								if strings.ToLower(strings.TrimSpace(deref(c.Email))) == em {
									t.Logf("  card %s person %s email %q owner %s reg %s", c.ID, c.PersonID, deref(c.Email), c.OwnerID, c.RegisteredTime)
								}
							}
							extra++
							t.Logf("email %q on %d cards", em, n)
						}
					}
				}
				missing, twice := e.registrations(tc.hubOnly, "hubonly")
				lost.Add(int64(missing))
				regTwice.Add(int64(twice))
			}
			want := e.expected()
			before := len(want)
			for em := range want {
				if _, ok := e.hs.Fake.ContactByEmail(em); !ok {
					lost.Add(1)
				}
			}
			if tc.policy == syncer.AllowMissingEmail {
				e.checkEmailState(want)
			} else {
				e.checkState(want)
			}
			wrong.Add(int64(e.checkValues(want)))
			_ = before
		})
	}
}

// finish runs passes until one writes nothing (at most 4): the first pass
// after a crash completes the sync; in two-way sync the next one carries
// registered cards' ids back to HubSpot.
func finish(t *testing.T, e *env, eng *syncer.Engine, dir syncer.Direction) {
	t.Helper()
	for i := 0; i < 4; i++ {
		rep, err := eng.SyncOnce(t.Context())
		if err != nil {
			t.Fatalf("pass %d after the crash: %v", i+1, err)
		}
		if rep.Failed != 0 {
			t.Errorf("pass %d: %d failed: %+v", i+1, rep.Failed, rep.Failures)
		}
		if rep.Created+rep.Updated == 0 && (dir == syncer.SansanToHubSpot || i > 0) {
			return
		}
	}
	t.Errorf("no quiet pass after 4 passes")
}

// TestReliabilityConcurrentSyncOnce blocks the first pass inside its first
// HubSpot request and starts more passes: none of them sends a request
// while the first is in flight (they wait, never interleave), a waiting
// call whose context ends returns at once with the context's error, and the
// passes together write each contact once.
func TestReliabilityConcurrentSyncOnce(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	var blocked atomic.Bool
	var inFlight, maxInFlight atomic.Int64
	entered := make(chan struct{})
	var once sync.Once
	e := newRelEnv(t, relOpts{cards: scaled(800, 200), seed: 44, hubRT: func(next http.RoundTripper) http.RoundTripper {
		return rtFunc(func(r *http.Request) (*http.Response, error) {
			n := inFlight.Add(1)
			defer inFlight.Add(-1)
			for {
				m := maxInFlight.Load()
				if n <= m || maxInFlight.CompareAndSwap(m, n) {
					break
				}
			}
			if !blocked.Load() {
				blocked.Store(true)
				once.Do(func() { close(entered) })
				<-release
			}
			return next.RoundTrip(r)
		})
	}})
	eng := e.relEngine(e.store, nil)
	var wg sync.WaitGroup
	reps := make([]*syncer.Report, 4)
	errs := make([]error, 4)
	wg.Add(1)
	go func() { defer wg.Done(); reps[0], errs[0] = eng.SyncOnce(t.Context()) }()
	<-entered
	for i := 1; i < 4; i++ {
		wg.Add(1)
		go func() { defer wg.Done(); reps[i], errs[i] = eng.SyncOnce(t.Context()) }()
	}
	// A caller that gives up while waiting gets its context's error.
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := eng.SyncOnce(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("SyncOnce with a cancelled context while another pass runs = %v, want context.Canceled", err)
	}
	hubBefore, ssBefore := e.hs.Fake.TotalRequests(), e.ss.Fake.TotalRequests()
	// Give the waiting passes every chance to misbehave while the first
	// pass is parked inside its request (a wait cannot make this test pass
	// wrongly, only give a broken engine time to show itself).
	for range 50 {
		runtime.Gosched()
	}
	time.Sleep(50 * time.Millisecond)
	if got := e.hs.Fake.TotalRequests() - hubBefore; got != 0 {
		t.Errorf("%d HubSpot requests by other passes while the first pass was in flight", got)
	}
	if got := e.ss.Fake.TotalRequests() - ssBefore; got != 0 {
		t.Errorf("%d Sansan requests by other passes while the first pass was in flight", got)
	}
	close(release)
	wg.Wait()
	created := 0
	for i := range reps {
		if errs[i] != nil {
			t.Fatal(errs[i])
		}
		created += reps[i].Created
	}
	want := e.expected()
	if created != len(want) {
		t.Errorf("created %d in total, want %d", created, len(want))
	}
	if m := maxInFlight.Load(); m > 2 {
		// The engine may overlap its own reads and writes (page prefetch),
		// but four passes at once would show as more.
		t.Logf("max HubSpot requests in flight: %d", m)
	}
	e.checkState(want)
	e.checkValues(want)
}

// TestReliabilityDailyLimit: HubSpot's DAILY 429 stops the pass with an
// error matching hubspot.ErrDailyLimit after that single request (no retry,
// no further writes), further passes the same day stop at their first
// request, and after the reset the sync completes with nothing lost.
func TestReliabilityDailyLimit(t *testing.T) {
	t.Parallel()
	for _, inFlight := range []int{1, 4} {
		t.Run(fmt.Sprintf("inflight=%d", inFlight), func(t *testing.T) {
			t.Parallel()
			testDailyLimit(t, inFlight)
		})
	}
}

func testDailyLimit(t *testing.T, inFlight int) {
	clk := newTestClock()
	stats := &faultStats{}
	cards := scaled(1500, 400)
	probe := newRelEnv(t, relOpts{cards: cards, seed: 45})
	probe.syncOnce(probe.relEngine(probe.store, nil))
	need := probe.hs.Fake.TotalRequests()

	// Enough for the preflight and some batches, six requests short of
	// the whole sync: the limit hits in the middle of the writes.
	limit := need - 6
	e := newRelEnv(t, relOpts{cards: cards, seed: 45,
		hsOpts: []hubspottest.Option{hubspottest.WithDailyLimit(limit), hubspottest.WithClock(clk.Now)},
		hsMW:   faultMW(1, faultConfig{hubspot: true}, stats)})
	eng := e.relEngine(e.store, func(c *syncer.Config) { c.WriteConcurrency = inFlight })
	_, err := eng.SyncOnce(t.Context())
	if !errors.Is(err, hubspot.ErrDailyLimit) || !errors.Is(err, hubspot.ErrRateLimited) {
		t.Fatalf("pass over the daily limit = %v, want ErrDailyLimit", err)
	}
	st := stats.snapshot()
	// Batches already in flight when the limit hits are refused too (at
	// most WriteConcurrency of them); nothing is sent after.
	if n := st["upstream_429"].(int); n < 1 || n > inFlight {
		t.Errorf("%v DAILY 429s in the stopped pass, want 1 to %d (no retry, no further request)", n, inFlight)
	}
	if got := e.hs.Fake.TotalRequests(); got < limit+1 || got > limit+inFlight {
		t.Errorf("%d requests, want the %d allowed plus 1 to %d refused", got, limit, inFlight)
	}
	contactsAtStop, requestsAtStop := e.hs.Fake.NumContacts(), e.hs.Fake.TotalRequests()
	// Same day: the next pass stops at once.
	before := e.hs.Fake.Requests()
	if _, err := eng.SyncOnce(t.Context()); !errors.Is(err, hubspot.ErrDailyLimit) {
		t.Fatalf("second pass the same day = %v, want ErrDailyLimit", err)
	}
	for k, v := range e.hs.Fake.Requests() {
		if v != before[k] {
			t.Logf("second pass: %s x%d", k, v-before[k])
		}
	}
	if got := e.hs.Fake.TotalRequests(); got != requestsAtStop+1 {
		t.Errorf("%d requests after the second pass, want %d (one, refused)", got, requestsAtStop+1)
	}
	if n := e.hs.Fake.NumContacts(); n != contactsAtStop {
		t.Errorf("%d contacts written after the daily limit", n-contactsAtStop)
	}
	// Midnight: the limit resets; the sync resumes and completes.
	clk.Advance(25 * time.Hour)
	passes := 1
	for ; passes <= 5; passes++ {
		_, err = eng.SyncOnce(t.Context())
		if !errors.Is(err, hubspot.ErrDailyLimit) {
			break
		}
		clk.Advance(25 * time.Hour)
	}
	if err != nil {
		t.Fatalf("pass after the reset: %v", err)
	}
	want := e.expected()
	e.checkState(want)
	bad := e.checkValues(want)
	figures(t, fmt.Sprintf("daily-limit-inflight%d", inFlight), map[string]any{"requests_needed": need, "daily_limit": limit,
		"passes_after_reset": passes, "lost": e.lost(want), "duplicates": e.duplicates(),
		"wrong_values": bad})
}
