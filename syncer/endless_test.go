package syncer_test

import (
	"context"
	"errors"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/cardbridge/sansanhubspot/syncer"
)

// TestReliabilityEndlessPages: a server whose listing never ends (every
// page says hasMore, with a fresh 64 KB token) no longer holds a pass
// forever nor makes it keep every token: the pass stops after as many
// pages as the window can hold with a *PageLimitError naming the account
// and window, its heap grows by less than a bound far below what the
// tokens weigh, and the checkpoint keeps only the last token.
//
// 300 pages in the default run (100 under the race detector); 3,000 pages
// (187 MB of tokens) under SANSANHUBSPOT_SOAK. It is not parallel: it
// measures the process's heap, which tests running beside it would
// disturb.
func TestReliabilityEndlessPages(t *testing.T) {
	pages, bound := scaled(300, 100), uint64(12<<20)
	if soak() {
		pages, bound = 3000, 50<<20
	}
	const tokenBytes = 64 << 10
	e := newEnv(t, 5, 31)
	e.ss.Fake.ServeEndlessPages(tokenBytes)
	// MaxWindowCards such that the window may take `pages` pages of 300.
	k := 0
	for k+k/4+10 < pages {
		k++
	}
	wantLimit := k + k/4 + 10

	var base, peak runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&base)
	peakHeap, calls := base.HeapAlloc, 0
	measure := func() {
		var m runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&m)
		if m.HeapAlloc > peakHeap {
			peakHeap, peak = m.HeapAlloc, m
		}
	}
	eng := e.engine(func(c *syncer.Config) {
		c.PageSize, c.ReadConcurrency, c.MaxWindowCards = 300, 1, 300*k
		c.Progress = func(p syncer.Progress) {
			if calls++; calls%50 == 0 {
				measure()
			}
		}
	})
	// Before the fix the pass never ended: bound it so the test fails
	// instead of hanging.
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	start := time.Now()
	_, err := eng.SyncOnce(ctx)
	took := time.Since(start)
	measure()

	var pl *syncer.PageLimitError
	if !errors.As(err, &pl) || !errors.Is(err, syncer.ErrTooManyPages) {
		t.Fatalf("SyncOnce: %v, want a *PageLimitError", err)
	}
	if pl.Account != "tokyo" || pl.Pages != wantLimit || pl.Limit != wantLimit || pl.From.IsZero() || !pl.To.After(pl.From) {
		t.Errorf("PageLimitError %+v, want account tokyo, %d pages of %d, the window", pl, wantLimit, wantLimit)
	}
	if msg := err.Error(); !strings.Contains(msg, `"tokyo"`) || !strings.Contains(msg, "window 2000-01-01T00:00:00Z to ") || len(msg) > 500 {
		t.Errorf("message %q should name the account and window, briefly", msg)
	}
	// The producer reads ahead at most a few pages.
	if served := e.ss.Fake.EndlessPagesServed(); served < wantLimit || served > wantLimit+6 {
		t.Errorf("%d pages served, want %d (+ a few read ahead)", served, wantLimit)
	}
	growth := int64(peakHeap) - int64(base.HeapAlloc)
	if growth > int64(bound) {
		t.Errorf("heap grew by %.1f MB over %d pages of %d KB tokens, want under %d MB", float64(growth)/(1<<20), pages, tokenBytes>>10, bound>>20)
	}
	cp, err := e.store.Checkpoint(t.Context(), "sansan/tokyo/bizcards")
	if err != nil || cp.Phase() != syncer.PhaseInWindow || len(cp.Cursor) < tokenBytes || len(cp.Cursor) > tokenBytes+1024 {
		t.Errorf("checkpoint phase %s with a %d-byte cursor (%v), want the window open at the last token", cp.Phase(), len(cp.Cursor), err)
	}
	figures(t, "endless pages", map[string]any{
		"pages": pl.Pages, "limit": pl.Limit, "token_kb": tokenBytes >> 10, "tokens_mb": pl.Pages * tokenBytes >> 20,
		"heap_growth_mb": float64(growth) / (1 << 20), "peak_heap_mb": float64(peak.HeapAlloc) / (1 << 20),
		"seconds": took.Seconds(), "sansan_requests": e.ss.Fake.TotalRequests(),
	})
}
