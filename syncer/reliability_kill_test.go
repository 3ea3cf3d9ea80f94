package syncer_test

import (
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
)

// TestReliabilityKillChild is the child process of TestReliabilityKill: it
// runs one pass against the parent's fakes on a file store. It does
// nothing in a normal run.
func TestReliabilityKillChild(t *testing.T) {
	if os.Getenv(envKillChild) == "" {
		t.Skip("runs only as the child of TestReliabilityKill")
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
		WriteConcurrency: relInFlight})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := eng.SyncOnce(t.Context()); err != nil {
		t.Fatal(err)
	}
}

// TestReliabilityKill runs the initial sync in a child process on a
// durable file store and kills it with SIGKILL right after its k-th
// HubSpot request was served (the fake acted; the child never saw the
// answer), then finishes in this process on the same store directory.
// Every run ends with exactly the expected contacts.
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
	// The probe counts the requests of an uninterrupted sync.
	probe := newRelEnv(t, relOpts{cards: cards, seed: 51})
	probe.syncOnce(probe.relEngine(probe.store, nil))
	total := probe.hs.Fake.TotalRequests()
	ks := crashPoints(total, scaled(12, 4))
	var tried, killed, lost, dups, wrong atomic.Int64
	t.Cleanup(func() {
		figures(t, "kill-filestore", map[string]any{"cards": cards, "requests_per_sync": total,
			"crash_points": tried.Load(), "sigkills": killed.Load(), "lost": lost.Load(), "duplicates": dups.Load(),
			"wrong_values": wrong.Load()})
	})
	for _, k := range ks {
		t.Run(fmt.Sprintf("k=%d", k), func(t *testing.T) {
			t.Parallel()
			var n atomic.Int64
			var pid atomic.Int64
			var didKill atomic.Bool
			e := newRelEnv(t, relOpts{cards: cards, seed: 51, hsMW: func(next http.Handler) http.Handler {
				return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					if n.Add(1) != k {
						next.ServeHTTP(w, r)
						return
					}
					rec := httptest.NewRecorder()
					next.ServeHTTP(rec, r) // the fake acts on the request...
					for i := 0; pid.Load() == 0 && i < 500; i++ {
						time.Sleep(time.Millisecond) // Start has not returned the pid yet
					}
					if p := pid.Load(); p > 0 {
						// Marked before the kill: the parent's Wait may
						// return before Kill does.
						didKill.Store(true)
						if syscall.Kill(int(p), syscall.SIGKILL) != nil { // ...and the child dies before the answer
							didKill.Store(false)
						}
					}
					panic(http.ErrAbortHandler)
				})
			}})
			dir := filepath.Join(t.TempDir(), "store")
			cmd := exec.CommandContext(t.Context(), os.Args[0], "-test.run=^TestReliabilityKillChild$", "-test.count=1")
			cmd.Env = append(os.Environ(), envKillChild+"=1", envKillHub+"="+e.hs.URL, envKillSS+"="+e.ss.URL,
				envKillKey+"="+e.admin().APIKey, envKillStore+"="+dir)
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			pid.Store(int64(cmd.Process.Pid))
			err := cmd.Wait()
			if !didKill.Load() {
				if err != nil {
					t.Fatalf("child failed without being killed: %v", err)
				}
				t.Skipf("the child finished after %d requests, before request %d", n.Load(), k)
			}
			killed.Add(1)
			if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
				t.Fatalf("child ended with %v, want SIGKILL", err)
			}
			// A fresh engine in this process, on the dead child's store.
			store, err := openRetry(dir)
			if err != nil {
				t.Fatal(err)
			}
			defer store.Close()
			e.syncOnce(e.relEngine(store, nil))
			tried.Add(1)
			want := e.expected()
			lost.Add(int64(e.lost(want)))
			dups.Add(int64(e.duplicates()))
			e.checkState(want)
			wrong.Add(int64(e.checkValues(want)))
		})
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
