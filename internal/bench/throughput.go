package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"

	"golang.org/x/time/rate"

	"github.com/cardbridge/sansanhubspot/hubspot"
	"github.com/cardbridge/sansanhubspot/syncer"
)

// tier is a HubSpot burst-limit tier and the SDK's documented client
// setting for it (hubspot package docs: the default 9.5/s burst 5 keeps
// any 10 s at or under 100; WithRateLimit(18.5, 5) for 190).
type tier struct {
	max         int        // requests per 10 s
	clientRate  rate.Limit // requests/s, unscaled
	clientBurst int
}

var tiers = []tier{{100, hubspot.DefaultRateLimit, hubspot.DefaultBurst}, {190, 18.5, 5}}

const (
	sansanRate   = 5 // requests/s per key, the limit the issue assumes
	sansanBurst  = 5 // the fake's bucket: one second's worth
	searchPerSec = 5 // HubSpot search, per second
	hubspotPage  = 100
	sansanPage   = 300
)

// scaledFakes are the fakes enforcing the real limits with time scaled:
// every rate ×scale, every window ÷scale.
func scaledFakes(n int, seed uint64, t tier, scale float64, webhook string) fakesConfig {
	return fakesConfig{
		Cards: n, Seed: seed,
		HubSpotMax: t.max, HubSpotWindow: time.Duration(float64(10*time.Second) / scale),
		SearchPerSec: int(searchPerSec * scale),
		SansanRate:   sansanRate * scale, SansanBurst: sansanBurst,
		WebhookURL: webhook,
	}
}

// scaledLimits are the SDK's client limits for a tier, scaled the same way.
func scaledLimits(t tier, scale float64) limits {
	return limits{
		hubspot: t.clientRate * rate.Limit(scale), hubspotBurst: t.clientBurst,
		search: 4 * rate.Limit(scale), searchBurst: 1,
		sansan: sansanRate * rate.Limit(scale), sansanBurst: 1,
		sansanRateLimitWait: time.Duration(float64(30*time.Second) / scale),
	}
}

// latencyModel adds, per request, a stand-in for network and server time,
// ÷scale like everything else: HubSpot batch writes latencyWrite, other
// calls latencyOther; Sansan pages latencyPage.
type latencyModel struct {
	write, other, page time.Duration
}

func (l latencyModel) hubspot(scale float64) func(*http.Request) time.Duration {
	return func(r *http.Request) time.Duration {
		d := l.other
		if strings.Contains(r.URL.Path, "/batch/") {
			d = l.write
		}
		return time.Duration(float64(d) / scale)
	}
}

func (l latencyModel) sansan(scale float64) func(*http.Request) time.Duration {
	return func(r *http.Request) time.Duration {
		d := l.other
		if strings.HasSuffix(r.URL.Path, "/bizCards") {
			d = l.page
		}
		return time.Duration(float64(d) / scale)
	}
}

type throughputResult struct {
	listed, written, contacts int
	writes, pages             int
	tooMany                   int64 // 429s the clients received
	wall                      time.Duration
	cpu, fakesCPU             time.Duration
	// steady-state rates (real-time units, i.e. ÷scale) over the middle
	// 80 % of the writes and pages.
	writesPerSec, pagesPerSec float64
	contactsPerSec            float64 // steady state, real-time units
	boundPerSec               float64 // contacts/s the limits allow, real-time units
	wholeRunFraction          float64 // T*/T over the whole pass
}

func runThroughput(ctx context.Context, n int, seed uint64, t tier, scale float64, lat *latencyModel) (*throughputResult, error) {
	hrec, srec := newRecorder(), newRecorder()
	if lat != nil {
		hrec.delay, srec.delay = lat.hubspot(scale), lat.sansan(scale)
	}
	return runThroughputWith(ctx, n, seed, t, scale, hrec, srec)
}

func runThroughputNet(ctx context.Context, n int, seed uint64, t tier, scale float64, m netModel) (*throughputResult, error) {
	hrec, srec := newRecorder(), newRecorder()
	hrec.delay, srec.delay = m.delay(m.hubspot, scale), m.delay(m.sansan, scale)
	return runThroughputWith(ctx, n, seed, t, scale, hrec, srec)
}

func runThroughputWith(ctx context.Context, n int, seed uint64, t tier, scale float64, hrec, srec *recorder) (*throughputResult, error) {
	f, err := startFakes(scaledFakes(n, seed, t, scale, ""))
	if err != nil {
		return nil, err
	}
	defer f.close()
	hc, sc, err := clients(f, scaledLimits(t, scale), hrec, srec)
	if err != nil {
		return nil, err
	}
	eng, err := syncer.New(syncer.Config{HubSpot: hc, Accounts: []syncer.Account{{Name: "tokyo", Client: sc}}})
	if err != nil {
		return nil, err
	}
	s0, err := f.stats(ctx)
	if err != nil {
		return nil, err
	}
	var rep *syncer.Report
	m, err := measure(ctx, func(ctx context.Context) error {
		var err error
		rep, err = eng.SyncOnce(ctx)
		return err
	})
	if err != nil {
		return nil, err
	}
	s, err := f.stats(ctx)
	if err != nil {
		return nil, err
	}
	c := split(s)
	r := &throughputResult{
		listed: rep.Accounts[0].Read, written: rep.Created + rep.Updated, contacts: s.Contacts,
		writes: c.HubSpotWrite, pages: c.SansanList,
		tooMany: hrec.tooMany.Load() + srec.tooMany.Load(), wall: m.wall, cpu: m.cpu,
	}
	writes, _ := hrec.events()
	_, pages := srec.events()
	r.fakesCPU = s.CPU - s0.CPU
	r.writesPerSec = steadyRate(writes) / scale
	r.pagesPerSec = steadyRate(pages) / scale
	perWrite := float64(r.written) / float64(max(1, r.writes))
	r.contactsPerSec = r.writesPerSec * perWrite
	synced := float64(r.written) / float64(max(1, r.listed))
	hsRate := float64(t.max) / 10
	r.boundPerSec = min(hsRate*hubspotPage, sansanRate*sansanPage*synced)
	// Whole pass against the time the limits force for the calls it needs
	// at the sustained rates (the rolling window's first-window allowance
	// ignored): T* = max(HubSpot non-search calls / rate, Sansan calls / rate).
	tStar := max(float64(c.HubSpotTotal)/hsRate, float64(c.SansanTotal)/sansanRate) / scale
	r.wholeRunFraction = tStar / m.wall.Seconds()
	return r, nil
}

// throughputCells formats the cells both throughput tables share:
// contacts, contacts/s, bound, steady / bound, whole pass, HubSpot writes/s,
// Sansan pages/s and 429s, min / median / max over runs.
func throughputCells(rs []*throughputResult) string {
	cells := []string{
		mmm("%.0f", collect(rs, func(r *throughputResult) float64 { return float64(r.written) })),
		mmm("%.0f", collect(rs, func(r *throughputResult) float64 { return r.contactsPerSec })),
		mmm("%.0f", collect(rs, func(r *throughputResult) float64 { return r.boundPerSec })),
		mmm("%.1f%%", collect(rs, func(r *throughputResult) float64 { return 100 * r.contactsPerSec / r.boundPerSec })),
		mmm("%.1f%%", collect(rs, func(r *throughputResult) float64 { return 100 * r.wholeRunFraction })),
		mmm("%.2f", collect(rs, func(r *throughputResult) float64 { return r.writesPerSec })),
		mmm("%.2f", collect(rs, func(r *throughputResult) float64 { return r.pagesPerSec })),
		mmm("%.0f", collect(rs, func(r *throughputResult) float64 { return float64(r.tooMany) })),
	}
	return strings.Join(cells, " | ")
}

// steadyRate is events per second between the 10th and 90th percentile
// of completion times.
func steadyRate(ev []event) float64 {
	if len(ev) < 10 {
		if len(ev) < 2 {
			return 0
		}
		return float64(len(ev)-1) / ev[len(ev)-1].at.Sub(ev[0].at).Seconds()
	}
	a, b := len(ev)/10, len(ev)*9/10
	d := ev[b].at.Sub(ev[a].at).Seconds()
	if d <= 0 {
		return 0
	}
	return float64(b-a) / d
}

func throughputSize(o options) int {
	switch {
	case o.tcards > 0:
		return o.tcards
	case o.quick:
		return 20000
	}
	return 30000
}

func benchThroughput(ctx context.Context, w io.Writer, o options) error {
	n := throughputSize(o)
	fmt.Fprintf(w, "## 2. Throughput under rate limits\n\n")
	fmt.Fprintf(w, "Initial sync of %d cards (network-model rows: a fifth, once). The fakes enforce HubSpot's burst limit (rolling window, 429 TEN_SECONDLY_ROLLING), "+
		"search 5/s, and Sansan 5 req/s per key (token bucket, burst %d, 429 without Retry-After), all ×%g (windows ÷%g) so the pass "+
		"takes seconds; the clients use the SDK's documented settings for the tier, scaled the same way (HubSpot %g/s burst %d for 100/10 s, "+
		"%g/s burst %d for 190/10 s; Sansan 5/s burst 1; the Sansan 429 wait ÷%g too). Rates below are converted back to real time (÷%g). "+
		"Steady state = the middle 80%% of the pass's HubSpot batch writes. Bound = min(HubSpot writes/s × 100, Sansan pages/s × 300 × written/listed). "+
		"Whole pass = T*/T with T* = max(HubSpot calls ÷ HubSpot rate, Sansan calls ÷ 5/s) at sustained rates.\n\n",
		n, sansanBurst, o.scale, o.scale, float64(tiers[0].clientRate), tiers[0].clientBurst, float64(tiers[1].clientRate), tiers[1].clientBurst, o.scale, o.scale)
	fmt.Fprintf(w, "| HubSpot limit | network model | cards | runs | contacts | contacts/s steady (real-time) | bound contacts/s | steady / bound | whole pass T*/T | HubSpot writes/s | Sansan pages/s | 429s received | SDK CPU | fakes CPU | wall |\n")
	fmt.Fprintf(w, "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n")
	type variant struct {
		t    tier
		lat  *latencyModel
		tag  string
		n    int
		runs int
	}
	variants := []variant{{tiers[0], nil, "loopback", n, o.runs}, {tiers[1], nil, "loopback", n, o.runs}}
	if !o.quick && !o.noNetwork {
		// Slow by design (writes are sequential): a fifth of the cards, once.
		lm := &latencyModel{write: 400 * time.Millisecond, other: 150 * time.Millisecond, page: 300 * time.Millisecond}
		variants = append(variants, variant{tiers[0], lm, "+400 ms/write, +300 ms/page", n / 5, 1}, variant{tiers[1], lm, "+400 ms/write, +300 ms/page", n / 5, 1})
	}
	for _, v := range variants {
		if o.tier != 0 && v.t.max != o.tier {
			continue
		}
		var rs []*throughputResult
		for i := range v.runs {
			r, err := runThroughput(ctx, v.n, o.seed+uint64(i), v.t, o.scale, v.lat)
			if err != nil {
				return err
			}
			fmt.Fprintf(os.Stderr, "bench: throughput %d/10s %s run %d: %.0f contacts/s (bound %.0f), %d 429s, %s\n",
				v.t.max, v.tag, i+1, r.contactsPerSec, r.boundPerSec, r.tooMany, r.wall.Round(time.Millisecond))
			rs = append(rs, r)
		}
		fmt.Fprintf(w, "| %d / 10 s | %s | %d | %d | %s | %s | %s | %s |\n", v.t.max, v.tag, v.n, len(rs), throughputCells(rs),
			mmm("%.2f s", collect(rs, func(r *throughputResult) float64 { return r.cpu.Seconds() })),
			mmm("%.2f s", collect(rs, func(r *throughputResult) float64 { return r.fakesCPU.Seconds() })),
			mmm("%.2f s", collect(rs, func(r *throughputResult) float64 { return r.wall.Seconds() })),
		)
	}
	fmt.Fprintf(w, "\nNetwork model: the fakes answer in about a millisecond; the last rows add, per request and ÷scale like the limits, "+
		"400 ms to HubSpot batch writes, 300 ms to Sansan pages and 150 ms to other calls (guesses at the real services' latency, not measurements).\n\n")
	return nil
}
