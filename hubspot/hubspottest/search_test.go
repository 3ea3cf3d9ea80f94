package hubspottest_test

import (
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/cardbridge/sansanhubspot/hubspot/hubspottest"
)

type filter struct {
	PropertyName string   `json:"propertyName"`
	Operator     string   `json:"operator"`
	Value        string   `json:"value,omitempty"`
	HighValue    string   `json:"highValue,omitempty"`
	Values       []string `json:"values,omitempty"`
}

type group struct {
	Filters []filter `json:"filters"`
}

type sortSpec struct {
	PropertyName string `json:"propertyName"`
	Direction    string `json:"direction"`
}

type searchReq struct {
	FilterGroups []group    `json:"filterGroups,omitempty"`
	Sorts        []sortSpec `json:"sorts,omitempty"`
	Query        string     `json:"query,omitempty"`
	Properties   []string   `json:"properties,omitempty"`
	Limit        int        `json:"limit,omitempty"`
	After        string     `json:"after,omitempty"`
}

func search(t *testing.T, s *hubspottest.Server, req any) searchResponse {
	t.Helper()
	r := call(t, s, http.MethodPost, "crm/v3/objects/contacts/search", req)
	wantStatus(t, r, http.StatusOK)
	var out searchResponse
	r.Into(t, &out)
	return out
}

func firstnames(res searchResponse) []string {
	out := []string{}
	for _, o := range res.Results {
		out = append(out, o.prop("firstname"))
	}
	return out
}

func TestSearchOperators(t *testing.T) {
	t.Parallel()
	clk := newClock()
	s := hubspottest.NewTestServer(t, hubspottest.WithClock(clk.Now))
	if err := s.Fake.AddProperty(hubspottest.Property{Name: "score", Label: "Score", Type: "number", FieldType: "number", GroupName: "contactinformation"}); err != nil {
		t.Fatal(err)
	}
	seed := []map[string]string{
		{"firstname": "Ann", "email": "ann@acme.com", "company": "Acme Corp", "lifecyclestage": "lead", "score": "10"},
		{"firstname": "Bob", "email": "bob@hubspot.com", "company": "HubSpot", "lifecyclestage": "customer", "score": "20"},
		{"firstname": "Cid", "email": "cid@acme.com", "lifecyclestage": "lead", "score": "30"},
		{"firstname": "Dee", "company": "Initech"},
	}
	var t0 int64
	for i, p := range seed {
		c := mustCreate(t, s.Fake, p)
		if i == 0 {
			t0 = c.CreatedAt.UnixMilli()
		}
		clk.Advance(time.Hour)
	}
	ms := func(h int) string { return strconv.FormatInt(t0+int64(h)*3600_000, 10) }
	tests := []struct {
		name string
		f    filter
		want []string
	}{
		{"EQ string case-insensitive", filter{PropertyName: "email", Operator: "EQ", Value: "ANN@acme.com"}, []string{"Ann"}},
		{"EQ enumeration case-sensitive", filter{PropertyName: "lifecyclestage", Operator: "EQ", Value: "LEAD"}, []string{}},
		{"EQ enumeration", filter{PropertyName: "lifecyclestage", Operator: "EQ", Value: "lead"}, []string{"Ann", "Cid"}},
		{"NEQ includes missing", filter{PropertyName: "lifecyclestage", Operator: "NEQ", Value: "lead"}, []string{"Bob", "Dee"}},
		{"LT number", filter{PropertyName: "score", Operator: "LT", Value: "20"}, []string{"Ann"}},
		{"LTE number", filter{PropertyName: "score", Operator: "LTE", Value: "20"}, []string{"Ann", "Bob"}},
		{"GT number", filter{PropertyName: "score", Operator: "GT", Value: "9.5"}, []string{"Ann", "Bob", "Cid"}},
		{"GTE number", filter{PropertyName: "score", Operator: "GTE", Value: "30"}, []string{"Cid"}},
		{"BETWEEN number", filter{PropertyName: "score", Operator: "BETWEEN", Value: "15", HighValue: "30"}, []string{"Bob", "Cid"}},
		{"GTE datetime epoch ms", filter{PropertyName: "createdate", Operator: "GTE", Value: ms(2)}, []string{"Cid", "Dee"}},
		{"LT datetime ISO", filter{PropertyName: "lastmodifieddate", Operator: "LT", Value: "2026-03-01T10:00:00.000Z"}, []string{"Ann"}},
		{"BETWEEN datetime", filter{PropertyName: "lastmodifieddate", Operator: "BETWEEN", Value: ms(1), HighValue: ms(2)}, []string{"Bob", "Cid"}},
		{"IN lower-case values", filter{PropertyName: "company", Operator: "IN", Values: []string{"hubspot", "initech"}}, []string{"Bob", "Dee"}},
		{"IN upper-case values do not match strings", filter{PropertyName: "company", Operator: "IN", Values: []string{"HubSpot"}}, []string{}},
		{"NOT_IN", filter{PropertyName: "lifecyclestage", Operator: "NOT_IN", Values: []string{"lead"}}, []string{"Bob", "Dee"}},
		{"IN hs_object_id", filter{PropertyName: "hs_object_id", Operator: "IN", Values: []string{"1", "3"}}, []string{"Ann", "Cid"}},
		{"HAS_PROPERTY", filter{PropertyName: "email", Operator: "HAS_PROPERTY"}, []string{"Ann", "Bob", "Cid"}},
		{"NOT_HAS_PROPERTY", filter{PropertyName: "email", Operator: "NOT_HAS_PROPERTY"}, []string{"Dee"}},
		{"CONTAINS_TOKEN wildcard", filter{PropertyName: "email", Operator: "CONTAINS_TOKEN", Value: "*@acme.com"}, []string{"Ann", "Cid"}},
		{"CONTAINS_TOKEN word", filter{PropertyName: "company", Operator: "CONTAINS_TOKEN", Value: "corp"}, []string{"Ann"}},
		{"NOT_CONTAINS_TOKEN", filter{PropertyName: "email", Operator: "NOT_CONTAINS_TOKEN", Value: "*@acme.com"}, []string{"Bob", "Dee"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			res := search(t, s, searchReq{FilterGroups: []group{{Filters: []filter{tt.f}}}, Properties: []string{"firstname"}})
			if diff := cmp.Diff(tt.want, firstnames(res)); diff != "" || res.Total != len(tt.want) {
				t.Errorf("total %d; results (-want +got):\n%s", res.Total, diff)
			}
		})
	}
	t.Run("groups OR, filters AND", func(t *testing.T) {
		t.Parallel()
		res := search(t, s, searchReq{Properties: []string{"firstname"}, FilterGroups: []group{
			{Filters: []filter{{PropertyName: "lifecyclestage", Operator: "EQ", Value: "lead"}, {PropertyName: "score", Operator: "GT", Value: "10"}}},
			{Filters: []filter{{PropertyName: "company", Operator: "EQ", Value: "initech"}}},
		}})
		if diff := cmp.Diff([]string{"Cid", "Dee"}, firstnames(res)); diff != "" {
			t.Errorf("(-want +got):\n%s", diff)
		}
	})
	t.Run("query", func(t *testing.T) {
		t.Parallel()
		res := search(t, s, searchReq{Query: "acm", Properties: []string{"firstname"}})
		if diff := cmp.Diff([]string{"Ann", "Cid"}, firstnames(res)); diff != "" {
			t.Errorf("(-want +got):\n%s", diff)
		}
	})
	t.Run("default properties", func(t *testing.T) {
		t.Parallel()
		res := search(t, s, searchReq{Limit: 1})
		var keys []string
		for k := range res.Results[0].Properties {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		if diff := cmp.Diff([]string{"createdate", "email", "firstname", "hs_object_id", "lastmodifieddate", "lastname"}, keys); diff != "" {
			t.Errorf("(-want +got):\n%s", diff)
		}
	})
	t.Run("archived never found", func(t *testing.T) {
		t.Parallel()
		res := search(t, s, searchReq{FilterGroups: []group{{Filters: []filter{{PropertyName: "firstname", Operator: "EQ", Value: "Eve"}}}}})
		if res.Total != 0 {
			t.Errorf("total = %d", res.Total)
		}
	})
}

func TestSearchSortsAndPaging(t *testing.T) {
	t.Parallel()
	clk := newClock()
	s := hubspottest.NewTestServer(t, hubspottest.WithClock(clk.Now))
	var ids []string
	for i := range 7 {
		ids = append(ids, mustCreate(t, s.Fake, map[string]string{"firstname": fmt.Sprintf("n%d", i), "lastname": string(rune('g' - i))}).ID)
		clk.Advance(time.Second)
	}
	// Touch the first contact so it becomes the most recently modified.
	if _, err := s.Fake.UpdateContact(ids[0], map[string]string{"jobtitle": "x"}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		sort []sortSpec
		want []string
	}{
		{"default is id ascending", nil, []string{"n0", "n1", "n2", "n3", "n4", "n5", "n6"}},
		{"hs_object_id descending", []sortSpec{{"hs_object_id", "DESCENDING"}}, []string{"n6", "n5", "n4", "n3", "n2", "n1", "n0"}},
		{"lastmodifieddate ascending", []sortSpec{{"lastmodifieddate", "ASCENDING"}}, []string{"n1", "n2", "n3", "n4", "n5", "n6", "n0"}},
		{"lastmodifieddate descending", []sortSpec{{"lastmodifieddate", "DESCENDING"}}, []string{"n0", "n6", "n5", "n4", "n3", "n2", "n1"}},
		{"string ascending", []sortSpec{{"lastname", "ASCENDING"}}, []string{"n6", "n5", "n4", "n3", "n2", "n1", "n0"}},
		{"only first sort applies", []sortSpec{{"lastname", "DESCENDING"}, {"hs_object_id", "DESCENDING"}}, []string{"n0", "n1", "n2", "n3", "n4", "n5", "n6"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var got []string
			after := ""
			for {
				res := search(t, s, searchReq{Sorts: tt.sort, Limit: 3, After: after, Properties: []string{"firstname"}})
				if res.Total != 7 {
					t.Fatalf("total = %d", res.Total)
				}
				got = append(got, firstnames(res)...)
				if after = res.next(); after == "" {
					break
				}
				if _, err := strconv.Atoi(after); err != nil {
					t.Fatalf("after %q is not an integer", after)
				}
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestSearchValidation(t *testing.T) {
	t.Parallel()
	s := hubspottest.NewTestServer(t)
	f := filter{PropertyName: "email", Operator: "HAS_PROPERTY"}
	groups := func(n, per int) []group {
		g := make([]group, n)
		for i := range g {
			g[i].Filters = slices.Repeat([]filter{f}, per)
		}
		return g
	}
	tests := []struct {
		name string
		req  any
		want int
	}{
		{"5 groups ok", searchReq{FilterGroups: groups(5, 3)}, http.StatusOK},
		{"6 groups", searchReq{FilterGroups: groups(6, 1)}, http.StatusBadRequest},
		{"6 filters per group ok", searchReq{FilterGroups: groups(3, 6)}, http.StatusOK},
		{"7 filters in a group", searchReq{FilterGroups: groups(1, 7)}, http.StatusBadRequest},
		{"19 filters total", searchReq{FilterGroups: append(groups(3, 6), group{Filters: []filter{f}})}, http.StatusBadRequest},
		{"limit 200 ok", searchReq{Limit: 200}, http.StatusOK},
		{"limit 201", searchReq{Limit: 201}, http.StatusBadRequest},
		{"non-integer after", searchReq{After: "abc"}, http.StatusBadRequest},
		{"string sorts", map[string]any{"sorts": []string{"createdate"}}, http.StatusBadRequest},
		{"unknown operator", searchReq{FilterGroups: []group{{Filters: []filter{{PropertyName: "email", Operator: "LIKE", Value: "x"}}}}}, http.StatusBadRequest},
		{"unknown property", searchReq{FilterGroups: []group{{Filters: []filter{{PropertyName: "nope", Operator: "EQ", Value: "x"}}}}}, http.StatusBadRequest},
		{"EQ without value", searchReq{FilterGroups: []group{{Filters: []filter{{PropertyName: "email", Operator: "EQ"}}}}}, http.StatusBadRequest},
		{"bad datetime value", searchReq{FilterGroups: []group{{Filters: []filter{{PropertyName: "createdate", Operator: "GT", Value: "yesterday"}}}}}, http.StatusBadRequest},
		{"empty body ok", map[string]any{}, http.StatusOK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := call(t, s, http.MethodPost, "crm/v3/objects/contacts/search", tt.req)
			wantStatus(t, r, tt.want)
			if tt.want == http.StatusBadRequest {
				var e apiErr
				r.Into(t, &e)
				if e.Category != "VALIDATION_ERROR" {
					t.Errorf("category = %q", e.Category)
				}
			}
		})
	}
}

func TestSearchResultCap(t *testing.T) {
	t.Parallel()
	s := hubspottest.NewTestServer(t)
	for i := range 10_050 {
		mustCreate(t, s.Fake, map[string]string{"firstname": strconv.Itoa(i)})
	}
	res := search(t, s, searchReq{Limit: 200, After: "9800"})
	if res.Total != 10_050 || len(res.Results) != 200 || res.next() != "10000" {
		t.Fatalf("total %d, results %d, next %q", res.Total, len(res.Results), res.next())
	}
	res = search(t, s, searchReq{Limit: 100, After: "9950"})
	if len(res.Results) != 50 || res.next() != "10000" {
		t.Errorf("results %d next %q at the cap", len(res.Results), res.next())
	}
	for _, after := range []string{"10000", "10001", "20000"} {
		r := call(t, s, http.MethodPost, "crm/v3/objects/contacts/search", searchReq{Limit: 10, After: after})
		wantStatus(t, r, http.StatusBadRequest)
	}
}

func TestSearchSameTimestamp30k(t *testing.T) {
	t.Parallel()
	s := hubspottest.NewTestServer(t)
	ids := make([]string, 30_000)
	for i := range ids {
		ids[i] = mustCreate(t, s.Fake, map[string]string{"email": fmt.Sprintf("bulk%d@example.com", i)}).ID
	}
	stamp := time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC)
	if err := s.Fake.SetContactsModifiedAt(ids, stamp); err != nil {
		t.Fatal(err)
	}
	ms := strconv.FormatInt(stamp.UnixMilli(), 10)
	sameStamp := filter{PropertyName: "lastmodifieddate", Operator: "EQ", Value: ms}
	res := search(t, s, searchReq{Limit: 200, FilterGroups: []group{{Filters: []filter{sameStamp}}}, Properties: []string{"lastmodifieddate"}})
	if res.Total != 30_000 || len(res.Results) != 200 || res.next() != "200" {
		t.Fatalf("total %d, results %d, next %q", res.Total, len(res.Results), res.next())
	}
	for _, o := range res.Results {
		if o.prop("lastmodifieddate") != "2026-02-01T00:00:00.000Z" {
			t.Fatalf("lastmodifieddate = %q", o.prop("lastmodifieddate"))
		}
	}
	// Paging by offset cannot get past 10,000 identical timestamps...
	r := call(t, s, http.MethodPost, "crm/v3/objects/contacts/search", searchReq{Limit: 200, After: "10000", FilterGroups: []group{{Filters: []filter{sameStamp}}}})
	wantStatus(t, r, http.StatusBadRequest)
	// ...but the hs_object_id tie-breaker can.
	for _, from := range []int{14_999, 29_899} {
		res := search(t, s, searchReq{Limit: 200, Sorts: []sortSpec{{"hs_object_id", "ASCENDING"}}, Properties: []string{"email"},
			FilterGroups: []group{{Filters: []filter{sameStamp, {PropertyName: "hs_object_id", Operator: "GT", Value: ids[from]}}}}})
		var got []string
		for _, o := range res.Results {
			got = append(got, o.ID)
		}
		want := ids[from+1 : min(from+201, len(ids))]
		if diff := cmp.Diff(want, got); diff != "" || res.Total != len(ids)-from-1 {
			t.Errorf("after id %s: total %d; ids (-want +got):\n%s", ids[from], res.Total, diff)
		}
	}
}

func TestSearchIndexLag(t *testing.T) {
	t.Parallel()
	clk := newClock()
	s := hubspottest.NewTestServer(t, hubspottest.WithClock(clk.Now), hubspottest.WithSearchIndexLag(5*time.Second))
	c := mustCreate(t, s.Fake, map[string]string{"email": "lag@example.com", "firstname": "Old"})
	q := searchReq{FilterGroups: []group{{Filters: []filter{{PropertyName: "email", Operator: "EQ", Value: "lag@example.com"}}}}, Properties: []string{"firstname"}}
	if res := search(t, s, q); res.Total != 0 {
		t.Fatalf("found before indexing: %+v", res)
	}
	clk.Advance(5 * time.Second)
	if res := search(t, s, q); res.Total != 1 || res.Results[0].prop("firstname") != "Old" {
		t.Fatalf("after lag: %+v", res)
	}
	if _, err := s.Fake.UpdateContact(c.ID, map[string]string{"firstname": "New"}); err != nil {
		t.Fatal(err)
	}
	if res := search(t, s, q); res.Total != 1 || res.Results[0].prop("firstname") != "Old" {
		t.Errorf("during lag: %+v", res)
	}
	clk.Advance(5 * time.Second)
	if res := search(t, s, q); res.Results[0].prop("firstname") != "New" {
		t.Errorf("after second lag: %+v", res)
	}
	// Direct reads are never stale.
	r := call(t, s, http.MethodGet, "crm/v3/objects/contacts/"+c.ID+"?properties=firstname", nil)
	var o object
	r.Into(t, &o)
	if o.prop("firstname") != "New" {
		t.Errorf("GET = %+v", o)
	}
}
