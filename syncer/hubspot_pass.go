package syncer

import (
	"context"
	"errors"
	"maps"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/cardbridge/sansanhubspot/hubspot"
	"github.com/cardbridge/sansanhubspot/mapping"
	"github.com/cardbridge/sansanhubspot/sansan"
)

const streamHubSpot = "hubspot/contacts"

// syncFromHubSpot reads contacts modified since the checkpoint with
// HubSpot's search, walking the window in hs_object_id order (the client
// narrows the query past the 10,000-result cap, so any number of identical
// timestamps is walked without loss), then contacts queued by Notify.
func (p *pass) syncFromHubSpot(ctx context.Context) error {
	e := p.e
	st, err := openStream(ctx, p.store, streamHubSpot, time.Time{}, p.start, e.cfg.Overlap)
	if err != nil {
		return err
	}
	if st.initial() {
		p.rep.Initial = true
	}
	subs, err := resumeSubs(st)
	if err != nil {
		return err
	}
	readers := max(1, e.cfg.ReadConcurrency)
	if len(subs) == 1 && subs[0].Token == "" && e.cfg.ReadConcurrency != 1 {
		if subs, readers, err = p.splitSearch(ctx, st, subs); err != nil {
			return err
		}
	}
	ar := p.rep.account(e.registerAccount().Name, HubSpotToSansan)
	batches, stop := p.searchSubs(ctx, subs, readers)
	defer stop()
	progress := func(done bool) {
		if e.cfg.Progress != nil {
			e.cfg.Progress(ar.progress(ar.Created, done))
		}
	}
	var failed error
	for b := range batches {
		if failed != nil {
			continue // drain: the producers stop at their next send
		}
		if b.err != nil {
			failed = wrapf(b.err, "syncer: search contacts")
			stop()
			continue
		}
		if err := p.processContacts(ctx, b.contacts); err != nil {
			failed = err
			stop()
			continue
		}
		sw := subs[b.sub]
		if b.lastID != "" {
			sw.Token = b.lastID
		}
		sw.Done = b.done
		if err := p.saveSearchSubs(ctx, st, subs); err != nil {
			failed = err
			stop()
		}
		progress(false)
	}
	if failed != nil {
		return failed
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := st.complete(ctx); err != nil {
		return err
	}
	progress(true)
	return p.syncNotified(ctx)
}

// saveSearchSubs saves the search position: the last contact id of an
// unsplit window, every part's otherwise.
func (p *pass) saveSearchSubs(ctx context.Context, st *stream, subs []*subWindow) error {
	if len(subs) == 1 {
		if subs[0].Done {
			return nil // complete follows
		}
		return st.advance(ctx, subs[0].Token)
	}
	cur, err := encodeSubs(subs)
	if err != nil {
		return wrapf(err, "syncer: save checkpoint")
	}
	return st.advance(ctx, cur)
}

// searchRequest is the search of one part: contacts modified in [from, to]
// (to exclusive when open), after the id cursor, in id order, so that any
// number of identical timestamps is walked without loops or loss.
func (p *pass) searchRequest(sw *subWindow, open bool, limit int) *hubspot.SearchRequest {
	op := hubspot.OperatorLTE
	if open {
		op = hubspot.OperatorLT
	}
	filters := []hubspot.Filter{{PropertyName: "lastmodifieddate", Operator: op, Value: ms(sw.To)}}
	if !sw.From.IsZero() {
		filters = append(filters, hubspot.Filter{PropertyName: "lastmodifieddate", Operator: hubspot.OperatorGTE, Value: ms(sw.From)})
	}
	if sw.Token != "" {
		filters = append(filters, hubspot.Filter{PropertyName: hubspot.ObjectIDProperty, Operator: hubspot.OperatorGT, Value: sw.Token})
	}
	filters = append(filters, p.e.cfg.ContactFilter.searchFilters()...)
	return &hubspot.SearchRequest{
		FilterGroups: []hubspot.FilterGroup{{Filters: filters}},
		Sorts:        []hubspot.Sort{{PropertyName: hubspot.ObjectIDProperty, Direction: hubspot.Ascending}},
		Properties:   p.contactProperties(),
		Limit:        limit,
	}
}

// splitSearch decides whether a fresh window is searched in parts at once:
// when a page's round trip is long against the search limiter's rate and
// the window holds many pages (the first page's total tells). The parts
// split the window by lastmodifieddate; the earliest is found with one
// search sorted by it.
func (p *pass) splitSearch(ctx context.Context, st *stream, subs []*subWindow) ([]*subWindow, int, error) {
	contacts := p.e.cfg.HubSpot.Contacts
	t0 := time.Now()
	res, _, err := contacts.Search(ctx, p.searchRequest(subs[0], false, 1))
	if err != nil {
		return nil, 0, wrapf(err, "syncer: search contacts")
	}
	// HubSpot documents 5 searches per second.
	readers := p.e.readersFor(float64(p.e.cfg.HubSpot.SearchRateLimit()), 5, time.Since(t0))
	pages := res.Total / hubspot.MaxSearchLimit
	parts := min(2*readers, maxSubWindows, pages/pagesPerSubWindow)
	if readers < 2 || parts < 2 {
		return subs, readers, nil
	}
	from := st.from
	if from.IsZero() {
		first := p.searchRequest(subs[0], false, 1)
		first.Sorts = []hubspot.Sort{{PropertyName: "lastmodifieddate", Direction: hubspot.Ascending}}
		r, _, err := contacts.Search(ctx, first)
		if err != nil {
			return nil, 0, wrapf(err, "syncer: search contacts")
		}
		if len(r.Results) == 0 {
			return subs, readers, nil
		}
		lm, ok := modifiedAt(r.Results[0])
		if !ok {
			return subs, readers, nil
		}
		from = lm.Truncate(time.Millisecond)
	}
	step := st.to.Sub(from) / time.Duration(parts)
	if step < time.Millisecond {
		return subs, readers, nil
	}
	var out []*subWindow
	for i := range parts {
		a := from.Add(time.Duration(i) * step).Truncate(time.Millisecond)
		b := from.Add(time.Duration(i+1) * step).Truncate(time.Millisecond)
		if i == 0 {
			a = st.from // the first part keeps the window's own lower bound (none for an initial sync)
		}
		if i == parts-1 {
			b = st.to
		}
		out = append(out, &subWindow{From: a, To: b, saved: -1})
	}
	p.e.log.DebugContext(ctx, "searching window in parts", "parts", len(out))
	return out, readers, nil
}

// contactBatch is up to 100 contacts of one part, or its end or error.
type contactBatch struct {
	sub      int
	contacts []*hubspot.Contact
	lastID   string
	done     bool
	err      error
}

// searchSubs walks the unfinished parts, at most readers at once, in
// batches of 100 contacts. Contacts changed after the window's end are
// left for the next pass (the search is eventually consistent). Every
// producer ends when it is done, when stop is called or when ctx ends;
// the channel closes after the last one.
func (p *pass) searchSubs(ctx context.Context, subs []*subWindow, readers int) (<-chan contactBatch, func()) {
	ch := make(chan contactBatch)
	ctx, cancel := context.WithCancel(ctx)
	work := make(chan int)
	var wg sync.WaitGroup
	for range min(readers, len(subs)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				sw := subs[i]
				send := func(b contactBatch) bool {
					select {
					case ch <- b:
						return true
					case <-ctx.Done():
						return false
					}
				}
				req := p.searchRequest(sw, i < len(subs)-1, hubspot.MaxSearchLimit)
				var batch []*hubspot.Contact
				lastID := sw.Token
				ok := true
				for c, err := range p.e.cfg.HubSpot.Contacts.SearchIter(ctx, req) {
					if err != nil {
						ok = false
						send(contactBatch{sub: i, err: err})
						break
					}
					if lm, has := modifiedAt(c); has && lm.After(sw.To) {
						continue
					}
					batch = append(batch, c)
					lastID = c.ID
					if len(batch) == batchSize {
						if ok = send(contactBatch{sub: i, contacts: batch, lastID: lastID}); !ok {
							break
						}
						batch = nil
					}
				}
				if ok && !send(contactBatch{sub: i, contacts: batch, lastID: lastID, done: true}) {
					ok = false
				}
				if !ok {
					cancel() // one part failed or the reader left: stop the others
				}
			}
		}()
	}
	go func() {
		defer close(work)
		for i, sw := range subs {
			if sw.Done {
				continue
			}
			select {
			case work <- i:
			case <-ctx.Done():
				return
			}
		}
	}()
	go func() {
		wg.Wait()
		cancel()
		close(ch)
	}()
	return ch, cancel
}

func ms(t time.Time) string { return strconv.FormatInt(t.UnixMilli(), 10) }

func modifiedAt(c *hubspot.Contact) (time.Time, bool) {
	if v, ok := c.Properties.Get("lastmodifieddate"); ok {
		if t, err := time.Parse(time.RFC3339Nano, v); err == nil {
			return t, true
		}
		if n, err := strconv.ParseInt(v, 10, 64); err == nil {
			return time.UnixMilli(n), true
		}
	}
	if !c.UpdatedAt.IsZero() {
		return c.UpdatedAt, true
	}
	return time.Time{}, false
}

// contactProperties lists the properties a HubSpot read asks for: every
// mapped property plus what matching and filtering need.
func (p *pass) contactProperties() []string {
	names := map[string]bool{"email": true, "lastmodifieddate": true, hubspot.ObjectIDProperty: true}
	for _, m := range p.e.mapping.Mappings() {
		if !m.Disabled {
			names[m.Property] = true
		}
	}
	for _, c := range p.e.cfg.ContactFilter.Conditions {
		names[c.PropertyName] = true
	}
	return slices.Sorted(maps.Keys(names))
}

// registerAccount is the account new Sansan cards are registered with: the
// first configured one.
func (e *Engine) registerAccount() *Account { return &e.cfg.Accounts[0] }

// processContacts handles one batch of HubSpot contacts: linked contacts
// are checked for changes (our own writes coming back are echoes and cost
// nothing), unlinked ones that pass the filters are registered in Sansan.
func (p *pass) processContacts(ctx context.Context, contacts []*hubspot.Contact) error {
	e := p.e
	acct := e.registerAccount()
	ar := p.rep.account(acct.Name, HubSpotToSansan)
	ids := make([]string, len(contacts))
	for i, c := range contacts {
		ids[i] = c.ID
	}
	links, err := p.store.LinksByContact(ctx, ids)
	if err != nil {
		return wrapf(err, "syncer: read links")
	}
	var save []*Link
	for _, c := range contacts {
		ar.Read++
		link := links[c.ID]
		vals := e.mapping.ContactValues(c.Properties)
		if link != nil {
			if l, changed := p.observeRemote(link, c, vals); changed {
				save = append(save, l)
			}
			p.rep.count(ar, outUnchanged, "")
			continue
		}
		if !e.cfg.ContactFilter.matches(c) {
			p.rep.count(ar, outExcluded, string(ReasonFiltered))
			continue
		}
		if pid, _ := c.Properties.Get(propPersonID); pid != "" && e.writes(propPersonID) {
			// Made from a Sansan card by a pass that stopped before saving
			// its link: the card's own sync links it again. Registering it
			// would give that person a second card.
			p.rep.count(ar, outUnchanged, "")
			continue
		}
		raw, _ := c.Properties.Get("email")
		em := mapping.NormalizeEmail(raw)
		switch em.Status {
		case mapping.EmailMissing:
			// Without an email a registered card could not be found again
			// after a crash, so such contacts are never registered.
			p.rep.count(ar, outExcluded, string(ReasonNoEmail))
			continue
		case mapping.EmailInvalid:
			p.rep.count(ar, outExcluded, string(ReasonInvalidEmail))
			continue
		}
		l, err := p.register(ctx, acct, ar, c, em.Normalized, vals)
		if err != nil {
			return err
		}
		if l != nil {
			save = append(save, l)
		}
	}
	if len(save) > 0 {
		if err := p.store.PutLinks(ctx, save); err != nil {
			return wrapf(err, "syncer: save links")
		}
	}
	return nil
}

// observeRemote records HubSpot-side values that differ from the last
// synced snapshot. Values equal to the snapshot are echoes of our own
// writes (or no change) and are dropped. Sansan cannot update a card
// through its API, so real changes are kept in Link.Remote, where the
// Sansan → HubSpot direction respects them per the mapping's winner, and
// are reported once in Report.SansanChangesNotApplied.
func (p *pass) observeRemote(link *Link, c *hubspot.Contact, vals map[string]string) (*Link, bool) {
	remote := map[string]string{}
	for k, v := range vals {
		if old, ok := link.Values[k]; (ok && old != v) || (!ok && v != "") {
			remote[k] = v
		}
	}
	if maps.Equal(remote, link.Remote) || (len(remote) == 0 && len(link.Remote) == 0) {
		return link, false
	}
	l := link.Clone()
	if len(remote) == 0 {
		l.Remote = nil
	} else {
		l.Remote = remote
		if lm, ok := modifiedAt(c); ok {
			l.RemoteAt = lm
		}
		p.rep.SansanChangesNotApplied = append(p.rep.SansanChangesNotApplied, c.ID)
	}
	l.UpdatedAt = p.start
	return l, true
}

// register creates a Sansan card for an unlinked contact. It first looks
// for a card with the same email (a person Sansan already knows, or the
// card a crashed pass registered before saving its link) and links that
// instead, so no contact is ever registered twice.
func (p *pass) register(ctx context.Context, acct *Account, ar *AccountReport, c *hubspot.Contact, email string, vals map[string]string) (*Link, error) {
	e := p.e
	known, err := p.store.LinksByEmail(ctx, []string{email})
	if err != nil {
		return nil, wrapf(err, "syncer: read links by email")
	}
	if len(known[email]) > 0 {
		// A Sansan person with this email is already known (perhaps
		// excluded or a duplicate): never create a second card for it.
		p.rep.count(ar, outExcluded, string(ReasonDuplicateEmail))
		return nil, nil
	}
	found, resp, err := acct.Client.BizCards.Search(ctx, &sansan.SearchBizCardsOptions{Email: email, CardListOptions: sansan.CardListOptions{Range: sansan.RangeAll, ListOptions: sansan.ListOptions{Limit: 1}}})
	if len(found) == 0 && (errors.Is(err, sansan.ErrResponseTooLarge) || err == nil && len(resp.Undecodable) > 0) {
		// Sansan has a card with this email but it cannot be read:
		// registering the contact would make a second one.
		p.rep.count(ar, outFailed, string(CategoryUndecodable))
		p.rep.fail(Failure{Account: acct.Name, Direction: HubSpotToSansan, ContactID: c.ID, Category: CategoryUndecodable,
			Message: "a Sansan card with this email cannot be read, so the contact is not registered again"})
		return nil, nil
	}
	if err != nil {
		return nil, wrapf(err, "syncer: search sansan by email")
	}
	l := &Link{ContactID: c.ID, Email: email, Account: acct.Name, State: StateInSync, Origin: OriginHubSpot, UpdatedAt: p.start}
	l.setValues(vals)
	if len(found) > 0 {
		card := found[0]
		l.PersonID, l.CardID, l.Rank = card.PersonID, card.ID, rankOf(card)
		p.rep.count(ar, outUnchanged, "")
		return l, nil
	}
	req, problems := e.mapping.PropertiesToCard(c.Properties)
	if req == nil {
		p.rep.count(ar, outFailed, string(CategoryMapping))
		p.rep.fail(Failure{Account: acct.Name, Direction: HubSpotToSansan, ContactID: c.ID, Category: CategoryMapping, Message: problemText(problems)})
		return nil, nil
	}
	req.TagIDs = append(req.TagIDs, e.cfg.RegisterTagIDs...)
	card, recorded, err := p.sink.registerCard(ctx, acct, req)
	if recorded {
		p.rep.count(ar, outCreated, "")
		return nil, nil
	}
	if err != nil {
		if errors.Is(err, sansan.ErrBadRequest) {
			p.rep.count(ar, outFailed, string(CategoryInvalidValue))
			p.rep.fail(Failure{Account: acct.Name, Direction: HubSpotToSansan, ContactID: c.ID, Category: CategoryInvalidValue, Message: err.Error()})
			return nil, nil
		}
		return nil, wrapf(err, "syncer: register card")
	}
	if card == nil || card.ID == "" {
		// Registered, but the answer did not say as what: find it by email
		// now rather than register again on the next pass.
		found, _, err := acct.Client.BizCards.Search(ctx, &sansan.SearchBizCardsOptions{Email: email, CardListOptions: sansan.CardListOptions{Range: sansan.RangeAll, ListOptions: sansan.ListOptions{Limit: 1}}})
		if err != nil {
			return nil, wrapf(err, "syncer: find registered card")
		}
		if len(found) == 0 {
			p.rep.count(ar, outFailed, string(CategoryOther))
			p.rep.fail(Failure{Account: acct.Name, Direction: HubSpotToSansan, ContactID: c.ID, Category: CategoryOther,
				Message: "sansan accepted the card but it cannot be found yet; the next pass links it"})
			return nil, nil
		}
		card = found[0]
	}
	l.PersonID, l.CardID, l.Rank = card.PersonID, card.ID, rankOf(card)
	if l.PersonID == "" {
		l.PersonID = "card:" + card.ID
	}
	p.rep.count(ar, outCreated, "")
	return l, nil
}

func problemText(ps []mapping.FieldProblem) string {
	if len(ps) == 0 {
		return "contact has no value Sansan can register"
	}
	s := ""
	for i, pr := range ps {
		if i > 0 {
			s += "; "
		}
		if pr.Property != "" {
			s += pr.Property + ": "
		}
		s += pr.Message
	}
	return s
}

// Notify queues HubSpot webhook events for low-latency sync: the contacts
// they name are fetched by id (current state, so duplicate and out-of-order
// events are harmless) in the next pass, which Run starts at once. A merge
// re-points links of merged contacts to the surviving one; a deletion
// unlinks the contact without deleting anything in Sansan.
func (e *Engine) Notify(ctx context.Context, events []hubspot.WebhookEvent) error {
	var save []*Link
	for _, ev := range events {
		id := ev.ContactID()
		switch ev.SubscriptionType {
		case hubspot.SubscriptionContactMerge:
			for _, old := range ev.MergedObjectIDs {
				oldID := strconv.FormatInt(old, 10)
				if oldID == id {
					continue
				}
				l, err := e.store.LinkByContact(ctx, oldID)
				if errors.Is(err, ErrNotFound) {
					continue
				} else if err != nil {
					return wrapf(err, "syncer: notify")
				}
				if _, err := e.store.LinkByContact(ctx, id); err == nil {
					// The survivor has its own link: the merged one loses
					// its contact and will be matched again by email.
					l.ContactID = ""
				} else {
					l.ContactID = id
				}
				save = append(save, l)
			}
		case hubspot.SubscriptionContactDeletion, hubspot.SubscriptionContactPrivacyDeletion:
			l, err := e.store.LinkByContact(ctx, id)
			if err == nil {
				l.ContactID = ""
				save = append(save, l)
			}
			continue
		}
		e.mu.Lock()
		e.notified[id] = true
		e.mu.Unlock()
	}
	if len(save) > 0 && !e.cfg.DryRun {
		if err := e.store.PutLinks(ctx, save); err != nil {
			return wrapf(err, "syncer: notify")
		}
	}
	select {
	case e.kick <- struct{}{}:
	default:
	}
	return nil
}

// syncNotified processes contacts queued by Notify.
func (p *pass) syncNotified(ctx context.Context) error {
	e := p.e
	e.mu.Lock()
	ids := slices.Sorted(maps.Keys(e.notified))
	e.notified = map[string]bool{}
	e.mu.Unlock()
	for chunk := range slices.Chunk(ids, batchSize) {
		res, _, err := e.cfg.HubSpot.Contacts.BatchRead(ctx, chunk, &hubspot.BatchReadOptions{Properties: p.contactProperties()})
		if err != nil {
			e.requeue(chunk)
			return wrapf(err, "syncer: read notified contacts")
		}
		var cs []*hubspot.Contact
		for _, o := range res.Outcomes {
			if o.Err == nil && o.Contact != nil {
				cs = append(cs, o.Contact)
			}
		}
		if err := p.processContacts(ctx, cs); err != nil {
			e.requeue(chunk)
			return err
		}
	}
	return nil
}

func (e *Engine) requeue(ids []string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, id := range ids {
		e.notified[id] = true
	}
}
