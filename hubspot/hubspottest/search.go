package hubspottest

import (
	"bytes"
	"encoding/json"
	"math"
	"net/http"
	"path"
	"slices"
	"sort"
	"strconv"
	"strings"
	"unicode"
)

// Search limits (hubspot-api.md §3.3).
const (
	maxSearchLimit   = 200
	maxSearchResults = 10000
	maxFilterGroups  = 5
	maxGroupFilters  = 6
	maxTotalFilters  = 18
	maxQueryLen      = 3000
	searchCacheSize  = 16
)

type wireFilter struct {
	PropertyName string          `json:"propertyName"`
	Operator     string          `json:"operator"`
	Value        json.RawMessage `json:"value,omitempty"`
	HighValue    json.RawMessage `json:"highValue,omitempty"`
	Values       []string        `json:"values,omitempty"`
}

type wireFilterGroup struct {
	Filters []wireFilter `json:"filters"`
}

type wireSort struct {
	PropertyName string `json:"propertyName"`
	Direction    string `json:"direction"`
}

type wireSearch struct {
	FilterGroups []wireFilterGroup `json:"filterGroups"`
	Sorts        []json.RawMessage `json:"sorts"`
	Query        string            `json:"query"`
	Properties   []string          `json:"properties"`
	Limit        *int              `json:"limit"`
	After        string            `json:"after"`
}

type wireSearchResponse struct {
	Total   int          `json:"total"`
	Results []wireObject `json:"results"`
	Paging  *wirePaging  `json:"paging,omitempty"`
}

// searchCacheEntry memoizes the ordered matches of a query for paging.
type searchCacheEntry struct {
	gen     uint64
	matches []*contact
}

// value kinds for comparisons.
const (
	kindString = iota // case-insensitive text
	kindExact         // enumeration/bool: case-sensitive
	kindNumber        // number, datetime and date (as epoch ms)
)

type compiledFilter struct {
	name   string
	op     string
	kind   int
	str    string // lower-cased for kindString
	hiStr  string
	num    float64
	hi     float64
	strs   []string
	nums   []float64
	global bool // name is a maintained numeric field with a fast path
}

// rawValue unmarshals a filter value given as JSON string or number.
func rawValue(m json.RawMessage) (string, bool) {
	m = bytes.TrimSpace(m)
	if len(m) == 0 || string(m) == "null" {
		return "", false
	}
	var s string
	if m[0] == '"' {
		if json.Unmarshal(m, &s) != nil {
			return "", false
		}
		return s, true
	}
	return string(m), true
}

func kindOf(p *Property) int {
	switch p.Type {
	case "number", "datetime", "date":
		return kindNumber
	case "enumeration", "bool":
		return kindExact
	}
	return kindString
}

// parseNumber converts a filter or property value of a numeric kind.
func parseNumber(p *Property, s string) (float64, bool) {
	switch p.Type {
	case "datetime":
		t, ok := parseInstant(s)
		return float64(t.UnixMilli()), ok
	case "date":
		t, ok := parseDate(s)
		if !ok {
			t, ok = parseInstant(s)
		}
		return float64(t.UnixMilli()), ok
	}
	n, err := strconv.ParseFloat(s, 64)
	return n, err == nil
}

func (f *Fake) compileFilter(w wireFilter) (compiledFilter, *apiError) {
	def, ok := f.props[w.PropertyName]
	if !ok {
		return compiledFilter{}, validationError("There was a problem with the request: property %q does not exist", w.PropertyName)
	}
	cf := compiledFilter{name: w.PropertyName, op: w.Operator, kind: kindOf(def)}
	switch w.PropertyName {
	case "hs_object_id", "createdate", "lastmodifieddate":
		cf.global = true
	}
	one := func(m json.RawMessage) (string, float64, *apiError) {
		s, ok := rawValue(m)
		if !ok {
			return "", 0, validationError("Operator %s requires a value for property %s", w.Operator, w.PropertyName)
		}
		if cf.kind == kindNumber {
			n, ok := parseNumber(def, s)
			if !ok {
				return "", 0, validationError("%s is not a valid value for property %s of type %s", s, w.PropertyName, def.Type)
			}
			return s, n, nil
		}
		if cf.kind == kindString {
			s = strings.ToLower(s)
		}
		return s, 0, nil
	}
	var e *apiError
	switch w.Operator {
	case "EQ", "NEQ", "LT", "LTE", "GT", "GTE":
		cf.str, cf.num, e = one(w.Value)
	case "BETWEEN":
		if cf.str, cf.num, e = one(w.Value); e == nil {
			cf.hiStr, cf.hi, e = one(w.HighValue)
		}
	case "IN", "NOT_IN":
		if len(w.Values) == 0 {
			return cf, validationError("Operator %s requires values for property %s", w.Operator, w.PropertyName)
		}
		for _, v := range w.Values {
			if cf.kind == kindNumber {
				n, ok := parseNumber(def, v)
				if !ok {
					return cf, validationError("%s is not a valid value for property %s of type %s", v, w.PropertyName, def.Type)
				}
				cf.nums = append(cf.nums, n)
			} else {
				// String IN/NOT_IN values must be lower-case (hubspot-api.md §3.1):
				// they are compared as sent against the lower-cased value.
				cf.strs = append(cf.strs, v)
			}
		}
	case "HAS_PROPERTY", "NOT_HAS_PROPERTY":
	case "CONTAINS_TOKEN", "NOT_CONTAINS_TOKEN":
		s, ok := rawValue(w.Value)
		if !ok {
			return cf, validationError("Operator %s requires a value for property %s", w.Operator, w.PropertyName)
		}
		cf.str = strings.ToLower(s)
	default:
		return cf, validationError("Invalid filter operator %q", w.Operator)
	}
	return cf, e
}

// valueOf returns c's value of the filter's property.
func (f *Fake) valueOf(c *contact, name string) (string, bool) {
	v, ok := c.props[name]
	return v, ok && v != ""
}

func numericOf(c *contact, name string) float64 {
	switch name {
	case "hs_object_id":
		return float64(c.id)
	case "createdate":
		return float64(c.createdAt.UnixMilli())
	default:
		return float64(c.updatedAt.UnixMilli())
	}
}

func (f *Fake) matchFilter(c *contact, cf *compiledFilter) bool {
	var (
		s   string
		n   float64
		has bool
	)
	if cf.global {
		n, has = numericOf(c, cf.name), true
	} else {
		s, has = f.valueOf(c, cf.name)
		if has && cf.kind == kindNumber {
			n, has = parseNumber(f.props[cf.name], s)
		}
	}
	switch cf.op {
	case "HAS_PROPERTY":
		return has
	case "NOT_HAS_PROPERTY":
		return !has
	case "NEQ":
		return !has || !eqValue(cf, s, n)
	case "NOT_IN":
		return !has || !inValues(cf, s, n)
	case "NOT_CONTAINS_TOKEN":
		return !has || !containsToken(strings.ToLower(s), cf.str)
	}
	if !has {
		return false
	}
	switch cf.op {
	case "EQ":
		return eqValue(cf, s, n)
	case "IN":
		return inValues(cf, s, n)
	case "CONTAINS_TOKEN":
		return containsToken(strings.ToLower(s), cf.str)
	}
	var c1, c2 int
	switch cf.kind {
	case kindNumber:
		c1, c2 = cmpFloat(n, cf.num), cmpFloat(n, cf.hi)
	case kindString:
		s = strings.ToLower(s)
		fallthrough
	default:
		c1, c2 = strings.Compare(s, cf.str), strings.Compare(s, cf.hiStr)
	}
	switch cf.op {
	case "LT":
		return c1 < 0
	case "LTE":
		return c1 <= 0
	case "GT":
		return c1 > 0
	case "GTE":
		return c1 >= 0
	case "BETWEEN":
		return c1 >= 0 && c2 <= 0
	}
	return false
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func eqValue(cf *compiledFilter, s string, n float64) bool {
	switch cf.kind {
	case kindNumber:
		return n == cf.num
	case kindString:
		return strings.EqualFold(s, cf.str)
	}
	return s == cf.str
}

// inValues matches s against the IN values; for strings the lower-cased
// value must equal a value as sent, so only lower-case values can match.
func inValues(cf *compiledFilter, s string, n float64) bool {
	switch cf.kind {
	case kindNumber:
		return slices.Contains(cf.nums, n)
	case kindString:
		for _, v := range cf.strs {
			if strings.EqualFold(s, v) && v == strings.ToLower(v) {
				return true
			}
		}
		return false
	}
	return slices.Contains(cf.strs, s)
}

// tokens splits a lower-cased value into words; the whole value, an email's
// local part and domain are tokens too.
func tokens(s string) []string {
	out := []string{s}
	if l, d, ok := strings.Cut(s, "@"); ok {
		out = append(out, l, d)
	}
	return append(out, strings.FieldsFunc(s, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })...)
}

// containsToken implements CONTAINS_TOKEN: a token equals the pattern, or
// matches it as a glob when it contains '*'.
func containsToken(s, pat string) bool {
	for _, t := range tokens(s) {
		if strings.Contains(pat, "*") {
			if ok, _ := path.Match(pat, t); ok {
				return true
			}
		} else if t == pat {
			return true
		}
	}
	return false
}

// querySearchable are the properties the free-text query searches.
var querySearchable = []string{"firstname", "lastname", "email", "phone", "hs_additional_emails", "fax", "mobilephone", "company"}

// matchQuery reports whether every term of q prefixes a token of a
// searchable property.
func matchQuery(c *contact, terms []string) bool {
	for _, term := range terms {
		found := false
		for _, p := range querySearchable {
			v := c.props[p]
			if v == "" {
				continue
			}
			for _, t := range tokens(strings.ToLower(v)) {
				if strings.HasPrefix(t, term) {
					found = true
					break
				}
			}
			if found {
				break
			}
		}
		if !found {
			return false
		}
	}
	return true
}

func (f *Fake) handleSearch(w http.ResponseWriter, r *http.Request) {
	var in wireSearch
	if e := decodeBody(r, &in); e != nil {
		writeError(w, e)
		return
	}
	limit := 10
	if in.Limit != nil && *in.Limit != 0 {
		limit = *in.Limit
	}
	if limit < 1 || limit > maxSearchLimit {
		writeError(w, validationError("limit must be between 1 and %d, got %d", maxSearchLimit, limit))
		return
	}
	after := 0
	if in.After != "" {
		n, err := strconv.Atoi(in.After)
		if err != nil || n < 0 {
			writeError(w, validationError("after must be an integer offset, got %q", in.After))
			return
		}
		after = n
	}
	if after >= maxSearchResults {
		writeError(w, validationError("The search API returns at most %d results per query; after=%d is beyond that limit", maxSearchResults, after))
		return
	}
	if len(in.Query) > maxQueryLen {
		writeError(w, validationError("query must be at most %d characters", maxQueryLen))
		return
	}
	if len(in.FilterGroups) > maxFilterGroups {
		writeError(w, validationError("Too many filter groups: %d; the maximum is %d", len(in.FilterGroups), maxFilterGroups))
		return
	}
	total := 0
	for _, g := range in.FilterGroups {
		if len(g.Filters) > maxGroupFilters {
			writeError(w, validationError("Too many filters in a filter group: %d; the maximum is %d", len(g.Filters), maxGroupFilters))
			return
		}
		total += len(g.Filters)
	}
	if total > maxTotalFilters {
		writeError(w, validationError("Too many filters: %d; the maximum is %d", total, maxTotalFilters))
		return
	}
	var srt *wireSort
	if len(in.Sorts) > 0 {
		var s wireSort
		if err := json.Unmarshal(in.Sorts[0], &s); err != nil || s.PropertyName == "" {
			writeError(w, validationError("sorts must be objects {\"propertyName\":...,\"direction\":\"ASCENDING\"|\"DESCENDING\"}, got %s", in.Sorts[0]))
			return
		}
		if s.Direction == "" {
			s.Direction = "ASCENDING"
		}
		if s.Direction != "ASCENDING" && s.Direction != "DESCENDING" {
			writeError(w, validationError("Invalid sort direction %q", s.Direction))
			return
		}
		srt = &s
	}
	names := in.Properties
	if len(names) == 0 {
		names = defaultReadProps
	}

	f.mu.RLock()
	defer f.mu.RUnlock()
	if srt != nil {
		if _, ok := f.props[srt.PropertyName]; !ok {
			writeError(w, validationError("There was a problem with the request: sort property %q does not exist", srt.PropertyName))
			return
		}
	}
	groups := make([][]compiledFilter, len(in.FilterGroups))
	for i, g := range in.FilterGroups {
		for _, wf := range g.Filters {
			cf, e := f.compileFilter(wf)
			if e != nil {
				writeError(w, e)
				return
			}
			groups[i] = append(groups[i], cf)
		}
	}
	end := min(after+limit, maxSearchResults)
	// Offsets count the phantom entries first (WithSearchPhantoms).
	ph := f.phantoms
	total, page := f.searchPage(in, groups, srt, max(after-ph, 0), max(end-ph, 0))
	total += ph
	resp := wireSearchResponse{Total: total, Results: make([]wireObject, 0, len(page))}
	for _, c := range page {
		resp.Results = append(resp.Results, f.render(c, names))
	}
	covered := max(min(end, total)-after, 0) // offsets this page served, phantoms included
	if ph == 0 {
		covered = len(page)
	}
	if next := after + covered; next < total && covered > 0 {
		resp.Paging = &wirePaging{Next: &wireNext{After: strconv.Itoa(next)}}
	}
	writeJSON(w, http.StatusOK, resp)
}

// searchPage returns the total number of matches and the contacts at
// offsets [after, end). A first page in id order (no sort, or a sort on
// hs_object_id) is streamed without materializing the matches, starting at
// the hs_object_id lower bound of the filters. Later pages and other sorts
// collect the matches once (filter first, then sort only the matches) and
// cache them, keyed by the query, until the next write. Callers hold f.mu
// (read).
func (f *Fake) searchPage(in wireSearch, groups [][]compiledFilter, srt *wireSort, after, end int) (int, []*contact) {
	terms := strings.Fields(strings.ToLower(in.Query))
	now := f.now()
	visible := func(c *contact) *contact {
		if f.lag > 0 && now.Before(c.visibleAt) {
			c = c.prev
			if c == nil {
				return nil
			}
		}
		if c.archived || len(terms) > 0 && !matchQuery(c, terms) || len(groups) > 0 && !f.matchGroups(c, groups) {
			return nil
		}
		return c
	}
	idOrder := srt == nil || srt.PropertyName == "hs_object_id"
	desc := srt != nil && srt.Direction == "DESCENDING"
	lo := 0
	if idOrder {
		lo = sort.Search(len(f.ordered), func(i int) bool { return float64(f.ordered[i].id) >= minObjectID(groups) })
	}
	cands := f.ordered[lo:]
	// A first page in id order streams: it counts the matches and keeps only
	// the page. Later pages, and other orders, use the cached match list.
	if idOrder && (after == 0 || f.lag > 0) {
		total := 0
		var page []*contact
		for i := range cands {
			c := cands[i]
			if desc {
				c = cands[len(cands)-1-i]
			}
			if c = visible(c); c == nil {
				continue
			}
			if total >= after && total < end {
				page = append(page, c)
			}
			total++
		}
		return total, page
	}

	var key string
	if f.lag == 0 {
		kb, _ := json.Marshal(struct {
			G []wireFilterGroup
			S *wireSort
			Q string
		}{in.FilterGroups, srt, in.Query})
		key = string(kb)
		f.cacheMu.Lock()
		e, ok := f.cache[key]
		f.cacheMu.Unlock()
		if ok && e.gen == f.gen {
			return len(e.matches), window(e.matches, after, end)
		}
	}
	var matches []*contact
	for _, c := range cands {
		if c = visible(c); c != nil {
			matches = append(matches, c)
		}
	}
	switch {
	case !idOrder:
		f.sortMatches(matches, srt)
	case desc:
		slices.Reverse(matches)
	}
	if f.lag == 0 {
		f.cacheMu.Lock()
		if len(f.cache) >= searchCacheSize {
			clear(f.cache)
		}
		f.cache[key] = searchCacheEntry{gen: f.gen, matches: matches}
		f.cacheMu.Unlock()
	}
	return len(matches), window(matches, after, end)
}

func window(m []*contact, after, end int) []*contact {
	end = min(end, len(m))
	if after >= end {
		return nil
	}
	return m[after:end]
}

// minObjectID is a lower bound of the hs_object_id of any match, from
// hs_object_id filters present in every group (the usual id tie-breaker).
func minObjectID(groups [][]compiledFilter) float64 {
	if len(groups) == 0 {
		return 0
	}
	lowest := math.Inf(1)
	for _, g := range groups {
		lb := 0.0
		for _, cf := range g {
			if cf.name != "hs_object_id" {
				continue
			}
			switch cf.op {
			case "GT":
				lb = max(lb, math.Floor(cf.num)+1)
			case "GTE", "EQ", "BETWEEN":
				lb = max(lb, math.Ceil(cf.num))
			}
		}
		lowest = min(lowest, lb)
	}
	return lowest
}

func (f *Fake) matchGroups(c *contact, groups [][]compiledFilter) bool {
	for _, g := range groups {
		ok := true
		for i := range g {
			if !f.matchFilter(c, &g[i]) {
				ok = false
				break
			}
		}
		if ok {
			return true
		}
	}
	return false
}

// sortMatches orders matches by the sort property; ties are ordered by id
// ascending and missing values come last in both directions.
func (f *Fake) sortMatches(matches []*contact, s *wireSort) {
	name := s.PropertyName
	desc := s.Direction == "DESCENDING"
	def := f.props[name]
	numeric := kindOf(def) == kindNumber
	type keyed struct {
		c   *contact
		n   float64
		s   string
		has bool
	}
	ks := make([]keyed, len(matches))
	for i, c := range matches {
		k := keyed{c: c}
		switch {
		case name == "createdate" || name == "lastmodifieddate":
			k.n, k.has = numericOf(c, name), true
		default:
			v, has := f.valueOf(c, name)
			k.has = has
			if has && numeric {
				k.n, k.has = parseNumber(def, v)
			} else if has {
				k.s = strings.ToLower(v)
			}
		}
		ks[i] = k
	}
	slices.SortFunc(ks, func(a, b keyed) int {
		if a.has != b.has {
			if a.has {
				return -1
			}
			return 1
		}
		c := cmpFloat(a.n, b.n)
		if c == 0 {
			c = strings.Compare(a.s, b.s)
		}
		if desc {
			c = -c
		}
		if c == 0 {
			c = cmpInt(a.c.id, b.c.id)
		}
		return c
	})
	for i := range ks {
		matches[i] = ks[i].c
	}
}

func cmpInt(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
