package syncer_test

import (
	"context"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/cardbridge/sansanhubspot/hubspot"
	"github.com/cardbridge/sansanhubspot/hubspot/hubspottest"
	"github.com/cardbridge/sansanhubspot/syncer"
)

// TestReliabilityFlakyServices syncs through seeded fault injection on
// both services: 10 % 5xx, 5 % 429 (every HubSpot policy, DAILY included),
// 1 % dropped connections, slow answers around the client timeout, and
// 3 % of batch inputs failing inside 207 answers. Passes converge to the
// expected state within a bounded number. The clients keep their default
// proactive rate limits against a fake enforcing HubSpot's published
// limits, and the fake's own error answers (not the injected ones) stay
// under HubSpot's 5 % guideline.
func TestReliabilityFlakyServices(t *testing.T) {
	t.Parallel()
	cards, maxPasses := scaled(1500, 400), 40
	if soak() {
		cards = 6000
	}
	const timeout = 800 * time.Millisecond
	hubStats, ssStats := &faultStats{}, &faultStats{}
	var rngMu sync.Mutex
	rng := rand.New(rand.NewPCG(47, 47))
	partial := 0
	e := newRelEnv(t, relOpts{cards: cards, seed: 47, timeout: timeout,
		hsOpts: []hubspottest.Option{hubspottest.WithRateLimit(100, 10*time.Second), hubspottest.WithSearchRateLimit(5), hubspottest.WithPartialEmailUpserts()},
		hsMW: faultMW(48, faultConfig{p5xx: 0.10, p429: 0.05, pDrop: 0.01, pSlow: 0.02, slow: timeout, hubspot: true,
			policies: []string{hubspottest.PolicyTenSecondlyRolling, hubspottest.PolicySecondly, hubspottest.PolicyDaily}}, hubStats),
		ssMW: faultMW(49, faultConfig{p5xx: 0.10, p429: 0.05, pDrop: 0.01, pSlow: 0.01, slow: timeout}, ssStats),
		// HubSpot's published defaults, not the env's unlimited ones.
		hubOpts: []hubspot.Option{
			hubspot.WithRateLimit(hubspot.DefaultRateLimit, hubspot.DefaultBurst),
			hubspot.WithSearchRateLimit(hubspot.DefaultSearchRateLimit, hubspot.DefaultSearchBurst),
		},
	})
	e.hs.Fake.FailBatchInputs(func(map[string]string) bool {
		rngMu.Lock()
		defer rngMu.Unlock()
		fail := rng.Float64() < 0.03
		if fail {
			partial++
		}
		return fail
	})
	// Each pass runs two hours later on the engine's clock, so records
	// that failed inside a 207 are due for their retry.
	var clockMu sync.Mutex
	offset := time.Duration(0)
	now := func() time.Time {
		clockMu.Lock()
		defer clockMu.Unlock()
		return time.Now().Add(offset)
	}
	eng := e.relEngine(e.store, func(c *syncer.Config) { c.Now = now })
	passes, failedPasses, failedRecords := 0, 0, 0
	converged := false
	for passes < maxPasses {
		passes++
		rep, err := eng.SyncOnce(t.Context())
		clockMu.Lock()
		offset += 2 * time.Hour
		clockMu.Unlock()
		if err != nil {
			failedPasses++
			t.Logf("pass %d stopped: %v", passes, err)
			continue
		}
		failedRecords += rep.Failed
		failing, err := e.store.LinksToRetry(t.Context(), time.Now().Add(1000*time.Hour), 1)
		if err != nil {
			t.Fatal(err)
		}
		if rep.Failed == 0 && len(failing) == 0 {
			converged = true
			break
		}
	}
	if !converged {
		t.Fatalf("no clean pass in %d passes", maxPasses)
	}
	want := e.expected()
	e.checkState(want)
	bad := e.checkValues(want)
	dups := e.duplicates()

	hs, ss := hubStats.snapshot(), ssStats.snapshot()
	hubReq := hs["requests"].(int)
	natural := hs["upstream_errors"].(int)
	rate := float64(natural) / float64(hubReq)
	if rate >= 0.05 {
		t.Errorf("HubSpot answered %d of %d requests with its own errors (%.1f%%), want < 5%%", natural, hubReq, 100*rate)
	}
	rngMu.Lock()
	defer rngMu.Unlock()
	figures(t, "flaky", map[string]any{
		"cards": cards, "passes": passes, "failed_passes": failedPasses, "records_failed_then_retried": failedRecords,
		"hubspot": hs, "sansan": ss, "partial_207_inputs_failed": partial,
		"hubspot_own_error_rate_pct": 100 * rate, "lost": e.lost(want),
		"duplicates": dups, "wrong_values": bad,
	})
}

// TestReliabilityProactiveLimits sends more requests than HubSpot's burst
// window allows, from several goroutines sharing one client with its
// default limits, at a fake enforcing HubSpot's published limits (100 per
// rolling 10 s; search 5 per second): the proactive limiters keep the
// fake's 429 answers at zero, well under the 5 % guideline.
func TestReliabilityProactiveLimits(t *testing.T) {
	t.Parallel()
	stats := &faultStats{}
	e := newRelEnv(t, relOpts{
		hsOpts: []hubspottest.Option{hubspottest.WithRateLimit(100, 10*time.Second), hubspottest.WithSearchRateLimit(5)},
		hsMW:   faultMW(50, faultConfig{hubspot: true}, stats),
		hubOpts: []hubspot.Option{
			hubspot.WithRateLimit(hubspot.DefaultRateLimit, hubspot.DefaultBurst),
			hubspot.WithSearchRateLimit(hubspot.DefaultSearchRateLimit, hubspot.DefaultSearchBurst),
			hubspot.WithSleep(apiSleep),
		},
	})
	c, err := e.hs.Fake.CreateContact(map[string]string{"email": "limit@example.jp"})
	if err != nil {
		t.Fatal(err)
	}
	// 130 requests: more than one rolling 10-s window holds, in the
	// fewest seconds that show it (searches also count against it).
	const gets, searches, workers = 106, 24, 8
	var wg sync.WaitGroup
	errs := make(chan error, gets+searches)
	jobs := make(chan bool, gets+searches)
	for i := range gets + searches {
		jobs <- i < searches
	}
	close(jobs)
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for search := range jobs {
				var err error
				if search {
					_, _, err = e.hub.Contacts.Search(t.Context(), &hubspot.SearchRequest{Query: "limit", Limit: 1})
				} else {
					_, _, err = e.hub.Contacts.Get(t.Context(), c.ID, nil)
				}
				if err != nil {
					errs <- err
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	st := stats.snapshot()
	n, limited := st["requests"].(int), st["upstream_429"].(int)
	if n != gets+searches {
		t.Errorf("%d requests reached HubSpot, want %d (no retries needed)", n, gets+searches)
	}
	if limited != 0 {
		t.Errorf("HubSpot answered 429 to %d of %d requests", limited, n)
	}
	figures(t, "proactive-limits", map[string]any{"requests": n, "searches": searches, "hubspot_429": limited,
		"error_rate_pct": 100 * float64(st["upstream_errors"].(int)) / float64(n)})
}

// apiSleep is a real sleep that ends with the context.
func apiSleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
