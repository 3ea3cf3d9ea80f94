package syncer

import (
	"context"
	"errors"
	"maps"
	"slices"
	"sync"

	"github.com/cardbridge/sansanhubspot/hubspot"
	"github.com/cardbridge/sansanhubspot/sansan"
)

// sink is where a pass's writes go: HubSpot and Sansan for a real pass
// (liveSink), a recorder that predicts each outcome for a dry run
// (drySink). Reads never go through it, so a dry run reads exactly what
// the real pass reads and reports the same counts, by construction.
type sink interface {
	// writeContacts sends one batch of contact writes and returns one
	// result per record, in order; an error is about the whole batch.
	writeContacts(ctx context.Context, op writeOp, batch []*record) ([]writeResult, error)
	// registerCard registers a card in Sansan. recorded is true when the
	// sink only recorded the registration (dry run): there is no card.
	registerCard(ctx context.Context, acct *Account, req *sansan.RegisterBizCardRequest) (card *sansan.BizCard, recorded bool, err error)
	// ensureProperty creates or widens a HubSpot property (tag options).
	ensureProperty(ctx context.Context, req *hubspot.PropertyCreateRequest) (recorded bool, err error)
}

// writeResult is the outcome of one record's write.
type writeResult struct {
	contactID string
	created   bool // the write created the contact
	unchanged bool // the contact already held every value (dry run only)
	err       error
}

// upsertInputs are the batch/upsert inputs of records, by email.
func upsertInputs(batch []*record) []hubspot.BatchUpsertInput {
	in := make([]hubspot.BatchUpsertInput, len(batch))
	for i, r := range batch {
		in[i] = hubspot.BatchUpsertInput{ID: r.email, IDProperty: "email", Properties: r.send, ObjectWriteTraceID: traceID(r, opUpsert)}
	}
	return in
}

// liveSink writes to the services.
type liveSink struct{ e *Engine }

func (s liveSink) writeContacts(ctx context.Context, op writeOp, batch []*record) ([]writeResult, error) {
	contacts := s.e.cfg.HubSpot.Contacts
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
		res, _, err = contacts.BatchUpsert(ctx, upsertInputs(batch))
	case opCreate:
		in := make([]hubspot.BatchCreateInput, len(batch))
		for i, r := range batch {
			in[i] = hubspot.BatchCreateInput{Properties: r.send, ObjectWriteTraceID: traceID(r, op)}
		}
		res, _, err = contacts.BatchCreate(ctx, in)
	}
	if err != nil {
		return nil, err
	}
	out := make([]writeResult, len(batch))
	for i := range batch {
		var o *hubspot.BatchOutcome
		if i < len(res.Outcomes) {
			o = res.Outcomes[i]
		}
		switch {
		case o == nil:
			out[i].err = errors.New("hubspot returned no result for this record")
		case o.Err != nil:
			out[i].err = o.Err
		default:
			if o.Contact != nil {
				out[i].contactID = o.Contact.ID
			}
			out[i].created = op == opCreate || (op == opUpsert && o.New)
		}
	}
	return out, nil
}

func (s liveSink) registerCard(ctx context.Context, acct *Account, req *sansan.RegisterBizCardRequest) (*sansan.BizCard, bool, error) {
	card, _, err := acct.Client.BizCards.Register(ctx, req)
	return card, false, err
}

func (s liveSink) ensureProperty(ctx context.Context, req *hubspot.PropertyCreateRequest) (bool, error) {
	_, _, err := s.e.cfg.HubSpot.Properties.EnsureProperty(ctx, req)
	return false, err
}

// drySink records writes instead of sending them. Upserts are read by
// email first (a read, never a write), so the plan tells which contacts
// would be created, which updated and which already hold the values.
type drySink struct {
	e  *Engine
	mu sync.Mutex // guards created and OnPlanned: batches may be in flight together
	// created holds the emails a dry run counted as created, so a later
	// record for the same email counts as the update the real pass makes.
	created map[string]bool
}

func (s *drySink) writeContacts(ctx context.Context, op writeOp, batch []*record) ([]writeResult, error) {
	out := make([]writeResult, len(batch))
	switch op {
	case opCreate:
		for i := range out {
			out[i].created = true
		}
	case opUpdate:
		for i, r := range batch {
			out[i].contactID = r.link.ContactID
		}
	case opUpsert:
		emails := make([]string, len(batch))
		names := map[string]bool{}
		for i, r := range batch {
			emails[i] = r.email
			for k := range r.send {
				names[k] = true
			}
		}
		res, _, err := s.e.cfg.HubSpot.Contacts.BatchRead(ctx, emails, &hubspot.BatchReadOptions{
			IDProperty: "email", Properties: slices.Sorted(maps.Keys(names)),
		})
		if err != nil {
			return nil, wrapf(err, "syncer: dry run: read contacts by email")
		}
		for i, r := range batch {
			o, ok := res.Outcome(r.email)
			s.mu.Lock()
			switch {
			case ok && o.Err == nil && o.Contact != nil:
				out[i].contactID = o.Contact.ID
				out[i].unchanged = holds(o.Contact.Properties, r.send)
			case s.created[r.email]:
				// an earlier record of this pass "created" it: an update
			default:
				out[i].created = true
				s.created[r.email] = true
			}
			s.mu.Unlock()
		}
	}
	if f := s.e.cfg.OnPlanned; f != nil {
		s.mu.Lock()
		defer s.mu.Unlock()
		for i, r := range batch {
			if out[i].unchanged {
				continue
			}
			w := PlannedWrite{Account: r.link.Account, PersonID: r.card.PersonID, CardID: r.card.ID,
				ContactID: out[i].contactID, Email: r.email, Action: PlanUpdate, Properties: maps.Clone(r.send)}
			if out[i].created {
				w.Action, w.ContactID = PlanCreate, ""
			}
			f(w)
		}
	}
	return out, nil
}

// PlanAction is what a dry run would do to a contact.
type PlanAction string

// Plan actions.
const (
	PlanCreate PlanAction = "create" // a new contact
	PlanUpdate PlanAction = "update" // an existing contact
)

// PlannedWrite is one contact write a dry run would make (see
// Config.OnPlanned).
type PlannedWrite struct {
	Account  string
	PersonID string
	CardID   string
	// ContactID is the contact written; "" for one to be created.
	ContactID string
	// Email is the contact's normalized email ("" for a contact matched
	// by person id only).
	Email  string
	Action PlanAction
	// Properties are the values that would be sent; "" clears a property.
	Properties hubspot.PropertyValues
}

func (s *drySink) registerCard(context.Context, *Account, *sansan.RegisterBizCardRequest) (*sansan.BizCard, bool, error) {
	return nil, true, nil
}

func (s *drySink) ensureProperty(context.Context, *hubspot.PropertyCreateRequest) (bool, error) {
	return true, nil
}

// holds reports whether props already has every value of want.
func holds(props hubspot.Properties, want hubspot.PropertyValues) bool {
	for k, v := range want {
		if got, _ := props.Get(k); got != v {
			return false
		}
	}
	return true
}
