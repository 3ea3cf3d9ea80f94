package hubspot_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/cardbridge/sansanhubspot/hubspot"
)

func TestSearchRequestBody(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		req  *hubspot.SearchRequest
		want string
	}{
		{name: "nil request sends empty object", req: nil, want: `{}`},
		{name: "empty fields omitted", req: &hubspot.SearchRequest{Limit: 5}, want: `{"limit":5}`},
		{
			name: "all operators",
			req: &hubspot.SearchRequest{
				FilterGroups: []hubspot.FilterGroup{
					{Filters: []hubspot.Filter{
						{PropertyName: "lastmodifieddate", Operator: hubspot.OperatorGTE, Value: "1700000000000"},
						{PropertyName: "email", Operator: hubspot.OperatorHasProperty},
						{PropertyName: "hs_object_id", Operator: hubspot.OperatorIn, Values: []string{"1", "2"}},
						{PropertyName: "createdate", Operator: hubspot.OperatorBetween, Value: "1579514400000", HighValue: "1642672800000"},
					}},
					{Filters: []hubspot.Filter{
						{PropertyName: "email", Operator: hubspot.OperatorContainsToken, Value: "*@hubspot.com"},
						{PropertyName: "email", Operator: hubspot.OperatorNotContainsToken, Value: "*@spam.com"},
						{PropertyName: "phone", Operator: hubspot.OperatorNotHasProperty},
						{PropertyName: "firstname", Operator: hubspot.OperatorNEQ, Value: "x"},
						{PropertyName: "hs_object_id", Operator: hubspot.OperatorNotIn, Values: []string{"9"}},
						{PropertyName: "num", Operator: hubspot.OperatorLT, Value: "3"},
					}},
					{Filters: []hubspot.Filter{
						{PropertyName: "num", Operator: hubspot.OperatorLTE, Value: "3"},
						{PropertyName: "num", Operator: hubspot.OperatorGT, Value: "1"},
						{PropertyName: "lastname", Operator: hubspot.OperatorEQ, Value: "Doe"},
					}},
				},
				Sorts:      []hubspot.Sort{{PropertyName: "lastmodifieddate", Direction: hubspot.Descending}},
				Query:      "doe",
				Properties: []string{"email", "firstname"},
				Limit:      200,
				After:      "400",
			},
			want: `{
				"filterGroups":[
					{"filters":[
						{"propertyName":"lastmodifieddate","operator":"GTE","value":"1700000000000"},
						{"propertyName":"email","operator":"HAS_PROPERTY"},
						{"propertyName":"hs_object_id","operator":"IN","values":["1","2"]},
						{"propertyName":"createdate","operator":"BETWEEN","value":"1579514400000","highValue":"1642672800000"}]},
					{"filters":[
						{"propertyName":"email","operator":"CONTAINS_TOKEN","value":"*@hubspot.com"},
						{"propertyName":"email","operator":"NOT_CONTAINS_TOKEN","value":"*@spam.com"},
						{"propertyName":"phone","operator":"NOT_HAS_PROPERTY"},
						{"propertyName":"firstname","operator":"NEQ","value":"x"},
						{"propertyName":"hs_object_id","operator":"NOT_IN","values":["9"]},
						{"propertyName":"num","operator":"LT","value":"3"}]},
					{"filters":[
						{"propertyName":"num","operator":"LTE","value":"3"},
						{"propertyName":"num","operator":"GT","value":"1"},
						{"propertyName":"lastname","operator":"EQ","value":"Doe"}]}],
				"sorts":[{"propertyName":"lastmodifieddate","direction":"DESCENDING"}],
				"query":"doe","properties":["email","firstname"],"limit":200,"after":"400"}`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t)
			h.ok(200, `{"total":3,"results":[{"id":"1","properties":{"email":"a@x.io"}}],"paging":{"next":{"after":"600","link":"x"}}}`)
			res, _, err := h.client.Contacts.Search(t.Context(), tt.req)
			if err != nil {
				t.Fatal(err)
			}
			checkRequest(t, h.only(), "POST", "crm/v3/objects/contacts/search", nil, tt.want)
			if res.Total != 3 || len(res.Results) != 1 || res.After() != "600" {
				t.Errorf("result = %+v", res)
			}
		})
	}
}

func TestSearchValidation(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	bad := []*hubspot.SearchRequest{
		{Limit: 201},
		{After: "abc"},
		{FilterGroups: []hubspot.FilterGroup{{}}},
		{FilterGroups: []hubspot.FilterGroup{{Filters: []hubspot.Filter{{PropertyName: "x", Operator: hubspot.OperatorBetween, Value: "1"}}}}},
		{FilterGroups: []hubspot.FilterGroup{{Filters: []hubspot.Filter{{PropertyName: "x", Operator: hubspot.OperatorIn}}}}},
		{FilterGroups: []hubspot.FilterGroup{{Filters: []hubspot.Filter{{PropertyName: "x", Operator: hubspot.OperatorHasProperty, Value: "1"}}}}},
		{FilterGroups: []hubspot.FilterGroup{{Filters: []hubspot.Filter{{PropertyName: "x", Operator: "LIKE", Value: "1"}}}}},
		{FilterGroups: []hubspot.FilterGroup{{Filters: []hubspot.Filter{{Operator: hubspot.OperatorEQ, Value: "1"}}}}},
		{Sorts: []hubspot.Sort{{PropertyName: "x", Direction: "UP"}}},
		// HubSpot's limits: 5 groups, 6 filters a group, 18 in all, 3,000
		// characters of query.
		{FilterGroups: groupsOf(6, 1)},
		{FilterGroups: groupsOf(1, 7)},
		{FilterGroups: groupsOf(4, 5)},
		{Query: strings.Repeat("あ", hubspot.MaxSearchQueryLength+1)},
	}
	for i, req := range bad {
		if _, _, err := h.client.Contacts.Search(t.Context(), req); !errors.Is(err, hubspot.ErrInvalidInput) {
			t.Errorf("request %d: err = %v, want ErrInvalidInput", i, err)
		}
	}
	if n := len(h.requests()); n != 0 {
		t.Errorf("%d invalid searches sent", n)
	}
	// The limits themselves are legal.
	h.ok(200, `{"total":0,"results":[]}`)
	h.ok(200, `{"total":0,"results":[]}`)
	h.ok(200, `{"total":0,"results":[]}`)
	for _, req := range []*hubspot.SearchRequest{
		{FilterGroups: groupsOf(3, 6)},
		{FilterGroups: groupsOf(5, 1)},
		{Query: strings.Repeat("あ", hubspot.MaxSearchQueryLength)},
	} {
		if _, _, err := h.client.Contacts.Search(t.Context(), req); err != nil {
			t.Errorf("legal search refused: %v", err)
		}
	}
}

// groupsOf returns n filter groups of k filters each.
func groupsOf(n, k int) []hubspot.FilterGroup {
	groups := make([]hubspot.FilterGroup, n)
	for i := range groups {
		for j := range k {
			groups[i].Filters = append(groups[i].Filters, hubspot.Filter{PropertyName: fmt.Sprintf("p%d", j), Operator: hubspot.OperatorHasProperty})
		}
	}
	return groups
}

// TestSearchIterFullGroupAtCap checks that a legal search whose groups
// have no room for the hs_object_id bound stops at the cap with
// ErrSearchCapReached instead of sending a search HubSpot would refuse.
func TestSearchIterFullGroupAtCap(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		groups []hubspot.FilterGroup
	}{
		{name: "a 6-filter group", groups: groupsOf(1, 6)},
		{name: "18 filters in all", groups: groupsOf(3, 6)},
		{name: "17 filters in 4 groups", groups: append(groupsOf(3, 5), groupsOf(1, 2)...)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t)
			h.handler = searchServer(t, 10100)
			got := 0
			var last error
			for _, err := range h.client.Contacts.SearchIter(t.Context(), &hubspot.SearchRequest{FilterGroups: tt.groups}) {
				if err != nil {
					last = err
					continue
				}
				got++
			}
			if got != hubspot.SearchResultCap || !errors.Is(last, hubspot.ErrSearchCapReached) {
				t.Errorf("got %d results, last error %v", got, last)
			}
			if n := len(h.requests()); n != hubspot.SearchResultCap/hubspot.MaxSearchLimit {
				t.Errorf("%d requests, want %d (none past the cap)", n, hubspot.SearchResultCap/hubspot.MaxSearchLimit)
			}
		})
	}
}

// TestSearchIterFollowsCursorThroughEmptyPages checks that short and empty
// pages that still carry paging.next.after do not end the walk.
func TestSearchIterFollowsCursorThroughEmptyPages(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.ok(200, `{"total":5,"results":[{"id":"1","properties":{}},{"id":"2","properties":{}}],"paging":{"next":{"after":"2"}}}`)
	h.ok(200, `{"total":5,"results":[],"paging":{"next":{"after":"4"}}}`)
	h.ok(200, `{"total":5,"results":[{"id":"3","properties":{}}],"paging":{"next":{"after":"6"}}}`)
	h.ok(200, `{"total":5,"results":[{"id":"5","properties":{}}]}`)
	var ids []string
	for c, err := range h.client.Contacts.SearchIter(t.Context(), &hubspot.SearchRequest{Limit: 2}) {
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, c.ID)
	}
	if diff := cmp.Diff([]string{"1", "2", "3", "5"}, ids); diff != "" {
		t.Errorf("ids (-want +got):\n%s", diff)
	}
	if n := len(h.requests()); n != 4 {
		t.Errorf("%d requests, want 4", n)
	}
}

// TestSearchIterCursorMustAdvance checks that a cursor that does not move
// ends the walk with an error instead of a loop.
func TestSearchIterCursorMustAdvance(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.ok(200, `{"total":5,"results":[],"paging":{"next":{"after":"2"}}}`)
	h.ok(200, `{"total":5,"results":[],"paging":{"next":{"after":"2"}}}`)
	var errs int
	for _, err := range h.client.Contacts.SearchIter(t.Context(), &hubspot.SearchRequest{Limit: 2}) {
		if err != nil {
			errs++
		}
	}
	if errs != 1 || len(h.requests()) != 2 {
		t.Errorf("%d errors after %d requests, want 1 after 2", errs, len(h.requests()))
	}
}

// searchServer simulates HubSpot's search over records with IDs 1..n,
// honouring "hs_object_id GT" filters, ascending sort, offsets and the
// 10,000-result window (a 400 past it).
func searchServer(t *testing.T, n int) func(c captured) reply {
	return func(c captured) reply {
		raw, _ := json.Marshal(c.Body)
		var req hubspot.SearchRequest
		if err := json.Unmarshal(raw, &req); err != nil {
			t.Errorf("bad search body: %v", err)
		}
		gt := 0
		for _, g := range req.FilterGroups {
			for _, f := range g.Filters {
				if f.PropertyName == "hs_object_id" && f.Operator == hubspot.OperatorGT {
					gt, _ = strconv.Atoi(f.Value)
				}
			}
		}
		after, _ := strconv.Atoi(req.After)
		if after+req.Limit > hubspot.SearchResultCap {
			return reply{status: 400, body: `{"status":"error","category":"VALIDATION_ERROR","message":"paging past 10000"}`}
		}
		total := n - gt
		var results []string
		for id := gt + 1 + after; id <= n && len(results) < req.Limit; id++ {
			results = append(results, fmt.Sprintf(`{"id":"%d","properties":{"hs_object_id":"%d"}}`, id, id))
		}
		body := fmt.Sprintf(`{"total":%d,"results":[%s]`, total, strings.Join(results, ","))
		if next := after + req.Limit; next < total {
			body += fmt.Sprintf(`,"paging":{"next":{"after":"%d"}}`, next)
		}
		return reply{status: 200, body: body + "}"}
	}
}

func TestSearchIterPastResultCap(t *testing.T) {
	t.Parallel()
	const n = 10450
	h := newHarness(t)
	h.handler = searchServer(t, n)
	req := &hubspot.SearchRequest{
		FilterGroups: []hubspot.FilterGroup{{Filters: []hubspot.Filter{{PropertyName: "email", Operator: hubspot.OperatorHasProperty}}}},
		Properties:   []string{"email"},
	}
	want := 1
	for c, err := range h.client.Contacts.SearchIter(t.Context(), req) {
		if err != nil {
			t.Fatalf("after %d results: %v", want-1, err)
		}
		if c.ID != strconv.Itoa(want) {
			t.Fatalf("got id %s, want %d", c.ID, want)
		}
		want++
	}
	if want-1 != n {
		t.Fatalf("iterated %d results, want %d", want-1, n)
	}
	reqs := h.requests()
	if len(reqs) != 53 { // 50 pages of 200 up to the cap, then 200+200+50
		t.Errorf("requests = %d, want 53", len(reqs))
	}
	// The narrowed query keeps the caller's filter and adds the bound.
	wantNarrowed := decodeJSON(t, `{"filterGroups":[{"filters":[
		{"propertyName":"email","operator":"HAS_PROPERTY"},
		{"propertyName":"hs_object_id","operator":"GT","value":"10000"}]}],
		"sorts":[{"propertyName":"hs_object_id","direction":"ASCENDING"}],
		"properties":["email"],"limit":200}`)
	if diff := cmp.Diff(wantNarrowed, reqs[50].Body); diff != "" {
		t.Errorf("narrowed request (-want +got):\n%s", diff)
	}
	// The caller's request is not modified.
	if len(req.Sorts) != 0 || len(req.FilterGroups[0].Filters) != 1 || req.Limit != 0 {
		t.Errorf("caller's request mutated: %+v", req)
	}
}

func TestSearchIterCustomSortAtCap(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.handler = searchServer(t, 10100)
	got, errs := 0, 0
	for _, err := range h.client.Contacts.SearchIter(t.Context(), &hubspot.SearchRequest{
		Sorts: []hubspot.Sort{{PropertyName: "lastmodifieddate", Direction: hubspot.Ascending}},
	}) {
		if err != nil {
			errs++
			if !errors.Is(err, hubspot.ErrSearchCapReached) {
				t.Errorf("err = %v", err)
			}
			continue
		}
		got++
	}
	if got != hubspot.SearchResultCap || errs != 1 {
		t.Errorf("got %d results and %d errors", got, errs)
	}
}

func TestSearchIterEarlyBreakAndError(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.handler = searchServer(t, 1000)
	i := 0
	for _, err := range h.client.Contacts.SearchIter(t.Context(), &hubspot.SearchRequest{Limit: 10}) {
		if err != nil {
			t.Fatal(err)
		}
		if i++; i == 15 {
			break
		}
	}
	if n := len(h.requests()); n != 2 {
		t.Errorf("requests = %d, want 2", n)
	}

	h2 := newHarness(t)
	h2.queue(reply{status: 200, body: `{"total":3,"results":[{"id":"1","properties":{}}],"paging":{"next":{"after":"1"}}}`},
		reply{status: 400, body: `{"message":"boom"}`})
	var ids []string
	errs := 0
	for c, err := range h2.client.Contacts.SearchIter(t.Context(), &hubspot.SearchRequest{Limit: 1}) {
		if err != nil {
			errs++
			continue
		}
		ids = append(ids, c.ID)
	}
	if len(ids) != 1 || errs != 1 {
		t.Errorf("ids %v, errors %d", ids, errs)
	}
}
