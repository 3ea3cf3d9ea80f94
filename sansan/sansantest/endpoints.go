package sansantest

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/cardbridge/sansanhubspot/internal/jsonstr"
)

// parseQueryTime parses a required ISO 8601 date-time with offset. A raw
// "+" in the query decodes to a space, which fails here, as on the real API.
func parseQueryTime(q url.Values, name string) (time.Time, error) {
	s := q.Get(name)
	if s == "" {
		return time.Time{}, fmt.Errorf("%s is required", name)
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%s must be an ISO 8601 date-time with offset (YYYY-MM-DDThh:mm:ss±hh:mm), got %q", name, s)
	}
	return t, nil
}

func parseBool(q url.Values, name string) (bool, error) {
	switch q.Get(name) {
	case "", "false":
		return false, nil
	case "true":
		return true, nil
	}
	return false, fmt.Errorf("%s must be true or false", name)
}

func parseEnum(q url.Values, name, def string, allowed ...string) (string, error) {
	v := q.Get(name)
	if v == "" {
		return def, nil
	}
	if !slices.Contains(allowed, v) {
		return "", fmt.Errorf("%s must be one of %s", name, strings.Join(allowed, ", "))
	}
	return v, nil
}

// parseMulti validates a repeatable parameter (repeated keys, not commas).
func parseMulti(q url.Values, name string, def []string, allowed ...string) ([]string, error) {
	vs := q[name]
	if len(vs) == 0 {
		return def, nil
	}
	for _, v := range vs {
		if !slices.Contains(allowed, v) {
			return nil, fmt.Errorf("%s must be one of %s (repeat the parameter for several values)", name, strings.Join(allowed, ", "))
		}
	}
	return vs, nil
}

// cardQuery holds the options shared by the list and search endpoints.
type cardQuery struct {
	rng         string
	statuses    []string
	includePast bool
	includeTags bool
	orderBy     string
	desc        bool
}

func parseCardQuery(q url.Values, defOrder string, orders ...string) (cardQuery, error) {
	var cq cardQuery
	var err error
	if cq.rng, err = parseEnum(q, "range", "me", "me", "all"); err != nil {
		return cq, err
	}
	if cq.statuses, err = parseMulti(q, "entryStatus", []string{EntryStatusCompleted},
		EntryStatusProcessing, EntryStatusCompleted, EntryStatusUnreadable); err != nil {
		return cq, err
	}
	if cq.includePast, err = parseBool(q, "includePastBizCards"); err != nil {
		return cq, err
	}
	if cq.includeTags, err = parseBool(q, "includeTags"); err != nil {
		return cq, err
	}
	if cq.orderBy, err = parseEnum(q, "orderBy", defOrder, orders...); err != nil {
		return cq, err
	}
	dir, err := parseEnum(q, "orderDirection", "desc", "asc", "desc")
	if err != nil {
		return cq, err
	}
	cq.desc = dir == "desc"
	return cq, nil
}

// visible reports whether user u sees card c under range rng.
func visible(u *User, rng string, c *Card) bool {
	if c.OwnerID == u.ID {
		return true
	}
	if rng != "all" {
		return false
	}
	return u.Admin || slices.Contains(u.CanSee, c.OwnerID)
}

// selected reports whether c passes the visibility, entry-status and
// head-card filters. f.mu must be held.
func (f *Fake) selected(u *User, cq *cardQuery, c *Card) bool {
	if !visible(u, cq.rng, c) || !slices.Contains(cq.statuses, c.EntryStatus) {
		return false
	}
	if cq.includePast {
		return true
	}
	for _, id := range f.persons[c.PersonID] {
		o := f.cards[id]
		if o == nil || o.ID == c.ID {
			continue
		}
		if visible(u, cq.rng, o) && slices.Contains(cq.statuses, o.EntryStatus) && headRankLess(c, o) {
			return false
		}
	}
	return true
}

func sortCards(cs []*Card, orderBy string, desc bool) {
	key := func(c *Card) time.Time {
		switch orderBy {
		case "registeredAt":
			return c.RegisteredTime
		case "completedAt":
			return c.CompletedTime
		}
		return c.UpdatedTime
	}
	slices.SortStableFunc(cs, func(a, b *Card) int {
		r := key(a).Compare(key(b))
		if r == 0 {
			r = strings.Compare(a.ID, b.ID)
		}
		if desc {
			r = -r
		}
		return r
	})
}

// handleList serves GET /bizCards (card set by period).
func (f *Fake) handleList(w http.ResponseWriter, r *http.Request, u *User) {
	q := r.URL.Query()
	from, err := parseQueryTime(q, "updatedFrom")
	if err != nil {
		badRequest(w, "%v", err)
		return
	}
	to, err := parseQueryTime(q, "updatedTo")
	if err != nil {
		badRequest(w, "%v", err)
		return
	}
	if !to.After(from) {
		badRequest(w, "updatedTo must be later than updatedFrom")
		return
	}
	cq, err := parseCardQuery(q, "updatedAt", "registeredAt", "completedAt", "updatedAt")
	if err != nil {
		badRequest(w, "%v", err)
		return
	}
	s, lo, hi, next, ok := f.page(w, q, EndpointListBizCards, u, 100, 300, func() *snapshot {
		f.mu.RLock()
		idx := f.byUpdated
		start := sort.Search(len(idx), func(i int) bool { return !idx[i].UpdatedTime.Before(from) })
		end := sort.Search(len(idx), func(i int) bool { return idx[i].UpdatedTime.After(to) })
		var out []*Card
		if end > start {
			out = make([]*Card, 0, end-start)
			for _, c := range idx[start:end] {
				if f.selected(u, &cq, c) {
					out = append(out, c)
				}
			}
		}
		f.mu.RUnlock()
		switch {
		case cq.orderBy != "updatedAt":
			sortCards(out, cq.orderBy, cq.desc)
		case cq.desc:
			slices.Reverse(out) // the index is already (updatedTime, id) ascending
		}
		return &snapshot{cards: nonNil(out)}
	})
	if !ok {
		return
	}
	f.writeCards(w, u, s.cards[lo:hi], next, cq.includeTags)
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

var telPattern = regexp.MustCompile(`^[0-9-]+$`)

// handleSearch serves GET /bizCards/search (card set by conditions).
func (f *Fake) handleSearch(w http.ResponseWriter, r *http.Request, u *User) {
	q := r.URL.Query()
	cq, err := parseCardQuery(q, "registeredAt", "registeredAt", "updatedAt")
	if err != nil {
		badRequest(w, "%v", err)
		return
	}
	name, company, email := q.Get("name"), q.Get("companyName"), q.Get("email")
	tel, mobile := q.Get("tel"), q.Get("mobile")
	for _, p := range []struct{ k, v string }{{"tel", tel}, {"mobile", mobile}} {
		if p.v != "" && !telPattern.MatchString(p.v) {
			badRequest(w, "%s may contain only digits and hyphens", p.k)
			return
		}
	}
	tagIDs := q["tagId"]
	s, lo, hi, next, ok := f.page(w, q, EndpointSearchBizCards, u, 100, 300, func() *snapshot {
		f.mu.RLock()
		var out []*Card
		for _, c := range f.byUpdated {
			if !matchSearch(c, name, company, email, tel, mobile, tagIDs) || !f.selected(u, &cq, c) {
				continue
			}
			out = append(out, c)
		}
		f.mu.RUnlock()
		sortCards(out, cq.orderBy, cq.desc)
		return &snapshot{cards: nonNil(out)}
	})
	if !ok {
		return
	}
	f.writeCards(w, u, s.cards[lo:hi], next, cq.includeTags)
}

func deref(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

// matchSearch applies the documented matching rules: name prefix on
// lastName+firstName, companyName partial, email exact, tel/mobile partial,
// tagId any-of; conditions AND together.
func matchSearch(c *Card, name, company, email, tel, mobile string, tagIDs []string) bool {
	if name != "" && !strings.HasPrefix(deref(c.LastName)+deref(c.FirstName), name) {
		return false
	}
	if company != "" && !strings.Contains(deref(c.CompanyName), company) {
		return false
	}
	if email != "" && deref(c.Email) != email {
		return false
	}
	if tel != "" && !strings.Contains(deref(c.Tel), tel) {
		return false
	}
	if mobile != "" && !strings.Contains(deref(c.Mobile), mobile) {
		return false
	}
	if len(tagIDs) > 0 && !slices.ContainsFunc(tagIDs, func(id string) bool { return slices.Contains(c.TagIDs, id) }) {
		return false
	}
	return true
}

// tagVisible reports whether u may see tag t: private tags only to their owner.
func tagVisible(u *User, t *Tag) bool {
	return t.Type != TagTypePrivate || t.OwnerID == u.ID
}

// owner resolves a user id to the wire owner object. f.mu must be held.
func (f *Fake) owner(id string) wireOwner {
	if o, ok := f.users[id]; ok {
		return wireOwner{ID: o.ID, Name: o.Name, Email: o.Email}
	}
	return wireOwner{ID: id}
}

func (f *Fake) wireTag(t *Tag) wireTag {
	return wireTag{ID: t.ID, Name: t.Name, Type: t.Type, Owner: f.owner(t.OwnerID)}
}

// cardTags returns the tags of c visible to u. f.mu must be held.
func (f *Fake) cardTags(u *User, c *Card) []*Tag {
	out := []*Tag{}
	for _, id := range c.TagIDs {
		if t, ok := f.tags[id]; ok && tagVisible(u, t) {
			out = append(out, t)
		}
	}
	return out
}

// toWire converts a card to its wire form. f.mu must be held.
func (f *Fake) toWire(u *User, c *Card, includeTags bool) wireCard {
	wc := wireCard{
		ID:               c.ID,
		CompanyID:        c.CompanyID,
		PersonID:         c.PersonID,
		ExchangeDate:     c.ExchangeDate,
		RegisteredTime:   formatTime(c.RegisteredTime),
		UpdatedTime:      formatTime(c.UpdatedTime),
		Owner:            f.owner(c.OwnerID),
		LastName:         c.LastName,
		FirstName:        c.FirstName,
		LastNameReading:  c.LastNameReading,
		FirstNameReading: c.FirstNameReading,
		DepartmentName:   c.DepartmentName,
		Title:            c.Title,
		Email:            c.Email,
		Mobile:           c.Mobile,
		CompanyName:      c.CompanyName,
		CountryCode:      c.CountryCode,
		PostalCode:       c.PostalCode,
		Address:          c.Address,
		Prefecture:       c.Prefecture,
		City:             c.City,
		Street:           c.Street,
		Building:         c.Building,
		Tel:              c.Tel,
		SecondTel:        c.SecondTel,
		Fax:              c.Fax,
		URL:              c.URL,
		Memo:             c.Memo,
		EntryStatus:      c.EntryStatus,
	}
	if includeTags {
		ts := f.cardTags(u, c)
		tags := make([]wireTag, len(ts))
		for i, t := range ts {
			tags[i] = f.wireTag(t)
		}
		wc.Tags = &tags
	}
	return wc
}

// lookupCard returns the card id if u may see it (range=all visibility).
func (f *Fake) lookupCard(u *User, id string) (*Card, bool) {
	f.mu.RLock()
	defer f.mu.RUnlock()
	c, ok := f.cards[id]
	if !ok || !visible(u, "all", c) {
		return nil, false
	}
	return c, true
}

// handleGetCard serves GET /bizCards/{id} as {"item": BizCard}.
func (f *Fake) handleGetCard(w http.ResponseWriter, r *http.Request, u *User, id string) {
	includeTags, err := parseBool(r.URL.Query(), "includeTags")
	if err != nil {
		badRequest(w, "%v", err)
		return
	}
	c, ok := f.lookupCard(u, id)
	if !ok {
		writeError(w, http.StatusNotFound, "business card not found", CodeNotFound)
		return
	}
	f.mu.RLock()
	if f.hasRaw(c.ID) {
		b := append([]byte(`{"item":`), f.appendCard(nil, u, c, includeTags)...)
		f.mu.RUnlock()
		writeRaw(w, append(b, "}\n"...))
		return
	}
	wc := f.toWire(u, c, includeTags)
	f.mu.RUnlock()
	writeJSON(w, http.StatusOK, wireItem[wireCard]{Item: wc})
}

// writeRaw writes a 200 with a JSON body rendered by hand.
func writeRaw(w http.ResponseWriter, b []byte) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(b)
}

// handleImage serves GET /bizCards/{id}/image as JPEG bytes.
func (f *Fake) handleImage(w http.ResponseWriter, r *http.Request, u *User, id string) {
	if _, err := parseEnum(r.URL.Query(), "side", "front", "front", "back"); err != nil {
		badRequest(w, "%v", err)
		return
	}
	if _, ok := f.lookupCard(u, id); !ok {
		writeError(w, http.StatusNotFound, "business card not found", CodeNotFound)
		return
	}
	w.Header().Set("Content-Type", "image/jpeg")
	w.Header().Set("Content-Length", fmt.Sprint(len(f.image)))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(f.image)
}

// handleCardTags serves GET /bizCards/{id}/tags.
func (f *Fake) handleCardTags(w http.ResponseWriter, r *http.Request, u *User, id string) {
	q := r.URL.Query()
	c, ok := f.lookupCard(u, id)
	if !ok {
		writeError(w, http.StatusNotFound, "business card not found", CodeNotFound)
		return
	}
	s, lo, hi, next, ok := f.page(w, q, EndpointBizCardTags+"/"+id, u, 100, 100, func() *snapshot {
		f.mu.RLock()
		defer f.mu.RUnlock()
		return &snapshot{tags: f.cardTags(u, c)}
	})
	if !ok {
		return
	}
	f.writeTags(w, s.tags[lo:hi], next)
}

func (f *Fake) writeTags(w http.ResponseWriter, ts []*Tag, next string) {
	f.mu.RLock()
	data := make([]wireTag, len(ts))
	for i, t := range ts {
		data[i] = f.wireTag(t)
	}
	f.mu.RUnlock()
	writeJSON(w, http.StatusOK, wireList[wireTag]{Data: data, HasMore: next != "", NextPageToken: next})
}

// handleTags serves GET /tags.
func (f *Fake) handleTags(w http.ResponseWriter, r *http.Request, u *User) {
	q := r.URL.Query()
	types, err := parseMulti(q, "type", []string{TagTypePrivate, TagTypePublic, TagTypeShared},
		TagTypePrivate, TagTypePublic, TagTypeShared)
	if err != nil {
		badRequest(w, "%v", err)
		return
	}
	rng, err := parseEnum(q, "range", "me", "me", "all")
	if err != nil {
		badRequest(w, "%v", err)
		return
	}
	ownerID, tagName := q.Get("ownerUserId"), q.Get("tagName")
	if utf8.RuneCountInString(ownerID) > 20 || utf8.RuneCountInString(tagName) > 50 {
		badRequest(w, "ownerUserId must be at most 20 and tagName at most 50 characters")
		return
	}
	// Tag pages hold at most 100 (what public code caps them at).
	s, lo, hi, next, ok := f.page(w, q, EndpointListTags, u, 100, 100, func() *snapshot {
		f.mu.RLock()
		defer f.mu.RUnlock()
		out := []*Tag{}
		for _, id := range f.tagOrder {
			t := f.tags[id]
			switch {
			case !slices.Contains(types, t.Type),
				rng == "me" && t.OwnerID != u.ID,
				!tagVisible(u, t),
				ownerID != "" && t.OwnerID != ownerID,
				tagName != "" && !strings.Contains(t.Name, tagName):
				continue
			}
			out = append(out, t)
		}
		return &snapshot{tags: out}
	})
	if !ok {
		return
	}
	f.writeTags(w, s.tags[lo:hi], next)
}

// handlePerson serves GET /persons/{id} as {"item": {"id", "headBizCard"}}.
func (f *Fake) handlePerson(w http.ResponseWriter, r *http.Request, u *User, id string) {
	includeTags, err := parseBool(r.URL.Query(), "includeTags")
	if err != nil {
		badRequest(w, "%v", err)
		return
	}
	f.mu.RLock()
	var head *Card
	for _, cid := range f.persons[id] {
		c := f.cards[cid]
		if c != nil && visible(u, "all", c) && (head == nil || headRankLess(head, c)) {
			head = c
		}
	}
	var wc wireCard
	if head != nil && f.hasRaw(head.ID) {
		b := append([]byte(`{"item":{"id":`), jsonstr.Append(nil, id, false)...)
		b = append(b, `,"headBizCard":`...)
		b = f.appendCard(b, u, head, includeTags)
		f.mu.RUnlock()
		writeRaw(w, append(b, "}}\n"...))
		return
	}
	if head != nil {
		wc = f.toWire(u, head, includeTags)
	}
	f.mu.RUnlock()
	if head == nil {
		writeError(w, http.StatusNotFound, "person not found", CodeNotFound)
		return
	}
	writeJSON(w, http.StatusOK, wireItem[wirePerson]{Item: wirePerson{ID: id, HeadBizCard: wc}})
}

var countryPattern = regexp.MustCompile(`^[A-Z]{2}$`)

// validateNewCard applies the documented POST /bizCards rules.
func validateNewCard(b *wireNewCard) error {
	if strings.TrimSpace(deref(b.CompanyName)) == "" && strings.TrimSpace(deref(b.LastName)) == "" &&
		strings.TrimSpace(deref(b.FirstName)) == "" {
		return errors.New("one of companyName, lastName or firstName is required")
	}
	limits := []struct {
		name string
		v    *string
		max  int
	}{{"lastName", b.LastName, 250}, {"firstName", b.FirstName, 250}, {"postalCode", b.PostalCode, 10}, {"memo", b.Memo, 2000}}
	for _, l := range limits {
		if utf8.RuneCountInString(deref(l.v)) > l.max {
			return fmt.Errorf("%s must be at most %d characters", l.name, l.max)
		}
	}
	if b.ExchangeDate != nil {
		if _, err := time.Parse(dateLayout, *b.ExchangeDate); err != nil {
			return errors.New("exchangeDate must be a date YYYY-MM-DD")
		}
	}
	if b.CountryCode != nil && *b.CountryCode != "AUTO" && !countryPattern.MatchString(*b.CountryCode) {
		return errors.New(`countryCode must be an ISO 3166-1 alpha-2 code or "AUTO"`)
	}
	if len(b.TagIDs) > 15 {
		return errors.New("tagIds must hold at most 15 ids")
	}
	return nil
}

// handleCreate serves POST /bizCards (card-data registration).
func (f *Fake) handleCreate(w http.ResponseWriter, r *http.Request, u *User) {
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/json" {
		badRequest(w, "Content-Type must be application/json")
		return
	}
	dec := json.NewDecoder(io.LimitReader(r.Body, 1<<20))
	dec.DisallowUnknownFields()
	var body wireNewCard
	if err := dec.Decode(&body); err != nil {
		badRequest(w, "invalid JSON body: %v", err)
		return
	}
	if err := validateNewCard(&body); err != nil {
		badRequest(w, "%v", err)
		return
	}
	cc := body.CountryCode
	if cc == nil || *cc == "AUTO" {
		cc = Ptr("JP")
	}
	c := Card{
		OwnerID: u.ID, ExchangeDate: body.ExchangeDate,
		LastName: body.LastName, FirstName: body.FirstName,
		LastNameReading: body.LastNameReading, FirstNameReading: body.FirstNameReading,
		DepartmentName: body.DepartmentName, Title: body.Title, CompanyName: body.CompanyName,
		CountryCode: cc, PostalCode: body.PostalCode,
		Prefecture: body.Prefecture, City: body.City, Street: body.Street, Building: body.Building,
		Email: body.Email, Mobile: body.Mobile, Tel: body.Tel, SecondTel: body.SecondTel,
		Fax: body.Fax, URL: body.URL, Memo: body.Memo,
		EntryStatus: f.cfg.postedStatus,
	}
	if addr := joinAddress(c.Prefecture, c.City, c.Street, c.Building); addr != "" {
		c.Address = &addr
	}

	f.mu.Lock()
	for _, id := range body.TagIDs {
		t, ok := f.tags[id]
		if !ok || !tagVisible(u, t) {
			f.mu.Unlock()
			badRequest(w, "unknown tag id %q", id)
			return
		}
		if !slices.Contains(c.TagIDs, id) {
			c.TagIDs = append(c.TagIDs, id)
		}
	}
	// Name matching (名寄せ): same name and same normalized e-mail as an
	// existing card → same person; same company name → same company id.
	for _, o := range f.byUpdated {
		if c.PersonID == "" && deref(c.Email) != "" && deref(o.LastName)+deref(o.FirstName) == deref(c.LastName)+deref(c.FirstName) &&
			strings.EqualFold(strings.TrimSpace(deref(o.Email)), strings.TrimSpace(deref(c.Email))) {
			c.PersonID = o.PersonID
		}
		if c.CompanyID == "" && deref(c.CompanyName) != "" && deref(o.CompanyName) == deref(c.CompanyName) {
			c.CompanyID = o.CompanyID
		}
	}
	nc := c.clone()
	now := f.now()
	nc.RegisteredTime, nc.UpdatedTime = now, now
	f.normalize(nc, now)
	f.putLocked(nc)
	wc := f.toWire(u, nc, true)
	f.mu.Unlock()
	writeJSON(w, http.StatusOK, wireItem[wireCard]{Item: wc})
}

func joinAddress(parts ...*string) string {
	var out []string
	for _, p := range parts {
		if s := strings.TrimSpace(deref(p)); s != "" {
			out = append(out, s)
		}
	}
	return strings.Join(out, " ")
}
