package sansan_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/jarcoal/httpmock"
	"golang.org/x/time/rate"

	"github.com/cardbridge/sansanhubspot/sansan"
)

// exampleClient returns a client whose requests are answered from testdata
// by a mock transport, so the examples run offline and deterministically.
// Real code passes no transport.
func exampleClient() *sansan.Client {
	const base = "https://api.sansan.com/v3.2/"
	file := func(name string) []byte {
		b, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			panic(err)
		}
		return b
	}
	mt := httpmock.NewMockTransport()
	mt.RegisterResponder("GET", base+"bizCards", func(req *http.Request) (*http.Response, error) {
		if req.URL.Query().Get("nextPageToken") == "tok+/=p2" {
			return httpmock.NewBytesResponse(200, file("bizcards_page2.json")), nil
		}
		return httpmock.NewBytesResponse(200, file("bizcards_page1.json")), nil
	})
	mt.RegisterResponder("GET", base+"bizCards/search", func(req *http.Request) (*http.Response, error) {
		switch q := req.URL.Query(); {
		case q.Get("companyName") == "壊れた" && q.Get("nextPageToken") == "page2":
			return httpmock.NewBytesResponse(200, file("bizcards_badcards_page2.json")), nil
		case q.Get("companyName") == "壊れた":
			return httpmock.NewBytesResponse(200, file("bizcards_badcards_page1.json")), nil
		}
		return httpmock.NewBytesResponse(200, file("bizcards_page2.json")), nil
	})
	mt.RegisterResponder("GET", base+"bizCards/A0000000000000000000000000000003", httpmock.NewBytesResponder(200, file("bizcard.json")))
	mt.RegisterResponder("GET", base+"bizCards/UNKNOWN", httpmock.NewStringResponder(404, `{"statusCode":404,"message":"Not Found","error":[{"code":"BizCardNotFound"}]}`))
	mt.RegisterResponder("POST", base+"bizCards", httpmock.NewBytesResponder(200, file("register_response.json")))
	mt.RegisterResponder("GET", base+"persons/F11E1A1B94EE2B4AB3F01A30C17AAAAA", httpmock.NewBytesResponder(200, file("person.json")))
	mt.RegisterResponder("GET", base+"tags", func(req *http.Request) (*http.Response, error) {
		if req.URL.Query().Get("nextPageToken") == "tags-2" {
			return httpmock.NewBytesResponse(200, file("tags_page2.json")), nil
		}
		return httpmock.NewBytesResponse(200, file("tags_page1.json")), nil
	})
	mt.RegisterResponder("GET", base+"me", httpmock.NewBytesResponder(200, file("me.json")))

	c, err := sansan.NewClient("0123456789abcdef0123456789ABCDEF",
		sansan.WithHTTPClient(&http.Client{Transport: mt}),
		sansan.WithRateLimit(rate.Inf, 0),
	)
	if err != nil {
		panic(err)
	}
	return c
}

func ExampleNewClient() {
	c, err := sansan.NewClient(os.Getenv("SANSAN_API_KEY"),
		sansan.WithBaseURL("https://api.sansan.com/v3.2/"), // pin the API version
		sansan.WithRateLimit(2, 1),                         // share the key with another tool
		sansan.WithRetry(sansan.RetryPolicy{MaxAttempts: 6, RateLimitWait: time.Minute}),
		sansan.WithLogger(slog.Default()),
	)
	if err != nil {
		log.Fatal(err) // an empty or malformed key fails here, not with a 401 later
	}
	me, _, err := c.Users.Me(context.Background())
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("authenticated as", me.Name)
}

func ExampleUsersService_Me() {
	c := exampleClient()
	me, _, err := c.Users.Me(context.Background())
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(me.ID, me.Name, me.Email)
	// Output: ito 伊藤花子 ito@example.com
}

func ExampleBizCardsService_ListIter() {
	c := exampleClient()
	jst := sansan.JST
	opts := &sansan.ListBizCardsOptions{
		UpdatedFrom: time.Date(2024, 4, 1, 0, 0, 0, 0, jst),
		UpdatedTo:   time.Date(2024, 4, 4, 0, 0, 0, 0, jst),
		CardListOptions: sansan.CardListOptions{
			Range:       sansan.RangeAll, // the default covers only the key owner's cards
			IncludeTags: true,
			ListOptions: sansan.ListOptions{Limit: sansan.MaxLimit},
		},
	}
	for card, err := range c.BizCards.ListIter(context.Background(), opts) {
		if err != nil {
			log.Fatal(err)
		}
		fmt.Printf("%s %s%s (%s) exchanged %v, email set: %v\n",
			card.ID[:6], sansan.Deref(card.LastName), sansan.Deref(card.FirstName),
			sansan.Deref(card.CompanyName), card.ExchangeDate, card.Email != nil)
	}
	// Output:
	// 37171B 伊藤花子 (株式会社 ITO) exchanged 2024-04-01, email set: true
	// A00000 山田 (有限会社ＡＢＣ) exchanged <nil>, email set: false
	// A00000 鈴木次郎 (一般社団法人 テスト協会) exchanged 2023-12-31, email set: true
}

// This example pages by hand and keeps the next-page token, which a sync
// job can store to resume after a restart.
func ExampleBizCardsService_List() {
	c := exampleClient()
	opts := &sansan.ListBizCardsOptions{
		UpdatedFrom: time.Date(2024, 4, 1, 0, 0, 0, 0, sansan.JST),
		UpdatedTo:   time.Date(2024, 4, 4, 0, 0, 0, 0, sansan.JST),
		CardListOptions: sansan.CardListOptions{
			Range:       sansan.RangeAll,
			EntryStatus: []sansan.EntryStatus{sansan.EntryStatusCompleted},
			ListOptions: sansan.ListOptions{Limit: sansan.MaxLimit},
		},
	}
	for {
		cards, resp, err := c.BizCards.List(context.Background(), opts)
		if err != nil {
			log.Fatal(err)
		}
		fmt.Printf("page of %d, more: %v\n", len(cards), resp.HasMore)
		if resp.NextPageToken == "" {
			break
		}
		opts.NextPageToken = resp.NextPageToken // checkpoint this
	}
	// Output:
	// page of 2, more: true
	// page of 1, more: false
}

func ExampleBizCardsService_Search() {
	c := exampleClient()
	cards, _, err := c.BizCards.Search(context.Background(), &sansan.SearchBizCardsOptions{
		Email:           "jiro@example.jp",
		CardListOptions: sansan.CardListOptions{Range: sansan.RangeAll},
	})
	if err != nil {
		log.Fatal(err)
	}
	for _, card := range cards {
		fmt.Println(card.ID, *card.Email, card.UpdatedTime.Format(time.RFC3339))
	}
	// Output: A0000000000000000000000000000003 jiro@example.jp 2024-04-03T08:00:00+09:00
}

func ExampleBizCardsService_Register() {
	c := exampleClient()
	card, _, err := c.BizCards.Register(context.Background(), &sansan.RegisterBizCardRequest{
		LastName:    sansan.Ptr("高橋"),
		FirstName:   sansan.Ptr("美咲"),
		CompanyName: sansan.Ptr("株式会社サンプル"),
		Email:       sansan.Ptr("misaki@example.jp"),
		TagIDs:      []string{"T0000000000000000000000000000001"},
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(card.ID, card.PersonID)
	// Output: D0000000000000000000000000000009 F0000000000000000000000000000009
}

func ExamplePersonsService_Get() {
	c := exampleClient()
	p, _, err := c.Persons.Get(context.Background(), "F11E1A1B94EE2B4AB3F01A30C17AAAAA")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(p.HeadBizCard.ID, *p.HeadBizCard.CompanyName)
	// Output: 37171BA646FD16C8F0960DE7403AAAAA 株式会社 ITO
}

func ExampleTagsService_ListIter() {
	c := exampleClient()
	opts := &sansan.ListTagsOptions{Types: []sansan.TagType{sansan.TagTypePublic, sansan.TagTypeShared}}
	for tag, err := range c.Tags.ListIter(context.Background(), opts) {
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(tag.Type, tag.Name)
	}
	// Output:
	// shared 展示会2024
	// public 重要顧客
	// shared セミナー
}

func ExampleErrorResponse() {
	c := exampleClient()
	_, _, err := c.BizCards.Get(context.Background(), "UNKNOWN")
	if errors.Is(err, sansan.ErrNotFound) {
		fmt.Println("no such card")
	}
	var er *sansan.ErrorResponse
	if errors.As(err, &er) {
		fmt.Println(er.StatusCode, er.Codes)
	}
	// Output:
	// no such card
	// 404 [BizCardNotFound]
}

func ExampleParseDate() {
	d, err := sansan.ParseDate("2024-04-01")
	if err != nil {
		log.Fatal(err)
	}
	// A civil date: no time zone can move it to March 31.
	fmt.Println(d, d.In(sansan.JST).UTC().Format(time.RFC3339))
	// Output: 2024-04-01 2024-03-31T15:00:00Z
}

// A card the server sends in a form the client cannot decode (here an
// object as memo, and a number as personId) is yielded in its place as a
// *sansan.CardDecodeError; the iteration goes on with the next card.
func ExampleBizCardsService_SearchIter_undecodableCards() {
	c := exampleClient()
	opts := &sansan.SearchBizCardsOptions{CompanyName: "壊れた", CardListOptions: sansan.CardListOptions{Range: sansan.RangeAll}}
	for card, err := range c.BizCards.SearchIter(context.Background(), opts) {
		var bad *sansan.CardDecodeError
		if errors.As(err, &bad) {
			if bad.ID == "" {
				fmt.Println("skipped a card without a readable id:", bad.Excerpt)
			} else {
				fmt.Println("skipped card", bad.ID)
			}
			continue
		}
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(card.ID, sansan.Deref(card.LastName))
	}
	// Output:
	// A0000000000000000000000000000011 田中
	// skipped card A0000000000000000000000000000012
	// skipped card A0000000000000000000000000000013
	// A0000000000000000000000000000014 伊藤
	// skipped a card without a readable id: "not a card at all"
	// skipped card A0000000000000000000000000000015
	// A0000000000000000000000000000016 渡辺
}
