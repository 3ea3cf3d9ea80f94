package sansantest_test

import (
	"bytes"
	"image/jpeg"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cardbridge/sansanhubspot/sansan/sansantest"
	"github.com/google/go-cmp/cmp"
)

func TestGetBizCardWireFormat(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tag := e.fake.AddTag(sansantest.Tag{Name: "コンサルタント", Type: sansantest.TagTypePublic, OwnerID: "alice"})
	c := e.fake.AddCard(sansantest.Card{
		OwnerID:        "alice",
		ExchangeDate:   s("2015-08-21"),
		RegisteredTime: time.Date(2015, 8, 21, 2, 29, 39, 0, time.UTC), // 11:29:39 JST
		LastName:       s("伊藤"), FirstName: s("花子"),
		LastNameReading: s("イトウ"), FirstNameReading: s("ハナコ"),
		DepartmentName: s("情報システム部"),
		Email:          s("ito@example.com"), Mobile: s("080-0000-0000"),
		CompanyName: s("株式会社 ITO"), CountryCode: s("JP"), PostalCode: s("1000001"),
		Address:    s("東京都台東区池之端 1-1 ビル 101"),
		Prefecture: s("東京都"), City: s("台東区"), Street: s("池之端 1-1"), Building: s("ビル 101"),
		Tel: s("0120-000-0000"), Fax: s("0120-100-0000"), URL: s("http://ito.example.com"),
		Memo: s("セミナーで名刺交換"),
	})
	if err := e.fake.TagCard(c.ID, tag.ID); err != nil {
		t.Fatal(err)
	}

	r := e.get(t, aliceKey, "bizCards/"+c.ID, "")
	mustStatus(t, r, http.StatusOK)
	if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("Content-Type = %q", ct)
	}
	got := decode[map[string]map[string]any](t, r)["item"]
	want := map[string]any{
		"id": c.ID, "companyId": c.CompanyID, "personId": c.PersonID,
		"exchangeDate":   "2015-08-21",
		"registeredTime": "2015-08-21T11:29:39+09:00",
		"updatedTime":    "2015-08-21T11:29:39+09:00",
		"owner":          map[string]any{"id": "alice", "name": "伊藤 花子", "email": "ito@example.com"},
		"lastName":       "伊藤", "firstName": "花子", "lastNameReading": "イトウ", "firstNameReading": "ハナコ",
		"departmentName": "情報システム部", "title": nil,
		"email": "ito@example.com", "mobile": "080-0000-0000",
		"companyName": "株式会社 ITO", "countryCode": "JP", "postalCode": "1000001",
		"address":    "東京都台東区池之端 1-1 ビル 101",
		"prefecture": "東京都", "city": "台東区", "street": "池之端 1-1", "building": "ビル 101",
		"tel": "0120-000-0000", "secondTel": nil, "fax": "0120-100-0000",
		"url": "http://ito.example.com", "memo": "セミナーで名刺交換",
		"entryStatus": "completed",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("GET bizCards/{id} (-want +got):\n%s", diff)
	}
	for _, id := range []string{c.ID, c.PersonID, c.CompanyID} {
		if len(id) != 32 || strings.ToUpper(id) != id {
			t.Errorf("generated id %q is not 32 upper-case characters", id)
		}
	}

	r = e.get(t, aliceKey, "bizCards/"+c.ID, "includeTags=true")
	mustStatus(t, r, http.StatusOK)
	gotTags := decode[map[string]map[string]any](t, r)["item"]["tags"]
	wantTags := []any{map[string]any{
		"id": tag.ID, "name": "コンサルタント", "type": "public",
		"owner": map[string]any{"id": "alice", "name": "伊藤 花子", "email": "ito@example.com"},
	}}
	if diff := cmp.Diff(wantTags, gotTags); diff != "" {
		t.Errorf("tags (-want +got):\n%s", diff)
	}
}

func TestErrors(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	c := e.fake.AddCard(card("alice", "伊藤", "花子", time.Time{}))
	tests := []struct {
		name, method, key, path, query string
		want                           int
		code                           string
	}{
		{"no key", http.MethodGet, "", "me", "", 401, "Unauthorized"},
		{"bad key", http.MethodGet, "WRONGKEYWRONGKEYWRONGKEYWRONGKEY", "bizCards/" + c.ID, "", 401, "Unauthorized"},
		{"no key beats bad params", http.MethodGet, "", "bizCards", "", 401, "Unauthorized"},
		{"unknown card", http.MethodGet, aliceKey, "bizCards/0000000000000000000000000000DEAD", "", 404, "NotFound"},
		{"unknown card image", http.MethodGet, aliceKey, "bizCards/0000000000000000000000000000DEAD/image", "", 404, "NotFound"},
		{"unknown card tags", http.MethodGet, aliceKey, "bizCards/0000000000000000000000000000DEAD/tags", "", 404, "NotFound"},
		{"unknown person", http.MethodGet, aliceKey, "persons/0000000000000000000000000000DEAD", "", 404, "NotFound"},
		{"card of an owner the user CanSee", http.MethodGet, bobKey, "bizCards/" + c.ID, "", 200, ""},
		{"unknown path", http.MethodGet, aliceKey, "contacts", "", 404, "NotFound"},
		{"method not allowed", http.MethodDelete, aliceKey, "bizCards/" + c.ID, "", 405, "MethodNotAllowed"},
		{"bad image side", http.MethodGet, aliceKey, "bizCards/" + c.ID + "/image", "side=top", 400, "InvalidParameter"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := e.do(t, tt.method, tt.key, tt.path, tt.query, "", nil)
			mustStatus(t, r, tt.want)
			if tt.code == "" {
				return
			}
			assertErrorBody(t, r, tt.want, tt.code)
		})
	}
}

func TestVisibilityOfSingleCard(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	c := e.fake.AddCard(card("bob", "佐藤", "次郎", time.Time{}))
	// alice may not see bob's card; admin sees everything.
	mustStatus(t, e.get(t, aliceKey, "bizCards/"+c.ID, ""), http.StatusNotFound)
	mustStatus(t, e.get(t, adminKey, "bizCards/"+c.ID, ""), http.StatusOK)
	mustStatus(t, e.get(t, adminKey, "persons/"+c.PersonID, ""), http.StatusOK)
	mustStatus(t, e.get(t, aliceKey, "persons/"+c.PersonID, ""), http.StatusNotFound)
}

type errorBody struct {
	StatusCode *int    `json:"statusCode"`
	Message    *string `json:"message"`
	Error      []struct {
		Code string `json:"code"`
	} `json:"error"`
}

func assertErrorBody(t *testing.T, r response, status int, code string) {
	t.Helper()
	body := decode[errorBody](t, r)
	if body.StatusCode == nil || *body.StatusCode != status {
		t.Errorf("statusCode = %v, want %d (body %s)", body.StatusCode, status, r.body)
	}
	if body.Message == nil || *body.Message == "" {
		t.Errorf("message missing in %s", r.body)
	}
	if len(body.Error) != 1 || body.Error[0].Code != code {
		t.Errorf("error = %+v, want [{code:%s}]", body.Error, code)
	}
	if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("Content-Type = %q", ct)
	}
}

func TestMe(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	r := e.get(t, aliceKey, "me", "")
	mustStatus(t, r, http.StatusOK)
	want := map[string]any{"item": map[string]any{"id": "alice", "name": "伊藤 花子", "email": "ito@example.com"}}
	if diff := cmp.Diff(want, decode[map[string]any](t, r)); diff != "" {
		t.Errorf("GET me (-want +got):\n%s", diff)
	}
}

func TestWrongVersionPath(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	if !strings.HasSuffix(e.srv.URL, "/v3.2/") {
		t.Fatalf("URL = %q, want the /v3.2/ base", e.srv.URL)
	}
	root := strings.TrimSuffix(e.srv.URL, "v3.2/")
	for _, u := range []string{root + "me", root + "v2.0/me", root + "v3.2//me"} {
		req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, u, nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("X-Sansan-Api-Key", aliceKey)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusNotFound {
			t.Errorf("GET %s = %d, want 404", u, resp.StatusCode)
		}
	}
	if got := e.fake.Requests()["GET (unmatched)"]; got != 3 {
		t.Errorf("unmatched count = %d, want 3", got)
	}
}

func TestImage(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	c := e.fake.AddCard(card("alice", "伊藤", "花子", time.Time{}))
	for _, q := range []string{"", "side=front", "side=back"} {
		r := e.get(t, aliceKey, "bizCards/"+c.ID+"/image", q)
		mustStatus(t, r, http.StatusOK)
		if ct := r.header.Get("Content-Type"); ct != "image/jpeg" {
			t.Errorf("Content-Type = %q, want image/jpeg", ct)
		}
		img, err := jpeg.Decode(bytes.NewReader(r.body))
		if err != nil {
			t.Fatalf("image is not a JPEG: %v", err)
		}
		if b := img.Bounds(); b.Dx() <= b.Dy() {
			t.Errorf("image %v is not landscape", b)
		}
		if !bytes.Equal(r.body, sansantest.CardImage()) {
			t.Error("served bytes differ from CardImage()")
		}
	}
}

func TestCardTagsAndTags(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	pub := e.fake.AddTag(sansantest.Tag{Name: "展示会", Type: sansantest.TagTypePublic, OwnerID: "admin"})
	shared := e.fake.AddTag(sansantest.Tag{Name: "重要顧客", Type: sansantest.TagTypeShared, OwnerID: "admin"})
	alicePriv := e.fake.AddTag(sansantest.Tag{Name: "要フォロー", Type: sansantest.TagTypePrivate, OwnerID: "alice"})
	bobPriv := e.fake.AddTag(sansantest.Tag{Name: "個人メモ", Type: sansantest.TagTypePrivate, OwnerID: "bob"})
	alicePub := e.fake.AddTag(sansantest.Tag{Name: "アリス公開", Type: sansantest.TagTypePublic, OwnerID: "alice"})
	c := e.fake.AddCard(card("alice", "伊藤", "花子", time.Time{}))
	for _, id := range []string{pub.ID, alicePriv.ID, bobPriv.ID} {
		if err := e.fake.TagCard(c.ID, id); err != nil {
			t.Fatal(err)
		}
	}
	if err := e.fake.TagCard(c.ID, "nope"); err == nil {
		t.Error("TagCard with unknown tag: want error")
	}

	tests := []struct {
		name, key, path, query string
		want                   []string
	}{
		{"card tags hide other users' private tags", aliceKey, "bizCards/" + c.ID + "/tags", "", []string{pub.ID, alicePriv.ID}},
		{"card tags seen by admin", adminKey, "bizCards/" + c.ID + "/tags", "", []string{pub.ID}},
		{"tags default range=me", aliceKey, "tags", "", []string{alicePriv.ID, alicePub.ID}},
		{"tags range=all", aliceKey, "tags", "range=all", []string{pub.ID, shared.ID, alicePriv.ID, alicePub.ID}},
		{"tags range=all public+shared", aliceKey, "tags", "range=all&type=public&type=shared", []string{pub.ID, shared.ID, alicePub.ID}},
		{"tags type=shared", bobKey, "tags", "range=all&type=shared", []string{shared.ID}},
		{"tags ownerUserId", bobKey, "tags", "range=all&ownerUserId=alice", []string{alicePub.ID}},
		{"tags tagName partial", aliceKey, "tags", "range=all&tagName=" + "フォロー", []string{alicePriv.ID}},
		{"tags paging", aliceKey, "tags", "range=all&limit=1", []string{pub.ID, shared.ID, alicePriv.ID, alicePub.ID}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := ids(e.listAll(t, tt.key, tt.path, tt.query))
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("ids (-want +got):\n%s", diff)
			}
		})
	}

	bad := []string{"type=public,shared", "type=secret", "range=everyone", "limit=101", "limit=301", "limit=0", "limit=x"}
	for _, q := range bad {
		r := e.get(t, aliceKey, "tags", q)
		mustStatus(t, r, http.StatusBadRequest)
		assertErrorBody(t, r, 400, "InvalidParameter")
	}
	mustStatus(t, e.get(t, aliceKey, "bizCards/"+c.ID+"/tags", "limit=101"), http.StatusBadRequest)
}

func TestPersons(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	base := time.Date(2024, 1, 1, 10, 0, 0, 0, jst)
	old := card("alice", "山田", "太郎", base)
	old.ExchangeDate = s("2020-04-01")
	old = e.fake.AddCard(old)
	newer := card("alice", "山田", "太郎", base.Add(-time.Hour)) // registered earlier, exchanged later
	newer.PersonID = old.PersonID
	newer.ExchangeDate = s("2023-10-10")
	newer = e.fake.AddCard(newer)
	undated := card("alice", "山田", "太郎", base.Add(time.Hour))
	undated.PersonID = old.PersonID
	e.fake.AddCard(undated)

	r := e.get(t, aliceKey, "persons/"+old.PersonID, "")
	mustStatus(t, r, http.StatusOK)
	type person struct {
		Item struct {
			ID          string         `json:"id"`
			HeadBizCard map[string]any `json:"headBizCard"`
		} `json:"item"`
	}
	body := decode[person](t, r)
	if body.Item.ID != old.PersonID || body.Item.HeadBizCard["id"] != newer.ID {
		t.Errorf("person = %s head %v, want %s head %s", body.Item.ID, body.Item.HeadBizCard["id"], old.PersonID, newer.ID)
	}
	if _, ok := body.Item.HeadBizCard["tags"]; ok {
		t.Error("headBizCard has tags without includeTags")
	}
}

func TestCounters(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	c := e.fake.AddCard(card("alice", "伊藤", "花子", time.Time{}))
	e.get(t, aliceKey, "bizCards/"+c.ID, "")
	e.get(t, "", "bizCards/"+c.ID, "") // 401 counts too
	e.get(t, aliceKey, "bizCards/"+c.PersonID, "")
	e.get(t, aliceKey, "bizCards", "") // 400 counts too
	e.get(t, aliceKey, "bizCards/"+c.ID+"/image", "")
	e.get(t, aliceKey, "me", "")
	want := map[string]int{
		"GET /bizCards/{id}":       3,
		"GET /bizCards":            1,
		"GET /bizCards/{id}/image": 1,
		"GET /me":                  1,
	}
	if diff := cmp.Diff(want, e.fake.Requests()); diff != "" {
		t.Errorf("Requests (-want +got):\n%s", diff)
	}
	if got := e.fake.TotalRequests(); got != 6 {
		t.Errorf("TotalRequests = %d, want 6", got)
	}
	e.fake.ResetCounters()
	if got := e.fake.TotalRequests(); got != 0 || len(e.fake.Requests()) != 0 {
		t.Errorf("after reset: total %d, map %v", got, e.fake.Requests())
	}
}

func TestMutationAPI(t *testing.T) {
	t.Parallel()
	clock := newClock()
	f := sansantest.New(sansantest.WithClock(clock.Now))
	c := f.AddCard(sansantest.Card{OwnerID: "alice", LastName: s("伊藤")})
	if !c.RegisteredTime.Equal(clock.Now()) || !c.UpdatedTime.Equal(clock.Now()) || c.EntryStatus != "completed" {
		t.Errorf("defaults not filled: %+v", c)
	}
	// A frozen clock still yields a strictly later updatedTime.
	u, err := f.UpdateCard(c.ID, func(c *sansantest.Card) { c.Title = s("部長") })
	if err != nil {
		t.Fatal(err)
	}
	if !u.UpdatedTime.After(c.UpdatedTime) || u.Title == nil || *u.Title != "部長" {
		t.Errorf("UpdateCard = %+v", u)
	}
	clock.Advance(time.Hour)
	u2, _ := f.UpdateCard(c.ID, nil)
	if !u2.UpdatedTime.Equal(clock.Now()) {
		t.Errorf("updatedTime = %v, want %v", u2.UpdatedTime, clock.Now())
	}
	if got, ok := f.Card(c.ID); !ok || !got.UpdatedTime.Equal(u2.UpdatedTime) {
		t.Errorf("Card = %+v, %v", got, ok)
	}
	if _, err := f.UpdateCard("missing", nil); err == nil {
		t.Error("UpdateCard(missing): want error")
	}
	if err := f.DeleteCard(c.ID); err != nil {
		t.Fatal(err)
	}
	if _, ok := f.Card(c.ID); ok {
		t.Error("card still present after delete")
	}
	if err := f.DeleteCard(c.ID); err == nil {
		t.Error("second delete: want error")
	}
	if n := len(f.Cards()); n != 0 {
		t.Errorf("Cards() has %d cards", n)
	}
}

func TestIndexStaysSortedUnderMutation(t *testing.T) {
	t.Parallel()
	clock := newClock()
	f := sansantest.New(sansantest.WithClock(clock.Now))
	f.Seed(sansantest.GenerateOptions{Seed: 3, Cards: 300})
	all := f.Cards()
	for i, c := range all {
		clock.Advance(time.Duration(i%7) * time.Second)
		switch i % 3 {
		case 0:
			if _, err := f.UpdateCard(c.ID, nil); err != nil {
				t.Fatal(err)
			}
		case 1:
			if err := f.DeleteCard(c.ID); err != nil {
				t.Fatal(err)
			}
		}
	}
	got := f.Cards()
	if len(got) != 200 {
		t.Fatalf("len = %d, want 200", len(got))
	}
	if !slices.IsSortedFunc(got, func(a, b sansantest.Card) int {
		if c := a.UpdatedTime.Compare(b.UpdatedTime); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	}) {
		t.Error("Cards() not sorted by (updatedTime, id)")
	}
}

func TestWithVersion(t *testing.T) {
	t.Parallel()
	srv := sansantest.NewTestServer(t, sansantest.WithVersion("v6.0"))
	srv.Fake.AddUser(sansantest.User{ID: "alice", APIKey: aliceKey})
	if !strings.HasSuffix(srv.URL, "/v6.0/") {
		t.Fatalf("URL = %q", srv.URL)
	}
	e := &env{srv: srv, fake: srv.Fake}
	mustStatus(t, e.get(t, aliceKey, "me", ""), http.StatusOK)
	mustStatus(t, e.get(t, aliceKey, "../v3.2/me", ""), http.StatusNotFound)
}
