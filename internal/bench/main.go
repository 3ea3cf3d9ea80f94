// Command bench measures the sansanhubspot sync engine against the fakes
// (sansan/sansantest and hubspot/hubspottest, served by a child process of
// this program so that the CPU time and heap it reports are the SDK's):
// API calls per synced contact against their lower bounds, throughput
// under time-scaled rate limits, CPU and memory per card, change latency,
// and a naive one-card-at-a-time sync for comparison. BENCHMARKS.md at the
// repository root explains each figure.
//
// Usage:
//
//	go run ./internal/bench [-runs 3] [-quick] [-scale 2] [-only calls,throughput,pipeline,memory,latency,naive] [-out results.md]
//
// The pipeline scenario runs the Go benchmarks in syncer/pipeline_bench_test.go
// through the go command, which must be on PATH.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime"
	"runtime/pprof"
	"slices"
	"strings"
	"time"
)

type options struct {
	tcards    int  // cards of the throughput scenario (0 = default)
	tier      int  // throughput: only this HubSpot tier (100 or 190); 0 = both
	noNetwork bool // throughput: skip the modelled-latency rows
	runs      int
	quick     bool
	scale     float64
	only      map[string]bool
	seed      uint64
	net       netOptions
}

// netOptions configure the "network" scenario.
type netOptions struct {
	hubspot []time.Duration // HubSpot latencies, one row each
	sansan  time.Duration   // Sansan latency
	jitter  float64         // ± fraction
	cards   []int           // tenant sizes
	bigRuns int             // runs of tenants of 100,000 cards or more
}

func main() {
	fakesCfg := flag.String("fakes", "", "internal: serve the fakes with this JSON config")
	runs := flag.Int("runs", 3, "runs per figure (min/median/max); 100,000-card syncs run once")
	quick := flag.Bool("quick", false, "smaller sizes and one run: a smoke test of the suite")
	scale := flag.Float64("scale", 2, "time scale of the rate-limit scenarios: limits ×scale, durations ÷scale")
	only := flag.String("only", "", "comma-separated scenarios to run (calls,throughput,network,pipeline,memory,latency,naive); all when empty")
	out := flag.String("out", "", "also write the results (markdown) to this file")
	seed := flag.Uint64("seed", 1, "seed of the generated Sansan tenant")
	tier := flag.Int("tier", 0, "throughput: only this HubSpot limit per 10 s (100 or 190); 0 = both")
	noNetwork := flag.Bool("no-network", false, "throughput: skip the rows with modelled network latency")
	tcards := flag.Int("throughput-cards", 0, "cards of the throughput scenario (default 30,000; 20,000 with -quick)")
	netHub := flag.String("net-hubspot", "0,100ms,400ms,800ms", "network: HubSpot latencies per request, one row each")
	netSansan := flag.Duration("net-sansan", 300*time.Millisecond, "network: Sansan latency per request")
	netJitter := flag.Float64("net-jitter", 0.2, "network: ± jitter of every latency, as a fraction")
	netCards := flag.String("net-cards", "20000,100000", "network: tenant sizes")
	netBigRuns := flag.Int("net-big-runs", 2, "network: runs of tenants of 100,000 cards or more")
	cpuprofile := flag.String("cpuprofile", "", "write a CPU profile of the benchmark process (not the fakes) to this file")
	memprofile := flag.String("memprofile", "", "write an allocation profile of the benchmark process to this file at the end")
	flag.Parse()

	if *fakesCfg != "" {
		if err := serveFakes(*fakesCfg); err != nil {
			fmt.Fprintln(os.Stderr, "fakes:", err)
			os.Exit(1)
		}
		return
	}
	o := options{tier: *tier, noNetwork: *noNetwork, tcards: *tcards, runs: max(1, *runs), quick: *quick, scale: *scale, seed: *seed, only: map[string]bool{}}
	var err error
	if o.net.hubspot, err = parseDurations(*netHub); err == nil {
		o.net.cards, err = parseInts(*netCards)
	}
	if err != nil || *netJitter < 0 || *netJitter >= 1 {
		fmt.Fprintln(os.Stderr, "bench: bad -net-* flag:", err)
		os.Exit(2)
	}
	o.net.sansan, o.net.jitter, o.net.bigRuns = *netSansan, *netJitter, max(1, *netBigRuns)
	if o.quick {
		o.runs = 1
	}
	for _, s := range strings.Split(*only, ",") {
		if s = strings.TrimSpace(s); s != "" {
			o.only[s] = true
		}
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()

	var w io.Writer = os.Stdout
	var file *os.File
	if *out != "" {
		var err error
		if file, err = os.Create(*out); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		w = io.MultiWriter(os.Stdout, file)
	}
	if *cpuprofile != "" {
		pf, err := os.Create(*cpuprofile)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		if err := pprof.StartCPUProfile(pf); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		defer pprof.StopCPUProfile()
	}
	err = run(ctx, w, o)
	if *memprofile != "" {
		if pf, perr := os.Create(*memprofile); perr == nil {
			_ = pprof.Lookup("allocs").WriteTo(pf, 0)
			pf.Close()
		}
	}
	if file != nil {
		if cerr := file.Close(); err == nil {
			err = cerr
		}
	}
	if err != nil {
		pprof.StopCPUProfile()
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func (o options) want(s string) bool { return len(o.only) == 0 || o.only[s] }

func run(ctx context.Context, w io.Writer, o options) error {
	start := time.Now()
	fmt.Fprintf(w, "# sansanhubspot benchmark results\n\n")
	fmt.Fprintf(w, "Run %s · %s/%s · %d CPUs · %s · load average at start %s · flags: runs=%d quick=%v scale=%g seed=%d\n\n",
		start.UTC().Format(time.RFC3339), runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), runtime.Version(), loadAvg(), o.runs, o.quick, o.scale, o.seed)
	steps := []struct {
		name string
		fn   func(context.Context, io.Writer, options) error
	}{
		{"calls", benchCalls},
		{"throughput", benchThroughput},
		{"network", benchNetwork},
		{"pipeline", benchPipeline},
		{"memory", benchMemory},
		{"latency", benchLatency},
		{"naive", benchNaive},
	}
	for _, s := range steps {
		if !o.want(s.name) {
			continue
		}
		t0 := time.Now()
		if err := s.fn(ctx, w, o); err != nil {
			return fmt.Errorf("%s: %w", s.name, err)
		}
		fmt.Fprintf(os.Stderr, "bench: %s done in %s\n", s.name, time.Since(t0).Round(time.Millisecond))
	}
	fmt.Fprintf(w, "\nTotal time %s; load average at end %s.\n", time.Since(start).Round(time.Second), loadAvg())
	return nil
}

func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "n/a"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "n/a"
	}
	return strings.Join(f[:3], " ")
}

// mmm formats min / median / max of xs with format.
func mmm(format string, xs []float64) string {
	if len(xs) == 0 {
		return "–"
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	med := s[len(s)/2]
	if len(s)%2 == 0 {
		med = (s[len(s)/2-1] + s[len(s)/2]) / 2
	}
	if len(s) == 1 {
		return fmt.Sprintf(format, s[0])
	}
	return fmt.Sprintf(format+" / "+format+" / "+format, s[0], med, s[len(s)-1])
}

func collect[T any](xs []T, f func(T) float64) []float64 {
	out := make([]float64, len(xs))
	for i, x := range xs {
		out[i] = f(x)
	}
	return out
}
