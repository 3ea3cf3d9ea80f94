package filestore_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cardbridge/sansanhubspot/syncer"
	"github.com/cardbridge/sansanhubspot/syncer/filestore"
)

// crashChildEnv names the store directory when the test binary runs as the
// crash test's child process (see TestMain).
const crashChildEnv = "SANSANHUBSPOT_FILESTORE_CRASH_CHILD"

const (
	crashHot = 20 // links rewritten by every batch, so the log compacts
	crashNew = 5  // new links added by every batch
)

// crashOpts compacts often, so kills also land during compactions.
func crashOpts() []filestore.Option {
	return []filestore.Option{filestore.WithCompaction(2, 32<<10)}
}

// crashBatch returns the links written by batch n.
func crashBatch(n int) []*syncer.Link {
	var ls []*syncer.Link
	for j := range crashHot {
		ls = append(ls, &syncer.Link{
			PersonID: fmt.Sprintf("hot-%02d", j), Email: "hot@example.com", ContactID: fmt.Sprintf("c-hot-%02d", j),
			Attempts: n, Values: map[string]string{"batch": strconv.Itoa(n), "pad": strings.Repeat("x", 200)},
		})
	}
	for j := range crashNew {
		id := fmt.Sprintf("n%06d-%d", n, j)
		ls = append(ls, &syncer.Link{
			PersonID: id, Email: fmt.Sprintf("n%06d@example.com", n), ContactID: "c-" + id,
			Attempts: n, Values: map[string]string{"batch": strconv.Itoa(n)},
		})
	}
	return ls
}

// crashChild writes batches forever, printing "ack N" after PutLinks of
// batch N returned, until it is killed.
func crashChild(dir string) int {
	s, err := filestore.Open(dir, crashOpts()...)
	if err != nil {
		fmt.Println("error", err)
		return 2
	}
	ctx := context.Background()
	next := 0
	got, err := s.LinksByPerson(ctx, []string{"hot-00"})
	if err != nil {
		fmt.Println("error", err)
		return 2
	}
	if l, ok := got["hot-00"]; ok {
		next = l.Attempts + 1
	}
	fmt.Println("start", next)
	for n := next; ; n++ {
		if err := s.PutLinks(ctx, crashBatch(n)); err != nil {
			fmt.Println("error", err)
			return 2
		}
		fmt.Println("ack", n)
		if err := s.PutCheckpoint(ctx, "crash", syncer.Checkpoint{Cursor: strconv.Itoa(n)}); err != nil {
			fmt.Println("error", err)
			return 2
		}
		fmt.Println("cp", n)
	}
}

// TestCrash kills a writing child process with SIGKILL at random moments
// and checks after each kill that every acknowledged batch is there, whole,
// and that the batch in flight is there whole or not at all.
func TestCrash(t *testing.T) {
	t.Parallel()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 2))
	dir := t.TempDir()
	lastAck, lastCP := -1, -1
	for round := range 5 {
		cmd := exec.CommandContext(t.Context(), exe, "-test.run=^$")
		cmd.Env = append(os.Environ(), crashChildEnv+"="+dir)
		cmd.Stderr = os.Stderr
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		lines := bufio.NewScanner(out)
		killAfter := lastAck + 1 + rng.IntN(40)
		killed := false
		for lines.Scan() {
			f := strings.Fields(lines.Text())
			if len(f) < 2 {
				continue
			}
			n, _ := strconv.Atoi(f[1])
			switch f[0] {
			case "error":
				t.Fatalf("round %d: child: %s", round, lines.Text())
			case "start":
				if n != lastAck+1 {
					t.Errorf("round %d: child resumes at batch %d, last acknowledged was %d", round, n, lastAck)
				}
				if round == 0 {
					// The child holds the lock.
					if s, err := filestore.Open(dir); !errors.Is(err, filestore.ErrLocked) {
						t.Errorf("Open while the child runs = %v, want ErrLocked", err)
						if s != nil {
							s.Close()
						}
					}
				}
			case "ack":
				lastAck = n
			case "cp":
				lastCP = n
			}
			if lastAck >= killAfter && !killed {
				time.Sleep(time.Duration(rng.IntN(3000)) * time.Microsecond)
				if err := cmd.Process.Kill(); err != nil {
					t.Fatal(err)
				}
				killed = true // keep reading: acks written before the kill count
			}
		}
		if err := cmd.Wait(); err == nil || !killed {
			t.Fatalf("round %d: child exited by itself: %v", round, err)
		}
		lastAck = checkCrashState(t, dir, lastAck, lastCP)
	}
}

// checkCrashState opens the store after a kill and returns the last batch
// it holds.
func checkCrashState(t *testing.T, dir string, lastAck, lastCP int) int {
	t.Helper()
	s, err := filestore.Open(dir, crashOpts()...)
	if err != nil {
		t.Fatalf("Open after kill: %v", err)
	}
	defer s.Close()
	ctx := t.Context()
	hot, err := s.LinkByContact(ctx, "c-hot-00")
	if err != nil {
		t.Fatalf("LinkByContact(c-hot-00): %v", err)
	}
	last := hot.Attempts
	if last != lastAck && last != lastAck+1 {
		t.Fatalf("store holds batches up to %d; last acknowledged %d", last, lastAck)
	}
	byEmail, err := s.LinksByEmail(ctx, []string{"hot@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	if got := len(byEmail["hot@example.com"]); got != crashHot {
		t.Errorf("%d hot links, want %d", got, crashHot)
	}
	for _, l := range byEmail["hot@example.com"] {
		if l.Attempts != last || l.Values["batch"] != strconv.Itoa(last) {
			t.Errorf("hot link %s is from batch %d, others from %d: a batch was torn", l.PersonID, l.Attempts, last)
		}
	}
	for n := range last + 3 {
		want := crashBatch(n)[crashHot:]
		ids := make([]string, len(want))
		for i, l := range want {
			ids[i] = l.PersonID
		}
		got, err := s.LinksByPerson(ctx, ids)
		if err != nil {
			t.Fatal(err)
		}
		if n > last {
			if len(got) != 0 {
				t.Errorf("batch %d after the last batch %d has %d links", n, last, len(got))
			}
			continue
		}
		if len(got) != len(want) {
			t.Errorf("batch %d has %d of %d new links", n, len(got), len(want))
			continue
		}
		for _, l := range want {
			g := got[l.PersonID]
			if g.Email != l.Email || g.Attempts != n {
				t.Errorf("batch %d link %s = %+v", n, l.PersonID, g)
			}
			if c, err := s.LinkByContact(ctx, l.ContactID); err != nil || c.PersonID != l.PersonID {
				t.Errorf("LinkByContact(%s) = (%v, %v)", l.ContactID, c, err)
			}
		}
	}
	if want := (last+1)*crashNew + crashHot; s.Len() != want {
		t.Errorf("Len() = %d, want %d", s.Len(), want)
	}
	if lastCP >= 0 {
		cp, err := s.Checkpoint(ctx, "crash")
		if err != nil {
			t.Fatalf("Checkpoint: %v", err)
		}
		if n, _ := strconv.Atoi(cp.Cursor); n < lastCP {
			t.Errorf("checkpoint at %d, last acknowledged %d", n, lastCP)
		}
	}
	t.Logf("after kill: %d batches stored, last acknowledged %d", last+1, lastAck)
	return last
}
