package sansan

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"net/http"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
	"github.com/jarcoal/httpmock"
)

// badView is what a test compares of a *CardDecodeError: the fields that
// identify the card, and a phrase its error must contain.
type badView struct {
	Index        int
	ID, PersonID string
	ErrHas       string
}

func viewBad(t *testing.T, bad []*CardDecodeError, wantHas []string) []badView {
	t.Helper()
	out := make([]badView, len(bad))
	for i, b := range bad {
		out[i] = badView{Index: b.Index, ID: b.ID, PersonID: b.PersonID}
		if i < len(wantHas) && strings.Contains(b.Err.Error(), wantHas[i]) {
			out[i].ErrHas = wantHas[i]
		}
		if !errors.Is(b, ErrUndecodableCard) {
			t.Errorf("undecodable card %d does not match ErrUndecodableCard", i)
		}
		if len(b.Excerpt) > MaxExcerpt || !utf8.ValidString(b.Excerpt) || b.Excerpt == "" {
			t.Errorf("excerpt %q is not a short non-empty valid excerpt", b.Excerpt)
		}
		if len(b.Error()) > 600 {
			t.Errorf("error message of %d bytes", len(b.Error()))
		}
	}
	return out
}

// badPage1 and badPage2 are the undecodable cards of the two fixtures.
var (
	badPage1 = []badView{
		{Index: 1, ID: "A0000000000000000000000000000012", PersonID: "C0000000000000000000000000000012", ErrHas: "memo"},
		{Index: 3, ID: "A0000000000000000000000000000013", ErrHas: "personId"},
	}
	badPage1Has = []string{"memo", "personId"}
	badPage2    = []badView{
		{Index: 0, ErrHas: "cannot unmarshal string"},
		{Index: 1, ID: "A0000000000000000000000000000015", PersonID: "C0000000000000000000000000000015", ErrHas: "invalid time"},
	}
	badPage2Has = []string{"cannot unmarshal string", "invalid time"}
)

func cardIDs(cards []*BizCard) []string {
	ids := make([]string, len(cards))
	for i, c := range cards {
		ids[i] = c.ID
	}
	return ids
}

// TestListWithUndecodableCards: a page that decodes as a list delivers
// its good cards; each bad one is in Response.Undecodable with its
// position, its ids when readable and the reason, for List and Search.
func TestListWithUndecodableCards(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		path    string
		call    func(ctx context.Context, c *Client, token string) ([]*BizCard, *Response, error)
		fixture string
		token   string
		want    []string
		wantBad []badView
		has     []string
		more    bool
	}{
		{
			name: "list page 1", path: "bizCards", fixture: "bizcards_badcards_page1.json",
			call: func(ctx context.Context, c *Client, token string) ([]*BizCard, *Response, error) {
				o := window
				o.NextPageToken = token
				return c.BizCards.List(ctx, &o)
			},
			want:    []string{"A0000000000000000000000000000011", "A0000000000000000000000000000014"},
			wantBad: badPage1, has: badPage1Has, more: true,
		},
		{
			name: "list page 2", path: "bizCards", fixture: "bizcards_badcards_page2.json", token: "page2",
			call: func(ctx context.Context, c *Client, token string) ([]*BizCard, *Response, error) {
				o := window
				o.NextPageToken = token
				return c.BizCards.List(ctx, &o)
			},
			want: []string{"A0000000000000000000000000000016"}, wantBad: badPage2, has: badPage2Has,
		},
		{
			name: "search page 1", path: "bizCards/search", fixture: "bizcards_badcards_page1.json",
			call: func(ctx context.Context, c *Client, token string) ([]*BizCard, *Response, error) {
				return c.BizCards.Search(ctx, &SearchBizCardsOptions{CardListOptions: CardListOptions{ListOptions: ListOptions{NextPageToken: token}}})
			},
			want:    []string{"A0000000000000000000000000000011", "A0000000000000000000000000000014"},
			wantBad: badPage1, has: badPage1Has, more: true,
		},
		{
			name: "search page 2", path: "bizCards/search", fixture: "bizcards_badcards_page2.json", token: "page2",
			call: func(ctx context.Context, c *Client, token string) ([]*BizCard, *Response, error) {
				return c.BizCards.Search(ctx, &SearchBizCardsOptions{CardListOptions: CardListOptions{ListOptions: ListOptions{NextPageToken: token}}})
			},
			want: []string{"A0000000000000000000000000000016"}, wantBad: badPage2, has: badPage2Has,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, mt, _ := setup(t)
			mt.RegisterResponder("GET", testBase+tt.path, httpmock.NewBytesResponder(200, fixture(t, tt.fixture)))
			cards, resp, err := tt.call(t.Context(), c, tt.token)
			if err != nil {
				t.Fatalf("err = %v, want the page with its good cards", err)
			}
			if diff := cmp.Diff(tt.want, cardIDs(cards)); diff != "" {
				t.Errorf("cards (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantBad, viewBad(t, resp.Undecodable, tt.has)); diff != "" {
				t.Errorf("undecodable cards (-want +got):\n%s", diff)
			}
			if resp.HasMore != tt.more {
				t.Errorf("HasMore = %t, want %t", resp.HasMore, tt.more)
			}
		})
	}
}

// TestIteratorsGoOnPastUndecodableCards: ListIter and SearchIter yield
// each undecodable card in its place as a *CardDecodeError and go on to
// the next card and page; breaking at one stops requesting.
func TestIteratorsGoOnPastUndecodableCards(t *testing.T) {
	t.Parallel()
	all := []string{
		"A0000000000000000000000000000011", "bad:A0000000000000000000000000000012", "bad:A0000000000000000000000000000013",
		"A0000000000000000000000000000014", "bad:#0", "bad:A0000000000000000000000000000015", "A0000000000000000000000000000016",
	}
	iters := []struct {
		name string
		path string
		seq  func(ctx context.Context, c *Client) iter.Seq2[*BizCard, error]
	}{
		{name: "ListIter", path: "bizCards", seq: func(ctx context.Context, c *Client) iter.Seq2[*BizCard, error] {
			o := window
			return c.BizCards.ListIter(ctx, &o)
		}},
		{name: "SearchIter", path: "bizCards/search", seq: func(ctx context.Context, c *Client) iter.Seq2[*BizCard, error] {
			return c.BizCards.SearchIter(ctx, nil)
		}},
	}
	for _, it := range iters {
		for _, stopAt := range []int{0, 2} { // 0: run to the end; 2: break at the first bad card
			t.Run(fmt.Sprintf("%s/stop=%d", it.name, stopAt), func(t *testing.T) {
				t.Parallel()
				c, mt, _ := setup(t)
				mt.RegisterResponder("GET", testBase+it.path, func(req *http.Request) (*http.Response, error) {
					name := "bizcards_badcards_page1.json"
					if req.URL.Query().Get("nextPageToken") == "page2" {
						name = "bizcards_badcards_page2.json"
					}
					return httpmock.NewBytesResponse(200, fixture(t, name)), nil
				})
				var got []string
				for card, err := range it.seq(t.Context(), c) {
					var bad *CardDecodeError
					switch {
					case errors.As(err, &bad):
						if bad.ID != "" {
							got = append(got, "bad:"+bad.ID)
						} else {
							got = append(got, fmt.Sprintf("bad:#%d", bad.Index))
						}
					case err != nil:
						t.Fatalf("unexpected error: %v", err)
					default:
						got = append(got, card.ID)
					}
					if stopAt > 0 && len(got) == stopAt {
						break
					}
				}
				want, wantCalls := all, 2
				if stopAt > 0 {
					want, wantCalls = all[:stopAt], 1
				}
				if diff := cmp.Diff(want, got); diff != "" {
					t.Errorf("yielded (-want +got):\n%s", diff)
				}
				if n := mt.GetTotalCallCount(); n != wantCalls {
					t.Errorf("%d requests, want %d", n, wantCalls)
				}
			})
		}
	}
}

// nested returns a JSON value nested depth levels deep.
func nested(depth int) string {
	return strings.Repeat(`{"a":`, depth) + "1" + strings.Repeat("}", depth)
}

// TestUndecodableSingleCards: beyond the fixtures, cards nested deeper than
// encoding/json allows (which makes it refuse the whole body), a card that
// echoes the API key, and single reads of bad cards.
func TestUndecodableSingleCards(t *testing.T) {
	t.Parallel()
	good := `{"id":"G1","personId":"P1","lastName":"ok"}`
	deep := `{"id":"D1","personId":"P2","memo":` + nested(20000) + `}`
	echo := `{"id":"E1","personId":"P3","memo":{"key":"` + testKey + `"}}`
	tests := []struct {
		name    string
		body    string
		want    []string
		wantBad []badView
		has     []string
	}{
		{name: "deeper than encoding/json allows", body: `{"data":[` + good + `,` + deep + `],"hasMore":false}`,
			want: []string{"G1"}, wantBad: []badView{{Index: 1, ID: "D1", PersonID: "P2", ErrHas: "exceeded max depth"}}, has: []string{"exceeded max depth"}},
		{name: "not JSON inside, envelope sound", body: `{"data":[` + good + `,{"id":"N1","personId":"P4","memo":nan}],"hasMore":false}`,
			want: []string{"G1"}, wantBad: []badView{{Index: 1, ID: "N1", PersonID: "P4", ErrHas: "invalid character"}}, has: []string{"invalid character"}},
		{name: "echoed key scrubbed", body: `{"data":[` + echo + `],"hasMore":false}`,
			wantBad: []badView{{ID: "E1", PersonID: "P3", ErrHas: "memo"}}, has: []string{"memo"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, mt, _ := setup(t)
			mt.RegisterResponder("GET", testBase+"bizCards", httpmock.NewStringResponder(200, tt.body))
			o := window
			cards, resp, err := c.BizCards.List(t.Context(), &o)
			if err != nil {
				t.Fatalf("List: %v", err)
			}
			if diff := cmp.Diff(tt.want, cardIDs(cards), cmp.Comparer(func(a, b []string) bool { return len(a) == 0 && len(b) == 0 || cmp.Equal(a, b) })); diff != "" {
				t.Errorf("cards (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantBad, viewBad(t, resp.Undecodable, tt.has)); diff != "" {
				t.Errorf("undecodable (-want +got):\n%s", diff)
			}
			for _, b := range resp.Undecodable {
				if strings.Contains(b.Excerpt, testKey) || strings.Contains(b.Error(), testKey) {
					t.Errorf("the API key reached an undecodable card's excerpt or error")
				}
			}
		})
	}

	reads := []struct {
		name string
		path string
		body string
		read func(ctx context.Context, c *Client) error
		want badView
		has  string
	}{
		{name: "card read, wrong type", path: "bizCards/X1", body: `{"item":{"id":"X1","personId":"P9","memo":{"a":1}}}`,
			read: func(ctx context.Context, c *Client) error { _, _, err := c.BizCards.Get(ctx, "X1"); return err },
			want: badView{ID: "X1", PersonID: "P9", ErrHas: "memo"}, has: "memo"},
		{name: "card read, too deep", path: "bizCards/X2", body: `{"item":{"id":"X2","memo":` + nested(12000) + `}}`,
			read: func(ctx context.Context, c *Client) error { _, _, err := c.BizCards.Get(ctx, "X2"); return err },
			want: badView{ID: "X2", ErrHas: "exceeded max depth"}, has: "exceeded max depth"},
		{name: "person read, bad head card", path: "persons/P7", body: `{"item":{"id":"P7","headBizCard":{"id":"X3","personId":"P7","lastName":7}}}`,
			read: func(ctx context.Context, c *Client) error { _, _, err := c.Persons.Get(ctx, "P7"); return err },
			want: badView{ID: "X3", PersonID: "P7", ErrHas: "lastName"}, has: "lastName"},
		{name: "person read, head card too deep", path: "persons/P8", body: `{"item":{"id":"P8","headBizCard":{"id":"X4","memo":` + nested(12000) + `}}}`,
			read: func(ctx context.Context, c *Client) error { _, _, err := c.Persons.Get(ctx, "P8"); return err },
			want: badView{ID: "X4", ErrHas: "exceeded max depth"}, has: "exceeded max depth"},
	}
	for _, tt := range reads {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, mt, _ := setup(t)
			mt.RegisterResponder("GET", testBase+tt.path, httpmock.NewStringResponder(200, tt.body))
			err := tt.read(t.Context(), c)
			var bad *CardDecodeError
			if !errors.As(err, &bad) {
				t.Fatalf("err = %v, want a *CardDecodeError", err)
			}
			if diff := cmp.Diff([]badView{tt.want}, viewBad(t, []*CardDecodeError{bad}, []string{tt.has})); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// TestResponseTooLarge: a page over the size cap fails with a typed error
// that names its cards (as far as their first bytes tell) and carries its
// paging state, read by streaming through the body; other calls fail with
// the same type.
func TestResponseTooLarge(t *testing.T) {
	t.Parallel()
	const limit = 4 << 10
	big := strings.Repeat("メモ", 2000) // 12,000 bytes
	card := func(id, memo string) string {
		return `{"id":"` + id + `","personId":"P` + id + `","memo":"` + memo + `"}`
	}
	idAfterMemo := `{"memo":"` + strings.Repeat("x", 8000) + `","id":"LATE"}`
	tests := []struct {
		name string
		body string
		want ResponseTooLargeError
	}{
		{name: "one big card among small ones", body: `{"data":[` + card("S1", "a") + `,` + card("B1", big) + `,` + card("S2", "b") + `],"hasMore":true,"nextPageToken":"after"}`,
			want: ResponseTooLargeError{Scanned: true, Cards: []CardRef{{"S1", "PS1"}, {"B1", "PB1"}, {"S2", "PS2"}}, HasMore: true, NextPageToken: "after"}},
		{name: "single card, id after a huge field", body: `{"data":[` + idAfterMemo + `],"hasMore":false}`,
			want: ResponseTooLargeError{Scanned: true, Cards: []CardRef{{}}}},
		{name: "token before the data", body: `{"nextPageToken":"t2","data":[` + card("B2", big) + `]}`,
			want: ResponseTooLargeError{Scanned: true, Cards: []CardRef{{"B2", "PB2"}}, HasMore: true, NextPageToken: "t2"}},
		{name: "body longer than the scan allows", body: `{"data":[` + card("B3", strings.Repeat("y", 5*limit)) + `],"hasMore":false}`,
			want: ResponseTooLargeError{}},
		{name: "cut short", body: `{"data":[` + card("B4", big) + `,`,
			want: ResponseTooLargeError{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, mt, _ := setup(t, WithMaxResponseSize(limit))
			mt.RegisterResponder("GET", testBase+"bizCards", httpmock.NewStringResponder(200, tt.body))
			o := window
			cards, _, err := c.BizCards.List(t.Context(), &o)
			if !errors.Is(err, ErrResponseTooLarge) {
				t.Fatalf("err = %v (%d cards), want ErrResponseTooLarge", err, len(cards))
			}
			var tl *ResponseTooLargeError
			if !errors.As(err, &tl) {
				t.Fatalf("err %T is not a *ResponseTooLargeError", err)
			}
			want := tt.want
			want.Method, want.URL, want.Limit = "GET", testBase+"bizCards", limit
			if diff := cmp.Diff(&want, tl); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
			if !strings.Contains(err.Error(), "over the 4096-byte limit") || strings.Contains(err.Error(), "after") {
				t.Errorf("message %q should state the limit and not the token", err)
			}
		})
	}
	t.Run("card read", func(t *testing.T) {
		t.Parallel()
		c, mt, _ := setup(t, WithMaxResponseSize(limit))
		mt.RegisterResponder("GET", testBase+"bizCards/B5", httpmock.NewStringResponder(200, `{"item":`+card("B5", big)+`}`))
		_, _, err := c.BizCards.Get(t.Context(), "B5")
		var tl *ResponseTooLargeError
		if !errors.As(err, &tl) || tl.Limit != limit || tl.Scanned {
			t.Errorf("err = %v, want an unscanned *ResponseTooLargeError of limit %d", err, limit)
		}
	})
	t.Run("option validated", func(t *testing.T) {
		t.Parallel()
		if _, err := NewClient(testKey, WithMaxResponseSize(100)); err == nil || !strings.Contains(err.Error(), "at least 1024") {
			t.Errorf("NewClient with a 100-byte cap: err = %v", err)
		}
	})
}
