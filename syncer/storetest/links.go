package storetest

import (
	"errors"
	"fmt"
	"testing"

	"github.com/cardbridge/sansanhubspot/syncer"
)

var notFoundCases = []testCase{
	{"EmptyStore", func(t *testing.T, s syncer.Store) {
		ctx := t.Context()
		l, err := s.LinkByContact(ctx, "contact-1")
		if !errors.Is(err, syncer.ErrNotFound) {
			t.Errorf("LinkByContact on empty store: got (%v, %v), want an error matching ErrNotFound", l, err)
		}
		byP, err := s.LinksByPerson(ctx, []string{"p1", "p2"})
		if err != nil {
			t.Fatalf("LinksByPerson: %v", err)
		}
		if len(byP) != 0 {
			t.Errorf("LinksByPerson on empty store = %v, want no keys", byP)
		}
		byE, err := s.LinksByEmail(ctx, []string{"a@example.com"})
		if err != nil {
			t.Fatalf("LinksByEmail: %v", err)
		}
		if len(byE) != 0 {
			t.Errorf("LinksByEmail on empty store = %v, want no keys", byE)
		}
	}},
	{"UnknownKeysAbsent", func(t *testing.T, s syncer.Store) {
		put(t, s, simpleLink("p1", "a@example.com", "c1"))
		ctx := t.Context()
		byP, err := s.LinksByPerson(ctx, []string{"p1", "nobody", "P1", "p1 "})
		if err != nil {
			t.Fatalf("LinksByPerson: %v", err)
		}
		if d := diff(map[string]*syncer.Link{"p1": simpleLink("p1", "a@example.com", "c1")}, byP); d != "" {
			t.Errorf("LinksByPerson mismatch (-want +got):\n%s", d)
		}
		byE, err := s.LinksByEmail(ctx, []string{"a@example.com", "b@example.com", "A@example.com"})
		if err != nil {
			t.Fatalf("LinksByEmail: %v", err)
		}
		if d := diff([]string{"a@example.com"}, keys(byE)); d != "" {
			t.Errorf("LinksByEmail keys mismatch (-want +got):\n%s", d)
		}
		if l := byContact(t, s, "c2"); l != nil {
			t.Errorf("LinkByContact(c2) = %+v, want ErrNotFound", l)
		}
		if l := byContact(t, s, "C1"); l != nil {
			t.Errorf("LinkByContact(C1) = %+v, want ErrNotFound (ids are case-sensitive)", l)
		}
	}},
	{"EmptyKeysMatchNothing", func(t *testing.T, s syncer.Store) {
		// A link without email or contact must not be found by "".
		put(t, s, simpleLink("p1", "", ""), simpleLink("p2", "b@example.com", "c2"))
		if l := byContact(t, s, ""); l != nil {
			t.Errorf("LinkByContact(\"\") = %+v, want ErrNotFound", l)
		}
		byE, err := s.LinksByEmail(t.Context(), []string{""})
		if err != nil {
			t.Fatalf("LinksByEmail: %v", err)
		}
		if len(byE) != 0 {
			t.Errorf("LinksByEmail([\"\"]) = %v, want no keys", byE)
		}
		byP, err := s.LinksByPerson(t.Context(), []string{""})
		if err != nil {
			t.Fatalf("LinksByPerson: %v", err)
		}
		if len(byP) != 0 {
			t.Errorf("LinksByPerson([\"\"]) = %v, want no keys", byP)
		}
	}},
	{"NilAndEmptyQueries", func(t *testing.T, s syncer.Store) {
		put(t, s, simpleLink("p1", "a@example.com", "c1"))
		ctx := t.Context()
		for _, ids := range [][]string{nil, {}} {
			byP, err := s.LinksByPerson(ctx, ids)
			if err != nil || len(byP) != 0 {
				t.Errorf("LinksByPerson(%#v) = (%v, %v), want (no keys, nil)", ids, byP, err)
			}
			byE, err := s.LinksByEmail(ctx, ids)
			if err != nil || len(byE) != 0 {
				t.Errorf("LinksByEmail(%#v) = (%v, %v), want (no keys, nil)", ids, byE, err)
			}
		}
	}},
	{"DuplicateQueryKeys", func(t *testing.T, s syncer.Store) {
		put(t, s, simpleLink("p1", "a@example.com", "c1"), simpleLink("p2", "a@example.com", "c2"))
		ctx := t.Context()
		byP, err := s.LinksByPerson(ctx, []string{"p1", "p1", "p2", "p1"})
		if err != nil {
			t.Fatalf("LinksByPerson: %v", err)
		}
		if d := diff([]string{"p1", "p2"}, keys(byP)); d != "" {
			t.Errorf("LinksByPerson keys mismatch (-want +got):\n%s", d)
		}
		byE, err := s.LinksByEmail(ctx, []string{"a@example.com", "a@example.com"})
		if err != nil {
			t.Fatalf("LinksByEmail: %v", err)
		}
		if d := diff([]string{"p1", "p2"}, personIDs(sortLinks(byE["a@example.com"]))); d != "" {
			t.Errorf("LinksByEmail with a repeated email: persons mismatch (-want +got):\n%s", d)
		}
	}},
}

var roundTripCases = []testCase{
	{"EveryField", func(t *testing.T, s syncer.Store) {
		want := fullLink("p1")
		put(t, s, fullLink("p1"))
		if d := diff(want, byPerson(t, s, "p1")); d != "" {
			t.Errorf("LinksByPerson mismatch (-want +got):\n%s", d)
		}
		if d := diff([]*syncer.Link{want}, byEmail(t, s, want.Email)); d != "" {
			t.Errorf("LinksByEmail mismatch (-want +got):\n%s", d)
		}
		if d := diff(want, byContact(t, s, want.ContactID)); d != "" {
			t.Errorf("LinkByContact mismatch (-want +got):\n%s", d)
		}
	}},
	{"ZeroFields", func(t *testing.T, s syncer.Store) {
		// Only the key is set: zero times must stay zero, empty strings
		// empty.
		want := &syncer.Link{PersonID: "p-zero"}
		put(t, s, &syncer.Link{PersonID: "p-zero"})
		got := byPerson(t, s, "p-zero")
		if d := diff(want, got); d != "" {
			t.Errorf("LinksByPerson mismatch (-want +got):\n%s", d)
		}
		if got != nil && (!got.NextRetry.IsZero() || !got.UpdatedAt.IsZero() || !got.Rank.UpdatedTime.IsZero()) {
			t.Errorf("zero times came back non-zero: NextRetry=%v UpdatedAt=%v Rank.UpdatedTime=%v",
				got.NextRetry, got.UpdatedAt, got.Rank.UpdatedTime)
		}
	}},
	{"EachState", func(t *testing.T, s syncer.Store) {
		states := []syncer.LinkState{syncer.StateInSync, syncer.StateExcluded, syncer.StateFailing, "future_state"}
		var want []*syncer.Link
		for i, st := range states {
			l := simpleLink(fmt.Sprintf("p%d", i), "", "")
			l.State = st
			want = append(want, l)
		}
		put(t, s, cloneAll(want)...)
		for _, w := range want {
			if d := diff(w, byPerson(t, s, w.PersonID)); d != "" {
				t.Errorf("state %q mismatch (-want +got):\n%s", w.State, d)
			}
		}
	}},
}

var overwriteCases = []testCase{
	{"ReplacesWholeLink", func(t *testing.T, s syncer.Store) {
		put(t, s, fullLink("p1"))
		want := simpleLink("p1", "new@example.com", "c-new")
		want.Values = map[string]string{"only": "this"}
		want.Remote = map[string]string{"also": "this"}
		put(t, s, want.Clone())
		if d := diff(want, byPerson(t, s, "p1")); d != "" {
			t.Errorf("after overwrite (-want +got):\n%s", d)
		}
	}},
	{"ReindexesEmailAndContact", func(t *testing.T, s syncer.Store) {
		put(t, s, simpleLink("p1", "old@example.com", "c-old"))
		want := simpleLink("p1", "new@example.com", "c-new")
		put(t, s, want.Clone())
		if got := byEmail(t, s, "old@example.com"); len(got) != 0 {
			t.Errorf("LinksByEmail(old) = %v, want none after the email changed", personIDs(got))
		}
		if l := byContact(t, s, "c-old"); l != nil {
			t.Errorf("LinkByContact(c-old) = %+v, want ErrNotFound after the contact changed", l)
		}
		if d := diff([]*syncer.Link{want}, byEmail(t, s, "new@example.com")); d != "" {
			t.Errorf("LinksByEmail(new) (-want +got):\n%s", d)
		}
		if d := diff(want, byContact(t, s, "c-new")); d != "" {
			t.Errorf("LinkByContact(c-new) (-want +got):\n%s", d)
		}
	}},
	{"ClearsEmailAndContact", func(t *testing.T, s syncer.Store) {
		put(t, s, simpleLink("p1", "old@example.com", "c-old"))
		put(t, s, simpleLink("p1", "", ""))
		if got := byEmail(t, s, "old@example.com"); len(got) != 0 {
			t.Errorf("LinksByEmail(old) = %v, want none after the email was cleared", personIDs(got))
		}
		if l := byContact(t, s, "c-old"); l != nil {
			t.Errorf("LinkByContact(c-old) = %+v, want ErrNotFound after the contact was cleared", l)
		}
		if d := diff(simpleLink("p1", "", ""), byPerson(t, s, "p1")); d != "" {
			t.Errorf("LinksByPerson (-want +got):\n%s", d)
		}
	}},
	{"UnchangedKeysStayIndexed", func(t *testing.T, s syncer.Store) {
		put(t, s, simpleLink("p1", "a@example.com", "c1"))
		want := simpleLink("p1", "a@example.com", "c1")
		want.Message = "second write"
		put(t, s, want.Clone())
		if d := diff([]*syncer.Link{want}, byEmail(t, s, "a@example.com")); d != "" {
			t.Errorf("LinksByEmail (-want +got):\n%s", d)
		}
		if d := diff(want, byContact(t, s, "c1")); d != "" {
			t.Errorf("LinkByContact (-want +got):\n%s", d)
		}
	}},
	{"LastInBatchWins", func(t *testing.T, s syncer.Store) {
		first := simpleLink("p1", "first@example.com", "c-first")
		last := simpleLink("p1", "last@example.com", "c-last")
		put(t, s, first, last)
		if d := diff(last, byPerson(t, s, "p1")); d != "" {
			t.Errorf("LinksByPerson (-want +got):\n%s", d)
		}
		if got := byEmail(t, s, "first@example.com"); len(got) != 0 {
			t.Errorf("LinksByEmail(first) = %v, want none", personIDs(got))
		}
		if l := byContact(t, s, "c-first"); l != nil {
			t.Errorf("LinkByContact(c-first) = %+v, want ErrNotFound", l)
		}
	}},
}

var sharedEmailCases = []testCase{
	{"SeveralPersonsOneEmail", func(t *testing.T, s syncer.Store) {
		const email = "shared@example.com"
		a, b, c := simpleLink("pa", email, "ca"), simpleLink("pb", email, ""), simpleLink("pc", email, "cc")
		put(t, s, a.Clone(), b.Clone())
		put(t, s, c.Clone(), simpleLink("pd", "other@example.com", "cd"))
		if d := diff([]*syncer.Link{a, b, c}, byEmail(t, s, email)); d != "" {
			t.Errorf("LinksByEmail (-want +got):\n%s", d)
		}
		// Moving one person away leaves the others.
		b.Email = "b@example.com"
		put(t, s, b.Clone())
		if d := diff([]*syncer.Link{a, c}, byEmail(t, s, email)); d != "" {
			t.Errorf("after moving pb away, LinksByEmail (-want +got):\n%s", d)
		}
		got, err := s.LinksByEmail(t.Context(), []string{email, "b@example.com", "none@example.com"})
		if err != nil {
			t.Fatalf("LinksByEmail: %v", err)
		}
		if d := diff([]string{"b@example.com", email}, keys(got)); d != "" {
			t.Errorf("LinksByEmail keys (-want +got):\n%s", d)
		}
		if d := diff([]*syncer.Link{b}, got["b@example.com"]); d != "" {
			t.Errorf("LinksByEmail[b] (-want +got):\n%s", d)
		}
	}},
}

var contactMoveCases = []testCase{
	{"InOneBatch", func(t *testing.T, s syncer.Store) {
		put(t, s, simpleLink("pa", "a@example.com", "c1"))
		a, b := simpleLink("pa", "a@example.com", ""), simpleLink("pb", "b@example.com", "c1")
		put(t, s, a.Clone(), b.Clone())
		if d := diff(b, byContact(t, s, "c1")); d != "" {
			t.Errorf("LinkByContact(c1) (-want +got):\n%s", d)
		}
		if d := diff(a, byPerson(t, s, "pa")); d != "" {
			t.Errorf("LinksByPerson(pa) (-want +got):\n%s", d)
		}
	}},
	{"InTwoBatches", func(t *testing.T, s syncer.Store) {
		put(t, s, simpleLink("pa", "a@example.com", "c1"))
		b := simpleLink("pb", "b@example.com", "c1")
		put(t, s, b.Clone())
		a := simpleLink("pa", "a@example.com", "c2")
		put(t, s, a.Clone())
		if d := diff(b, byContact(t, s, "c1")); d != "" {
			t.Errorf("LinkByContact(c1) (-want +got):\n%s", d)
		}
		if d := diff(a, byContact(t, s, "c2")); d != "" {
			t.Errorf("LinkByContact(c2) (-want +got):\n%s", d)
		}
	}},
	{"LatestWriterWins", func(t *testing.T, s syncer.Store) {
		// While two links claim one contact (pa's link is stale), the one
		// written last is returned.
		put(t, s, simpleLink("pa", "a@example.com", "c1"))
		b := simpleLink("pb", "b@example.com", "c1")
		put(t, s, b.Clone())
		if d := diff(b, byContact(t, s, "c1")); d != "" {
			t.Errorf("LinkByContact(c1) after pb took it (-want +got):\n%s", d)
		}
		a := simpleLink("pa", "a@example.com", "c1")
		a.Message = "rewritten"
		put(t, s, a.Clone())
		if d := diff(a, byContact(t, s, "c1")); d != "" {
			t.Errorf("LinkByContact(c1) after pa was rewritten (-want +got):\n%s", d)
		}
	}},
	{"EarlierHolderRemains", func(t *testing.T, s syncer.Store) {
		// pb takes c1 over, then moves on to c2: pa still holds c1.
		a := simpleLink("pa", "a@example.com", "c1")
		put(t, s, a.Clone())
		put(t, s, simpleLink("pb", "b@example.com", "c1"))
		put(t, s, simpleLink("pb", "b@example.com", "c2"))
		if d := diff(a, byContact(t, s, "c1")); d != "" {
			t.Errorf("LinkByContact(c1) (-want +got):\n%s", d)
		}
	}},
}

var copyCases = []testCase{
	{"InputsAfterPut", func(t *testing.T, s syncer.Store) {
		in := []*syncer.Link{fullLink("p1"), fullLink("p2")}
		put(t, s, in...)
		in[0].Values["firstname"] = "changed"
		in[0].Values["added"] = "x"
		in[0].Email = "changed@example.com"
		in[0].ContactID = "changed"
		in[0].Attempts = 99
		clear(in[1].Values)
		in[1].Remote["jobtitle"] = "changed"
		in[1] = fullLink("p3")
		for _, id := range []string{"p1", "p2"} {
			if d := diff(fullLink(id), byPerson(t, s, id)); d != "" {
				t.Errorf("%s changed with its input (-want +got):\n%s", id, d)
			}
		}
		if got := byPerson(t, s, "p3"); got != nil {
			t.Errorf("p3 stored by replacing a slice element after PutLinks: %+v", got)
		}
	}},
	{"ReturnedLinks", func(t *testing.T, s syncer.Store) {
		put(t, s, fullLink("p1"))
		ctx := t.Context()
		mutate := func(l *syncer.Link) {
			l.Values["firstname"] = "changed"
			l.Values["added"] = "x"
			l.Email = "changed@example.com"
			l.State = syncer.StateExcluded
			l.Rank.CardID = "changed"
			l.Remote["mobile"] = "changed"
		}
		byP, err := s.LinksByPerson(ctx, []string{"p1"})
		if err != nil {
			t.Fatalf("LinksByPerson: %v", err)
		}
		mutate(byP["p1"])
		byE, err := s.LinksByEmail(ctx, []string{fullLink("p1").Email})
		if err != nil {
			t.Fatalf("LinksByEmail: %v", err)
		}
		for _, ls := range byE {
			for _, l := range ls {
				mutate(l)
			}
		}
		l, err := s.LinkByContact(ctx, fullLink("p1").ContactID)
		if err != nil {
			t.Fatalf("LinkByContact: %v", err)
		}
		mutate(l)
		want := fullLink("p1")
		if d := diff(want, byPerson(t, s, "p1")); d != "" {
			t.Errorf("stored link changed through a returned one (-want +got):\n%s", d)
		}
		if d := diff([]*syncer.Link{want}, byEmail(t, s, want.Email)); d != "" {
			t.Errorf("email index changed through a returned link (-want +got):\n%s", d)
		}
	}},
}

var batchCases = []testCase{
	{"Hundred", func(t *testing.T, s syncer.Store) {
		links := batch("p", 100)
		for i, l := range links {
			l.Attempts = i
			l.Values["i"] = fmt.Sprint(i)
		}
		put(t, s, cloneAll(links)...)
		ids := personIDs(links)
		got, err := s.LinksByPerson(t.Context(), ids)
		if err != nil {
			t.Fatalf("LinksByPerson: %v", err)
		}
		want := make(map[string]*syncer.Link, len(links))
		emails := make([]string, len(links))
		for i, l := range links {
			want[l.PersonID] = l
			emails[i] = l.Email
		}
		if d := diff(want, got); d != "" {
			t.Errorf("LinksByPerson (-want +got):\n%s", d)
		}
		byE, err := s.LinksByEmail(t.Context(), emails)
		if err != nil {
			t.Fatalf("LinksByEmail: %v", err)
		}
		wantE := make(map[string][]*syncer.Link, len(links))
		for _, l := range links {
			wantE[l.Email] = []*syncer.Link{l}
		}
		if d := diff(wantE, byE); d != "" {
			t.Errorf("LinksByEmail (-want +got):\n%s", d)
		}
		for _, i := range []int{0, 37, 99} {
			if d := diff(links[i], byContact(t, s, links[i].ContactID)); d != "" {
				t.Errorf("LinkByContact(%s) (-want +got):\n%s", links[i].ContactID, d)
			}
		}
	}},
	{"Empty", func(t *testing.T, s syncer.Store) {
		put(t, s, simpleLink("p1", "a@example.com", "c1"))
		for _, ls := range [][]*syncer.Link{nil, {}} {
			if err := s.PutLinks(t.Context(), ls); err != nil {
				t.Errorf("PutLinks(%#v) = %v, want nil", ls, err)
			}
		}
		got, err := s.LinksByPerson(t.Context(), []string{"p1", ""})
		if err != nil {
			t.Fatalf("LinksByPerson: %v", err)
		}
		if d := diff(map[string]*syncer.Link{"p1": simpleLink("p1", "a@example.com", "c1")}, got); d != "" {
			t.Errorf("after empty batches (-want +got):\n%s", d)
		}
	}},
}

func cloneAll(ls []*syncer.Link) []*syncer.Link {
	out := make([]*syncer.Link, len(ls))
	for i, l := range ls {
		out[i] = l.Clone()
	}
	return out
}
