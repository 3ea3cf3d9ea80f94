package sansan

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/jarcoal/httpmock"
)

var ito = &User{ID: "ito", Name: "伊藤花子", Email: "ito@example.com"}

func at(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

// wantCard1 is the first card of bizcards_page1.json.
func wantCard1() *BizCard {
	return &BizCard{
		ID:               "37171BA646FD16C8F0960DE7403AAAAA",
		CompanyID:        "DLED3O4OE0MA78DQLWO21DBGE5GAAAAA",
		PersonID:         "F11E1A1B94EE2B4AB3F01A30C17AAAAA",
		ExchangeDate:     &Date{2024, time.April, 1},
		RegisteredTime:   at("2024-04-01T00:30:00+09:00"),
		UpdatedTime:      at("2024-04-02T09:15:42+09:00"),
		Owner:            ito,
		LastName:         Ptr("伊藤"),
		FirstName:        Ptr("花子"),
		LastNameReading:  Ptr("イトウ"),
		FirstNameReading: Ptr("ハナコ"),
		DepartmentName:   Ptr("情報システム部"),
		Title:            nil,
		Email:            Ptr("hanako.ito@example.co.jp"),
		Mobile:           Ptr("080-0000-0000"),
		CompanyName:      Ptr("株式会社 ITO"),
		CountryCode:      Ptr("JP"),
		PostalCode:       Ptr("1100008"),
		Address:          Ptr("東京都台東区池之端 1-1 ビル 101"),
		Prefecture:       Ptr("東京都"),
		City:             Ptr("台東区"),
		Street:           Ptr("池之端 1-1"),
		Building:         Ptr("ビル 101"),
		Tel:              Ptr("03-0000-0000"),
		SecondTel:        Ptr(""),
		Fax:              Ptr("03-0000-0001"),
		URL:              Ptr("https://ito.example.co.jp"),
		Memo:             Ptr("セミナーで名刺交換"),
		EntryStatus:      EntryStatusCompleted,
		Tags: []Tag{{
			ID:    "DLED3O4OE0MA78DQLWO21DBGE5GG8HYV",
			Name:  "展示会2024",
			Type:  TagTypeShared,
			Owner: ito,
		}},
	}
}

// wantCard2 is the second card of bizcards_page1.json: mostly nulls.
func wantCard2() *BizCard {
	return &BizCard{
		ID:             "A0000000000000000000000000000002",
		CompanyID:      "B0000000000000000000000000000002",
		PersonID:       "C0000000000000000000000000000002",
		RegisteredTime: at("2024-04-02T23:59:59+09:00"),
		UpdatedTime:    at("2024-04-02T23:59:59+09:00"),
		Owner:          &User{ID: "sato", Name: "佐藤一郎"},
		LastName:       Ptr("山田"),
		Title:          Ptr("代表取締役"),
		CompanyName:    Ptr("有限会社ＡＢＣ"),
		EntryStatus:    EntryStatusProcessing,
	}
}

// wantCard3 is the card of bizcards_page2.json and bizcard.json.
func wantCard3() *BizCard {
	return &BizCard{
		ID:             "A0000000000000000000000000000003",
		CompanyID:      "B0000000000000000000000000000003",
		PersonID:       "C0000000000000000000000000000003",
		ExchangeDate:   &Date{2023, time.December, 31},
		RegisteredTime: at("2024-01-01T00:00:00+09:00"),
		UpdatedTime:    at("2024-04-03T08:00:00+09:00"),
		Owner:          ito,
		LastName:       Ptr("鈴木"),
		FirstName:      Ptr("次郎"),
		Email:          Ptr("jiro@example.jp"),
		CompanyName:    Ptr("一般社団法人 テスト協会"),
		EntryStatus:    EntryStatusCompleted,
		Tags:           []Tag{},
	}
}

func wantTags1() []*Tag {
	return []*Tag{
		{ID: "T0000000000000000000000000000001", Name: "展示会2024", Type: TagTypeShared, Owner: ito},
		{ID: "T0000000000000000000000000000002", Name: "重要顧客", Type: TagTypePublic, Owner: &User{ID: "sato", Name: "佐藤一郎"}},
	}
}

var (
	window = ListBizCardsOptions{
		UpdatedFrom: time.Date(2024, 4, 1, 0, 0, 0, 0, JST),
		UpdatedTo:   time.Date(2024, 4, 3, 12, 30, 15, 0, JST),
	}
	windowQuery = "updatedFrom=2024-04-01T00%3A00%3A00%2B09%3A00&updatedTo=2024-04-03T12%3A30%3A15%2B09%3A00"
)

// TestEndpoints checks, for every endpoint, the method, the path under a
// non-root base, the exact query, and the decoded result.
func TestEndpoints(t *testing.T) {
	t.Parallel()
	full := window
	full.Range = RangeAll
	full.EntryStatus = []EntryStatus{EntryStatusCompleted, EntryStatusUnreadable}
	full.IncludePastBizCards = true
	full.IncludeTags = true
	full.OrderBy = OrderByUpdatedAt
	full.OrderDirection = OrderAsc
	full.Limit = 300
	full.NextPageToken = "tok+/=p2"

	utc := ListBizCardsOptions{
		// 15:30 UTC on March 31 is 00:30 JST on April 1.
		UpdatedFrom: time.Date(2024, 3, 31, 15, 30, 0, 999, time.UTC),
		UpdatedTo:   time.Date(2024, 4, 1, 15, 30, 0, 0, time.UTC),
	}

	tests := []struct {
		name    string
		method  string
		path    string // relative to testBase
		query   string
		fixture string
		call    func(context.Context, *Client) (any, *Response, error)
		want    any
		more    bool
		next    string
	}{
		{
			name: "list window only", method: "GET", path: "bizCards", query: windowQuery,
			fixture: "bizcards_page1.json",
			call: func(ctx context.Context, c *Client) (any, *Response, error) {
				o := window
				return c.BizCards.List(ctx, &o)
			},
			want: []*BizCard{wantCard1(), wantCard2()}, more: true, next: "tok+/=p2",
		},
		{
			name: "list all options", method: "GET", path: "bizCards",
			query: "entryStatus=completed&entryStatus=unreadable&includePastBizCards=true&includeTags=true&limit=300" +
				"&nextPageToken=tok%2B%2F%3Dp2&orderBy=updatedAt&orderDirection=asc&range=all&" + windowQuery,
			fixture: "bizcards_page2.json",
			call: func(ctx context.Context, c *Client) (any, *Response, error) {
				return c.BizCards.List(ctx, &full)
			},
			want: []*BizCard{wantCard3()},
		},
		{
			name: "list times converted to JST", method: "GET", path: "bizCards",
			query:   "updatedFrom=2024-04-01T00%3A30%3A00%2B09%3A00&updatedTo=2024-04-02T00%3A30%3A00%2B09%3A00",
			fixture: "bizcards_empty.json",
			call: func(ctx context.Context, c *Client) (any, *Response, error) {
				return c.BizCards.List(ctx, &utc)
			},
			want: []*BizCard{},
		},
		{
			name: "search no condition", method: "GET", path: "bizCards/search", query: "",
			fixture: "bizcards_page2.json",
			call: func(ctx context.Context, c *Client) (any, *Response, error) {
				return c.BizCards.Search(ctx, nil)
			},
			want: []*BizCard{wantCard3()},
		},
		{
			name: "search conditions", method: "GET", path: "bizCards/search",
			query: "companyName=%E6%A0%AA%E5%BC%8F%E4%BC%9A%E7%A4%BE+ITO&email=a%2Bb%40example.jp&entryStatus=completed" +
				"&includeTags=true&limit=50&mobile=080&name=%E4%BC%8A%E8%97%A4%E8%8A%B1%E5%AD%90&orderBy=registeredAt" +
				"&orderDirection=desc&range=all&tagId=T1&tagId=T2&tel=03-0000",
			fixture: "bizcards_page1.json",
			call: func(ctx context.Context, c *Client) (any, *Response, error) {
				return c.BizCards.Search(ctx, &SearchBizCardsOptions{
					CompanyName:     "株式会社 ITO",
					Name:            "伊藤花子",
					Email:           "a+b@example.jp",
					Tel:             "03-0000",
					Mobile:          "080",
					TagIDs:          []string{"T1", "T2"},
					CardListOptions: CardListOptions{Range: RangeAll, EntryStatus: []EntryStatus{EntryStatusCompleted}, IncludeTags: true, OrderBy: OrderByRegisteredAt, OrderDirection: OrderDesc, ListOptions: ListOptions{Limit: 50}},
				})
			},
			want: []*BizCard{wantCard1(), wantCard2()}, more: true, next: "tok+/=p2",
		},
		{
			name: "get card", method: "GET", path: "bizCards/A0000000000000000000000000000003", fixture: "bizcard.json",
			call: func(ctx context.Context, c *Client) (any, *Response, error) {
				return c.BizCards.Get(ctx, "A0000000000000000000000000000003")
			},
			want: wantCard3(),
		},
		{
			name: "get card escapes id", method: "GET", path: "bizCards/a%2Fb%3F", fixture: "bizcard.json",
			call: func(ctx context.Context, c *Client) (any, *Response, error) {
				return c.BizCards.Get(ctx, "a/b?")
			},
			want: wantCard3(),
		},
		{
			name: "card tags", method: "GET", path: "bizCards/37171BA646FD16C8F0960DE7403AAAAA/tags", query: "limit=100",
			fixture: "card_tags.json",
			call: func(ctx context.Context, c *Client) (any, *Response, error) {
				return c.BizCards.Tags(ctx, "37171BA646FD16C8F0960DE7403AAAAA", &ListOptions{Limit: 100})
			},
			want: []*Tag{{ID: "DLED3O4OE0MA78DQLWO21DBGE5GG8HYV", Name: "コンサルタント", Type: TagTypePrivate, Owner: ito}},
		},
		{
			name: "person", method: "GET", path: "persons/F11E1A1B94EE2B4AB3F01A30C17AAAAA", fixture: "person.json",
			call: func(ctx context.Context, c *Client) (any, *Response, error) {
				return c.Persons.Get(ctx, "F11E1A1B94EE2B4AB3F01A30C17AAAAA")
			},
			want: &Person{ID: "F11E1A1B94EE2B4AB3F01A30C17AAAAA", HeadBizCard: &BizCard{
				ID: "37171BA646FD16C8F0960DE7403AAAAA", CompanyID: "DLED3O4OE0MA78DQLWO21DBGE5GAAAAA",
				PersonID: "F11E1A1B94EE2B4AB3F01A30C17AAAAA", ExchangeDate: &Date{2024, time.April, 1},
				RegisteredTime: at("2024-04-01T00:30:00+09:00"), UpdatedTime: at("2024-04-02T09:15:42+09:00"),
				Owner: ito, LastName: Ptr("伊藤"), FirstName: Ptr("花子"), Email: Ptr("hanako.ito@example.co.jp"),
				CompanyName: Ptr("株式会社 ITO"), EntryStatus: EntryStatusCompleted,
			}},
		},
		{
			name: "tags public and shared", method: "GET", path: "tags", query: "range=all&type=public&type=shared",
			fixture: "tags_page1.json",
			call: func(ctx context.Context, c *Client) (any, *Response, error) {
				return c.Tags.List(ctx, &ListTagsOptions{Types: []TagType{TagTypePublic, TagTypeShared}, Range: RangeAll})
			},
			want: wantTags1(), more: true, next: "tags-2",
		},
		{
			name: "tags all filters", method: "GET", path: "tags",
			query:   "limit=100&nextPageToken=tags-2&ownerUserId=ito&tagName=%E5%B1%95%E7%A4%BA%E4%BC%9A&type=private",
			fixture: "tags_page2.json",
			call: func(ctx context.Context, c *Client) (any, *Response, error) {
				return c.Tags.List(ctx, &ListTagsOptions{
					Types:       []TagType{TagTypePrivate},
					OwnerUserID: "ito",
					TagName:     "展示会",
					ListOptions: ListOptions{Limit: 100, NextPageToken: "tags-2"},
				})
			},
			want: []*Tag{{ID: "T0000000000000000000000000000003", Name: "セミナー", Type: TagTypeShared, Owner: ito}},
		},
		{
			name: "me", method: "GET", path: "me", fixture: "me.json",
			call: func(ctx context.Context, c *Client) (any, *Response, error) {
				return c.Users.Me(ctx)
			},
			want: ito,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, mt, _ := setup(t)
			mt.RegisterResponder(tt.method, testBase+tt.path, reply(t, tt.query, http.StatusOK, fixture(t, tt.fixture)))
			got, resp, err := tt.call(t.Context(), c)
			if err != nil {
				t.Fatalf("call: %v", err)
			}
			if d := diff(tt.want, got); d != "" {
				t.Errorf("result mismatch (-want +got):\n%s", d)
			}
			if resp == nil || resp.StatusCode != http.StatusOK {
				t.Fatalf("response = %+v, want 200", resp)
			}
			if resp.HasMore != tt.more || resp.NextPageToken != tt.next {
				t.Errorf("paging = (%v, %q), want (%v, %q)", resp.HasMore, resp.NextPageToken, tt.more, tt.next)
			}
			if n := calls(mt, tt.method+" "+testBase+tt.path); n != 1 {
				t.Errorf("%d calls, want 1", n)
			}
			if n := c.Requests(); n != 1 {
				t.Errorf("Requests() = %d, want 1", n)
			}
		})
	}
}

// TestRawKept checks that each decoded card keeps its own JSON, unknown
// fields included.
func TestRawKept(t *testing.T) {
	t.Parallel()
	c, mt, _ := setup(t)
	mt.RegisterResponder("GET", testBase+"bizCards", reply(t, windowQuery, 200, fixture(t, "bizcards_page1.json")))
	cards, _, err := c.BizCards.List(t.Context(), &window)
	if err != nil {
		t.Fatal(err)
	}
	var page struct{ Data []json.RawMessage }
	if err := json.Unmarshal(fixture(t, "bizcards_page1.json"), &page); err != nil {
		t.Fatal(err)
	}
	if len(cards) != len(page.Data) {
		t.Fatalf("%d cards, want %d", len(cards), len(page.Data))
	}
	for i, card := range cards {
		if string(card.Raw) != string(page.Data[i]) {
			t.Errorf("card %d Raw = %s\nwant %s", i, card.Raw, page.Data[i])
		}
	}
	var extra struct {
		FutureField struct{ Added string } `json:"futureField"`
	}
	if err := json.Unmarshal(cards[1].Raw, &extra); err != nil || extra.FutureField.Added != "in v9.9" {
		t.Errorf("future field from Raw = %+v, %v", extra, err)
	}
}

// TestHeaders checks the authentication and client headers.
func TestHeaders(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		opts      []Option
		wantAppID []string
		wantUA    string
	}{
		{name: "defaults", wantUA: DefaultUserAgent},
		{name: "app id and agent", opts: []Option{WithAppID("App123"), WithUserAgent("my-sync/1.0")}, wantAppID: []string{"App123"}, wantUA: "my-sync/1.0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, mt, _ := setup(t, tt.opts...)
			var got http.Header
			mt.RegisterResponder("GET", testBase+"me", func(req *http.Request) (*http.Response, error) {
				got = req.Header.Clone()
				return httpmock.NewBytesResponse(200, fixture(t, "me.json")), nil
			})
			if _, _, err := c.Users.Me(t.Context()); err != nil {
				t.Fatal(err)
			}
			if k := got.Values(HeaderAPIKey); len(k) != 1 || k[0] != testKey {
				t.Errorf("api key header = %q", k)
			}
			if d := cmp.Diff(tt.wantAppID, got.Values(HeaderAppID)); d != "" {
				t.Errorf("app id header (-want +got):\n%s", d)
			}
			if ua := got.Get("User-Agent"); ua != tt.wantUA {
				t.Errorf("User-Agent = %q, want %q", ua, tt.wantUA)
			}
			if a := got.Get("Accept"); a != "application/json" {
				t.Errorf("Accept = %q", a)
			}
		})
	}
}

// TestBadArguments checks that invalid requests fail before any I/O.
func TestBadArguments(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		call func(context.Context, *Client) error
	}{
		{"list nil options", func(ctx context.Context, c *Client) error { _, _, err := c.BizCards.List(ctx, nil); return err }},
		{"list no window", func(ctx context.Context, c *Client) error {
			_, _, err := c.BizCards.List(ctx, &ListBizCardsOptions{CardListOptions: CardListOptions{Range: RangeAll}})
			return err
		}},
		{"list no end", func(ctx context.Context, c *Client) error {
			_, _, err := c.BizCards.List(ctx, &ListBizCardsOptions{UpdatedFrom: window.UpdatedFrom})
			return err
		}},
		{"list reversed window", func(ctx context.Context, c *Client) error {
			_, _, err := c.BizCards.List(ctx, &ListBizCardsOptions{UpdatedFrom: window.UpdatedTo, UpdatedTo: window.UpdatedFrom})
			return err
		}},
		{"list sub-second window", func(ctx context.Context, c *Client) error {
			from := window.UpdatedFrom
			_, _, err := c.BizCards.List(ctx, &ListBizCardsOptions{UpdatedFrom: from, UpdatedTo: from.Add(500 * time.Millisecond)})
			return err
		}},
		{"list limit too big", func(ctx context.Context, c *Client) error {
			o := window
			o.Limit = 301
			_, _, err := c.BizCards.List(ctx, &o)
			return err
		}},
		{"list iter bad options", func(ctx context.Context, c *Client) error {
			for _, err := range c.BizCards.ListIter(ctx, nil) {
				return err
			}
			return nil
		}},
		{"search negative limit", func(ctx context.Context, c *Client) error {
			_, _, err := c.BizCards.Search(ctx, &SearchBizCardsOptions{CardListOptions: CardListOptions{ListOptions: ListOptions{Limit: -1}}})
			return err
		}},
		{"tags limit", func(ctx context.Context, c *Client) error {
			_, _, err := c.Tags.List(ctx, &ListTagsOptions{ListOptions: ListOptions{Limit: 1000}})
			return err
		}},
		{"tags limit above 100", func(ctx context.Context, c *Client) error {
			_, _, err := c.Tags.List(ctx, &ListTagsOptions{ListOptions: ListOptions{Limit: MaxTagLimit + 1}})
			return err
		}},
		{"card tags limit above 100", func(ctx context.Context, c *Client) error {
			_, _, err := c.BizCards.Tags(ctx, "X", &ListOptions{Limit: MaxTagLimit + 1})
			return err
		}},
		{"card tags limit", func(ctx context.Context, c *Client) error {
			_, _, err := c.BizCards.Tags(ctx, "X", &ListOptions{Limit: -5})
			return err
		}},
		{"get empty id", func(ctx context.Context, c *Client) error { _, _, err := c.BizCards.Get(ctx, ""); return err }},
		{"get dot-dot id", func(ctx context.Context, c *Client) error { _, _, err := c.BizCards.Get(ctx, ".."); return err }},
		{"image empty id", func(ctx context.Context, c *Client) error { _, _, err := c.BizCards.Image(ctx, ""); return err }},
		{"card tags empty id", func(ctx context.Context, c *Client) error { _, _, err := c.BizCards.Tags(ctx, "", nil); return err }},
		{"person empty id", func(ctx context.Context, c *Client) error { _, _, err := c.Persons.Get(ctx, ""); return err }},
		{"register nil", func(ctx context.Context, c *Client) error { _, _, err := c.BizCards.Register(ctx, nil); return err }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, mt, _ := setup(t)
			err := tt.call(t.Context(), c)
			if !errors.Is(err, ErrInvalidArgument) {
				t.Errorf("err = %v, want ErrInvalidArgument", err)
			}
			if n := mt.GetTotalCallCount(); n != 0 {
				t.Errorf("%d requests sent, want 0", n)
			}
		})
	}
}

func TestImage(t *testing.T) {
	t.Parallel()
	jpeg := fixture(t, "card.jpg")
	tests := []struct {
		name        string
		contentType string
		body        []byte
		wantErr     string
	}{
		{name: "jpeg", contentType: "image/jpeg", body: jpeg},
		{name: "no content type", body: jpeg},
		{name: "json instead of image", contentType: "application/json", body: []byte(`{"item":{}}`), wantErr: "expected an image"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, mt, _ := setup(t)
			mt.RegisterResponder("GET", testBase+"bizCards/37171BA646FD16C8F0960DE7403AAAAA/image", func(req *http.Request) (*http.Response, error) {
				if a := req.Header.Values("Accept"); !strings.Contains(strings.Join(a, ","), "image/*") {
					t.Errorf("Accept = %q, want image/*", a)
				}
				r := httpmock.NewBytesResponse(200, tt.body)
				if tt.contentType != "" {
					r.Header.Set("Content-Type", tt.contentType)
				}
				return r, nil
			})
			got, resp, err := c.BizCards.Image(t.Context(), "37171BA646FD16C8F0960DE7403AAAAA")
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				if resp == nil {
					t.Error("no response returned with the error")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != string(tt.body) {
				t.Errorf("image = %x, want %x", got, tt.body)
			}
		})
	}
}

func TestRegister(t *testing.T) {
	t.Parallel()
	req := &RegisterBizCardRequest{
		ExchangeDate:     &Date{2024, time.April, 1},
		LastName:         Ptr("高橋"),
		FirstName:        Ptr("美咲"),
		LastNameReading:  Ptr("タカハシ"),
		FirstNameReading: Ptr("ミサキ"),
		CompanyName:      Ptr("株式会社サンプル"),
		DepartmentName:   Ptr("営業部"),
		Email:            Ptr("misaki@example.jp"),
		CountryCode:      Ptr("JP"),
		PostalCode:       Ptr("1500001"),
		Prefecture:       Ptr("東京都"),
		City:             Ptr("渋谷区"),
		Street:           Ptr("神宮前 1-2-3"),
		Tel:              Ptr("03-1111-2222"),
		Memo:             Ptr("HubSpot から登録"),
		TagIDs:           []string{"T0000000000000000000000000000001"},
	}
	want := &BizCard{
		ID: "D0000000000000000000000000000009", CompanyID: "E0000000000000000000000000000009",
		PersonID: "F0000000000000000000000000000009", ExchangeDate: &Date{2024, time.April, 1},
		RegisteredTime: at("2024-04-05T10:00:00+09:00"), UpdatedTime: at("2024-04-05T10:00:00+09:00"),
		Owner: ito, LastName: Ptr("高橋"), FirstName: Ptr("美咲"), LastNameReading: Ptr("タカハシ"),
		FirstNameReading: Ptr("ミサキ"), DepartmentName: Ptr("営業部"), Email: Ptr("misaki@example.jp"),
		CompanyName: Ptr("株式会社サンプル"), CountryCode: Ptr("JP"), PostalCode: Ptr("1500001"),
		Prefecture: Ptr("東京都"), City: Ptr("渋谷区"), Street: Ptr("神宮前 1-2-3"), Tel: Ptr("03-1111-2222"),
		Memo: Ptr("HubSpot から登録"), EntryStatus: EntryStatusCompleted,
	}
	tests := []struct {
		name   string
		status int
		body   []byte
		want   *BizCard
	}{
		{name: "item envelope", status: 200, body: fixture(t, "register_response.json"), want: want},
		{name: "created bare card", status: 201, body: bareItem(t, fixture(t, "register_response.json")), want: want},
		{name: "empty body", status: 201, body: nil, want: nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, mt, _ := setup(t)
			mt.RegisterResponder("POST", testBase+"bizCards", func(r *http.Request) (*http.Response, error) {
				if ct := r.Header.Get("Content-Type"); ct != "application/json" {
					t.Errorf("Content-Type = %q", ct)
				}
				var gotBody, wantBody any
				if err := json.NewDecoder(r.Body).Decode(&gotBody); err != nil {
					t.Errorf("decode body: %v", err)
				}
				if err := json.Unmarshal(fixture(t, "register_request.json"), &wantBody); err != nil {
					t.Fatal(err)
				}
				if d := cmp.Diff(wantBody, gotBody); d != "" {
					t.Errorf("body mismatch (-want +got):\n%s", d)
				}
				return httpmock.NewBytesResponse(tt.status, tt.body), nil
			})
			got, resp, err := c.BizCards.Register(t.Context(), req)
			if err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode != tt.status {
				t.Errorf("status = %d", resp.StatusCode)
			}
			if d := diff(tt.want, got); d != "" {
				t.Errorf("card mismatch (-want +got):\n%s", d)
			}
		})
	}
}

// bareItem unwraps {"item": x} to x.
func bareItem(t *testing.T, b []byte) []byte {
	t.Helper()
	var env struct{ Item json.RawMessage }
	if err := json.Unmarshal(b, &env); err != nil {
		t.Fatal(err)
	}
	return env.Item
}

func TestRegisterValidation(t *testing.T) {
	t.Parallel()
	long := func(n int) *string { return Ptr(strings.Repeat("あ", n)) }
	// Length limits (one source) are warnings, not refusals.
	tests := []struct {
		name     string
		req      RegisterBizCardRequest
		ok       bool
		warnings int
	}{
		{name: "no name or company", req: RegisterBizCardRequest{Email: Ptr("a@example.jp")}},
		{name: "empty strings only", req: RegisterBizCardRequest{LastName: Ptr(""), CompanyName: Ptr("")}},
		{name: "company only", req: RegisterBizCardRequest{CompanyName: Ptr("株式会社 ITO")}, ok: true},
		{name: "first name only", req: RegisterBizCardRequest{FirstName: Ptr("花子")}, ok: true},
		{name: "last name 250 kana", req: RegisterBizCardRequest{LastName: long(250)}, ok: true},
		{name: "last name 251 kana", req: RegisterBizCardRequest{LastName: long(251)}, ok: true, warnings: 1},
		{name: "first name too long", req: RegisterBizCardRequest{FirstName: long(251)}, ok: true, warnings: 1},
		{name: "postal code too long", req: RegisterBizCardRequest{LastName: Ptr("a"), PostalCode: Ptr("100-0001-99")}, ok: true, warnings: 1},
		{name: "memo 2000", req: RegisterBizCardRequest{LastName: Ptr("a"), Memo: long(2000)}, ok: true},
		{name: "memo 2001 and a long name", req: RegisterBizCardRequest{LastName: long(300), Memo: long(2001)}, ok: true, warnings: 2},
		{name: "16 tags", req: RegisterBizCardRequest{LastName: Ptr("a"), TagIDs: make([]string, 16)}},
		{name: "empty tag id", req: RegisterBizCardRequest{LastName: Ptr("a"), TagIDs: []string{"T1", ""}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := tt.req.validate()
			if tt.ok != (err == nil) {
				t.Errorf("validate() = %v, want ok=%v", err, tt.ok)
			}
			if w := tt.req.Warnings(); len(w) != tt.warnings {
				t.Errorf("Warnings() = %q, want %d", w, tt.warnings)
			}
			if err != nil && !errors.Is(err, ErrInvalidArgument) {
				t.Errorf("err = %v, want ErrInvalidArgument", err)
			}
		})
	}
}

// TestRegisterUndecodableBody checks that a created card whose response
// cannot be decoded returns the 2xx response with the error.
func TestRegisterUndecodableBody(t *testing.T) {
	t.Parallel()
	c, mt, _ := setup(t)
	mt.RegisterResponder("POST", testBase+"bizCards", httpmock.NewStringResponder(201, `<html>created</html>`))
	card, resp, err := c.BizCards.Register(t.Context(), &RegisterBizCardRequest{CompanyName: Ptr("株式会社 ITO")})
	if err == nil || card != nil {
		t.Fatalf("Register = %v, %v; want an error", card, err)
	}
	if resp == nil || resp.StatusCode != 201 {
		t.Errorf("response = %v, want the 201", resp)
	}
	if n := calls(mt, "POST "+testBase+"bizCards"); n != 1 {
		t.Errorf("%d attempts, want 1", n)
	}
}
