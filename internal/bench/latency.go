package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"sync"
	"time"

	"github.com/cardbridge/sansanhubspot/hubspot"
	"github.com/cardbridge/sansanhubspot/syncer"
)

func latencySamples(o options) int {
	if o.quick {
		return 3
	}
	return 10
}

func benchLatency(ctx context.Context, w io.Writer, o options) error {
	fmt.Fprintf(w, "## 4. Latency\n\n")
	if err := latencySansan(ctx, w, o); err != nil {
		return err
	}
	fmt.Fprintf(w, "HubSpot webhook → Sansan card registered: the engine runs (Run, HubSpotToSansan, Interval 1 h so only the webhook "+
		"can trigger a pass) behind hubspot.WebhookHandler → Engine.Notify; the HubSpot fake creates a contact and sends "+
		"the signed webhook after its 20 ms batching delay. \"created → card\" is timed in the fakes' process from the contact's creation "+
		"until the card exists; \"webhook → pass done\" from the handler receiving the delivery until the pass it triggered returns. "+
		"%d samples each, min / median / max:\n\n", latencySamples(o))
	fmt.Fprintf(w, "| client limits | contact created → card in Sansan | webhook received → pass done |\n|---|---:|---:|\n")
	if err := latencyWebhook(ctx, w, o, sdkDefaults, "SDK defaults (Sansan 5/s, burst 1)"); err != nil {
		return err
	}
	burst := sdkDefaults
	burst.sansanBurst = 2
	if err := latencyWebhook(ctx, w, o, burst, "Sansan WithRateLimit(5, 2)"); err != nil {
		return err
	}
	fmt.Fprintln(w)
	return nil
}

// latencySansan measures the processing part of Sansan → HubSpot: one card
// changes, then one pass (what Run does at each Interval tick) on a
// 10,000-card tenant whose initial sync is done, with the SDK's default
// client limits, until the pass returns with the contact updated.
func latencySansan(ctx context.Context, w io.Writer, o options) error {
	n := 10000
	f, err := startFakes(fakesConfig{Cards: n, Seed: o.seed})
	if err != nil {
		return err
	}
	defer f.close()
	store := syncer.NewMemoryStore()
	// Initial sync without limits (not measured here).
	hc, sc, err := clients(f, unlimited, newRecorder(), newRecorder())
	if err != nil {
		return err
	}
	eng, err := syncer.New(syncer.Config{HubSpot: hc, Accounts: []syncer.Account{{Name: "tokyo", Client: sc}}, Store: store})
	if err != nil {
		return err
	}
	if _, err := eng.SyncOnce(ctx); err != nil {
		return err
	}
	// The measured engine: SDK default limits, preflight done by a first pass.
	hc, sc, err = clients(f, sdkDefaults, newRecorder(), newRecorder())
	if err != nil {
		return err
	}
	eng, err = syncer.New(syncer.Config{HubSpot: hc, Accounts: []syncer.Account{{Name: "tokyo", Client: sc}}, Store: store})
	if err != nil {
		return err
	}
	if _, err := eng.SyncOnce(ctx); err != nil {
		return err
	}
	var took []float64
	for i := range latencySamples(o) {
		time.Sleep(1100 * time.Millisecond) // limiter buckets refill; a new second for Sansan's window
		var touched []struct{ ContactID, Title string }
		if err := f.call(ctx, http.MethodPost, "touch?n=1", &touched); err != nil {
			return err
		}
		t0 := time.Now()
		rep, err := eng.SyncOnce(ctx)
		if err != nil {
			return err
		}
		d := time.Since(t0)
		var props map[string]string
		if err := f.call(ctx, http.MethodGet, "contact?id="+touched[0].ContactID, &props); err != nil {
			return err
		}
		if props["jobtitle"] != touched[0].Title {
			return fmt.Errorf("sample %d: contact %s has jobtitle %q, want %q (report: %s)", i, touched[0].ContactID, props["jobtitle"], touched[0].Title, rep)
		}
		took = append(took, float64(d.Microseconds())/1000)
	}
	fmt.Fprintf(w, "Sansan → HubSpot, processing part: one card's title changes in a 10,000-card tenant (initial sync done, SDK default limits), "+
		"then one pass, timed until it returns with the contact updated; %d samples, min / median / max: **%s ms**. "+
		"The pass lists the window since the last checkpoint (1 page), diffs, and writes one batch/update. With Run, a change waits for the next "+
		"tick first: latency = up to Config.Interval (default 1 min) + this.\n\n", len(took), mmm("%.1f", took))
	return nil
}

// latencyWebhook measures HubSpot webhook → Sansan card registered: the
// engine runs (Run, Interval 1 h, two-way off: HubSpotToSansan) behind a
// webhook endpoint; the fake creates a contact, sends the signed webhook
// and times until the card exists in the Sansan fake.
func latencyWebhook(ctx context.Context, w io.Writer, o options, lim limits, label string) error {
	const secret = "bench-webhook-secret"
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	cfg := fakesConfig{Cards: 1000, Seed: o.seed, WebhookURL: "http://" + ln.Addr().String() + "/webhooks", WebhookSecret: secret}
	f, err := startFakes(cfg)
	if err != nil {
		ln.Close()
		return err
	}
	defer f.close()
	hc, sc, err := clients(f, lim, newRecorder(), newRecorder())
	if err != nil {
		ln.Close()
		return err
	}
	var (
		mu       sync.Mutex
		arrived  time.Time
		passDone = make(chan time.Time, 16)
	)
	var logger *slog.Logger
	if os.Getenv("BENCH_DEBUG") != "" {
		logger = slog.New(slog.NewTextHandler(os.Stderr, nil))
	}
	eng, err := syncer.New(syncer.Config{
		Logger:  logger,
		HubSpot: hc, Accounts: []syncer.Account{{Name: "tokyo", Client: sc}},
		Direction: syncer.HubSpotToSansan, Interval: time.Hour,
		OnPass: func(*syncer.Report, error) {
			select {
			case passDone <- time.Now():
			default:
			}
		},
	})
	if err != nil {
		ln.Close()
		return err
	}
	// The fake calls a plain-http loopback URL and signs that URL; the
	// default (WebhookURL) assumes HubSpot's https.
	target := cfg.WebhookURL
	h := &hubspot.WebhookHandler{ClientSecret: secret, Logger: logger, URL: func(*http.Request) string { return target }, Handle: func(ctx context.Context, evs []hubspot.WebhookEvent) error {
		mu.Lock()
		if arrived.IsZero() {
			arrived = time.Now()
		}
		mu.Unlock()
		return eng.Notify(ctx, evs)
	}}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second}
	go srv.Serve(ln) //nolint:errcheck // closed below
	defer srv.Close()

	runCtx, cancel := context.WithCancel(ctx)
	runErr := make(chan error, 1)
	go func() { runErr <- eng.Run(runCtx) }()
	defer func() {
		cancel()
		<-runErr
	}()
	select { // the initial pass
	case <-passDone:
	case <-time.After(60 * time.Second):
		return errors.New("initial pass did not finish")
	}
	var total, processing []float64
	for i := range latencySamples(o) {
		time.Sleep(600 * time.Millisecond) // search limiter (4/s) refills
		mu.Lock()
		arrived = time.Time{}
		mu.Unlock()
		for len(passDone) > 0 {
			<-passDone
		}
		var took time.Duration
		email := fmt.Sprintf("bench-%d-%d@example.com", time.Now().UnixNano(), i)
		if err := f.call(ctx, http.MethodPost, "contact?email="+email, &took); err != nil {
			return err
		}
		var done time.Time
		select {
		case done = <-passDone:
		case <-time.After(10 * time.Second):
			return errors.New("no pass after webhook")
		}
		mu.Lock()
		a := arrived
		mu.Unlock()
		total = append(total, float64(took.Microseconds())/1000)
		if !a.IsZero() {
			processing = append(processing, float64(done.Sub(a).Microseconds())/1000)
		}
	}
	fmt.Fprintf(w, "| %s | %s ms | %s ms |\n", label, mmm("%.1f", total), mmm("%.1f", processing))
	fmt.Fprintf(os.Stderr, "bench: webhook latency %s ms\n", mmm("%.1f", total))
	return nil
}
