// Package sansantest provides an in-process fake of the Sansan Open API
// (v3.2), in the spirit of [net/http/httptest]. It is used by the SDK's
// tests, benchmarks and offline demos; it is not a production server.
//
// The fake implements the wire format described in the project's
// sansan-api.md notes with its own structs (it deliberately does not import
// the sansan client package, so a misreading of the wire is not shared by
// both). Where the public material is silent, the fake makes a choice and
// documents it below; those choices are marked "choice".
//
// # Usage
//
//	srv := sansantest.NewTestServer(t, sansantest.WithClock(clock.Now))
//	srv.Fake.Seed(sansantest.GenerateOptions{Seed: 1, Cards: 5000})
//	admin := sansantest.DefaultUsers()[0]
//	c, err := sansan.NewClient(admin.APIKey, sansan.WithBaseURL(srv.URL))
//	...
//	srv.Fake.FailNext(2, http.StatusServiceUnavailable) // inject faults
//	n := srv.Fake.Requests()[sansantest.EndpointListBizCards]
//
// [Server.URL] is the base URL including the version path and a trailing
// slash ("http://127.0.0.1:PORT/v3.2/"). A [Fake] is also a plain
// [http.Handler] for use with httptest.NewRecorder or your own server; it
// serves paths under "/v3.2/" (see [WithVersion]) and answers 404 elsewhere.
//
// # Endpoints
//
//   - GET bizCards: card set by period. updatedFrom and updatedTo are
//     required and parsed strictly as RFC 3339 date-times with an offset
//     ("Z" or ±hh:mm). A raw "+" in the query decodes to a space and fails
//     with 400, which is the documented trap; send %2B (url.Values does).
//     updatedTo must be later than updatedFrom (400 otherwise; equal bounds
//     are rejected too, as "later than" reads). Bounds are inclusive.
//     range is me (default: only the key owner's cards) or all. entryStatus
//     is repeatable (entryStatus=a&entryStatus=b; a comma list is a 400) and
//     defaults to completed. includePastBizCards=false (default) returns only
//     each person's head card (see below). includeTags adds a "tags" array
//     (always present, possibly empty, when true; absent otherwise).
//     orderBy is updatedAt (default), registeredAt or completedAt;
//     orderDirection is desc (default, a choice: the docs give no default
//     for this endpoint) or asc. limit is 1–300, default 100; 0, 301 or a
//     non-number is a 400.
//   - GET bizCards/search: the same paging and filters, plus conditions that
//     combine with AND: name (prefix of lastName+firstName, no space
//     inserted, so "山田 太郎" does not match), companyName (partial),
//     email (exact, no trimming or case folding), tel and mobile (partial;
//     only digits and hyphens allowed, else 400), tagId (repeatable, any of).
//     orderBy is registeredAt (default) or updatedAt; direction defaults
//     to desc. No condition returns every visible card.
//   - GET bizCards/{id} → {"item": BizCard} (choice: the docs suggest the
//     "item" envelope seen on persons); includeTags supported.
//   - GET bizCards/{id}/image → the bytes of [CardImage], a small valid
//     JPEG, with Content-Type image/jpeg; side=front|back accepted.
//   - GET bizCards/{id}/tags → paged tags of the card (limit ≤ 100).
//   - POST bizCards → register card data. Content-Type must be
//     application/json; unknown fields are a 400 (choice, to catch typos);
//     at least one of companyName, lastName, firstName must be non-blank;
//     lastName/firstName ≤ 250, postalCode ≤ 10, memo ≤ 2000 characters;
//     exchangeDate must be YYYY-MM-DD; countryCode two capital letters or
//     "AUTO" (stored as "JP", also the default); tagIds ≤ 15, each an
//     existing tag visible to the caller. The card is owned by the caller,
//     gets entryStatus completed (the data API needs no digitization; see
//     [WithPostedEntryStatus]) and the response is 200 {"item": BizCard}
//     with tags (choice: the response is undocumented). Name matching
//     (名寄せ): a card with the same lastName+firstName and the same e-mail
//     (trimmed, case-insensitive) joins that card's person; the same
//     companyName reuses its companyId.
//   - GET persons/{id} → {"item": {"id", "headBizCard"}}; includeTags supported.
//   - GET tags: type repeatable (private, public, shared; default all),
//     range me (default, choice: consistent with cards; only the caller's
//     own tags) or all (the caller's private tags plus every public and
//     shared tag), ownerUserId, tagName (partial), limit ≤ 300.
//   - GET me → {"item": {"id", "name", "email"}}.
//
// Responses carry no rate-limit or other custom headers. Times are RFC 3339
// in +09:00 ([JST], a fixed zone: no tzdata needed); exchangeDate is a plain
// date; every nullable text field is rendered as JSON null when nil.
//
// # Errors
//
// Every error is JSON: {"statusCode": N, "message": "…", "error": [{"code":
// "…", "message": "…"}]}. Codes: InvalidParameter (400), Unauthorized (401,
// missing or unknown X-Sansan-Api-Key; checked before parameters),
// NotFound (404: unknown id, a card the caller may not see, or an unknown
// path, including one outside the version prefix), MethodNotAllowed (405),
// TooManyRequests (429, never with Retry-After), InjectedFault (any status
// injected by [Fake.FailNext]).
//
// # Visibility
//
// range=me covers the caller's own cards. range=all covers every card of
// the tenant for [User.Admin] users, and for other users their own cards
// plus the cards of the owners listed in [User.CanSee] (the fake's simple
// model of sharing). Single-card and person lookups use range=all
// visibility. Private tags are visible only to their owner, also inside a
// card's tags.
//
// The head card of a person is the card with the newest exchangeDate
// (a null date ranks lowest), then the newest registeredTime, then the
// larger id. With includePastBizCards=false a card is returned only if no
// other card of its person that passes the same range and entryStatus
// filters ranks above it — regardless of the update window, so an old card
// updated inside the window is not returned while its person's newer card
// exists. GET persons/{id} uses every card visible to the caller.
//
// # Pagination
//
// The first request of a listing evaluates the query once and freezes the
// ordered result as a snapshot of immutable card versions; nextPageToken
// (opaque, URL-safe) names the snapshot and an offset. Later pages slice the
// snapshot, so paging is stable while cards are updated, added or deleted
// between requests: every card of the snapshot is served exactly once, as it
// was when the first page was served (an updated card shows its old
// content; a deleted card is still served). Changes show up in the next
// listing. A token is bound to the endpoint, the API key's user and every
// query parameter except limit (which may change between pages): a
// follow-up that drops or changes a filter is a 400. A snapshot is released
// after its last page; at most 256 snapshots holding at most 4,000,000
// card references in total are kept ([WithMaxSnapshots]), oldest evicted
// first, and an evicted token answers 400. hasMore is false and
// nextPageToken absent on the last page.
//
// # Performance
//
// Cards are kept in a slice sorted by (updatedTime, id) that every mutation
// keeps valid (binary search, insert/delete; bulk loads sort once), so a
// period listing binary-searches its window instead of sorting the tenant.
// Building a snapshot is linear in the window (plus a sort of the matches for
// orderBy other than updatedAt); each page is then O(limit). Pages are
// encoded by hand rather than by reflection.
//
// BenchmarkListBizCards pages in-process through a 100,000-card tenant at
// 300 cards per page (334 pages, every card served). Measured on the 2-core
// build VM while other jobs shared it (load average 10–20, so figures are
// upper bounds and vary run to run): best run 0.83 s per full pass, i.e.
// 8.3 µs per card served (wall clock, including the recorder's copy of the
// body) and about 400 pages/s; a CPU profile attributes about 5 µs per card
// to the handler. Building a 100,000-card snapshot (first page) takes about
// 25 ms. [Fake.Seed] of 100,000 cards takes 1.1–2.9 s (BenchmarkSeed).
//
// # Rate limiting and faults
//
// [WithRateLimit] gives each API key a token bucket on the fake's clock
// (requests without a valid key share one); exhausted buckets answer 429
// with no Retry-After header. [Fake.FailNext] and [Fake.FailNextOn] answer
// the next n requests (of any or one endpoint) with a status and JSON body;
// [Fake.DropNext] and [Fake.DropNextOn] close the connection without a
// response (hijacking it; where hijacking is unavailable the handler panics
// with [http.ErrAbortHandler]). Injected faults apply before authentication
// and rate limiting. [WithLatency] delays every response.
//
// Broken data: [Fake.SetRawField] serves one member of a card verbatim in
// every response that renders it (an object as memo, a number as
// personId), [Fake.SetRawCard] serves a whole card verbatim (not a card,
// or nested deeper than decoders allow), and [Fake.ClearRaw] serves it as
// itself again without touching its update time, as when a server bug is
// fixed. [Fake.ServeEndlessPages] makes listings and searches never end:
// empty pages, each with hasMore and a fresh token of the given size.
//
// [Fake.Requests] counts every request by endpoint template (e.g.
// "GET /bizCards/{id}", see the Endpoint constants), including rejected,
// injected and dropped ones; unknown paths count under "METHOD (unmatched)".
//
// # Mutations
//
// [Fake.AddCard] fills an empty id, personId and companyId with 32
// upper-case hex characters and zero times from the clock. [Fake.UpdateCard]
// bumps updatedTime to the clock's now, or one second past the previous
// value if the clock has not moved. [Fake.TagCard] does not change
// updatedTime (choice: unknown whether tagging does on the real service).
// [Fake.DeleteCard] removes a card; no endpoint reports deletions, as on the
// real API.
//
// # Generated data
//
// [Generate] (and [Fake.Seed], which also adds the owners and tags) builds a
// deterministic data set from a seed with math/rand/v2 (PCG). Proportions,
// approximately, per card unless noted:
//
//   - persons: 70 % have one card, 20 % two, 10 % three (older cards share
//     the personId and have older exchange dates; 30 % of older cards are
//     from a previous employer);
//   - entryStatus: 95 % completed, 4 % processing, 1 % unreadable (the
//     latter two have null names, company, e-mail and contact fields);
//   - exchangeDate: spread uniformly over 2018–2025 (see From/To); 3 % null;
//     registeredTime 8 h to 8 days later; updatedTime equals registeredTime
//     for 60 %, a few minutes later for 10 %, up to a year later for 30 %;
//   - e-mail (completed cards): 8 % null, 5 % full-width
//     (ｔａｒｏ．ｙａｍａｄａ＠…), 5 % leading/trailing spaces (incl. U+3000),
//     3 % invalid ("a@b", "@@", two "@", "@localhost"), 4 % a shared
//     info@company address (the same e-mail on different persons), 3 % with
//     an upper-case first letter, the rest first.last@company-domain;
//   - company: kanji names with 株式会社 (≈50 %), 有限会社 (≈17 %) or 合同会社
//     (≈17 %) as prefix or suffix, or no legal form (≈17 %); separator none,
//     a space or a full-width space; one company per 8 cards;
//   - phones: tel 03-/06-xxxx-xxxx or 045-/052-/092-/011-xxx-xxxx by
//     location, 8 % 0120-xxx-xxx, 2 % in full-width digits, 10 % null;
//     mobile 090/080/070 on 60 %; fax 40 %; secondTel 10 %;
//   - address: prefecture, city, street and (80 %) building, joined into
//     address; 7-digit postal code; countryCode JP;
//   - names: kanji with katakana readings; 85 % have a title;
//   - tags: 30 % of cards carry one or two of [DefaultTags] (public, shared,
//     and the owner's own private tag);
//   - owners: the [DefaultUsers] (an admin and three members) or
//     GenerateOptions.Owners, chosen per card.
package sansantest
