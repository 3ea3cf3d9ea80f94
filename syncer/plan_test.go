package syncer

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cardbridge/sansanhubspot/mapping"
	"github.com/cardbridge/sansanhubspot/sansan"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// The planner's tests state cards, stored links and queued records, and
// compare the decisions in a compact text form. They need no network,
// store or clock and run in milliseconds.

var planNow = time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)

func testMapping(t *testing.T) *mapping.Set {
	t.Helper()
	m, err := mapping.New(
		mapping.Mapping{Property: "email", Source: "email", Direction: mapping.Both},
		mapping.Mapping{Property: "lastname", Source: "lastName", Direction: mapping.Both},
		mapping.Mapping{Property: "jobtitle", Source: "title", Direction: mapping.Both},
		mapping.Mapping{Property: "mobilephone", Source: "mobile", Direction: mapping.Both, Winner: mapping.WinnerHubSpot},
		mapping.Mapping{Property: "department", Source: "departmentName", Blanks: mapping.BlanksNeverClear},
	)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// pc builds a card: "title=x,mobile=y,last=z,dept=d", exchange date exch
// ("" for none) and an update time minute.
func pc(id, person, email, exch string, minute int, fields string, tags ...string) *sansan.BizCard {
	c := &sansan.BizCard{ID: id, PersonID: person, UpdatedTime: planNow.Add(-time.Hour + time.Duration(minute)*time.Minute),
		EntryStatus: sansan.EntryStatusCompleted}
	if email != "" {
		c.Email = &email
	}
	if exch != "" {
		d, err := sansan.ParseDate(exch)
		if err != nil {
			panic(err)
		}
		c.ExchangeDate = &d
	}
	for kv := range strings.SplitSeq(fields, ",") {
		k, v, _ := strings.Cut(kv, "=")
		switch k {
		case "title":
			c.Title = &v
		case "mobile":
			c.Mobile = &v
		case "last":
			c.LastName = &v
		case "dept":
			c.DepartmentName = &v
		}
	}
	for _, tg := range tags {
		c.Tags = append(c.Tags, sansan.Tag{ID: tg, Type: sansan.TagTypePublic})
	}
	return c
}

// pl builds a stored link in sync, holding contact (may be "") with values.
func pl(person, card, email, contact, exch string, minute int, values map[string]string) *Link {
	r := Rank{UpdatedTime: planNow.Add(-time.Hour + time.Duration(minute)*time.Minute).UTC(), CardID: card, ExchangeDate: exch}
	l := &Link{PersonID: person, Account: "a", CardID: card, Email: email, ContactID: contact, Rank: r,
		State: StateInSync, Origin: OriginSansan}
	l.setValues(values)
	return l
}

type fakePending struct{ persons, emails map[string]*record }

func (f fakePending) pendingPerson(id string) *record { return f.persons[id] }
func (f fakePending) pendingEmail(e string) *record   { return f.emails[e] }

// queued makes a record as an earlier page of the pass would have queued it.
func queued(t *testing.T, pln *planner, c *sansan.BizCard, old *Link, op writeOp) *record {
	t.Helper()
	r := &record{card: c, old: old, rank: rankOf(c), page: 0, res: pln.mapping.CardToProperties(c)}
	r.values, r.email, r.op = r.res.Properties, r.res.Email.Normalized, op
	r.link = pln.baseLink(&Account{Name: "a"}, r)
	return r
}

// summary is a plan in text form, sorted, for cmp.Diff.
type summary struct {
	Writes  []string
	Save    []string
	Drop    []string
	Vacated []string
	Tally   []string
}

func summarize(pp *pagePlan) summary {
	var s summary
	kv := func(m map[string]string) string {
		var parts []string
		for _, k := range slices.Sorted(maps.Keys(m)) {
			parts = append(parts, k+"="+m[k])
		}
		return strings.Join(parts, ",")
	}
	for _, r := range pp.writes {
		op := map[writeOp]string{opUpdate: "update", opUpsert: "upsert", opCreate: "create"}[r.op]
		w := fmt.Sprintf("%s %s contact=%s send{%s}", op, r.card.PersonID, r.link.ContactID, kv(r.send))
		if len(r.clears) > 0 {
			w += " clear" + fmt.Sprint(r.clears)
		}
		for _, d := range r.demote {
			w += fmt.Sprintf(" demote[%s %s/%s contact=%s]", d.PersonID, d.State, d.Reason, d.ContactID)
		}
		s.Writes = append(s.Writes, w)
	}
	for _, l := range pp.save {
		s.Save = append(s.Save, fmt.Sprintf("%s %s/%s contact=%s values{%s}", l.PersonID, l.State, l.Reason, l.ContactID, kv(l.Values)))
	}
	for _, r := range pp.drop {
		s.Drop = append(s.Drop, r.card.PersonID)
	}
	s.Vacated = append(s.Vacated, pp.vacated...)
	counts := map[string]int{}
	names := map[outcome]string{outCreated: "created", outUpdated: "updated", outUnchanged: "unchanged", outExcluded: "excluded", outFailed: "failed"}
	for _, tl := range pp.tally {
		counts[strings.TrimSuffix(names[tl.out]+" "+tl.detail, " ")]++
	}
	for _, k := range slices.Sorted(maps.Keys(counts)) {
		s.Tally = append(s.Tally, fmt.Sprintf("%s %d", k, counts[k]))
	}
	slices.Sort(s.Writes)
	slices.Sort(s.Save)
	slices.Sort(s.Drop)
	slices.Sort(s.Vacated)
	return s
}

func TestPlanner(t *testing.T) {
	t.Parallel()
	m := testMapping(t)
	type input struct {
		cards   []*sansan.BizCard
		stored  []*Link
		pending func(pln *planner) []*record
		tags    []string
		cfg     func(*Config)
	}
	own := map[string]string{"email": "a@x.co.jp", "lastname": "L", "jobtitle": "T", "mobilephone": "090", "department": "D"}
	tests := []struct {
		name string
		in   input
		want summary
	}{
		{
			name: "new card: upsert of every non-blank value",
			in:   input{cards: []*sansan.BizCard{pc("C1", "P1", "a@x.co.jp", "", 1, "last=L,title=T")}},
			want: summary{Writes: []string{"upsert P1 contact= send{email=a@x.co.jp,jobtitle=T,lastname=L}"}},
		},
		{
			name: "unchanged card: no write, no store write",
			in: input{cards: []*sansan.BizCard{pc("C1", "P1", "a@x.co.jp", "", 1, "last=L,title=T,mobile=090,dept=D")},
				stored: []*Link{pl("P1", "C1", "a@x.co.jp", "H1", "", 1, own)}},
			want: summary{Tally: []string{"unchanged 1"}},
		},
		{
			name: "a link from an older store, without a values hash, is saved once with it",
			in: input{cards: []*sansan.BizCard{pc("C1", "P1", "a@x.co.jp", "", 1, "last=L,title=T,mobile=090,dept=D")},
				stored: []*Link{func() *Link { l := pl("P1", "C1", "a@x.co.jp", "H1", "", 1, own); l.ValuesHash = 0; return l }()}},
			want: summary{Tally: []string{"unchanged 1"}, Save: []string{"P1 in_sync/ contact=H1 values{department=D,email=a@x.co.jp,jobtitle=T,lastname=L,mobilephone=090}"}},
		},
		{
			name: "changed field: update of that field only",
			in: input{cards: []*sansan.BizCard{pc("C1", "P1", "a@x.co.jp", "", 2, "last=L,title=T2,mobile=090,dept=D")},
				stored: []*Link{pl("P1", "C1", "a@x.co.jp", "H1", "", 1, own)}},
			want: summary{Writes: []string{"update P1 contact=H1 send{jobtitle=T2}"}},
		},
		{
			name: "blank over the sync's own value: conditional clear; never-clear field left",
			in: input{cards: []*sansan.BizCard{pc("C1", "P1", "a@x.co.jp", "", 2, "last=L")},
				stored: []*Link{pl("P1", "C1", "a@x.co.jp", "H1", "", 1, own)}},
			want: summary{Writes: []string{"update P1 contact=H1 send{} clear[jobtitle mobilephone]"}},
		},
		{
			name: "two-way: a field HubSpot changed is never cleared, and HubSpot's winner keeps its value",
			in: input{cards: []*sansan.BizCard{pc("C1", "P1", "a@x.co.jp", "", 2, "last=L,mobile=091")},
				stored: []*Link{func() *Link {
					l := pl("P1", "C1", "a@x.co.jp", "H1", "", 1, own)
					l.Remote = map[string]string{"jobtitle": "typed", "mobilephone": "080"}
					l.RemoteAt = planNow
					return l
				}()}},
			want: summary{Tally: []string{"unchanged 1"}, Save: []string{"P1 in_sync/ contact=H1 values{email=a@x.co.jp,lastname=L,mobilephone=091}"}},
		},
		{
			name: "same email on one page: newest exchange date wins, loser excluded",
			in: input{cards: []*sansan.BizCard{
				pc("C1", "P1", "a@x.co.jp", "2024-01-01", 5, "title=old"),
				pc("C2", "P2", "A@X.CO.JP", "2025-01-01", 1, "last=New"),
			}},
			want: summary{
				Writes: []string{"upsert P2 contact= send{email=a@x.co.jp,lastname=New}"},
				Save:   []string{"P1 excluded/duplicate_email contact= values{}"},
				Tally:  []string{"excluded duplicate_email 1"},
			},
		},
		{
			name: "winner on a later page takes over the holder's contact against the holder's values",
			in: input{cards: []*sansan.BizCard{pc("C2", "P2", "a@x.co.jp", "2025-01-01", 9, "last=New,dept=D2")},
				stored: []*Link{pl("P1", "C1", "a@x.co.jp", "H1", "2024-01-01", 1, own)}},
			want: summary{Writes: []string{"update P2 contact=H1 send{department=D2,lastname=New} clear[jobtitle mobilephone] demote[P1 excluded/duplicate_email contact=]"}},
		},
		{
			name: "an unconfirmed upsert of a loser is the base of the winner's upsert",
			in: input{cards: []*sansan.BizCard{pc("C2", "P2", "a@x.co.jp", "2025-01-01", 9, "last=New")},
				stored: []*Link{func() *Link {
					l := pl("P1", "C1", "a@x.co.jp", "", "2024-01-01", 1, map[string]string{"email": "a@x.co.jp", "lastname": "L", "jobtitle": "T"})
					l.State, l.Reason = StateFailing, string(CategoryUnconfirmed)
					return l
				}()}},
			want: summary{Writes: []string{"upsert P2 contact= send{email=a@x.co.jp,lastname=New} clear[jobtitle] demote[P1 excluded/duplicate_email contact=]"}},
		},
		{
			name: "a person's own unconfirmed upsert: sent again in full, clearing what the card lost",
			in: input{cards: []*sansan.BizCard{pc("C1", "P1", "a@x.co.jp", "", 9, "last=L")},
				stored: []*Link{func() *Link {
					l := pl("P1", "C1", "a@x.co.jp", "", "", 1, map[string]string{"email": "a@x.co.jp", "lastname": "L", "jobtitle": "T"})
					l.State, l.Reason = StateFailing, string(CategoryUnconfirmed)
					return l
				}()}},
			want: summary{Writes: []string{"upsert P1 contact= send{email=a@x.co.jp,lastname=L} clear[jobtitle]"}},
		},
		{
			name: "stored winner outranks the page: page record loses",
			in: input{cards: []*sansan.BizCard{pc("C2", "P2", "a@x.co.jp", "2023-01-01", 9, "last=Old")},
				stored: []*Link{pl("P1", "C1", "a@x.co.jp", "H1", "2024-01-01", 1, own)}},
			want: summary{Save: []string{"P2 excluded/duplicate_email contact= values{}"}, Tally: []string{"excluded duplicate_email 1"}},
		},
		{
			name: "failing holder re-listed loses to a stored excluded winner: keeps its contact until promotion",
			in: input{cards: []*sansan.BizCard{pc("C1", "P1", "a@x.co.jp", "2024-01-01", 9, "last=L,title=T,mobile=090,dept=D")},
				stored: []*Link{func() *Link {
					l := pl("P1", "C1", "a@x.co.jp", "H1", "2024-01-01", 1, own)
					l.State, l.Reason = StateFailing, string(CategoryOther)
					return l
				}(), func() *Link {
					l := pl("P2", "C2", "a@x.co.jp", "", "2025-01-01", 1, nil)
					l.State, l.Reason = StateExcluded, string(ReasonDuplicateEmail)
					return l
				}()}},
			want: summary{
				Save:    []string{"P1 excluded/duplicate_email contact=H1 values{department=D,email=a@x.co.jp,jobtitle=T,lastname=L,mobilephone=090}"},
				Vacated: []string{"a@x.co.jp"},
				Tally:   []string{"excluded duplicate_email 1"},
			},
		},
		{
			name: "a queued record of another person competes again and loses: dropped, never written",
			in: input{cards: []*sansan.BizCard{pc("C2", "P2", "a@x.co.jp", "2025-01-01", 9, "last=New")},
				pending: func(pln *planner) []*record {
					return []*record{queued(t, pln, pc("C1", "P1", "a@x.co.jp", "2024-01-01", 1, "title=T"), nil, opUpsert)}
				}},
			want: summary{
				Writes: []string{"upsert P2 contact= send{email=a@x.co.jp,lastname=New}"},
				Save:   []string{"P1 excluded/duplicate_email contact= values{}"},
				Drop:   []string{"P1"},
				Tally:  []string{"excluded duplicate_email 1"},
			},
		},
		{
			name: "a newer read of a queued person supersedes it",
			in: input{cards: []*sansan.BizCard{pc("C1", "P1", "a@x.co.jp", "", 9, "title=newer")},
				pending: func(pln *planner) []*record {
					return []*record{queued(t, pln, pc("C1", "P1", "a@x.co.jp", "", 1, "title=older"), nil, opUpsert)}
				}},
			want: summary{Writes: []string{"upsert P1 contact= send{email=a@x.co.jp,jobtitle=newer}"}, Drop: []string{"P1"}},
		},
		{
			name: "winner with a contact of its own keeps it; the holder is left alone",
			in: input{cards: []*sansan.BizCard{pc("C2", "P2", "a@x.co.jp", "2025-01-01", 9, "last=New")},
				stored: []*Link{pl("P1", "C1", "a@x.co.jp", "H1", "2024-01-01", 1, own),
					pl("P2", "C2", "b@x.co.jp", "H2", "2025-01-01", 1, map[string]string{"email": "b@x.co.jp", "lastname": "New"})}},
			want: summary{Writes: []string{"update P2 contact=H2 send{email=a@x.co.jp}"}, Vacated: []string{"b@x.co.jp"}},
		},
		{
			name: "moving to another email vacates the old one",
			in: input{cards: []*sansan.BizCard{pc("C1", "P1", "new@x.co.jp", "", 9, "last=L,title=T,mobile=090,dept=D")},
				stored: []*Link{pl("P1", "C1", "a@x.co.jp", "H1", "", 1, own)}},
			want: summary{Writes: []string{"update P1 contact=H1 send{email=new@x.co.jp}"}, Vacated: []string{"a@x.co.jp"}},
		},
		{
			name: "filters: unlinked card outside the tags is excluded; a linked one keeps syncing",
			in: input{tags: []string{"T1"}, cards: []*sansan.BizCard{
				pc("C1", "P1", "a@x.co.jp", "", 9, "last=L,title=T,mobile=090,dept=D2"),
				pc("C3", "P3", "c@x.co.jp", "", 9, "last=C"),
				pc("C4", "P4", "d@x.co.jp", "", 9, "last=D", "T1"),
			}, stored: []*Link{pl("P1", "C1", "a@x.co.jp", "H1", "", 1, own)}},
			want: summary{
				Writes: []string{"update P1 contact=H1 send{department=D2}", "upsert P4 contact= send{email=d@x.co.jp,lastname=D}"},
				Save:   []string{"P3 excluded/filtered contact= values{}"},
				Tally:  []string{"excluded filtered 1"},
			},
		},
		{
			name: "StopSyncingFiltered: a linked card outside the filter is excluded and vacates its email",
			in: input{tags: []string{"T1"}, cfg: func(c *Config) { c.StopSyncingFiltered = true },
				cards:  []*sansan.BizCard{pc("C1", "P1", "a@x.co.jp", "", 9, "last=L")},
				stored: []*Link{pl("P1", "C1", "a@x.co.jp", "H1", "", 1, own)}},
			want: summary{
				Save:    []string{"P1 excluded/filtered contact=H1 values{department=D,email=a@x.co.jp,jobtitle=T,lastname=L,mobilephone=090}"},
				Vacated: []string{"a@x.co.jp"},
				Tally:   []string{"excluded filtered 1"},
			},
		},
		{
			name: "email policy: missing and invalid emails excluded; digitizing never synced",
			in: input{cards: []*sansan.BizCard{
				pc("C1", "P1", "", "", 9, "last=L"),
				pc("C2", "P2", "not-an-email", "", 9, "last=M"),
				func() *sansan.BizCard {
					c := pc("C3", "P3", "c@x.co.jp", "", 9, "")
					c.EntryStatus = "processing"
					return c
				}(),
			}},
			want: summary{
				Save:  []string{"P1 excluded/no_email contact= values{}", "P2 excluded/invalid_email contact= values{}"},
				Tally: []string{"excluded digitizing 1", "excluded invalid_email 1", "excluded no_email 1"},
			},
		},
		{
			name: "AllowMissingEmail: an email-less card is created",
			in: input{cfg: func(c *Config) { c.EmailPolicy = AllowMissingEmail },
				cards: []*sansan.BizCard{pc("C1", "P1", "", "", 9, "last=L")}},
			want: summary{Writes: []string{"create P1 contact= send{lastname=L}"}},
		},
		{
			name: "an older card of a person linked through a newer one changes nothing",
			in: input{cards: []*sansan.BizCard{pc("C0", "P1", "a@x.co.jp", "2020-01-01", 0, "last=Older")},
				stored: []*Link{pl("P1", "C1", "a@x.co.jp", "H1", "2024-01-01", 1, own)}},
			want: summary{Tally: []string{"unchanged 1"}},
		},
		{
			name: "one card per person on a page: the newest",
			in: input{cards: []*sansan.BizCard{
				pc("C1", "P1", "a@x.co.jp", "2024-01-01", 1, "last=Old"),
				pc("C2", "P1", "a@x.co.jp", "2025-01-01", 2, "last=New"),
			}},
			want: summary{Writes: []string{"upsert P1 contact= send{email=a@x.co.jp,lastname=New}"}},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cfg := Config{}
			if tc.in.cfg != nil {
				tc.in.cfg(&cfg)
			}
			pln := newPlanner(&cfg, m, planNow)
			acct := &Account{Name: "a", TagIDs: tc.in.tags}
			pend := fakePending{persons: map[string]*record{}, emails: map[string]*record{}}
			if tc.in.pending != nil {
				for _, r := range tc.in.pending(pln) {
					pend.persons[r.card.PersonID] = r
					if r.email != "" {
						pend.emails[r.email] = r
					}
				}
			}
			byPerson, byEmail := map[string]*Link{}, map[string][]*Link{}
			for _, l := range tc.in.stored {
				byPerson[l.PersonID] = l.Clone()
			}
			prep := pln.prepare(acct, tc.in.cards, 1, byPerson, pend)
			for _, e := range prep.emails {
				for _, l := range tc.in.stored {
					if l.Email == e {
						byEmail[e] = append(byEmail[e], l.Clone())
					}
				}
			}
			pp := pln.decide(acct, prep, pageInput{byEmail: byEmail, pending: pend})
			if d := cmp.Diff(tc.want, summarize(pp), cmpopts.EquateEmpty()); d != "" {
				t.Errorf("plan (-want +got):\n%s", d)
			}
		})
	}
}
