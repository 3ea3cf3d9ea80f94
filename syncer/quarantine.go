package syncer

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/cardbridge/sansanhubspot/sansan"
)

// A card that Sansan serves but the client cannot decode (a field of the
// wrong type, JSON nested too deep, a card alone larger than the client's
// response size cap) must not stop its account: every later pass would
// fail at the same card. It is quarantined instead: its person's link
// fails with CategoryUndecodable — keeping the contact and the values
// synced before, so nothing is undone — it is counted in Report.Failed and
// listed in Report.Failures, and the pass goes on past it. The engine's
// retry of failing links reads the card again by id: it stays quarantined
// while it still does not decode and syncs normally once it is fixed in
// Sansan (a fix that changes the card's update time also brings it back
// through the listing).

// UndecodableKeyPrefix starts the PersonID of the stand-in link of an
// undecodable card whose personId cannot be read: such a link is keyed
// UndecodableKey(card id), never holds a contact, and once the card
// decodes again is excluded with ReasonReplaced, the card syncing under
// its person's own link.
const UndecodableKeyPrefix = "undecodable:"

// UndecodableKey returns the key of the stand-in link of an undecodable
// card whose personId cannot be read (see UndecodableKeyPrefix).
func UndecodableKey(cardID string) string { return UndecodableKeyPrefix + cardID }

// isStandIn reports whether l is the stand-in link of an undecodable card.
func isStandIn(l *Link) bool { return strings.HasPrefix(l.PersonID, UndecodableKeyPrefix) }

// badCard is a card that cannot be synced because it cannot be read.
type badCard struct {
	id, personID string
	// key, when set, is the link the card is quarantined under (a retry
	// keeps the link it retries); otherwise personID or the stand-in key.
	key string
	msg string
}

func (b badCard) linkKey() string {
	switch {
	case b.key != "":
		return b.key
	case b.personID != "":
		return b.personID
	case b.id != "":
		return UndecodableKey(b.id)
	}
	return ""
}

// maxBadMessage bounds the decoding error quoted in a quarantine message.
const maxBadMessage = 300

// undecodable describes a card the client could not decode.
func undecodable(e *sansan.CardDecodeError) badCard {
	msg := "sansan served the card in a form that cannot be decoded: " + shorten(e.Err.Error(), maxBadMessage)
	if e.Excerpt != "" {
		msg += fmt.Sprintf(" (its JSON starts %q)", e.Excerpt)
	}
	return badCard{id: e.ID, personID: e.PersonID, msg: msg}
}

// oversized describes a card that alone exceeds the client's size cap.
func oversized(ref sansan.CardRef, limit int64) badCard {
	return badCard{id: ref.ID, personID: ref.PersonID,
		msg: fmt.Sprintf("the card alone is larger than the Sansan client's response size cap (%d bytes; sansan.WithMaxResponseSize)", limit)}
}

func undecodables(resp *sansan.Response) []badCard {
	if resp == nil || len(resp.Undecodable) == 0 {
		return nil
	}
	out := make([]badCard, len(resp.Undecodable))
	for i, e := range resp.Undecodable {
		out[i] = undecodable(e)
	}
	return out
}

// unreadable tells whether err (of a single read) means the card is still
// not readable, and how.
func unreadable(err error) (badCard, bool) {
	var cde *sansan.CardDecodeError
	if errors.As(err, &cde) {
		return undecodable(cde), true
	}
	var tl *sansan.ResponseTooLargeError
	if errors.As(err, &tl) {
		return oversized(sansan.CardRef{}, tl.Limit), true
	}
	return badCard{}, false
}

// readRefs reads the cards of a listing page over the size cap one by one,
// by the ids the client found in it: they make the page, which continues
// with its own next token. A card that cannot be read so is to quarantine;
// one without a readable id fails the listing, naming the window, as a
// single card too large without one does.
func (p *pass) readRefs(ctx context.Context, acct *Account, tl *sansan.ResponseTooLargeError, sw *subWindow) cardPage {
	pg := cardPage{next: tl.NextPageToken, more: tl.HasMore && tl.NextPageToken != ""}
	for _, ref := range tl.Cards {
		if ref.ID == "" {
			return cardPage{err: fmt.Errorf("window %s to %s: a page is larger than the Sansan client's response size cap "+
				"and one of its cards has no readable id to fetch it alone by, so it cannot be quarantined; fix the card in Sansan or raise sansan.WithMaxResponseSize: %w",
				sw.From.Format(time.RFC3339), sw.To.Format(time.RFC3339), tl)}
		}
		l := &Link{CardID: ref.ID, PersonID: ref.PersonID}
		if l.PersonID == "" {
			l.PersonID = UndecodableKey(ref.ID) // read by card id only
		}
		card, err := p.readCard(ctx, acct, l)
		if b, ok := unreadable(err); ok {
			b.id, b.personID = ref.ID, ref.PersonID
			pg.bad = append(pg.bad, b)
			continue
		}
		if err != nil {
			return cardPage{err: err}
		}
		if card != nil {
			pg.cards = append(pg.cards, card)
		}
	}
	return pg
}

// quarantine records the undecodable cards of a listed page. Records of
// their persons that this pass still has in flight are settled first, and
// queued ones dropped, so a write of an older card cannot overwrite the
// quarantine.
func (p *pass) quarantine(ctx context.Context, x *executor, bad []badCard) error {
	if len(bad) == 0 {
		return nil
	}
	persons := map[string]bool{}
	for _, b := range bad {
		if k := b.linkKey(); k != "" {
			persons[k] = true
		}
	}
	if err := x.waitFor(ctx, persons, nil); err != nil {
		return err
	}
	for k := range persons {
		if q := x.pendingPerson(k); q != nil {
			x.drop(q)
		}
	}
	return p.quarantineLinks(ctx, x.acct, bad)
}

// quarantineLinks marks the links of bad cards failing with
// CategoryUndecodable (creating them for persons not linked yet), with a
// retry time, and reports each card as failed. A card without any readable
// id is reported only: there is nothing to key or re-read it by.
func (p *pass) quarantineLinks(ctx context.Context, acct *Account, bad []badCard) error {
	if len(bad) == 0 {
		return nil
	}
	ar := p.rep.account(acct.Name, SansanToHubSpot)
	var keys []string
	for _, b := range bad {
		if k := b.linkKey(); k != "" {
			keys = append(keys, k)
		}
	}
	stored, err := p.store.LinksByPerson(ctx, keys)
	if err != nil {
		return wrapf(err, "syncer: read links")
	}
	if p.quarantined == nil {
		p.quarantined = map[string]bool{}
	}
	var save []*Link
	for _, b := range bad {
		k := b.linkKey()
		if k != "" && p.quarantined[k] {
			continue // read twice in this pass (a page again, a retry and the listing): one record
		}
		f := Failure{Account: acct.Name, Direction: SansanToHubSpot, PersonID: k, CardID: b.id, Category: CategoryUndecodable, Message: b.msg}
		p.rep.count(ar, outFailed, string(CategoryUndecodable))
		if k == "" {
			f.Message += "; it has no readable id to retry it by: it syncs once fixed in Sansan (which changes its update time)"
			p.rep.fail(f)
			p.e.log.WarnContext(ctx, "card cannot be decoded and has no readable id", "account", acct.Name, "error", b.msg)
			continue
		}
		l := stored[k]
		if l == nil {
			l = &Link{PersonID: k, Origin: OriginSansan}
		}
		l.Account = acct.Name
		if b.id != "" {
			l.CardID = b.id // the retry re-reads this card
		}
		l.UpdatedAt = p.start
		p.failLink(l, CategoryUndecodable, b.msg)
		f.ContactID = l.ContactID
		p.rep.fail(f)
		p.e.log.WarnContext(ctx, "card quarantined", "account", acct.Name, "person", k, "card", b.id, "error", b.msg)
		p.quarantined[k] = true
		save = append(save, l)
	}
	if len(save) == 0 {
		return nil
	}
	if err := p.store.PutLinks(ctx, save); err != nil {
		return wrapf(err, "syncer: save quarantined links")
	}
	return nil
}

// replaceStandIns excludes the stand-in links whose card decodes again
// (and has a person of its own, under which it was just processed).
func (p *pass) replaceStandIns(ctx context.Context, resolved map[*Link]*sansan.BizCard) error {
	if len(resolved) == 0 {
		return nil
	}
	save := make([]*Link, 0, len(resolved))
	for l, card := range resolved {
		l = l.Clone()
		l.setExcluded(ReasonReplaced, "the card decodes again and syncs as person "+card.PersonID)
		l.UpdatedAt = p.start
		save = append(save, l)
	}
	if err := p.store.PutLinks(ctx, save); err != nil {
		return wrapf(err, "syncer: save replaced stand-in links")
	}
	return nil
}

// shorten cuts s to at most n bytes at a rune boundary.
func shorten(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}
