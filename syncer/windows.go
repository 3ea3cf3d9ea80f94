package syncer

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"
	"sync"
	"time"

	"github.com/cardbridge/sansanhubspot/sansan"
)

// Sansan's cursor paging is sequential: one page per round trip. A large
// window (the initial sync, a long outage) is therefore split into
// sub-windows of updatedFrom/updatedTo, each listed by its own cursor,
// several at once within the key's rate limit. Their pages reach the
// planner in whatever order they arrive — the planner's decisions do not
// depend on it — and the checkpoint keeps a cursor per sub-window, so an
// interrupted pass resumes each where its applied pages end.

// subWindow is a part of a listing window read by its own cursor.
type subWindow struct {
	From time.Time `json:"from"`
	To   time.Time `json:"to"`
	// Token fetches the page after the last one whose records are all
	// applied ("" from the start); Done: all of it is applied.
	Token string `json:"token,omitempty"`
	Done  bool   `json:"done,omitempty"`

	first   *cardPage // a page fetched before the split, served first
	resumed bool      // Token came from a checkpoint
	// pending[i] fetches the page after page base+i of this pass: the
	// tokens of the pages read but not yet saved, and nothing else, so a
	// long listing (with large tokens) holds only what resuming needs.
	pending  []string
	base     int
	saved    int  // last page whose checkpoint is saved (-1: none)
	finished bool // its last page was read
}

// read records the token that follows the sub-window's next page.
func (sw *subWindow) read(next string) {
	if len(sw.pending) == 0 {
		sw.pending = nil // let a trimmed backing array go
	}
	sw.pending = append(sw.pending, next)
}

// allFinished reports whether every sub-window's last page was read.
func allFinished(subs []*subWindow) bool {
	for _, sw := range subs {
		if !sw.Done && !sw.finished {
			return false
		}
	}
	return true
}

// DefaultMaxWindowCards is Config.MaxWindowCards's default: no listing
// window is expected to hold more cards. Sansan's listings say nothing of
// their total, so this is a generous bound (with 300-card pages, 41,677
// pages: over two hours at Sansan's 5 requests per second) that only a
// server that never ends a listing reaches.
const DefaultMaxWindowCards = 10_000_000

// windowPageLimit is the most pages a pass reads of one account's window
// (all its parts together): what MaxWindowCards fill at the page size,
// plus a quarter and 10 pages of slack (short pages, pages cut smaller to
// isolate a card over the size cap).
func (e *Engine) windowPageLimit() int {
	cards := e.cfg.MaxWindowCards
	if cards <= 0 {
		cards = DefaultMaxWindowCards
	}
	size := e.pageSize()
	pages := (cards + size - 1) / size
	return pages + pages/4 + 10
}

// ErrTooManyPages matches a *PageLimitError.
var ErrTooManyPages = errors.New("syncer: listing does not end")

// PageLimitError ends a pass whose Sansan listing of one account's window
// still had more pages after as many as the window can hold (see
// Config.MaxWindowCards): the server keeps answering "more pages". What
// was read is written and checkpointed; the next pass resumes there and
// reads at most as many pages again. It matches ErrTooManyPages.
type PageLimitError struct {
	// Account is the account whose listing did not end.
	Account string
	// From and To are the window's bounds.
	From, To time.Time
	// Pages is how many pages the pass read of the window; Limit the most
	// it may.
	Pages, Limit int
}

// Error implements error.
func (e *PageLimitError) Error() string {
	return fmt.Sprintf("syncer: account %q: the card listing of window %s to %s still has more pages after %d, the most the window can hold (%d; Config.MaxWindowCards): the server keeps answering hasMore; pass stopped",
		e.Account, e.From.Format(time.RFC3339), e.To.Format(time.RFC3339), e.Pages, e.Limit)
}

// Is matches ErrTooManyPages.
func (e *PageLimitError) Is(target error) bool { return target == ErrTooManyPages }

// subCursorPrefix marks a checkpoint cursor that holds sub-windows rather
// than one Sansan page token.
const subCursorPrefix = "subwindows:"

// maxSubWindows bounds how many parts a window is split into.
const maxSubWindows = 8

// maxTokenRestarts bounds how often one pass lists a sub-window again from
// its start because the service refused a page token it had just given.
const maxTokenRestarts = 3

// pagesPerSubWindow is how many pages a sub-window should hold at least:
// each sub-window ends with a partial page, an extra call.
const pagesPerSubWindow = 6

// readersFor is how many listing or search calls to keep under way:
// Config.ReadConcurrency, or by default enough to use the limiter's rate
// (perSecond; the service's documented rate, fallback, when the client has
// no limiter) through one page's round trip, rounded up. A fast service
// needs one: the window is not split, and costs no extra call.
func (e *Engine) readersFor(perSecond, fallback float64, latency time.Duration) int {
	if n := e.cfg.ReadConcurrency; n > 0 {
		return n
	}
	if math.IsInf(perSecond, 1) || perSecond <= 0 {
		perSecond = fallback
	}
	return max(1, min(maxSubWindows, int(math.Ceil(perSecond*latency.Seconds()))))
}

func encodeSubs(subs []*subWindow) (string, error) {
	b, err := json.Marshal(subs)
	if err != nil {
		return "", err
	}
	return subCursorPrefix + string(b), nil
}

// resumeSubs returns the sub-windows of a stream's window: the saved ones
// of an interrupted split window, or the whole window as one.
func resumeSubs(st *stream) ([]*subWindow, error) {
	if rest, ok := strings.CutPrefix(st.cursor, subCursorPrefix); ok {
		var subs []*subWindow
		if err := json.Unmarshal([]byte(rest), &subs); err != nil {
			return nil, fmt.Errorf("syncer: checkpoint of %s: bad sub-window cursor: %w", st.name, err)
		}
		for _, s := range subs {
			s.saved, s.resumed = -1, s.Token != ""
		}
		return subs, nil
	}
	return []*subWindow{{From: st.from, To: st.to, Token: st.cursor, saved: -1, resumed: st.cursor != ""}}, nil
}

// split divides the rest of a window after its first page into parts of
// about equal estimated size, judging the density of cards from the first
// page. The first page (all cards before cut) is the first part.
func split(from, to time.Time, first cardPage, pageSize, maxParts int) []*subWindow {
	if !first.more || len(first.cards) == 0 || maxParts < 2 {
		return nil
	}
	maxParts = min(maxParts, maxSubWindows)
	t0 := first.cards[0].UpdatedTime
	t1 := first.cards[len(first.cards)-1].UpdatedTime
	cut := t1.Truncate(time.Second) // cards at t1 may straddle: the next part re-reads them
	if !cut.After(from) || !to.After(cut) {
		return nil
	}
	// Estimated pages after cut, from the first page's density.
	span := t1.Sub(t0)
	est := float64(maxParts * pagesPerSubWindow) // no span: assume many
	if span > 0 {
		est = float64(to.Sub(cut)) / float64(span) * float64(len(first.cards)) / float64(pageSize)
	}
	parts := min(maxParts, int(est/pagesPerSubWindow))
	if parts < 2 {
		return nil
	}
	pg := first
	pg.more, pg.next = false, ""
	subs := []*subWindow{{From: from, To: cut, first: &pg, saved: -1}}
	step := to.Sub(cut) / time.Duration(parts)
	for i := range parts {
		a := cut.Add(time.Duration(i) * step).Truncate(time.Second)
		b := cut.Add(time.Duration(i+1) * step).Truncate(time.Second).Add(time.Second)
		if i == parts-1 || b.After(to) {
			b = to
		}
		subs = append(subs, &subWindow{From: a, To: b, saved: -1})
	}
	return subs
}

// subPage is a page of one sub-window.
type subPage struct {
	cardPage
	sub, idx int
}

// fetchSubs lists every unfinished sub-window in its own goroutine, at most
// concurrency listing calls at a time, and merges their pages into one
// channel (each sub-window's pages in order). The channel closes when all
// are listed or one fails; cancelling ctx stops every producer.
func (p *pass) fetchSubs(ctx context.Context, acct *Account, base sansan.ListBizCardsOptions, subs []*subWindow, concurrency int) <-chan subPage {
	// A few pages per reader buffered: listing goes on while the consumer
	// waits for a write window, up to 4 × readers pages in memory.
	ch := make(chan subPage, 4*concurrency)
	sem := make(chan struct{}, concurrency)
	var wg sync.WaitGroup
	for i, sw := range subs {
		if sw.Done {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			send := func(sp subPage) bool {
				select {
				case ch <- sp:
					return true
				case <-ctx.Done():
					return false
				}
			}
			idx := 0
			opts := base
			opts.UpdatedFrom, opts.UpdatedTo, opts.NextPageToken = sw.From, sw.To, sw.Token
			if sw.first != nil {
				if !send(subPage{cardPage: *sw.first, sub: i}) || !sw.first.more {
					return
				}
				idx, opts.NextPageToken = 1, sw.first.next
			}
			// over is the last answer at the current token when it was too
			// large: the same page is being asked for again, smaller.
			var over *sansan.ResponseTooLargeError
			keepSmall := false // restarted after shrinking: pages stay small
			restarts := 0      // restarts after a refused token
			for {
				select {
				case sem <- struct{}{}:
				case <-ctx.Done():
					return
				}
				cards, resp, err := acct.Client.BizCards.List(ctx, &opts)
				var pg cardPage
				refused := err != nil && opts.NextPageToken != "" && errors.Is(err, sansan.ErrPageTokenExpired)
				byID := refused && over != nil && over.Scanned
				if byID {
					// The service took the token back once it had served
					// the page too large: read that page's cards one by
					// one, by the ids its scan found, and go on after it.
					p.e.log.WarnContext(ctx, "page token taken back after a page over the size cap; reading its cards one by one", "account", acct.Name, "cards", len(over.Cards))
					pg = p.readRefs(ctx, acct, over, sw)
				}
				<-sem
				if refused && !byID && (idx == 0 && sw.resumed || over != nil || restarts < maxTokenRestarts) {
					// A saved page token the service no longer accepts,
					// one it took back after a page too large that could
					// not be scanned, or one that expired while the pass
					// ran (a slow pass, a service that drops listings
					// early): list this sub-window again from its start;
					// links make the re-read cost reads, not writes. A
					// service that refuses its own fresh tokens gets a few
					// restarts, then the error.
					restarts++
					p.e.log.WarnContext(ctx, "page token rejected; restarting window", "account", acct.Name)
					opts.NextPageToken = ""
					// Smaller pages from here on: growing back would meet
					// the card too large again in a page whose token the
					// service takes back.
					keepSmall = keepSmall || over != nil
					over = nil
					continue
				}
				over = nil
				var tl *sansan.ResponseTooLargeError
				switch {
				case byID:
				case errors.As(err, &tl) && opts.Limit > 1:
					// A page over the client's size cap: ask for the same
					// page in halves until the card that is too large
					// stands alone.
					opts.Limit /= 2
					over = tl
					p.e.log.WarnContext(ctx, "listing page over the response size cap; retrying with smaller pages", "account", acct.Name, "limit", opts.Limit)
					continue
				case errors.As(err, &tl):
					pg = oversizedPage(tl, sw)
				case err != nil:
					pg.err = err
				default:
					pg = cardPage{cards: cards, bad: undecodables(resp), next: resp.NextPageToken, more: resp.HasMore && resp.NextPageToken != ""}
					// Back to full pages once past the card too large.
					if !keepSmall {
						opts.Limit = min(base.Limit, 2*opts.Limit)
					}
				}
				if !send(subPage{cardPage: pg, sub: i, idx: idx}) || pg.err != nil || !pg.more {
					return
				}
				opts.NextPageToken = pg.next
				idx++
			}
		}()
	}
	go func() {
		wg.Wait()
		close(ch)
	}()
	return ch
}

// oversizedPage is the page of a single card over the client's size cap:
// the card is quarantined by its id and the listing steps past it with the
// page's next token. Without an id to quarantine it by, or a next token to
// go on with, the listing fails, naming the window.
func oversizedPage(tl *sansan.ResponseTooLargeError, sw *subWindow) cardPage {
	if tl.Scanned && len(tl.Cards) == 1 && (tl.Cards[0].ID != "" || tl.Cards[0].PersonID != "") {
		return cardPage{bad: []badCard{oversized(tl.Cards[0], tl.Limit)}, next: tl.NextPageToken, more: tl.HasMore && tl.NextPageToken != ""}
	}
	return cardPage{err: fmt.Errorf("window %s to %s: a single card is larger than the Sansan client's response size cap "+
		"and its id or the next page cannot be read past it, so it cannot be quarantined; fix the card in Sansan or raise sansan.WithMaxResponseSize: %w",
		sw.From.Format(time.RFC3339), sw.To.Format(time.RFC3339), tl)}
}

// advanceSubs moves each sub-window's saved position past its pages whose
// records are all applied, and reports whether any moved. The tokens of
// the pages saved are dropped.
func advanceSubs(x *executor, subs []*subWindow) bool {
	moved := false
	for i, sw := range subs {
		if sw.Done {
			continue
		}
		last := sw.saved
		for last+1 < sw.base+len(sw.pending) && x.donePage(i*pageStride+last+1) {
			last++
		}
		if last == sw.saved {
			continue
		}
		sw.saved, sw.Token, moved = last, sw.pending[last-sw.base], true
		clear(sw.pending[:last-sw.base+1]) // no token outlives its page
		sw.pending = sw.pending[last-sw.base+1:]
		sw.base = last + 1
		if sw.finished && len(sw.pending) == 0 {
			sw.Done = true
		}
	}
	return moved
}
