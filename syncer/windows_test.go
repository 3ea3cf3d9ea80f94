package syncer_test

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"

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
				t.Fatal("interrupted pass returned no error")
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
