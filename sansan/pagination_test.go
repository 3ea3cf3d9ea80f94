package sansan

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"net/http"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/jarcoal/httpmock"
)

// pageServer answers a list endpoint from a sequence of pages keyed by the
// nextPageToken query value ("" for the first page), and records the tokens
// requested.
type pageServer struct {
	t      *testing.T
	pages  map[string]string // token -> JSON body
	status map[string]int    // token -> status (200 when absent)
	asked  []string
}

func (p *pageServer) responder(req *http.Request) (*http.Response, error) {
	tok := req.URL.Query().Get("nextPageToken")
	p.asked = append(p.asked, tok)
	body, ok := p.pages[tok]
	if !ok {
		p.t.Errorf("unexpected page token %q", tok)
		return httpmock.NewStringResponse(404, `{"message":"no such page"}`), nil
	}
	st := http.StatusOK
	if s, ok := p.status[tok]; ok {
		st = s
	}
	return httpmock.NewStringResponse(st, body), nil
}

func cardPage(more bool, next string, ids ...string) string {
	s := `{"data":[`
	for i, id := range ids {
		if i > 0 {
			s += ","
		}
		s += fmt.Sprintf(`{"id":%q,"lastName":"姓%d","registeredTime":"2024-04-01T10:00:00+09:00"}`, id, i)
	}
	return s + fmt.Sprintf(`],"hasMore":%v,"nextPageToken":%q}`, more, next)
}

func tagPage(more bool, next string, ids ...string) string {
	s := `{"data":[`
	for i, id := range ids {
		if i > 0 {
			s += ","
		}
		s += fmt.Sprintf(`{"id":%q,"name":"タグ","type":"public"}`, id)
	}
	return s + fmt.Sprintf(`],"hasMore":%v,"nextPageToken":%q}`, more, next)
}

// collect ranges over seq, stopping after stopAfter items when it is > 0,
// and returns the ids seen and the errors yielded.
func collect[T any](seq iter.Seq2[*T, error], id func(*T) string, stopAfter int) (ids []string, errs []error) {
	for v, err := range seq {
		if err != nil {
			errs = append(errs, err)
			continue // the iterator must stop by itself after an error
		}
		ids = append(ids, id(v))
		if stopAfter > 0 && len(ids) == stopAfter {
			break
		}
	}
	return ids, errs
}

// TestIterators runs the pagination checklist against every iterator:
// several pages, an empty page, an error on page N, and an early break.
func TestIterators(t *testing.T) {
	t.Parallel()
	type iterCase struct {
		name   string
		path   string
		page   func(more bool, next string, ids ...string) string
		iter   func(ctx context.Context, c *Client) ([]string, []error)
		break2 func(ctx context.Context, c *Client) ([]string, []error)
	}
	cardID := func(b *BizCard) string { return b.ID }
	tagID := func(tg *Tag) string { return tg.ID }
	iters := []iterCase{
		{
			name: "bizCards", path: "bizCards", page: cardPage,
			iter: func(ctx context.Context, c *Client) ([]string, []error) {
				return collect(c.BizCards.ListIter(ctx, &window), cardID, 0)
			},
			break2: func(ctx context.Context, c *Client) ([]string, []error) {
				return collect(c.BizCards.ListIter(ctx, &window), cardID, 2)
			},
		},
		{
			name: "search", path: "bizCards/search", page: cardPage,
			iter: func(ctx context.Context, c *Client) ([]string, []error) {
				return collect(c.BizCards.SearchIter(ctx, &SearchBizCardsOptions{CardListOptions: CardListOptions{Range: RangeAll}}), cardID, 0)
			},
			break2: func(ctx context.Context, c *Client) ([]string, []error) {
				return collect(c.BizCards.SearchIter(ctx, nil), cardID, 2)
			},
		},
		{
			name: "tags", path: "tags", page: tagPage,
			iter: func(ctx context.Context, c *Client) ([]string, []error) {
				return collect(c.Tags.ListIter(ctx, &ListTagsOptions{Types: []TagType{TagTypeShared}}), tagID, 0)
			},
			break2: func(ctx context.Context, c *Client) ([]string, []error) {
				return collect(c.Tags.ListIter(ctx, nil), tagID, 2)
			},
		},
		{
			name: "card tags", path: "bizCards/CARD1/tags", page: tagPage,
			iter: func(ctx context.Context, c *Client) ([]string, []error) {
				return collect(c.BizCards.TagsIter(ctx, "CARD1", &ListOptions{Limit: 2}), tagID, 0)
			},
			break2: func(ctx context.Context, c *Client) ([]string, []error) {
				return collect(c.BizCards.TagsIter(ctx, "CARD1", nil), tagID, 2)
			},
		},
	}
	type scenario struct {
		name      string
		pages     func(pg func(bool, string, ...string) string) map[string]string
		status    map[string]int
		useBreak  bool
		wantIDs   []string
		wantAsked []string
		wantErr   error
	}
	scenarios := []scenario{
		{
			name: "three pages",
			pages: func(pg func(bool, string, ...string) string) map[string]string {
				return map[string]string{"": pg(true, "p2", "a", "b"), "p2": pg(true, "p3", "c"), "p3": pg(false, "", "d")}
			},
			wantIDs: []string{"a", "b", "c", "d"}, wantAsked: []string{"", "p2", "p3"},
		},
		{
			name: "empty first page",
			pages: func(pg func(bool, string, ...string) string) map[string]string {
				return map[string]string{"": pg(false, "")}
			},
			wantAsked: []string{""},
		},
		{
			name: "empty middle page",
			pages: func(pg func(bool, string, ...string) string) map[string]string {
				return map[string]string{"": pg(true, "p2", "a"), "p2": pg(true, "p3"), "p3": pg(false, "", "b")}
			},
			wantIDs: []string{"a", "b"}, wantAsked: []string{"", "p2", "p3"},
		},
		{
			name: "hasMore false ignores a stray token",
			pages: func(pg func(bool, string, ...string) string) map[string]string {
				return map[string]string{"": pg(false, "stray", "a")}
			},
			wantIDs: []string{"a"}, wantAsked: []string{""},
		},
		{
			name: "error on page 3",
			pages: func(pg func(bool, string, ...string) string) map[string]string {
				return map[string]string{"": pg(true, "p2", "a"), "p2": pg(true, "p3", "b"), "p3": `{"statusCode":400,"message":"bad token"}`}
			},
			status:  map[string]int{"p3": 400},
			wantIDs: []string{"a", "b"}, wantAsked: []string{"", "p2", "p3"}, wantErr: ErrBadRequest,
		},
		{
			name: "break after two items",
			pages: func(pg func(bool, string, ...string) string) map[string]string {
				return map[string]string{"": pg(true, "p2", "a"), "p2": pg(true, "p3", "b", "c"), "p3": pg(false, "", "d")}
			},
			useBreak: true,
			wantIDs:  []string{"a", "b"}, wantAsked: []string{"", "p2"},
		},
	}
	for _, it := range iters {
		for _, sc := range scenarios {
			t.Run(it.name+"/"+sc.name, func(t *testing.T) {
				t.Parallel()
				c, mt, _ := setup(t)
				ps := &pageServer{t: t, pages: sc.pages(it.page), status: sc.status}
				mt.RegisterResponder("GET", testBase+it.path, ps.responder)
				run := it.iter
				if sc.useBreak {
					run = it.break2
				}
				ids, errs := run(t.Context(), c)
				if d := cmp.Diff(sc.wantIDs, ids); d != "" {
					t.Errorf("ids (-want +got):\n%s", d)
				}
				if d := cmp.Diff(sc.wantAsked, ps.asked); d != "" {
					t.Errorf("pages requested (-want +got):\n%s", d)
				}
				switch {
				case sc.wantErr == nil && len(errs) != 0:
					t.Errorf("errors = %v, want none", errs)
				case sc.wantErr != nil && (len(errs) != 1 || !errors.Is(errs[0], sc.wantErr)):
					t.Errorf("errors = %v, want exactly one %v", errs, sc.wantErr)
				}
				if n := calls(mt, "GET "+testBase+it.path); n != len(sc.wantAsked) {
					t.Errorf("%d calls, want %d", n, len(sc.wantAsked))
				}
			})
		}
	}
}

// TestListIterOptions checks that the iterator is lazy, copies its options,
// resumes from NextPageToken, keeps filters on every page, and restarts when
// ranged again.
func TestListIterOptions(t *testing.T) {
	t.Parallel()
	c, mt, _ := setup(t)
	var queries []string
	mt.RegisterResponder("GET", testBase+"bizCards", func(req *http.Request) (*http.Response, error) {
		queries = append(queries, req.URL.RawQuery)
		if req.URL.Query().Get("nextPageToken") == "resume" {
			return httpmock.NewStringResponse(200, cardPage(true, "last", "x")), nil
		}
		return httpmock.NewStringResponse(200, cardPage(false, "", "y")), nil
	})
	opts := window
	opts.Range = RangeAll
	opts.EntryStatus = []EntryStatus{EntryStatusCompleted}
	opts.NextPageToken = "resume"
	seq := c.BizCards.ListIter(t.Context(), &opts)
	if n := mt.GetTotalCallCount(); n != 0 {
		t.Fatalf("ListIter sent %d requests before ranging", n)
	}
	// Changes after ListIter returns must not leak into the iterator.
	opts.Range = RangeMe
	opts.EntryStatus[0] = EntryStatusUnreadable
	opts.NextPageToken = ""

	for range 2 {
		ids, errs := collect(seq, func(b *BizCard) string { return b.ID }, 0)
		if d := cmp.Diff([]string{"x", "y"}, ids); d != "" || errs != nil {
			t.Errorf("ids (-want +got):\n%s errs=%v", d, errs)
		}
	}
	q := func(tok string) string {
		return "entryStatus=completed&nextPageToken=" + tok + "&range=all&" + windowQuery
	}
	want := []string{q("resume"), q("last"), q("resume"), q("last")}
	if d := cmp.Diff(want, queries); d != "" {
		t.Errorf("queries (-want +got):\n%s", d)
	}
}

// TestPageWithoutHasMore checks that a page without "hasMore" continues
// when it carries a token, and that null items are dropped.
func TestPageWithoutHasMore(t *testing.T) {
	t.Parallel()
	c, mt, _ := setup(t)
	mt.RegisterResponder("GET", testBase+"tags", httpmock.NewStringResponder(200,
		`{"data":[null,{"id":"T1","name":"a","type":"public","extra":1}],"nextPageToken":"n2"}`))
	tags, resp, err := c.Tags.List(t.Context(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff([]*Tag{{ID: "T1", Name: "a", Type: TagTypePublic}}, tags); d != "" {
		t.Errorf("tags (-want +got):\n%s", d)
	}
	if !resp.HasMore || resp.NextPageToken != "n2" {
		t.Errorf("paging = (%v, %q), want (true, n2)", resp.HasMore, resp.NextPageToken)
	}
}
