package syncer

import (
	"maps"
	"slices"
	"time"

	"github.com/cardbridge/sansanhubspot/hubspot"
	"github.com/cardbridge/sansanhubspot/mapping"
	"github.com/cardbridge/sansanhubspot/sansan"
)

// The planner decides; the executor acts. Given a page of cards, the links
// the store holds for them and what this pass has queued but not yet
// written, the planner returns decisions — exclusions with their reason,
// duplicate losers, contact takeovers, and writes with their exact
// properties — without touching the network, the store or the clock. The
// executor (executor.go) carries them out. Every rule of the Sansan →
// HubSpot direction lives here and is table-tested in plan_test.go.

const batchSize = 100

// record is one Sansan person on its way to HubSpot: what the planner
// decided for it, and what the executor makes of the outcome.
type record struct {
	card  *sansan.BizCard
	res   mapping.Result
	email string // normalized email, "" when the card has none usable
	rank  Rank
	// old is the person's link as stored (nil when new).
	old *Link
	// base is what the sync last wrote to the contact this record writes
	// (the value rule's base) and hasBase whether there is one: false for
	// a new or adopted contact.
	base    map[string]string
	hasBase bool
	// takeover is the link whose contact this record takes over (the
	// email's previous holder), nil otherwise.
	takeover *Link
	// intent is the write intent of an upsert by this email whose answer
	// a stopped pass never saw (its link's Values are what that upsert
	// sent): the contact may exist with them, so they are this upsert's
	// base. Nil otherwise.
	intent *Link
	// link is the link as it will be saved.
	link *Link
	// values are ours: the card's mapped values.
	values hubspot.PropertyValues
	op     writeOp
	// send is what the write sends; clears are properties to clear if
	// HubSpot still holds the base's value (settled by the executor).
	send   hubspot.PropertyValues
	clears []string
	// demote holds the links that lose their contact to this record: saved
	// with its outcome, so a crash before the write leaves them holding it.
	demote []*Link
	page   int // the listing page the record came from
}

// writeOp is the HubSpot write a record needs.
type writeOp int

const (
	opNone   writeOp = iota // nothing to write
	opUpdate                // batch/update by contact id
	opUpsert                // batch/upsert by email
	opCreate                // batch/create (no email; after a search by person id)
)

// pendingView is what the planner may know of records queued in the
// executor and not yet written: a later page's record of the same person
// supersedes the queued one, and one of the same email competes with it.
type pendingView interface {
	pendingPerson(personID string) *record
	pendingEmail(email string) *record
}

// planner holds the rules of the Sansan → HubSpot direction. It is pure:
// its inputs are cards, links and the pass's start time.
type planner struct {
	mapping             *mapping.Set
	rule                valueRule
	cardFilter          func(*sansan.BizCard) bool
	emailPolicy         EmailPolicy
	stopSyncingFiltered bool
	now                 time.Time // the pass's start, stamped on links
	// force are properties a Resync writes even where the link says the
	// contact holds them.
	force map[string]bool
	// remap maps every card, even one whose link was written from the
	// same card version (a backfill after a mapping change).
	remap bool
	// settleAfter is how long after a card's update time a link must have
	// been written for settled to trust it (Config.Overlap).
	settleAfter time.Duration
}

func newPlanner(cfg *Config, m *mapping.Set, now time.Time) *planner {
	return &planner{
		mapping: m,
		rule: valueRule{
			blanks: func(p string) mapping.BlankPolicy {
				if mm, ok := m.Get(p); ok && !mm.Disabled {
					return mm.BlankPolicy()
				}
				// A property the mapping no longer writes is left as it
				// is: its absence is no blank on the card.
				return mapping.BlanksNeverClear
			},
		},
		cardFilter:          cfg.CardFilter,
		emailPolicy:         cfg.EmailPolicy,
		stopSyncingFiltered: cfg.StopSyncingFiltered,
		now:                 now,
		settleAfter:         max(cfg.Overlap, time.Second),
	}
}

// tallied is one record outcome the plan asks the report to count.
type tallied struct {
	out    outcome
	detail string
}

// pagePlan is the planner's decision for one page.
type pagePlan struct {
	// save are links to store now: exclusions, duplicate losers and
	// records whose contact already holds the card's values.
	save []*Link
	// writes are records to queue for HubSpot, in page order.
	writes []*record
	// drop are queued records that this page supersedes (a newer read of
	// the person) or that compete again for their email here.
	drop []*record
	// vacated are emails whose contact holder moved away or was excluded:
	// the persons that lost them as duplicates are promoted at pass end.
	vacated []string
	// tally are outcomes to count (excluded, unchanged); writes are
	// counted when their outcome is known.
	tally []tallied
}

func (pp *pagePlan) count(o outcome, detail string) {
	pp.tally = append(pp.tally, tallied{o, detail})
}

// pageInput is what the planner needs of a page beyond its prepared
// records.
type pageInput struct {
	// byEmail are the stored links of every email the page's records have
	// (see prepared.emails).
	byEmail map[string][]*Link
	pending pendingView
}

// prepared is a page after the per-record rules, before dedup: the planner
// needs the stored links of the records' emails to go on.
type prepared struct {
	plan   *pagePlan
	recs   []*record
	emails []string // the records' emails, in page order, for LinksByEmail
	// excluded are the links of persons this page excludes, by person: a
	// holder among them is demoted from its new state, not its stored one.
	excluded map[string]*Link
}

// prepare applies the rules that concern one record alone: one card per
// person, cards still being digitized, older reads, filters and the email
// policy. It maps each card once.
func (pl *planner) prepare(acct *Account, cards []*sansan.BizCard, page int, byPerson map[string]*Link, pending pendingView) *prepared {
	pp := &pagePlan{}
	out := &prepared{plan: pp, excluded: map[string]*Link{}}
	// One card per person: a page may repeat a person or a card.
	best := map[string]*sansan.BizCard{}
	var order []string
	for _, c := range cards {
		if c == nil || c.PersonID == "" {
			continue
		}
		if prev, ok := best[c.PersonID]; ok {
			if rankOf(prev).Less(rankOf(c)) {
				best[c.PersonID] = c
			}
			continue
		}
		best[c.PersonID] = c
		order = append(order, c.PersonID)
	}
	seen := map[string]bool{}
	for _, pid := range order {
		c := best[pid]
		old := byPerson[pid]
		if q := pending.pendingPerson(pid); q != nil {
			// A record of this person still queued from an earlier page is
			// superseded by this newer read.
			pp.drop = append(pp.drop, q)
		}
		if c.EntryStatus != "" && c.EntryStatus != sansan.EntryStatusCompleted {
			// Still being digitized (or unreadable): never synced, link untouched.
			pp.count(outExcluded, string(ReasonDigitizing))
			continue
		}
		r := &record{card: c, old: old, rank: rankOf(c), page: page}
		// An older read of the card already synced (a listing that repeats
		// a card across pages) would undo newer values; an older card of a
		// person linked through a newer one (an account that cannot see
		// the newest card lists the newest it can see) too: the link
		// follows the newest card only.
		stale := old != nil && old.CardID == c.ID && r.rank.UpdatedTime.Before(old.Rank.UpdatedTime)
		if old != nil && (stale || old.CardID != c.ID && r.rank.Less(old.Rank)) {
			pp.count(outUnchanged, "")
			continue
		}
		if pl.settled(acct, old, r, pending) {
			pp.count(outUnchanged, "")
			continue
		}
		r.res = pl.mapping.CardToProperties(c)
		r.values = r.res.Properties
		r.email = r.res.Email.Normalized
		if reason := pl.exclusion(acct, r); reason != "" {
			pl.vacate(pp, old, "")
			pp.count(outExcluded, string(reason))
			l := pl.excludedLink(acct, r, reason)
			out.excluded[pid] = l
			pp.save = append(pp.save, l)
			continue
		}
		if r.res.Email.Status != mapping.EmailValid {
			r.email = ""
		}
		pl.vacate(pp, old, r.email)
		out.recs = append(out.recs, r)
		if r.email != "" && !seen[r.email] {
			seen[r.email] = true
			out.emails = append(out.emails, r.email)
		}
	}
	out.emails = settledHolders(out.recs, out.emails, pending)
	return out
}

// settled reports whether r is the very card version its in-sync link was
// written from (same card, same update time, same account), with no rival
// of its email queued: its contact already holds what the mapping makes of
// it, so it is unchanged without being mapped again. Mapping is most of an
// unchanged card's cost, and the mapping's fingerprints (see
// pass.checkMapping) make a mapping change re-read and re-map every
// card in a backfill, where remap turns this shortcut off, as Resync's
// forced properties do. A change of filters or email policy reaches such
// a card when it changes, or through Resync.
func (pl *planner) settled(acct *Account, old *Link, r *record, pending pendingView) bool {
	if old == nil || pl.remap || len(pl.force) > 0 {
		return false
	}
	// A link made by registering a contact as a card holds the contact's
	// values, not the card's mapping: the card still has to be mapped.
	if old.State != StateInSync || old.Origin == OriginHubSpot || old.ContactID == "" || old.ValuesHash == 0 ||
		old.Account != acct.Name || old.CardID != r.card.ID || old.Rank != r.rank {
		return false
	}
	// Sansan's update times have whole seconds, so a card edited again in
	// the second its link was written from would keep its rank. A link
	// written well after the card's update time (by the overlap, the
	// engine's bound on clock skew and listing lag) cannot have missed an
	// edit of that second.
	if old.UpdatedAt.Sub(old.Rank.UpdatedTime) < pl.settleAfter {
		return false
	}
	return old.Email == "" || pending.pendingEmail(old.Email) == nil
}

// settledHolders drops from emails those whose only record here is the
// person already holding the email's contact, in sync, with no lower rank
// and no rival queued. The planner keeps an in-sync holder ranked above
// every stored rival of its email (a stronger one demotes it, and a
// loser's rank changes only when its card does, which makes it compete
// again), so dedup has nothing to decide and the store need not be asked.
func settledHolders(recs []*record, emails []string, pending pendingView) []string {
	n := make(map[string]int, len(emails))
	for _, r := range recs {
		if r.email != "" {
			n[r.email]++
		}
	}
	settled := map[string]bool{}
	for _, r := range recs {
		o := r.old
		if n[r.email] == 1 && o != nil && o.State == StateInSync && o.ContactID != "" && o.Email == r.email &&
			!r.rank.Less(o.Rank) && pending.pendingEmail(r.email) == nil {
			settled[r.email] = true
		}
	}
	if len(settled) == 0 {
		return emails
	}
	return slices.DeleteFunc(emails, func(e string) bool { return settled[e] })
}

// exclusion returns why a record is not synced, or "".
func (pl *planner) exclusion(acct *Account, r *record) ExclusionReason {
	if !pl.matchesFilters(acct, r.card) {
		if r.old == nil || r.old.ContactID == "" || pl.stopSyncingFiltered {
			return ReasonFiltered
		}
	}
	switch r.res.Email.Status {
	case mapping.EmailMissing:
		if pl.emailPolicy != AllowMissingEmail {
			return ReasonNoEmail
		}
	case mapping.EmailInvalid:
		return ReasonInvalidEmail
	}
	return ""
}

func (pl *planner) matchesFilters(acct *Account, c *sansan.BizCard) bool {
	if len(acct.TagIDs) > 0 && !slices.ContainsFunc(c.Tags, func(t sansan.Tag) bool { return slices.Contains(acct.TagIDs, t.ID) }) {
		return false
	}
	return pl.cardFilter == nil || pl.cardFilter(c)
}

// vacate notes that the person of old, which held a contact for its email,
// now has email (or is excluded, email ""), so the persons that lost that
// email as duplicates can be promoted at the end of the pass.
func (pl *planner) vacate(pp *pagePlan, old *Link, email string) {
	if old != nil && old.ContactID != "" && old.Email != "" && old.Email != email && old.State != StateExcluded {
		pp.vacated = append(pp.vacated, old.Email)
	}
}

// decide finishes a page's plan: dedup by email against the page, the
// queued records and the stored links, then each winner's write under the
// value rule.
func (pl *planner) decide(acct *Account, prep *prepared, in pageInput) *pagePlan {
	pp := prep.plan
	recs := prep.recs
	onPage := map[string]bool{}
	for _, r := range recs {
		onPage[r.card.PersonID] = true
	}
	groups := map[string][]*record{}
	for _, r := range recs {
		if r.email != "" {
			groups[r.email] = append(groups[r.email], r)
		}
	}
	// A record of another person still queued for an email of this page
	// competes again here: it leaves the queue and is planned anew with
	// the page, so a takeover or a loss is decided with everything known.
	for _, email := range prep.emails {
		if q := in.pending.pendingEmail(email); q != nil && !onPage[q.card.PersonID] {
			onPage[q.card.PersonID] = true
			pp.drop = append(pp.drop, q)
			r := *q
			r.link, r.send, r.clears, r.demote, r.op = nil, nil, nil, nil, opNone
			r.takeover, r.intent, r.base, r.hasBase = nil, nil, nil, false
			groups[email] = append(groups[email], &r)
			recs = append(recs, &r)
		}
	}
	losers := map[*record]bool{}
	for _, email := range prep.emails {
		pl.dedup(acct, pp, email, groups[email], in, onPage, losers, prep.excluded)
	}
	for _, r := range recs {
		if losers[r] {
			continue
		}
		pl.planWrite(acct, pp, r)
	}
	return pp
}

// dedup picks the winner of one email among the records competing for it
// and the stored links of persons not competing here. The greatest rank
// wins. The winner takes over the contact the email's holder has, with the
// holder's values as base, so the contact ends up equal to the winning
// card in whatever order the cards arrived.
func (pl *planner) dedup(acct *Account, pp *pagePlan, email string, rs []*record, in pageInput, onPage map[string]bool, losers map[*record]bool, excluded map[string]*Link) {
	var win *record
	for _, r := range rs {
		if win == nil || win.rank.Less(r.rank) {
			win = r
		}
	}
	// The holder is the link of this email that holds its contact; links
	// of persons competing here count by their stored state, since they
	// have not been written yet.
	var holder *Link
	var storedWin *Link
	for _, l := range in.byEmail[email] {
		if l.ContactID != "" && l.Email == email && holdsFor(l, email, rs, in.pending, onPage) {
			if holder == nil || holderRank(holder) < holderRank(l) {
				holder = l
			}
		}
		if onPage[l.PersonID] || in.pending.pendingPerson(l.PersonID) != nil || !contender(l) {
			continue
		}
		if win.rank.Less(l.Rank) && (storedWin == nil || storedWin.Rank.Less(l.Rank)) {
			storedWin = l
		}
	}
	if storedWin != nil {
		// A stored person outranks every record here: they all lose. A
		// loser that holds the contact keeps it (and its base) until the
		// stored winner takes it over, which promotion does at pass end
		// when that winner holds no contact yet.
		for _, r := range rs {
			losers[r] = true
			keep := holder != nil && r.old != nil && r.old.PersonID == holder.PersonID
			pp.count(outExcluded, string(ReasonDuplicateEmail))
			pp.save = append(pp.save, pl.loserLink(acct, r, win, keep))
		}
		if storedWin.ContactID == "" || storedWin.State == StateExcluded {
			pp.vacated = append(pp.vacated, email)
		}
		return
	}
	for _, r := range rs {
		if r == win {
			continue
		}
		losers[r] = true
		pp.count(outExcluded, string(ReasonDuplicateEmail))
		l := pl.loserLink(acct, r, win, false)
		if holder != nil && r.old != nil && r.old.PersonID == holder.PersonID {
			// The holder's demotion is saved with the winner's write.
			continue
		}
		pp.save = append(pp.save, l)
	}
	own := win.old != nil && win.old.ContactID != ""
	if holder == nil && !own {
		// No contact is known for the email, but an upsert by it may have
		// been applied by HubSpot before a pass stopped: its intent is the
		// base, and its person (if another) loses the email with the
		// winner's outcome.
		if p := intentFor(in.byEmail[email], email, rs, in.pending, onPage); p != nil {
			win.intent = p
			if p.PersonID != win.card.PersonID {
				win.demote = append(win.demote, pl.demotion(p, win, excluded))
			}
		}
	}
	switch {
	case holder == nil || holder.PersonID == win.card.PersonID:
	case own && win.old.ContactID != holder.ContactID:
		// A winner with a contact of its own keeps it (HubSpot reports the
		// email clash as a conflict); the holder is left alone.
	default:
		// Takeover: the winner writes the holder's contact against the
		// values the sync wrote there.
		win.takeover = holder
		win.demote = append(win.demote, pl.demotion(holder, win, excluded))
	}
}

// demotion is the link of the person of l after it loses the email's
// contact (or write intent) to win, saved with win's outcome: excluded as
// a duplicate, unless this very page excluded it for another reason (then
// it keeps that reason, and an email it only kept for its contact goes),
// with no contact and no values.
func (pl *planner) demotion(l *Link, win *record, excluded map[string]*Link) *Link {
	d := l.Clone()
	if x := excluded[l.PersonID]; x != nil {
		d = x.Clone()
	}
	switch d.Exclusion() {
	case "":
		d.setExcluded(ReasonDuplicateEmail, "duplicate of person "+win.card.PersonID)
	case ReasonNoEmail, ReasonInvalidEmail:
		d.Email = ""
	}
	d.ContactID, d.Remote, d.UpdatedAt = "", nil, pl.now
	d.setValues(nil)
	return d
}

// holdsFor reports whether a stored link still holds its contact for
// email: its person is not moving to another email in this pass.
func holdsFor(l *Link, email string, rs []*record, pending pendingView, onPage map[string]bool) bool {
	if onPage[l.PersonID] {
		return slices.ContainsFunc(rs, func(r *record) bool { return r.card.PersonID == l.PersonID })
	}
	if q := pending.pendingPerson(l.PersonID); q != nil {
		return q.email == email
	}
	return true
}

// intentFor returns the latest unconfirmed upsert intent for email among
// links, or nil.
func intentFor(links []*Link, email string, rs []*record, pending pendingView, onPage map[string]bool) *Link {
	var best *Link
	for _, l := range links {
		if l.Failure() != CategoryUnconfirmed || l.ContactID != "" || l.Email != email || l.Values == nil ||
			!holdsFor(l, email, rs, pending, onPage) {
			continue
		}
		if best == nil || best.UpdatedAt.Before(l.UpdatedAt) {
			best = l
		}
	}
	return best
}

// holderRank prefers, among links holding one email's contact, one in sync
// over a failing one over an excluded one.
func holderRank(l *Link) int {
	switch l.State {
	case StateInSync:
		return 2
	case StateFailing:
		return 1
	}
	return 0
}

// contender reports whether a stored link competes for its email's contact.
func contender(l *Link) bool {
	return l.State == StateInSync || l.State == StateFailing || (l.State == StateExcluded && l.Reason == string(ReasonDuplicateEmail))
}

// loserLink is the link of a record that lost its email to win. keep: the
// loser holds the email's contact and keeps it (with its base) until the
// winner takes it over.
func (pl *planner) loserLink(acct *Account, r, win *record, keep bool) *Link {
	l := pl.baseLink(acct, r)
	msg := ""
	if win != nil && win != r {
		msg = "duplicate of person " + win.card.PersonID
	}
	l.setExcluded(ReasonDuplicateEmail, msg)
	if !keep {
		l.ContactID = ""
		l.setValues(nil)
		l.Remote = nil
	}
	return l
}

// planWrite decides a winner's write under the value rule.
func (pl *planner) planWrite(acct *Account, pp *pagePlan, r *record) {
	r.link = pl.baseLink(acct, r)
	target, remote := "", map[string]string(nil)
	switch {
	case r.takeover != nil:
		target = r.takeover.ContactID
		r.base, r.hasBase, remote = r.takeover.Values, true, r.takeover.Remote
	case r.old != nil && r.old.ContactID != "":
		target = r.old.ContactID
		r.base, r.hasBase, remote = r.old.Values, true, r.old.Remote
	}
	r.link.ContactID = target
	// What the contact holds from the sync until the write succeeds.
	if r.takeover != nil {
		r.link.Values, r.link.ValuesHash = r.takeover.Values, r.takeover.ValuesHash
	}
	r.link.Remote = maps.Clone(remote)
	hash := hashValues(r.values)
	switch {
	case target != "" && r.takeover == nil && r.old.ValuesHash == hash && len(pl.force) == 0:
		// The card maps to exactly what the sync last wrote: nothing to
		// send whatever HubSpot holds now (an unchanged card costs one
		// comparison).
		r.op = opNone
	case target != "":
		r.op = opUpdate
		r.send, r.clears = pl.rule.withWinner(pl.mapping, r).diffValues(r.values, r.base, r.hasBase, remote)
		for k := range pl.force {
			if v := r.values[k]; v != "" {
				if r.send == nil {
					r.send = hubspot.PropertyValues{}
				}
				r.send[k] = v
			}
		}
		if len(r.send) == 0 && len(r.clears) == 0 {
			r.op = opNone
		}
	case r.email != "" && r.intent != nil:
		// The contact may hold what an unconfirmed upsert sent: send every
		// value, and clear what that upsert wrote and the card now lacks
		// where HubSpot still holds it.
		r.op = opUpsert
		r.base, r.hasBase = r.intent.Values, true
		r.send, _ = pl.rule.diffValues(r.values, nil, false, nil)
		_, r.clears = pl.rule.diffValues(r.values, r.base, true, nil)
	case r.email != "":
		r.op = opUpsert
		r.send, _ = pl.rule.diffValues(r.values, nil, false, nil)
	default:
		r.op = opCreate
		r.send, _ = pl.rule.diffValues(r.values, nil, false, nil)
	}
	if r.op != opNone {
		pp.writes = append(pp.writes, r)
		return
	}
	r.link.setInSync()
	r.link.Values, r.link.ValuesHash = r.values, hash
	pp.count(outUnchanged, "")
	if !sameLink(r.old, r.link) {
		pp.save = append(pp.save, r.link)
	}
	pp.save = append(pp.save, r.demote...)
}

// withWinner returns the rule with the conflict winner of r's card: a
// field changed on both sides since the last sync keeps the card's value
// when the mapping's Winner says so.
func (vr valueRule) withWinner(m *mapping.Set, r *record) valueRule {
	remoteAt := time.Time{}
	if r.takeover != nil {
		remoteAt = r.takeover.RemoteAt
	} else if r.old != nil {
		remoteAt = r.old.RemoteAt
	}
	updated := r.card.UpdatedTime
	vr.sansanWins = func(p string) bool {
		mm, ok := m.Get(p)
		return !ok || mm.Winner.SansanWins(updated, remoteAt)
	}
	return vr
}

// baseLink starts the link a record will save from its stored link.
func (pl *planner) baseLink(acct *Account, r *record) *Link {
	l := &Link{Origin: OriginSansan}
	if r.old != nil {
		// r.old is the caller's copy (Store returns copies) and Values maps
		// are only ever replaced, never edited in place, so the new link
		// may share them; Remote is edited in place on success.
		c := *r.old
		c.Remote = maps.Clone(r.old.Remote)
		l = &c
	}
	l.PersonID = r.card.PersonID
	l.Account = acct.Name
	l.CardID = r.card.ID
	l.Email = r.email
	l.Rank = r.rank
	l.UpdatedAt = pl.now
	if l.Origin == "" {
		l.Origin = OriginSansan
	}
	return l
}

func (pl *planner) excludedLink(acct *Account, r *record, reason ExclusionReason) *Link {
	l := pl.baseLink(acct, r)
	if r.res.Email.Status != mapping.EmailValid {
		l.Email = ""
		if r.old != nil && r.old.ContactID != "" {
			// The contact keeps the email it has until the person that
			// wins it next takes the contact over, against this base.
			l.Email = r.old.Email
		}
	}
	msg := ""
	if reason == ReasonInvalidEmail {
		msg = r.res.Email.Reason
	}
	l.setExcluded(reason, msg)
	return l
}

// sameLink reports whether saving b over a would change nothing that
// matters, so unchanged records cost no store write either.
func sameLink(a, b *Link) bool {
	if a == nil || b == nil {
		return false
	}
	sameValues := a.ValuesHash != 0 && a.ValuesHash == b.ValuesHash
	if !sameValues {
		sameValues = a.ValuesHash == b.ValuesHash && maps.Equal(a.Values, b.Values)
	}
	return a.ContactID == b.ContactID && a.CardID == b.CardID && a.Email == b.Email &&
		a.State == b.State && a.Reason == b.Reason && a.Account == b.Account &&
		a.Rank == b.Rank && sameValues && maps.Equal(a.Remote, b.Remote)
}

func rankOf(c *sansan.BizCard) Rank {
	r := Rank{UpdatedTime: c.UpdatedTime.UTC(), CardID: c.ID}
	if c.ExchangeDate != nil && !c.ExchangeDate.IsZero() {
		r.ExchangeDate = c.ExchangeDate.String()
	}
	return r
}
