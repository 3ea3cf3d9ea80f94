package pgstore_test

import (
	"bufio"
	"context"
	"errors"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/cardbridge/sansanhubspot/sansan/sansantest"
	"github.com/cardbridge/sansanhubspot/syncer"
	"github.com/cardbridge/sansanhubspot/syncer/pgstore"
)

// Environment of the child process of TestPausedHolderRepaired.
const (
	envPauseChild = "SANSANHUBSPOT_PAUSE_CHILD"
	envPauseConn  = "SANSANHUBSPOT_PAUSE_CONN"
	envPauseHub   = "SANSANHUBSPOT_PAUSE_HUB"
	envPauseSS    = "SANSANHUBSPOT_PAUSE_SS"
	pauseTTL      = time.Second
)

// selfStop freezes the whole process (renewal goroutine included) with
// SIGSTOP when the first batch update is about to leave, after the engine's
// last validity check: a holder paused by a GC, a frozen VM or CPU
// starvation between the check and the send. On SIGCONT the request goes
// on as a request already on the wire would, whatever its context says.
type selfStop struct {
	next    http.RoundTripper
	stopped atomic.Bool
}

func (s *selfStop) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/batch/update") && s.stopped.CompareAndSwap(false, true) {
		if err := syscall.Kill(os.Getpid(), syscall.SIGSTOP); err != nil {
			return nil, err
		}
		r = r.WithContext(context.WithoutCancel(r.Context()))
	}
	return s.next.RoundTrip(r)
}

// TestPausedHolderChild is the child process of TestPausedHolderRepaired.
// It does nothing in a normal run.
func TestPausedHolderChild(t *testing.T) {
	if os.Getenv(envPauseChild) == "" {
		t.Skip("runs only as the child of TestPausedHolderRepaired")
	}
	store := pgstore.New(testDB(t), os.Getenv(envPauseConn))
	f := &fakes{admin: sansantest.DefaultUsers()[0]}
	eng := f.engineAt(t, os.Getenv(envPauseSS), os.Getenv(envPauseHub), store,
		store.Locker("sync", "paused", pauseTTL), &selfStop{next: http.DefaultTransport})
	_, err := eng.SyncOnce(t.Context())
	// Report how the pass ended on stdout for the parent; the pass is
	// expected to fail once its lease has passed on.
	os.Stdout.WriteString("pass error: " + strconv.Quote(errString(err)) + " fenced=" + strconv.FormatBool(errors.Is(err, syncer.ErrFenced)) + "\n")
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// processState returns the state letter of pid from /proc (R, S, T, ...).
func processState(pid int) (string, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return "", err
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 || i+2 >= len(s) {
		return "", errors.New("unreadable /proc stat")
	}
	return s[i+2 : i+3], nil
}

// TestPausedHolderRepaired is issue #19's probe as a deterministic test: a
// lease holder (a child process) stops itself right before sending a batch
// update, beyond the lease's TTL; another replica takes the lease over and
// writes newer titles; then the frozen holder continues and its stale
// batch lands. The holder saves nothing after its validity ended, and the
// new holder's next pass repairs every stale contact from its write
// intent.
func TestPausedHolderRepaired(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns a process")
	}
	store := newStore(t)
	f := newFakes(t, 150)
	ctx := t.Context()
	newer := f.engine(t, store, store.Locker("sync", "newer", pauseTTL), nil)
	if _, err := newer.SyncOnce(ctx); err != nil {
		t.Fatal(err)
	}
	retitle := func(title string) {
		for _, c := range f.ss.Fake.Cards() {
			if _, err := f.ss.Fake.UpdateCard(c.ID, func(c *sansantest.Card) { c.Title = sansantest.Ptr(title) }); err != nil {
				t.Fatal(err)
			}
		}
	}
	retitle("v2")

	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run", "^TestPausedHolderChild$", "-test.v")
	cmd.Env = append(os.Environ(), envPauseChild+"=1", envPauseConn+"="+store.Connection(),
		envPauseHub+"="+f.hs.URL, envPauseSS+"="+f.ss.URL)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	lines := make(chan string, 64)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	deadline := time.Now().Add(60 * time.Second)
	for {
		st, err := processState(cmd.Process.Pid)
		if err != nil {
			t.Fatalf("child: %v", err)
		}
		if st == "T" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the child never stopped before its batch update")
		}
		time.Sleep(10 * time.Millisecond)
	}

	// The frozen holder's lease expires; the other replica takes over and
	// writes v3.
	retitle("v3")
	var takeover *syncer.Report
	for takeover == nil {
		rep, err := newer.SyncOnce(ctx)
		switch {
		case errors.Is(err, syncer.ErrLocked):
			time.Sleep(pauseTTL / 10)
		case err != nil:
			t.Fatalf("takeover pass: %v", err)
		default:
			takeover = rep
		}
	}
	titles := func() map[string]int {
		n := map[string]int{}
		for _, c := range f.hs.Fake.Contacts() {
			n[c.Properties["jobtitle"]]++
		}
		return n
	}
	if got := titles(); got["v2"] != 0 || got["v3"] == 0 {
		t.Fatalf("after the takeover pass: titles %v, want v3 and no v2", got)
	}

	// The frozen holder continues: its stale batch lands, and it stops.
	if err := cmd.Process.Signal(syscall.SIGCONT); err != nil {
		t.Fatal(err)
	}
	var result string
	for l := range lines {
		if strings.HasPrefix(l, "pass error: ") {
			result = l
		}
	}
	_ = cmd.Wait()
	if !strings.Contains(result, "fenced=true") {
		t.Errorf("the paused holder's pass ended with %s, want an error matching syncer.ErrFenced", result)
	}
	stale := titles()["v2"]
	if stale == 0 {
		t.Fatal("the paused holder's batch changed nothing: the test does not pause where it should")
	}
	links, err := store.LinksByPerson(ctx, personIDs(f))
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range links {
		if l.Values["jobtitle"] == "v2" {
			t.Fatalf("the paused holder saved a link with its stale values: %s", l.PersonID)
		}
	}

	rep, err := newer.SyncOnce(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Repaired != stale {
		t.Errorf("repaired %d contacts, want %d", rep.Repaired, stale)
	}
	if got := titles(); got["v2"] != 0 {
		t.Errorf("after the next pass: %d stale contacts (titles %v)", got["v2"], got)
	}
	t.Logf("figures: stale contacts after the paused holder resumed %d, after the next pass %d", stale, titles()["v2"])
}

func personIDs(f *fakes) []string {
	var ids []string
	for _, c := range f.ss.Fake.Cards() {
		ids = append(ids, c.PersonID)
	}
	return ids
}
