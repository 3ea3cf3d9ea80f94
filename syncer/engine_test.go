package syncer_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/cardbridge/sansanhubspot/sansan"
	"github.com/cardbridge/sansanhubspot/sansan/sansantest"
	"github.com/cardbridge/sansanhubspot/syncer"
)

func TestInitialSyncThenNoWrites(t *testing.T) {
	t.Parallel()
	e := newEnv(t, 2000, 1)
	eng := e.engine(nil)
	rep := e.syncOnce(eng)
	t.Logf("initial: %s", rep)
	want := e.expected()
	e.checkState(want)
	if rep.Created != len(want) {
		t.Errorf("report created %d, want %d", rep.Created, len(want))
	}
	if rep.Excluded == 0 || rep.ExcludedByReason["duplicate_email"] == 0 || rep.ExcludedByReason["no_email"] == 0 {
		t.Errorf("want exclusions by no_email and duplicate_email, got %v", rep.ExcludedByReason)
	}
	// The bound: one upsert per 100 new contacts, plus the preflight's
	// property calls.
	w0 := e.writes()
	if maxW := (len(want)+99)/100 + 2; w0 > maxW {
		t.Errorf("initial sync made %d contact writes, want at most %d", w0, maxW)
	}
	rep2 := e.syncOnce(eng)
	if got := e.writes() - w0; got != 0 {
		t.Errorf("second pass made %d writes, want 0 (report %s)", got, rep2)
	}
	if rep2.Created+rep2.Updated != 0 {
		t.Errorf("second pass report: %s", rep2)
	}
	e.checkState(want)
}

func TestIncrementalPassWritesOnlyChanges(t *testing.T) {
	t.Parallel()
	e := newEnv(t, 800, 2)
	eng := e.engine(nil)
	e.syncOnce(eng)
	want := e.expected()

	// Change the title of three winning cards.
	var changed []string
	for em, card := range want {
		if len(changed) == 3 {
			break
		}
		if _, err := e.ss.Fake.UpdateCard(card.ID, func(c *sansantest.Card) { c.Title = sansantest.Ptr("新しい役職 " + card.ID[:4]) }); err != nil {
			t.Fatal(err)
		}
		changed = append(changed, em)
	}
	w0 := e.writes()
	rep := e.syncOnce(eng)
	if got := e.writes() - w0; got != 1 {
		t.Errorf("incremental pass made %d writes, want 1 batch", got)
	}
	if rep.Updated != 3 || rep.Created != 0 {
		t.Errorf("report: %s", rep)
	}
	for _, em := range changed {
		c, ok := e.hs.Fake.ContactByEmail(em)
		if !ok || !strings.HasPrefix(c.Properties["jobtitle"], "新しい役職") {
			t.Errorf("contact %s jobtitle = %q", em, c.Properties["jobtitle"])
		}
	}
	// The value rule: a card blanking a value the sync wrote, that nobody
	// changed since, clears it; a value a HubSpot user typed is never
	// cleared by a blank card field.
	own, edited := want[changed[0]], want[changed[1]]
	c1, _ := e.hs.Fake.ContactByEmail(changed[1])
	if _, err := e.hs.Fake.UpdateContact(c1.ID, map[string]string{"jobtitle": "typed by a person"}); err != nil {
		t.Fatal(err)
	}
	for _, card := range []*sansan.BizCard{own, edited} {
		if _, err := e.ss.Fake.UpdateCard(card.ID, func(c *sansantest.Card) { c.Title = nil }); err != nil {
			t.Fatal(err)
		}
	}
	e.syncOnce(eng)
	if c, _ := e.hs.Fake.ContactByEmail(changed[0]); c.Properties["jobtitle"] != "" {
		t.Errorf("blank card title over the sync's own value: jobtitle = %q, want it cleared", c.Properties["jobtitle"])
	}
	if c, _ := e.hs.Fake.ContactByEmail(changed[1]); c.Properties["jobtitle"] != "typed by a person" {
		t.Errorf("blank card title over a person's value: jobtitle = %q, want the person's value kept", c.Properties["jobtitle"])
	}
	// Once a person owns the field, a later blank still leaves it alone.
	if _, err := e.ss.Fake.UpdateCard(edited.ID, func(c *sansantest.Card) { c.Memo = sansantest.Ptr("touch") }); err != nil {
		t.Fatal(err)
	}
	e.syncOnce(eng)
	if c, _ := e.hs.Fake.ContactByEmail(changed[1]); c.Properties["jobtitle"] != "typed by a person" {
		t.Errorf("after another pass: jobtitle = %q, want the person's value kept", c.Properties["jobtitle"])
	}
}

func TestTagFilterAndPredicate(t *testing.T) {
	t.Parallel()
	e := newEnv(t, 600, 3)
	var public string
	for _, tag := range e.ss.Fake.Tags() {
		if tag.Type == sansantest.TagTypePublic {
			public = tag.ID
			break
		}
	}
	eng := e.engine(func(c *syncer.Config) {
		c.Accounts[0].TagIDs = []string{public}
		c.CardFilter = func(card *sansan.BizCard) bool { return deref(card.CompanyName) != "" }
	})
	rep := e.syncOnce(eng)
	if rep.ExcludedByReason["filtered"] == 0 {
		t.Fatalf("nothing filtered: %s", rep)
	}
	for _, c := range e.hs.Fake.Contacts() {
		if !strings.Contains(c.Properties["sansan_tags"], public) {
			t.Errorf("contact %s synced without tag %s: %q", c.ID, public, c.Properties["sansan_tags"])
		}
	}
	if len(e.hs.Fake.Contacts()) == 0 || rep.Created != len(e.hs.Fake.Contacts()) {
		t.Errorf("created %d, contacts %d", rep.Created, len(e.hs.Fake.Contacts()))
	}
}

func TestConfigErrors(t *testing.T) {
	t.Parallel()
	e := newEnv(t, 10, 4)
	ss := e.sansanClient(e.admin())
	var private string
	for _, tag := range e.ss.Fake.Tags() {
		if tag.Type == sansantest.TagTypePrivate {
			private = tag.ID
		}
	}
	tests := []struct {
		name     string
		cfg      syncer.Config
		firstRun bool // the problem shows in the preflight, not in New
	}{
		{name: "no hubspot", cfg: syncer.Config{Accounts: []syncer.Account{{Name: "a", Client: ss}}}},
		{name: "no accounts", cfg: syncer.Config{HubSpot: e.hub}},
		{name: "duplicate names", cfg: syncer.Config{HubSpot: e.hub, Accounts: []syncer.Account{{Name: "a", Client: ss}, {Name: "a", Client: ss}}}},
		{name: "too many tags", cfg: syncer.Config{HubSpot: e.hub, Accounts: []syncer.Account{{Name: "a", Client: ss, TagIDs: make([]string, 301)}}}},
		{name: "unknown direction", cfg: syncer.Config{HubSpot: e.hub, Direction: 7, Accounts: []syncer.Account{{Name: "a", Client: ss}}}},
		{name: "negative max window cards", cfg: syncer.Config{HubSpot: e.hub, MaxWindowCards: -1, Accounts: []syncer.Account{{Name: "a", Client: ss}}}},
		{name: "private tag", firstRun: true, cfg: syncer.Config{HubSpot: e.hub, Accounts: []syncer.Account{{Name: "a", Client: ss, TagIDs: []string{private}}}}},
		{name: "unknown tag", firstRun: true, cfg: syncer.Config{HubSpot: e.hub, Accounts: []syncer.Account{{Name: "a", Client: ss, TagIDs: []string{"NOPE"}}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			eng, err := syncer.New(tt.cfg)
			if tt.firstRun {
				if err != nil {
					t.Fatalf("New: %v", err)
				}
				w0 := e.writes()
				_, err = eng.SyncOnce(t.Context())
				if e.writes() != w0 {
					t.Error("a misconfigured pass wrote contacts")
				}
			}
			if !errors.Is(err, syncer.ErrConfig) {
				t.Fatalf("err = %v, want ErrConfig", err)
			}
			var ce *syncer.ConfigError
			if !errors.As(err, &ce) || len(ce.Problems) == 0 {
				t.Fatalf("err = %v, want *ConfigError with problems", err)
			}
		})
	}
}

func TestDryRunWritesNothing(t *testing.T) {
	t.Parallel()
	e := newEnv(t, 500, 5)
	// A contact that already exists with one of the emails is adopted, so
	// the plan must call it an update.
	want := e.expected()
	em := sortedKeys(want)[0]
	if _, err := e.hs.Fake.CreateContact(map[string]string{"email": em, "firstname": "既存"}); err != nil {
		t.Fatal(err)
	}
	dry := e.engine(func(c *syncer.Config) { c.DryRun = true })
	w0, n0 := e.writes(), len(e.hs.Fake.Contacts())
	plan := e.syncOnce(dry)
	if e.writes() != w0 || len(e.hs.Fake.Contacts()) != n0 {
		t.Fatalf("dry run wrote to HubSpot")
	}
	if e.store.Len() != 0 {
		t.Fatalf("dry run wrote %d links", e.store.Len())
	}
	if !plan.DryRun || plan.Created != len(want)-1 || plan.Updated != 1 {
		t.Errorf("plan: %s, want %d created, 1 updated", plan, len(want)-1)
	}
	real := e.syncOnce(e.engine(nil))
	if real.Created != plan.Created || real.Updated != plan.Updated || real.Excluded != plan.Excluded {
		t.Errorf("plan %s differs from the real pass %s", plan, real)
	}
}

// TestMultipleAccountsOverlap feeds one HubSpot account from two Sansan
// keys whose visibility overlaps: every person and email still yields one
// contact.
func TestMultipleAccountsOverlap(t *testing.T) {
	t.Parallel()
	e := newEnv(t, 900, 12)
	var member sansantest.User
	for _, u := range e.users {
		if !u.Admin && len(u.CanSee) > 0 {
			member = u
		}
	}
	if member.APIKey == "" {
		t.Fatal("fixture has no member with shared visibility")
	}
	eng := e.engine(func(c *syncer.Config) {
		// The admin sees every head card; the member sees some persons
		// only through older cards, which must not replace the newer ones.
		c.Accounts = []syncer.Account{
			{Name: "admin", Client: e.sansanClient(e.admin())},
			{Name: "member", Client: e.sansanClient(member)},
		}
	})
	rep := e.syncOnce(eng)
	if len(rep.Accounts) != 2 || rep.Accounts[1].Read == 0 || rep.Accounts[0].Read <= rep.Accounts[1].Read {
		t.Fatalf("accounts: %+v", rep.Accounts)
	}
	e.checkState(e.expected())
	w := e.writes()
	e.syncOnce(eng)
	if e.writes() != w {
		t.Errorf("second pass wrote %d times", e.writes()-w)
	}
}

func TestParseDirection(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		in      string
		want    syncer.Direction
		wantErr bool
	}{
		{in: "", want: syncer.SansanToHubSpot},
		{in: "sansan-to-hubspot", want: syncer.SansanToHubSpot},
		{in: "hubspot_to_sansan", want: syncer.HubSpotToSansan},
		{in: " Two-Way ", want: syncer.TwoWay},
		{in: "up", wantErr: true},
	} {
		var d syncer.Direction
		err := d.UnmarshalText([]byte(tt.in))
		if (err != nil) != tt.wantErr {
			t.Errorf("UnmarshalText(%q) error = %v, want error %v", tt.in, err, tt.wantErr)
			continue
		}
		if err == nil && d != tt.want {
			t.Errorf("UnmarshalText(%q) = %s, want %s", tt.in, d, tt.want)
		}
		if err == nil {
			if b, _ := d.MarshalText(); string(b) != tt.want.String() {
				t.Errorf("MarshalText = %s", b)
			}
		}
	}
}

// TestDuplicatePromotedWhenWinnerLeaves: two persons share an email; when
// the winner's card moves to another email, the other person takes the
// first email over in the same pass instead of staying excluded.
func TestDuplicatePromotedWhenWinnerLeaves(t *testing.T) {
	t.Parallel()
	e := newEnv(t, 0, 13)
	admin := e.admin()
	shared := "shared.person@kabushiki-tokyo.co.jp"
	// Updated long ago, so only a promotion (not the listing's overlap)
	// brings the older card back.
	long := time.Now().Add(-24 * time.Hour)
	older := e.ss.Fake.AddCard(sansantest.Card{OwnerID: admin.ID, LastName: sansantest.Ptr("佐藤"), Email: sansantest.Ptr(shared),
		ExchangeDate: sansantest.Ptr("2020-01-01"), RegisteredTime: long, UpdatedTime: long})
	newer := e.ss.Fake.AddCard(sansantest.Card{OwnerID: admin.ID, LastName: sansantest.Ptr("鈴木"), Email: sansantest.Ptr(shared),
		ExchangeDate: sansantest.Ptr("2024-01-01"), RegisteredTime: long, UpdatedTime: long})
	if got, _ := e.ss.Fake.Card(older.ID); !got.UpdatedTime.Equal(long) {
		t.Fatalf("fixture: the fake set updatedTime %s", got.UpdatedTime)
	}
	eng := e.engine(nil)
	rep := e.syncOnce(eng)
	if rep.Created != 1 || rep.ExcludedByReason["duplicate_email"] != 1 {
		t.Fatalf("first pass: %s", rep)
	}
	if c, _ := e.hs.Fake.ContactByEmail(shared); c.Properties["sansan_person_id"] != newer.PersonID {
		t.Fatalf("contact of %s is person %s, want the newer card's", shared, c.Properties["sansan_person_id"])
	}
	if _, err := e.ss.Fake.UpdateCard(newer.ID, func(c *sansantest.Card) { c.Email = sansantest.Ptr("new.address@kabushiki-tokyo.co.jp") }); err != nil {
		t.Fatal(err)
	}
	rep = e.syncOnce(eng)
	moved, ok := e.hs.Fake.ContactByEmail("new.address@kabushiki-tokyo.co.jp")
	if !ok || moved.Properties["sansan_person_id"] != newer.PersonID {
		t.Fatalf("the winner's contact did not follow its email: %v (report %s)", moved.Properties, rep)
	}
	promoted, ok := e.hs.Fake.ContactByEmail(shared)
	if !ok || promoted.Properties["sansan_person_id"] != older.PersonID {
		t.Fatalf("%s not given to the other person: %v (report %s)", shared, promoted.Properties, rep)
	}
	if n := e.hs.Fake.NumContacts(); n != 2 {
		t.Errorf("%d contacts, want 2", n)
	}
	w := e.writes()
	if rep := e.syncOnce(eng); e.writes() != w {
		t.Errorf("a further pass wrote: %s", rep)
	}
}
