package sansantest_test

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cardbridge/sansanhubspot/sansan/sansantest"
	"github.com/google/go-cmp/cmp"
)

func TestListBizCardsValidation(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ok := "updatedFrom=2024-01-01T00:00:00%2B09:00&updatedTo=2024-02-01T00:00:00%2B09:00"
	tests := []struct {
		name, query string
		want        int
	}{
		{"percent-encoded plus", ok, 200},
		{"lower-case escapes", "updatedFrom=2024-01-01T00:00:00%2b09%3a00&updatedTo=2024-02-01T00:00:00%2b09%3a00", 200},
		{"UTC Z", "updatedFrom=2024-01-01T00:00:00Z&updatedTo=2024-02-01T00:00:00Z", 200},
		{"negative offset", "updatedFrom=2024-01-01T00:00:00-05:00&updatedTo=2024-02-01T00:00:00-05:00", 200},
		{"raw plus decodes to space", "updatedFrom=2024-01-01T00:00:00+09:00&updatedTo=2024-02-01T00:00:00+09:00", 400},
		{"raw plus in updatedTo only", "updatedFrom=2024-01-01T00:00:00%2B09:00&updatedTo=2024-02-01T00:00:00+09:00", 400},
		{"missing updatedFrom", "updatedTo=2024-02-01T00:00:00%2B09:00", 400},
		{"missing updatedTo", "updatedFrom=2024-01-01T00:00:00%2B09:00", 400},
		{"missing both", "", 400},
		{"no offset", "updatedFrom=2024-01-01T00:00:00&updatedTo=2024-02-01T00:00:00", 400},
		{"date only", "updatedFrom=2024-01-01&updatedTo=2024-02-01", 400},
		{"to before from", "updatedFrom=2024-02-01T00:00:00%2B09:00&updatedTo=2024-01-01T00:00:00%2B09:00", 400},
		{"to equals from", "updatedFrom=2024-01-01T00:00:00%2B09:00&updatedTo=2024-01-01T00:00:00%2B09:00", 400},
		{"limit 300", ok + "&limit=300", 200},
		{"limit 1", ok + "&limit=1", 200},
		{"limit 301", ok + "&limit=301", 400},
		{"limit 0", ok + "&limit=0", 400},
		{"limit not a number", ok + "&limit=ten", 400},
		{"entryStatus repeated", ok + "&entryStatus=completed&entryStatus=processing&entryStatus=unreadable", 200},
		{"entryStatus comma list", ok + "&entryStatus=completed,processing", 400},
		{"entryStatus unknown", ok + "&entryStatus=done", 400},
		{"range all", ok + "&range=all", 200},
		{"range bad", ok + "&range=everything", 400},
		{"includeTags true", ok + "&includeTags=true", 200},
		{"includeTags 1", ok + "&includeTags=1", 400},
		{"includePastBizCards yes", ok + "&includePastBizCards=yes", 400},
		{"orderBy completedAt", ok + "&orderBy=completedAt&orderDirection=asc", 200},
		{"orderBy name", ok + "&orderBy=name", 400},
		{"orderDirection up", ok + "&orderDirection=up", 400},
		{"garbage token", ok + "&nextPageToken=garbage", 400},
		{"well-formed unknown token", ok + "&nextPageToken=czE6eHl6OjA6YWJj", 400},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := e.get(t, aliceKey, "bizCards", tt.query)
			mustStatus(t, r, tt.want)
			if tt.want == http.StatusBadRequest {
				assertErrorBody(t, r, 400, "InvalidParameter")
			}
		})
	}
}

func TestListBizCardsFilters(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	f := e.fake
	t0 := time.Date(2024, 3, 1, 9, 0, 0, 0, jst)

	aliceOld := card("alice", "山田", "太郎", t0)
	aliceOld.ExchangeDate = s("2019-05-05")
	aliceOld = f.AddCard(aliceOld)
	aliceNew := card("alice", "山田", "太郎", t0.Add(time.Hour))
	aliceNew.PersonID = aliceOld.PersonID
	aliceNew.ExchangeDate = s("2024-02-29")
	aliceNew = f.AddCard(aliceNew)
	aliceProc := card("alice", "", "", t0.Add(2*time.Hour))
	aliceProc.LastName, aliceProc.FirstName = nil, nil
	aliceProc.EntryStatus = sansantest.EntryStatusProcessing
	aliceProc = f.AddCard(aliceProc)
	aliceUnreadable := card("alice", "", "", t0.Add(3*time.Hour))
	aliceUnreadable.EntryStatus = sansantest.EntryStatusUnreadable
	aliceUnreadable = f.AddCard(aliceUnreadable)
	bobCard := f.AddCard(card("bob", "佐藤", "次郎", t0.Add(4*time.Hour)))
	adminCard := f.AddCard(card("admin", "管理", "太郎", t0.Add(5*time.Hour)))
	// bob holds an older card of alice's person: visible to bob under range=me.
	bobOfPerson := card("bob", "山田", "太郎", t0.Add(6*time.Hour))
	bobOfPerson.PersonID = aliceOld.PersonID
	bobOfPerson.ExchangeDate = s("2018-01-01")
	bobOfPerson = f.AddCard(bobOfPerson)
	outside := f.AddCard(card("alice", "外", "側", t0.Add(-time.Second)))

	from, to := t0, t0.Add(6*time.Hour) // inclusive at both ends
	tests := []struct {
		name, key string
		kv        []string
		want      []string // ordered as served (default updatedAt desc)
	}{
		{"default range=me, completed, head only", aliceKey, nil, []string{aliceNew.ID}},
		{"includePastBizCards", aliceKey, []string{"includePastBizCards", "true"}, []string{aliceNew.ID, aliceOld.ID}},
		{"entryStatus processing", aliceKey, []string{"entryStatus", "processing"}, []string{aliceProc.ID}},
		{"entryStatus all three", aliceKey, []string{"entryStatus", "processing", "entryStatus", "unreadable", "entryStatus", "completed"},
			[]string{aliceUnreadable.ID, aliceProc.ID, aliceNew.ID}},
		{"admin range=me sees own only", adminKey, nil, []string{adminCard.ID}},
		{"admin range=all sees tenant, head per person", adminKey, []string{"range", "all"}, []string{adminCard.ID, bobCard.ID, aliceNew.ID}},
		{"admin range=all with past", adminKey, []string{"range", "all", "includePastBizCards", "true"},
			[]string{bobOfPerson.ID, adminCard.ID, bobCard.ID, aliceNew.ID, aliceOld.ID}},
		{"bob range=me: his older card is his head", bobKey, nil, []string{bobOfPerson.ID, bobCard.ID}},
		{"bob range=all sees alice too (CanSee)", bobKey, []string{"range", "all"}, []string{bobCard.ID, aliceNew.ID}},
		{"alice range=all without CanSee", aliceKey, []string{"range", "all"}, []string{aliceNew.ID}},
		{"order registeredAt asc", adminKey, []string{"range", "all", "includePastBizCards", "true", "orderBy", "registeredAt", "orderDirection", "asc"},
			[]string{aliceOld.ID, aliceNew.ID, bobCard.ID, adminCard.ID, bobOfPerson.ID}},
		{"order updatedAt asc", aliceKey, []string{"includePastBizCards", "true", "orderDirection", "asc"}, []string{aliceOld.ID, aliceNew.ID}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := ids(e.listAll(t, tt.key, "bizCards", window(from, to, tt.kv...)))
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("ids (-want +got):\n%s", diff)
			}
		})
	}
	_ = outside

	t.Run("window excludes newer head", func(t *testing.T) {
		t.Parallel()
		// Only aliceOld's time is in this window; it is not the head, so nothing.
		got := e.listAll(t, aliceKey, "bizCards", window(t0, t0.Add(time.Minute)))
		if len(got) != 0 {
			t.Errorf("got %v, want no cards (head card is outside the window)", ids(got))
		}
	})
	t.Run("tags only with includeTags", func(t *testing.T) {
		t.Parallel()
		for _, kv := range [][]string{nil, {"includeTags", "false"}, {"includeTags", "true"}} {
			items := e.listAll(t, aliceKey, "bizCards", window(from, to, kv...))
			_, has := items[0]["tags"]
			if want := kv != nil && kv[1] == "true"; has != want {
				t.Errorf("%v: tags present = %v, want %v", kv, has, want)
			}
		}
	})
}

func TestListBizCardsPagingStableAcrossUpdates(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	t0 := time.Date(2024, 1, 1, 0, 0, 0, 0, jst)
	var want []string
	for i := range 250 {
		c := e.fake.AddCard(card("alice", "社員", "番号", t0.Add(time.Duration(i)*time.Minute)))
		want = append(want, c.ID)
	}
	from, to := t0, t0.Add(24*time.Hour)
	e.clock.Advance(time.Hour) // clock is 2025: updates move cards out of the window
	q := window(from, to, "orderDirection", "asc", "limit", "100")

	r := e.get(t, aliceKey, "bizCards", q)
	mustStatus(t, r, http.StatusOK)
	p1 := decode[listPage](t, r)
	if len(p1.Data) != 100 || !p1.HasMore || p1.NextPageToken == nil || *p1.NextPageToken == "" {
		t.Fatalf("page 1: %d items, hasMore %v, token %v", len(p1.Data), p1.HasMore, p1.NextPageToken)
	}
	// Mutate between pages: update a card not yet served (it leaves the
	// window), update one already served, delete one not yet served, add one.
	if _, err := e.fake.UpdateCard(want[200], func(c *sansantest.Card) { c.Title = s("新任") }); err != nil {
		t.Fatal(err)
	}
	if _, err := e.fake.UpdateCard(want[5], nil); err != nil {
		t.Fatal(err)
	}
	if err := e.fake.DeleteCard(want[150]); err != nil {
		t.Fatal(err)
	}
	e.fake.AddCard(card("alice", "新規", "追加", t0.Add(30*time.Second)))

	got := ids(p1.Data)
	next := *p1.NextPageToken
	var served200 map[string]any
	for pages := 2; ; pages++ {
		v, _ := url.ParseQuery(q)
		v.Set("nextPageToken", next)
		r := e.get(t, aliceKey, "bizCards", v.Encode())
		mustStatus(t, r, http.StatusOK)
		p := decode[listPage](t, r)
		for _, it := range p.Data {
			if it["id"] == want[200] {
				served200 = it
			}
		}
		got = append(got, ids(p.Data)...)
		if !p.HasMore {
			if p.NextPageToken != nil {
				t.Errorf("last page carries nextPageToken %q", *p.NextPageToken)
			}
			if pages != 3 {
				t.Errorf("pages = %d, want 3", pages)
			}
			break
		}
		next = *p.NextPageToken
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("paged ids differ from the snapshot (-want +got):\n%s", diff)
	}
	if served200 == nil || served200["title"] != nil {
		t.Errorf("card updated mid-paging served as %v, want the snapshot version (title null)", served200)
	}
	if n := e.fake.Snapshots(); n != 0 {
		t.Errorf("snapshots held after the last page: %d", n)
	}

	// A fresh listing reflects the changes.
	fresh := ids(e.listAll(t, aliceKey, "bizCards", window(from, to, "orderDirection", "asc", "limit", "300")))
	if len(fresh) != 248 || slices.Contains(fresh, want[200]) || slices.Contains(fresh, want[150]) {
		t.Errorf("fresh listing has %d cards", len(fresh))
	}
}

func TestNextPageTokenBoundToQuery(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	t0 := time.Date(2024, 1, 1, 0, 0, 0, 0, jst)
	for i := range 5 {
		e.fake.AddCard(card("alice", "社員", "番号", t0.Add(time.Duration(i)*time.Minute)))
		e.fake.AddCard(card("bob", "社員", "番号", t0.Add(time.Duration(i)*time.Minute)))
	}
	from, to := t0, t0.Add(time.Hour)
	r := e.get(t, aliceKey, "bizCards", window(from, to, "limit", "2"))
	mustStatus(t, r, http.StatusOK)
	tok := *decode[listPage](t, r).NextPageToken

	tests := []struct {
		name, key, query string
		want             int
	}{
		{"same query", aliceKey, window(from, to, "limit", "2", "nextPageToken", tok), 200},
		{"limit may change", aliceKey, window(from, to, "limit", "3", "nextPageToken", tok), 200},
		{"filters dropped", aliceKey, "nextPageToken=" + url.QueryEscape(tok), 400},
		{"different window", aliceKey, window(from, to.Add(time.Minute), "nextPageToken", tok), 400},
		{"different range", aliceKey, window(from, to, "range", "all", "nextPageToken", tok), 400},
		{"other user", bobKey, window(from, to, "limit", "2", "nextPageToken", tok), 400},
		{"other endpoint", aliceKey, "nextPageToken=" + url.QueryEscape(tok), 400},
	}
	for i, tt := range tests {
		path := "bizCards"
		if i == len(tests)-1 {
			path = "bizCards/search"
		}
		r := e.get(t, tt.key, path, tt.query)
		if r.status != tt.want {
			t.Errorf("%s: status %d, want %d (%s)", tt.name, r.status, tt.want, r.body)
		}
	}
}

func TestSnapshotEviction(t *testing.T) {
	t.Parallel()
	e := newEnv(t, sansantest.WithMaxSnapshots(2))
	t0 := time.Date(2024, 1, 1, 0, 0, 0, 0, jst)
	for i := range 3 {
		e.fake.AddCard(card("alice", "社員", "番号", t0.Add(time.Duration(i)*time.Minute)))
	}
	q := window(t0, t0.Add(time.Hour), "limit", "1")
	var toks []string
	for range 3 {
		r := e.get(t, aliceKey, "bizCards", q)
		mustStatus(t, r, http.StatusOK)
		toks = append(toks, *decode[listPage](t, r).NextPageToken)
	}
	if n := e.fake.Snapshots(); n != 2 {
		t.Errorf("snapshots = %d, want 2", n)
	}
	v, _ := url.ParseQuery(q)
	v.Set("nextPageToken", toks[0])
	r := e.get(t, aliceKey, "bizCards", v.Encode())
	mustStatus(t, r, http.StatusBadRequest)
	if !strings.Contains(string(r.body), "expired") {
		t.Errorf("body %s does not say the token expired", r.body)
	}
	v.Set("nextPageToken", toks[2])
	mustStatus(t, e.get(t, aliceKey, "bizCards", v.Encode()), http.StatusOK)
}

func TestSearchBizCards(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	f := e.fake
	t0 := time.Date(2024, 1, 1, 0, 0, 0, 0, jst)
	tagA := f.AddTag(sansantest.Tag{Name: "A", Type: sansantest.TagTypePublic, OwnerID: "admin"})
	tagB := f.AddTag(sansantest.Tag{Name: "B", Type: sansantest.TagTypeShared, OwnerID: "admin"})
	mk := func(owner, last, first, company, email, tel, mobile string, at time.Duration, tags ...string) string {
		c := card(owner, last, first, t0.Add(at))
		c.CompanyName, c.Email, c.Tel, c.Mobile = s(company), s(email), s(tel), s(mobile)
		c.TagIDs = tags
		return f.AddCard(c).ID
	}
	yamada := mk("alice", "山田", "太郎", "株式会社 山田商事", "taro@yamada.co.jp", "03-1234-5678", "090-1111-2222", 1*time.Hour, tagA.ID)
	yamaguchi := mk("alice", "山口", "花子", "山口工業株式会社", "hanako@yamaguchi.jp", "06-9999-0000", "080-3333-4444", 2*time.Hour, tagB.ID)
	spaced := mk("alice", "田中", "一郎", "有限会社　田中", " ichiro@tanaka.jp ", "0120-000-111", "070-5555-6666", 3*time.Hour)
	bobs := mk("bob", "山田", "花子", "株式会社 山田商事", "hanako@yamada.co.jp", "03-1234-9999", "", 4*time.Hour, tagA.ID)

	tests := []struct {
		name, key, query string
		want             []string // default order registeredAt desc
	}{
		{"no condition range=me", aliceKey, "", []string{spaced, yamaguchi, yamada}},
		{"no condition range=all admin", adminKey, "range=all", []string{bobs, spaced, yamaguchi, yamada}},
		{"name prefix", aliceKey, "name=" + url.QueryEscape("山"), []string{yamaguchi, yamada}},
		{"name full without space", aliceKey, "name=" + url.QueryEscape("山田太郎"), []string{yamada}},
		{"name with space does not match", aliceKey, "name=" + url.QueryEscape("山田 太郎"), []string{}},
		{"name is prefix, not partial", aliceKey, "name=" + url.QueryEscape("太郎"), []string{}},
		{"companyName partial", adminKey, "range=all&companyName=" + url.QueryEscape("山田商事"), []string{bobs, yamada}},
		{"email exact", aliceKey, "email=taro%40yamada.co.jp", []string{yamada}},
		{"email exact does not trim", aliceKey, "email=ichiro%40tanaka.jp", []string{}},
		{"email partial does not match", aliceKey, "email=yamada.co.jp", []string{}},
		{"tel partial", adminKey, "range=all&tel=03-1234", []string{bobs, yamada}},
		{"mobile partial", aliceKey, "mobile=5555", []string{spaced}},
		{"tagId OR", adminKey, "range=all&tagId=" + tagA.ID + "&tagId=" + tagB.ID, []string{bobs, yamaguchi, yamada}},
		{"conditions AND", adminKey, "range=all&companyName=" + url.QueryEscape("山田") + "&name=" + url.QueryEscape("山田花"), []string{bobs}},
		{"order updatedAt asc", aliceKey, "orderBy=updatedAt&orderDirection=asc", []string{yamada, yamaguchi, spaced}},
		{"paging", adminKey, "range=all&limit=1", []string{bobs, spaced, yamaguchi, yamada}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := ids(e.listAll(t, tt.key, "bizCards/search", tt.query))
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("ids (-want +got):\n%s", diff)
			}
		})
	}
	for _, q := range []string{"tel=03+1234", "tel=(03)1234", "mobile=090x", "orderBy=completedAt", "limit=301", "entryStatus=new", "range=some"} {
		r := e.get(t, aliceKey, "bizCards/search", q)
		if r.status != http.StatusBadRequest {
			t.Errorf("search?%s = %d, want 400", q, r.status)
		}
	}
}

func TestCreateBizCard(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tag := e.fake.AddTag(sansantest.Tag{Name: "Web", Type: sansantest.TagTypeShared, OwnerID: "admin"})
	bobPriv := e.fake.AddTag(sansantest.Tag{Name: "bob", Type: sansantest.TagTypePrivate, OwnerID: "bob"})
	existing := e.fake.AddCard(sansantest.Card{OwnerID: "bob", LastName: s("山田"), FirstName: s("太郎"),
		Email: s("Taro@Yamada.co.jp"), CompanyName: s("株式会社 山田商事")})

	long := strings.Repeat("長", 251)
	tests := []struct {
		name, contentType, body string
		want                    int
	}{
		{"minimal company", "application/json", `{"companyName":"株式会社テスト"}`, 200},
		{"minimal last name", "application/json; charset=utf-8", `{"lastName":"佐藤"}`, 200},
		{"none of the required", "application/json", `{"email":"a@example.com"}`, 400},
		{"blank required", "application/json", `{"lastName":"  "}`, 400},
		{"bad date", "application/json", `{"lastName":"佐藤","exchangeDate":"2024/01/01"}`, 400},
		{"datetime instead of date", "application/json", `{"lastName":"佐藤","exchangeDate":"2024-01-01T00:00:00+09:00"}`, 400},
		{"long last name", "application/json", `{"lastName":"` + long + `"}`, 400},
		{"long postal code", "application/json", `{"lastName":"佐藤","postalCode":"12345678901"}`, 400},
		{"bad country", "application/json", `{"lastName":"佐藤","countryCode":"JPN"}`, 400},
		{"unknown tag", "application/json", `{"lastName":"佐藤","tagIds":["NOPE"]}`, 400},
		{"other user's private tag", "application/json", `{"lastName":"佐藤","tagIds":["` + bobPriv.ID + `"]}`, 400},
		{"too many tags", "application/json", `{"lastName":"佐藤","tagIds":[` + strings.Repeat(`"`+tag.ID+`",`, 15) + `"` + tag.ID + `"]}`, 400},
		{"unknown field", "application/json", `{"lastName":"佐藤","nickname":"さと"}`, 400},
		{"not json", "application/json", `lastName=佐藤`, 400},
		{"form content type", "application/x-www-form-urlencoded", `{"lastName":"佐藤"}`, 400},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := e.do(t, http.MethodPost, aliceKey, "bizCards", "", tt.contentType, strings.NewReader(tt.body))
			mustStatus(t, r, tt.want)
			if tt.want == 400 {
				assertErrorBody(t, r, 400, "InvalidParameter")
			}
		})
	}

	t.Run("full body", func(t *testing.T) {
		t.Parallel()
		body := `{"exchangeDate":"2024-05-01","lastName":"山田","firstName":"太郎","lastNameReading":"ヤマダ",
		"firstNameReading":"タロウ","departmentName":"営業部","title":"部長","companyName":"株式会社 山田商事",
		"countryCode":"AUTO","postalCode":"1000001","prefecture":"東京都","city":"千代田区","street":"丸の内1-1",
		"building":"丸の内ビル 5F","email":" taro@yamada.co.jp","mobile":"090-0000-0000","tel":"03-0000-0000",
		"secondTel":"03-0000-0001","fax":"03-0000-0002","url":"https://yamada.example","memo":"HubSpot から登録",
		"tagIds":["` + tag.ID + `"]}`
		r := e.do(t, http.MethodPost, aliceKey, "bizCards", "", "application/json", strings.NewReader(body))
		mustStatus(t, r, http.StatusOK)
		item := decode[map[string]map[string]any](t, r)["item"]
		id, _ := item["id"].(string)
		c, ok := e.fake.Card(id)
		if !ok {
			t.Fatalf("created card %q not stored", id)
		}
		if c.OwnerID != "alice" || c.EntryStatus != "completed" || *c.CountryCode != "JP" ||
			*c.Address != "東京都 千代田区 丸の内1-1 丸の内ビル 5F" || !slices.Equal(c.TagIDs, []string{tag.ID}) {
			t.Errorf("stored card = %+v", c)
		}
		if c.PersonID != existing.PersonID || c.CompanyID != existing.CompanyID {
			t.Errorf("not merged with the existing person/company: person %s vs %s, company %s vs %s",
				c.PersonID, existing.PersonID, c.CompanyID, existing.CompanyID)
		}
		if item["registeredTime"] != "2025-06-01T12:00:00+09:00" || item["updatedTime"] != item["registeredTime"] {
			t.Errorf("times = %v / %v", item["registeredTime"], item["updatedTime"])
		}
		// The new card is listed for its owner in the current window.
		got := ids(e.listAll(t, aliceKey, "bizCards", window(e.clock.Now().Add(-time.Minute), e.clock.Now().Add(time.Minute), "includePastBizCards", "true")))
		if !slices.Contains(got, id) {
			t.Errorf("created card not listed: %v", got)
		}
	})
}

func TestPostedEntryStatusOption(t *testing.T) {
	t.Parallel()
	e := newEnv(t, sansantest.WithPostedEntryStatus(sansantest.EntryStatusProcessing))
	r := e.do(t, http.MethodPost, aliceKey, "bizCards", "", "application/json", strings.NewReader(`{"companyName":"テスト"}`))
	mustStatus(t, r, http.StatusOK)
	if got := decode[map[string]map[string]any](t, r)["item"]["entryStatus"]; got != "processing" {
		t.Errorf("entryStatus = %v, want processing", got)
	}
}
