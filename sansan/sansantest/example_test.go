package sansantest_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/cardbridge/sansanhubspot/sansan/sansantest"
)

func ExampleNewServer() {
	now := time.Date(2024, 4, 1, 10, 0, 0, 0, sansantest.JST)
	srv, err := sansantest.NewServer(sansantest.WithClock(func() time.Time { return now }))
	if err != nil {
		panic(err)
	}
	defer srv.Close()

	srv.Fake.AddUser(sansantest.User{ID: "ito", Name: "伊藤花子", Email: "ito@example.com",
		APIKey: "0123456789ABCDEF0123456789ABCDEF"})
	srv.Fake.AddCard(sansantest.Card{
		OwnerID: "ito", LastName: sansantest.Ptr("山田"), FirstName: sansantest.Ptr("太郎"),
		CompanyName: sansantest.Ptr("株式会社 山田商事"), ExchangeDate: sansantest.Ptr("2024-03-29"),
	})

	q := url.Values{}
	q.Set("updatedFrom", "2024-04-01T00:00:00+09:00") // url.Values sends "+" as %2B
	q.Set("updatedTo", "2024-04-02T00:00:00+09:00")
	req, _ := http.NewRequest(http.MethodGet, srv.URL+"bizCards?"+q.Encode(), nil)
	req.Header.Set("X-Sansan-Api-Key", "0123456789ABCDEF0123456789ABCDEF")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		panic(err)
	}
	defer resp.Body.Close()

	var page struct {
		Data []struct {
			CompanyName  string  `json:"companyName"`
			Title        *string `json:"title"`
			ExchangeDate string  `json:"exchangeDate"`
			UpdatedTime  string  `json:"updatedTime"`
		} `json:"data"`
		HasMore bool `json:"hasMore"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&page); err != nil {
		panic(err)
	}
	c := page.Data[0]
	fmt.Println(resp.StatusCode, len(page.Data), page.HasMore)
	fmt.Println(c.CompanyName, c.Title == nil, c.ExchangeDate, c.UpdatedTime)
	// Output:
	// 200 1 false
	// 株式会社 山田商事 true 2024-03-29 2024-04-01T10:00:00+09:00
}

func ExampleFake_Seed() {
	f := sansantest.New()
	cards := f.Seed(sansantest.GenerateOptions{Seed: 1, Cards: 1000})
	persons := map[string]bool{}
	for _, c := range cards {
		persons[c.PersonID] = true
	}
	fmt.Println(len(cards), len(persons) < len(cards), len(f.Tags()))
	// Output: 1000 true 9
}

func ExampleFake_FailNext() {
	srv, err := sansantest.NewServer()
	if err != nil {
		panic(err)
	}
	defer srv.Close()
	srv.Fake.AddUser(sansantest.User{ID: "ito", APIKey: "0123456789ABCDEF0123456789ABCDEF"})
	srv.Fake.FailNext(1, http.StatusTooManyRequests)

	for range 2 {
		req, _ := http.NewRequest(http.MethodGet, srv.URL+"me", nil)
		req.Header.Set("X-Sansan-Api-Key", "0123456789ABCDEF0123456789ABCDEF")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			panic(err)
		}
		resp.Body.Close()
		fmt.Printf("%d Retry-After=%q\n", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	fmt.Println(srv.Fake.Requests()[sansantest.EndpointMe])
	// Output:
	// 429 Retry-After=""
	// 200 Retry-After=""
	// 2
}
