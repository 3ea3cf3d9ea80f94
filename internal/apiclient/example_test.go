package apiclient_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync/atomic"
	"time"

	"github.com/cardbridge/sansanhubspot/internal/apiclient"
)

func ExamplePath() {
	p, err := apiclient.Path("bizCards/%s/tags", "a/b c")
	fmt.Println(p, err)
	_, err = apiclient.Path("bizCards/%s", "..")
	fmt.Println(errors.Is(err, apiclient.ErrInvalidPath))
	// Output:
	// bizCards/a%2Fb%20c/tags <nil>
	// true
}

func ExampleParseBaseURL() {
	u, err := apiclient.ParseBaseURL("https://api.sansan.com/v3.2")
	fmt.Println(u, err)
	_, err = apiclient.ParseBaseURL("https://api.sansan.com/v3.2?key=x")
	fmt.Println(err != nil)
	// Output:
	// https://api.sansan.com/v3.2/ <nil>
	// true
}

func ExampleRetryAfter() {
	now := time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)
	fmt.Println(apiclient.RetryAfter(http.Header{"Retry-After": {"30"}}, now))
	fmt.Println(apiclient.RetryAfter(http.Header{"Retry-After": {"Sat, 28 Nov 2026 12:02:00 GMT"}}, now))
	// Output:
	// 30s
	// 2m0s
}

func ExampleClient_Do() {
	// A fake API on loopback that fails once, then answers.
	var attempts atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if attempts.Add(1) == 1 {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		fmt.Fprintf(w, `{"id":"42","path":%q,"limit":%q}`, r.URL.Path, r.URL.Query().Get("limit"))
	}))
	defer srv.Close()

	base, err := apiclient.ParseBaseURL(srv.URL + "/v1")
	if err != nil {
		fmt.Println(err)
		return
	}
	c, err := apiclient.New(apiclient.Config{
		BaseURL:    base,
		HTTPClient: srv.Client(),
		Retry:      apiclient.RetryPolicy{MaxAttempts: 3, Initial: time.Millisecond, Max: 10 * time.Millisecond},
		Auth: func(_ context.Context, req *http.Request) ([]string, error) {
			req.Header.Set("Authorization", "Bearer example-token")
			return []string{"example-token"}, nil
		},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	path, _ := apiclient.Path("contacts/%s", "42")
	var out struct{ ID, Path, Limit string }
	resp, err := c.Do(context.Background(), apiclient.Call{
		Method: http.MethodGet,
		Path:   path,
		Query:  url.Values{"limit": {"10"}},
		Out:    &out,
	})
	fmt.Println(resp.StatusCode, err)
	fmt.Printf("%+v\n", out)
	fmt.Println("attempts:", c.Requests())
	// Output:
	// 200 <nil>
	// {ID:42 Path:/v1/contacts/42 Limit:10}
	// attempts: 2
}

func ExamplePaginate() {
	pages := map[string]struct {
		items []string
		next  string
	}{
		"":   {items: []string{"a", "b"}, next: "p2"},
		"p2": {items: []string{"c"}},
	}
	fetch := func(_ context.Context, cursor string) ([]string, string, error) {
		p := pages[cursor]
		return p.items, p.next, nil
	}
	for item, err := range apiclient.Paginate(context.Background(), fetch) {
		if err != nil {
			fmt.Println("error:", err)
			break
		}
		fmt.Println(item)
	}
	// Output:
	// a
	// b
	// c
}
