package main

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"
)

// netModel is a per-service latency model: every HubSpot request takes
// hubspot longer, every Sansan request sansan longer, each ±jitter (a
// fraction, uniform), ÷scale like the limits.
type netModel struct {
	hubspot, sansan time.Duration
	jitter          float64
}

func (m netModel) delay(d time.Duration, scale float64) func(*http.Request) time.Duration {
	return func(*http.Request) time.Duration {
		if d <= 0 {
			return 0
		}
		f := 1 + m.jitter*(2*rand.Float64()-1)
		return time.Duration(float64(d) * f / scale)
	}
}

// parseDurations reads "0,100ms,400ms": a bare number is milliseconds.
func parseDurations(s string) ([]time.Duration, error) {
	var out []time.Duration
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f == "" {
			continue
		}
		if n, err := strconv.Atoi(f); err == nil {
			out = append(out, time.Duration(n)*time.Millisecond)
			continue
		}
		d, err := time.ParseDuration(f)
		if err != nil {
			return nil, fmt.Errorf("bench: latency %q: %w", f, err)
		}
		out = append(out, d)
	}
	return out, nil
}

func parseInts(s string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f == "" {
			continue
		}
		n, err := strconv.Atoi(strings.ReplaceAll(f, "_", ""))
		if err != nil {
			return nil, fmt.Errorf("bench: %q is not a number", f)
		}
		out = append(out, n)
	}
	return out, nil
}

// benchNetwork measures throughput as a fraction of the rate-limit bound
// with a modelled network latency per request, for each HubSpot latency,
// tier and tenant size: the engine's writes in flight and parallel reads
// against the limits.
func benchNetwork(ctx context.Context, w io.Writer, o options) error {
	lats, sizes := o.net.hubspot, o.net.cards
	if o.quick {
		lats, sizes = []time.Duration{400 * time.Millisecond}, []int{5000}
	}
	fmt.Fprintf(w, "## 2b. Throughput over a network\n\n")
	fmt.Fprintf(w, "Initial sync under the rate limits of section 2 (fakes and clients ×%g, rates converted back to real time), with a modelled "+
		"latency added to every request before it is sent: HubSpot as in the row, Sansan %s, each ±%.0f%% uniform jitter, ÷%g like the limits. "+
		"The engine runs with its defaults (writes in flight: limiter rate × observed round trip + 1; a large window listed in parts, "+
		"Sansan rate × the first page's round trip calls at once). Steady / bound as in section 2; cells are min / median / max over runs.\n\n",
		o.scale, o.net.sansan, 100*o.net.jitter, o.scale)
	fmt.Fprintf(w, "| HubSpot limit | HubSpot latency | Sansan latency | cards | runs | contacts | contacts/s steady | bound contacts/s | steady / bound | whole pass T*/T | HubSpot writes/s | Sansan pages/s | 429s | wall |\n")
	fmt.Fprintf(w, "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n")
	for _, t := range tiers {
		if o.tier != 0 && t.max != o.tier {
			continue
		}
		for _, hl := range lats {
			for _, n := range sizes {
				runs := o.runs
				if n >= 100000 {
					runs = min(runs, o.net.bigRuns)
				}
				m := netModel{hubspot: hl, sansan: o.net.sansan, jitter: o.net.jitter}
				var rs []*throughputResult
				for i := range runs {
					r, err := runThroughputNet(ctx, n, o.seed+uint64(i), t, o.scale, m)
					if err != nil {
						return err
					}
					fmt.Fprintf(os.Stderr, "bench: network %d/10s hubspot %s run %d: %.0f contacts/s (bound %.0f), %d 429s, %s\n",
						t.max, hl, i+1, r.contactsPerSec, r.boundPerSec, r.tooMany, r.wall.Round(time.Millisecond))
					rs = append(rs, r)
				}
				fmt.Fprintf(w, "| %d / 10 s | %s | %s | %d | %d | %s | %s |\n", t.max, hl, o.net.sansan, n, len(rs), throughputCells(rs),
					mmm("%.1f s", collect(rs, func(r *throughputResult) float64 { return r.wall.Seconds() })))
			}
		}
	}
	fmt.Fprintln(w)
	return nil
}
