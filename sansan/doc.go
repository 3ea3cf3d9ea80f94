// Package sansan is a typed client for the Sansan Open API, the business-card
// service's REST API.
//
// Create one [Client] per API key and reach the API through its services:
//
//	c, err := sansan.NewClient(os.Getenv("SANSAN_API_KEY"))
//	if err != nil { ... }
//	me, _, err := c.Users.Me(ctx)                        // GET /me
//	for card, err := range c.BizCards.ListIter(ctx, &sansan.ListBizCardsOptions{
//		UpdatedFrom: since, UpdatedTo: time.Now(),
//		CardListOptions: sansan.CardListOptions{
//			Range:       sansan.RangeAll, // default is only the key owner's cards
//			EntryStatus: []sansan.EntryStatus{sansan.EntryStatusCompleted},
//			IncludeTags: true,
//			ListOptions: sansan.ListOptions{Limit: sansan.MaxLimit},
//		},
//	}) {
//		if err != nil { ... }
//		fmt.Println(card.ID, sansan.Deref(card.CompanyName))
//	}
//
// [BizCardsService] lists cards by update window ([BizCardsService.List]),
// searches them ([BizCardsService.Search]), reads one card, its image and its
// tags, and registers cards from structured data ([BizCardsService.Register]).
// [PersonsService.Get] returns a person with their head card,
// [TagsService.List] lists tags and [UsersService.Me] returns the key owner.
//
// The models follow the wire format: every text field of a [BizCard] is a
// *string (nil for JSON null), times keep their +09:00 offset, the exchange
// date is a civil [Date] that no time zone can shift, unknown fields are
// ignored and [BizCard.Raw] keeps each card's JSON for fields added later.
//
// The API version is part of the base URL ([DefaultBaseURL] is v3.2); pin
// another with [WithBaseURL] or [WithAPIVersion], and one per endpoint
// family with [WithEndpointVersion].
//
// # What is known, and on what evidence
//
// Sansan publishes little, so some defaults rest on public code that calls
// the API rather than on documentation:
//
//   - Versions: old versions stay reachable, but an endpoint can be missing
//     from a version (404). Card list, search and reads, persons, tags and
//     /me are seen on v3.1 and v3.2 in several projects, so every family
//     defaults to the base URL's v3.2. Card registration (POST /bizCards)
//     is sent to v3.2 too, but that is unproven: the only public code that
//     registers cards uses /v6.0/bizCards. A 404 on registration is an
//     [*UnsupportedVersionError] ([ErrUnsupportedVersion], never retried,
//     never skipped), and [BizCardsService.CheckRegister] finds out before
//     anything is written; WithEndpointVersion(EndpointRegisterBizCard,
//     "v6.0") is then the fix the evidence points to.
//   - Registration length limits (names 250, postal code 10, memo 2000)
//     come from one client only: they are warnings
//     ([RegisterBizCardRequest.Warnings], logged), not refusals.
//   - Page sizes: cards up to 300 ([MaxLimit], several sources); tags 100
//     ([MaxTagLimit]): the public code caps tags at 100, the evidence for
//     300 is older.
//   - 429: no Retry-After header. One public client reads a retry_after
//     field in the body, which is honoured; Sansan's kintone plugin tells
//     users to wait five minutes, hence the growing wait (see below).
//   - nextPageToken lifetime is not documented. A token the server refuses
//     (400 or 404 when sent) is reported as [ErrPageTokenExpired], so a
//     caller resuming from a stored token can restart that window from its
//     checkpoint instead of failing.
//
// # Options
//
// [NewClient] takes the options package hubspot has too, with the same
// names, validation and defaults (both are built from one kit):
// [WithBaseURL], [WithInsecureBaseURL] (plain http on a non-loopback host;
// WithInsecureHTTP is its deprecated former name), [WithHTTPClient] (copied,
// never modified; a zero Timeout becomes [DefaultTimeout]), [WithTimeout],
// [WithRateLimit], [WithRetry] (zero fields of the [RetryPolicy] mean the
// default), [WithLogger], [WithUserAgent], [WithSleep] and
// [WithRetryHook]. Sansan has no separate search limit, so there is no
// WithSearchRateLimit. [WithAppID] and [WithMaxResponseSize] are Sansan's
// own.
//
// # Authentication
//
// Sansan issues one API key per user, in the admin screen (外部サービス連携 >
// API). The key's owner's permissions decide what the API returns: to read
// every card of the company with [RangeAll], the owner must be allowed to
// see every card. [NewClient] rejects an empty or malformed key at once. The
// key is sent only in the X-Sansan-Api-Key header, set on a clone of each
// request; it never appears in URLs, and it is scrubbed from errors and log
// records should a transport or server echo it. Partner applications also
// send X-Sansan-App-Id, set with [WithAppID]; without it the header is
// omitted. Redirects to another host are refused so the key cannot follow.
//
// # Pagination
//
// Every list has a page method and an iterator. The page method
// ([BizCardsService.List], [BizCardsService.Search], [BizCardsService.Tags],
// [TagsService.List]) returns one page and a [Response] whose NextPageToken
// (empty on the last page) is passed back in the options' NextPageToken;
// callers that must resume after a crash checkpoint that token. The Iter
// methods ([BizCardsService.ListIter] and friends) return an
// iter.Seq2[*T, error] that requests pages lazily, stops requesting when the
// loop breaks, and yields at most one error, after which it ends (except
// for undecodable cards, below). Cards are paged 300 at a time at most
// ([MaxLimit]), tags 100 ([MaxTagLimit]). The options of the filtered lists
// embed [CardListOptions] or [ListOptions], as go-github's options embed
// its ListOptions.
//
// # Cards that do not decode, and responses that are too large
//
// A card list page is decoded card by card: the envelope ({"data": [...],
// "hasMore", "nextPageToken"}) first, then each card on its own, once. A
// card with a field of the wrong type (an object as memo, a number as a
// name), a time that does not parse, JSON nested deeper than Go's decoder
// allows, or that is not JSON at all, does not fail its page: the page
// method returns the other cards and lists the bad one in
// [Response.Undecodable] as a [*CardDecodeError] (its position, its id
// and personId when they can still be read, the decoding error and a
// short excerpt, never the whole card). The iterators yield it in its
// place as (nil, *CardDecodeError) and go on, so a caller skips it with
// errors.As or stops. A single read of such a card ([BizCardsService.Get],
// [PersonsService.Get]) returns the *CardDecodeError. All match
// [ErrUndecodableCard]. A page whose envelope is broken (an HTML page, a
// body cut short, hasMore of the wrong type) still fails as a whole.
//
// A successful body larger than [WithMaxResponseSize] (32 MiB by default,
// [DefaultMaxResponseSize]) is not decoded: the call fails with a
// [*ResponseTooLargeError] matching [ErrResponseTooLarge]. For a card list
// page the client reads the rest of the body as a stream without keeping
// it, so the error names the page's cards (ids from their first bytes) and
// carries its next token: ask for the same page with a smaller Limit to get
// the cards that fit, and step past a card that alone exceeds the cap.
//
// # Rate limits and retries
//
// Sansan publishes no rate limit and sends no rate-limit or Retry-After
// headers; public reports range from 300 requests per minute to 10 per
// second per key. The client therefore paces itself with a token bucket of
// [DefaultRateLimit] (5 requests per second, no burst), awaited before every
// attempt, retries included; change it with [WithRateLimit].
//
// Failed attempts are retried per [RetryPolicy] ([DefaultRetryPolicy]: 4
// attempts) with full-jitter exponential backoff. A single 429 waits
// RetryPolicy.RateLimitWait (30 s by default) because the server does not
// say when the limit resets; consecutive 429s wait twice as long each time
// up to RetryPolicy.RateLimitMaxWait (5 min: Sansan's own kintone plugin
// tells users to wait five minutes after a 429), and a retry_after field in
// the 429 body (read by one public client; not documented) is honoured when
// longer. [WithRetryHook] reports every wait, e.g. to a sync report.
// Network errors and 5xx responses are retried
// for GET requests only, so POST /bizCards is never replayed after the
// server may have acted on it. Other 4xx responses are final. A cancelled
// context ends the wait at once with ctx.Err().
//
// # Errors
//
// A non-2xx response is an [*ErrorResponse] with the status, the message and
// codes of Sansan's {"statusCode", "message", "error": [{"code"}]} body, and
// the raw body. It matches [ErrBadRequest], [ErrUnauthorized],
// [ErrNotFound] and [ErrRateLimited] with errors.Is:
//
//	card, _, err := c.BizCards.Get(ctx, id)
//	switch {
//	case errors.Is(err, sansan.ErrNotFound): // deleted or not visible
//	case errors.Is(err, sansan.ErrUnauthorized): // bad or revoked key
//	}
//
// Requests the client refuses to send (a missing required option, an empty
// id) fail with [ErrInvalidArgument] before any I/O. Methods return the
// [Response] even with an error when one was received.
package sansan
