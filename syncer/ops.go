package syncer

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/cardbridge/sansanhubspot/sansan"
)

// Keys of the engine's records in a MetaStore.
const (
	metaBinding      = "binding"
	metaLastPass     = "pass/last"
	metaMappingPre   = "mapping/"
	metaBackfillPre  = "backfill/"
	backfillStreamOf = "backfill/" // + account + "/" + unix nanos + "/bizcards"
)

// ErrStoreMismatch matches a *StoreMismatchError with errors.Is.
var ErrStoreMismatch = errors.New("syncer: store belongs to another hubspot portal or sansan account")

// StoreMismatchError reports that the store was first used with another
// HubSpot portal, or one of its accounts with another Sansan user, than the
// engine's clients authenticate as. Syncing on would silently do nothing
// (every card looks synced already) or write to contacts of the wrong
// portal, so the pass stops before it reads or writes anything.
//
// To sync another portal, start over with a new, empty store (a new
// filestore directory, another pgstore connection name). To keep the store
// and move it to another portal on purpose, delete its "binding" record
// with MetaStore.PutMeta(ctx, "binding", nil): every link then points at
// contact ids of the old portal, so do that only for a portal restored
// from the old one.
type StoreMismatchError struct {
	// What names the identity that differs: "hubspot portal" or
	// `sansan account "tokyo"`.
	What string
	// Stored is the identity the store was bound to; Got is the one the
	// engine's client has now.
	Stored, Got string
}

func (e *StoreMismatchError) Error() string {
	return fmt.Sprintf("syncer: store is bound to %s %s, but the client authenticates as %s; use a new store to sync another one",
		e.What, e.Stored, e.Got)
}

// Is makes errors.Is(err, ErrStoreMismatch) and errors.Is(err, ErrConfig)
// true: Run stops on it instead of retrying.
func (e *StoreMismatchError) Is(target error) bool {
	return target == ErrStoreMismatch || target == ErrConfig
}

// storeBinding is the identity a store was first used with.
type storeBinding struct {
	PortalID int64 `json:"portalId"`
	// Accounts maps account names to the Sansan user id of their key.
	Accounts map[string]string `json:"accounts"`
}

// passMeta returns the MetaStore of a pass: the engine's, or for a dry run
// an overlay that keeps writes in memory. ok is false when the store has
// none.
func (e *Engine) passMeta(dry bool) (MetaStore, bool) {
	m, ok := e.store.(MetaStore)
	if !ok {
		return nil, false
	}
	if dry {
		return &overlayMeta{base: m, over: map[string][]byte{}}, true
	}
	return m, true
}

// checkBinding binds the store to the HubSpot portal and the Sansan users
// of the engine's clients on first use, and refuses a store bound to
// others. It costs one HubSpot and one Sansan call per account, once per
// engine.
func (p *pass) checkBinding(ctx context.Context) error {
	e := p.e
	e.mu.Lock()
	done := e.bound
	e.mu.Unlock()
	if done || p.meta == nil {
		return nil
	}
	var stored storeBinding
	found := true
	raw, err := p.meta.Meta(ctx, metaBinding)
	switch {
	case errors.Is(err, ErrNotFound):
		found = false
	case err != nil:
		return wrapf(err, "syncer: read store binding")
	default:
		if err := json.Unmarshal(raw, &stored); err != nil {
			return wrapf(err, "syncer: read store binding")
		}
	}
	details, _, err := e.cfg.HubSpot.Account.Details(ctx)
	if err != nil {
		return wrapf(err, "syncer: read hubspot account details")
	}
	now := storeBinding{PortalID: details.PortalID, Accounts: map[string]string{}}
	for _, a := range e.cfg.Accounts {
		me, _, err := a.Client.Users.Me(ctx)
		if errors.Is(err, sansan.ErrNotFound) {
			// A gateway or an API version without GET /me: the account
			// stays unbound rather than unusable.
			e.log.WarnContext(ctx, "sansan key has no GET /me; the store cannot check this account's identity", "account", a.Name)
			continue
		}
		if err != nil {
			return wrapf(err, "syncer: read the sansan user of account %q", a.Name)
		}
		now.Accounts[a.Name] = me.ID
	}
	if found {
		if stored.PortalID != 0 && stored.PortalID != now.PortalID {
			return &StoreMismatchError{What: "hubspot portal",
				Stored: strconv.FormatInt(stored.PortalID, 10), Got: "portal " + strconv.FormatInt(now.PortalID, 10)}
		}
		for _, name := range slices.Sorted(maps.Keys(now.Accounts)) {
			if was, ok := stored.Accounts[name]; ok && was != now.Accounts[name] {
				return &StoreMismatchError{What: fmt.Sprintf("sansan account %q", name),
					Stored: "user " + strconv.Quote(was), Got: "user " + strconv.Quote(now.Accounts[name])}
			}
		}
		// Accounts added since keep the ones the store knew.
		for name, id := range stored.Accounts {
			if _, ok := now.Accounts[name]; !ok {
				now.Accounts[name] = id
			}
		}
	}
	if !found || !maps.Equal(stored.Accounts, now.Accounts) {
		b, err := json.Marshal(now)
		if err != nil {
			return wrapf(err, "syncer: save store binding")
		}
		if err := p.meta.PutMeta(ctx, metaBinding, b); err != nil {
			return wrapf(err, "syncer: save store binding")
		}
	}
	if !p.rep.DryRun {
		e.mu.Lock()
		e.bound = true
		e.mu.Unlock()
	}
	return nil
}

// Links returns the stored links that q selects, ordered by PersonID: the
// records an operator looks at when something fails. The store must
// implement LinkLister (the built-in stores do); otherwise the error wraps
// errors.ErrUnsupported.
func (e *Engine) Links(ctx context.Context, q LinkQuery) ([]*Link, error) {
	l, err := e.lister()
	if err != nil {
		return nil, err
	}
	return l.ListLinks(ctx, q)
}

// LinkCounts counts the stored links by account, state and reason (see
// LinkLister.CountLinks).
func (e *Engine) LinkCounts(ctx context.Context) ([]LinkCount, error) {
	l, err := e.lister()
	if err != nil {
		return nil, err
	}
	return l.CountLinks(ctx)
}

func (e *Engine) lister() (LinkLister, error) {
	l, ok := e.store.(LinkLister)
	if !ok {
		return nil, fmt.Errorf("syncer: store %T cannot list links: %w", e.store, errors.ErrUnsupported)
	}
	return l, nil
}

// RetrySelector chooses the failing records RetryNow makes due. Its fields
// narrow the choice together; the zero RetrySelector chooses every failing
// record.
type RetrySelector struct {
	// PersonIDs chooses these persons' records.
	PersonIDs []string
	// Account chooses records of this account.
	Account string
	// Category chooses records failing for this reason.
	Category FailureCategory
}

// RetryNow makes the failing records sel chooses due for a retry now,
// instead of after their backoff, and wakes Run for a pass. It returns how
// many records it changed (those already due are left as they are); the
// next pass retries them (SyncOnce does it at once). It waits for a pass
// running in this engine to finish; a pass of another process sharing the
// store may keep its own view of a record it writes meanwhile, in which
// case that record keeps its later retry time.
func (e *Engine) RetryNow(ctx context.Context, sel RetrySelector) (int, error) {
	select {
	case e.passMu <- struct{}{}:
	case <-ctx.Done():
		return 0, ctx.Err()
	}
	defer func() { <-e.passMu }()

	now := e.now()
	keep := func(l *Link) bool {
		return l.State == StateFailing && l.NextRetry.After(now) &&
			(sel.Account == "" || l.Account == sel.Account) &&
			(sel.Category == "" || l.Reason == string(sel.Category))
	}
	var due []*Link
	if len(sel.PersonIDs) > 0 {
		for ids := range slices.Chunk(slices.Clone(sel.PersonIDs), MaxLinkQueryLimit) {
			ls, err := e.store.LinksByPerson(ctx, ids)
			if err != nil {
				return 0, wrapf(err, "syncer: retry now")
			}
			for _, id := range ids {
				if l := ls[id]; l != nil && keep(l) {
					due = append(due, l)
				}
			}
		}
	} else {
		lister, err := e.lister()
		if err != nil {
			return 0, err
		}
		q := LinkQuery{States: []LinkState{StateFailing}, Account: sel.Account, Reason: string(sel.Category), Limit: MaxLinkQueryLimit}
		for {
			ls, err := lister.ListLinks(ctx, q)
			if err != nil {
				return 0, wrapf(err, "syncer: retry now")
			}
			for _, l := range ls {
				if keep(l) {
					due = append(due, l)
				}
			}
			if len(ls) < q.Limit {
				break
			}
			q.After = ls[len(ls)-1].PersonID
		}
	}
	for _, l := range due {
		l.NextRetry = now
	}
	for batch := range slices.Chunk(due, 500) {
		if err := e.store.PutLinks(ctx, batch); err != nil {
			return 0, wrapf(err, "syncer: retry now")
		}
	}
	if len(due) > 0 {
		select {
		case e.kick <- struct{}{}:
		default:
		}
	}
	return len(due), nil
}

// LastReport returns the report of the engine's last pass that finished,
// successfully or not, as saved in the store (dry runs are not saved); the
// Err of a failed pass's report holds its error's text. Its error wraps
// ErrNotFound before the first pass, and errors.ErrUnsupported for a store
// without MetaStore.
func (e *Engine) LastReport(ctx context.Context) (*Report, error) {
	m, ok := e.store.(MetaStore)
	if !ok {
		return nil, fmt.Errorf("syncer: store %T keeps no pass reports: %w", e.store, errors.ErrUnsupported)
	}
	raw, err := m.Meta(ctx, metaLastPass)
	if err != nil {
		return nil, wrapf(err, "syncer: last report")
	}
	var saved savedReport
	if err := json.Unmarshal(raw, &saved); err != nil || saved.Report == nil {
		return nil, fmt.Errorf("syncer: last report: unreadable record: %w", err)
	}
	if saved.Error != "" {
		saved.Report.Err = errors.New(saved.Error)
	}
	return saved.Report, nil
}

// savedReport is a Report as kept in the store, with the text of its
// error (an error has no JSON form).
type savedReport struct {
	Report *Report `json:"report"`
	Error  string  `json:"error,omitempty"`
}

// saveReport keeps rep as the last pass's report.
func (e *Engine) saveReport(ctx context.Context, rep *Report) {
	m, ok := e.store.(MetaStore)
	if !ok || rep == nil || rep.DryRun {
		return
	}
	saved := savedReport{Report: rep}
	if rep.Err != nil {
		saved.Error = rep.Err.Error()
	}
	b, err := json.Marshal(saved)
	if err == nil {
		// A pass stopped by its context still leaves its report; the
		// context's values (a Fence) still apply to the write.
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		err = m.PutMeta(sctx, metaLastPass, b)
	}
	if err != nil {
		e.log.WarnContext(ctx, "could not save the pass report", "error", err)
	}
}

// BackfillReason says why a backfill runs.
type BackfillReason string

// Backfill reasons.
const (
	// BackfillMappingChanged: the mapping's fingerprint of some properties
	// differs from the one stored at the last pass (see
	// mapping.Set.Fingerprints): every card of the account is read again
	// and what the new mapping computes differently is written.
	BackfillMappingChanged BackfillReason = "mapping_changed"
	// BackfillResync: Engine.Resync asked to rewrite the properties into
	// every contact, whatever the links say the contacts hold.
	BackfillResync BackfillReason = "resync"
)

// BackfillReport is what a pass did of one account's backfill. Its records
// are also counted in the account's AccountReport.
type BackfillReport struct {
	Account    string
	Reason     BackfillReason
	Properties []string
	// Read counts the cards read; the outcome counts are those of their
	// records.
	Read                                          int
	Created, Updated, Unchanged, Excluded, Failed int
	// Done is true when the backfill finished; false when the pass
	// stopped first, in which case the next pass resumes it.
	Done bool
}

// backfill is a backfill's record in the store: one per account at a time.
type backfill struct {
	Account    string         `json:"account"`
	Reason     BackfillReason `json:"reason"`
	Properties []string       `json:"properties"`
	// Force writes Properties even where the link says the contact holds
	// them (Resync).
	Force bool `json:"force,omitempty"`
	// Stream is the checkpoint stream of its listing; Until the end of
	// its window, fixed when it starts so it can resume.
	Stream string    `json:"stream"`
	Until  time.Time `json:"until"`
}

// ResyncOptions chooses what Engine.Resync rewrites.
type ResyncOptions struct {
	// Accounts are the names of the accounts to resync; empty means all.
	Accounts []string
	// Properties are the HubSpot properties to rewrite; empty means every
	// enabled mapping that writes to HubSpot.
	Properties []string
}

// Resync rewrites properties of every contact from its winning card: it
// reads every card of the chosen accounts again and writes the chosen
// properties even where the store says the contact already holds them,
// under the same rules, rate limits and checkpoints as a pass. Use it
// after values were changed in HubSpot by hand or by another tool, or to
// repair a portal; a mapping change needs no Resync, since the next pass
// backfills what it affects.
//
// A Resync interrupted by an error or a cancelled ctx is resumed by the
// next pass (or Resync) where it stopped. With Config.DryRun it writes
// nothing and reports what it would write. Resync is only for the Sansan →
// HubSpot direction (HubSpot → Sansan has no card update to rewrite with).
func (e *Engine) Resync(ctx context.Context, opts ResyncOptions) (*Report, error) {
	if e.cfg.Direction == HubSpotToSansan {
		return nil, &ConfigError{Problems: []string{"Resync needs a direction that writes to HubSpot"}}
	}
	var problems []string
	accts := opts.Accounts
	if len(accts) == 0 {
		for _, a := range e.cfg.Accounts {
			accts = append(accts, a.Name)
		}
	}
	for _, name := range accts {
		if e.account(name) == nil {
			problems = append(problems, fmt.Sprintf("Resync: no account %q", name))
		}
	}
	fps := e.mapping.Fingerprints()
	props := opts.Properties
	if len(props) == 0 {
		props = slices.Sorted(maps.Keys(fps))
	}
	for _, pr := range props {
		if _, ok := fps[pr]; !ok {
			problems = append(problems, fmt.Sprintf("Resync: property %q has no enabled mapping that writes to HubSpot", pr))
		}
	}
	if len(problems) > 0 {
		return nil, &ConfigError{Problems: problems}
	}
	return e.runPass(ctx, func(p *pass, ctx context.Context) error {
		if err := p.prepareRun(ctx); err != nil {
			return err
		}
		for _, name := range accts {
			acct := e.account(name)
			if err := p.scheduleBackfill(ctx, acct, props, true, BackfillResync); err != nil {
				return err
			}
			if err := p.runBackfill(ctx, acct); err != nil {
				return err
			}
		}
		return p.promote(ctx)
	})
}

// checkMapping compares the mapping's fingerprints with those stored at
// the account's last pass and schedules a backfill of the properties that
// changed or are new.
func (p *pass) checkMapping(ctx context.Context, acct *Account) error {
	if p.meta == nil {
		return nil
	}
	key := metaMappingPre + acct.Name
	now := p.e.mapping.Fingerprints()
	raw, err := p.meta.Meta(ctx, key)
	var stored map[string]string
	switch {
	case errors.Is(err, ErrNotFound):
		// A new store or account: the listing that follows uses the
		// current mapping (or, for a store older than fingerprints,
		// nothing tells what changed before).
	case err != nil:
		return wrapf(err, "syncer: read mapping fingerprints")
	default:
		if err := json.Unmarshal(raw, &stored); err != nil {
			return wrapf(err, "syncer: read mapping fingerprints")
		}
		var changed []string
		for k, v := range now {
			if stored[k] != v {
				changed = append(changed, k)
			}
		}
		if len(changed) > 0 {
			slices.Sort(changed)
			p.e.log.InfoContext(ctx, "mapping changed; backfilling", "account", acct.Name, "properties", changed)
			if err := p.scheduleBackfill(ctx, acct, changed, false, BackfillMappingChanged); err != nil {
				return err
			}
		}
	}
	if maps.Equal(stored, now) {
		return nil
	}
	b, err := json.Marshal(now)
	if err != nil {
		return wrapf(err, "syncer: save mapping fingerprints")
	}
	return wrapIf(p.meta.PutMeta(ctx, key, b), "syncer: save mapping fingerprints")
}

// wrapIf wraps a non-nil err with msg.
func wrapIf(err error, msg string) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("%s: %w", msg, err)
}

// scheduleBackfill records a backfill of props for acct, merged into the
// one already pending: then the listing starts over, so that every card
// gets every property.
func (p *pass) scheduleBackfill(ctx context.Context, acct *Account, props []string, force bool, reason BackfillReason) error {
	if p.meta == nil {
		return fmt.Errorf("syncer: store %T cannot keep a backfill: %w", p.store, errors.ErrUnsupported)
	}
	bf := &backfill{Account: acct.Name, Reason: reason, Properties: slices.Clone(props), Force: force}
	if old, err := p.loadBackfill(ctx, acct); err != nil {
		return err
	} else if old != nil {
		if old.Force == force && !slices.ContainsFunc(props, func(s string) bool { return !slices.Contains(old.Properties, s) }) {
			return nil // already pending, with these properties
		}
		bf.Force = force || old.Force
		if old.Reason == BackfillResync {
			bf.Reason = BackfillResync
		}
		bf.Properties = append(bf.Properties, old.Properties...)
	}
	slices.Sort(bf.Properties)
	bf.Properties = slices.Compact(bf.Properties)
	bf.Until = p.start.Truncate(time.Second).Add(time.Second)
	bf.Stream = backfillStreamOf + acct.Name + "/" + strconv.FormatInt(p.start.UnixNano(), 10) + "/bizcards"
	b, err := json.Marshal(bf)
	if err != nil {
		return wrapf(err, "syncer: save backfill")
	}
	return wrapIf(p.meta.PutMeta(ctx, metaBackfillPre+acct.Name, b), "syncer: save backfill")
}

func (p *pass) loadBackfill(ctx context.Context, acct *Account) (*backfill, error) {
	if p.meta == nil {
		return nil, nil
	}
	raw, err := p.meta.Meta(ctx, metaBackfillPre+acct.Name)
	if errors.Is(err, ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, wrapf(err, "syncer: read backfill")
	}
	bf := new(backfill)
	if err := json.Unmarshal(raw, bf); err != nil {
		return nil, wrapf(err, "syncer: read backfill")
	}
	return bf, nil
}

// runBackfill lists every card of acct's pending backfill, if any, and
// writes what differs (or, forced, the backfill's properties), then
// removes the backfill.
func (p *pass) runBackfill(ctx context.Context, acct *Account) error {
	bf, err := p.loadBackfill(ctx, acct)
	if err != nil || bf == nil {
		return err
	}
	br := &BackfillReport{Account: acct.Name, Reason: bf.Reason, Properties: bf.Properties}
	p.rep.Backfills = append(p.rep.Backfills, br)
	ar := p.rep.account(acct.Name, SansanToHubSpot)
	before := *ar
	p.plan.remap = true
	defer func() { p.plan.remap = false }()
	if bf.Force {
		p.plan.force = map[string]bool{}
		for _, k := range bf.Properties {
			p.plan.force[k] = true
		}
		defer func() { p.plan.force = nil }()
	}
	err = p.syncAccount(ctx, acct, bf)
	br.Read = ar.Read - before.Read
	br.Created, br.Updated = ar.Created-before.Created, ar.Updated-before.Updated
	br.Unchanged, br.Excluded, br.Failed = ar.Unchanged-before.Unchanged, ar.Excluded-before.Excluded, ar.Failed-before.Failed
	if err != nil {
		return err
	}
	if err := p.meta.PutMeta(ctx, metaBackfillPre+acct.Name, nil); err != nil {
		return wrapf(err, "syncer: finish backfill")
	}
	br.Done = true
	return nil
}

// overlayMeta is a dry run's MetaStore: reads through to the store, keeps
// writes in memory.
type overlayMeta struct {
	base MetaStore
	mu   sync.Mutex
	over map[string][]byte // nil value: deleted
}

func (o *overlayMeta) Meta(ctx context.Context, key string) ([]byte, error) {
	o.mu.Lock()
	v, ok := o.over[key]
	o.mu.Unlock()
	if !ok {
		return o.base.Meta(ctx, key)
	}
	if v == nil {
		return nil, fmt.Errorf("meta %q: %w", key, ErrNotFound)
	}
	return slices.Clone(v), nil
}

func (o *overlayMeta) PutMeta(ctx context.Context, key string, value []byte) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	o.over[key] = slices.Clone(value)
	return nil
}

func (o *overlayMeta) MetaByPrefix(ctx context.Context, prefix string) (map[string][]byte, error) {
	out, err := o.base.MetaByPrefix(ctx, prefix)
	if err != nil {
		return nil, err
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	for k, v := range o.over {
		if !strings.HasPrefix(k, prefix) {
			continue
		}
		if v == nil {
			delete(out, k)
		} else {
			out[k] = slices.Clone(v)
		}
	}
	return out, nil
}
