package storetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/cardbridge/sansanhubspot/syncer"
)

// metaCase is a testCase for stores that implement syncer.MetaStore.
func metaCase(name string, run func(t *testing.T, s syncer.Store, m syncer.MetaStore)) testCase {
	return optionalCase(name, run)
}

func putMeta(t testing.TB, m syncer.MetaStore, key string, value []byte) {
	t.Helper()
	if err := m.PutMeta(t.Context(), key, value); err != nil {
		t.Fatalf("PutMeta(%q, %d bytes): %v", key, len(value), err)
	}
}

// getMeta returns the value of key, or nil when the store reports an error
// matching ErrNotFound. A found value must not be nil, even if empty.
func getMeta(t testing.TB, m syncer.MetaStore, key string) []byte {
	t.Helper()
	v, err := m.Meta(t.Context(), key)
	if errors.Is(err, syncer.ErrNotFound) {
		if v != nil {
			t.Errorf("Meta(%q) returned %q with ErrNotFound, want nil", key, v)
		}
		return nil
	}
	if err != nil {
		t.Fatalf("Meta(%q): %v", key, err)
	}
	if v == nil {
		t.Errorf("Meta(%q) returned a nil value and no error; a found value is never nil", key)
		v = []byte{}
	}
	return v
}

func metaByPrefix(t testing.TB, m syncer.MetaStore, prefix string) map[string][]byte {
	t.Helper()
	got, err := m.MetaByPrefix(t.Context(), prefix)
	if err != nil {
		t.Fatalf("MetaByPrefix(%q): %v", prefix, err)
	}
	return got
}

// metaValues returns values that are easy to get wrong: binary bytes,
// invalid UTF-8, JSON, an empty value and one of a few hundred kilobytes.
func metaValues() map[string][]byte {
	large := make([]byte, 300<<10)
	for i := range large {
		large[i] = byte(i * 31)
	}
	return map[string][]byte{
		"binding":          []byte(`{"portal":12345678,"accounts":["tokyo"]}`),
		"mapping/cards":    {0, 1, 2, 0xff, 0xfe, '\\', '\'', '"', 0},
		"intent/7/1":       large,
		"営業部/🎴 key":        []byte("値"),
		"empty":            {},
		"with space/a b":   []byte("x"),
		"percent%_under":   []byte("%_"),
		"Binding":          []byte("keys are case-sensitive"),
		"backslash\\key\\": []byte(`\`),
	}
}

var metaCases = []testCase{
	metaCase("NotFound", func(t *testing.T, _ syncer.Store, m syncer.MetaStore) {
		v, err := m.Meta(t.Context(), "binding")
		if !errors.Is(err, syncer.ErrNotFound) {
			t.Errorf("Meta on an empty store = (%q, %v), want an error matching ErrNotFound", v, err)
		}
		if got := metaByPrefix(t, m, ""); len(got) != 0 {
			t.Errorf("MetaByPrefix(\"\") on an empty store = %v, want no keys", keys(got))
		}
	}),
	metaCase("RoundTrip", func(t *testing.T, _ syncer.Store, m syncer.MetaStore) {
		want := metaValues()
		for k, v := range metaValues() {
			putMeta(t, m, k, v)
		}
		for k, v := range want {
			if d := diff(v, getMeta(t, m, k)); d != "" {
				t.Errorf("Meta(%q) (-want +got):\n%s", k, d)
			}
		}
		if got := getMeta(t, m, "empty"); got == nil || len(got) != 0 {
			t.Errorf("Meta(empty) = %#v, want a found, empty value", got)
		}
		if d := diff(want, metaByPrefix(t, m, "")); d != "" {
			t.Errorf("MetaByPrefix(\"\") (-want +got):\n%s", d)
		}
	}),
	metaCase("Overwrite", func(t *testing.T, _ syncer.Store, m syncer.MetaStore) {
		tests := []struct {
			name          string
			first, second []byte
		}{
			{"Longer", []byte("a"), []byte("a much longer value")},
			{"Shorter", []byte("a much longer value"), []byte("b")},
			{"ToEmpty", []byte("x"), []byte{}},
			{"FromEmpty", []byte{}, []byte("y")},
			{"Same", []byte("z"), []byte("z")},
		}
		for _, tt := range tests {
			putMeta(t, m, tt.name, tt.first)
			putMeta(t, m, tt.name, tt.second)
			if d := diff(tt.second, getMeta(t, m, tt.name)); d != "" {
				t.Errorf("%s: Meta after overwrite (-want +got):\n%s", tt.name, d)
			}
		}
	}),
	metaCase("Delete", func(t *testing.T, _ syncer.Store, m syncer.MetaStore) {
		putMeta(t, m, "intent/1/1", []byte("a"))
		putMeta(t, m, "intent/1/2", []byte("b"))
		putMeta(t, m, "intent/1/1", nil)
		if v := getMeta(t, m, "intent/1/1"); v != nil {
			t.Errorf("Meta after delete = %q, want ErrNotFound", v)
		}
		if d := diff(map[string][]byte{"intent/1/2": []byte("b")}, metaByPrefix(t, m, "intent/")); d != "" {
			t.Errorf("MetaByPrefix after delete (-want +got):\n%s", d)
		}
		// Deleting a missing key, or one deleted before, is no error.
		putMeta(t, m, "intent/1/1", nil)
		putMeta(t, m, "never-stored", nil)
		// An empty value is a value, not a delete.
		putMeta(t, m, "intent/1/2", []byte{})
		if v := getMeta(t, m, "intent/1/2"); v == nil || len(v) != 0 {
			t.Errorf("Meta after storing an empty value = %#v, want found and empty", v)
		}
		// A deleted key can be stored again.
		putMeta(t, m, "intent/1/1", []byte("again"))
		if d := diff([]byte("again"), getMeta(t, m, "intent/1/1")); d != "" {
			t.Errorf("Meta after delete and put (-want +got):\n%s", d)
		}
	}),
	metaCase("Prefix", func(t *testing.T, _ syncer.Store, m syncer.MetaStore) {
		all := []string{
			"binding", "Binding", "intent/1/1", "intent/1/2", "intent/10/1", "intent2", "Intent/1/1",
			"mapping/cards", "mapping/contacts", "a_b", "axb", "a%c", "abc", `a\d`, "é/1", "e/1",
		}
		for _, k := range all {
			putMeta(t, m, k, []byte("v:"+k))
		}
		tests := []struct {
			prefix string
			want   []string
		}{
			{"", all},
			{"intent/1/", []string{"intent/1/1", "intent/1/2"}},
			{"intent/1", []string{"intent/1/1", "intent/1/2", "intent/10/1"}},
			{"intent", []string{"intent/1/1", "intent/1/2", "intent/10/1", "intent2"}},
			{"Intent", []string{"Intent/1/1"}},
			{"binding", []string{"binding"}},
			{"binding/", nil},
			{"mapping/", []string{"mapping/cards", "mapping/contacts"}},
			// Characters that are wildcards or escapes in SQL LIKE.
			{"a_", []string{"a_b"}},
			{"a%", []string{"a%c"}},
			{`a\`, []string{`a\d`}},
			{"a", []string{"a_b", "axb", "a%c", "abc", `a\d`}},
			{"é", []string{"é/1"}},
			{"nothing", nil},
		}
		for _, tt := range tests {
			want := make(map[string][]byte)
			for _, k := range tt.want {
				want[k] = []byte("v:" + k)
			}
			if d := diff(want, metaByPrefix(t, m, tt.prefix)); d != "" {
				t.Errorf("MetaByPrefix(%q) (-want +got):\n%s", tt.prefix, d)
			}
		}
	}),
	metaCase("ValuesNotAliased", func(t *testing.T, _ syncer.Store, m syncer.MetaStore) {
		in := []byte("original")
		putMeta(t, m, "k", in)
		copy(in, "CHANGED!")
		got := getMeta(t, m, "k")
		if d := diff([]byte("original"), got); d != "" {
			t.Fatalf("changing the input after PutMeta changed the stored value (-want +got):\n%s", d)
		}
		copy(got, "CHANGED!")
		byPrefix := metaByPrefix(t, m, "")
		if d := diff(map[string][]byte{"k": []byte("original")}, byPrefix); d != "" {
			t.Fatalf("changing what Meta returned changed the stored value (-want +got):\n%s", d)
		}
		copy(byPrefix["k"], "CHANGED!")
		byPrefix["other"] = []byte("added")
		if d := diff([]byte("original"), getMeta(t, m, "k")); d != "" {
			t.Errorf("changing what MetaByPrefix returned changed the stored value (-want +got):\n%s", d)
		}
		if v := getMeta(t, m, "other"); v != nil {
			t.Errorf("adding to the map MetaByPrefix returned stored %q", v)
		}
	}),
	metaCase("IndependentOfLinksAndCheckpoints", func(t *testing.T, s syncer.Store, m syncer.MetaStore) {
		put(t, s, simpleLink("binding", "binding@example.com", "binding"))
		if err := s.PutCheckpoint(t.Context(), "binding", fullCheckpoint()); err != nil {
			t.Fatalf("PutCheckpoint: %v", err)
		}
		if v := getMeta(t, m, "binding"); v != nil {
			t.Errorf("Meta(binding) = %q after storing a link and a checkpoint, want ErrNotFound", v)
		}
		putMeta(t, m, "cards", []byte("meta"))
		if _, err := s.Checkpoint(t.Context(), "cards"); !errors.Is(err, syncer.ErrNotFound) {
			t.Errorf("Checkpoint(cards) = %v after storing meta, want an error matching ErrNotFound", err)
		}
		putMeta(t, m, "binding", nil)
		if l := byPerson(t, s, "binding"); l == nil {
			t.Errorf("deleting meta key binding deleted the link of person binding")
		}
	}),
	metaCase("Concurrent", func(t *testing.T, _ syncer.Store, m syncer.MetaStore) {
		const (
			writers = 8
			rounds  = 20
		)
		key := func(g, r int) string { return fmt.Sprintf("w%d/%02d", g, r) }
		ctx := t.Context()
		var wg sync.WaitGroup
		for g := range writers {
			wg.Go(func() {
				for r := range rounds {
					if err := m.PutMeta(ctx, key(g, r), []byte(strconv.Itoa(r))); err != nil {
						t.Errorf("writer %d: PutMeta: %v", g, err)
						return
					}
					if err := m.PutMeta(ctx, fmt.Sprintf("last/%d", g), []byte(strconv.Itoa(r))); err != nil {
						t.Errorf("writer %d: PutMeta: %v", g, err)
						return
					}
					if r%2 == 1 { // delete every other key again
						if err := m.PutMeta(ctx, key(g, r-1), nil); err != nil {
							t.Errorf("writer %d: PutMeta(nil): %v", g, err)
							return
						}
					}
					if v, err := m.Meta(ctx, key(g, r)); err != nil || string(v) != strconv.Itoa(r) {
						t.Errorf("writer %d: Meta(%s) = (%q, %v) right after writing it", g, key(g, r), v, err)
					}
					other := fmt.Sprintf("w%d/", (g+1)%writers)
					got, err := m.MetaByPrefix(ctx, other)
					if err != nil {
						t.Errorf("writer %d: MetaByPrefix: %v", g, err)
						return
					}
					for k, v := range got {
						n, err := strconv.Atoi(strings.TrimPrefix(k, other))
						if !strings.HasPrefix(k, other) || err != nil || string(v) != strconv.Itoa(n) {
							t.Errorf("writer %d: MetaByPrefix(%s) returned %q: %q", g, other, k, v)
						}
					}
				}
			})
		}
		wg.Wait()
		if t.Failed() {
			return
		}
		want := make(map[string][]byte)
		for g := range writers {
			for r := 1; r < rounds; r += 2 {
				want[key(g, r)] = []byte(strconv.Itoa(r))
			}
			want[fmt.Sprintf("last/%d", g)] = []byte(strconv.Itoa(rounds - 1))
		}
		if d := diff(want, metaByPrefix(t, m, "")); d != "" {
			t.Errorf("after concurrent writes (-want +got):\n%s", d)
		}
	}),
	metaCase("Cancel", func(t *testing.T, _ syncer.Store, m syncer.MetaStore) {
		putMeta(t, m, "kept", []byte("before"))
		for _, c := range doneContexts(t) {
			calls := []struct {
				method string
				call   func(context.Context) error
			}{
				{"Meta", func(ctx context.Context) error { _, err := m.Meta(ctx, "kept"); return err }},
				{"MetaByPrefix", func(ctx context.Context) error { _, err := m.MetaByPrefix(ctx, ""); return err }},
				{"PutMeta", func(ctx context.Context) error { return m.PutMeta(ctx, "new", []byte("x")) }},
				{"PutMeta(delete)", func(ctx context.Context) error { return m.PutMeta(ctx, "kept", nil) }},
				{"PutMeta(overwrite)", func(ctx context.Context) error { return m.PutMeta(ctx, "kept", []byte("after")) }},
			}
			for _, call := range calls {
				if err := call.call(c.ctx); !errors.Is(err, c.want) {
					t.Errorf("%s with %s context = %v, want an error matching %v", call.method, c.name, err, c.want)
				}
			}
		}
		if v := getMeta(t, m, "new"); v != nil {
			t.Errorf("a PutMeta with a done context stored %q", v)
		}
		if v := getMeta(t, m, "kept"); !bytes.Equal(v, []byte("before")) {
			t.Errorf("Meta(kept) = %q after writes with a done context, want %q", v, "before")
		}
	}),
}
