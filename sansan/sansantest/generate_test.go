package sansantest_test

import (
	"net/http"
	"regexp"
	"strings"
	"testing"
	"unicode"

	"github.com/cardbridge/sansanhubspot/sansan/sansantest"
	"github.com/google/go-cmp/cmp"
)

func TestGenerateDeterministic(t *testing.T) {
	t.Parallel()
	a := sansantest.Generate(sansantest.GenerateOptions{Seed: 42, Cards: 500})
	b := sansantest.Generate(sansantest.GenerateOptions{Seed: 42, Cards: 500})
	if diff := cmp.Diff(a, b); diff != "" {
		t.Errorf("same seed, different cards (-a +b):\n%s", diff)
	}
	c := sansantest.Generate(sansantest.GenerateOptions{Seed: 43, Cards: 500})
	if cmp.Equal(a, c) {
		t.Error("different seeds gave identical cards")
	}
	if len(a) != 500 {
		t.Errorf("len = %d, want 500", len(a))
	}
	if n := len(sansantest.Generate(sansantest.GenerateOptions{Seed: 1})); n != 100 {
		t.Errorf("default size = %d, want 100", n)
	}
}

func TestGenerateQuirks(t *testing.T) {
	t.Parallel()
	opts := sansantest.GenerateOptions{Seed: 7, Cards: 3000}
	cards := sansantest.Generate(opts)
	tagType := map[string]string{}
	for _, tg := range sansantest.DefaultTags(sansantest.DefaultUsers()) {
		tagType[tg.ID] = tg.Type
	}
	hexID := regexp.MustCompile(`^[0-9A-F]{32}$`)
	date := regexp.MustCompile(`^\d{4}-\d{2}-\d{2}$`)

	counts := map[string]int{}
	emailPersons := map[string]map[string]bool{}
	personCards := map[string]int{}
	owners := map[string]bool{}
	years := map[string]bool{}
	seenID := map[string]bool{}
	for _, c := range cards {
		if !hexID.MatchString(c.ID) || !hexID.MatchString(c.PersonID) || !hexID.MatchString(c.CompanyID) {
			t.Fatalf("bad ids in %+v", c)
		}
		if seenID[c.ID] {
			t.Fatalf("duplicate card id %s", c.ID)
		}
		seenID[c.ID] = true
		if c.UpdatedTime.Before(c.RegisteredTime) {
			t.Errorf("card %s updated before registered", c.ID)
		}
		personCards[c.PersonID]++
		owners[c.OwnerID] = true
		if c.ExchangeDate == nil {
			counts["no exchangeDate"]++
		} else {
			if !date.MatchString(*c.ExchangeDate) {
				t.Errorf("exchangeDate %q", *c.ExchangeDate)
			}
			years[(*c.ExchangeDate)[:4]] = true
		}
		counts["status "+c.EntryStatus]++
		for _, id := range c.TagIDs {
			counts["tag "+tagType[id]]++
		}
		if c.EntryStatus != sansantest.EntryStatusCompleted {
			continue
		}
		if c.LastNameReading == nil || !isKatakana(*c.LastNameReading) {
			t.Errorf("reading %v is not katakana", c.LastNameReading)
		}
		switch e := c.Email; {
		case e == nil:
			counts["email null"]++
		case strings.ContainsRune(*e, '＠'):
			counts["email full-width"]++
		case strings.TrimSpace(*e) != *e:
			counts["email spaces"]++
		case strings.Count(*e, "@") != 1 || !strings.Contains((*e)[strings.Index(*e, "@"):], "."):
			counts["email invalid"]++
		default:
			if emailPersons[*e] == nil {
				emailPersons[*e] = map[string]bool{}
			}
			emailPersons[*e][c.PersonID] = true
		}
		name := *c.CompanyName
		switch {
		case strings.HasPrefix(name, "株式会社"):
			counts["株式会社 prefix"]++
		case strings.HasSuffix(name, "株式会社"):
			counts["株式会社 suffix"]++
		}
		if strings.Contains(name, "有限会社") {
			counts["有限会社"]++
		}
		if strings.ContainsAny(name, " 　") {
			counts["company spacing"]++
		}
		if c.Tel != nil {
			switch tel := *c.Tel; {
			case strings.HasPrefix(tel, "03-"):
				counts["tel 03"]++
			case strings.HasPrefix(tel, "0120-"):
				counts["tel 0120"]++
			case strings.HasPrefix(tel, "０"):
				counts["tel full-width"]++
			}
		}
		if c.Mobile != nil && strings.HasPrefix(*c.Mobile, "090-") {
			counts["mobile 090"]++
		}
		if c.Prefecture != nil && c.City != nil && c.Street != nil && c.Building != nil && c.Address != nil &&
			strings.HasPrefix(*c.Address, *c.Prefecture) {
			counts["full address"]++
		}
	}
	for _, ps := range emailPersons {
		if len(ps) > 1 {
			counts["email shared by persons"]++
		}
	}
	for _, n := range personCards {
		if n > 1 {
			counts["multi-card person"]++
		}
	}
	for _, k := range []string{
		"no exchangeDate", "status processing", "status unreadable", "tag public", "tag shared", "tag private",
		"email null", "email full-width", "email spaces", "email invalid", "email shared by persons",
		"株式会社 prefix", "株式会社 suffix", "有限会社", "company spacing", "tel 03", "tel 0120", "tel full-width",
		"mobile 090", "full address", "multi-card person",
	} {
		if counts[k] == 0 {
			t.Errorf("quirk %q absent from %d generated cards (counts %v)", k, len(cards), counts)
		}
	}
	if len(owners) < 4 {
		t.Errorf("owners = %v, want the 4 default users", owners)
	}
	if len(years) < 6 {
		t.Errorf("exchange years = %v, want a spread over years", years)
	}
	if counts["status completed"] < len(cards)*9/10 {
		t.Errorf("completed = %d of %d, want ~95%%", counts["status completed"], len(cards))
	}
}

func isKatakana(s string) bool {
	for _, r := range s {
		if !unicode.Is(unicode.Katakana, r) && r != 'ー' {
			return false
		}
	}
	return s != ""
}

func TestSeed(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	opts := sansantest.GenerateOptions{Seed: 5, Cards: 400}
	got := e.fake.Seed(opts)
	if diff := cmp.Diff(sansantest.Generate(opts), got); diff != "" {
		t.Errorf("Seed stored different cards than Generate (-want +got):\n%s", diff)
	}
	if len(e.fake.Tags()) != len(sansantest.DefaultTags(sansantest.DefaultUsers())) {
		t.Errorf("tags = %d", len(e.fake.Tags()))
	}
	admin := sansantest.DefaultUsers()[0]
	// Existing users are kept: "admin" keeps the env's key, the others use defaults.
	if u, _ := e.fake.User("admin"); u.APIKey != adminKey {
		t.Errorf("Seed replaced existing user admin: %+v", u)
	}
	mustStatus(t, e.get(t, admin.APIKey, "me", ""), http.StatusUnauthorized)
	sato := sansantest.DefaultUsers()[1]
	mustStatus(t, e.get(t, sato.APIKey, "me", ""), http.StatusOK)

	all := e.listAll(t, adminKey, "bizCards", wideWindow("range", "all", "includePastBizCards", "true", "entryStatus", "completed", "entryStatus", "processing",
		"entryStatus", "unreadable", "limit", "300"))
	if len(all) != 400 {
		t.Errorf("listed %d of 400 seeded cards", len(all))
	}
}
