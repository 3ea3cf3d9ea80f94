package storetest

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/cardbridge/sansanhubspot/syncer"
)

// optionalCase is a testCase for stores that implement the optional
// interface I (syncer.LinkLister, syncer.MetaStore); the others skip it.
func optionalCase[I any](name string, run func(t *testing.T, s syncer.Store, x I)) testCase {
	return testCase{name, func(t *testing.T, s syncer.Store) {
		x, ok := any(s).(I)
		if !ok {
			t.Skipf("%T does not implement %T", s, (*I)(nil))
		}
		run(t, s, x)
	}}
}

// listCase is a testCase for stores that implement syncer.LinkLister.
func listCase(name string, run func(t *testing.T, s syncer.Store, l syncer.LinkLister)) testCase {
	return optionalCase(name, run)
}

func listLinks(t testing.TB, l syncer.LinkLister, q syncer.LinkQuery) []*syncer.Link {
	t.Helper()
	got, err := l.ListLinks(t.Context(), q)
	if err != nil {
		t.Fatalf("ListLinks(%+v): %v", q, err)
	}
	for i, g := range got {
		if g == nil {
			t.Fatalf("ListLinks(%+v) returned a nil link at %d", q, i)
		}
		if i > 0 && got[i-1].PersonID >= g.PersonID {
			t.Errorf("ListLinks(%+v): %q before %q, want strictly increasing PersonIDs (byte order)",
				q, got[i-1].PersonID, g.PersonID)
		}
	}
	return got
}

func countLinks(t testing.TB, l syncer.LinkLister) []syncer.LinkCount {
	t.Helper()
	got, err := l.CountLinks(t.Context())
	if err != nil {
		t.Fatalf("CountLinks: %v", err)
	}
	return got
}

// listFixture returns links across accounts, states and reasons whose
// PersonIDs sort differently in byte order than in most collations.
func listFixture() []*syncer.Link {
	mk := func(id, account string, state syncer.LinkState, reason string) *syncer.Link {
		l := simpleLink(id, id+"@example.com", "c-"+id)
		l.Account, l.State, l.Reason = account, state, reason
		if state == syncer.StateFailing {
			l.Attempts, l.NextRetry = 2, time.Date(2025, 7, 1, 0, 0, 0, 0, time.UTC)
		}
		return l
	}
	return []*syncer.Link{
		mk("p-01", "tokyo", syncer.StateInSync, ""),
		mk("p-02", "tokyo", syncer.StateFailing, "rate_limited"),
		mk("p-03", "tokyo", "future_state", "x"),
		mk("p-04", "Tokyo", syncer.StateExcluded, "opted_out"),
		mk("p-05", "tokyo", syncer.StateInSync, ""),
		mk("p-10", "osaka", syncer.StateExcluded, "no_email"),
		mk("p-9", "tokyo", syncer.StateExcluded, "no_email"),
		mk("P-upper", "osaka", syncer.StateFailing, "server_error"),
		mk("p-z", "osaka", syncer.StateFailing, "rate_limited"),
		mk("p-ä", "大阪", syncer.StateInSync, ""),
		mk("q", "", syncer.StateInSync, ""),
	}
}

// putListFixture stores listFixture in three batches and returns its links
// by PersonID.
func putListFixture(t *testing.T, s syncer.Store) map[string]*syncer.Link {
	t.Helper()
	ls := listFixture()
	put(t, s, cloneAll(ls[7:])...)
	put(t, s, cloneAll(ls[:3])...)
	put(t, s, cloneAll(ls[3:7])...)
	out := make(map[string]*syncer.Link, len(ls))
	for _, l := range ls {
		out[l.PersonID] = l
	}
	return out
}

func pick(m map[string]*syncer.Link, ids ...string) []*syncer.Link {
	out := make([]*syncer.Link, len(ids))
	for i, id := range ids {
		out[i] = m[id]
	}
	return out
}

var listCases = []testCase{
	listCase("EmptyStore", func(t *testing.T, _ syncer.Store, l syncer.LinkLister) {
		if got := listLinks(t, l, syncer.LinkQuery{}); len(got) != 0 {
			t.Errorf("ListLinks on an empty store = %v, want none", personIDs(got))
		}
		if got := countLinks(t, l); len(got) != 0 {
			t.Errorf("CountLinks on an empty store = %v, want no rows", got)
		}
	}),
	listCase("Filters", func(t *testing.T, s syncer.Store, l syncer.LinkLister) {
		fx := putListFixture(t, s)
		failing, excluded := syncer.StateFailing, syncer.StateExcluded
		tests := []struct {
			name string
			q    syncer.LinkQuery
			want []string
		}{
			{"All", syncer.LinkQuery{},
				[]string{"P-upper", "p-01", "p-02", "p-03", "p-04", "p-05", "p-10", "p-9", "p-z", "p-ä", "q"}},
			{"OneState", syncer.LinkQuery{States: []syncer.LinkState{failing}}, []string{"P-upper", "p-02", "p-z"}},
			{"TwoStates", syncer.LinkQuery{States: []syncer.LinkState{failing, excluded}},
				[]string{"P-upper", "p-02", "p-04", "p-10", "p-9", "p-z"}},
			{"RepeatedState", syncer.LinkQuery{States: []syncer.LinkState{failing, failing}}, []string{"P-upper", "p-02", "p-z"}},
			{"UnknownState", syncer.LinkQuery{States: []syncer.LinkState{"future_state"}}, []string{"p-03"}},
			{"StateWithoutLinks", syncer.LinkQuery{States: []syncer.LinkState{"nope"}}, nil},
			{"Account", syncer.LinkQuery{Account: "tokyo"}, []string{"p-01", "p-02", "p-03", "p-05", "p-9"}},
			{"AccountCaseSensitive", syncer.LinkQuery{Account: "Tokyo"}, []string{"p-04"}},
			{"NonASCIIAccount", syncer.LinkQuery{Account: "大阪"}, []string{"p-ä"}},
			{"UnknownAccount", syncer.LinkQuery{Account: "nagoya"}, nil},
			{"Reason", syncer.LinkQuery{Reason: "no_email"}, []string{"p-10", "p-9"}},
			{"StateAndReason", syncer.LinkQuery{States: []syncer.LinkState{failing}, Reason: "rate_limited"}, []string{"p-02", "p-z"}},
			{"AccountStateReason", syncer.LinkQuery{Account: "osaka", States: []syncer.LinkState{failing}, Reason: "rate_limited"},
				[]string{"p-z"}},
			{"After", syncer.LinkQuery{After: "p-04"}, []string{"p-05", "p-10", "p-9", "p-z", "p-ä", "q"}},
			{"AfterUnstoredID", syncer.LinkQuery{After: "p-06"}, []string{"p-10", "p-9", "p-z", "p-ä", "q"}},
			{"AfterLast", syncer.LinkQuery{After: "q"}, nil},
			{"AfterBeforeFirst", syncer.LinkQuery{After: "A", Limit: 2}, []string{"P-upper", "p-01"}},
			{"AfterWithFilter", syncer.LinkQuery{States: []syncer.LinkState{failing}, After: "P-upper"}, []string{"p-02", "p-z"}},
			{"Limit", syncer.LinkQuery{Limit: 3}, []string{"P-upper", "p-01", "p-02"}},
			{"LimitAfterFilter", syncer.LinkQuery{Account: "tokyo", After: "p-01", Limit: 2}, []string{"p-02", "p-03"}},
		}
		for _, tt := range tests {
			if d := diff(pick(fx, tt.want...), listLinks(t, l, tt.q)); d != "" {
				t.Errorf("%s: ListLinks(%+v) (-want +got):\n%s", tt.name, tt.q, d)
			}
		}
	}),
	listCase("EveryField", func(t *testing.T, s syncer.Store, l syncer.LinkLister) {
		want := fullLink("p1")
		put(t, s, fullLink("p1"))
		if d := diff([]*syncer.Link{want}, listLinks(t, l, syncer.LinkQuery{Account: want.Account})); d != "" {
			t.Errorf("ListLinks (-want +got):\n%s", d)
		}
	}),
	listCase("Paging", func(t *testing.T, s syncer.Store, l syncer.LinkLister) {
		var all, failing []*syncer.Link
		for i := range 25 {
			ln := simpleLink(fmt.Sprintf("page-%03d", i), "", "")
			if i%3 == 0 {
				ln.State, ln.Reason = syncer.StateFailing, "server_error"
				failing = append(failing, ln)
			}
			all = append(all, ln)
		}
		// Stored in reverse, in batches unrelated to pages.
		for i := len(all); i > 0; i -= 7 {
			put(t, s, cloneAll(all[max(0, i-7):i])...)
		}
		tests := []struct {
			name  string
			q     syncer.LinkQuery
			want  []*syncer.Link
			pages []int
		}{
			{"All", syncer.LinkQuery{Limit: 10}, all, []int{10, 10, 5}},
			{"Filtered", syncer.LinkQuery{Limit: 4, States: []syncer.LinkState{syncer.StateFailing}}, failing, []int{4, 4, 1}},
			{"ExactPages", syncer.LinkQuery{Limit: 5}, all, []int{5, 5, 5, 5, 5}},
		}
		for _, tt := range tests {
			var got []*syncer.Link
			var sizes []int
			q := tt.q
			for len(sizes) <= len(tt.pages) {
				page := listLinks(t, l, q)
				if len(page) == 0 {
					break
				}
				sizes = append(sizes, len(page))
				got = append(got, page...)
				q.After = page[len(page)-1].PersonID
			}
			if d := diff(tt.want, got); d != "" {
				t.Errorf("%s: links of all pages (-want +got):\n%s", tt.name, d)
			}
			if d := diff(tt.pages, sizes); d != "" {
				t.Errorf("%s: page sizes (-want +got):\n%s", tt.name, d)
			}
		}
	}),
	listCase("LimitDefaultAndCap", func(t *testing.T, s syncer.Store, l syncer.LinkLister) {
		const n = syncer.MaxLinkQueryLimit + 5
		ids := make([]string, n)
		links := make([]*syncer.Link, n)
		for i := range links {
			ids[i] = fmt.Sprintf("p%05d", i)
			links[i] = &syncer.Link{PersonID: ids[i], State: syncer.StateInSync}
		}
		put(t, s, links...)
		tests := []struct {
			name  string
			limit int
			want  int
		}{
			{"Zero", 0, syncer.DefaultLinkQueryLimit},
			{"Negative", -1, syncer.DefaultLinkQueryLimit},
			{"One", 1, 1},
			{"Max", syncer.MaxLinkQueryLimit, syncer.MaxLinkQueryLimit},
			{"AboveMax", syncer.MaxLinkQueryLimit + 1, syncer.MaxLinkQueryLimit},
			{"Huge", 1 << 30, syncer.MaxLinkQueryLimit},
		}
		for _, tt := range tests {
			got := listLinks(t, l, syncer.LinkQuery{Limit: tt.limit})
			if d := diff(ids[:tt.want], personIDs(got)); d != "" {
				t.Errorf("%s: ListLinks(Limit: %d) persons (-want +got):\n%s", tt.name, tt.limit, d)
			}
		}
		rest := listLinks(t, l, syncer.LinkQuery{Limit: 1 << 30, After: ids[syncer.MaxLinkQueryLimit-1]})
		if d := diff(ids[syncer.MaxLinkQueryLimit:], personIDs(rest)); d != "" {
			t.Errorf("second page (-want +got):\n%s", d)
		}
	}),
	listCase("Copies", func(t *testing.T, s syncer.Store, l syncer.LinkLister) {
		want := fullLink("p1")
		in := fullLink("p1")
		put(t, s, in)
		in.Values["firstname"], in.State = "changed", syncer.StateInSync
		got := listLinks(t, l, syncer.LinkQuery{})
		if len(got) != 1 {
			t.Fatalf("ListLinks returned %d links, want 1", len(got))
		}
		got[0].Values["firstname"], got[0].Remote["jobtitle"], got[0].Reason = "changed", "changed", "changed"
		if d := diff([]*syncer.Link{want}, listLinks(t, l, syncer.LinkQuery{})); d != "" {
			t.Errorf("after changing the input and the returned link (-want +got):\n%s", d)
		}
	}),
	listCase("FollowsRewrites", func(t *testing.T, s syncer.Store, l syncer.LinkLister) {
		fx := putListFixture(t, s)
		p02, pz := fx["p-02"].Clone(), fx["p-z"].Clone()
		p02.State, p02.Reason = syncer.StateInSync, ""
		pz.Account, pz.Reason = "tokyo", "server_error"
		put(t, s, p02.Clone(), pz.Clone())
		fx["p-02"], fx["p-z"] = p02, pz
		tests := []struct {
			q    syncer.LinkQuery
			want []string
		}{
			{syncer.LinkQuery{States: []syncer.LinkState{syncer.StateFailing}}, []string{"P-upper", "p-z"}},
			{syncer.LinkQuery{Reason: "rate_limited"}, nil},
			{syncer.LinkQuery{Reason: "server_error"}, []string{"P-upper", "p-z"}},
			{syncer.LinkQuery{Account: "osaka"}, []string{"P-upper", "p-10"}},
			{syncer.LinkQuery{Account: "tokyo", States: []syncer.LinkState{syncer.StateInSync}}, []string{"p-01", "p-02", "p-05"}},
		}
		for _, tt := range tests {
			if d := diff(pick(fx, tt.want...), listLinks(t, l, tt.q)); d != "" {
				t.Errorf("ListLinks(%+v) after rewrites (-want +got):\n%s", tt.q, d)
			}
		}
	}),
	listCase("Cancel", func(t *testing.T, s syncer.Store, l syncer.LinkLister) {
		put(t, s, simpleLink("p1", "a@example.com", "c1"))
		past, cancel := context.WithDeadline(t.Context(), time.Now().Add(-time.Second))
		defer cancel()
		for _, c := range []struct {
			name string
			ctx  context.Context
			want error
		}{
			{"Canceled", cancelled(t), context.Canceled},
			{"DeadlineExceeded", past, context.DeadlineExceeded},
		} {
			if _, err := l.ListLinks(c.ctx, syncer.LinkQuery{}); !errors.Is(err, c.want) {
				t.Errorf("ListLinks with %s context = %v, want an error matching %v", c.name, err, c.want)
			}
			if _, err := l.CountLinks(c.ctx); !errors.Is(err, c.want) {
				t.Errorf("CountLinks with %s context = %v, want an error matching %v", c.name, err, c.want)
			}
		}
	}),
	listCase("Concurrent", func(t *testing.T, s syncer.Store, l syncer.LinkLister) {
		// Writers move a fixed set of persons between states while readers
		// page through them and count them: with no person added or
		// removed, every full paging sees each person exactly once and
		// every count adds up to the total.
		const (
			persons = 60
			writers = 3
			rounds  = 15
		)
		states := []syncer.LinkState{syncer.StateInSync, syncer.StateExcluded, syncer.StateFailing}
		mk := func(i, round int) *syncer.Link {
			ln := simpleLink(fmt.Sprintf("p%02d", i), "", "")
			ln.State = states[(i+round)%len(states)]
			ln.Reason = map[syncer.LinkState]string{syncer.StateExcluded: "no_email", syncer.StateFailing: "server_error"}[ln.State]
			ln.Message = fmt.Sprintf("round %d", round)
			return ln
		}
		all := make([]*syncer.Link, persons)
		for i := range all {
			all[i] = mk(i, 0)
		}
		put(t, s, all...)
		ctx, stop := context.WithCancel(t.Context())
		var readers sync.WaitGroup
		for r := range 2 {
			readers.Go(func() {
				for ctx.Err() == nil {
					seen := 0
					q := syncer.LinkQuery{Limit: 7 + r}
					for {
						page, err := l.ListLinks(ctx, q)
						if err != nil {
							if ctx.Err() == nil {
								t.Errorf("reader %d: ListLinks: %v", r, err)
							}
							return
						}
						if len(page) == 0 {
							break
						}
						for _, ln := range page {
							if ln.PersonID <= q.After || (ln.State == syncer.StateInSync) != (ln.Reason == "") {
								t.Errorf("reader %d: ListLinks(After: %q) returned %+v", r, q.After, ln)
								return
							}
							q.After = ln.PersonID
						}
						seen += len(page)
					}
					if seen != persons {
						t.Errorf("reader %d: paging saw %d links, want %d", r, seen, persons)
						return
					}
					counts, err := l.CountLinks(ctx)
					if err != nil {
						if ctx.Err() == nil {
							t.Errorf("reader %d: CountLinks: %v", r, err)
						}
						return
					}
					total := 0
					for _, c := range counts {
						total += c.N
					}
					if total != persons {
						t.Errorf("reader %d: CountLinks adds up to %d, want %d: %v", r, total, persons, counts)
						return
					}
					runtime.Gosched()
				}
			})
		}
		var writersWG sync.WaitGroup
		for g := range writers {
			writersWG.Go(func() {
				for round := 1; round <= rounds; round++ {
					var batch []*syncer.Link
					for i := g; i < persons; i += writers {
						batch = append(batch, mk(i, round))
					}
					if err := s.PutLinks(t.Context(), batch); err != nil {
						t.Errorf("writer %d: PutLinks: %v", g, err)
						return
					}
				}
			})
		}
		writersWG.Wait()
		stop()
		readers.Wait()
		want := make(map[syncer.LinkState]int)
		for i := range persons {
			want[mk(i, rounds).State]++
		}
		got := make(map[syncer.LinkState]int)
		for _, c := range countLinks(t, l) {
			got[c.State] += c.N
		}
		if d := diff(want, got); d != "" {
			t.Errorf("links per state after the writes (-want +got):\n%s", d)
		}
		final := listLinks(t, l, syncer.LinkQuery{Limit: persons})
		wantLinks := make([]*syncer.Link, persons)
		for i := range wantLinks {
			wantLinks[i] = mk(i, rounds)
		}
		if d := diff(wantLinks, final); d != "" {
			t.Errorf("links after the writes (-want +got):\n%s", d)
		}
	}),
}

var countCases = []testCase{
	listCase("ByAccountStateReason", func(t *testing.T, s syncer.Store, l syncer.LinkLister) {
		putListFixture(t, s)
		// Ordered by account, state and reason, in byte order.
		want := []syncer.LinkCount{
			{Account: "", State: syncer.StateInSync, Reason: "", N: 1},
			{Account: "Tokyo", State: syncer.StateExcluded, Reason: "opted_out", N: 1},
			{Account: "osaka", State: syncer.StateExcluded, Reason: "no_email", N: 1},
			{Account: "osaka", State: syncer.StateFailing, Reason: "rate_limited", N: 1},
			{Account: "osaka", State: syncer.StateFailing, Reason: "server_error", N: 1},
			{Account: "tokyo", State: syncer.StateExcluded, Reason: "no_email", N: 1},
			{Account: "tokyo", State: syncer.StateFailing, Reason: "rate_limited", N: 1},
			{Account: "tokyo", State: "future_state", Reason: "x", N: 1},
			{Account: "tokyo", State: syncer.StateInSync, Reason: "", N: 2},
			{Account: "大阪", State: syncer.StateInSync, Reason: "", N: 1},
		}
		if d := diff(want, countLinks(t, l)); d != "" {
			t.Errorf("CountLinks (-want +got):\n%s", d)
		}
	}),
	listCase("FollowsRewrites", func(t *testing.T, s syncer.Store, l syncer.LinkLister) {
		var links []*syncer.Link
		for i := range 5 {
			ln := simpleLink(fmt.Sprintf("p%d", i), "", "")
			ln.Account, ln.State, ln.Reason = "tokyo", syncer.StateFailing, "server_error"
			links = append(links, ln)
		}
		put(t, s, cloneAll(links)...)
		links[0].State, links[0].Reason = syncer.StateInSync, ""
		links[1].Reason = "rate_limited"
		links[2].Account = "osaka"
		put(t, s, cloneAll(links[:3])...)
		put(t, s, cloneAll(links[1:2])...) // rewriting without a change counts once
		want := []syncer.LinkCount{
			{Account: "osaka", State: syncer.StateFailing, Reason: "server_error", N: 1},
			{Account: "tokyo", State: syncer.StateFailing, Reason: "rate_limited", N: 1},
			{Account: "tokyo", State: syncer.StateFailing, Reason: "server_error", N: 2},
			{Account: "tokyo", State: syncer.StateInSync, Reason: "", N: 1},
		}
		if d := diff(want, countLinks(t, l)); d != "" {
			t.Errorf("CountLinks after rewrites (-want +got):\n%s", d)
		}
	}),
	listCase("AgreesWithListLinks", func(t *testing.T, s syncer.Store, l syncer.LinkLister) {
		putListFixture(t, s)
		for _, c := range countLinks(t, l) {
			q := syncer.LinkQuery{Account: c.Account, States: []syncer.LinkState{c.State}, Reason: c.Reason}
			got := listLinks(t, l, q)
			if c.Reason == "" || c.Account == "" {
				// "" filters nothing: keep the links of this row only.
				kept := got[:0]
				for _, ln := range got {
					if ln.Account == c.Account && ln.Reason == c.Reason {
						kept = append(kept, ln)
					}
				}
				got = kept
			}
			if len(got) != c.N {
				t.Errorf("CountLinks row %+v, but ListLinks(%+v) finds %d such links", c, q, len(got))
			}
		}
	}),
}
