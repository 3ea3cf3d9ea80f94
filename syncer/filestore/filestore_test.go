package filestore_test

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/cardbridge/sansanhubspot/syncer"
	"github.com/cardbridge/sansanhubspot/syncer/filestore"
	"github.com/cardbridge/sansanhubspot/syncer/storetest"
)

func TestMain(m *testing.M) {
	if dir := os.Getenv(crashChildEnv); dir != "" {
		os.Exit(crashChild(dir))
	}
	os.Exit(m.Run())
}

func open(t testing.TB, dir string, opts ...filestore.Option) *filestore.Store {
	t.Helper()
	s, err := filestore.Open(dir, opts...)
	if err != nil {
		t.Fatalf("Open(%s): %v", dir, err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestStore(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		opts []filestore.Option
	}{
		{"Default", nil},
		// Compacting every few writes exercises the snapshot path.
		{"CompactOften", []filestore.Option{filestore.WithCompaction(2, 4<<10)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			storetest.Run(t, func(t *testing.T) syncer.Store { return open(t, t.TempDir(), tt.opts...) })
		})
	}
}

func BenchmarkStore(b *testing.B) {
	storetest.Bench(b, func(b *testing.B) syncer.Store { return open(b, b.TempDir()) })
}

var cmpOpts = cmp.Options{
	cmp.Comparer(func(a, b time.Time) bool { return a.Equal(b) }),
	cmpopts.EquateEmpty(),
}

// pools of keys the model test draws from.
const (
	nPersons  = 40
	nEmails   = 8
	nStreams  = 3
	nContacts = 3 // contact ids per person: contacts never move between persons
)

func personID(i int) string { return fmt.Sprintf("p%02d", i) }
func emailOf(i int) string  { return fmt.Sprintf("e%d@example.com", i) }
func streamOf(i int) string { return fmt.Sprintf("stream-%d", i) }

// state is everything a store answers about the key pools.
type state struct {
	ByPerson    map[string]*syncer.Link
	ByEmail     map[string][]*syncer.Link
	ByContact   map[string]*syncer.Link
	Retry       []*syncer.Link
	Checkpoints map[string]syncer.Checkpoint
	Meta        map[string][]byte
	Listed      []*syncer.Link // every link, paged through ListLinks
	Failing     []*syncer.Link // ListLinks of the failing links of one account
	Counts      []syncer.LinkCount
}

var retryNow = time.Date(2025, 7, 1, 0, 0, 0, 0, time.UTC)

func dump(t *testing.T, s syncer.Store) state {
	t.Helper()
	ctx := t.Context()
	st := state{ByContact: map[string]*syncer.Link{}, Checkpoints: map[string]syncer.Checkpoint{}}
	var ids, emails []string
	for i := range nPersons {
		ids = append(ids, personID(i))
	}
	for i := range nEmails {
		emails = append(emails, emailOf(i))
	}
	var err error
	if st.ByPerson, err = s.LinksByPerson(ctx, ids); err != nil {
		t.Fatalf("LinksByPerson: %v", err)
	}
	if st.ByEmail, err = s.LinksByEmail(ctx, emails); err != nil {
		t.Fatalf("LinksByEmail: %v", err)
	}
	for _, ls := range st.ByEmail {
		slices.SortFunc(ls, func(a, b *syncer.Link) int { return strings.Compare(a.PersonID, b.PersonID) })
	}
	for _, id := range ids {
		for k := range nContacts {
			c := fmt.Sprintf("c-%s-%d", id, k)
			l, err := s.LinkByContact(ctx, c)
			switch {
			case errors.Is(err, syncer.ErrNotFound):
			case err != nil:
				t.Fatalf("LinkByContact: %v", err)
			default:
				st.ByContact[c] = l
			}
		}
	}
	if st.Retry, err = s.LinksToRetry(ctx, retryNow, 0); err != nil {
		t.Fatalf("LinksToRetry: %v", err)
	}
	for i := range nStreams {
		cp, err := s.Checkpoint(ctx, streamOf(i))
		switch {
		case errors.Is(err, syncer.ErrNotFound):
		case err != nil:
			t.Fatalf("Checkpoint: %v", err)
		default:
			st.Checkpoints[streamOf(i)] = cp
		}
	}
	if st.Meta, err = s.(syncer.MetaStore).MetaByPrefix(ctx, ""); err != nil {
		t.Fatalf("MetaByPrefix: %v", err)
	}
	lister := s.(syncer.LinkLister)
	for q := (syncer.LinkQuery{Limit: 7}); ; {
		page, err := lister.ListLinks(ctx, q)
		if err != nil {
			t.Fatalf("ListLinks: %v", err)
		}
		if len(page) == 0 {
			break
		}
		st.Listed = append(st.Listed, page...)
		q.After = page[len(page)-1].PersonID
	}
	q := syncer.LinkQuery{States: []syncer.LinkState{syncer.StateFailing}, Account: accountOf(0)}
	if st.Failing, err = lister.ListLinks(ctx, q); err != nil {
		t.Fatalf("ListLinks(%+v): %v", q, err)
	}
	if st.Counts, err = lister.CountLinks(ctx); err != nil {
		t.Fatalf("CountLinks: %v", err)
	}
	return st
}

func accountOf(i int) string { return []string{"tokyo", "osaka", ""}[i] }

// metaValue returns a value for a random meta write: nil (a delete), empty,
// or a few bytes.
func metaValue(rng *rand.Rand, op int) []byte {
	switch rng.IntN(4) {
	case 0:
		return nil
	case 1:
		return []byte{}
	}
	return []byte{byte(op), 0, 0xff, byte(op >> 8)}
}

// randomOps applies n random writes to every store.
func randomOps(t *testing.T, rng *rand.Rand, n int, stores ...syncer.Store) {
	t.Helper()
	states := []syncer.LinkState{syncer.StateInSync, syncer.StateExcluded, syncer.StateFailing}
	for op := range n {
		if rng.IntN(6) == 0 {
			key := fmt.Sprintf("k/%d", rng.IntN(5))
			v := metaValue(rng, op)
			for _, s := range stores {
				if err := s.(syncer.MetaStore).PutMeta(t.Context(), key, v); err != nil {
					t.Fatalf("PutMeta: %v", err)
				}
			}
			continue
		}
		if rng.IntN(5) == 0 {
			name := streamOf(rng.IntN(nStreams))
			cp := syncer.Checkpoint{
				Since:    retryNow.Add(time.Duration(rng.Int64N(1e15))),
				Cursor:   strconv.Itoa(op),
				Complete: rng.IntN(2) == 0,
			}
			for _, s := range stores {
				if err := s.PutCheckpoint(t.Context(), name, cp); err != nil {
					t.Fatalf("PutCheckpoint: %v", err)
				}
			}
			continue
		}
		var links []*syncer.Link
		for range 1 + rng.IntN(10) {
			id := personID(rng.IntN(nPersons))
			l := &syncer.Link{
				PersonID:  id,
				CardID:    fmt.Sprintf("card-%d", op),
				State:     states[rng.IntN(len(states))],
				NextRetry: retryNow.Add(time.Duration(rng.Int64N(2e12) - 1e12)),
				Attempts:  op,
				Values:    map[string]string{"op": strconv.Itoa(op)},
				UpdatedAt: time.Unix(0, rng.Int64N(2e18)),
				Account:   accountOf(rng.IntN(3)),
			}
			if l.State != syncer.StateInSync {
				l.Reason = []string{"rate_limited", "server_error"}[rng.IntN(2)]
			}
			if rng.IntN(4) > 0 {
				l.Email = emailOf(rng.IntN(nEmails))
			}
			if rng.IntN(4) > 0 {
				l.ContactID = fmt.Sprintf("c-%s-%d", id, rng.IntN(nContacts))
			}
			links = append(links, l)
		}
		for _, s := range stores {
			if err := s.PutLinks(t.Context(), links); err != nil {
				t.Fatalf("PutLinks: %v", err)
			}
		}
	}
}

// TestReopenMatchesModel applies the same random writes to a MemoryStore
// and a filestore, and checks the filestore answers like the model after
// every reopen, with and without compactions in between.
func TestReopenMatchesModel(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		opts []filestore.Option
	}{
		{"LogOnly", []filestore.Option{filestore.WithCompaction(0, 0)}},
		{"FrequentCompaction", []filestore.Option{filestore.WithCompaction(1.5, 0)}},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			seed := uint64(time.Now().UnixNano()) + uint64(i)
			t.Logf("seed %d", seed)
			rng := rand.New(rand.NewPCG(seed, 1))
			dir := t.TempDir()
			model := syncer.NewMemoryStore()
			for round := range 4 {
				s, err := filestore.Open(dir, tt.opts...)
				if err != nil {
					t.Fatalf("round %d: Open: %v", round, err)
				}
				if d := cmp.Diff(dump(t, model), dump(t, s), cmpOpts); d != "" {
					t.Fatalf("round %d: after reopen (-model +filestore):\n%s", round, d)
				}
				randomOps(t, rng, 60, model, s)
				if d := cmp.Diff(dump(t, model), dump(t, s), cmpOpts); d != "" {
					t.Fatalf("round %d: after writes (-model +filestore):\n%s", round, d)
				}
				if round == 2 {
					if err := s.Compact(t.Context()); err != nil {
						t.Fatalf("Compact: %v", err)
					}
				}
				if err := s.Close(); err != nil {
					t.Fatalf("Close: %v", err)
				}
			}
		})
	}
}

// batchLinks returns the links of test batch n: three new persons.
func batchLinks(n int) []*syncer.Link {
	var ls []*syncer.Link
	for j := range 3 {
		id := fmt.Sprintf("b%03d-%d", n, j)
		ls = append(ls, &syncer.Link{
			PersonID: id, Email: fmt.Sprintf("b%03d@example.com", n), ContactID: "c-" + id,
			Values: map[string]string{"batch": strconv.Itoa(n)}, State: syncer.StateInSync,
		})
	}
	return ls
}

// checkBatches fails unless exactly batches [0, n) are stored, whole.
func checkBatches(t *testing.T, s syncer.Store, n int) {
	t.Helper()
	for b := range n + 2 {
		want := batchLinks(b)
		ids := make([]string, len(want))
		for i, l := range want {
			ids[i] = l.PersonID
		}
		got, err := s.LinksByPerson(t.Context(), ids)
		if err != nil {
			t.Fatalf("LinksByPerson: %v", err)
		}
		if b >= n {
			if len(got) != 0 {
				t.Errorf("batch %d: %d links stored, want none", b, len(got))
			}
			continue
		}
		for _, l := range want {
			if d := cmp.Diff(l, got[l.PersonID], cmpOpts); d != "" {
				t.Errorf("batch %d: link %s (-want +got):\n%s", b, l.PersonID, d)
			}
		}
	}
}

func walPath(dir string) string { return filepath.Join(dir, "wal") }

func fileSize(t testing.TB, name string) int64 {
	t.Helper()
	fi, err := os.Stat(name)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Size()
}

// writeBatches writes batches [0, n) and returns the log offset at which
// the last one starts.
func writeBatches(t testing.TB, dir string, n int) (lastStart, end int64) {
	t.Helper()
	s := open(t, dir)
	for b := range n {
		lastStart = fileSize(t, walPath(dir))
		if err := s.PutLinks(t.Context(), batchLinks(b)); err != nil {
			t.Fatalf("PutLinks: %v", err)
		}
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	return lastStart, fileSize(t, walPath(dir))
}

func TestTornTail(t *testing.T) {
	t.Parallel()
	garbage := func(n int) []byte {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(i*7 + 3)
		}
		return b
	}
	// A frame header announcing a huge payload.
	hugeFrame := []byte{'S', 'H', 'F', '1', 0xff, 0xff, 0xff, 0x0f, 1, 2, 3, 4}
	tests := []struct {
		name string
		// damage returns the new log contents given the intact log and the
		// offset of the last frame.
		damage func(log []byte, last int) []byte
		// kept is how many of the 5 batches must survive.
		kept int
	}{
		{"CutInFrameHeader", func(l []byte, last int) []byte { return l[:last+5] }, 4},
		{"CutAfterFrameHeader", func(l []byte, last int) []byte { return l[:last+12] }, 4},
		{"CutInPayload", func(l []byte, last int) []byte { return l[:last+(len(l)-last)/2] }, 4},
		{"CutLastByte", func(l []byte, last int) []byte { return l[:len(l)-1] }, 4},
		{"ZeroedPayload", func(l []byte, last int) []byte {
			out := slices.Clone(l)
			clear(out[last+12:])
			return out
		}, 4},
		{"GarbageAppended", func(l []byte, last int) []byte { return append(slices.Clone(l), garbage(100)...) }, 5},
		{"ZerosAppended", func(l []byte, last int) []byte { return append(slices.Clone(l), make([]byte, 4096)...) }, 5},
		{"HugeFrameAppended", func(l []byte, last int) []byte { return append(slices.Clone(l), hugeFrame...) }, 5},
		{"CutThenGarbage", func(l []byte, last int) []byte {
			return append(slices.Clone(l[:last+20]), garbage(37)...)
		}, 4},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			last, _ := writeBatches(t, dir, 5)
			log, err := os.ReadFile(walPath(dir))
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(walPath(dir), tt.damage(log, int(last)), 0o600); err != nil {
				t.Fatal(err)
			}
			s := open(t, dir)
			checkBatches(t, s, tt.kept)
			// The tail must really be gone: new writes land after the
			// surviving frames and survive another reopen.
			if err := s.PutLinks(t.Context(), batchLinks(tt.kept)); err != nil {
				t.Fatalf("PutLinks after recovery: %v", err)
			}
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
			checkBatches(t, open(t, dir), tt.kept+1)
		})
	}
}

func TestCorruptionIsNotTruncated(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		file    string
		compact bool
		damage  func(b []byte) []byte
	}{
		{"FlippedByteInFirstFrame", "wal", false, func(b []byte) []byte { b[8+20] ^= 0x40; return b }},
		{"BadLogHeader", "wal", false, func(b []byte) []byte { b[2] = 'X'; return b }},
		{"FlippedByteInSnapshot", "snapshot", true, func(b []byte) []byte { b[len(b)/2] ^= 1; return b }},
		{"TruncatedSnapshot", "snapshot", true, func(b []byte) []byte { return b[:len(b)-3] }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			s := open(t, dir)
			for b := range 3 {
				if err := s.PutLinks(t.Context(), batchLinks(b)); err != nil {
					t.Fatal(err)
				}
				if tt.compact && b == 1 {
					if err := s.Compact(t.Context()); err != nil {
						t.Fatal(err)
					}
				}
			}
			s.Close()
			name := filepath.Join(dir, tt.file)
			data, err := os.ReadFile(name)
			if err != nil {
				t.Fatal(err)
			}
			damaged := tt.damage(data)
			if err := os.WriteFile(name, damaged, 0o600); err != nil {
				t.Fatal(err)
			}
			s2, err := filestore.Open(dir)
			if !errors.Is(err, filestore.ErrCorrupt) {
				if s2 != nil {
					s2.Close()
				}
				t.Fatalf("Open of a damaged %s = %v, want an error matching ErrCorrupt", tt.file, err)
			}
			after, err := os.ReadFile(name)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(after, damaged) {
				t.Errorf("Open changed the damaged %s", tt.file)
			}
			// The lock is released after a failed Open.
			if s3, err := filestore.Open(dir); !errors.Is(err, filestore.ErrCorrupt) {
				t.Errorf("second Open = %v, want ErrCorrupt again", err)
				if s3 != nil {
					s3.Close()
				}
			}
		})
	}
}

func TestCompaction(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	s := open(t, dir, filestore.WithCompaction(3, 16<<10))
	hot := batchLinks(0)
	for n := range 300 {
		for _, l := range hot {
			l.Values["n"] = strconv.Itoa(n)
		}
		if err := s.PutLinks(t.Context(), hot); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.PutCheckpoint(t.Context(), "cards", syncer.Checkpoint{Cursor: "x", Complete: true}); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "snapshot")); err != nil {
		t.Fatalf("no snapshot after 300 rewrites: %v", err)
	}
	// 300 rewrites take about 100 KiB of log; compaction keeps it below
	// the 16 KiB threshold plus one record.
	if size := fileSize(t, walPath(dir)); size > 20<<10 {
		t.Errorf("log is %d bytes after compactions, want at most %d", size, 20<<10)
	}
	want := dump(t, s)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = open(t, dir)
	if d := cmp.Diff(want, dump(t, s), cmpOpts); d != "" {
		t.Errorf("after compaction and reopen (-want +got):\n%s", d)
	}
	got, err := s.LinksByPerson(t.Context(), []string{hot[0].PersonID})
	if err != nil {
		t.Fatal(err)
	}
	if v := got[hot[0].PersonID].Values["n"]; v != "299" {
		t.Errorf("hot link holds n=%q, want 299", v)
	}
}

// TestCrashDuringCompaction reopens a store whose compaction stopped after
// the snapshot was renamed into place but before the log was replaced.
func TestCrashDuringCompaction(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	s := open(t, dir)
	for b := range 4 {
		if err := s.PutLinks(t.Context(), batchLinks(b)); err != nil {
			t.Fatal(err)
		}
	}
	oldLog, err := os.ReadFile(walPath(dir))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Compact(t.Context()); err != nil {
		t.Fatal(err)
	}
	s.Close()
	if err := os.WriteFile(walPath(dir), oldLog, 0o600); err != nil {
		t.Fatal(err)
	}
	// A leftover temporary file is removed.
	if err := os.WriteFile(filepath.Join(dir, "snapshot.tmp"), []byte("partial"), 0o600); err != nil {
		t.Fatal(err)
	}
	s = open(t, dir)
	checkBatches(t, s, 4)
	if err := s.PutLinks(t.Context(), batchLinks(4)); err != nil {
		t.Fatal(err)
	}
	s.Close()
	checkBatches(t, open(t, dir), 5)
	if _, err := os.Stat(filepath.Join(dir, "snapshot.tmp")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("snapshot.tmp still there: %v", err)
	}
}

func TestLocked(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	s := open(t, dir)
	_, err := filestore.Open(dir)
	if !errors.Is(err, filestore.ErrLocked) {
		t.Fatalf("second Open = %v, want an error matching ErrLocked", err)
	}
	if want := fmt.Sprintf("pid %d", os.Getpid()); !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), dir) {
		t.Errorf("error %q does not name the directory and %q", err, want)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	open(t, dir)
}

func TestClosed(t *testing.T) {
	t.Parallel()
	s := open(t, t.TempDir())
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	_, err1 := s.LinksByPerson(ctx, []string{"p"})
	_, err2 := s.LinksByEmail(ctx, []string{"e"})
	_, err3 := s.LinkByContact(ctx, "c")
	_, err4 := s.LinksToRetry(ctx, time.Now(), 1)
	_, err5 := s.Checkpoint(ctx, "s")
	_, err6 := s.Meta(ctx, "k")
	_, err7 := s.MetaByPrefix(ctx, "")
	_, err8 := s.ListLinks(ctx, syncer.LinkQuery{})
	_, err9 := s.CountLinks(ctx)
	errs := []error{err1, err2, err3, err4, err5, err6, err7, err8, err9,
		s.PutLinks(ctx, batchLinks(0)), s.PutCheckpoint(ctx, "s", syncer.Checkpoint{}), s.PutMeta(ctx, "k", []byte("v")),
		s.Compact(ctx)}
	for i, err := range errs {
		if !errors.Is(err, filestore.ErrClosed) {
			t.Errorf("call %d after Close = %v, want an error matching ErrClosed", i, err)
		}
	}
	if err := s.Close(); err != nil {
		t.Errorf("second Close = %v, want nil", err)
	}
}

func FuzzOpenWithTail(f *testing.F) {
	f.Add([]byte{})
	f.Add([]byte("SHF1"))
	f.Add([]byte{'S', 'H', 'F', '1', 3, 0, 0, 0, 0, 0, 0, 0, '{', '}', '\n'})
	f.Add(bytes.Repeat([]byte{0}, 64))
	// The intact log of three batches, written once.
	tmpl := f.TempDir()
	writeBatches(f, tmpl, 3)
	intact, err := os.ReadFile(walPath(tmpl))
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, tail []byte) {
		dir := t.TempDir()
		if err := os.WriteFile(walPath(dir), append(slices.Clone(intact), tail...), 0o600); err != nil {
			t.Fatal(err)
		}
		s, err := filestore.Open(dir)
		if err != nil {
			if !errors.Is(err, filestore.ErrCorrupt) {
				t.Fatalf("Open = %v, want nil or ErrCorrupt", err)
			}
			return
		}
		defer s.Close()
		if n := s.Len(); n < 9 {
			t.Fatalf("Len() = %d after appending %d bytes, want at least the 9 written links", n, len(tail))
		}
		got, err := s.LinksByPerson(t.Context(), []string{"b000-0", "b002-2"})
		if err != nil || len(got) != 2 {
			t.Fatalf("LinksByPerson = (%v, %v), want both links", got, err)
		}
	})
}

// TestTornMetaTail cuts the log inside its last meta records: a torn
// final record is dropped, every earlier one stays.
func TestTornMetaTail(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		// damage returns the new log given the intact log and the offsets
		// of its last two frames: the put of b and the delete of a.
		damage func(log []byte, putB, delA int) []byte
		want   map[string][]byte
	}{
		{"CutInLastFrameHeader", func(l []byte, _, delA int) []byte { return l[:delA+5] },
			map[string][]byte{"a": []byte("1"), "b": []byte("2")}},
		{"CutInLastPayload", func(l []byte, _, delA int) []byte { return l[:delA+14] },
			map[string][]byte{"a": []byte("1"), "b": []byte("2")}},
		{"CutLastByte", func(l []byte, _, _ int) []byte { return l[:len(l)-1] },
			map[string][]byte{"a": []byte("1"), "b": []byte("2")}},
		{"ZeroedLastPayload", func(l []byte, _, delA int) []byte {
			out := slices.Clone(l)
			clear(out[delA+12:])
			return out
		}, map[string][]byte{"a": []byte("1"), "b": []byte("2")}},
		{"CutInPut", func(l []byte, putB, _ int) []byte { return l[:putB+20] },
			map[string][]byte{"a": []byte("1")}},
		{"Intact", func(l []byte, _, _ int) []byte { return l },
			map[string][]byte{"b": []byte("2")}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			s := open(t, dir)
			ctx := t.Context()
			if err := s.PutMeta(ctx, "a", []byte("1")); err != nil {
				t.Fatal(err)
			}
			if err := s.PutLinks(ctx, batchLinks(0)); err != nil {
				t.Fatal(err)
			}
			putB := fileSize(t, walPath(dir))
			if err := s.PutMeta(ctx, "b", []byte("2")); err != nil {
				t.Fatal(err)
			}
			delA := fileSize(t, walPath(dir))
			if err := s.PutMeta(ctx, "a", nil); err != nil {
				t.Fatal(err)
			}
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
			log, err := os.ReadFile(walPath(dir))
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(walPath(dir), tt.damage(log, int(putB), int(delA)), 0o600); err != nil {
				t.Fatal(err)
			}
			s = open(t, dir)
			got, err := s.MetaByPrefix(ctx, "")
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(tt.want, got); d != "" {
				t.Errorf("meta after reopen (-want +got):\n%s", d)
			}
			checkBatches(t, s, 1)
			// New writes land after the surviving frames.
			if err := s.PutMeta(ctx, "c", []byte("3")); err != nil {
				t.Fatalf("PutMeta after recovery: %v", err)
			}
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
			tt.want["c"] = []byte("3")
			got, err = open(t, dir).MetaByPrefix(ctx, "")
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(tt.want, got); d != "" {
				t.Errorf("meta after a write and another reopen (-want +got):\n%s", d)
			}
		})
	}
}

// TestMetaSurvivesCompaction checks meta kept in a snapshot, deletes
// included, and a meta write that alone triggers a compaction.
func TestMetaSurvivesCompaction(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	s := open(t, dir, filestore.WithCompaction(2, 8<<10))
	ctx := t.Context()
	want := map[string][]byte{}
	for n := range 200 {
		key := fmt.Sprintf("intent/%d", n%7)
		v := bytes.Repeat([]byte{byte(n)}, 100)
		if n%5 == 4 {
			v = nil
			delete(want, key)
		} else {
			want[key] = v
		}
		if err := s.PutMeta(ctx, key, v); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "snapshot")); err != nil {
		t.Fatalf("no snapshot after 200 meta writes: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	got, err := open(t, dir).MetaByPrefix(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("meta after compactions and reopen (-want +got):\n%s", d)
	}
}

func TestPutMetaRejectsInvalidUTF8Key(t *testing.T) {
	t.Parallel()
	s := open(t, t.TempDir())
	if err := s.PutMeta(t.Context(), "bad\xffkey", []byte("v")); err == nil {
		t.Fatal("PutMeta with an invalid UTF-8 key succeeded; JSON would store another key")
	}
	got, err := s.MetaByPrefix(t.Context(), "")
	if err != nil || len(got) != 0 {
		t.Errorf("MetaByPrefix after a refused PutMeta = (%v, %v), want nothing stored", got, err)
	}
}
