package pgstore_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cardbridge/sansanhubspot/hubspot"
	"github.com/cardbridge/sansanhubspot/hubspot/hubspottest"
	"github.com/cardbridge/sansanhubspot/sansan"
	"github.com/cardbridge/sansanhubspot/sansan/sansantest"
	"github.com/cardbridge/sansanhubspot/syncer"
	"github.com/cardbridge/sansanhubspot/syncer/pgstore"
	"golang.org/x/time/rate"
)

// fakes is a Sansan tenant and a HubSpot portal shared by the replicas.
type fakes struct {
	ss    *sansantest.Server
	hs    *hubspottest.Server
	admin sansantest.User
}

func newFakes(t *testing.T, cards int) *fakes {
	t.Helper()
	f := &fakes{ss: sansantest.NewTestServer(t), hs: hubspottest.NewTestServer(t), admin: sansantest.DefaultUsers()[0]}
	f.ss.Fake.AddUser(f.admin)
	f.ss.Fake.Seed(sansantest.GenerateOptions{Seed: 3, Cards: cards, Owners: []sansantest.User{f.admin}})
	return f
}

func noSleep(ctx context.Context, _ time.Duration) error { return ctx.Err() }

// engine builds one replica: its own clients and its own *pgstore.Store
// on the shared connection, as a separate process would have.
func (f *fakes) engine(t *testing.T, db *pgstore.Store, locker syncer.Locker, rt http.RoundTripper) *syncer.Engine {
	t.Helper()
	return f.engineAt(t, f.ss.URL, f.hs.URL, db, locker, rt)
}

// engineAt is engine for fakes at the given URLs (a child process's view).
func (f *fakes) engineAt(t *testing.T, ssURL, hsURL string, db *pgstore.Store, locker syncer.Locker, rt http.RoundTripper) *syncer.Engine {
	t.Helper()
	ss, err := sansan.NewClient(f.admin.APIKey, sansan.WithBaseURL(ssURL), sansan.WithRateLimit(rate.Inf, 0), sansan.WithSleep(noSleep))
	if err != nil {
		t.Fatal(err)
	}
	if rt == nil {
		rt = http.DefaultTransport
	}
	hs, err := hubspot.NewClient(hubspottest.DefaultToken, hubspot.WithBaseURL(hsURL),
		hubspot.WithHTTPClient(&http.Client{Transport: rt}),
		hubspot.WithRateLimit(rate.Inf, 0), hubspot.WithSearchRateLimit(rate.Inf, 0), hubspot.WithSleep(noSleep))
	if err != nil {
		t.Fatal(err)
	}
	eng, err := syncer.New(syncer.Config{
		HubSpot: hs, Accounts: []syncer.Account{{Name: "tokyo", Client: ss}},
		Store: db, Locker: locker, Interval: 5 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	return eng
}

// checkNoDuplicates asserts one contact per email and returns the count.
func (f *fakes) checkNoDuplicates(t *testing.T) int {
	t.Helper()
	seen := map[string]bool{}
	for _, c := range f.hs.Fake.Contacts() {
		em := strings.ToLower(c.Properties["email"])
		if seen[em] {
			t.Errorf("two contacts with email %q", em)
		}
		seen[em] = true
	}
	return len(seen)
}

// watch wraps a Locker and records whether two holders ever overlapped.
type watch struct {
	syncer.Locker
	active, overlaps, passes *atomic.Int64
}

func (w watch) Lock(ctx context.Context) (context.Context, func(), error) {
	held, unlock, err := w.Locker.Lock(ctx)
	if err != nil {
		return nil, nil, err
	}
	if w.active.Add(1) > 1 {
		w.overlaps.Add(1)
	}
	w.passes.Add(1)
	return held, func() { w.active.Add(-1); unlock() }, nil
}

// TestReplicasNeverOverlap runs two engines on one database: passes never
// run concurrently, both make progress over time, and HubSpot ends with
// one contact per email.
func TestReplicasNeverOverlap(t *testing.T) {
	t.Parallel()
	store := newStore(t)
	f := newFakes(t, 400)
	var active, overlaps, passesA, passesB atomic.Int64
	a := f.engine(t, store, watch{store.Locker("engine", "replica-a", 2*time.Second), &active, &overlaps, &passesA}, nil)
	b := f.engine(t, pgstore.New(testDB(t), store.Connection()), watch{store.Locker("engine", "replica-b", 2*time.Second), &active, &overlaps, &passesB}, nil)
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	go func() { // stop once several passes have run
		for passesA.Load()+passesB.Load() < 6 && ctx.Err() == nil {
			time.Sleep(10 * time.Millisecond)
		}
		cancel()
	}()
	var wg sync.WaitGroup
	for _, e := range []*syncer.Engine{a, b} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := e.Run(ctx); err != nil {
				t.Errorf("Run: %v", err)
			}
		}()
	}
	wg.Wait()
	if overlaps.Load() != 0 {
		t.Fatalf("passes overlapped %d times", overlaps.Load())
	}
	if passesA.Load()+passesB.Load() < 2 {
		t.Fatalf("only %d+%d passes ran", passesA.Load(), passesB.Load())
	}
	t.Logf("passes: replica a %d, replica b %d", passesA.Load(), passesB.Load())
	if n := f.checkNoDuplicates(t); n == 0 {
		t.Fatal("nothing synced")
	}
}

// cancelAfter cancels a pass right after its k-th contact write reached
// HubSpot: the replica "crashes" with the write done and unrecorded.
type cancelAfter struct {
	k      int64
	n      atomic.Int64
	cancel context.CancelFunc
}

func (c *cancelAfter) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := http.DefaultTransport.RoundTrip(r)
	if r.Method == http.MethodPost && strings.Contains(r.URL.Path, "/batch/upsert") && c.n.Add(1) == c.k {
		c.cancel()
		if err == nil {
			resp.Body.Close()
		}
		return nil, context.Canceled
	}
	return resp, err
}

// crashed is a Locker whose holder dies during its pass: it never renews
// nor releases the lease.
type crashed struct {
	store *pgstore.Store
	ttl   time.Duration
}

func (c crashed) Lock(ctx context.Context) (context.Context, func(), error) {
	if _, err := c.store.AcquireLease(ctx, "engine", "replica-a", c.ttl); err != nil {
		return nil, nil, errors.Join(syncer.ErrLocked, err)
	}
	return ctx, func() {}, nil
}

// TestTakeoverResumesFromCheckpoint: replica a dies mid-pass holding the
// lease; replica b is locked out until the lease expires, then finishes
// from a's checkpoint without duplicates.
func TestTakeoverResumesFromCheckpoint(t *testing.T) {
	t.Parallel()
	store := newStore(t)
	f := newFakes(t, 1500)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	const ttl = 700 * time.Millisecond
	a := f.engine(t, store, crashed{store: store, ttl: ttl}, &cancelAfter{k: 6, cancel: cancel})
	if _, err := a.SyncOnce(ctx); err == nil {
		t.Fatal("replica a's pass was not interrupted")
	}
	done := f.checkNoDuplicates(t)
	// The dead replica's last renewal, just before it died.
	if _, err := store.AcquireLease(t.Context(), "engine", "replica-a", ttl); err != nil {
		t.Fatal(err)
	}

	b := f.engine(t, pgstore.New(testDB(t), store.Connection()), store.Locker("engine", "replica-b", 10*time.Second), nil)
	if _, err := b.SyncOnce(t.Context()); !errors.Is(err, syncer.ErrLocked) {
		t.Fatalf("replica b ran while a's lease was live: %v", err)
	}
	deadline := time.Now().Add(10 * time.Second)
	var rep *syncer.Report
	var err error
	for {
		rep, err = b.SyncOnce(t.Context())
		if !errors.Is(err, syncer.ErrLocked) || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err != nil {
		t.Fatalf("replica b after expiry: %v", err)
	}
	total := f.checkNoDuplicates(t)
	if done == 0 || done >= total {
		t.Fatalf("replica a synced %d of %d contacts; want a partial pass", done, total)
	}
	if rep.Created+rep.Updated >= total {
		t.Errorf("replica b wrote %d records for %d contacts: it did not resume from the checkpoint", rep.Created+rep.Updated, total)
	}
	again, err := b.SyncOnce(t.Context())
	if err != nil || again.Created+again.Updated != 0 {
		t.Errorf("a further pass: %v, %v", again, err)
	}
}
