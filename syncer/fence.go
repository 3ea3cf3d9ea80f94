package syncer

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/cardbridge/sansanhubspot/hubspot"
)

// Write intents close the last window of a lease holder that pauses (GC, a
// frozen VM) between its final validity check and the moment its request
// leaves: HubSpot has no conditional write, so such a request can land
// after another holder wrote newer values. Before each write batch, a
// holder under a Fence records which properties of which contacts the batch
// sends; it removes the record once the batch's outcome is saved. Every
// pass starts by re-reading the contacts of the intents it finds and
// writing back, where a contact differs, the values its links say the sync
// wrote. An intent of another engine is kept, and checked at every pass,
// until IntentHorizon has passed since it was recorded, so a stale request
// that lands late is repaired by the next pass.

// IntentHorizon is how long intents of another engine instance are checked
// again at each pass. A request paused longer than this between its check
// and its send is not repaired; the lease's validity check makes that
// pause the only way in.
var IntentHorizon = 15 * time.Minute

const metaIntentPre = "intent/"

// writeIntent is a recorded intent: what one write batch sends.
type writeIntent struct {
	Epoch  int64     `json:"epoch"`
	Holder string    `json:"holder"`
	At     time.Time `json:"at"`
	// Contacts maps a contact id, or "email:" and an email for an upsert,
	// to the properties the batch writes to it.
	Contacts map[string][]string `json:"contacts"`
}

// newInstanceID names an engine in the intents it records.
func newInstanceID() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// fenceCheck is the send check of a pass under a Fence: no request leaves
// after the lease's validity ended.
func fenceCheck(ctx context.Context, _, _ string) error { return CheckFence(ctx) }

// recordIntent saves what batch will write before it is sent, when the pass
// runs under a Fence; it returns the intent's key ("" when none is kept).
func (x *executor) recordIntent(ctx context.Context, op writeOp, batch []*record) (string, error) {
	p := x.p
	if p.fence == nil || p.meta == nil || p.rep.DryRun || op == opCreate {
		// A create has no contact to read back; a stale one is a duplicate
		// the next pass finds by person id (see adoptByPersonID).
		return "", nil
	}
	in := writeIntent{Epoch: p.fence.Epoch(), Holder: p.e.instance, At: time.Now(), Contacts: make(map[string][]string, len(batch))}
	for _, r := range batch {
		key := r.link.ContactID
		if op == opUpsert {
			key = "email:" + r.email
		}
		props := slices.Collect(maps.Keys(r.send))
		props = append(props, r.clears...)
		slices.Sort(props)
		in.Contacts[key] = slices.Compact(props)
	}
	b, err := json.Marshal(in)
	if err != nil {
		return "", wrapf(err, "syncer: record write intent")
	}
	key := fmt.Sprintf("%s%020d/%s/%d", metaIntentPre, in.Epoch, in.Holder, p.e.intentSeq.Add(1))
	if err := p.meta.PutMeta(ctx, key, b); err != nil {
		return "", wrapf(err, "syncer: record write intent")
	}
	return key, nil
}

// resolveIntent removes an intent whose batch's outcome is saved.
func (x *executor) resolveIntent(ctx context.Context, key string) error {
	if key == "" {
		return nil
	}
	return wrapIf(x.p.meta.PutMeta(ctx, key, nil), "syncer: resolve write intent")
}

// repairIntents re-reads the contacts of every recorded intent and writes
// back the synced values where a contact differs from its link. It runs
// first in every pass, when no write of this engine is in flight.
func (p *pass) repairIntents(ctx context.Context) error {
	if p.meta == nil || p.rep.DryRun {
		return nil
	}
	found, err := p.meta.MetaByPrefix(ctx, metaIntentPre)
	if err != nil {
		return wrapf(err, "syncer: read write intents")
	}
	if len(found) == 0 {
		return nil
	}
	byID := map[string]map[string]bool{}    // contact id → properties
	byEmail := map[string]map[string]bool{} // email → properties
	var drop []string
	now := time.Now()
	for _, key := range slices.Sorted(maps.Keys(found)) {
		var in writeIntent
		if err := json.Unmarshal(found[key], &in); err != nil {
			p.e.log.WarnContext(ctx, "dropping unreadable write intent", "key", key, "error", err)
			drop = append(drop, key)
			continue
		}
		for k, props := range in.Contacts {
			dst, id := byID, k
			if e, ok := strings.CutPrefix(k, "email:"); ok {
				dst, id = byEmail, e
			}
			if dst[id] == nil {
				dst[id] = map[string]bool{}
			}
			for _, pr := range props {
				dst[id][pr] = true
			}
		}
		// This engine's own intents are settled: none of its writes is in
		// flight between passes. Another's may still land until the
		// horizon.
		if in.Holder == p.e.instance || now.Sub(in.At) > IntentHorizon {
			drop = append(drop, key)
		}
	}
	repaired := 0
	if len(byID) > 0 {
		n, err := p.repairContacts(ctx, byID, false)
		if err != nil {
			return err
		}
		repaired += n
	}
	if len(byEmail) > 0 {
		n, err := p.repairContacts(ctx, byEmail, true)
		if err != nil {
			return err
		}
		repaired += n
	}
	if repaired > 0 {
		p.e.log.WarnContext(ctx, "repaired contacts written by an earlier lease holder", "contacts", repaired)
	}
	p.rep.Repaired += repaired
	for _, key := range drop {
		if err := p.meta.PutMeta(ctx, key, nil); err != nil {
			return wrapf(err, "syncer: resolve write intent")
		}
	}
	return nil
}

// repairContacts reads the contacts (by id, or by email) in batches of 100
// and writes back each listed property whose value differs from the one
// its link holds. It returns how many contacts it rewrote.
func (p *pass) repairContacts(ctx context.Context, want map[string]map[string]bool, byEmail bool) (int, error) {
	e := p.e
	keys := slices.Sorted(maps.Keys(want))
	repaired := 0
	for chunk := range slices.Chunk(keys, 100) {
		var links map[string]*Link
		if byEmail {
			ls, err := p.store.LinksByEmail(ctx, chunk)
			if err != nil {
				return 0, wrapf(err, "syncer: read links to repair")
			}
			links = map[string]*Link{}
			for email, cands := range ls {
				for _, l := range cands {
					if l.ContactID != "" && l.State == StateInSync {
						links[email] = l
					}
				}
			}
		} else {
			ls, err := p.store.LinksByContact(ctx, chunk)
			if err != nil {
				return 0, wrapf(err, "syncer: read links to repair")
			}
			links = ls
		}
		props := map[string]bool{}
		var read []string
		for _, k := range chunk {
			if links[k] != nil {
				read = append(read, k)
				maps.Copy(props, want[k])
			}
		}
		if len(read) == 0 {
			continue
		}
		opts := &hubspot.BatchReadOptions{Properties: slices.Sorted(maps.Keys(props))}
		if byEmail {
			opts.IDProperty = "email"
		}
		res, _, err := e.cfg.HubSpot.Contacts.BatchRead(ctx, read, opts)
		if err != nil {
			return 0, wrapf(err, "syncer: read contacts to repair")
		}
		var fix []hubspot.BatchUpdateInput
		for _, k := range read {
			o, ok := res.Outcome(k)
			if !ok || o.Err != nil || o.Contact == nil {
				continue // gone: the next write of its card finds out
			}
			l := links[k]
			if l.ContactID != o.Contact.ID {
				continue // the email now belongs to another contact
			}
			var send hubspot.PropertyValues
			for _, pr := range slices.Sorted(maps.Keys(want[k])) {
				raw, _ := o.Contact.Properties.Get(pr)
				if e.mapping.ContactValue(pr, raw) == l.Values[pr] {
					continue
				}
				if send == nil {
					send = hubspot.PropertyValues{}
				}
				send[pr] = l.Values[pr]
			}
			if send != nil {
				fix = append(fix, hubspot.BatchUpdateInput{ID: l.ContactID, Properties: send})
			}
		}
		if len(fix) == 0 {
			continue
		}
		res, _, err = e.cfg.HubSpot.Contacts.BatchUpdate(ctx, fix)
		if err != nil {
			return 0, wrapf(err, "syncer: repair contacts")
		}
		for _, o := range res.Outcomes {
			if o != nil && o.Err == nil {
				repaired++
			}
		}
	}
	return repaired, nil
}

// fencedStore is a pass's store under a Fence: every write first checks
// that the lease's validity has not ended (a store that understands fences,
// like pgstore's, also refuses writes of an old epoch on its side).
type fencedStore struct{ Store }

func (s fencedStore) PutLinks(ctx context.Context, links []*Link) error {
	if err := CheckFence(ctx); err != nil {
		return err
	}
	return s.Store.PutLinks(ctx, links)
}

func (s fencedStore) PutCheckpoint(ctx context.Context, stream string, cp Checkpoint) error {
	if err := CheckFence(ctx); err != nil {
		return err
	}
	return s.Store.PutCheckpoint(ctx, stream, cp)
}

// fencedMeta is fencedStore for the pass's MetaStore.
type fencedMeta struct{ MetaStore }

func (m fencedMeta) PutMeta(ctx context.Context, key string, value []byte) error {
	if err := CheckFence(ctx); err != nil {
		return err
	}
	return m.MetaStore.PutMeta(ctx, key, value)
}
