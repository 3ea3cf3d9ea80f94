package filestore_test

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"os"
	"os/exec"
	"slices"
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

// crashMetaKey is the meta key batch n stores; each batch deletes the
// previous batch's key, so one or two are stored at any time.
func crashMetaKey(n int) string { return fmt.Sprintf("batch/%06d", n) }

// crashMetaValue is the value of crashMetaKey(n): large enough that kills
// land inside meta frames too.
func crashMetaValue(n int) []byte {
	v := make([]byte, 3000)
	for i := range v {
		v[i] = byte(n + i*7)
	}
	return v
}

// crashChild writes batches forever, printing "ack N" after PutLinks of
// batch N returned, "cp N" after its checkpoint, "meta N" after PutMeta of
// its meta key and "del N" after the delete of the previous batch's key
// (N-1), until it is killed.
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
	// A kill between a batch's meta put and its delete of the previous key
	// leaves that key: delete every key but the last batch's, so only
	// acknowledged deletes are missing from the next check.
	stale, err := s.MetaByPrefix(ctx, "batch/")
	if err != nil {
		fmt.Println("error", err)
		return 2
	}
	for k := range stale {
		if k != crashMetaKey(next-1) {
			if err := s.PutMeta(ctx, k, nil); err != nil {
				fmt.Println("error", err)
				return 2
			}
		}
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
		if err := s.PutMeta(ctx, crashMetaKey(n), crashMetaValue(n)); err != nil {
			fmt.Println("error", err)
			return 2
		}
		fmt.Println("meta", n)
		if err := s.PutMeta(ctx, crashMetaKey(n-1), nil); err != nil {
			fmt.Println("error", err)
			return 2
		}
		fmt.Println("del", n-1)
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
	// The last batch whose PutLinks, PutCheckpoint, PutMeta and delete of
	// its meta key were acknowledged.
	var acks crashAcks
	acks.batch, acks.cp, acks.meta, acks.del = -1, -1, -1, -1
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
		killAfter := acks.batch + 1 + rng.IntN(40)
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
				if n != acks.batch+1 {
					t.Errorf("round %d: child resumes at batch %d, last acknowledged was %d", round, n, acks.batch)
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
				acks.batch = n
			case "cp":
				acks.cp = n
			case "meta":
				acks.meta = n
			case "del":
				acks.del = n
			}
			if acks.batch >= killAfter && !killed {
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
		acks.batch = checkCrashState(t, dir, acks)
	}
}

// crashAcks holds the last acknowledged write of each kind.
type crashAcks struct{ batch, cp, meta, del int }

// checkCrashState opens the store after a kill and returns the last batch
// it holds.
func checkCrashState(t *testing.T, dir string, acks crashAcks) int {
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
	lastAck, lastCP := acks.batch, acks.cp
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
	checkCrashMeta(t, s, acks, last)
	t.Logf("after kill: %d batches stored, last acknowledged %d", last+1, lastAck)
	return last
}

// checkCrashMeta checks the meta keys after a kill: every acknowledged put
// whose delete was not acknowledged is there, whole; every acknowledged
// delete stuck; the writes in flight (the put of acks.meta+1, the delete of
// acks.del+1) are there or not; nothing else is.
func checkCrashMeta(t *testing.T, s *filestore.Store, acks crashAcks, last int) {
	t.Helper()
	got, err := s.MetaByPrefix(t.Context(), "batch/")
	if err != nil {
		t.Fatalf("MetaByPrefix: %v", err)
	}
	for n := range last + 3 {
		v, ok := got[crashMetaKey(n)]
		delete(got, crashMetaKey(n))
		var want, may bool // must be there; may be there
		switch {
		case n <= acks.del:
		case n == acks.del+1 && n+1 <= acks.meta:
			may = true // its delete may be in flight
		case n <= acks.meta:
			want = true
		case n == acks.meta+1 && n <= last:
			may = true // its put may be in flight
		}
		switch {
		case ok && !want && !may:
			t.Errorf("meta %s is stored; puts acknowledged up to %d, deletes up to %d", crashMetaKey(n), acks.meta, acks.del)
		case !ok && want:
			t.Errorf("meta %s is missing; puts acknowledged up to %d, deletes up to %d", crashMetaKey(n), acks.meta, acks.del)
		case ok && !bytes.Equal(v, crashMetaValue(n)):
			t.Errorf("meta %s holds %d bytes that are not the ones written", crashMetaKey(n), len(v))
		}
	}
	if len(got) != 0 {
		t.Errorf("unexpected meta keys %v", slices.Sorted(maps.Keys(got)))
	}
}
