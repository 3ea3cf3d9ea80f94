package syncer_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cardbridge/sansanhubspot/sansan"
	"github.com/cardbridge/sansanhubspot/sansan/sansantest"
	"github.com/cardbridge/sansanhubspot/syncer"
)

// TestCrashAnywhere interrupts the initial sync right after its k-th
// HubSpot write reached the server (the write happened, the engine never
// saw the answer), for every k, then finishes with a fresh engine on the
// same store: the result is exactly the expected contacts, no duplicates.
func TestCrashAnywhere(t *testing.T) {
	t.Parallel()
	for _, policy := range []syncer.EmailPolicy{syncer.RequireEmail, syncer.AllowMissingEmail} {
		probe := newEnv(t, 700, 6)
		probe.syncOnce(probe.engine(func(c *syncer.Config) { c.EmailPolicy = policy }))
		total := int(probe.hubRT.writes.Load())
		if total < 5 {
			t.Fatalf("only %d writes in the initial sync", total)
		}
		for k := int64(1); k <= int64(total); k++ {
			t.Run(fmt.Sprintf("policy%d/k=%d", policy, k), func(t *testing.T) {
				t.Parallel()
				e := newEnv(t, 700, 6)
				ctx, cancel := context.WithCancel(t.Context())
				defer cancel()
				e.hubRT.cancelK.Store(k)
				e.hubRT.cancel.Store(&cancel)
				mut := func(c *syncer.Config) { c.EmailPolicy = policy }
				if _, err := e.engine(mut).SyncOnce(ctx); err == nil {
					t.Fatal("interrupted pass returned no error")
				}
				e.hubRT.cancelK.Store(0)
				e.syncOnce(e.engine(mut))
				want := e.expected()
				if policy == syncer.RequireEmail {
					e.checkState(want)
					return
				}
				// Email-less cards each have exactly one contact too.
				seen := map[string]int{}
				for _, c := range e.hs.Fake.Contacts() {
					seen[c.Properties["sansan_person_id"]]++
				}
				for pid, n := range seen {
					if n > 1 {
						t.Errorf("person %s has %d contacts", pid, n)
					}
				}
				if len(e.hs.Fake.Contacts()) != len(probe.hs.Fake.Contacts()) {
					t.Errorf("%d contacts, want %d as without a crash", len(e.hs.Fake.Contacts()), len(probe.hs.Fake.Contacts()))
				}
			})
		}
	}
}

// TestFlakyServices injects 5xx, 429 and dropped connections; passes
// converge to the expected state.
func TestFlakyServices(t *testing.T) {
	t.Parallel()
	e := newEnv(t, 900, 7)
	eng := e.engine(nil)
	e.hs.Fake.FailNext(2, 500)
	e.ss.Fake.FailNext(1, 503)
	e.ss.Fake.FailNextOn(sansantest.EndpointListBizCards, 1, 429)
	rep, err := eng.SyncOnce(t.Context())
	for i := 0; err != nil && i < 5; i++ {
		t.Logf("pass failed (will retry): %v", err)
		rep, err = eng.SyncOnce(t.Context())
	}
	if err != nil {
		t.Fatal(err)
	}
	e.hs.Fake.DropNext(1)
	e.hs.Fake.FailNext(1, 429)
	if _, err := e.ss.Fake.UpdateCard(sortedCards(e)[0], func(c *sansantest.Card) { c.Title = sansantest.Ptr("部長代理") }); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 5; i++ {
		if rep, err = eng.SyncOnce(t.Context()); err == nil {
			break
		}
	}
	if err != nil {
		t.Fatal(err)
	}
	_ = rep
	e.checkState(e.expected())
}

func sortedCards(e *env) []string {
	var ids []string
	for _, c := range e.expected() {
		ids = append(ids, c.ID)
	}
	return ids
}

// TestInvalidValueFailsAlone makes HubSpot reject some records inside a
// batch; the rest are written, the failures are reported with a category,
// and they recover by themselves once HubSpot accepts them.
func TestInvalidValueFailsAlone(t *testing.T) {
	t.Parallel()
	e := newEnv(t, 500, 8)
	var mu sync.Mutex
	reject := true
	e.hs.Fake.FailBatchInputs(func(props map[string]string) bool {
		mu.Lock()
		defer mu.Unlock()
		return reject && strings.HasPrefix(props["email"], "a")
	})
	now := time.Now()
	var clockMu sync.Mutex
	clock := func() time.Time { clockMu.Lock(); defer clockMu.Unlock(); return now }
	eng := e.engine(func(c *syncer.Config) { c.Now = clock })
	rep := e.syncOnce(eng)
	want := e.expected()
	nA := 0
	for em := range want {
		if strings.HasPrefix(em, "a") {
			nA++
		}
	}
	if nA == 0 {
		t.Fatal("fixture has no email starting with a")
	}
	if rep.Failed != nA || rep.Created != len(want)-nA {
		t.Fatalf("report %s; want %d failed, %d created", rep, nA, len(want)-nA)
	}
	if len(rep.Failures) == 0 || rep.Failures[0].Category == "" || rep.Failures[0].PersonID == "" {
		t.Errorf("failures not detailed: %+v", rep.Failures)
	}
	mu.Lock()
	reject = false
	mu.Unlock()
	// Not yet due: nothing retried.
	if rep := e.syncOnce(eng); rep.Created != 0 {
		t.Errorf("retried before the retry time: %s", rep)
	}
	clockMu.Lock()
	now = now.Add(2 * time.Minute)
	clockMu.Unlock()
	rep = e.syncOnce(eng)
	if rep.Created != nA {
		t.Errorf("recovery pass: %s, want %d created", rep, nA)
	}
	e.checkState(want)
}

// TestConcurrentSyncOnceSerialized runs passes concurrently on one engine:
// they never interleave, so the state is right and nothing is written
// twice.
func TestConcurrentSyncOnceSerialized(t *testing.T) {
	t.Parallel()
	e := newEnv(t, 600, 9)
	eng := e.engine(nil)
	var wg sync.WaitGroup
	reps := make([]*syncer.Report, 4)
	errs := make([]error, 4)
	for i := range reps {
		wg.Add(1)
		go func() {
			defer wg.Done()
			reps[i], errs[i] = eng.SyncOnce(t.Context())
		}()
	}
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
	e.checkState(want)
}

// TestRunStopsCleanly runs the loop until cancelled: nil error, progress
// reported, the initial sync done.
func TestRunStopsCleanly(t *testing.T) {
	t.Parallel()
	e := newEnv(t, 300, 10)
	var mu sync.Mutex
	var last syncer.Progress
	done := make(chan struct{})
	var once sync.Once
	eng := e.engine(func(c *syncer.Config) {
		c.Interval = 10 * time.Millisecond
		c.Progress = func(p syncer.Progress) {
			mu.Lock()
			last = p
			mu.Unlock()
			if p.Done {
				once.Do(func() { close(done) })
			}
		}
	})
	ctx, cancel := context.WithCancel(t.Context())
	errc := make(chan error, 1)
	go func() { errc <- eng.Run(ctx) }()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("no pass finished")
	}
	cancel()
	if err := <-errc; err != nil {
		t.Fatalf("Run = %v, want nil on cancel", err)
	}
	mu.Lock()
	defer mu.Unlock()
	if last.Read == 0 {
		t.Errorf("progress never counted reads: %+v", last)
	}
	e.checkState(e.expected())
}

// TestRunReturnsOnBadCredentials: Run gives up on errors no retry fixes.
func TestRunReturnsOnBadCredentials(t *testing.T) {
	t.Parallel()
	e := newEnv(t, 10, 11)
	bad := sansantest.User{ID: "ghost", APIKey: strings.Repeat("Z", 32)}
	eng := e.engine(func(c *syncer.Config) { c.Accounts[0].Client = e.sansanClient(bad) })
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	err := eng.Run(ctx)
	if err == nil || ctx.Err() != nil {
		t.Fatalf("Run = %v, want an auth error before the timeout", err)
	}
	if !errors.Is(err, sansan.ErrUnauthorized) {
		t.Errorf("Run = %v, want an error matching sansan.ErrUnauthorized", err)
	}
}
