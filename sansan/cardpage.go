package sansan

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"iter"
	"net/http"
	"net/url"
	"strings"
	"unicode/utf8"

	"github.com/cardbridge/sansanhubspot/internal/apiclient"
)

// ErrUndecodableCard matches a [*CardDecodeError]: a card the server sent
// that the client cannot decode.
var ErrUndecodableCard = errors.New("sansan: card cannot be decoded")

// MaxExcerpt is the most bytes of a card's JSON a [*CardDecodeError] keeps
// in Excerpt.
const MaxExcerpt = 120

// CardDecodeError describes one card the server sent that does not decode
// as a [BizCard]: a field of the wrong type (an object as memo, a number as
// a name), a time that does not parse, JSON nested deeper than Go's decoder
// allows, or something that is not a card at all.
//
// A list page ([BizCardsService.List], [BizCardsService.Search]) that
// decodes as a list still delivers its other cards; each card that does not
// is listed in [Response.Undecodable], and the iterators yield it as an
// error of this type and go on. A single read ([BizCardsService.Get],
// [PersonsService.Get]) returns it as its error. It matches
// [ErrUndecodableCard]; errors.As reaches the details:
//
//	for card, err := range c.BizCards.ListIter(ctx, opts) {
//		var bad *sansan.CardDecodeError
//		if errors.As(err, &bad) {
//			log.Printf("skipping card %s: %v", bad.ID, bad)
//			continue
//		}
//		if err != nil { ... }
//	}
//
// The card itself is never kept whole: only its ids, read leniently, and a
// short excerpt.
type CardDecodeError struct {
	// Index is the card's position in the page's data array (0 for a
	// single read).
	Index int
	// ID and PersonID are the card's "id" and "personId" when they can be
	// read as strings of letters, digits, '-' and '_' (at most 128 bytes)
	// from its JSON, even though the card as a whole does not decode;
	// empty otherwise.
	ID, PersonID string
	// Excerpt is the start of the card's JSON: at most [MaxExcerpt] bytes,
	// made valid UTF-8 ("?" for invalid bytes), with the client's API key
	// scrubbed.
	Excerpt string
	// Err is the decoding error.
	Err error
}

// Error names the card and the decoding problem, without the card's
// content (the message is cut at 300 bytes).
func (e *CardDecodeError) Error() string {
	var b strings.Builder
	b.WriteString("sansan: card")
	switch {
	case e.ID != "":
		b.WriteString(" " + e.ID)
		if e.PersonID != "" {
			b.WriteString(" (person " + e.PersonID + ")")
		}
	case e.PersonID != "":
		b.WriteString(" of person " + e.PersonID)
	default:
		fmt.Fprintf(&b, " #%d of the page (no readable id)", e.Index)
	}
	b.WriteString(" cannot be decoded: ")
	b.WriteString(cut(e.Err.Error(), 300))
	return b.String()
}

// Is matches [ErrUndecodableCard].
func (e *CardDecodeError) Is(target error) bool { return target == ErrUndecodableCard }

// Unwrap returns the decoding error.
func (e *CardDecodeError) Unwrap() error { return e.Err }

// ErrResponseTooLarge matches a [*ResponseTooLargeError]: a successful
// response whose body exceeds the client's size cap ([WithMaxResponseSize],
// [DefaultMaxResponseSize] by default).
var ErrResponseTooLarge = errors.New("sansan: response too large")

// CardRef names a card without its content.
type CardRef struct {
	// ID and PersonID are read leniently from the start of the card's
	// JSON (its first 4 KiB), as for [CardDecodeError]; empty when they
	// cannot be read there.
	ID, PersonID string
}

// ResponseTooLargeError reports a successful response over the client's
// size cap. Its body is never decoded or kept: a page of cards over the cap
// delivers none of them. It matches [ErrResponseTooLarge].
//
// For a card list page ([BizCardsService.List], [BizCardsService.Search])
// the client still reads the body to its end (up to four times the cap),
// keeping only the start of each card and the paging members: when Scanned
// is true, Cards names every card of the page and HasMore and
// NextPageToken are the page's. A caller can then ask for the same page
// again with a smaller Limit (same NextPageToken) to get the cards that
// fit, and step past a single card that alone exceeds the cap with
// NextPageToken.
type ResponseTooLargeError struct {
	// Method and URL identify the request; URL has no query.
	Method, URL string
	// Limit is the cap in bytes.
	Limit int64
	// Scanned reports that a card list page was read to its end: Cards,
	// HasMore and NextPageToken are then known.
	Scanned bool
	// Cards are the page's cards, in order.
	Cards []CardRef
	// HasMore and NextPageToken are the page's paging state, as
	// [Response] would have them.
	HasMore       bool
	NextPageToken string
}

// Error implements error. It does not repeat the page token.
func (e *ResponseTooLargeError) Error() string {
	s := fmt.Sprintf("sansan: %s %s: response body over the %d-byte limit", e.Method, e.URL, e.Limit)
	if e.Scanned {
		s += fmt.Sprintf(" (a page of %d cards)", len(e.Cards))
	}
	return s
}

// Is matches [ErrResponseTooLarge].
func (e *ResponseTooLargeError) Is(target error) bool { return target == ErrResponseTooLarge }

// maxScannedCards bounds the cards of a page the envelope scanner accepts
// (pages hold at most MaxLimit).
const maxScannedCards = 10 * MaxLimit

// refBytes is how much of each card of an oversized page is kept to read
// its ids.
const refBytes = 4 << 10

// cardEntry is one card of a page in page order: decoded, or not.
type cardEntry struct {
	card *BizCard
	bad  *CardDecodeError
}

// cardPageBody decodes a card list page: the envelope first, then each card
// on its own, so one card that does not decode leaves the others.
type cardPageBody struct {
	limit  int64
	redact func(string) string

	entries []cardEntry
	hasMore *bool
	next    *string

	// over and overErr are what ScanOversized found.
	over    *envelopeScan
	overErr error
}

// DecodeBody implements apiclient.BodyDecoder.
func (p *cardPageBody) DecodeBody(data []byte) error {
	var env struct {
		Data          []json.RawMessage `json:"data"`
		HasMore       *bool             `json:"hasMore"`
		NextPageToken *string           `json:"nextPageToken"`
	}
	var cards [][]byte
	if err := apiclient.DecodeJSON(data, &env); err == nil {
		cards = make([][]byte, len(env.Data))
		for i, c := range env.Data {
			cards[i] = c
		}
	} else {
		// encoding/json refuses the whole body when one card is not JSON
		// or nests deeper than it allows; if the envelope around the cards
		// is sound, the other cards are still decodable.
		var se *json.SyntaxError
		if !errors.As(err, &se) {
			return err
		}
		sc, serr := scanEnvelope(bytes.NewReader(data), "data", scanLimits{elemCap: -1, memberCap: -1, maxElems: maxScannedCards})
		if serr != nil {
			return err
		}
		if raw, ok := sc.member("hasMore"); ok && json.Unmarshal(raw, &env.HasMore) != nil {
			return err
		}
		if raw, ok := sc.member("nextPageToken"); ok && json.Unmarshal(raw, &env.NextPageToken) != nil {
			return err
		}
		for _, e := range sc.elems {
			cards = append(cards, e.raw)
		}
	}
	p.hasMore, p.next = env.HasMore, env.NextPageToken
	p.entries = make([]cardEntry, 0, len(cards))
	for i, raw := range cards {
		if string(raw) == "null" {
			continue // a null card is no card
		}
		c, err := decodeCard(raw)
		if err != nil {
			p.entries = append(p.entries, cardEntry{bad: newCardDecodeError(i, raw, err, p.redact)})
			continue
		}
		p.entries = append(p.entries, cardEntry{card: c})
	}
	return nil
}

// ScanOversized implements apiclient.OversizeScanner: it reads the body to
// its end (at most four times the cap), keeping the start of each card and
// the paging members.
func (p *cardPageBody) ScanOversized(body io.Reader) {
	p.over, p.overErr = scanEnvelope(bufio.NewReaderSize(body, 64<<10), "data", scanLimits{
		elemCap: refBytes, memberCap: 1 << 20, maxElems: maxScannedCards, maxBytes: 4 * p.limit,
	})
}

// fill completes e with what the scan of its body found.
func (p *cardPageBody) fill(e *ResponseTooLargeError) {
	if p.over == nil || p.overErr != nil {
		return
	}
	var hasMore *bool
	var next *string
	if raw, ok := p.over.member("hasMore"); ok && json.Unmarshal(raw, &hasMore) != nil {
		return
	}
	if raw, ok := p.over.member("nextPageToken"); ok && json.Unmarshal(raw, &next) != nil {
		return
	}
	e.Scanned = true
	e.HasMore, e.NextPageToken = paging(hasMore, next)
	for _, c := range p.over.elems {
		if string(c.raw) == "null" {
			continue
		}
		id, person := lenientIDs(c.raw)
		e.Cards = append(e.Cards, CardRef{ID: id, PersonID: person})
	}
}

// paging is the paging state of a list page: a page without "hasMore" has
// more when it carries a token, and the token of the last page is dropped.
func paging(hasMore *bool, next *string) (bool, string) {
	token := ""
	if next != nil {
		token = *next
	}
	more := token != ""
	if hasMore != nil {
		more = *hasMore
	}
	if !more {
		token = ""
	}
	return more, token
}

// getCards fetches one page of a card list endpoint. Cards that do not
// decode are entries of their own, in page order.
func (c *Client) getCards(ctx context.Context, path string, q url.Values) ([]cardEntry, *Response, error) {
	out := &cardPageBody{limit: c.maxBody, redact: c.api.Redact}
	resp, err := c.do(ctx, apiclient.Call{Method: http.MethodGet, Path: path, Query: q, Out: out})
	if err != nil {
		var tl *ResponseTooLargeError
		if errors.As(err, &tl) {
			out.fill(tl)
		}
		return nil, resp, pageTokenError(err, q.Get("nextPageToken"))
	}
	resp.HasMore, resp.NextPageToken = paging(out.hasMore, out.next)
	for _, e := range out.entries {
		if e.bad != nil {
			resp.Undecodable = append(resp.Undecodable, e.bad)
		}
	}
	return out.entries, resp, nil
}

// listCards is getCards for the page methods: the decoded cards, with the
// undecodable ones in the Response.
func (c *Client) listCards(ctx context.Context, path string, q url.Values) ([]*BizCard, *Response, error) {
	entries, resp, err := c.getCards(ctx, path, q)
	if err != nil {
		return nil, resp, err
	}
	cards := make([]*BizCard, 0, len(entries))
	for _, e := range entries {
		if e.card != nil {
			cards = append(cards, e.card)
		}
	}
	return cards, resp, nil
}

// paginateCards is the iterator of a card list: like apiclient.Paginate,
// except that an undecodable card is yielded as (nil, *CardDecodeError) in
// its place and iteration goes on.
func paginateCards(ctx context.Context, start string, fetch func(ctx context.Context, token string) ([]cardEntry, *Response, error)) iter.Seq2[*BizCard, error] {
	return func(yield func(*BizCard, error) bool) {
		token := start
		for {
			entries, resp, err := fetch(ctx, token)
			if err != nil {
				yield(nil, err)
				return
			}
			for _, e := range entries {
				var ok bool
				if e.bad != nil {
					ok = yield(nil, e.bad)
				} else {
					ok = yield(e.card, nil)
				}
				if !ok {
					return
				}
			}
			if resp.NextPageToken == "" || resp.NextPageToken == token {
				return
			}
			token = resp.NextPageToken
		}
	}
}

// decodeCard decodes one card's JSON, which it keeps as the card's Raw.
func decodeCard(raw []byte) (*BizCard, error) {
	c := new(BizCard)
	if err := c.decode(raw, raw); err != nil {
		return nil, err
	}
	return c, nil
}

func newCardDecodeError(index int, raw []byte, err error, redact func(string) string) *CardDecodeError {
	id, person := lenientIDs(raw)
	e := &CardDecodeError{Index: index, ID: id, PersonID: person, Excerpt: excerpt(raw), Err: err}
	if redact != nil {
		e.Excerpt = redact(e.Excerpt)
		if msg := err.Error(); redact(msg) != msg {
			e.Err = errors.New(redact(msg))
		}
	}
	return e
}

// itemBody decodes a single-object response ({"item": {...}}, or the bare
// object) with decode, which receives the object's JSON. A body that
// encoding/json refuses as a whole (a card nested too deep) is split by the
// envelope scanner, so the card's own decoding says what is wrong.
type itemBody struct {
	decode func(raw []byte) error
}

// DecodeBody implements apiclient.BodyDecoder.
func (b *itemBody) DecodeBody(data []byte) error {
	var env struct {
		Item json.RawMessage `json:"item"`
	}
	err := apiclient.DecodeJSON(data, &env)
	if err != nil {
		var se *json.SyntaxError
		if !errors.As(err, &se) {
			return err
		}
		sc, serr := scanEnvelope(bytes.NewReader(data), "", scanLimits{elemCap: -1, memberCap: -1})
		if serr != nil {
			return err
		}
		raw, ok := sc.member("item")
		if !ok {
			return b.decode(bytes.TrimSpace(data))
		}
		env.Item = raw
	}
	switch {
	case len(env.Item) == 0:
		return b.decode(bytes.TrimSpace(data))
	case string(env.Item) == "null":
		return errors.New("sansan: response item is null")
	}
	return b.decode(env.Item)
}

// cardItem returns an itemBody that decodes a card into *dst, or fails
// with a *CardDecodeError.
func (c *Client) cardItem(dst **BizCard) *itemBody {
	return &itemBody{decode: func(raw []byte) error {
		card, err := decodeCard(bytes.Clone(raw))
		if err != nil {
			return newCardDecodeError(0, raw, err, c.api.Redact)
		}
		*dst = card
		return nil
	}}
}

// singleCardError returns the *CardDecodeError inside err, if any: a single
// read reports it as is (it names the card), not wrapped in the request.
func singleCardError(err error) error {
	var cde *CardDecodeError
	if errors.As(err, &cde) {
		return cde
	}
	return err
}

// lenientIDs reads a card's "id" and "personId" from its JSON (possibly
// cut short) without decoding the rest: whatever can be read before the
// first problem. Names match as encoding/json matches them; the last of
// repeated members wins.
func lenientIDs(raw []byte) (id, personID string) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return "", ""
	}
	idKey, personKey := foldName("id"), foldName("personId")
	for {
		tok, err := dec.Token()
		if err != nil {
			return id, personID
		}
		key, ok := tok.(string)
		if !ok {
			return id, personID // the closing brace
		}
		tok, err = dec.Token()
		if err != nil {
			return id, personID
		}
		switch v := tok.(type) {
		case json.Delim:
			for depth := 1; depth > 0; {
				t, err := dec.Token()
				if err != nil {
					return id, personID
				}
				if d, ok := t.(json.Delim); ok {
					if d == '{' || d == '[' {
						depth++
					} else {
						depth--
					}
				}
			}
		case string:
			if !plausibleID(v) {
				continue
			}
			switch foldName(key) {
			case idKey:
				id = v
			case personKey:
				personID = v
			}
		}
	}
}

// plausibleID accepts ids that can name a card or person in a path and a
// store: 1 to 128 letters, digits, '-' and '_' (Sansan's are 32
// upper-case hex characters).
func plausibleID(s string) bool {
	if s == "" || len(s) > 128 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// excerpt is the start of raw, at most MaxExcerpt bytes, cut at a rune
// boundary, as valid UTF-8.
func excerpt(raw []byte) string {
	if len(raw) > MaxExcerpt {
		n := MaxExcerpt
		for n > MaxExcerpt-utf8.UTFMax && !utf8.RuneStart(raw[n]) {
			n--
		}
		raw = raw[:n]
	}
	return strings.ToValidUTF8(string(raw), "?")
}

// cut shortens s to at most n bytes at a rune boundary, marking the cut.
func cut(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}
