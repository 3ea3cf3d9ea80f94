package storetest

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"testing"
	"time"

	gocmp "github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/cardbridge/sansanhubspot/syncer"
)

// Run checks that the stores made by newStore keep the [syncer.Store]
// contracts, and those of [syncer.MetaStore] and [syncer.LinkLister] when
// the stores implement them (the subtests of an interface a store lacks
// are skipped, with a message naming it). It runs one parallel subtest per
// behaviour and calls newStore once per subtest, so newStore must return a
// fresh, empty store each time; it should register any cleanup with
// t.Cleanup.
func Run(t *testing.T, newStore func(t *testing.T) syncer.Store) {
	t.Helper()
	groups := []struct {
		name  string
		cases []testCase
	}{
		{"NotFound", notFoundCases},
		{"RoundTrip", roundTripCases},
		{"Overwrite", overwriteCases},
		{"SharedEmail", sharedEmailCases},
		{"ContactMove", contactMoveCases},
		{"Copies", copyCases},
		{"Batch", batchCases},
		{"LinksToRetry", retryCases},
		{"Checkpoint", checkpointCases},
		{"Concurrency", concurrencyCases},
		{"Cancel", cancelCases},
		{"Meta", metaCases},
		{"ListLinks", listCases},
		{"CountLinks", countCases},
	}
	for _, g := range groups {
		t.Run(g.name, func(t *testing.T) {
			t.Parallel()
			for _, tc := range g.cases {
				t.Run(tc.name, func(t *testing.T) {
					t.Parallel()
					tc.run(t, newStore(t))
				})
			}
		})
	}
}

// testCase is one subtest of a group; it gets a fresh store.
type testCase struct {
	name string
	run  func(t *testing.T, s syncer.Store)
}

// cmpOpts compares links and checkpoints the way the contract promises:
// times as instants, nil and empty maps alike.
var cmpOpts = gocmp.Options{
	gocmp.Comparer(func(a, b time.Time) bool { return a.Equal(b) }),
	cmpopts.EquateEmpty(),
}

// diff returns a "(-want +got)" diff under cmpOpts.
func diff(want, got any) string {
	return gocmp.Diff(want, got, cmpOpts)
}

var (
	jst = time.FixedZone("JST", 9*60*60)
	// now carries a monotonic clock reading, which stores may drop.
	now = time.Now()
)

// fullLink returns a link with every field set to a value that is easy to
// get wrong: nanosecond times in several locations, a monotonic reading,
// non-ASCII text, an empty property value.
func fullLink(personID string) *syncer.Link {
	return &syncer.Link{
		PersonID:  personID,
		Account:   "営業部 account",
		CardID:    "card-" + personID,
		ContactID: "contact-" + personID,
		Email:     personID + "@example.co.jp",
		Rank: syncer.Rank{
			ExchangeDate: "2024-02-29",
			UpdatedTime:  time.Date(2024, 2, 29, 23, 59, 58, 123456789, jst),
			CardID:       "card-" + personID,
		},
		Values: map[string]string{
			"firstname": "太郎",
			"lastname":  "山田",
			"company":   "株式会社テスト \"quoted\" \\ back\tslash\nnewline 🎴",
			"phone":     "", // an empty value clears a property: it must survive
		},
		ValuesHash: 0xfedcba9876543210, // all 64 bits round-trip (not a float)
		Remote: map[string]string{
			"jobtitle": "部長",
			"mobile":   "",
		},
		RemoteAt:  time.Date(2025, 6, 30, 12, 0, 0, 1, time.UTC),
		State:     syncer.StateFailing,
		Reason:    "rate_limited",
		Message:   "429 Too Many Requests; retry later",
		Attempts:  3,
		NextRetry: time.Date(2031, 12, 31, 23, 59, 59, 999999999, time.UTC),
		Origin:    "sansan",
		UpdatedAt: now, // local zone with a monotonic clock reading
	}
}

// simpleLink returns a link with the fields the lookups use.
func simpleLink(personID, email, contactID string) *syncer.Link {
	return &syncer.Link{
		PersonID:  personID,
		Email:     email,
		ContactID: contactID,
		CardID:    "card-" + personID,
		State:     syncer.StateInSync,
		Values:    map[string]string{"email": email},
		UpdatedAt: time.Date(2025, 1, 2, 3, 4, 5, 6, time.UTC),
	}
}

func put(t testing.TB, s syncer.Store, links ...*syncer.Link) {
	t.Helper()
	if err := s.PutLinks(t.Context(), links); err != nil {
		t.Fatalf("PutLinks(%d links): %v", len(links), err)
	}
}

// byPerson returns the stored link of one person, or nil.
func byPerson(t testing.TB, s syncer.Store, personID string) *syncer.Link {
	t.Helper()
	got, err := s.LinksByPerson(t.Context(), []string{personID})
	if err != nil {
		t.Fatalf("LinksByPerson(%q): %v", personID, err)
	}
	if len(got) > 1 {
		t.Errorf("LinksByPerson(%q) returned %d links, want at most 1", personID, len(got))
	}
	l, ok := got[personID]
	if ok && l == nil {
		t.Errorf("LinksByPerson(%q) returned a nil link", personID)
	}
	return l
}

// byEmail returns the links of one email sorted by PersonID.
func byEmail(t testing.TB, s syncer.Store, email string) []*syncer.Link {
	t.Helper()
	got, err := s.LinksByEmail(t.Context(), []string{email})
	if err != nil {
		t.Fatalf("LinksByEmail(%q): %v", email, err)
	}
	if len(got) > 1 {
		t.Errorf("LinksByEmail(%q) returned %d keys, want at most 1", email, len(got))
	}
	ls, ok := got[email]
	if ok && len(ls) == 0 {
		t.Errorf("LinksByEmail(%q) returned the key with no links; want it absent", email)
	}
	return sortLinks(ls)
}

// byContact returns the link holding contactID, or nil when the store
// reports ErrNotFound.
// byContact reads the link holding contactID with LinkByContact, and
// checks that LinksByContact (alone and among other ids) agrees with it.
func byContact(t testing.TB, s syncer.Store, contactID string) *syncer.Link {
	t.Helper()
	l, err := s.LinkByContact(t.Context(), contactID)
	batch, berr := s.LinksByContact(t.Context(), []string{"no-such-contact", contactID, contactID})
	if berr != nil {
		t.Fatalf("LinksByContact(%q): %v", contactID, berr)
	}
	if _, ok := batch["no-such-contact"]; ok {
		t.Errorf("LinksByContact returned a link for an unknown contact id")
	}
	if errors.Is(err, syncer.ErrNotFound) {
		if got, ok := batch[contactID]; ok {
			t.Errorf("LinksByContact(%q) = %+v, LinkByContact found none", contactID, got)
		}
		return nil
	}
	if err == nil {
		if d := diff(l, batch[contactID]); d != "" {
			t.Errorf("LinksByContact(%q) disagrees with LinkByContact (-single +batch):\n%s", contactID, d)
		}
	}
	if err != nil {
		t.Fatalf("LinkByContact(%q): %v", contactID, err)
	}
	if l == nil {
		t.Fatalf("LinkByContact(%q) returned nil link and nil error", contactID)
	}
	return l
}

func sortLinks(ls []*syncer.Link) []*syncer.Link {
	slices.SortFunc(ls, func(a, b *syncer.Link) int { return cmp.Compare(a.PersonID, b.PersonID) })
	return ls
}

func personIDs(ls []*syncer.Link) []string {
	ids := make([]string, len(ls))
	for i, l := range ls {
		ids[i] = l.PersonID
	}
	return ids
}

// batch returns n simple links whose ids start with prefix.
func batch(prefix string, n int) []*syncer.Link {
	ls := make([]*syncer.Link, n)
	for i := range ls {
		id := fmt.Sprintf("%s-%03d", prefix, i)
		ls[i] = simpleLink(id, id+"@example.com", "c-"+id)
	}
	return ls
}

// cancelled returns a context that is already cancelled.
func cancelled(t testing.TB) context.Context {
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	return ctx
}

// keys returns the sorted keys of m.
func keys[V any](m map[string]V) []string {
	return slices.Sorted(maps.Keys(m))
}
