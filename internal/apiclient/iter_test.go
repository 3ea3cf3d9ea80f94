package apiclient_test

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/cardbridge/sansanhubspot/internal/apiclient"
)

// page is one scripted page of a fake paged endpoint.
type page struct {
	items []int
	next  string
	err   error
}

// fakePager serves pages by cursor and records the cursors it was asked for.
type fakePager struct {
	mu      sync.Mutex
	pages   map[string]page
	cursors []string
	ctxKey  any
	ctxSeen []any
}

func (p *fakePager) fetch(ctx context.Context, cursor string) ([]int, string, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.cursors = append(p.cursors, cursor)
	p.ctxSeen = append(p.ctxSeen, ctx.Value(p.ctxKey))
	if len(p.cursors) > 20 {
		return nil, "", errors.New("runaway pagination: more than 20 fetches")
	}
	pg, ok := p.pages[cursor]
	if !ok {
		return nil, "", errors.New("unknown cursor " + cursor)
	}
	return pg.items, pg.next, pg.err
}

type ctxKey struct{}

func TestPaginate(t *testing.T) {
	t.Parallel()
	errPage := errors.New("page 3 failed")
	tests := []struct {
		name        string
		pages       map[string]page
		breakAfter  int // stop ranging after this many items; 0 ranges to the end
		wantItems   []int
		wantErrs    []error
		wantCursors []string
	}{
		{
			name:        "single page",
			pages:       map[string]page{"": {items: []int{1, 2}}},
			wantItems:   []int{1, 2},
			wantCursors: []string{""},
		},
		{
			name: "multiple pages",
			pages: map[string]page{
				"":   {items: []int{1, 2}, next: "c2"},
				"c2": {items: []int{3, 4}, next: "c3"},
				"c3": {items: []int{5}},
			},
			wantItems:   []int{1, 2, 3, 4, 5},
			wantCursors: []string{"", "c2", "c3"},
		},
		{
			name:        "empty result",
			pages:       map[string]page{"": {}},
			wantCursors: []string{""},
		},
		{
			name: "empty page in the middle",
			pages: map[string]page{
				"":   {items: []int{1}, next: "c2"},
				"c2": {next: "c3"},
				"c3": {items: []int{2}},
			},
			wantItems:   []int{1, 2},
			wantCursors: []string{"", "c2", "c3"},
		},
		{
			name: "error on page 3",
			pages: map[string]page{
				"":   {items: []int{1}, next: "c2"},
				"c2": {items: []int{2}, next: "c3"},
				"c3": {items: []int{99}, next: "c4", err: errPage},
				"c4": {items: []int{4}},
			},
			wantItems:   []int{1, 2},
			wantErrs:    []error{errPage},
			wantCursors: []string{"", "c2", "c3"},
		},
		{
			name:        "error on first page",
			pages:       map[string]page{"": {err: errPage}},
			wantErrs:    []error{errPage},
			wantCursors: []string{""},
		},
		{
			name: "break mid page",
			pages: map[string]page{
				"":   {items: []int{1, 2, 3}, next: "c2"},
				"c2": {items: []int{4}},
			},
			breakAfter:  2,
			wantItems:   []int{1, 2},
			wantCursors: []string{""},
		},
		{
			name: "break at page end fetches no further page",
			pages: map[string]page{
				"":   {items: []int{1, 2}, next: "c2"},
				"c2": {items: []int{3}},
			},
			breakAfter:  2,
			wantItems:   []int{1, 2},
			wantCursors: []string{""},
		},
		{
			name: "same cursor returned stops",
			pages: map[string]page{
				"":   {items: []int{1}, next: "c2"},
				"c2": {items: []int{2}, next: "c2"},
			},
			wantItems:   []int{1, 2},
			wantCursors: []string{"", "c2"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p := &fakePager{pages: tt.pages, ctxKey: ctxKey{}}
			ctx := context.WithValue(t.Context(), ctxKey{}, tt.name)
			seq := apiclient.Paginate(ctx, p.fetch)
			if len(p.cursors) != 0 {
				t.Fatalf("Paginate fetched %v before being ranged over", p.cursors)
			}
			var items []int
			var errs []error
			for it, err := range seq {
				if err != nil {
					errs = append(errs, err)
					continue
				}
				items = append(items, it)
				if tt.breakAfter > 0 && len(items) == tt.breakAfter {
					break
				}
			}
			if diff := cmp.Diff(tt.wantItems, items); diff != "" {
				t.Errorf("items (-want +got):\n%s", diff)
			}
			if len(errs) != len(tt.wantErrs) {
				t.Fatalf("got errors %v, want %v", errs, tt.wantErrs)
			}
			for i := range errs {
				if !errors.Is(errs[i], tt.wantErrs[i]) {
					t.Errorf("error %d = %v, want %v", i, errs[i], tt.wantErrs[i])
				}
			}
			if diff := cmp.Diff(tt.wantCursors, p.cursors); diff != "" {
				t.Errorf("fetched cursors (-want +got):\n%s", diff)
			}
			for i, v := range p.ctxSeen {
				if v != tt.name {
					t.Errorf("fetch %d got a context without the caller's value", i)
				}
			}
		})
	}
}

// TestPaginateErrorYieldStops checks that the iterator returns after the
// error even when the consumer keeps ranging, and that breaking on the
// error is safe.
func TestPaginateErrorYieldStops(t *testing.T) {
	t.Parallel()
	errBoom := errors.New("boom")
	for _, breakOnErr := range []bool{false, true} {
		t.Run(map[bool]string{false: "continue", true: "break"}[breakOnErr], func(t *testing.T) {
			t.Parallel()
			calls := 0
			seq := apiclient.Paginate(t.Context(), func(context.Context, string) ([]string, string, error) {
				calls++
				return []string{"ignored"}, "next", errBoom
			})
			var got []string
			errs := 0
			for s, err := range seq {
				if err != nil {
					errs++
					if s != "" {
						t.Errorf("item %q yielded with the error, want zero value", s)
					}
					if breakOnErr {
						break
					}
					continue
				}
				got = append(got, s)
			}
			if errs != 1 || calls != 1 || len(got) != 0 {
				t.Errorf("errors = %d, fetches = %d, items = %v; want 1, 1, none", errs, calls, got)
			}
		})
	}
}

// TestPaginateReusable checks that each range starts over from the first
// page, so an iterator value can be ranged twice.
func TestPaginateReusable(t *testing.T) {
	t.Parallel()
	p := &fakePager{pages: map[string]page{"": {items: []int{1}, next: "c2"}, "c2": {items: []int{2}}}}
	seq := apiclient.Paginate(t.Context(), p.fetch)
	for range 2 {
		var got []int
		for it, err := range seq {
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, it)
		}
		if diff := cmp.Diff([]int{1, 2}, got); diff != "" {
			t.Errorf("items (-want +got):\n%s", diff)
		}
	}
	if diff := cmp.Diff([]string{"", "c2", "", "c2"}, p.cursors); diff != "" {
		t.Errorf("cursors (-want +got):\n%s", diff)
	}
}
