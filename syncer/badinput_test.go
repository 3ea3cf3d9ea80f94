package syncer_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/cardbridge/sansanhubspot/sansan"
	"github.com/cardbridge/sansanhubspot/syncer"
	"golang.org/x/time/rate"
)

// hostileSansan serves a Sansan tenant whose card pages are written by
// hand: null fields, broken text, odd emails, repeated cards and ids.
// page2 may be swapped for a broken answer to test whole-page failures.
type hostileSansan struct {
	mu     sync.Mutex
	page1  string
	page2  string
	broken func(w http.ResponseWriter) bool // answers page 2 instead, when it returns true
}

func (h *hostileSansan) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h.mu.Lock()
	defer h.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	switch r.URL.Path {
	case "/v3.2/tags":
		fmt.Fprint(w, `{"data":[],"hasMore":false,"nextPageToken":null}`)
	case "/v3.2/bizCards":
		if r.URL.Query().Get("nextPageToken") == "" {
			fmt.Fprint(w, h.page1)
			return
		}
		if h.broken != nil && h.broken(w) {
			return
		}
		fmt.Fprint(w, h.page2)
	default:
		w.WriteHeader(http.StatusNotFound)
		fmt.Fprint(w, `{"statusCode":404,"message":"not found","error":[{"code":"NotFound"}]}`)
	}
}

// hcard renders one card; fields maps wire names to raw JSON values.
func hcard(id, person, updated string, fields map[string]string) string {
	var b strings.Builder
	fmt.Fprintf(&b, `{"id":%q,"personId":%q,"companyId":"CO1","exchangeDate":"2024-01-02","registeredTime":"2024-01-02T10:00:00+09:00","updatedTime":%q,"entryStatus":"completed","owner":{"id":"admin","name":"管理者","email":"admin@example.jp"}`, id, person, updated)
	for k, v := range fields {
		fmt.Fprintf(&b, ",%q:%s", k, v)
	}
	b.WriteString("}")
	return b.String()
}

func page(more bool, cards ...string) string {
	next := "null"
	if more {
		next = `"p2"`
	}
	return `{"data":[` + strings.Join(cards, ",") + `],"hasMore":` + fmt.Sprint(more) + `,"nextPageToken":` + next + `}`
}

// TestBadInputSansanCards syncs hand-written hostile cards: every card is
// synced, excluded with its reason, or failed with its category; nothing
// panics, no bad record blocks the rest of its batch, and HubSpot receives
// no invalid UTF-8, no control characters and no value over its limit.
func TestBadInputSansanCards(t *testing.T) {
	t.Parallel()
	const t1, t2 = "2024-01-03T10:00:00+09:00", "2024-01-04T10:00:00+09:00"
	q := func(s string) string { return fmt.Sprintf("%q", s) }
	long := strings.Repeat("長", 100000)
	h := &hostileSansan{
		page1: page(true,
			hcard("G1", "PG1", t1, map[string]string{"email": q("good1@example.jp"), "lastName": q("山田"), "firstName": q("太郎")}),
			hcard("N1", "PN1", t1, map[string]string{"email": "null", "lastName": "null", "firstName": "null", "companyName": "null",
				"title": "null", "tel": "null", "url": "null", "memo": "null", "tags": "null"}),
			"{\"id\":\"U1\",\"personId\":\"PU1\",\"updatedTime\":\""+t1+"\",\"entryStatus\":\"completed\",\"lastName\":\"\xff\xfe山田\",\"email\":\"utf8@example.jp\"}",
			"{\"id\":\"U2\",\"personId\":\"PU2\",\"updatedTime\":\""+t1+"\",\"entryStatus\":\"completed\",\"email\":\"bad\xffutf8@example.jp\"}",
			hcard("C1", "PC1", t1, map[string]string{"email": q("ctrl@example.jp"), "lastName": `"山\u0000田\u001b[31m"`, "title": `"部長\u0007\r\n"`}),
			hcard("M1", "PM1", t1, map[string]string{"email": q("memo@example.jp"), "lastName": q("メモ"), "memo": q(long)}),
			hcard("L1", "PL1", t1, map[string]string{"email": q("long@example.jp"), "lastName": q("長井"), "companyName": q(long), "departmentName": q(long)}),
			hcard("E1", "PE1", t1, map[string]string{"email": q("a@b"), "lastName": q("短")}),
			hcard("E2", "PE2", t1, map[string]string{"email": q("ｚｅｎ＠ｅｘａｍｐｌｅ．ｃｏｍ"), "lastName": q("全角")}),
			hcard("E3", "PE3", t1, map[string]string{"email": q("foo@example.con"), "lastName": q("誤字")}),
			hcard("E4", "PE4", t1, map[string]string{"email": q("two@at@example.jp"), "lastName": q("二重")}),
			hcard("E5", "PE5", t1, map[string]string{"email": q("  spaced@example.jp\u3000"), "lastName": q("空白")}),
			hcard("E6", "PE6", t1, map[string]string{"email": q("@@"), "lastName": q("記号")}),
			// The same card twice in one page.
			hcard("R1", "PR1", t1, map[string]string{"email": q("repeat@example.jp"), "lastName": q("重複")}),
			hcard("R1", "PR1", t1, map[string]string{"email": q("repeat@example.jp"), "lastName": q("重複")}),
			"null",
			`{"id":"","personId":"","email":"noid@example.jp"}`,
		),
		// Page 2 repeats G1 (same id, newer) and R1, and reuses an id
		// under another person.
		page2: page(false,
			hcard("G1", "PG1", t2, map[string]string{"email": q("good1@example.jp"), "lastName": q("山田"), "firstName": q("太郎"), "title": q("課長")}),
			hcard("R1", "PR1", t1, map[string]string{"email": q("repeat@example.jp"), "lastName": q("重複")}),
			hcard("M1", "PX9", t2, map[string]string{"email": q("idclash@example.jp"), "lastName": q("衝突")}),
		),
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	e := newRelEnv(t, relOpts{})
	ss, err := sansan.NewClient(strings.Repeat("k", 32), sansan.WithBaseURL(srv.URL+"/v3.2/"), sansan.WithRateLimit(rate.Inf, 0), sansan.WithSleep(noSleep))
	if err != nil {
		t.Fatal(err)
	}
	eng, err := syncer.New(syncer.Config{HubSpot: e.hub, Accounts: []syncer.Account{{Name: "hostile", Client: ss}}, Store: e.store})
	if err != nil {
		t.Fatal(err)
	}
	rep, err := eng.SyncOnce(t.Context())
	if err != nil {
		t.Fatalf("a pass over bad records failed as a whole: %v", err)
	}
	t.Logf("report: %s failures %+v", rep, rep.Failures)

	// Valid addresses each have exactly one contact; invalid ones none.
	wantContacts := []string{"good1@example.jp", "utf8@example.jp", "ctrl@example.jp", "memo@example.jp", "long@example.jp",
		"zen@example.com", "spaced@example.jp", "repeat@example.jp", "idclash@example.jp"}
	for _, em := range wantContacts {
		if _, ok := e.hs.Fake.ContactByEmail(em); !ok {
			t.Errorf("no contact for %s", em)
		}
	}
	for _, em := range []string{"a@b", "two@at@example.jp", "@@", "foo@example.con"} {
		if _, ok := e.hs.Fake.ContactByEmail(em); ok {
			t.Errorf("contact created for invalid email %q", em)
		}
	}
	if n := e.duplicates(); n != 0 {
		t.Errorf("%d duplicates", n)
	}
	if c, _ := e.hs.Fake.ContactByEmail("good1@example.jp"); c.Properties["jobtitle"] != "課長" {
		t.Errorf("the newer read of a repeated card lost: jobtitle %q", c.Properties["jobtitle"])
	}
	// Every exclusion and failure carries its reason.
	if rep.ExcludedByReason[syncer.ReasonInvalidEmail] < 3 || rep.ExcludedByReason[syncer.ReasonNoEmail] < 1 {
		t.Errorf("exclusions by reason = %v, want >= 3 invalid_email and >= 1 no_email", rep.ExcludedByReason)
	}
	for _, pid := range []string{"PE1", "PE4", "PE6", "PU2"} {
		l, err := e.store.LinksByPerson(t.Context(), []string{pid})
		if err != nil {
			t.Fatal(err)
		}
		if l[pid] == nil || l[pid].State != syncer.StateExcluded || l[pid].Exclusion() != syncer.ReasonInvalidEmail || l[pid].Message == "" {
			t.Errorf("person %s link = %+v, want excluded invalid_email with a message", pid, l[pid])
		}
	}
	// foo@example.con: excluded by validation or rejected by HubSpot, with a reason either way.
	l, _ := e.store.LinksByPerson(t.Context(), []string{"PE3"})
	if l["PE3"] == nil || l["PE3"].State == syncer.StateInSync || l["PE3"].Reason == "" {
		t.Errorf("foo@example.con link = %+v, want excluded or failing with a reason", l["PE3"])
	}
	// No garbage reached HubSpot.
	for _, c := range e.hs.Fake.Contacts() {
		for k, v := range c.Properties {
			if !utf8.ValidString(v) {
				t.Errorf("contact %s %s: invalid UTF-8 %q", c.ID, k, v)
			}
			if strings.ContainsFunc(v, func(r rune) bool { return unicode.IsControl(r) && r != '\n' && r != '\r' && r != '\t' }) {
				t.Errorf("contact %s %s: control characters in %q", c.ID, k, v)
			}
			if utf8.RuneCountInString(v) > 65536 {
				t.Errorf("contact %s %s: %d characters, over HubSpot's limit", c.ID, k, utf8.RuneCountInString(v))
			}
		}
	}
	// A second pass over the same input writes nothing.
	w0 := e.writes()
	before := map[string]string{}
	for _, c := range e.hs.Fake.Contacts() {
		before[c.ID] = fmt.Sprint(c.Properties)
	}
	rep2, err := eng.SyncOnce(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range e.hs.Fake.Contacts() {
		if before[c.ID] != fmt.Sprint(c.Properties) {
			t.Logf("rewritten: %s\n%s\n%s", c.ID, before[c.ID], fmt.Sprint(c.Properties))
		}
	}
	t.Logf("second: %s", rep2)
	if got := e.writes() - w0; got != 0 {
		t.Errorf("second pass made %d writes", got)
	}
}

// TestBadInputSansanBrokenPage: a page that is malformed JSON, an HTML
// page from a proxy, or a 200 with an empty body fails the pass with a
// clear error; nothing garbled is written, and once Sansan answers properly
// the next pass completes without duplicates.
func TestBadInputSansanBrokenPage(t *testing.T) {
	t.Parallel()
	const t1 = "2024-01-03T10:00:00+09:00"
	cases := []struct {
		name, ctype, body string
		status            int
		want              string
	}{
		{"malformed JSON", "application/json", `{"data":[{"id":"X"`, 200, "decode response"},
		{"HTML from a proxy", "text/html", "<html><body>502 Bad Gateway</body></html>", 502, "502"},
		{"HTML with 200", "text/html", "<html><body>maintenance</body></html>", 200, "decode response"},
		{"empty 200", "", "", 200, "empty response body"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var cards1 []string
			for i := range 150 {
				cards1 = append(cards1, hcard(fmt.Sprintf("A%03d", i), fmt.Sprintf("PA%03d", i), t1,
					map[string]string{"email": fmt.Sprintf("%q", fmt.Sprintf("a%03d@example.jp", i)), "lastName": `"阿部"`}))
			}
			var failing atomic.Bool
			failing.Store(true)
			h := &hostileSansan{
				page1: page(true, cards1...),
				page2: page(false, hcard("B1", "PB1", t1, map[string]string{"email": `"b1@example.jp"`, "lastName": `"馬場"`})),
				broken: func(w http.ResponseWriter) bool {
					if !failing.Load() {
						return false
					}
					if tc.ctype != "" {
						w.Header().Set("Content-Type", tc.ctype)
					} else {
						w.Header().Del("Content-Type")
					}
					w.WriteHeader(tc.status)
					fmt.Fprint(w, tc.body)
					return true
				},
			}
			srv := httptest.NewServer(h)
			t.Cleanup(srv.Close)
			e := newRelEnv(t, relOpts{})
			ss, err := sansan.NewClient(strings.Repeat("k", 32), sansan.WithBaseURL(srv.URL+"/v3.2/"), sansan.WithRateLimit(rate.Inf, 0), sansan.WithSleep(noSleep))
			if err != nil {
				t.Fatal(err)
			}
			eng, err := syncer.New(syncer.Config{HubSpot: e.hub, Accounts: []syncer.Account{{Name: "broken", Client: ss}}, Store: e.store})
			if err != nil {
				t.Fatal(err)
			}
			_, err = eng.SyncOnce(t.Context())
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "list cards") {
				t.Fatalf("pass over a broken page = %v, want an error naming the listing and %q", err, tc.want)
			}
			for _, c := range e.hs.Fake.Contacts() {
				if !strings.HasPrefix(c.Properties["email"], "a") {
					t.Errorf("unexpected contact %v", c.Properties)
				}
			}
			failing.Store(false)
			if _, err := eng.SyncOnce(t.Context()); err != nil {
				t.Fatalf("pass after Sansan recovered: %v", err)
			}
			if n := e.hs.Fake.NumContacts(); n != 151 {
				t.Errorf("%d contacts, want 151", n)
			}
			if n := e.duplicates(); n != 0 {
				t.Errorf("%d duplicates", n)
			}
		})
	}
}

// TestBadInputHubSpotContacts registers hostile HubSpot contacts in
// Sansan: control characters, over-long names, odd or missing emails and
// nothing Sansan requires. Each contact is registered once, or excluded or
// failed with its reason; no control character or over-long name reaches
// Sansan, and the pass itself does not fail.
func TestBadInputHubSpotContacts(t *testing.T) {
	t.Parallel()
	e := newRelEnv(t, relOpts{})
	long := strings.Repeat("長", 300)
	contacts := []map[string]string{
		{"email": "ctrl@example.jp", "lastname": "山\u0000田\u001b[2J", "firstname": "太\u0007郎", "company": "株式会社\u0008テスト"},
		{"email": "longname@example.jp", "lastname": long, "firstname": "名"},
		{"email": "onlyemail@example.jp"},
		{"email": "Upper.Case@Example.JP", "lastname": "大文字"},
		{"lastname": "メールなし"},
		{"email": "rtl@example.jp", "lastname": "\u202e右から左", "company": strings.Repeat("社", 60000)},
	}
	for _, p := range contacts {
		if _, err := e.hs.Fake.CreateContact(p); err != nil {
			t.Fatalf("fixture %v: %v", p, err)
		}
	}
	eng := e.engine(func(c *syncer.Config) { c.Direction = syncer.HubSpotToSansan })
	rep, err := eng.SyncOnce(t.Context())
	if err != nil {
		t.Fatalf("pass over hostile contacts failed as a whole: %v", err)
	}
	t.Logf("report: %s failures %+v", rep, rep.Failures)
	perEmail := map[string]int{}
	for _, c := range e.ss.Fake.Cards() {
		perEmail[strings.ToLower(deref(c.Email))]++
		for name, v := range map[string]string{"lastName": deref(c.LastName), "firstName": deref(c.FirstName), "companyName": deref(c.CompanyName)} {
			if strings.ContainsFunc(v, func(r rune) bool { return unicode.IsControl(r) }) {
				t.Errorf("card %s %s has control characters: %q", c.ID, name, v)
			}
			if !utf8.ValidString(v) {
				t.Errorf("card %s %s is not UTF-8", c.ID, name)
			}
		}
		if n := utf8.RuneCountInString(deref(c.LastName)); n > 250 {
			t.Errorf("card %s lastName has %d characters", c.ID, n)
		}
	}
	for em, n := range perEmail {
		if n > 1 {
			t.Errorf("%s registered %d times", em, n)
		}
	}
	for _, em := range []string{"ctrl@example.jp", "upper.case@example.jp"} {
		if perEmail[em] != 1 {
			t.Errorf("%s registered %d times, want 1", em, perEmail[em])
		}
	}
	// Every contact is accounted for: created, excluded or failed.
	if got := rep.Created + rep.Excluded + rep.Failed + rep.Unchanged; got != len(contacts) {
		t.Errorf("report accounts for %d contacts, want %d: %s", got, len(contacts), rep)
	}
	for _, f := range rep.Failures {
		if f.Category == "" || f.Message == "" || strings.HasPrefix(f.Message, ":") {
			t.Errorf("failure without a reason: %+v", f)
		}
	}
	if rep.ExcludedByReason[syncer.ReasonNoEmail] != 1 {
		t.Errorf("exclusions %v, want the contact without email excluded", rep.ExcludedByReason)
	}
	// A second pass registers nothing more.
	n := len(e.ss.Fake.Cards())
	if _, err := eng.SyncOnce(t.Context()); err != nil {
		t.Fatal(err)
	}
	if got := len(e.ss.Fake.Cards()); got != n {
		t.Errorf("second pass registered %d more cards", got-n)
	}
}
