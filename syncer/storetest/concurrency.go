package storetest

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/cardbridge/sansanhubspot/syncer"
)

var concurrencyCases = []testCase{
	{"ManyWriters", func(t *testing.T, s syncer.Store) {
		const (
			writers = 8
			rounds  = 10
			perPut  = 5
		)
		email := func(g int) string { return fmt.Sprintf("writer%d@example.com", g) }
		id := func(g, r, j int) string { return fmt.Sprintf("w%d-r%d-%d", g, r, j) }
		ctx := t.Context()
		var wg sync.WaitGroup
		for g := range writers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for r := range rounds {
					links := make([]*syncer.Link, perPut)
					ids := make([]string, perPut)
					for j := range links {
						ids[j] = id(g, r, j)
						links[j] = simpleLink(ids[j], email(g), "c-"+ids[j])
					}
					if err := s.PutLinks(ctx, links); err != nil {
						t.Errorf("writer %d: PutLinks: %v", g, err)
						return
					}
					got, err := s.LinksByPerson(ctx, ids)
					if err != nil {
						t.Errorf("writer %d: LinksByPerson: %v", g, err)
						return
					}
					if len(got) != perPut {
						t.Errorf("writer %d: read %d of the %d links it just wrote", g, len(got), perPut)
					}
					if _, err := s.LinksByEmail(ctx, []string{email((g + 1) % writers)}); err != nil {
						t.Errorf("writer %d: LinksByEmail: %v", g, err)
					}
					if _, err := s.LinkByContact(ctx, "c-"+id((g+1)%writers, r, 0)); err != nil && !errors.Is(err, syncer.ErrNotFound) {
						t.Errorf("writer %d: LinkByContact: %v", g, err)
					}
					if err := s.PutCheckpoint(ctx, email(g), syncer.Checkpoint{Cursor: strconv.Itoa(r)}); err != nil {
						t.Errorf("writer %d: PutCheckpoint: %v", g, err)
					}
					if _, err := s.Checkpoint(ctx, email((g+1)%writers)); err != nil && !errors.Is(err, syncer.ErrNotFound) {
						t.Errorf("writer %d: Checkpoint: %v", g, err)
					}
				}
			}()
		}
		wg.Wait()
		if t.Failed() {
			return
		}
		for g := range writers {
			got := byEmail(t, s, email(g))
			if len(got) != rounds*perPut {
				t.Errorf("LinksByEmail(%s) found %d links, want %d", email(g), len(got), rounds*perPut)
			}
			cp, err := s.Checkpoint(ctx, email(g))
			if err != nil {
				t.Errorf("Checkpoint(%s): %v", email(g), err)
			} else if want := strconv.Itoa(rounds - 1); cp.Cursor != want {
				t.Errorf("Checkpoint(%s).Cursor = %q, want %q", email(g), cp.Cursor, want)
			}
			want := simpleLink(id(g, rounds-1, perPut-1), email(g), "c-"+id(g, rounds-1, perPut-1))
			if d := diff(want, byContact(t, s, want.ContactID)); d != "" {
				t.Errorf("LinkByContact(%s) (-want +got):\n%s", want.ContactID, d)
			}
		}
	}},
	{"OverlappingBatches", func(t *testing.T, s syncer.Store) {
		// Writers rewrite the same persons in different orders (a SQL store
		// must not deadlock); afterwards every index agrees with the links.
		const (
			writers = 4
			rounds  = 10
			persons = 30
		)
		var wg sync.WaitGroup
		for g := range writers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for r := range rounds {
					links := make([]*syncer.Link, persons)
					for i := range links {
						p := i
						if g%2 == 1 {
							p = persons - 1 - i // reverse order
						}
						id := fmt.Sprintf("p%02d", (p+r*7)%persons)
						links[i] = simpleLink(id, fmt.Sprintf("w%d@example.com", g), fmt.Sprintf("c-%s-w%d", id, g))
						links[i].Message = fmt.Sprintf("writer %d round %d", g, r)
					}
					if err := s.PutLinks(t.Context(), links); err != nil {
						t.Errorf("writer %d round %d: PutLinks: %v", g, r, err)
						return
					}
				}
			}()
		}
		wg.Wait()
		ids := make([]string, persons)
		for i := range ids {
			ids[i] = fmt.Sprintf("p%02d", i)
		}
		all, err := s.LinksByPerson(t.Context(), ids)
		if err != nil {
			t.Fatalf("LinksByPerson: %v", err)
		}
		if len(all) != persons {
			t.Fatalf("LinksByPerson found %d of %d persons", len(all), persons)
		}
		perEmail := map[string][]string{}
		for _, id := range ids {
			l := all[id]
			perEmail[l.Email] = append(perEmail[l.Email], id)
			if d := diff(l, byContact(t, s, l.ContactID)); d != "" {
				t.Errorf("LinkByContact(%s) disagrees with LinksByPerson (-person +contact):\n%s", l.ContactID, d)
			}
		}
		for g := range writers {
			email := fmt.Sprintf("w%d@example.com", g)
			if d := diff(perEmail[email], personIDs(byEmail(t, s, email))); d != "" {
				t.Errorf("LinksByEmail(%s) disagrees with LinksByPerson (-person +email):\n%s", email, d)
			}
		}
	}},
	{"ReadersSeeWholeBatches", func(t *testing.T, s syncer.Store) {
		// One writer rewrites persons pa and pb together; their email and
		// contact alternate. Readers must never see half a batch, a link
		// whose fields come from two writes, or an index entry pointing at
		// a link that no longer has that key.
		const writes = 100
		version := func(n int) []*syncer.Link {
			parity := []string{"even", "odd"}[n%2]
			var ls []*syncer.Link
			for _, p := range []string{"pa", "pb"} {
				l := simpleLink(p, parity+"@example.com", "c-"+p+"-"+parity)
				l.Attempts = n
				l.Message = strconv.Itoa(n)
				l.Values = map[string]string{"v": strconv.Itoa(n)}
				l.UpdatedAt = time.Unix(int64(n), 0)
				ls = append(ls, l)
			}
			return ls
		}
		put(t, s, version(0)...)
		ctx, stop := context.WithCancel(t.Context())
		var readers sync.WaitGroup
		whole := func(l *syncer.Link) bool {
			return l.Message == strconv.Itoa(l.Attempts) && l.Values["v"] == l.Message &&
				l.UpdatedAt.Equal(time.Unix(int64(l.Attempts), 0)) &&
				l.Email == []string{"even", "odd"}[l.Attempts%2]+"@example.com"
		}
		for range 4 {
			readers.Add(1)
			go func() {
				defer readers.Done()
				for ctx.Err() == nil {
					byP, err := s.LinksByPerson(ctx, []string{"pa", "pb"})
					if err != nil {
						if ctx.Err() == nil {
							t.Errorf("LinksByPerson: %v", err)
						}
						return
					}
					a, b := byP["pa"], byP["pb"]
					if a == nil || b == nil {
						t.Errorf("LinksByPerson lost a link: pa=%v pb=%v", a, b)
						return
					}
					if !whole(a) || !whole(b) {
						t.Errorf("torn link: pa=%+v pb=%+v", a, b)
						return
					}
					if a.Attempts != b.Attempts {
						t.Errorf("half a batch visible: pa at write %d, pb at write %d", a.Attempts, b.Attempts)
						return
					}
					byE, err := s.LinksByEmail(ctx, []string{"even@example.com", "odd@example.com"})
					if err != nil {
						if ctx.Err() == nil {
							t.Errorf("LinksByEmail: %v", err)
						}
						return
					}
					for e, ls := range byE {
						for _, l := range ls {
							if l.Email != e || !whole(l) {
								t.Errorf("LinksByEmail[%s] returned %+v", e, l)
								return
							}
						}
					}
					l, err := s.LinkByContact(ctx, "c-pa-even")
					switch {
					case errors.Is(err, syncer.ErrNotFound):
					case err != nil:
						if ctx.Err() == nil {
							t.Errorf("LinkByContact: %v", err)
						}
						return
					case l.ContactID != "c-pa-even" || !whole(l):
						t.Errorf("LinkByContact(c-pa-even) returned %+v", l)
						return
					}
					// Let the writer run: with few cores, spinning readers
					// would starve it.
					runtime.Gosched()
				}
			}()
		}
		for n := 1; n <= writes; n++ {
			if err := s.PutLinks(t.Context(), version(n)); err != nil {
				t.Errorf("PutLinks(write %d): %v", n, err)
				break
			}
		}
		stop()
		readers.Wait()
		want := version(writes)
		if d := diff(want[0], byPerson(t, s, "pa")); d != "" {
			t.Errorf("final pa (-want +got):\n%s", d)
		}
	}},
}

var cancelCases = []testCase{
	{"EveryMethod", func(t *testing.T, s syncer.Store) {
		put(t, s, simpleLink("p1", "a@example.com", "c1"))
		if err := s.PutCheckpoint(t.Context(), "cards", fullCheckpoint()); err != nil {
			t.Fatalf("PutCheckpoint: %v", err)
		}
		for _, c := range doneContexts(t) {
			calls := []struct {
				method string
				call   func(context.Context) error
			}{
				{"LinksByPerson", func(ctx context.Context) error {
					_, err := s.LinksByPerson(ctx, []string{"p1"})
					return err
				}},
				{"LinksByEmail", func(ctx context.Context) error {
					_, err := s.LinksByEmail(ctx, []string{"a@example.com"})
					return err
				}},
				{"LinkByContact", func(ctx context.Context) error {
					_, err := s.LinkByContact(ctx, "c1")
					return err
				}},
				{"LinksToRetry", func(ctx context.Context) error {
					_, err := s.LinksToRetry(ctx, time.Now(), 10)
					return err
				}},
				{"PutLinks", func(ctx context.Context) error {
					return s.PutLinks(ctx, []*syncer.Link{simpleLink("p2", "b@example.com", "c2")})
				}},
				{"Checkpoint", func(ctx context.Context) error {
					_, err := s.Checkpoint(ctx, "cards")
					return err
				}},
				{"PutCheckpoint", func(ctx context.Context) error {
					return s.PutCheckpoint(ctx, "contacts", fullCheckpoint())
				}},
			}
			for _, m := range calls {
				if err := m.call(c.ctx); !errors.Is(err, c.want) {
					t.Errorf("%s with %s context = %v, want an error matching %v", m.method, c.name, err, c.want)
				}
			}
		}
	}},
	{"CancelledWritesStoreNothing", func(t *testing.T, s syncer.Store) {
		ctx := cancelled(t)
		_ = s.PutLinks(ctx, batch("p", 10))
		_ = s.PutCheckpoint(ctx, "cards", fullCheckpoint())
		got, err := s.LinksByPerson(t.Context(), personIDs(batch("p", 10)))
		if err != nil {
			t.Fatalf("LinksByPerson: %v", err)
		}
		if len(got) != 0 {
			t.Errorf("a PutLinks with a cancelled context stored %v", keys(got))
		}
		if _, err := s.Checkpoint(t.Context(), "cards"); !errors.Is(err, syncer.ErrNotFound) {
			t.Errorf("Checkpoint after a cancelled PutCheckpoint = %v, want an error matching ErrNotFound", err)
		}
	}},
}

// doneContext is a context that has ended, and the error a store must
// return for it.
type doneContext struct {
	name string
	ctx  context.Context
	want error
}

// doneContexts returns a cancelled context and one past its deadline.
func doneContexts(t *testing.T) []doneContext {
	past, cancel := context.WithDeadline(t.Context(), time.Now().Add(-time.Second))
	t.Cleanup(cancel)
	return []doneContext{
		{"Canceled", cancelled(t), context.Canceled},
		{"DeadlineExceeded", past, context.DeadlineExceeded},
	}
}
