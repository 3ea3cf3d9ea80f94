package syncer_test

import (
	"bytes"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/cardbridge/sansanhubspot/hubspot"
	"github.com/cardbridge/sansanhubspot/hubspot/hubspottest"
	"github.com/cardbridge/sansanhubspot/sansan"
	"github.com/cardbridge/sansanhubspot/syncer"
	"github.com/cardbridge/sansanhubspot/syncer/filestore"
	"golang.org/x/time/rate"
)

// Environment of the child process of TestReliabilityKill.
const (
	envKillChild = "SANSANHUBSPOT_KILL_CHILD"
	envKillHub   = "SANSANHUBSPOT_KILL_HUB"
	envKillSS    = "SANSANHUBSPOT_KILL_SS"
	envKillKey   = "SANSANHUBSPOT_KILL_KEY"
	envKillStore = "SANSANHUBSPOT_KILL_STORE"
	envKillDir   = "SANSANHUBSPOT_KILL_DIRECTION"
)

// TestReliabilityKillChild is the child process of TestReliabilityKill: it
// runs one pass in the direction it is given against the parent's fakes on
// a file store. It does nothing in a normal run.
func TestReliabilityKillChild(t *testing.T) {
	if os.Getenv(envKillChild) == "" {
		t.Skip("runs only as the child of TestReliabilityKill")
	}
	dir, err := syncer.ParseDirection(os.Getenv(envKillDir))
	if err != nil {
		t.Fatal(err)
	}
	store, err := filestore.Open(os.Getenv(envKillStore))
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	hub, err := hubspot.NewClient(hubspottest.DefaultToken, hubspot.WithBaseURL(os.Getenv(envKillHub)),
		hubspot.WithRateLimit(rate.Inf, 0), hubspot.WithSearchRateLimit(rate.Inf, 0), hubspot.WithSleep(noSleep))
	if err != nil {
		t.Fatal(err)
	}
	ss, err := sansan.NewClient(os.Getenv(envKillKey), sansan.WithBaseURL(os.Getenv(envKillSS)),
		sansan.WithRateLimit(rate.Inf, 0), sansan.WithSleep(noSleep))
	if err != nil {
		t.Fatal(err)
	}
	eng, err := syncer.New(syncer.Config{HubSpot: hub, Accounts: []syncer.Account{{Name: "tokyo", Client: ss}}, Store: store,
		Direction: dir, WriteConcurrency: relInFlight})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := eng.SyncOnce(t.Context()); err != nil {
		t.Fatal(err)
	}
}

// killCase is one configuration of TestReliabilityKill.
type killCase struct {
	name  string
	cards int
	seed  uint64
	dir   syncer.Direction
	// hubOnly HubSpot contacts exist before the sync (two-way registers
	// them in Sansan).
	hubOnly int
	// sansanToo counts Sansan requests as kill points as well (two-way: a
	// kill right after POST /bizCards registered a card).
	sansanToo bool
	points    int
}

// TestReliabilityKill runs the initial sync in a child process on a
// durable file store and kills it with SIGKILL right after its k-th request
// was served (the fake acted; the child never saw the answer), then
// finishes in this process on the same store directory. One-way, k counts
// HubSpot requests; two-way, requests to either service, with HubSpot-only
// contacts to register as cards. Every run ends with exactly the expected
// contacts and values, none duplicated, and no card registered twice.
func TestReliabilityKill(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("spawns processes")
	}
	// 600 cards by default (every write batch of a 6-batch sync is a
	// kill point candidate), 1,500 in the soak run.
	cards := scaled(600, 300)
	if soak() {
		cards = 1500
	}
	cases := []killCase{
		{name: "filestore", cards: cards, seed: 51, points: scaled(12, 4)},
		{name: "filestore-two-way", cards: scaled(400, 100), seed: 52, dir: syncer.TwoWay,
			hubOnly: scaled(80, 20), sansanToo: true, points: scaled(12, 4)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			runKillCase(t, tc)
		})
	}
}

func runKillCase(t *testing.T, tc killCase) {
	mut := func(c *syncer.Config) { c.Direction = tc.dir }
	build := func(t *testing.T, sw *killSwitch) *relEnv {
		o := relOpts{cards: tc.cards, seed: tc.seed, hsMW: sw.wrap}
		if tc.sansanToo {
			o.ssMW = sw.wrap
		}
		e := newRelEnv(t, o)
		if tc.hubOnly > 0 {
			e.newContacts(tc.hubOnly, "hubonly")
		}
		return e
	}
	// The probe counts the requests of an uninterrupted pass, as the
	// child's kill switch counts them.
	probeSW := &killSwitch{}
	probe := build(t, probeSW)
	probe.syncOnce(probe.relEngine(probe.store, mut))
	total := int(probeSW.n.Load())
	ks := crashPoints(total, tc.points)
	var tried, killed, lost, dups, wrong, regTwice atomic.Int64
	t.Cleanup(func() {
		figures(t, "kill/"+tc.name, map[string]any{"cards": tc.cards, "hub_only": tc.hubOnly, "requests_per_sync": total,
			"crash_points": tried.Load(), "sigkills": killed.Load(), "lost": lost.Load(), "duplicates": dups.Load(),
			"wrong_values": wrong.Load(), "cards_registered_twice": regTwice.Load()})
	})
	for _, k := range ks {
		t.Run(fmt.Sprintf("k=%d", k), func(t *testing.T) {
			t.Parallel()
			sw := &killSwitch{k: k}
			e := build(t, sw)
			dir := filepath.Join(t.TempDir(), "store")
			cmd := exec.CommandContext(t.Context(), os.Args[0], "-test.run=^TestReliabilityKillChild$", "-test.count=1")
			cmd.Env = append(os.Environ(), envKillChild+"=1", envKillHub+"="+e.hs.URL, envKillSS+"="+e.ss.URL,
				envKillKey+"="+e.admin().APIKey, envKillStore+"="+dir, envKillDir+"="+tc.dir.String())
			sw.run(t, cmd)
			killed.Add(1)
			// A fresh engine in this process, on the dead child's store.
			store, err := openRetry(dir)
			if err != nil {
				t.Fatal(err)
			}
			defer store.Close()
			finish(t, e.env, e.relEngine(store, mut), tc.dir)
			tried.Add(1)
			if tc.hubOnly > 0 {
				missing, twice := e.registrations(tc.hubOnly, "hubonly")
				lost.Add(int64(missing))
				regTwice.Add(int64(twice))
			}
			want := e.expected()
			lost.Add(int64(e.lost(want)))
			dups.Add(int64(e.duplicates()))
			e.checkState(want)
			wrong.Add(int64(e.checkValues(want)))
		})
	}
}

// killSwitch is middleware for the fakes that counts the requests of every
// fake it wraps and, at the k-th (k > 0), lets the fake act on it, kills
// the child process with SIGKILL and drops the connection: the child dies
// without the answer.
type killSwitch struct {
	k      int64
	n, pid atomic.Int64
	// killed is set before the signal is sent: the parent's Wait may
	// return before Kill does.
	killed atomic.Bool
}

func (s *killSwitch) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s.n.Add(1) != s.k {
			next.ServeHTTP(w, r)
			return
		}
		rec := httptest.NewRecorder()
		next.ServeHTTP(rec, r) // the fake acts on the request...
		for i := 0; s.pid.Load() == 0 && i < 500; i++ {
			time.Sleep(time.Millisecond) // Start has not returned the pid yet
		}
		if p := s.pid.Load(); p > 0 {
			s.killed.Store(true)
			if syscall.Kill(int(p), syscall.SIGKILL) != nil { // ...and the child dies before the answer
				s.killed.Store(false)
			}
		}
		panic(http.ErrAbortHandler)
	})
}

// run starts the child, waits for it and checks it died of the switch's
// SIGKILL; it skips the test when the child finished before request k.
func (s *killSwitch) run(t *testing.T, cmd *exec.Cmd) {
	t.Helper()
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	s.pid.Store(int64(cmd.Process.Pid))
	err := cmd.Wait()
	if !s.killed.Load() {
		if err != nil {
			t.Fatalf("child failed without being killed: %v\n%s", err, out.Bytes())
		}
		t.Skipf("the child finished after %d requests, before request %d", s.n.Load(), s.k)
	}
	if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
		t.Fatalf("child ended with %v, want SIGKILL", err)
	}
}

// openRetry opens a file store, waiting briefly for the kernel to release
// the dead child's lock.
func openRetry(dir string) (*filestore.Store, error) {
	var err error
	for range 50 {
		var s *filestore.Store
		if s, err = filestore.Open(dir); err == nil {
			return s, nil
		}
		time.Sleep(20 * time.Millisecond)
	}
	return nil, fmt.Errorf("open %s: %w", dir, err)
}
