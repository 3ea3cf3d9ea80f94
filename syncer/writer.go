package syncer

import (
	"context"
	"errors"
	"maps"
	"slices"
	"time"

	"github.com/cardbridge/sansanhubspot/hubspot"
)

// writer sends planned records to HubSpot in batches of 100 per operation
// and records each record's outcome on its link. One writer serves a whole
// account pass, so batches fill across pages; records waiting in it are
// indexed by email and person, so later pages dedup against them.
type writer struct {
	p    *pass
	ar   *AccountReport
	acct *Account
	q    [4][]*record // pending, by writeOp

	pendingEmail  map[string]*record
	pendingPerson map[string]*record
	pendingPages  map[int]int // page -> records of it still pending
	written       int
}

func (p *pass) newWriter(acct *Account, dir Direction) *writer {
	return &writer{
		p: p, acct: acct, ar: p.rep.account(acct.Name, dir),
		pendingEmail:  map[string]*record{},
		pendingPerson: map[string]*record{},
		pendingPages:  map[int]int{},
	}
}

func (w *writer) add(ctx context.Context, r *record) error {
	w.q[r.op] = append(w.q[r.op], r)
	if r.email != "" {
		w.pendingEmail[r.email] = r
	}
	w.pendingPerson[r.card.PersonID] = r
	w.pendingPages[r.page]++
	if len(w.q[r.op]) >= batchSize {
		return w.flush(ctx, r.op)
	}
	return nil
}

// drop removes a queued record that a newer read superseded or that lost
// its email to another person.
func (w *writer) drop(r *record) {
	w.q[r.op] = slices.DeleteFunc(w.q[r.op], func(x *record) bool { return x == r })
	w.release(r)
}

func (w *writer) release(r *record) {
	if w.pendingEmail[r.email] == r {
		delete(w.pendingEmail, r.email)
	}
	if w.pendingPerson[r.card.PersonID] == r {
		delete(w.pendingPerson, r.card.PersonID)
		if w.pendingPages[r.page]--; w.pendingPages[r.page] <= 0 {
			delete(w.pendingPages, r.page)
		}
	}
}

// donePage reports whether every record of pages up to and including page
// has been written (or failed), so a checkpoint after it is safe.
func (w *writer) donePage(page int) bool {
	for pg := range w.pendingPages {
		if pg <= page {
			return false
		}
	}
	return true
}

// flushAll sends everything pending. Updates of contacts that no longer
// exist turn into upserts or creates, so it loops until all queues drain.
func (w *writer) flushAll(ctx context.Context) error {
	for {
		busy := false
		for _, op := range []writeOp{opUpdate, opUpsert, opCreate} {
			if len(w.q[op]) > 0 {
				busy = true
				if err := w.flush(ctx, op); err != nil {
					return err
				}
			}
		}
		if !busy {
			return nil
		}
	}
}

// flush sends the queue of op in batches and saves the links of every
// record it finished.
func (w *writer) flush(ctx context.Context, op writeOp) error {
	for len(w.q[op]) > 0 {
		n := min(len(w.q[op]), batchSize)
		batch := slices.Clone(w.q[op][:n])
		w.q[op] = w.q[op][n:]
		var done []*record
		if err := w.send(ctx, op, batch, &done); err != nil {
			return err
		}
		save := make([]*Link, 0, len(done))
		for _, r := range done {
			save = append(save, r.link)
			w.release(r)
			if r.link.State == StateInSync {
				w.written++
			}
		}
		if err := w.p.store.PutLinks(ctx, save); err != nil {
			return wrapf(err, "syncer: save links")
		}
		if len(w.q[op]) < batchSize {
			return nil
		}
	}
	return nil
}

// send writes one batch. A batch HubSpot rejects as a whole for a
// validation error is split in halves until the bad record stands alone, so
// one invalid value never fails the rest. Errors that are not about a
// record (network, rate limit, auth, daily limit) abort the pass: nothing of
// the batch is saved, and the next pass redoes it.
func (w *writer) send(ctx context.Context, op writeOp, batch []*record, done *[]*record) error {
	if len(batch) == 0 {
		return nil
	}
	if w.p.e.cfg.DryRun {
		return w.dryRun(ctx, op, batch, done)
	}
	res, err := w.call(ctx, op, batch)
	if err != nil {
		if !recordError(err) {
			return err
		}
		if len(batch) > 1 {
			mid := len(batch) / 2
			if err := w.send(ctx, op, batch[:mid], done); err != nil {
				return err
			}
			return w.send(ctx, op, batch[mid:], done)
		}
		*done = append(*done, w.failed(batch[0], err))
		return nil
	}
	for i, r := range batch {
		var o *hubspot.BatchOutcome
		if i < len(res.Outcomes) {
			o = res.Outcomes[i]
		}
		switch {
		case o == nil:
			*done = append(*done, w.failed(r, errors.New("hubspot returned no result for this record")))
		case o.Err != nil:
			if op == opUpdate && errors.Is(o.Err, hubspot.ErrNotFound) {
				// The contact was deleted or merged away: find or create it
				// again by email rather than fail forever.
				r.link.ContactID = ""
				r.send = r.values
				r.op = opCreate
				if r.email != "" {
					r.op = opUpsert
				}
				w.q[r.op] = append(w.q[r.op], r)
				continue
			}
			*done = append(*done, w.failed(r, o.Err))
		default:
			created := op == opCreate || (op == opUpsert && o.New)
			*done = append(*done, w.succeeded(r, o.Contact, created))
		}
	}
	return nil
}

func (w *writer) call(ctx context.Context, op writeOp, batch []*record) (*hubspot.BatchResult, error) {
	contacts := w.p.e.cfg.HubSpot.Contacts
	var res *hubspot.BatchResult
	var err error
	switch op {
	case opUpdate:
		in := make([]hubspot.BatchUpdateInput, len(batch))
		for i, r := range batch {
			in[i] = hubspot.BatchUpdateInput{ID: r.link.ContactID, Properties: r.send, ObjectWriteTraceID: traceID(r, op)}
		}
		res, _, err = contacts.BatchUpdate(ctx, in)
	case opUpsert:
		in := make([]hubspot.BatchUpsertInput, len(batch))
		for i, r := range batch {
			in[i] = hubspot.BatchUpsertInput{ID: r.email, IDProperty: "email", Properties: r.send, ObjectWriteTraceID: traceID(r, op)}
		}
		res, _, err = contacts.BatchUpsert(ctx, in)
	case opCreate:
		in := make([]hubspot.BatchCreateInput, len(batch))
		for i, r := range batch {
			in[i] = hubspot.BatchCreateInput{Properties: r.send, ObjectWriteTraceID: traceID(r, op)}
		}
		res, _, err = contacts.BatchCreate(ctx, in)
	}
	return res, err
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

func (w *writer) succeeded(r *record, c *hubspot.Contact, created bool) *record {
	l := r.link
	if c != nil && c.ID != "" {
		l.ContactID = c.ID
	}
	l.State, l.Reason, l.Message, l.Attempts, l.NextRetry = StateInSync, "", "", 0, time.Time{}
	l.Values = maps.Clone(r.values)
	for k := range r.send {
		delete(l.Remote, k) // the card's value won: both sides agree again
	}
	if len(l.Remote) == 0 {
		l.Remote = nil
	}
	if created {
		w.p.rep.count(w.ar, outCreated, "")
	} else {
		w.p.rep.count(w.ar, outUpdated, "")
	}
	return r
}

func (w *writer) failed(r *record, err error) *record {
	cat := category(err)
	w.p.failLink(r.link, cat, err.Error())
	w.p.rep.count(w.ar, outFailed, cat)
	w.p.rep.fail(Failure{Account: w.acct.Name, Direction: SansanToHubSpot, PersonID: r.card.PersonID,
		CardID: r.card.ID, ContactID: r.link.ContactID, Category: cat, Message: err.Error()})
	w.p.e.log.Warn("record failed", "person", r.card.PersonID, "category", cat, "error", err)
	return r
}
