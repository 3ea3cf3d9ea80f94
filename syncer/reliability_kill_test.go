package syncer_test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cardbridge/sansanhubspot/hubspot"
	"github.com/cardbridge/sansanhubspot/hubspot/hubspottest"
	"github.com/cardbridge/sansanhubspot/internal/testutil"
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
	build := func(t *testing.T, sw *testutil.KillSwitch) *relEnv {
		o := relOpts{cards: tc.cards, seed: tc.seed, hsMW: sw.Wrap}
		if tc.sansanToo {
			o.ssMW = sw.Wrap
		}
		e := newRelEnv(t, o)
		if tc.hubOnly > 0 {
			e.newContacts(tc.hubOnly, "hubonly")
		}
		return e
	}
	// The probe counts the requests of an uninterrupted pass, as the
	// child's kill switch counts them.
	probeSW := &testutil.KillSwitch{}
	probe := build(t, probeSW)
	probe.syncOnce(probe.relEngine(probe.store, mut))
	total := int(probeSW.N())
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
			sw := &testutil.KillSwitch{K: k}
			e := build(t, sw)
			dir := filepath.Join(t.TempDir(), "store")
			cmd := exec.CommandContext(t.Context(), os.Args[0], "-test.run=^TestReliabilityKillChild$", "-test.count=1")
			cmd.Env = append(os.Environ(), envKillChild+"=1", envKillHub+"="+e.hs.URL, envKillSS+"="+e.ss.URL,
				envKillKey+"="+e.admin().APIKey, envKillStore+"="+dir, envKillDir+"="+tc.dir.String())
			sw.Run(t, cmd)
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
