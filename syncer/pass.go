package syncer

import (
	"context"
	"errors"
	"log/slog"
	"maps"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/cardbridge/sansanhubspot/hubspot"
	"github.com/cardbridge/sansanhubspot/sansan"
)

// pass holds the state of one SyncOnce.
type pass struct {
	e     *Engine
	store Store     // the engine's store, or a dry-run overlay over it
	meta  MetaStore // the store's records of the engine, nil if it has none
	fence Fence     // the lease the pass runs under, nil without one
	sink  sink      // where writes go: the services, or a dry-run recorder
	plan  *planner
	rep   *Report
	start time.Time

	hubspotCalls0 int64
	sansanCalls0  []int64

	// vacated holds emails whose contact holder moved to another email or
	// was excluded in this pass (see promote).
	vacated map[string]bool
	// createdHere holds contacts the pass created, which later writes of
	// the pass do not count again as updated.
	createdHere map[string]bool
	// quarantined holds the links quarantined in this pass (a card read
	// twice in one pass counts once; see quarantineLinks).
	quarantined map[string]bool

	// rlMu guards the rate-limit waits the clients report from any
	// goroutine of the pass.
	rlMu     sync.Mutex
	rlWaits  map[string]int
	rlWaited map[string]time.Duration
}

// retried receives the clients' retry waits (sansan.ContextWithRetryHook
// on the pass's context): waits after 429s are counted per service and
// the long ones logged.
func (p *pass) retried(ctx context.Context, ev sansan.RetryEvent) {
	if ev.StatusCode != http.StatusTooManyRequests {
		return
	}
	service := "sansan"
	if strings.Contains(ev.URL, "/crm/") {
		service = "hubspot"
	}
	p.rlMu.Lock()
	if p.rlWaits == nil {
		p.rlWaits, p.rlWaited = map[string]int{}, map[string]time.Duration{}
	}
	p.rlWaits[service]++
	p.rlWaited[service] += ev.Wait
	p.rlMu.Unlock()
	level := slog.LevelInfo
	if ev.Wait >= 30*time.Second {
		level = slog.LevelWarn
	}
	p.e.log.Log(ctx, level, "rate limited; waiting", "service", service, "wait", ev.Wait.String(), "in_a_row", ev.RateLimited)
}

func (e *Engine) newPass(ctx context.Context) (*pass, error) {
	start := e.now()
	p := &pass{e: e, store: e.store, sink: liveSink{e}, rep: newReport(start, e.cfg.DryRun), start: start, vacated: map[string]bool{}, createdHere: map[string]bool{}}
	p.plan = newPlanner(&e.cfg, e.mapping, start)
	if m, ok := e.passMeta(e.cfg.DryRun); ok {
		p.meta = m
	}
	if e.cfg.DryRun {
		p.store = newOverlayStore(e.store)
		p.sink = &drySink{e: e, created: map[string]bool{}}
	}
	if f, ok := FenceFrom(ctx); ok {
		p.fence = f
		// A holder whose lease may have passed on saves nothing more: its
		// links would claim values the new holder may already have
		// replaced; its write intents stay for the new holder to repair.
		p.store = fencedStore{p.store}
		if p.meta != nil {
			p.meta = fencedMeta{p.meta}
		}
	}
	p.hubspotCalls0 = e.cfg.HubSpot.Requests()
	for _, a := range e.cfg.Accounts {
		p.sansanCalls0 = append(p.sansanCalls0, a.Client.Requests())
	}
	return p, ctx.Err()
}

func (p *pass) finish() {
	e := p.e
	p.rlMu.Lock()
	for k, v := range p.rlWaits {
		p.rep.RateLimitWaits[k] = v
		p.rep.RateLimitWaited[k] = p.rlWaited[k]
	}
	p.rlMu.Unlock()
	p.rep.Duration = e.now().Sub(p.start)
	p.rep.APICalls["hubspot"] = e.cfg.HubSpot.Requests() - p.hubspotCalls0
	var s int64
	for i, a := range e.cfg.Accounts {
		s += a.Client.Requests() - p.sansanCalls0[i]
	}
	p.rep.APICalls["sansan"] = s
}

// prepareRun checks, before anything is read or written, that the store
// belongs to the engine's portal and accounts, runs the preflight and
// repairs what writes of an earlier lease holder may have left stale.
func (p *pass) prepareRun(ctx context.Context) error {
	if err := p.checkBinding(ctx); err != nil {
		return err
	}
	if err := p.e.runPreflight(ctx); err != nil {
		return err
	}
	return p.repairIntents(ctx)
}

func (p *pass) run(ctx context.Context) error {
	if err := p.prepareRun(ctx); err != nil {
		return err
	}
	dir := p.e.cfg.Direction
	// HubSpot's changes are read first, so that in two-way sync the Sansan
	// half of the same pass knows which fields changed on both sides.
	if dir == HubSpotToSansan || dir == TwoWay {
		if err := p.syncFromHubSpot(ctx); err != nil {
			return err
		}
	}
	if dir == SansanToHubSpot || dir == TwoWay {
		if err := p.retryFailing(ctx); err != nil {
			return err
		}
		for i := range p.e.cfg.Accounts {
			acct := &p.e.cfg.Accounts[i]
			if err := p.checkMapping(ctx, acct); err != nil {
				return err
			}
			if err := p.syncAccount(ctx, acct, nil); err != nil {
				return err
			}
			if err := p.runBackfill(ctx, acct); err != nil {
				return err
			}
		}
		if err := p.promote(ctx); err != nil {
			return err
		}
	}
	return nil
}

func isUnauthorized(err error) bool {
	return errors.Is(err, sansan.ErrUnauthorized) || errors.Is(err, hubspot.ErrUnauthorized)
}

// streamSansan names the checkpoint stream of an account's cards.
func streamSansan(account string) string { return "sansan/" + account + "/bizcards" }

// syncAccount reads one account's cards changed since its checkpoint and
// writes them to HubSpot, page by page. The next page is fetched while the
// current one is planned and written, so Sansan reads overlap HubSpot
// writes.
//
// With a backfill, it lists the backfill's own window (every card up to
// when the backfill started) on the backfill's stream instead.
func (p *pass) syncAccount(ctx context.Context, acct *Account, bf *backfill) error {
	e := p.e
	// Sansan's window bounds have whole seconds: round the upper bound up so
	// a card changed earlier in the pass's starting second is not missed.
	name, end := streamSansan(acct.Name), p.start.Truncate(time.Second).Add(time.Second)
	if bf != nil {
		name, end = bf.Stream, bf.Until
	}
	st, err := openStream(ctx, p.store, name, initialFloor, end, e.cfg.Overlap)
	if err != nil {
		return err
	}
	if st.initial() && bf == nil {
		p.rep.Initial = true
	}
	ar := p.rep.account(acct.Name, SansanToHubSpot)
	if st.empty() {
		return nil
	}
	opts := sansan.ListBizCardsOptions{
		UpdatedFrom: st.from,
		UpdatedTo:   st.to,
		CardListOptions: sansan.CardListOptions{
			Range: sansan.RangeAll, EntryStatus: []sansan.EntryStatus{sansan.EntryStatusCompleted}, IncludeTags: true,
			OrderBy: sansan.OrderByUpdatedAt, OrderDirection: sansan.OrderAsc, ListOptions: sansan.ListOptions{Limit: e.pageSize()},
		},
	}
	subs, err := resumeSubs(st)
	if err != nil {
		return err
	}
	// A window resumed in parts has no first page to time: its parts are
	// listed ReadConcurrency at a time, one by default.
	readers := max(1, e.cfg.ReadConcurrency)
	if len(subs) == 1 && subs[0].Token == "" && e.cfg.ReadConcurrency != 1 {
		// A fresh window: its first page tells whether it is large enough,
		// and the service slow enough, to list in parts at once.
		t0 := time.Now()
		cards, resp, err := acct.Client.BizCards.List(ctx, &opts)
		switch {
		case errors.Is(err, sansan.ErrResponseTooLarge):
			// A first page over the size cap: the listing below retries
			// it with smaller pages; no timing to judge a split by.
		case err != nil:
			return wrapf(err, "syncer: list cards of account %q", acct.Name)
		default:
			readers = e.readersFor(float64(acct.Client.RateLimit()), 5, time.Since(t0)) // Sansan documents 5 requests/s
			first := cardPage{cards: cards, bad: undecodables(resp), next: resp.NextPageToken, more: resp.HasMore && resp.NextPageToken != ""}
			if parts := split(st.from, st.to, first, e.pageSize(), 2*readers); readers > 1 && parts != nil {
				subs = parts
				e.log.DebugContext(ctx, "listing window in parts", "account", acct.Name, "parts", len(parts))
			} else {
				subs[0].first = &first
			}
		}
	}
	// Stop the page producers whenever this function returns, error or not.
	fetchCtx, stop := context.WithCancel(ctx)
	defer stop()
	pages := p.fetchSubs(fetchCtx, acct, opts, subs, readers)
	x := p.newExecutor(acct, SansanToHubSpot)
	defer x.abandon()
	progress := func(done bool) {
		if e.cfg.Progress != nil {
			e.cfg.Progress(ar.progress(x.written, done))
		}
	}
	// A server that always answers "more pages" must not hold the pass
	// forever: a window may take only so many pages (windowPageLimit).
	read, limit := 0, e.windowPageLimit()
	for pg := range pages {
		if pg.err != nil {
			return wrapf(pg.err, "syncer: list cards of account %q", acct.Name)
		}
		ar.Read += len(pg.cards) + len(pg.bad)
		if len(pg.cards) > 0 {
			if err := p.processPage(ctx, x, pg.cards, pg.sub*pageStride+pg.idx); err != nil {
				return err
			}
		}
		if err := p.quarantine(ctx, x, pg.bad); err != nil {
			return err
		}
		sw := subs[pg.sub]
		sw.read(pg.next)
		sw.finished = !pg.more
		// Checkpoint after the last pages whose records are all written.
		if advanceSubs(x, subs) {
			if err := p.saveSubs(ctx, st, subs); err != nil {
				return err
			}
		}
		progress(false)
		if read++; read >= limit && !allFinished(subs) {
			return &PageLimitError{Account: acct.Name, From: st.from, To: st.to, Pages: read, Limit: limit}
		}
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := x.flushAll(ctx); err != nil {
		return err
	}
	if err := st.complete(ctx); err != nil {
		return err
	}
	progress(true)
	return nil
}

// saveSubs saves the window's position: one Sansan page token for an
// unsplit window, every part's otherwise.
func (p *pass) saveSubs(ctx context.Context, st *stream, subs []*subWindow) error {
	if len(subs) == 1 {
		if subs[0].Done {
			return nil // complete follows once everything is flushed
		}
		return st.advance(ctx, subs[0].Token)
	}
	cur, err := encodeSubs(subs)
	if err != nil {
		return wrapf(err, "syncer: save checkpoint")
	}
	return st.advance(ctx, cur)
}

// processPage plans one page of cards and has the executor carry the plan
// out: the store reads the planner needs, then the pure decision, then
// the writes.
func (p *pass) processPage(ctx context.Context, x *executor, cards []*sansan.BizCard, page int) error {
	ids := make([]string, 0, len(cards))
	persons := map[string]bool{}
	for _, c := range cards {
		if c != nil && c.PersonID != "" {
			ids = append(ids, c.PersonID)
			persons[c.PersonID] = true
		}
	}
	// A person of this page whose write is in flight is planned against
	// its outcome, not against a guess.
	if err := x.waitFor(ctx, persons, nil); err != nil {
		return err
	}
	byPerson, err := p.store.LinksByPerson(ctx, ids)
	if err != nil {
		return wrapf(err, "syncer: read links")
	}
	prep := p.plan.prepare(x.acct, cards, page, byPerson, x)
	var byEmail map[string][]*Link
	if len(prep.emails) > 0 {
		emails := make(map[string]bool, len(prep.emails))
		for _, e := range prep.emails {
			emails[e] = true
		}
		// Likewise a write in flight that claims or leaves one of the
		// page's emails: dedup needs its outcome.
		if err := x.waitFor(ctx, nil, emails); err != nil {
			return err
		}
		if byEmail, err = p.store.LinksByEmail(ctx, prep.emails); err != nil {
			return wrapf(err, "syncer: read links by email")
		}
	}
	pp := p.plan.decide(x.acct, prep, pageInput{byEmail: byEmail, pending: x})
	return x.apply(ctx, pp)
}

type cardPage struct {
	cards []*sansan.BizCard
	// bad are the page's cards that cannot be read, to quarantine.
	bad  []badCard
	next string
	more bool
	err  error
}

// retryFailing re-reads the head cards of failing links whose retry time
// has come, so a record that failed is tried again even if its card does
// not change.
//
// An unconfirmed upsert (a pass stopped before its answer) is not re-read
// one by one when its account's window is still open: resuming the window
// lists its card again anyway, and re-reading hundreds of cards singly
// would make a flaky service stop every pass before the window resumes.
func (p *pass) retryFailing(ctx context.Context) error {
	links, err := p.store.LinksToRetry(ctx, p.start, 1000)
	if err != nil {
		return wrapf(err, "syncer: list failing links")
	}
	open := map[string]bool{}
	for _, a := range p.e.cfg.Accounts {
		cp, err := p.store.Checkpoint(ctx, streamSansan(a.Name))
		if err != nil && !errors.Is(err, ErrNotFound) {
			return wrapf(err, "syncer: read checkpoint")
		}
		open[a.Name] = cp.Phase() == PhaseInWindow
	}
	links = slices.DeleteFunc(links, func(l *Link) bool { return l.Failure() == CategoryUnconfirmed && open[l.Account] })
	return p.reread(ctx, links)
}

// promote gives the emails that a pass vacated (their contact's person now
// has another email, or is excluded) to the persons that lost them as
// duplicates: their cards are read again and compete as on any page, so
// the best remaining one gets the email's contact without waiting for its
// own card to change.
func (p *pass) promote(ctx context.Context) error {
	// A promotion can vacate another email (a promoted person left one
	// behind); a few rounds settle every chain a pass can make.
	for round := 0; round < 4 && len(p.vacated) > 0; round++ {
		emails := slices.Sorted(maps.Keys(p.vacated))
		clear(p.vacated)
		byEmail, err := p.store.LinksByEmail(ctx, emails)
		if err != nil {
			return wrapf(err, "syncer: read links by email")
		}
		var losers []*Link
		for _, email := range emails {
			ls := byEmail[email]
			if slices.ContainsFunc(ls, func(l *Link) bool { return l.ContactID != "" && l.State != StateExcluded }) {
				continue // the email still has a contact holder
			}
			for _, l := range ls {
				if l.Exclusion() == ReasonDuplicateEmail {
					losers = append(losers, l)
				}
			}
		}
		if err := p.reread(ctx, losers); err != nil {
			return err
		}
	}
	return nil
}

// reread reads the cards of links again and processes them like a page:
// failing records due for a retry, and duplicates being promoted. A card
// that still cannot be read stays (or becomes) quarantined; the stand-in
// link of one that decodes again is replaced by its person's.
func (p *pass) reread(ctx context.Context, links []*Link) error {
	byAcct := map[string][]*sansan.BizCard{}
	bad := map[string][]badCard{}
	standIns := map[*Link]*sansan.BizCard{}
	var names []string
	for _, l := range links {
		if l.Origin == OriginHubSpot && l.Failure() != CategoryUndecodable {
			continue
		}
		acct := p.e.account(l.Account)
		if acct == nil {
			continue
		}
		card, err := p.readCard(ctx, acct, l)
		if b, ok := unreadable(err); ok {
			b.key = l.PersonID
			if b.id == "" {
				b.id = l.CardID
			}
			bad[acct.Name] = append(bad[acct.Name], b)
			continue
		}
		if err != nil {
			return err
		}
		if card == nil && l.Failure() == CategoryUndecodable {
			// Gone from Sansan: keep it quarantined, retried ever more rarely.
			bad[acct.Name] = append(bad[acct.Name], badCard{key: l.PersonID, id: l.CardID, msg: "the card (and its person) can no longer be read from Sansan"})
			continue
		}
		if card != nil {
			if isStandIn(l) && card.PersonID != "" {
				standIns[l] = card
			}
			if _, ok := byAcct[acct.Name]; !ok {
				names = append(names, acct.Name)
			}
			byAcct[acct.Name] = append(byAcct[acct.Name], card)
		}
	}
	for _, name := range names {
		x := p.newExecutor(p.e.account(name), SansanToHubSpot)
		err := p.processPage(ctx, x, byAcct[name], 0)
		if err == nil {
			err = x.flushAll(ctx)
		}
		x.abandon()
		if err != nil {
			return err
		}
	}
	for _, a := range p.e.cfg.Accounts {
		if err := p.quarantineLinks(ctx, &a, bad[a.Name]); err != nil {
			return err
		}
	}
	return p.replaceStandIns(ctx, standIns)
}

// readCard reads a link's card as it is now (a newer card of the person
// comes through the listing anyway), falling back to the person's head card
// when that card is gone; nil when the person is gone too (deletes are
// never propagated). A quarantined card whose id could not be read is
// read through its person; a stand-in link (no person) only by card id.
func (p *pass) readCard(ctx context.Context, acct *Account, l *Link) (*sansan.BizCard, error) {
	var card *sansan.BizCard
	err := error(sansan.ErrNotFound)
	if l.CardID != "" {
		card, _, err = acct.Client.BizCards.Get(ctx, l.CardID)
	}
	if errors.Is(err, sansan.ErrNotFound) && isStandIn(l) {
		return nil, nil
	}
	if errors.Is(err, sansan.ErrNotFound) {
		person, _, perr := acct.Client.Persons.Get(ctx, l.PersonID)
		if errors.Is(perr, sansan.ErrNotFound) {
			return nil, nil
		}
		card, err = nil, perr
		if perr == nil {
			card = person.HeadBizCard
		}
	}
	if err != nil {
		return nil, wrapf(err, "syncer: re-read card")
	}
	if card != nil && card.Tags == nil {
		// A single-card read carries no tags; without them the write would
		// leave sansan_tags unset for good.
		tags := []sansan.Tag{}
		for t, err := range acct.Client.BizCards.TagsIter(ctx, card.ID, nil) {
			if err != nil {
				return nil, wrapf(err, "syncer: re-read card tags")
			}
			tags = append(tags, *t)
		}
		card.Tags = tags
	}
	return card, nil
}

func (e *Engine) account(name string) *Account {
	for i := range e.cfg.Accounts {
		if e.cfg.Accounts[i].Name == name {
			return &e.cfg.Accounts[i]
		}
	}
	return nil
}
