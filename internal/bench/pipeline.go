package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
)

// benchPipeline runs the Go benchmarks of the pipeline with the network
// taken out (syncer/pipeline_bench_test.go) through the go command, so that
// one command reproduces every figure, and reports them per card.
func benchPipeline(ctx context.Context, w io.Writer, o options) error {
	fmt.Fprintf(w, "## 3. CPU and allocations per card, network excluded\n\n")
	gomod, err := exec.CommandContext(ctx, "go", "env", "GOMOD").Output()
	root := filepath.Dir(strings.TrimSpace(string(gomod)))
	if err != nil || root == "." || root == "" {
		fmt.Fprintf(w, "Skipped: the go command or the module is not available (%v). Run `go test -run '^$' -bench Pipeline -benchmem ./syncer/` in the repository.\n\n", err)
		return nil
	}
	count := strconv.Itoa(o.runs)
	args := []string{"test", "-run", "^$", "-bench", "Pipeline", "-benchmem", "-benchtime", "10x", "-count", count, "./syncer/"}
	if o.quick {
		args[7] = "3x"
	}
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = root
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		return fmt.Errorf("go %s: %w\n%s", strings.Join(args, " "), err, out)
	}
	fmt.Fprintf(w, "`go %s` — each op is one whole pass over a generated 10,000-card tenant (its listed head cards are the unit of "+
		"the per-card columns) with both clients on in-memory transports: Sansan pages replayed from bodies the fake rendered once, "+
		"HubSpot batch writes answered by a stub that only scans the request for ids. \"initial\" syncs into an empty memory store, "+
		"\"unchanged\" passes over the same cards again (mapping, dedup, diff; nothing written). The parts: Sansan page decoding, "+
		"mapping alone, one batch upsert of 100 through the HubSpot client (per contact), and the stub alone. CPU is process "+
		"CPU (GC included); bytes and allocations per card count everything the process allocated (the per-op figures of -benchmem are in go test's own output). min / median / max over %s runs.\n\n", strings.Join(args, " "), count)
	type row struct{ cpu, wall, bytes, allocs []float64 }
	// B/card and allocs/card come from the benchmark's own metrics.
	rows := map[string]*row{}
	var order []string
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 4 || !strings.HasPrefix(f[0], "Benchmark") {
			continue
		}
		name := f[0]
		if i := strings.LastIndexByte(name, '-'); i > 0 {
			name = name[:i]
		}
		r := rows[name]
		if r == nil {
			r = &row{}
			rows[name] = r
			order = append(order, name)
		}
		for i := 2; i+1 < len(f); i++ {
			v, err := strconv.ParseFloat(f[i], 64)
			if err != nil {
				continue
			}
			switch f[i+1] {
			case "cpu-ns/card":
				r.cpu = append(r.cpu, v/1000)
			case "ns/card":
				r.wall = append(r.wall, v/1000)
			case "B/card":
				r.bytes = append(r.bytes, v)
			case "allocs/card":
				r.allocs = append(r.allocs, v)
			}
		}
	}
	fmt.Fprintf(w, "| benchmark | CPU µs/card | wall µs/card | bytes/card | allocs/card |\n|---|---:|---:|---:|---:|\n")
	for _, name := range order {
		r := rows[name]
		fmt.Fprintf(w, "| %s | %s | %s | %s | %s |\n", strings.TrimPrefix(name, "Benchmark"),
			mmm("%.1f", r.cpu), mmm("%.1f", r.wall), mmm("%.0f", r.bytes), mmm("%.1f", r.allocs))
	}
	fmt.Fprintln(w)
	return nil
}
