package syncer_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cardbridge/sansanhubspot/sansan"
	"github.com/cardbridge/sansanhubspot/sansan/sansantest"
	"github.com/cardbridge/sansanhubspot/syncer"
	"golang.org/x/time/rate"
)

// TestPreflightRegistrationUnsupported: when the Sansan API version in use
// has no card registration, a direction that registers cards stops at the
// preflight with a clear configuration error, before anything is written;
// the suggested per-endpoint version makes it work.
func TestPreflightRegistrationUnsupported(t *testing.T) {
	t.Parallel()
	e := newEnvWith(t, 50, 81, sansantest.WithRegisterVersion("v6.0"))
	_, err := e.engine(func(c *syncer.Config) { c.Direction = syncer.TwoWay }).SyncOnce(t.Context())
	if !errors.Is(err, syncer.ErrConfig) || !strings.Contains(err.Error(), "card registration") {
		t.Fatalf("two-way on an API version without registration: %v, want a config error about card registration", err)
	}
	if w := e.writes(); w != 0 || e.hs.Fake.NumContacts() != 0 {
		t.Errorf("%d HubSpot writes, %d contacts before the preflight failed", w, e.hs.Fake.NumContacts())
	}
	// One-way to HubSpot registers nothing and does not probe.
	if _, err := e.engine(nil).SyncOnce(t.Context()); err != nil {
		t.Errorf("Sansan → HubSpot: %v", err)
	}
	c, err := sansan.NewClient(e.admin().APIKey, sansan.WithBaseURL(e.ss.URL), sansan.WithRateLimit(rate.Inf, 0), sansan.WithSleep(noSleep),
		sansan.WithEndpointVersion(sansan.EndpointRegisterBizCard, "v6.0"))
	if err != nil {
		t.Fatal(err)
	}
	eng := e.engine(func(cfg *syncer.Config) {
		cfg.Direction = syncer.TwoWay
		cfg.Accounts = []syncer.Account{{Name: "tokyo", Client: c}}
	})
	if _, err := eng.SyncOnce(t.Context()); err != nil {
		t.Errorf("two-way with registration at v6.0: %v", err)
	}
}

// TestRateLimitWaitsReported: Sansan's 429s are waited out and show in the
// pass's report.
func TestRateLimitWaitsReported(t *testing.T) {
	t.Parallel()
	e := newEnv(t, 200, 82)
	e.ss.Fake.FailNextOn(sansantest.EndpointListBizCards, 2, 429)
	rep := e.syncOnce(e.engine(nil))
	if got := rep.RateLimitWaits["sansan"]; got != 2 {
		t.Errorf("RateLimitWaits[sansan] = %d, want 2", got)
	}
	// The default policy waits 30 s, then 1 min (the env's clients do not
	// really sleep).
	if got := rep.RateLimitWaited["sansan"]; got < 90*time.Second {
		t.Errorf("RateLimitWaited[sansan] = %s, want at least 1m30s", got)
	}
	if !strings.Contains(rep.String(), "rate limited sansan") {
		t.Errorf("the report does not mention the waits:\n%s", rep)
	}
	e.checkState(e.expected())
}

// TestPageTokenExpiredOnResume: a pass stops inside its window, the saved
// page token expires, and the next pass lists that window again from its
// start instead of failing.
func TestPageTokenExpiredOnResume(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	now := time.Now()
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	e := newEnvWith(t, 600, 83, sansantest.WithClock(clock), sansantest.WithPageTokenTTL(time.Minute))
	mut := func(c *syncer.Config) { c.PageSize, c.ReadConcurrency, c.WriteConcurrency = 50, 1, 1 }
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	e.hubRT.cancelK.Store(3)
	e.hubRT.cancel.Store(&cancel)
	if _, err := e.engine(mut).SyncOnce(ctx); err == nil {
		t.Fatal("interrupted pass returned no error")
	}
	e.hubRT.cancelK.Store(0)
	cp, err := e.store.Checkpoint(t.Context(), "sansan/tokyo/bizcards")
	if err != nil || cp.Phase() != syncer.PhaseInWindow || cp.Cursor == "" {
		t.Fatalf("checkpoint after the interruption = %+v, %v; want a cursor inside the window", cp, err)
	}
	mu.Lock()
	now = now.Add(time.Hour) // the saved token expires
	mu.Unlock()
	e.syncOnce(e.engine(mut))
	e.checkState(e.expected())
	if cp, _ := e.store.Checkpoint(t.Context(), "sansan/tokyo/bizcards"); cp.Phase() != syncer.PhaseIncremental {
		t.Errorf("checkpoint phase after the resumed pass = %s, want %s", cp.Phase(), syncer.PhaseIncremental)
	}
}

// TestPageTokenExpiredMidPass: the service forgets a listing while the pass
// is still reading it (its token lives a minute, the pass is slow); the
// pass lists the window again from its start and finishes, and a service
// that keeps refusing its fresh tokens ends the pass with the error after
// a few restarts.
func TestPageTokenExpiredMidPass(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name    string
		advance int // pages after which each token has expired; 1 = always
		wantErr bool
	}{
		{name: "expires once", advance: 0},
		{name: "always expired", advance: 1, wantErr: true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var mu sync.Mutex
			now := time.Now()
			clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
			e := newEnvWith(t, 600, 84, sansantest.WithClock(clock), sansantest.WithPageTokenTTL(time.Minute))
			pages := 0
			mut := func(c *syncer.Config) {
				c.PageSize, c.ReadConcurrency, c.WriteConcurrency = 50, 1, 1
				c.Progress = func(syncer.Progress) {
					mu.Lock()
					defer mu.Unlock()
					pages++
					if pages == 2 || tt.advance == 1 {
						now = now.Add(time.Hour) // the listing's token expires
					}
				}
			}
			_, err := e.engine(mut).SyncOnce(t.Context())
			if tt.wantErr {
				if !errors.Is(err, sansan.ErrPageTokenExpired) {
					t.Fatalf("SyncOnce: err = %v, want ErrPageTokenExpired", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("SyncOnce: %v", err)
			}
			e.checkState(e.expected())
		})
	}
}
