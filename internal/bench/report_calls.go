package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"time"
)

// bigRuns caches the 100,000-card runs shared by the calls and memory
// scenarios.
var bigRuns = map[string]*initialResult{}

func sizes(o options) []int {
	if o.quick {
		return []int{1000, 10000}
	}
	return []int{1000, 10000, 100000}
}

func bigSize(o options) int { return sizes(o)[len(sizes(o))-1] }

func runsFor(o options, n int) int {
	if n >= 100000 {
		return 1
	}
	return o.runs
}

func benchCalls(ctx context.Context, w io.Writer, o options) error {
	fmt.Fprintf(w, "## 1. API calls per synced contact\n\n")
	fmt.Fprintf(w, "Initial Sansan → HubSpot sync, memory store, client limits off (calls do not depend on time). "+
		"Counts are what the fakes received. N is the number of generated cards; the listing returns each person's head card "+
		"(\"listed\"); \"contacts\" are the contacts in HubSpot afterwards, \"written\" the records created or updated (a contact written twice counts twice). "+
		"Bound = ceil(listed/300) Sansan pages + ceil((contacts + failed)/100) HubSpot batch writes; "+
		"preflight (Sansan tags and key owner, HubSpot account details, property group and definitions) is constant and shown apart. Each run uses another seed (seed, seed+1, …); "+
		"cells give min / median / max over runs.\n\n")
	fmt.Fprintf(w, "| N cards | runs | listed | contacts | written | Sansan pages (bound) | HubSpot writes (bound) | other calls | preflight | calls over bound | calls / contact (excl. preflight) | SDK CPU / card | wall |\n")
	fmt.Fprintf(w, "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n")
	incr := map[int][]incrResult{}
	for _, n := range sizes(o) {
		var rs []*initialResult
		for i := range runsFor(o, n) {
			r, err := runCalls(ctx, n, o.seed+uint64(i), "memory", true)
			if err != nil {
				return err
			}
			fmt.Fprintf(os.Stderr, "bench: calls N=%d run %d: %d listed, %d written, %s\n", n, i+1, r.Listed, r.Written, r.M.wall.Round(time.Millisecond))
			rs = append(rs, r)
		}
		if n == bigSize(o) {
			bigRuns["memory"] = rs[0]
		}
		incr[n] = rs[0].Incr
		fmt.Fprintf(w, "| %d | %d | %s | %s | %s | %s (%s) | %s (%s) | %s | %s | %s | %s | %s | %s |\n", n, len(rs),
			mmm("%.0f", collect(rs, func(r *initialResult) float64 { return float64(r.Listed) })),
			mmm("%.0f", collect(rs, func(r *initialResult) float64 { return float64(r.Contacts) })),
			mmm("%.0f", collect(rs, func(r *initialResult) float64 { return float64(r.Written) })),
			mmm("%.0f", collect(rs, func(r *initialResult) float64 { return float64(r.Calls.SansanList) })),
			mmm("%.0f", collect(rs, func(r *initialResult) float64 { return float64(r.BoundReads) })),
			mmm("%.0f", collect(rs, func(r *initialResult) float64 { return float64(r.Calls.HubSpotWrite) })),
			mmm("%.0f", collect(rs, func(r *initialResult) float64 { return float64(r.BoundWrites) })),
			mmm("%.0f", collect(rs, func(r *initialResult) float64 { return float64(r.Calls.HubSpotOther) })),
			mmm("%.0f", collect(rs, func(r *initialResult) float64 { return float64(r.Preflight) })),
			mmm("%+.2f%%", collect(rs, func(r *initialResult) float64 { return 100 * r.Over })),
			mmm("%.4f", collect(rs, func(r *initialResult) float64 {
				return float64(r.Calls.SansanList+r.Calls.HubSpotWrite+r.Calls.HubSpotOther) / float64(r.Contacts)
			})),
			mmm("%.1f µs", collect(rs, func(r *initialResult) float64 { return float64(r.M.cpu.Microseconds()) / float64(r.Listed) })),
			mmm("%.2f s", collect(rs, func(r *initialResult) float64 { return r.M.wall.Seconds() })),
		)
	}
	fmt.Fprintf(w, "\n\"SDK CPU / card\" is the CPU time of the benchmark process (engine, clients, JSON, HTTP on loopback; the fakes run in a child process) "+
		"divided by listed cards; wall time is on loopback with no limits and depends on machine load.\n\n")

	fmt.Fprintf(w, "### Incremental passes\n\n")
	fmt.Fprintf(w, "After the initial sync (first run of each N), on the same engine: k synced cards get a new title, then one pass. "+
		"The default 2-minute overlap re-reads the cards touched by the previous passes, so \"listed\" grows by earlier ks; "+
		"they are unchanged and cost no write. Bound: one Sansan page per account (while listed ≤ 300) and ceil(k/100) HubSpot writes; "+
		"k = 0 is the nothing-changed pass (bound: zero HubSpot calls).\n\n")
	fmt.Fprintf(w, "| N cards | k changed | listed | Sansan pages (bound) | HubSpot writes (bound) | other calls | contacts written | pass wall |\n")
	fmt.Fprintf(w, "|---:|---:|---:|---:|---:|---:|---:|---:|\n")
	for _, n := range sizes(o) {
		for _, ir := range incr[n] {
			fmt.Fprintf(w, "| %d | %d | %d | %d (%d) | %d (%d) | %d | %d | %s |\n", n, ir.K, ir.Listed,
				ir.SansanList, max(1, ceilDiv(ir.Listed, 300)), ir.HubSpotWrite, ir.BoundWrites, ir.Other, ir.Written, ir.Wall.Round(100*time.Microsecond))
		}
	}
	fmt.Fprintln(w)
	return nil
}

func benchMemory(ctx context.Context, w io.Writer, o options) error {
	n := bigSize(o)
	fmt.Fprintf(w, "## 3b. Memory of an initial sync of %d cards\n\n", n)
	fmt.Fprintf(w, "Heap of the benchmark process only (the fakes run in a child process), with GOGC at its default (100). "+
		"Retained = live heap after the pass and two GCs, minus the same before the engine was built: the store's links and the engine. "+
		"Peak live = the largest heap any GC cycle marked live during the pass (runtime/metrics /gc/heap/live:bytes, sampled every 2 ms); "+
		"peak live − retained is what the pass held beyond its links: pages in flight, batches, buffers. Peak heap = largest heap "+
		"including garbage not yet collected (GOGC lets it reach about twice the live heap). Allocated = bytes and objects allocated "+
		"during the pass, per listed card.\n\n")
	fmt.Fprintf(w, "| store | listed | links | retained | retained / link | peak live | peak live − retained | peak heap (incl. garbage) | allocated / card | allocs / card | SDK CPU / card | wall |\n")
	fmt.Fprintf(w, "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n")
	for _, kind := range []string{"memory", "file"} {
		r := bigRuns[kind]
		if r == nil {
			var err error
			if r, err = runCalls(ctx, n, o.seed, kind, false); err != nil {
				return err
			}
			fmt.Fprintf(os.Stderr, "bench: memory %s store N=%d: %s\n", kind, n, r.M.wall.Round(time.Millisecond))
		}
		retained := int64(r.HeapAfter) - int64(r.HeapBase)
		fmt.Fprintf(w, "| %s | %d | %d | %s | %d B | %s | %s | %s | %.1f KiB | %.0f | %.1f µs | %.2f s |\n", kind, r.Listed, r.Links,
			mib(retained), retained/int64(max(1, r.Links)), mib(int64(r.M.peakLive)), mib(int64(r.M.peakLive)-int64(r.HeapAfter)),
			mib(int64(r.M.peak)), float64(r.M.bytes)/1024/float64(r.Listed), float64(r.M.objects)/float64(r.Listed),
			float64(r.M.cpu.Microseconds())/float64(r.Listed), r.M.wall.Seconds())
	}
	fmt.Fprintln(w)
	return nil
}

func mib(b int64) string { return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20)) }
