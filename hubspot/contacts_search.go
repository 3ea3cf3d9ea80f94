package hubspot

import (
	"context"
	"fmt"
	"iter"
	"net/http"
	"strconv"
	"unicode/utf8"

	"github.com/cardbridge/sansanhubspot/internal/apiclient"
)

// Search limits.
const (
	// MaxSearchLimit is the largest search page size.
	MaxSearchLimit = 200
	// SearchResultCap is how many results one search query can page
	// through; SearchIter narrows the query to go further.
	SearchResultCap = 10000
	// ObjectIDProperty is the record ID property, used to page past
	// SearchResultCap.
	ObjectIDProperty = "hs_object_id"
	// MaxFilterGroups is the most filter groups one search may have.
	MaxFilterGroups = 5
	// MaxFiltersPerGroup is the most filters one filter group may have.
	MaxFiltersPerGroup = 6
	// MaxFilters is the most filters one search may have in all.
	MaxFilters = 18
	// MaxSearchQueryLength is the longest query string, in characters.
	MaxSearchQueryLength = 3000
)

func validateSearch(req *SearchRequest) error {
	if req.Limit < 0 || req.Limit > MaxSearchLimit {
		return fmt.Errorf("%w: search limit %d outside 0..%d", ErrInvalidInput, req.Limit, MaxSearchLimit)
	}
	if req.After != "" {
		if n, err := strconv.Atoi(req.After); err != nil || n < 0 {
			return fmt.Errorf("%w: search after %q is not a non-negative integer", ErrInvalidInput, req.After)
		}
	}
	if n := utf8.RuneCountInString(req.Query); n > MaxSearchQueryLength {
		return fmt.Errorf("%w: search query of %d characters, more than %d", ErrInvalidInput, n, MaxSearchQueryLength)
	}
	if len(req.FilterGroups) > MaxFilterGroups {
		return fmt.Errorf("%w: %d filter groups, more than %d", ErrInvalidInput, len(req.FilterGroups), MaxFilterGroups)
	}
	total := 0
	for gi, g := range req.FilterGroups {
		total += len(g.Filters)
		if len(g.Filters) > MaxFiltersPerGroup {
			return fmt.Errorf("%w: filter group %d has %d filters, more than %d", ErrInvalidInput, gi, len(g.Filters), MaxFiltersPerGroup)
		}
	}
	if total > MaxFilters {
		return fmt.Errorf("%w: %d filters in all, more than %d", ErrInvalidInput, total, MaxFilters)
	}
	for gi, g := range req.FilterGroups {
		if len(g.Filters) == 0 {
			return fmt.Errorf("%w: filter group %d is empty", ErrInvalidInput, gi)
		}
		for fi, f := range g.Filters {
			if err := validateFilter(f); err != nil {
				return fmt.Errorf("%w: filter group %d, filter %d: %w", ErrInvalidInput, gi, fi, err)
			}
		}
	}
	for _, s := range req.Sorts {
		if s.PropertyName == "" || (s.Direction != Ascending && s.Direction != Descending) {
			return fmt.Errorf("%w: sort %+v needs a property and ASCENDING or DESCENDING", ErrInvalidInput, s)
		}
	}
	return nil
}

func validateFilter(f Filter) error {
	if f.PropertyName == "" {
		return fmt.Errorf("missing property name")
	}
	switch f.Operator {
	case OperatorEQ, OperatorNEQ, OperatorLT, OperatorLTE, OperatorGT, OperatorGTE,
		OperatorContainsToken, OperatorNotContainsToken:
		if f.Value == "" {
			return fmt.Errorf("operator %s needs a value", f.Operator)
		}
	case OperatorBetween:
		if f.Value == "" || f.HighValue == "" {
			return fmt.Errorf("operator BETWEEN needs value and high value")
		}
	case OperatorIn, OperatorNotIn:
		if len(f.Values) == 0 {
			return fmt.Errorf("operator %s needs values", f.Operator)
		}
	case OperatorHasProperty, OperatorNotHasProperty:
		if f.Value != "" || f.HighValue != "" || len(f.Values) > 0 {
			return fmt.Errorf("operator %s takes no value", f.Operator)
		}
	default:
		return fmt.Errorf("unknown operator %q", f.Operator)
	}
	return nil
}

// Search returns one page of contacts matching req. Search has its own
// rate limit (see [WithSearchRateLimit]), returns at most [MaxSearchLimit]
// per page and can page through at most [SearchResultCap] results; use
// SearchIter to go past that. A request over HubSpot's limits
// ([MaxFilterGroups] groups, [MaxFiltersPerGroup] filters a group,
// [MaxFilters] in all, [MaxSearchQueryLength] characters of query) is
// refused with [ErrInvalidInput] before it is sent. Pass the page's After() as req.After to get
// the next page. Empty request fields are omitted from the body.
//
// HubSpot API docs: POST /crm/v3/objects/contacts/search
func (s *ContactsService) Search(ctx context.Context, req *SearchRequest) (*SearchResult, *Response, error) {
	if req == nil {
		req = &SearchRequest{}
	}
	if err := validateSearch(req); err != nil {
		return nil, nil, err
	}
	out := new(SearchResult)
	resp, err := s.client.do(ctx, apiclient.Call{
		Method: http.MethodPost, Path: contactsPath + "/search", Body: req, Out: out,
		Idempotent: &yes, Search: true,
	})
	if err != nil {
		return nil, resp, err
	}
	return out, resp, nil
}

// SearchIter returns an iterator over every contact matching req, from
// req.After on, fetching pages lazily ([MaxSearchLimit] per page when
// req.Limit is 0).
//
// It follows paging.next.after until HubSpot sends none: HubSpot has been
// reported to answer short and even empty pages that still carry a next
// cursor, and stopping there would silently lose records. A cursor that
// does not advance ends the walk with an error.
//
// HubSpot serves at most [SearchResultCap] results per query. When req has
// no sort, SearchIter sorts by hs_object_id ascending, and before the
// offset would reach the cap it narrows the query instead: it adds
// "hs_object_id > last seen ID" (the last ID of any page, empty pages
// skipped) to every filter group and restarts from offset 0, so it walks
// through any number of results. That bound takes one filter in every
// group, so a search whose groups are full ([MaxFiltersPerGroup] filters in
// a group, or [MaxFilters] in all counting the bounds) cannot be narrowed:
// like a search with any other sort, it yields an error matching
// [ErrSearchCapReached] at the cap rather than sending a search HubSpot
// would refuse. Records changed during the walk may be missed or seen
// twice, as with any paged search.
//
// HubSpot API docs: POST /crm/v3/objects/contacts/search
func (s *ContactsService) SearchIter(ctx context.Context, req *SearchRequest) iter.Seq2[*Contact, error] {
	base := SearchRequest{}
	if req != nil {
		base = *req
		base.FilterGroups = cloneGroups(req.FilterGroups)
		base.Sorts = append([]Sort(nil), req.Sorts...)
		base.Properties = append([]string(nil), req.Properties...)
	}
	if base.Limit == 0 {
		base.Limit = MaxSearchLimit
	}
	if len(base.Sorts) == 0 {
		base.Sorts = []Sort{{PropertyName: ObjectIDProperty, Direction: Ascending}}
	}
	narrowable := len(base.Sorts) == 1 && base.Sorts[0] == Sort{PropertyName: ObjectIDProperty, Direction: Ascending}
	return func(yield func(*Contact, error) bool) {
		cur := base
		bound := ""
		// lastID is the last contact seen on any page: HubSpot has been
		// reported to answer short and empty pages that still carry a
		// next cursor, so an empty page neither ends the walk nor resets
		// where narrowing starts from.
		lastID := ""
		for {
			page, _, err := s.Search(ctx, &cur)
			if err != nil {
				yield(nil, err)
				return
			}
			for _, c := range page.Results {
				if !yield(c, nil) {
					return
				}
				lastID = c.ID
			}
			next := page.After()
			if next == "" {
				return
			}
			n, err := strconv.Atoi(next)
			if err != nil {
				yield(nil, fmt.Errorf("hubspot: search returned non-integer after %q", next))
				return
			}
			if prev, _ := strconv.Atoi(cur.After); cur.After != "" && n <= prev {
				yield(nil, fmt.Errorf("hubspot: search cursor did not advance past %q", cur.After))
				return
			}
			if n+cur.Limit <= SearchResultCap {
				cur.After = next
				continue
			}
			if !narrowable {
				yield(nil, fmt.Errorf("%w: more than %d results with sort %v; sort by %s ascending or narrow the filters",
					ErrSearchCapReached, SearchResultCap, base.Sorts, ObjectIDProperty))
				return
			}
			if lastID == "" || lastID == bound {
				// No result since the last narrowing: the server ignored
				// the bound, so stop rather than loop.
				yield(nil, fmt.Errorf("hubspot: search did not advance past %s %q", ObjectIDProperty, lastID))
				return
			}
			groups, ok := narrowAfterID(base.FilterGroups, lastID)
			if !ok {
				yield(nil, fmt.Errorf("%w: more than %d results, and the filters leave no room for the %s bound that pages past them (at most %d filters a group and %d in all, one of each kept free)",
					ErrSearchCapReached, SearchResultCap, ObjectIDProperty, MaxFiltersPerGroup, MaxFilters))
				return
			}
			bound = lastID
			cur.FilterGroups = groups
			cur.After = ""
		}
	}
}

// narrowAfterID returns groups with "hs_object_id > id" added to each
// group (groups are ORed, so every one needs the bound). It reports false
// when that would break the search limits (a full group, or more than
// MaxFilters in all), which would make HubSpot answer 400.
func narrowAfterID(groups []FilterGroup, id string) ([]FilterGroup, bool) {
	bound := Filter{PropertyName: ObjectIDProperty, Operator: OperatorGT, Value: id}
	if len(groups) == 0 {
		return []FilterGroup{{Filters: []Filter{bound}}}, true
	}
	out := cloneGroups(groups)
	total := 0
	for i := range out {
		out[i].Filters = append(out[i].Filters, bound)
		total += len(out[i].Filters)
		if len(out[i].Filters) > MaxFiltersPerGroup {
			return nil, false
		}
	}
	return out, total <= MaxFilters
}

func cloneGroups(groups []FilterGroup) []FilterGroup {
	if groups == nil {
		return nil
	}
	out := make([]FilterGroup, len(groups))
	for i, g := range groups {
		fs := make([]Filter, len(g.Filters))
		for j, f := range g.Filters {
			f.Values = append([]string(nil), f.Values...)
			fs[j] = f
		}
		out[i] = FilterGroup{Filters: fs}
	}
	return out
}
