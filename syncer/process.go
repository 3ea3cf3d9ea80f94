package syncer

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/cardbridge/sansanhubspot/hubspot"
	"github.com/cardbridge/sansanhubspot/mapping"
	"github.com/cardbridge/sansanhubspot/sansan"
)

const (
	originSansan  = "sansan"
	originHubSpot = "hubspot"
	batchSize     = 100
)

// record is one Sansan person on its way to HubSpot.
type record struct {
	card   *sansan.BizCard
	res    mapping.Result
	email  string
	rank   Rank
	old    *Link // stored link, nil when new
	link   *Link // the link as it will be saved
	values hubspot.PropertyValues
	op     writeOp
	send   hubspot.PropertyValues // what the write sends
	page   int                    // the page the record came from
}

type writeOp int

const (
	opNone writeOp = iota
	opUpdate
	opUpsert
	opCreate
)

func rankOf(c *sansan.BizCard) Rank {
	r := Rank{UpdatedTime: c.UpdatedTime.UTC(), CardID: c.ID}
	if c.ExchangeDate != nil && !c.ExchangeDate.IsZero() {
		r.ExchangeDate = c.ExchangeDate.String()
	}
	return r
}

// processCards filters, maps, dedups and diffs one page of cards, saves the
// links that need no write, and queues the writes on w, which sends every
// full batch of 100 at once and keeps the rest for the next page, so an
// initial sync costs ceil(N/100) writes, not one partial batch per page.
func (p *pass) processCards(ctx context.Context, w *writer, cards []*sansan.BizCard, page int) error {
	e := p.e
	acct, ar := w.acct, w.ar

	// One card per person: a page may repeat a person or a card.
	byPerson := map[string]*sansan.BizCard{}
	var order []string
	for _, c := range cards {
		if c == nil || c.PersonID == "" {
			continue
		}
		if prev, ok := byPerson[c.PersonID]; ok {
			if rankOf(prev).Less(rankOf(c)) {
				byPerson[c.PersonID] = c
			}
			continue
		}
		byPerson[c.PersonID] = c
		order = append(order, c.PersonID)
	}
	stored, err := p.store.LinksByPerson(ctx, order)
	if err != nil {
		return wrapf(err, "syncer: read links")
	}
	for _, pid := range order {
		// A record of this person still queued from an earlier page is
		// superseded by this newer read.
		if q := w.pendingPerson[pid]; q != nil {
			w.drop(q)
			if q.old != nil {
				stored[pid] = q.old
			}
		}
	}

	var save []*Link
	var recs []*record
	for _, pid := range order {
		c := byPerson[pid]
		old := stored[pid]
		if c.EntryStatus != "" && c.EntryStatus != sansan.EntryStatusCompleted {
			// Still being digitized (or unreadable): never synced, link untouched.
			p.rep.count(ar, outExcluded, ReasonDigitizing)
			continue
		}
		r := &record{card: c, old: old, rank: rankOf(c), page: page}
		// An older read of the card already synced (a listing that repeats
		// a card across pages) would undo newer values.
		stale := old != nil && old.CardID == c.ID && r.rank.UpdatedTime.Before(old.Rank.UpdatedTime)
		if old != nil && (stale || old.CardID != c.ID && r.rank.Less(old.Rank)) {
			// An older card of a person already linked through a newer one:
			// an account that cannot see the newest card lists the newest
			// it can see. The link follows the newest card only.
			p.rep.count(ar, outUnchanged, "")
			continue
		}
		r.res = e.mapping.CardToProperties(c)
		r.email = r.res.Email.Normalized
		reason := ""
		switch {
		case !p.matchesFilters(acct, c):
			if old == nil || old.ContactID == "" || e.cfg.StopSyncingFiltered {
				reason = ReasonFiltered
			}
		}
		if reason == "" {
			switch r.res.Email.Status {
			case mapping.EmailMissing:
				if e.cfg.EmailPolicy != AllowMissingEmail {
					reason = ReasonNoEmail
				}
			case mapping.EmailInvalid:
				reason = ReasonInvalidEmail
			}
		}
		if reason != "" {
			p.vacate(old, "")
			p.rep.count(ar, outExcluded, reason)
			save = append(save, p.excludedLink(acct, r, reason))
			continue
		}
		if r.res.Email.Status != mapping.EmailValid {
			r.email = ""
		}
		p.vacate(old, r.email)
		recs = append(recs, r)
	}

	recs, demoted, err := p.dedup(ctx, w, recs)
	if err != nil {
		return err
	}
	save = append(save, demoted...)

	// Plan each winner's write.
	var updates, upserts, creates []*record
	for _, r := range recs {
		r.values = r.res.Properties
		r.link = p.baseLink(acct, r)
		switch {
		case r.link.ContactID != "":
			r.op = opUpdate
			r.send = r.values
			if r.old != nil && r.old.State == StateInSync && r.old.ContactID == r.link.ContactID {
				r.send = changed(r.values, r.old.Values)
				p.resolveConflicts(r)
			}
			if len(r.send) == 0 {
				r.op = opNone
			}
		case r.email != "":
			r.op, r.send = opUpsert, r.values
		default:
			r.op, r.send = opCreate, r.values
		}
		switch r.op {
		case opNone:
			r.link.State, r.link.Reason, r.link.Message, r.link.Attempts, r.link.NextRetry = StateInSync, "", "", 0, time.Time{}
			r.link.Values = r.values // the record is done: no copy needed
			p.rep.count(ar, outUnchanged, "")
			if !sameLink(r.old, r.link) {
				save = append(save, r.link)
			}
		case opUpdate:
			updates = append(updates, r)
		case opUpsert:
			upserts = append(upserts, r)
		case opCreate:
			creates = append(creates, r)
		}
	}
	if len(creates) > 0 {
		if creates, err = p.adoptByPersonID(ctx, creates, &updates); err != nil {
			return err
		}
	}
	if err := p.ensureTagOptions(ctx, acct, slices.Concat(updates, upserts, creates)); err != nil {
		return err
	}
	if len(save) > 0 {
		if err := p.store.PutLinks(ctx, save); err != nil {
			return wrapf(err, "syncer: save links")
		}
	}
	for _, r := range slices.Concat(updates, upserts, creates) {
		if err := w.add(ctx, r); err != nil {
			return err
		}
	}
	return nil
}

func (p *pass) matchesFilters(acct *Account, c *sansan.BizCard) bool {
	if len(acct.TagIDs) > 0 {
		ok := false
		for _, t := range c.Tags {
			if slices.Contains(acct.TagIDs, t.ID) {
				ok = true
				break
			}
		}
		if !ok {
			return false
		}
	}
	if f := p.e.cfg.CardFilter; f != nil && !f(c) {
		return false
	}
	return true
}

// baseLink starts the link a record will save, keeping the contact of the
// stored link.
func (p *pass) baseLink(acct *Account, r *record) *Link {
	l := &Link{Origin: originSansan}
	if r.old != nil {
		// r.old is already the caller's copy (Store returns copies) and
		// Values maps are only ever replaced, never edited in place, so the
		// new link may share them; Remote is edited in place on success.
		c := *r.old
		c.Remote = maps.Clone(r.old.Remote)
		l = &c
	}
	l.PersonID = r.card.PersonID
	l.Account = acct.Name
	l.CardID = r.card.ID
	l.Email = r.email
	l.Rank = r.rank
	l.UpdatedAt = p.start
	if l.Origin == "" {
		l.Origin = originSansan
	}
	return l
}

func (p *pass) excludedLink(acct *Account, r *record, reason string) *Link {
	l := p.baseLink(acct, r)
	if r.res.Email.Status != mapping.EmailValid {
		l.Email = ""
	}
	l.State, l.Reason, l.Message = StateExcluded, reason, r.res.Email.Reason
	if reason != ReasonInvalidEmail {
		l.Message = ""
	}
	l.Attempts, l.NextRetry = 0, time.Time{}
	return l
}

// sameLink reports whether saving b over a would change nothing that
// matters, so unchanged records cost no store write either.
func sameLink(a, b *Link) bool {
	if a == nil || b == nil {
		return false
	}
	return a.ContactID == b.ContactID && a.CardID == b.CardID && a.Email == b.Email &&
		a.State == b.State && a.Reason == b.Reason && a.Account == b.Account &&
		a.Rank == b.Rank && maps.Equal(a.Values, b.Values) && maps.Equal(a.Remote, b.Remote)
}

// changed returns the values that differ from the last-synced snapshot.
// Values missing from now are blanks on the card and never clear HubSpot.
func changed(now hubspot.PropertyValues, last map[string]string) hubspot.PropertyValues {
	var out hubspot.PropertyValues // nil (no allocation) when nothing changed
	for k, v := range now {
		if old, ok := last[k]; !ok || old != v {
			if out == nil {
				out = hubspot.PropertyValues{}
			}
			out[k] = v
		}
	}
	return out
}

// dedup keeps one record per email: the greatest rank among this page and
// the links already stored wins. Page losers are saved as excluded
// duplicates; a stored link that loses the contact is demoted, and the
// winner inherits its contact id so it updates the same contact.
func (p *pass) dedup(ctx context.Context, w *writer, recs []*record) ([]*record, []*Link, error) {
	acct, ar := w.acct, w.ar
	var emails []string
	group := map[string][]*record{}
	for _, r := range recs {
		if r.email == "" {
			continue
		}
		if _, ok := group[r.email]; !ok {
			emails = append(emails, r.email)
		}
		group[r.email] = append(group[r.email], r)
	}
	if len(emails) == 0 {
		return recs, nil, nil
	}
	stored, err := p.store.LinksByEmail(ctx, emails)
	if err != nil {
		return nil, nil, wrapf(err, "syncer: read links by email")
	}
	onPage := map[string]bool{}
	for _, r := range recs {
		onPage[r.card.PersonID] = true
	}
	losers := map[*record]bool{}
	var demoted []*Link
	for _, email := range emails {
		// A record of another person still queued for this email competes
		// like a stored link; if it loses it leaves the queue unwritten.
		if q := w.pendingEmail[email]; q != nil && !onPage[q.card.PersonID] {
			group[email] = append(group[email], q)
			onPage[q.card.PersonID] = true
		}
		rs := group[email]
		var win *record
		for _, r := range rs {
			if win == nil || win.rank.Less(r.rank) {
				win = r
			}
		}
		var holder *Link
		var storedWin *Link
		for _, l := range stored[email] {
			if onPage[l.PersonID] || !contender(l) {
				continue
			}
			if l.ContactID != "" {
				holder = l
			}
			if win.rank.Less(l.Rank) && (storedWin == nil || storedWin.Rank.Less(l.Rank)) {
				storedWin = l
			}
		}
		for _, r := range rs {
			if r == win && storedWin == nil {
				continue
			}
			losers[r] = true
		}
		if storedWin != nil {
			continue
		}
		// A winner with a contact of its own keeps it (HubSpot reports the
		// email clash as a conflict); otherwise it takes the holder's over.
		if holder != nil && (win.old == nil || win.old.ContactID == "") {
			d := holder.Clone()
			d.State, d.Reason, d.Message = StateExcluded, ReasonDuplicateEmail, "duplicate of person "+win.card.PersonID
			d.ContactID, d.Values, d.UpdatedAt = "", nil, p.start
			demoted = append(demoted, d)
			if win.old == nil {
				win.old = &Link{PersonID: win.card.PersonID}
			}
			win.old = win.old.Clone()
			win.old.ContactID = holder.ContactID
			win.old.State = StateFailing // forces a full write, not a diff
		}
	}
	var keep []*record
	for _, r := range recs {
		if !losers[r] {
			keep = append(keep, r)
		}
	}
	for r := range losers {
		if w.pendingPerson[r.card.PersonID] == r {
			w.drop(r)
		}
		p.rep.count(ar, outExcluded, ReasonDuplicateEmail)
		l := p.baseLink(acct, r)
		l.State, l.Reason, l.Message = StateExcluded, ReasonDuplicateEmail, ""
		if r.old != nil && r.old.ContactID != "" {
			l.ContactID = "" // the winner takes the contact over
		}
		l.Values = nil
		demoted = append(demoted, l)
	}
	return keep, demoted, nil
}

// contender reports whether a stored link competes for its email's contact.
func contender(l *Link) bool {
	return l.State == StateInSync || l.State == StateFailing || (l.State == StateExcluded && l.Reason == ReasonDuplicateEmail)
}

// adoptByPersonID finds contacts already created for email-less persons (a
// crash after the create, before the link was saved) by their
// sansan_person_id property and turns those creates into updates.
func (p *pass) adoptByPersonID(ctx context.Context, creates []*record, updates *[]*record) ([]*record, error) {
	ids := make([]string, 0, len(creates))
	for _, r := range creates {
		ids = append(ids, r.card.PersonID)
	}
	found := map[string]string{}
	for chunk := range slices.Chunk(ids, batchSize) {
		// HubSpot's search matches IN values against string properties only
		// when they are lower-case (string comparison ignores case), and
		// person ids are upper-case hex.
		lower := make([]string, len(chunk))
		for i, id := range chunk {
			lower[i] = strings.ToLower(id)
		}
		req := &hubspot.SearchRequest{
			FilterGroups: []hubspot.FilterGroup{{Filters: []hubspot.Filter{{PropertyName: propPersonID, Operator: hubspot.OperatorIn, Values: lower}}}},
			Properties:   []string{propPersonID},
			Limit:        200,
		}
		for c, err := range p.e.cfg.HubSpot.Contacts.SearchIter(ctx, req) {
			if err != nil {
				return nil, wrapf(err, "syncer: search contacts by person id")
			}
			if v, ok := c.Properties.Get(propPersonID); ok {
				if _, dup := found[v]; !dup {
					found[v] = c.ID
				}
			}
		}
	}
	var rest []*record
	for _, r := range creates {
		if id, ok := found[r.card.PersonID]; ok {
			r.link.ContactID, r.op, r.send = id, opUpdate, r.values
			*updates = append(*updates, r)
			continue
		}
		rest = append(rest, r)
	}
	return rest, nil
}

// failLink marks a record failing with a retry time that backs off with
// each consecutive failure (1 minute doubling to 6 hours).
func (p *pass) failLink(l *Link, category, msg string) {
	l.State, l.Reason, l.Message = StateFailing, category, msg
	l.Attempts++
	backoff := time.Minute << min(l.Attempts-1, 9)
	l.NextRetry = p.start.Add(min(backoff, 6*time.Hour))
}

// category maps a per-record HubSpot error to a failure category.
func category(err error) string {
	var ce *hubspot.ConflictError
	switch {
	case errors.As(err, &ce), errors.Is(err, hubspot.ErrConflict):
		return CategoryConflict
	case errors.Is(err, hubspot.ErrNotFound):
		return CategoryNotFound
	case errors.Is(err, hubspot.ErrValidation), errors.Is(err, hubspot.ErrBadRequest):
		return CategoryInvalidValue
	case errors.Is(err, hubspot.ErrRateLimited):
		return CategoryRateLimited
	}
	return CategoryOther
}

func traceID(r *record, op writeOp) string {
	return fmt.Sprintf("%s-%d-%s", r.card.PersonID, int(op), strconv.FormatInt(r.rank.UpdatedTime.UnixMilli(), 36))
}

// resolveConflicts drops from a record's write the fields that also changed
// in HubSpot since the last sync (two-way) and whose mapping lets HubSpot
// win, so a HubSpot edit is not overwritten by an older card value.
func (p *pass) resolveConflicts(r *record) {
	if len(r.old.Remote) == 0 {
		return
	}
	for k := range r.send {
		if _, both := r.old.Remote[k]; !both {
			continue
		}
		m, ok := p.e.mapping.Get(k)
		if ok && !m.Winner.SansanWins(r.card.UpdatedTime, r.old.RemoteAt) {
			delete(r.send, k)
		}
	}
}

// vacate notes that the person of old, which held a contact for its email,
// now has email (or is excluded, email ""), so the persons that lost that
// email as duplicates can be promoted at the end of the pass.
func (p *pass) vacate(old *Link, email string) {
	if old != nil && old.ContactID != "" && old.Email != "" && old.Email != email && old.State != StateExcluded {
		p.vacated[old.Email] = true
	}
}
