package syncer

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/cardbridge/sansanhubspot/hubspot"
)

// executor carries out the planner's decisions for one account and
// direction: it saves the plan's links, queues its writes in batches of 100
// per operation (batches fill across pages, so an initial sync costs
// ceil(N/100) writes, not a partial batch per page), settles conditional
// clears with one batch read, sends through the pass's sink and records
// every outcome on its link, the store and the report. Records waiting in
// it are indexed by email and person (pendingView), so later pages are
// planned against them.
type executor struct {
	p    *pass
	ar   *AccountReport
	acct *Account
	q    [4][]*record // pending, by writeOp

	byEmail  map[string]*record
	byPerson map[string]*record
	pages    map[int]int // page -> records of it still pending
	written  int

	// flights are the batches sent and not yet applied, in send order.
	// Their records stay pending until their outcome is applied, so
	// checkpoints never pass them and later pages wait for them.
	flights []*flight
	latency time.Duration // moving average of a batch write's round trip
}

// flight is one batch on its way to HubSpot.
type flight struct {
	op      writeOp
	batch   []*record
	intent  string // key of its write intent, "" without a fence
	done    chan struct{}
	res     []writeResult
	err     error
	started time.Time
	took    time.Duration
}

func (p *pass) newExecutor(acct *Account, dir Direction) *executor {
	return &executor{
		p: p, acct: acct, ar: p.rep.account(acct.Name, dir),
		byEmail:  map[string]*record{},
		byPerson: map[string]*record{},
		pages:    map[int]int{},
	}
}

func (x *executor) pendingPerson(id string) *record { return x.byPerson[id] }
func (x *executor) pendingEmail(e string) *record   { return x.byEmail[e] }

// apply carries out a page's plan: superseded records leave the queue,
// decided links are saved, outcomes counted, writes queued (full batches
// are sent at once).
func (x *executor) apply(ctx context.Context, pp *pagePlan) error {
	for _, r := range pp.drop {
		x.drop(r)
	}
	for _, t := range pp.tally {
		x.p.rep.count(x.ar, t.out, t.detail)
	}
	for _, e := range pp.vacated {
		x.p.vacated[e] = true
	}
	var creates []*record
	for _, r := range pp.writes {
		if r.op == opCreate {
			creates = append(creates, r)
		}
	}
	if len(creates) > 0 {
		if err := x.adoptByPersonID(ctx, creates); err != nil {
			return err
		}
	}
	if err := x.p.ensureTagOptions(ctx, x.acct, pp.writes); err != nil {
		return err
	}
	if len(pp.save) > 0 {
		if err := x.p.store.PutLinks(ctx, pp.save); err != nil {
			return wrapf(err, "syncer: save links")
		}
	}
	for _, r := range pp.writes {
		if err := x.add(ctx, r); err != nil {
			return err
		}
	}
	return nil
}

func (x *executor) add(ctx context.Context, r *record) error {
	x.q[r.op] = append(x.q[r.op], r)
	if r.email != "" {
		x.byEmail[r.email] = r
	}
	x.byPerson[r.card.PersonID] = r
	x.pages[r.page]++
	if len(x.q[r.op]) >= batchSize {
		return x.flush(ctx, r.op)
	}
	return nil
}

// drop removes a queued record that a newer read superseded or that
// competes again for its email.
func (x *executor) drop(r *record) {
	if !slices.Contains(x.q[r.op], r) {
		return
	}
	x.q[r.op] = slices.DeleteFunc(x.q[r.op], func(y *record) bool { return y == r })
	x.release(r)
}

func (x *executor) release(r *record) {
	if x.byEmail[r.email] == r {
		delete(x.byEmail, r.email)
	}
	if x.byPerson[r.card.PersonID] == r {
		delete(x.byPerson, r.card.PersonID)
	}
	if x.pages[r.page]--; x.pages[r.page] <= 0 {
		delete(x.pages, r.page)
	}
}

// pageStride separates the page numbers of a window's sub-windows: page
// i of sub-window s is s*pageStride + i.
const pageStride = 1 << 32

// donePage reports whether every record of page and of the earlier pages
// of its sub-window has been written (or failed), so a checkpoint after it
// is safe.
func (x *executor) donePage(page int) bool {
	for pg := range x.pages {
		if pg/pageStride == page/pageStride && pg <= page {
			return false
		}
	}
	return true
}

// flushAll sends everything pending. Updates of contacts that no longer
// exist turn into upserts or creates, so it loops until all queues drain.
func (x *executor) flushAll(ctx context.Context) error {
	for {
		busy := false
		for _, op := range []writeOp{opUpdate, opUpsert, opCreate} {
			if len(x.q[op]) > 0 {
				busy = true
				if err := x.flush(ctx, op); err != nil {
					return err
				}
			}
		}
		if len(x.flights) > 0 {
			busy = true
			if err := x.drain(ctx); err != nil {
				return err
			}
		}
		if !busy {
			return nil
		}
	}
}

// flush sends the queue of op: one batch, partial or not, then every
// further full batch (a partial rest waits for more records). Updates go
// out, and complete, before an upsert or create that claims an email an
// update moves a contact away from: the upsert must not adopt the contact
// first.
func (x *executor) flush(ctx context.Context, op writeOp) error {
	if op != opUpdate && x.movesAwayFrom(op) {
		if err := x.flush(ctx, opUpdate); err != nil {
			return err
		}
		if err := x.drain(ctx); err != nil {
			return err
		}
	}
	for len(x.q[op]) > 0 {
		n := min(len(x.q[op]), batchSize)
		batch := slices.Clone(x.q[op][:n])
		x.q[op] = x.q[op][n:]
		if err := x.launch(ctx, op, batch); err != nil {
			return err
		}
		if len(x.q[op]) < batchSize {
			return nil
		}
	}
	return nil
}

// launch sends one batch without waiting for its answer, once fewer than
// the in-flight limit are under way; the HubSpot client's limiter still
// paces every send. Conditional clears are settled first (a read).
func (x *executor) launch(ctx context.Context, op writeOp, batch []*record) error {
	if op == opUpsert {
		// An upsert that HubSpot applies but whose answer a stopped pass
		// never sees leaves a contact the links do not know. Its intent
		// (what it sends) is saved first, so the next writer of that email
		// has a base (see planner.dedup).
		intents := make([]*Link, 0, len(batch))
		for _, r := range batch {
			l := *r.link
			l.State, l.Reason, l.Message = StateFailing, string(CategoryUnconfirmed), "an upsert was sent; the pass stopped before its answer"
			l.NextRetry = x.p.start
			l.Remote = nil
			l.setValues(nonBlank(r.values))
			intents = append(intents, &l)
		}
		if err := x.p.store.PutLinks(ctx, intents); err != nil {
			return wrapf(err, "syncer: save write intents")
		}
	}
	if op == opUpdate || op == opUpsert {
		var done []*record
		var err error
		if batch, err = x.settleClears(ctx, op, batch, &done); err != nil {
			return err
		}
		if err := x.finish(ctx, done); err != nil {
			return err
		}
		if len(batch) == 0 {
			return nil
		}
	}
	for len(x.flights) >= x.limit() {
		if err := x.applyHead(ctx); err != nil {
			return err
		}
	}
	intent, err := x.recordIntent(ctx, op, batch)
	if err != nil {
		return err
	}
	f := &flight{op: op, batch: batch, intent: intent, done: make(chan struct{}), started: time.Now()}
	x.flights = append(x.flights, f)
	go func() {
		defer close(f.done)
		f.res, f.err = x.p.sink.writeContacts(ctx, op, batch)
		f.took = time.Since(f.started)
	}()
	return nil
}

// applyHead waits for the oldest batch in flight and applies its outcome:
// outcomes are applied in send order, by the pass's goroutine.
func (x *executor) applyHead(ctx context.Context) error {
	f := x.flights[0]
	<-f.done
	x.flights = x.flights[1:]
	if f.err == nil {
		x.observe(f.took)
	}
	var done []*record
	if f.err != nil {
		// Rejected as a whole: for its content, split it until the bad
		// record stands alone (rare; one half after the other).
		if err := x.rejected(ctx, f.op, f.batch, f.err, &done); err != nil {
			return err
		}
	} else {
		x.outcomes(f.op, f.batch, f.res, &done)
	}
	if err := x.finish(ctx, done); err != nil {
		return err
	}
	return x.resolveIntent(ctx, f.intent)
}

// drain applies every batch in flight.
func (x *executor) drain(ctx context.Context) error {
	for len(x.flights) > 0 {
		if err := x.applyHead(ctx); err != nil {
			return err
		}
	}
	return nil
}

// waitFor applies batches in flight, in order, until none holds a record
// that touches one of persons or emails (its own email, or the email it
// moves a contact away from): a later page is planned only against
// settled records, never against a write whose outcome is unknown.
func (x *executor) waitFor(ctx context.Context, persons, emails map[string]bool) error {
	last := -1
	for i, f := range x.flights {
		if slices.ContainsFunc(f.batch, func(r *record) bool {
			return persons[r.card.PersonID] || emails[r.email] || emails[movedFrom(r)]
		}) {
			last = i
		}
	}
	for ; last >= 0; last-- {
		if err := x.applyHead(ctx); err != nil {
			return err
		}
	}
	return nil
}

// abandon waits for every batch still in flight without applying it: the
// pass is ending with an error, and the next pass redoes those records
// (writes are idempotent). No goroutine outlives the pass.
func (x *executor) abandon() {
	for _, f := range x.flights {
		<-f.done
	}
	x.flights = nil
}

// finish saves the links of finished records (with the demotions that go
// with them) and releases them.
func (x *executor) finish(ctx context.Context, done []*record) error {
	if len(done) == 0 {
		return nil
	}
	save := make([]*Link, 0, len(done))
	for _, r := range done {
		save = append(save, r.link)
		save = append(save, r.demote...)
		x.release(r)
		if r.link.State == StateInSync {
			x.written++
		}
	}
	if err := x.p.store.PutLinks(ctx, save); err != nil {
		return wrapf(err, "syncer: save links")
	}
	return nil
}

// limit is how many batches may be in flight: Config.WriteConcurrency, or
// by default enough to keep the HubSpot limiter busy through one round
// trip (rate × latency, plus one), from 1 to MaxWriteConcurrency.
//
// Until one batch has come back, one at a time (a slow start): a pass
// that meets HubSpot's daily limit, or a token that stopped working, then
// stops at its first refused request.
func (x *executor) limit() int {
	if x.latency <= 0 {
		return 1
	}
	if n := x.p.e.cfg.WriteConcurrency; n > 0 {
		return n
	}
	return autoConcurrency(x.p.e.hubspotRate(), x.latency)
}

func autoConcurrency(perSecond float64, latency time.Duration) int {
	if latency <= 0 {
		return 1
	}
	if math.IsInf(perSecond, 1) {
		return 4 // no limiter to keep busy: a few, to overlap round trips
	}
	k := int(math.Ceil(perSecond*latency.Seconds())) + 1
	return max(1, min(k, MaxWriteConcurrency))
}

// observe folds a batch's round trip into the moving average.
func (x *executor) observe(d time.Duration) {
	if x.latency == 0 {
		x.latency = d
		return
	}
	x.latency = (3*x.latency + d) / 4
}

// nonBlank returns m without its blank values (what an upsert leaves
// alone).
func nonBlank(m map[string]string) map[string]string {
	out := make(map[string]string, len(m))
	for k, v := range m {
		if v != "" {
			out[k] = v
		}
	}
	return out
}

// movedFrom is the email a record's write moves its contact away from, or "".
func movedFrom(r *record) string {
	from := ""
	if r.takeover != nil {
		from = r.takeover.Email
	} else if r.old != nil {
		from = r.old.Email
	}
	if from == r.email {
		return ""
	}
	return from
}

// movesAwayFrom reports whether an update, queued or in flight, moves a
// contact away from an email that op's next batch claims.
func (x *executor) movesAwayFrom(op writeOp) bool {
	claims := map[string]bool{}
	for _, r := range x.q[op][:min(len(x.q[op]), batchSize)] {
		if r.email != "" {
			claims[r.email] = true
		}
	}
	moves := func(u *record) bool { return claims[movedFrom(u)] }
	if slices.ContainsFunc(x.q[opUpdate], moves) {
		return true
	}
	return slices.ContainsFunc(x.flights, func(f *flight) bool { return f.op == opUpdate && slices.ContainsFunc(f.batch, moves) })
}

// sendSplit writes a batch synchronously, splitting it in halves while
// HubSpot rejects it as a whole for a validation error, so one invalid
// value never fails the rest. Errors that are not about a record
// (network, rate limit, auth, daily limit) abort the pass: nothing of the
// batch is saved, and the next pass redoes it.
func (x *executor) sendSplit(ctx context.Context, op writeOp, batch []*record, done *[]*record) error {
	if len(batch) == 0 {
		return nil
	}
	res, err := x.p.sink.writeContacts(ctx, op, batch)
	if err != nil {
		return x.rejected(ctx, op, batch, err, done)
	}
	x.outcomes(op, batch, res, done)
	return nil
}

// rejected handles a batch HubSpot refused as a whole with err.
func (x *executor) rejected(ctx context.Context, op writeOp, batch []*record, err error, done *[]*record) error {
	if !recordError(err) {
		return err
	}
	if len(batch) == 1 {
		*done = append(*done, x.failed(batch[0], err))
		return nil
	}
	if op == opUpsert {
		// An upsert by email is all or nothing: one refused address fails
		// the batch. The error usually names it; then the named inputs
		// fail and the rest is sent again once, instead of bisecting.
		if idx := hubspot.RefusedUpsertInputs(err, upsertInputs(batch)); len(idx) > 0 && len(idx) < len(batch) {
			bad := make(map[int]bool, len(idx))
			for _, i := range idx {
				bad[i] = true
			}
			rest := make([]*record, 0, len(batch)-len(idx))
			for i, r := range batch {
				if bad[i] {
					*done = append(*done, x.failed(r, err))
				} else {
					rest = append(rest, r)
				}
			}
			return x.sendSplit(ctx, op, rest, done)
		}
	}
	mid := len(batch) / 2
	if err := x.sendSplit(ctx, op, batch[:mid], done); err != nil {
		return err
	}
	return x.sendSplit(ctx, op, batch[mid:], done)
}

// outcomes records a batch's per-record results.
func (x *executor) outcomes(op writeOp, batch []*record, res []writeResult, done *[]*record) {
	for i, r := range batch {
		o := res[i]
		switch {
		case o.err != nil && op == opUpdate && errors.Is(o.err, hubspot.ErrNotFound):
			// The contact was deleted or merged away: find or create it
			// again by email rather than fail forever. There is no base
			// any more: blanks clear nothing.
			r.link.ContactID, r.base, r.hasBase, r.clears = "", nil, false, nil
			r.send, _ = x.p.plan.rule.diffValues(r.values, nil, false, nil)
			r.op = opCreate
			if r.email != "" {
				r.op = opUpsert
			}
			x.q[r.op] = append(x.q[r.op], r) // still pending: not released
		case o.err != nil:
			*done = append(*done, x.failed(r, o.err))
		default:
			*done = append(*done, x.succeeded(r, o))
		}
	}
}

// settleClears reads the contacts of records with conditional clears (one
// batch read) and keeps each clear whose property still holds the base's
// value. Records left with nothing to send are finished without a write.
func (x *executor) settleClears(ctx context.Context, op writeOp, batch []*record, done *[]*record) ([]*record, error) {
	// Updates are read by contact id, upserts by email.
	key := func(r *record) string {
		if op == opUpsert {
			return r.email
		}
		return r.link.ContactID
	}
	var ids []string
	props := map[string]bool{}
	for _, r := range batch {
		if len(r.clears) > 0 && op == opUpdate && x.p.createdHere[r.link.ContactID] {
			// A contact this pass created holds what the pass wrote (the
			// base) as far as the sync can know: clear without a read.
			r.send = resolveClears(r.send, r.clears, r.base, r.base)
			r.clears = nil
		}
		if len(r.clears) > 0 {
			ids = append(ids, key(r))
			for _, k := range r.clears {
				props[k] = true
			}
		}
	}
	if len(ids) == 0 {
		return batch, nil
	}
	opts := &hubspot.BatchReadOptions{Properties: slices.Sorted(maps.Keys(props))}
	if op == opUpsert {
		opts.IDProperty = "email"
	}
	res, _, err := x.p.e.cfg.HubSpot.Contacts.BatchRead(ctx, ids, opts)
	if err != nil {
		return nil, wrapf(err, "syncer: read contacts to clear")
	}
	keep := batch[:0:0]
	for _, r := range batch {
		if len(r.clears) > 0 {
			if o, ok := res.Outcome(key(r)); ok && o.Err == nil && o.Contact != nil {
				theirs := make(map[string]string, len(r.clears))
				for _, k := range r.clears {
					raw, _ := o.Contact.Properties.Get(k)
					theirs[k] = x.p.e.mapping.ContactValue(k, raw)
				}
				r.send = resolveClears(r.send, r.clears, r.base, theirs)
			}
			// A contact the read did not return is gone: the update answers
			// 404 and the record is written again by email.
			r.clears = nil
		}
		if len(r.send) == 0 {
			r.link.setInSync()
			r.link.setValues(r.values)
			x.p.rep.count(x.ar, outUnchanged, "")
			*done = append(*done, r)
			continue
		}
		keep = append(keep, r)
	}
	return keep, nil
}

// recordError reports whether a whole-batch error is about the records'
// content (so splitting the batch isolates it) rather than the call.
func recordError(err error) bool {
	if errors.Is(err, hubspot.ErrDailyLimit) || errors.Is(err, hubspot.ErrRateLimited) || errors.Is(err, hubspot.ErrUnauthorized) {
		return false
	}
	var ce *hubspot.ConflictError
	return errors.Is(err, hubspot.ErrValidation) || errors.Is(err, hubspot.ErrBadRequest) || errors.As(err, &ce) || errors.Is(err, hubspot.ErrConflict)
}

func (x *executor) succeeded(r *record, o writeResult) *record {
	l := r.link
	if o.contactID != "" {
		l.ContactID = o.contactID
	}
	l.setInSync()
	l.setValues(maps.Clone(r.values))
	for k := range r.send {
		delete(l.Remote, k) // the card's value won: both sides agree again
	}
	if len(l.Remote) == 0 {
		l.Remote = nil
	}
	switch {
	case o.unchanged:
		x.p.rep.count(x.ar, outUnchanged, "")
	case o.created:
		x.p.rep.count(x.ar, outCreated, "")
		x.p.createdHere[l.ContactID] = true
	case x.p.createdHere[l.ContactID]:
		// A contact this pass created, taken over by a winning card of its
		// email that came later in the pass: for the pass the contact is
		// created, by the winner; the record that created it is a
		// duplicate.
		x.p.rep.count(x.ar, outCreated, "")
		for _, d := range r.demote {
			if d.ContactID == "" && d.State == StateExcluded && d.Reason == string(ReasonDuplicateEmail) {
				x.p.rep.recount(x.p.rep.account(d.Account, SansanToHubSpot), outCreated, outExcluded, d.Reason)
			}
		}
	default:
		x.p.rep.count(x.ar, outUpdated, "")
	}
	return r
}

func (x *executor) failed(r *record, err error) *record {
	cat := category(err)
	x.p.failLink(r.link, cat, err.Error())
	x.p.rep.count(x.ar, outFailed, string(cat))
	x.p.rep.fail(Failure{Account: x.acct.Name, Direction: SansanToHubSpot, PersonID: r.card.PersonID,
		CardID: r.card.ID, ContactID: r.link.ContactID, Category: cat, Message: err.Error()})
	x.p.e.log.Warn("record failed", "person", r.card.PersonID, "category", string(cat), "error", err)
	return r
}

// adoptByPersonID finds contacts already created for email-less persons (a
// crash after the create, before the link was saved) by their
// sansan_person_id property and turns those creates into updates of the
// whole card (no base: the contact is adopted).
func (x *executor) adoptByPersonID(ctx context.Context, creates []*record) error {
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
		for c, err := range x.p.e.cfg.HubSpot.Contacts.SearchIter(ctx, req) {
			if err != nil {
				return wrapf(err, "syncer: search contacts by person id")
			}
			if v, ok := c.Properties.Get(propPersonID); ok {
				if _, dup := found[v]; !dup {
					found[v] = c.ID
				}
			}
		}
	}
	for _, r := range creates {
		if id, ok := found[r.card.PersonID]; ok {
			r.link.ContactID, r.op = id, opUpdate
		}
	}
	return nil
}

// failLink marks a record failing with a retry time that backs off with
// each consecutive failure (1 minute doubling to 6 hours).
func (p *pass) failLink(l *Link, cat FailureCategory, msg string) {
	l.State, l.Reason, l.Message = StateFailing, string(cat), msg
	l.Attempts++
	backoff := time.Minute << min(l.Attempts-1, 9)
	l.NextRetry = p.start.Add(min(backoff, 6*time.Hour))
}

// category maps a per-record HubSpot error to a failure category.
func category(err error) FailureCategory {
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
