package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	mrand "math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/cardbridge/sansanhubspot/fleet"
	"github.com/cardbridge/sansanhubspot/fleet/internal/fakefleet"
	"github.com/cardbridge/sansanhubspot/hubspot/hubspottest"
	"github.com/cardbridge/sansanhubspot/sansan/sansantest"
	"github.com/cardbridge/sansanhubspot/syncer"
)

type options struct {
	dsn                 string
	connections, cards  int
	workers             int
	scale               float64
	latency, window     time.Duration
	interval            time.Duration
	recoveryRuns        int
	recoveryConnections int
}

func main() {
	replica := flag.Bool("replica", false, "run as a replica (internal)")
	var rc fakefleet.ReplicaConfig
	flag.StringVar(&rc.Schema, "schema", "", "replica: schema")
	flag.StringVar(&rc.ID, "id", "", "replica: id")
	flag.DurationVar(&rc.PassTimeout, "pass-timeout", 2*time.Minute, "replica: pass timeout")
	flag.DurationVar(&rc.RescueAfter, "rescue-after", 3*time.Minute, "replica: rescue after")
	var o options
	flag.IntVar(&o.connections, "connections", 150, "connections (tenants) in the throughput runs")
	flag.IntVar(&o.cards, "cards", 50, "cards per tenant")
	flag.IntVar(&o.workers, "workers", 8, "River workers per replica process")
	flag.Float64Var(&o.scale, "scale", 2, "time scale of the rate limits: limits ×scale, windows ÷scale")
	flag.DurationVar(&o.latency, "latency", 20*time.Millisecond, "added to every fake request")
	flag.DurationVar(&o.window, "window", 30*time.Second, "steady-state measuring window per run")
	flag.DurationVar(&o.interval, "interval", time.Second, "connections' Interval (short: measure capacity; River runs them about every 5 s at most)")
	flag.IntVar(&o.recoveryRuns, "recovery-runs", 2, "kills per case (follower, leader)")
	flag.IntVar(&o.recoveryConnections, "recovery-connections", 20, "connections in the recovery runs")
	out := flag.String("out", "", "also write the results (markdown) to this file")
	flag.Parse()
	o.dsn = os.Getenv("SANSANHUBSPOT_PG_DSN")
	if o.dsn == "" {
		o.dsn = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
	}
	if *replica {
		rc.DSN, rc.Workers, rc.Scale, rc.Poll = o.dsn, o.workers, o.scale, 100*time.Millisecond
		rc.Keyring, rc.WebhookSecret = os.Getenv("FLEET_KEYRING"), "bench"
		rc.Ready = func(u string) { fmt.Println("READY " + u) }
		ctx, stop := signalContext()
		defer stop()
		if err := fakefleet.RunReplica(ctx, rc); err != nil {
			fmt.Fprintln(os.Stderr, "replica:", err)
			os.Exit(1)
		}
		return
	}
	var w io.Writer = os.Stdout
	if *out != "" {
		f, err := os.Create(*out)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		defer f.Close()
		w = io.MultiWriter(os.Stdout, f)
	}
	if err := bench(context.Background(), o, w); err != nil {
		fmt.Fprintln(os.Stderr, "fleetbench:", err)
		os.Exit(1)
	}
}

// env is one scenario's database schema, fleet, tenants and replicas.
type env struct {
	o        options
	pool     *pgxpool.Pool
	schema   string
	keyring  string
	f        *fleet.Fleet
	tenants  []*fakefleet.Tenant
	conns    []*fleet.Connection
	replicas []*proc
}

type proc struct {
	id   string
	cmd  *exec.Cmd
	base string
	done chan struct{}
}

func newEnv(ctx context.Context, o options, n int, interval time.Duration) (*env, error) {
	pool, err := pgxpool.New(ctx, o.dsn)
	if err != nil {
		return nil, err
	}
	b := make([]byte, 5)
	_, _ = rand.Read(b)
	e := &env{o: o, pool: pool, schema: "fleetbench_" + hex.EncodeToString(b)}
	key, err := fleet.GenerateKey("bench")
	if err != nil {
		return nil, err
	}
	ring, err := fleet.NewKeyring(key)
	if err != nil {
		return nil, err
	}
	e.keyring = "bench:" + base64.StdEncoding.EncodeToString(key.Bytes)
	if e.f, err = fleet.New(fleet.Config{Pool: pool, Schema: e.schema, Secrets: fleet.NewSealedSecrets(pool, e.schema, ring)}); err != nil {
		return nil, err
	}
	if err := e.f.Migrate(ctx); err != nil {
		return nil, err
	}
	window := time.Duration(float64(10*time.Second) / o.scale)
	for i := range n {
		t, err := fakefleet.Start(int64(500000+i), fakefleet.Options{
			Cards: o.cards, Seed: uint64(i + 1), Latency: o.latency,
			HubSpot: []hubspottest.Option{hubspottest.WithRateLimit(100, window), hubspottest.WithSearchRateLimit(int(5 * o.scale))},
			Sansan:  []sansantest.Option{sansantest.WithRateLimit(5*o.scale, 5)},
		})
		if err != nil {
			return e, err
		}
		e.tenants = append(e.tenants, t)
		sec := t.Secrets()
		c, err := e.f.Add(ctx, t.Spec(interval, syncer.SansanToHubSpot), &sec)
		if err != nil {
			return e, err
		}
		e.conns = append(e.conns, c)
	}
	return e, nil
}

func (e *env) startReplica(id string, extra ...string) (*proc, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	args := append([]string{"-replica", "-schema", e.schema, "-id", id, "-workers", fmt.Sprint(e.o.workers),
		"-scale", fmt.Sprint(e.o.scale)}, extra...)
	cmd := exec.Command(self, args...)
	cmd.Env = append(os.Environ(), "FLEET_KEYRING="+e.keyring)
	cmd.Stderr = os.Stderr
	dieWithParent(cmd)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	p := &proc{id: id, cmd: cmd, done: make(chan struct{})}
	sc := bufio.NewScanner(stdout)
	if !sc.Scan() {
		return nil, fmt.Errorf("replica %s exited before READY", id)
	}
	p.base = strings.TrimPrefix(sc.Text(), "READY ")
	go func() {
		for sc.Scan() {
		}
		_ = cmd.Wait()
		close(p.done)
	}()
	e.replicas = append(e.replicas, p)
	return p, nil
}

func (e *env) close() {
	for _, p := range e.replicas {
		_ = p.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-p.done:
		case <-time.After(20 * time.Second):
			_ = p.cmd.Process.Kill()
			<-p.done
		}
	}
	for _, t := range e.tenants {
		t.Close()
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	_, _ = e.pool.Exec(ctx, "DROP SCHEMA IF EXISTS "+pgx.Identifier{e.schema}.Sanitize()+" CASCADE")
	e.pool.Close()
}

func (e *env) queries() (fakefleet.Queries, error) {
	var sum fakefleet.Queries
	for _, p := range e.replicas {
		select {
		case <-p.done:
			continue
		default:
		}
		resp, err := http.Get(p.base + "queries")
		if err != nil {
			return sum, err
		}
		var q fakefleet.Queries
		err = json.NewDecoder(resp.Body).Decode(&q)
		resp.Body.Close()
		if err != nil {
			return sum, err
		}
		sum.Total += q.Total
		sum.InPass += q.InPass
	}
	return sum, nil
}

func (e *env) completedPasses(ctx context.Context) (int, error) {
	var n int
	err := e.pool.QueryRow(ctx, "SELECT count(*) FROM "+pgx.Identifier{e.schema, "river_job"}.Sanitize()+" WHERE kind = $1 AND state = 'completed'", fleet.KindPass).Scan(&n)
	return n, err
}

// waitAllPassed waits until every connection finished a pass.
func (e *env) waitAllPassed(ctx context.Context, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for {
		cs, err := e.f.List(ctx, fleet.ListOptions{})
		if err != nil {
			return err
		}
		done := 0
		for _, c := range cs {
			if c.Status.Passes > 0 && c.Status.LastError == "" {
				done++
			}
		}
		if done == len(cs) {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%d of %d connections finished a pass after %v", done, len(cs), limit)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// editLoop edits a random card of a random tenant every period until stop.
func (e *env) editLoop(period time.Duration, stop <-chan struct{}) <-chan int {
	n := make(chan int, 1)
	go func() {
		rng := mrand.New(mrand.NewPCG(7, 7))
		edits := 0
		t := time.NewTicker(period)
		defer t.Stop()
		for {
			select {
			case <-stop:
				n <- edits
				return
			case <-t.C:
				tn := e.tenants[rng.IntN(len(e.tenants))]
				c := tn.Cards[rng.IntN(len(tn.Cards))]
				title := fmt.Sprintf("edit %d", edits)
				if _, err := tn.Sansan.UpdateCard(c.ID, func(c *sansantest.Card) { c.Title = &title }); err == nil {
					edits++
				}
			}
		}
	}()
	return n
}

type throughputResult struct {
	processes          int
	onboard            time.Duration
	passes             int
	perMinute          float64
	edits              int
	totalQ, inPassQ    float64
	overlaps           int
	loadStart, loadEnd string
}

func throughput(ctx context.Context, o options, processes int) (*throughputResult, error) {
	e, err := newEnv(ctx, o, o.connections, o.interval)
	if e != nil {
		defer e.close()
	}
	if err != nil {
		return nil, err
	}
	r := &throughputResult{processes: processes, loadStart: loadAvg()}
	start := time.Now()
	for i := range processes {
		if _, err := e.startReplica(fmt.Sprintf("p%d", i+1)); err != nil {
			return nil, err
		}
	}
	if err := e.waitAllPassed(ctx, 5*time.Minute); err != nil {
		return nil, err
	}
	r.onboard = time.Since(start)
	c0, err := e.completedPasses(ctx)
	if err != nil {
		return nil, err
	}
	q0, err := e.queries()
	if err != nil {
		return nil, err
	}
	stop := make(chan struct{})
	edits := e.editLoop(50*time.Millisecond, stop)
	time.Sleep(o.window)
	c1, err := e.completedPasses(ctx)
	if err != nil {
		return nil, err
	}
	q1, err := e.queries()
	if err != nil {
		return nil, err
	}
	close(stop)
	r.edits = <-edits
	r.passes = c1 - c0
	r.perMinute = float64(r.passes) / o.window.Minutes()
	if r.passes > 0 {
		r.totalQ = float64(q1.Total-q0.Total) / float64(r.passes)
		r.inPassQ = float64(q1.InPass-q0.InPass) / float64(r.passes)
	}
	for _, t := range e.tenants {
		if t.Passes.Overlaps() != nil {
			r.overlaps++
		}
	}
	r.loadEnd = loadAvg()
	return r, nil
}

type recoveryResult struct {
	leader   bool
	inFlight int
	resumed  time.Duration // kill → the killed passes' connections run again elsewhere (max)
	all      time.Duration // kill → every connection has run a pass on a surviving replica
}

func recovery(ctx context.Context, o options, leader bool) (*recoveryResult, error) {
	e, err := newEnv(ctx, o, o.recoveryConnections, 500*time.Millisecond)
	if e != nil {
		defer e.close()
	}
	if err != nil {
		return nil, err
	}
	for i := range 3 {
		if _, err := e.startReplica(fmt.Sprintf("r%d", i+1), "-pass-timeout", "5s", "-rescue-after", "6s"); err != nil {
			return nil, err
		}
	}
	if err := e.waitAllPassed(ctx, 3*time.Minute); err != nil {
		return nil, err
	}
	stop := make(chan struct{})
	edits := e.editLoop(20*time.Millisecond, stop)
	defer func() { close(stop); <-edits }()
	var leaderID string
	deadline := time.Now().Add(30 * time.Second)
	for leaderID == "" && time.Now().Before(deadline) {
		_ = e.pool.QueryRow(ctx, "SELECT leader_id FROM "+pgx.Identifier{e.schema, "river_leader"}.Sanitize()).Scan(&leaderID)
		time.Sleep(100 * time.Millisecond)
	}
	var victim *proc
	var inFlight []*fakefleet.Tenant
	var killed time.Time
	for victim == nil && time.Now().Before(deadline.Add(30*time.Second)) {
		for _, p := range e.replicas {
			if (p.id == leaderID) != leader {
				continue
			}
			inFlight = inFlight[:0]
			for _, t := range e.tenants {
				if t.Passes.Busy(p.id) {
					inFlight = append(inFlight, t)
				}
			}
			if len(inFlight) > 0 {
				_ = p.cmd.Process.Kill()
				killed, victim = time.Now(), p
				break
			}
		}
		time.Sleep(5 * time.Millisecond)
	}
	if victim == nil {
		return nil, fmt.Errorf("no replica busy to kill (leader %q)", leaderID)
	}
	<-victim.done
	r := &recoveryResult{leader: leader, inFlight: len(inFlight)}
	firstAfter := func(t *fakefleet.Tenant) time.Time {
		var first time.Time
		for _, p := range t.Passes.Passes() {
			if strings.HasPrefix(p, victim.id+"/") {
				continue
			}
			if f := t.Passes.FirstRequest(p); f.After(killed) && (first.IsZero() || f.Before(first)) {
				first = f
			}
		}
		return first
	}
	limit := time.Now().Add(90 * time.Second)
	for {
		done := true
		r.resumed = 0
		for _, t := range inFlight {
			f := firstAfter(t)
			if f.IsZero() {
				done = false
				break
			}
			r.resumed = max(r.resumed, f.Sub(killed))
		}
		if done {
			break
		}
		if time.Now().After(limit) {
			return nil, fmt.Errorf("killed passes did not resume within 90 s")
		}
		time.Sleep(50 * time.Millisecond)
	}
	for _, t := range e.tenants {
		f := firstAfter(t)
		for f.IsZero() && time.Now().Before(limit) {
			time.Sleep(50 * time.Millisecond)
			f = firstAfter(t)
		}
		if f.IsZero() {
			return nil, fmt.Errorf("portal %d never passed again", t.PortalID)
		}
		r.all = max(r.all, f.Sub(killed))
	}
	return r, nil
}

func bench(ctx context.Context, o options, w io.Writer) error {
	started := time.Now()
	fmt.Fprintf(w, "Run %s · %s/%s · %d CPUs · %s · load average at start %s\n\n", started.UTC().Format(time.RFC3339),
		runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), runtime.Version(), loadAvg())
	fmt.Fprintf(w, "Throughput: %d connections × %d cards, Interval %v, %d River workers per process, fake latency %v per request, "+
		"rate limits ×%g (HubSpot 100 per %v per portal, Sansan %g/s per key), card edits every 50 ms, steady window %v.\n\n",
		o.connections, o.cards, o.interval, o.workers, o.latency, o.scale, time.Duration(float64(10*time.Second)/o.scale), 5*o.scale, o.window)
	fmt.Fprintln(w, "| worker processes | initial syncs of all connections | connections served per minute (steady) | edits | PostgreSQL queries per pass (in the pass / all) | overlapping passes | load avg start → end |")
	fmt.Fprintln(w, "|---|---|---|---|---|---|---|")
	for _, k := range []int{1, 2, 3} {
		r, err := throughput(ctx, o, k)
		if err != nil {
			return fmt.Errorf("throughput with %d processes: %w", k, err)
		}
		fmt.Fprintf(w, "| %d | %v (%.0f connections/min) | %.0f | %d | %.1f / %.1f | %d | %s → %s |\n", k, r.onboard.Round(100*time.Millisecond),
			float64(o.connections)/r.onboard.Minutes(), r.perMinute, r.edits, r.inPassQ, r.totalQ, r.overlaps, r.loadStart, r.loadEnd)
	}
	fmt.Fprintf(w, "\nRecovery: 3 processes, %d connections (Interval 500 ms), PassTimeout 5 s, RescueAfter 6 s; "+
		"a replica with a pass in flight is killed with SIGKILL.\n\n", o.recoveryConnections)
	fmt.Fprintln(w, "| killed | passes in flight (HTTP) | those passes resume elsewhere after | every connection has passed again after |")
	fmt.Fprintln(w, "|---|---|---|---|")
	for _, leader := range []bool{false, true} {
		for range o.recoveryRuns {
			r, err := recovery(ctx, o, leader)
			if err != nil {
				return fmt.Errorf("recovery: %w", err)
			}
			who := "a follower"
			if leader {
				who = "River's leader"
			}
			fmt.Fprintf(w, "| %s | %d | %v | %v |\n", who, r.inFlight, r.resumed.Round(100*time.Millisecond), r.all.Round(100*time.Millisecond))
		}
	}
	fmt.Fprintf(w, "\nTotal %v; load average at end %s.\n", time.Since(started).Round(time.Second), loadAvg())
	return nil
}

func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(b))
	if len(f) < 1 {
		return "?"
	}
	return f[0]
}
