package syncer

import (
	"context"
	"maps"
	"slices"
	"time"

	"github.com/cardbridge/sansanhubspot/hubspot"
)

// dryRun plans a batch without writing. Records that an upsert would send
// are read by email first (a read, never a write), so the plan tells which
// contacts would be created, which updated and which already hold the
// values.
func (w *writer) dryRun(ctx context.Context, op writeOp, batch []*record, done *[]*record) error {
	existing := map[string]*hubspot.Contact{}
	if op == opUpsert {
		emails := make([]string, len(batch))
		names := map[string]bool{}
		for i, r := range batch {
			emails[i] = r.email
			for k := range r.send {
				names[k] = true
			}
		}
		res, _, err := w.p.e.cfg.HubSpot.Contacts.BatchRead(ctx, emails, &hubspot.BatchReadOptions{
			IDProperty: "email", Properties: slices.Sorted(maps.Keys(names)),
		})
		if err != nil {
			return wrapf(err, "syncer: dry run: read contacts by email")
		}
		for _, r := range batch {
			if o, ok := res.Outcome(r.email); ok && o.Err == nil && o.Contact != nil {
				existing[r.email] = o.Contact
			}
		}
	}
	for _, r := range batch {
		l := r.link
		l.State, l.Reason, l.Message, l.Attempts, l.NextRetry = StateInSync, "", "", 0, time.Time{}
		l.Values = maps.Clone(r.values)
		out := outUpdated
		switch op {
		case opCreate:
			out = outCreated
		case opUpsert:
			c, ok := existing[r.email]
			switch {
			case !ok && w.p.dryCreated[r.email]:
				out = outUpdated // an earlier record of this pass "created" it
			case !ok:
				out = outCreated
				w.p.dryCreated[r.email] = true
			case holds(c.Properties, r.send):
				out = outUnchanged
				l.ContactID = c.ID
			default:
				l.ContactID = c.ID
			}
		}
		w.p.rep.count(w.ar, out, "")
		*done = append(*done, r)
	}
	return nil
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
