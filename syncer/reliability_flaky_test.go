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
	"golang.org/x/time/rate"
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
	// 600 cards by default (about 30 HubSpot and 100 Sansan requests,
	// which draw most fault kinds in every run; TestReliabilityDailyLimit
	// covers DAILY on its own); the soak run syncs 6,000.
	cards, maxPasses := scaled(600, 300), 40
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
//
// That takes more than 13 s of real time. The default run compresses
// time instead: the fake's clock runs proactiveSpeed times faster than
// real time and the client's limiters as many times faster, so the fake
// sees the default limits at work, request for request, in half the
// time. The soak run uses real time.
func TestReliabilityProactiveLimits(t *testing.T) {
	t.Parallel()
	speed := proactiveSpeed
	if soak() {
		speed = 1
	}
	start := time.Now()
	clock := func() time.Time { return start.Add(time.Duration(float64(time.Since(start)) * speed)) }
	stats := &faultStats{}
	e := newRelEnv(t, relOpts{
		hsOpts: []hubspottest.Option{hubspottest.WithRateLimit(100, 10*time.Second), hubspottest.WithSearchRateLimit(5), hubspottest.WithClock(clock)},
		hsMW:   faultMW(50, faultConfig{hubspot: true}, stats),
		hubOpts: []hubspot.Option{
			hubspot.WithRateLimit(hubspot.DefaultRateLimit*rate.Limit(speed), hubspot.DefaultBurst),
			hubspot.WithSearchRateLimit(hubspot.DefaultSearchRateLimit*rate.Limit(speed), hubspot.DefaultSearchBurst),
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
	if took := clock().Sub(start); took < 10*time.Second {
		t.Errorf("the requests took %s on the fake's clock, want more than one 10-s window", took)
	}
	figures(t, "proactive-limits", map[string]any{"requests": n, "searches": searches, "hubspot_429": limited,
		"error_rate_pct": 100 * float64(st["upstream_errors"].(int)) / float64(n), "clock_speed": speed})
}

// proactiveSpeed is how many times faster than real time the default run
// of TestReliabilityProactiveLimits runs the fake's clock and the
// client's limiters. The default limits sit exactly on HubSpot's (5 +
// 9.5 × 10 s = 100), so only the scheduling delays between client and
// fake keep a 101st request out of a window: about 105 ms of them at real
// speed, speed times less here. 4 failed once in 15 runs on the loaded
// 2-core machine; 2 leaves about 50 ms.
const proactiveSpeed = 2.0

// TestDefaultLimitsFitHubSpot: the client's default limits cannot exceed
// HubSpot's published ones in any window, whatever the timing: a token
// bucket of rate r and burst b admits at most b + r·w requests in any
// window w.
func TestDefaultLimitsFitHubSpot(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name   string
		rate   rate.Limit
		burst  int
		window time.Duration
		max    float64
	}{
		{name: "general, 100 per rolling 10 s", rate: hubspot.DefaultRateLimit, burst: hubspot.DefaultBurst, window: 10 * time.Second, max: 100},
		{name: "search, 5 per second", rate: hubspot.DefaultSearchRateLimit, burst: hubspot.DefaultSearchBurst, window: time.Second, max: 5},
	} {
		if most := float64(tt.burst) + float64(tt.rate)*tt.window.Seconds(); most > tt.max {
			t.Errorf("%s: the default limit admits up to %.1f", tt.name, most)
		}
	}
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
