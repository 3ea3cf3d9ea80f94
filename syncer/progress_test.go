package syncer_test

import (
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/cardbridge/sansanhubspot/sansan/sansantest"
	"github.com/cardbridge/sansanhubspot/syncer"
)

// TestProgressMatchesReport: the last Progress of every account and
// direction carries the counts of its AccountReport, counts never go back
// between calls, and the deprecated Written is still filled.
func TestProgressMatchesReport(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name        string
		dir         syncer.Direction
		dry         bool
		twoAccounts bool
		hubOnly     int
	}{
		{name: "sansan to hubspot, two accounts", twoAccounts: true},
		{name: "dry run", dry: true},
		{name: "two-way", dir: syncer.TwoWay, hubOnly: 4},
		{name: "hubspot to sansan", dir: syncer.HubSpotToSansan, hubOnly: 3},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, 300, 31)
			e.newContacts(tt.hubOnly, "progress")
			var mu sync.Mutex
			last := map[string]syncer.Progress{}
			calls := 0
			eng := e.engine(func(c *syncer.Config) {
				c.Direction, c.DryRun = tt.dir, tt.dry
				if tt.twoAccounts {
					c.Accounts = append(c.Accounts, syncer.Account{Name: "member", Client: e.sansanClient(member(t, e.users))})
				}
				c.Progress = func(p syncer.Progress) {
					mu.Lock()
					defer mu.Unlock()
					calls++
					key := p.Account + "/" + p.Direction.String()
					prev, seen := last[key]
					if seen && prev.Done {
						t.Errorf("%s: progress after Done: %+v", key, p)
					}
					if p.Read < prev.Read || p.Created < prev.Created || p.Updated < prev.Updated ||
						p.Unchanged < prev.Unchanged || p.Excluded < prev.Excluded || p.Failed < prev.Failed {
						t.Errorf("%s: counts went back from %+v to %+v", key, prev, p)
					}
					last[key] = p
				}
			})
			rep := e.syncOnce(eng)
			mu.Lock()
			defer mu.Unlock()
			if calls == 0 {
				t.Fatal("Progress was never called")
			}
			type counts struct {
				Read, Created, Updated, Unchanged, Excluded, Failed int
				Done                                                bool
			}
			want := map[string]counts{}
			for _, a := range rep.Accounts {
				want[a.Account+"/"+a.Direction.String()] = counts{a.Read, a.Created, a.Updated, a.Unchanged, a.Excluded, a.Failed, true}
			}
			got := map[string]counts{}
			for k, p := range last {
				got[k] = counts{p.Read, p.Created, p.Updated, p.Unchanged, p.Excluded, p.Failed, p.Done}
				// The deprecated field is still filled.
				if p.Written != p.Created+p.Updated {
					t.Errorf("%s: Written = %d, want Created+Updated = %d on an initial sync", k, p.Written, p.Created+p.Updated)
				}
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("last progress per account and direction (-report +progress):\n%s", diff)
			}
			if rep.Created == 0 {
				t.Errorf("the pass created nothing: %s", rep)
			}
		})
	}
}

// member returns a non-admin user who sees other users' cards.
func member(t *testing.T, users []sansantest.User) sansantest.User {
	t.Helper()
	for _, u := range users {
		if !u.Admin && len(u.CanSee) > 0 {
			return u
		}
	}
	t.Fatal("fixture has no member with shared visibility")
	return sansantest.User{}
}
