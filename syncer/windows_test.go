package syncer_test

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cardbridge/sansanhubspot/syncer"
)

// TestSplitWindowCrashAnywhere runs an initial sync whose window is listed
// in parts at once (small pages make it large), interrupts it after every
// k-th HubSpot write, and finishes it with a new engine on the same store:
// every run ends with the expected contacts and values, and the
// interrupted passes left per-part cursors in the checkpoint.
func TestSplitWindowCrashAnywhere(t *testing.T) {
	t.Parallel()
	const cards, pageSize = 700, 5
	mut := func(c *syncer.Config) { c.PageSize, c.ReadConcurrency, c.WriteConcurrency = pageSize, 3, 3 }
	probe := newEnv(t, cards, 61)
	rep := probe.syncOnce(probe.engine(mut))
	total := int(probe.hubRT.writes.Load())
	if rep.APICalls["sansan"] <= int64((rep.Accounts[0].Read+pageSize-1)/pageSize) {
		t.Fatalf("%d Sansan calls for %d cards: the window was not split", rep.APICalls["sansan"], rep.Accounts[0].Read)
	}
	probe.checkState(probe.expected())
	var split atomic.Int64
	for k := int64(1); k <= int64(total); k += max(1, int64(total)/8) {
		t.Run(fmt.Sprintf("k=%d", k), func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, cards, 61)
			ctx, cancel := context.WithCancel(t.Context())
			defer cancel()
			e.hubRT.cancelK.Store(k)
			e.hubRT.cancel.Store(&cancel)
			if _, err := e.engine(mut).SyncOnce(ctx); err == nil {
				// Parts reach the planner in any order, so the number of
				// writes (takeovers) varies a little from run to run.
				t.Skipf("the pass finished in fewer than %d writes", k)
			}
			if cp, err := e.store.Checkpoint(t.Context(), "sansan/tokyo/bizcards"); err == nil && strings.HasPrefix(cp.Cursor, "subwindows:") {
				split.Add(1)
			}
			e.hubRT.cancelK.Store(0)
			e.syncOnce(e.engine(mut))
			want := e.expected()
			e.checkState(want)
			if bad := e.checkValues(want); bad > 0 {
				t.Errorf("%d wrong values", bad)
			}
			if n := e.duplicates(); n > 0 {
				t.Errorf("%d duplicate contacts", n)
			}
		})
	}
	t.Cleanup(func() {
		if split.Load() == 0 {
			t.Error("no interrupted pass left a per-part checkpoint")
		}
	})
}

// TestSplitSearchRegistersOnce: HubSpot → Sansan searches a large window
// in parts at once (contacts spread over ten months of lastmodifieddate); an
// interrupted pass resumes each part at its cursor, and every contact is
// registered exactly once.
func TestSplitSearchRegistersOnce(t *testing.T) {
	t.Parallel()
	e := newEnv(t, 0, 62)
	contacts := e.newContacts(2500, "spread")
	now := time.Now()
	for i := 0; i < len(contacts); i += 10 {
		ids := make([]string, 0, 10)
		for _, c := range contacts[i:min(i+10, len(contacts))] {
			ids = append(ids, c.ID)
		}
		if err := e.hs.Fake.SetContactsModifiedAt(ids, now.Add(-time.Duration(len(contacts)-i)*3*time.Hour)); err != nil {
			t.Fatal(err)
		}
	}
	mut := func(c *syncer.Config) { c.Direction = syncer.HubSpotToSansan; c.ReadConcurrency = 3 }
	// Stop the first pass after its 600th Sansan registration.
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	go func() {
		for ctx.Err() == nil {
			if e.sansanWrites() >= 600 {
				cancel()
				return
			}
			time.Sleep(time.Millisecond)
		}
	}()
	if _, err := e.engine(mut).SyncOnce(ctx); err == nil {
		t.Fatal("interrupted pass returned no error")
	}
	cp, err := e.store.Checkpoint(t.Context(), "hubspot/contacts")
	if err != nil || !strings.HasPrefix(cp.Cursor, "subwindows:") {
		t.Fatalf("checkpoint after the interruption = %+v, %v; want per-part cursors", cp, err)
	}
	rep := e.syncOnce(e.engine(mut))
	if got := e.sansanWrites(); got != len(contacts) {
		t.Errorf("%d cards registered for %d contacts (report %s)", got, len(contacts), rep)
	}
	seen := map[string]int{}
	for _, c := range e.ss.Fake.Cards() {
		seen[deref(c.Email)]++
	}
	for _, c := range contacts {
		if n := seen[c.Properties["email"]]; n != 1 {
			t.Errorf("%s registered %d times", c.Properties["email"], n)
		}
	}
	if rep := e.syncOnce(e.engine(mut)); rep.Created != 0 {
		t.Errorf("a later pass registered %d more", rep.Created)
	}
}
