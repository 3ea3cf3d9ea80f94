package syncer

import (
	"context"
	"errors"
	"maps"
	"slices"
	"time"

	"github.com/cardbridge/sansanhubspot/hubspot"
	"github.com/cardbridge/sansanhubspot/sansan"
)

// pass holds the state of one SyncOnce.
type pass struct {
	e     *Engine
	store Store // the engine's store, or a dry-run overlay over it
	rep   *Report
	start time.Time

	hubspotCalls0 int64
	sansanCalls0  []int64

	// dryCreated holds the emails a dry run counted as created, so a later
	// record for the same email counts as the update the real pass makes.
	dryCreated map[string]bool
	// vacated holds emails whose contact holder moved to another email or
	// was excluded in this pass (see promote).
	vacated map[string]bool
}

func (e *Engine) newPass(ctx context.Context) (*pass, error) {
	start := e.now()
	p := &pass{e: e, store: e.store, rep: newReport(start, e.cfg.DryRun), start: start, dryCreated: map[string]bool{}, vacated: map[string]bool{}}
	if e.cfg.DryRun {
		p.store = newOverlayStore(e.store)
	}
	p.hubspotCalls0 = e.cfg.HubSpot.Requests()
	for _, a := range e.cfg.Accounts {
		p.sansanCalls0 = append(p.sansanCalls0, a.Client.Requests())
	}
	return p, ctx.Err()
}

func (p *pass) finish() {
	e := p.e
	p.rep.Duration = e.now().Sub(p.start)
	p.rep.APICalls["hubspot"] = e.cfg.HubSpot.Requests() - p.hubspotCalls0
	var s int64
	for i, a := range e.cfg.Accounts {
		s += a.Client.Requests() - p.sansanCalls0[i]
	}
	p.rep.APICalls["sansan"] = s
}

func (p *pass) run(ctx context.Context) error {
	if err := p.e.runPreflight(ctx); err != nil {
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
			if err := p.syncAccount(ctx, &p.e.cfg.Accounts[i]); err != nil {
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
// current one is written, so Sansan reads overlap HubSpot writes.
func (p *pass) syncAccount(ctx context.Context, acct *Account) error {
	e := p.e
	stream := streamSansan(acct.Name)
	cp, err := p.store.Checkpoint(ctx, stream)
	if err != nil && !errors.Is(err, ErrNotFound) {
		return wrapf(err, "syncer: read checkpoint")
	}
	if !cp.Complete {
		p.rep.Initial = true
	}
	from := initialFloor
	if !cp.Since.IsZero() {
		from = cp.Since.Add(-e.cfg.Overlap)
	}
	// Sansan's window bounds have whole seconds: round the upper bound up so
	// a card changed earlier in the pass's starting second is not missed.
	to := p.start.Truncate(time.Second).Add(time.Second)
	cursor := ""
	if !cp.Until.IsZero() { // resume an interrupted pass
		to, cursor = cp.Until, cp.Cursor
	}
	ar := p.rep.account(acct.Name, SansanToHubSpot)
	if !from.Before(to) {
		return nil
	}
	opts := sansan.ListBizCardsOptions{
		UpdatedFrom:     from,
		UpdatedTo:       to,
		CardListOptions: sansan.CardListOptions{Range: sansan.RangeAll, EntryStatus: []sansan.EntryStatus{sansan.EntryStatusCompleted}, IncludeTags: true, OrderBy: sansan.OrderByUpdatedAt, OrderDirection: sansan.OrderAsc, ListOptions: sansan.ListOptions{Limit: 300, NextPageToken: cursor}},
	}
	// Stop the page producer whenever this function returns, error or not.
	fetchCtx, stop := context.WithCancel(ctx)
	defer stop()
	pages := p.fetchPages(fetchCtx, acct, opts)
	w := p.newWriter(acct, SansanToHubSpot)
	var tokens []string // tokens[i] fetches the page after page i
	saved := -1         // last page whose checkpoint is saved
	progress := func(done bool) {
		if e.cfg.Progress != nil {
			e.cfg.Progress(Progress{Direction: SansanToHubSpot, Account: acct.Name, Read: ar.Read, Written: w.written, Done: done})
		}
	}
	page := 0
	for pg := range pages {
		if pg.err != nil {
			if cursor != "" && page == 0 && errors.Is(pg.err, sansan.ErrBadRequest) {
				// The saved page token expired: restart the window; links
				// make the re-read cost reads, not writes.
				e.log.WarnContext(ctx, "page token rejected; restarting window", "account", acct.Name)
				cp.Until, cp.Cursor = time.Time{}, ""
				if err := p.putCheckpoint(ctx, stream, cp); err != nil {
					return err
				}
				return p.syncAccount(ctx, acct)
			}
			return wrapf(pg.err, "syncer: list cards of account %q", acct.Name)
		}
		ar.Read += len(pg.cards)
		if err := p.processCards(ctx, w, pg.cards, page); err != nil {
			return err
		}
		tokens = append(tokens, pg.next)
		if !pg.more {
			break
		}
		// Checkpoint after the last page whose records are all written.
		last := saved
		for last+1 < len(tokens) && w.donePage(last+1) {
			last++
		}
		if last > saved {
			saved = last
			next := Checkpoint{Since: cp.Since, Until: to, Cursor: tokens[last], Complete: cp.Complete}
			if err := p.putCheckpoint(ctx, stream, next); err != nil {
				return err
			}
		}
		progress(false)
		page++
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := w.flushAll(ctx); err != nil {
		return err
	}
	if err := p.putCheckpoint(ctx, stream, Checkpoint{Since: to, Complete: true}); err != nil {
		return err
	}
	progress(true)
	return nil
}

type cardPage struct {
	cards []*sansan.BizCard
	next  string
	more  bool
	err   error
}

// fetchPages lists pages in a goroutine, one page ahead of the consumer.
// The channel closes after the last page or an error; cancelling ctx stops
// the producer.
func (p *pass) fetchPages(ctx context.Context, acct *Account, opts sansan.ListBizCardsOptions) <-chan cardPage {
	ch := make(chan cardPage, 1)
	go func() {
		defer close(ch)
		for {
			cards, resp, err := acct.Client.BizCards.List(ctx, &opts)
			pg := cardPage{cards: cards, err: err}
			if err == nil {
				pg.next, pg.more = resp.NextPageToken, resp.HasMore && resp.NextPageToken != ""
			}
			select {
			case ch <- pg:
			case <-ctx.Done():
				return
			}
			if err != nil || !pg.more {
				return
			}
			opts.NextPageToken = pg.next
		}
	}()
	return ch
}

func (p *pass) putCheckpoint(ctx context.Context, stream string, cp Checkpoint) error {
	if err := p.store.PutCheckpoint(ctx, stream, cp); err != nil {
		return wrapf(err, "syncer: save checkpoint")
	}
	return nil
}

// retryFailing re-reads the head cards of failing links whose retry time
// has come, so a record that failed is tried again even if its card does
// not change.
func (p *pass) retryFailing(ctx context.Context) error {
	links, err := p.store.LinksToRetry(ctx, p.start, 1000)
	if err != nil {
		return wrapf(err, "syncer: list failing links")
	}
	return p.reread(ctx, links)
}

// promote gives the emails that a pass vacated (their contact's person now
// has another email, or is excluded) to the persons that lost them as
// duplicates: their cards are read again and compete as on any page, so
// the best remaining one gets the email's contact without waiting for its
// own card to change.
func (p *pass) promote(ctx context.Context) error {
	if len(p.vacated) == 0 {
		return nil
	}
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
			if l.State == StateExcluded && l.Reason == ReasonDuplicateEmail {
				losers = append(losers, l)
			}
		}
	}
	return p.reread(ctx, losers)
}

// reread reads the cards of links again and processes them like a page:
// failing records due for a retry, and duplicates being promoted.
func (p *pass) reread(ctx context.Context, links []*Link) error {
	byAcct := map[string][]*sansan.BizCard{}
	var names []string
	for _, l := range links {
		if l.Origin == originHubSpot {
			continue
		}
		acct := p.e.account(l.Account)
		if acct == nil {
			continue
		}
		card, err := p.readCard(ctx, acct, l)
		if err != nil {
			return err
		}
		if card != nil {
			if _, ok := byAcct[acct.Name]; !ok {
				names = append(names, acct.Name)
			}
			byAcct[acct.Name] = append(byAcct[acct.Name], card)
		}
	}
	for _, name := range names {
		w := p.newWriter(p.e.account(name), SansanToHubSpot)
		if err := p.processCards(ctx, w, byAcct[name], 0); err != nil {
			return err
		}
		if err := w.flushAll(ctx); err != nil {
			return err
		}
	}
	return nil
}

// readCard reads a link's card as it is now (a newer card of the person
// comes through the listing anyway), falling back to the person's head card
// when that card is gone; nil when the person is gone too (deletes are
// never propagated).
func (p *pass) readCard(ctx context.Context, acct *Account, l *Link) (*sansan.BizCard, error) {
	card, _, err := acct.Client.BizCards.Get(ctx, l.CardID)
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
