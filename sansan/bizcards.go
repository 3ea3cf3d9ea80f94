package sansan

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"iter"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/cardbridge/sansanhubspot/internal/apiclient"
)

// BizCardsService reads and registers business cards.
type BizCardsService service

// CardListOptions are the options card listing and card search share,
// embedded in [ListBizCardsOptions] and [SearchBizCardsOptions] (the pattern
// of go-github's ListOptions). All are optional.
type CardListOptions struct {
	// Range selects whose cards: the server's default is [RangeMe], only
	// the key owner's; use [RangeAll] for every card the owner may see.
	Range Range
	// EntryStatus filters by digitization state; several values are ORed.
	EntryStatus []EntryStatus
	// IncludePastBizCards also returns older cards of the same person
	// (by default only each person's latest card is returned).
	IncludePastBizCards bool
	// IncludeTags fills each card's Tags.
	IncludeTags bool
	// OrderBy is the sort key.
	OrderBy OrderBy
	// OrderDirection is the sort direction.
	OrderDirection OrderDirection

	// ListOptions is the page size (at most [MaxLimit]) and the token of
	// the page to continue from.
	ListOptions
}

// encode adds the shared options to q.
func (o *CardListOptions) encode(q url.Values) error {
	setString(q, "range", o.Range)
	addAll(q, "entryStatus", o.EntryStatus)
	setBool(q, "includePastBizCards", o.IncludePastBizCards)
	setBool(q, "includeTags", o.IncludeTags)
	setString(q, "orderBy", o.OrderBy)
	setString(q, "orderDirection", o.OrderDirection)
	return o.ListOptions.encode(q, MaxLimit)
}

// ListBizCardsOptions selects the cards of [BizCardsService.List]: those
// updated in [UpdatedFrom, UpdatedTo], which are required.
type ListBizCardsOptions struct {
	// UpdatedFrom is the start of the update window (required). It is sent
	// in JST to the second, e.g. 2024-04-01T09:00:00+09:00.
	UpdatedFrom time.Time
	// UpdatedTo is the end of the update window (required, after UpdatedFrom).
	UpdatedTo time.Time

	CardListOptions
}

func (o *ListBizCardsOptions) clone() ListBizCardsOptions {
	if o == nil {
		return ListBizCardsOptions{}
	}
	c := *o
	c.EntryStatus = slices.Clone(o.EntryStatus)
	return c
}

func (o *ListBizCardsOptions) values() (url.Values, error) {
	if o == nil {
		return nil, invalid("options with UpdatedFrom and UpdatedTo are required")
	}
	if o.UpdatedFrom.IsZero() || o.UpdatedTo.IsZero() {
		return nil, invalid("UpdatedFrom and UpdatedTo are required")
	}
	if !o.UpdatedTo.Truncate(time.Second).After(o.UpdatedFrom.Truncate(time.Second)) {
		return nil, invalid("UpdatedTo must be at least one second after UpdatedFrom")
	}
	q := url.Values{}
	q.Set("updatedFrom", formatQueryTime(o.UpdatedFrom))
	q.Set("updatedTo", formatQueryTime(o.UpdatedTo))
	if err := o.CardListOptions.encode(q); err != nil {
		return nil, err
	}
	return q, nil
}

// List returns one page of the cards updated in the window of opts. The
// returned Response carries the token of the next page, which callers that
// checkpoint their progress store; [BizCardsService.ListIter] walks all pages.
//
// Each card is decoded on its own: a card that does not decode (a field of
// the wrong type, say) is left out of the cards returned and listed in
// [Response.Undecodable] as a [*CardDecodeError], and the call succeeds
// with the others. A page over the client's size cap fails with a
// [*ResponseTooLargeError] ([ErrResponseTooLarge]) that names the page's
// cards and carries its next token, so the caller can ask again with a
// smaller Limit.
//
// Sansan API docs: GET /bizCards
func (s *BizCardsService) List(ctx context.Context, opts *ListBizCardsOptions) ([]*BizCard, *Response, error) {
	q, err := opts.values()
	if err != nil {
		return nil, nil, err
	}
	return s.client.listCards(ctx, "bizCards", q)
}

// ListIter returns an iterator over every card of [BizCardsService.List],
// starting at opts.NextPageToken. It sends no request until ranged over,
// copies opts (later changes have no effect) and stops requesting as soon
// as the loop breaks.
//
// A card that does not decode is yielded in its place as (nil, err) with a
// [*CardDecodeError], and iteration goes on with the next card: skip it
// with errors.As (see [CardDecodeError]) or stop. Any other error is
// yielded once and ends the iteration.
//
// Sansan API docs: GET /bizCards
func (s *BizCardsService) ListIter(ctx context.Context, opts *ListBizCardsOptions) iter.Seq2[*BizCard, error] {
	base := opts.clone()
	return paginateCards(ctx, base.NextPageToken, func(ctx context.Context, token string) ([]cardEntry, *Response, error) {
		o := base
		o.NextPageToken = token
		q, err := o.values()
		if err != nil {
			return nil, nil, err
		}
		return s.client.getCards(ctx, "bizCards", q)
	})
}

// SearchBizCardsOptions are the conditions of [BizCardsService.Search]. All
// are optional and combine with AND; no condition with [RangeAll] returns
// every visible card.
type SearchBizCardsOptions struct {
	// CompanyName matches part of the company name.
	CompanyName string
	// Name matches the start of the full name (last name then first name,
	// written without a space).
	Name string
	// Email matches the e-mail address exactly.
	Email string
	// Tel matches part of the phone number (digits and hyphens).
	Tel string
	// Mobile matches part of the mobile number.
	Mobile string
	// TagIDs selects cards with any of these tags.
	TagIDs []string

	CardListOptions
}

func (o *SearchBizCardsOptions) clone() SearchBizCardsOptions {
	if o == nil {
		return SearchBizCardsOptions{}
	}
	c := *o
	c.TagIDs = slices.Clone(o.TagIDs)
	c.EntryStatus = slices.Clone(o.EntryStatus)
	return c
}

func (o *SearchBizCardsOptions) values() (url.Values, error) {
	q := url.Values{}
	if o == nil {
		return q, nil
	}
	setString(q, "companyName", o.CompanyName)
	setString(q, "name", o.Name)
	setString(q, "email", o.Email)
	setString(q, "tel", o.Tel)
	setString(q, "mobile", o.Mobile)
	addAll(q, "tagId", o.TagIDs)
	if err := o.CardListOptions.encode(q); err != nil {
		return nil, err
	}
	return q, nil
}

// Search returns one page of the cards matching opts (nil = no condition).
// Cards that do not decode, and pages over the size cap, are reported as
// by [BizCardsService.List].
//
// Sansan API docs: GET /bizCards/search
func (s *BizCardsService) Search(ctx context.Context, opts *SearchBizCardsOptions) ([]*BizCard, *Response, error) {
	q, err := opts.values()
	if err != nil {
		return nil, nil, err
	}
	return s.client.listCards(ctx, "bizCards/search", q)
}

// SearchIter returns an iterator over every card of [BizCardsService.Search],
// with the same laziness and error rules as [BizCardsService.ListIter]
// (an undecodable card is yielded as a [*CardDecodeError] and iteration
// goes on).
//
// Sansan API docs: GET /bizCards/search
func (s *BizCardsService) SearchIter(ctx context.Context, opts *SearchBizCardsOptions) iter.Seq2[*BizCard, error] {
	base := opts.clone()
	return paginateCards(ctx, base.NextPageToken, func(ctx context.Context, token string) ([]cardEntry, *Response, error) {
		o := base
		o.NextPageToken = token
		q, err := o.values()
		if err != nil {
			return nil, nil, err
		}
		return s.client.getCards(ctx, "bizCards/search", q)
	})
}

// GetOptions are the options of the single reads [BizCardsService.Get] and
// [PersonsService.Get]. They are passed variadically so that calls without
// them stay as they were; at most one is used.
type GetOptions struct {
	// IncludeTags fills the card's Tags (includeTags=true; public code
	// sends it on these reads as on lists).
	IncludeTags bool
}

// getQuery encodes the first of opts.
func getQuery(opts []GetOptions) url.Values {
	if len(opts) == 0 || !opts[0].IncludeTags {
		return nil
	}
	return url.Values{"includeTags": {"true"}}
}

// Get returns the card with the given id; with [GetOptions.IncludeTags] its
// Tags are filled. An unknown id is an error matching [ErrNotFound]; a card
// that does not decode is a [*CardDecodeError] ([ErrUndecodableCard]), and
// one over the size cap a [*ResponseTooLargeError].
//
// Sansan API docs: GET /bizCards/{id}
func (s *BizCardsService) Get(ctx context.Context, id string, opts ...GetOptions) (*BizCard, *Response, error) {
	path, err := pathFor("bizCards/%s", id)
	if err != nil {
		return nil, nil, err
	}
	var card *BizCard
	resp, err := s.client.do(ctx, apiclient.Call{Method: http.MethodGet, Path: path, Query: getQuery(opts), Out: s.client.cardItem(&card)})
	if err != nil {
		return nil, resp, singleCardError(err)
	}
	return card, resp, nil
}

// ImageSide selects the side of a card image.
type ImageSide string

// Image sides.
const (
	// SideFront is the front of the card (the server's default).
	SideFront ImageSide = "front"
	// SideBack is the back of the card.
	SideBack ImageSide = "back"
)

// ImageOptions are the options of [BizCardsService.Image].
type ImageOptions struct {
	// Side selects front or back; empty leaves the server's default
	// (front).
	Side ImageSide
}

// Image returns the image of the card with the given id (JPEG bytes), the
// front unless [ImageOptions.Side] says otherwise (at most one
// ImageOptions is used). A successful response that is not an image (for
// example JSON) is an error.
//
// Sansan API docs: GET /bizCards/{id}/image
func (s *BizCardsService) Image(ctx context.Context, id string, opts ...ImageOptions) ([]byte, *Response, error) {
	path, err := pathFor("bizCards/%s/image", id)
	if err != nil {
		return nil, nil, err
	}
	var q url.Values
	if len(opts) > 0 && opts[0].Side != "" {
		if opts[0].Side != SideFront && opts[0].Side != SideBack {
			return nil, nil, invalid("image side %q is neither front nor back", string(opts[0].Side))
		}
		q = url.Values{"side": {string(opts[0].Side)}}
	}
	var buf bytes.Buffer
	resp, err := s.client.do(ctx, apiclient.Call{
		Method: http.MethodGet,
		Path:   path,
		Query:  q,
		Header: http.Header{"Accept": {"image/*"}},
		Out:    &buf,
	})
	if err != nil {
		return nil, resp, err
	}
	if ct := resp.Header.Get("Content-Type"); ct != "" {
		mt, _, _ := mime.ParseMediaType(ct)
		if !strings.HasPrefix(mt, "image/") && mt != "application/octet-stream" {
			return nil, resp, fmt.Errorf("sansan: GET %s: expected an image, got content type %q", path, mt)
		}
	}
	return buf.Bytes(), resp, nil
}

// Tags returns one page of the tags attached to the card with the given id
// (opts may be nil; its Limit is at most [MaxTagLimit]).
//
// Sansan API docs: GET /bizCards/{id}/tags
func (s *BizCardsService) Tags(ctx context.Context, id string, opts *ListOptions) ([]*Tag, *Response, error) {
	path, err := pathFor("bizCards/%s/tags", id)
	if err != nil {
		return nil, nil, err
	}
	q := url.Values{}
	if opts != nil {
		if err := opts.encode(q, MaxTagLimit); err != nil {
			return nil, nil, err
		}
	}
	return getPage[Tag](ctx, s.client, path, q)
}

// TagsIter returns an iterator over every tag of the card with the given id,
// with the same rules as [BizCardsService.ListIter].
//
// Sansan API docs: GET /bizCards/{id}/tags
func (s *BizCardsService) TagsIter(ctx context.Context, id string, opts *ListOptions) iter.Seq2[*Tag, error] {
	var base ListOptions
	if opts != nil {
		base = *opts
	}
	return paginate(ctx, base.NextPageToken, func(ctx context.Context, token string) ([]*Tag, *Response, error) {
		o := base
		o.NextPageToken = token
		return s.Tags(ctx, id, &o)
	})
}

// validate refuses a request that cannot be registered: one without any of
// CompanyName, LastName and FirstName, more than 15 tag ids, or an empty
// one. Length limits are not refused (see [RegisterBizCardRequest.Warnings]).
func (r *RegisterBizCardRequest) validate() error {
	if r == nil {
		return invalid("register request is nil")
	}
	if runeLen(r.CompanyName) == 0 && runeLen(r.LastName) == 0 && runeLen(r.FirstName) == 0 {
		return invalid("one of CompanyName, LastName and FirstName is required")
	}
	if len(r.TagIDs) > 15 {
		return invalid("%d tag ids, more than 15", len(r.TagIDs))
	}
	if slices.Contains(r.TagIDs, "") {
		return invalid("empty tag id")
	}
	return nil
}

// Warnings returns the fields of r longer than the limits one public
// client of POST /bizCards applies (LastName and FirstName 250 characters,
// PostalCode 10, Memo 2000; the MCP server [S-MCP-TS], the only source).
// They are warnings, not refusals, until Sansan's own limits are confirmed:
// [BizCardsService.Register] sends the request anyway and logs them.
func (r *RegisterBizCardRequest) Warnings() []string {
	if r == nil {
		return nil
	}
	limits := []struct {
		name string
		v    *string
		max  int
	}{
		{"LastName", r.LastName, 250},
		{"FirstName", r.FirstName, 250},
		{"PostalCode", r.PostalCode, 10},
		{"Memo", r.Memo, 2000},
	}
	var out []string
	for _, l := range limits {
		if n := runeLen(l.v); n > l.max {
			out = append(out, fmt.Sprintf("%s has %d characters, more than the %d one public client allows", l.name, n, l.max))
		}
	}
	return out
}

// Register creates a card from structured data (名刺データ登録API, which does
// not consume the digitization quota) and returns it as the server reports
// it. A request without a name or company, or with more than 15 tag ids, is
// refused before it is sent; fields over the lengths in
// [RegisterBizCardRequest.Warnings] are sent, with a warning logged. It is
// never retried after a network error or a 5xx, since the card may have been
// created; 429s, which the server refused, are retried.
//
// A 404 means the API version in use does not offer registration: the
// error is an [*UnsupportedVersionError] matching [ErrUnsupportedVersion]
// (see [WithEndpointVersion]), never retried.
//
// The response format is not documented: a {"item": card} envelope and a bare
// card are both accepted, and an empty body returns a nil card with no error.
// When the card was created but the body cannot be decoded, the error comes
// with the 2xx Response, so callers can tell not to register it again.
//
// Sansan API docs: POST /bizCards
func (s *BizCardsService) Register(ctx context.Context, req *RegisterBizCardRequest) (*BizCard, *Response, error) {
	if err := req.validate(); err != nil {
		return nil, nil, err
	}
	for _, w := range req.Warnings() {
		s.client.api.Logger().WarnContext(ctx, "sansan: register card: "+w)
	}
	var buf bytes.Buffer
	resp, err := s.client.do(ctx, apiclient.Call{Method: http.MethodPost, Path: "bizCards", Body: req, Out: &buf})
	if err != nil {
		return nil, resp, s.client.unsupported(EndpointRegisterBizCard, err)
	}
	if len(bytes.TrimSpace(buf.Bytes())) == 0 {
		return nil, resp, nil
	}
	var out item[BizCard]
	if err := apiclient.DecodeJSON(buf.Bytes(), &out); err != nil {
		return nil, resp, fmt.Errorf("sansan: POST bizCards: %w", err)
	}
	return &out.V, resp, nil
}

// CheckRegister tells, without registering anything, whether the API
// version in use offers card registration: it sends POST /bizCards with an
// empty body, which the endpoint refuses with 400 (no name or company, see
// [BizCardsService.Register]) when it exists. It returns nil then, an
// error matching [ErrUnsupportedVersion] on 404, and any other error as is
// (a 401 for a bad key, say). A sync engine calls it once before it
// registers cards. Should the endpoint ever accept the empty body (2xx),
// CheckRegister reports success as well.
//
// Sansan API docs: POST /bizCards
func (s *BizCardsService) CheckRegister(ctx context.Context) (*Response, error) {
	resp, err := s.client.do(ctx, apiclient.Call{Method: http.MethodPost, Path: "bizCards", Body: json.RawMessage(`{}`)})
	if err != nil && errors.Is(err, ErrBadRequest) {
		return resp, nil
	}
	if err != nil {
		return resp, s.client.unsupported(EndpointRegisterBizCard, err)
	}
	return resp, nil
}

// unsupported turns a 404 of ep into an *UnsupportedVersionError.
func (c *Client) unsupported(ep Endpoint, err error) error {
	var er *ErrorResponse
	if errors.As(err, &er) && er.StatusCode == http.StatusNotFound {
		return &UnsupportedVersionError{Endpoint: ep, Version: c.APIVersion(ep), Response: er}
	}
	return err
}
