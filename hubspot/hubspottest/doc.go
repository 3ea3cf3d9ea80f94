// Package hubspottest is an in-process fake of HubSpot's CRM v3 contacts and
// contact properties APIs, in the spirit of [net/http/httptest]. The SDK's
// tests, benchmarks and offline demo run against it.
//
// It does not import the hubspot client package: it has its own wire
// structs with HubSpot's exact JSON names, so a mistake in the client is not
// repeated in the fake.
//
// # Usage
//
//	srv := hubspottest.NewTestServer(t)           // closed on t.Cleanup
//	srv.Fake.CreateContact(map[string]string{"email": "a@example.com"})
//	client, _ := hubspot.NewClient(hubspottest.DefaultToken, hubspot.WithBaseURL(srv.URL))
//	// ... exercise code, then inspect srv.Fake.Contacts(), srv.Fake.Requests()
//
// [Fake] is a plain [http.Handler] and can also be mounted on any server or
// driven with httptest.NewRecorder. [NewServer] listens on 127.0.0.1 with a
// free port; [Server.URL] ends in a slash.
//
// # Endpoints
//
// Paths are served under /crm/v3/; objects/0-1 and properties/0-1, and the
// date-versioned /crm/objects/2026-03/contacts and
// /crm/properties/2026-03/contacts families, are aliases counted under the
// v3 templates:
//
//   - GET objects/contacts (limit 1..100, default 10; after; properties as a
//     comma list or repeated; archived=true lists only archived contacts)
//   - POST objects/contacts (201), GET/PATCH/DELETE objects/contacts/{id},
//     with idProperty=email on GET and PATCH; DELETE archives (204)
//   - POST objects/contacts/batch/{read,create,update,upsert,archive}
//   - POST objects/contacts/search, POST objects/contacts/merge
//   - GET/POST properties/contacts, GET/PATCH/DELETE
//     properties/contacts/{name} (DELETE archives custom properties),
//     GET/POST properties/contacts/groups, GET/PATCH/DELETE
//     properties/contacts/groups/{name}
//
// Ids are numeric strings assigned sequentially from 1 ([WithFirstID]
// changes the start). Every contact carries hs_object_id, createdate,
// lastmodifieddate (and hs_createdate, hs_lastmodifieddate, hs_email_domain)
// rendered as ISO 8601 UTC with milliseconds, plus createdAt, updatedAt,
// archived and archivedAt on the object. Reads without a properties list
// return createdate, email, firstname, hs_object_id, lastmodifieddate and
// lastname; requested properties without a value are returned as null.
// Writes answer with every set property.
//
// # Validation and errors
//
// Error bodies have HubSpot's shape (status "error", message,
// correlationId, category, and context where relevant); every response has
// an X-HubSpot-Correlation-Id header. Writes are checked against the
// property definitions and answer 400 VALIDATION_ERROR with the per-property
// details embedded as a JSON array in the message ("Property values were
// not valid: [...]"). Codes: PROPERTY_DOESNT_EXIST and INVALID_EMAIL (as
// documented), and, where HubSpot's exact code is not documented,
// READ_ONLY_VALUE, INVALID_OPTION (enumeration values must be option values,
// case-sensitive; multi-checkbox values are ;-separated and a leading ;
// appends), VALUE_TOO_LONG (over 65,536 characters), INVALID_NUMBER,
// INVALID_BOOLEAN, INVALID_DATETIME and INVALID_DATE. Email validation
// approximates HubSpot's unpublished rules: one @, a dotted domain and a
// registrable name under an ICANN public suffix (typos such as .con and
// .lcom, and reserved names such as .test, are rejected). Emails are unique case-insensitively and stored as sent; a
// duplicate on create (single or batch) or on an email change answers 409
// CONFLICT "Contact already exists. Existing ID: N". Archived contacts
// release their email. A PATCH that changes nothing does not bump
// lastmodifieddate.
//
// Batches take at most 100 inputs (400 above). When some inputs of a
// create or update fail and every input carries a distinct
// objectWriteTraceId, the answer is 207 with the successes in results and
// one error per failed input whose context.objectWriteTraceId names it;
// without trace ids the first error fails the whole batch and nothing is
// written. An upsert (by email, the only idProperty the fake takes) is
// always all or nothing, as HubSpot documents ("Partial upserts are not
// supported when using email as the idProperty for contacts"): the first
// failing input's error, e.g. 400 "Property values were not valid: [...
// Email address x is invalid ...]", fails the batch and nothing is written. Unknown ids in batch/read and batch/update are reported as one
// 207 OBJECT_NOT_FOUND error listing them in context.ids. batch/upsert needs
// idProperty "email" on every input and answers "new" true or false per
// result; batch/update by idProperty email answers 400 "Unable to perform
// update/upsert by non-unique 0-1 property", as observed. Duplicate ids in
// one batch answer 400 "Duplicate IDs found in batch input"; duplicate new
// emails in one untraced batch answer 400 (traced: the later ones get 409).
// batch/archive and DELETE answer 204 even for unknown ids. Results are in
// input order, which real HubSpot does not promise.
//
// # Search
//
// Filters support EQ, NEQ, LT, LTE, GT, GTE, BETWEEN, IN, NOT_IN,
// HAS_PROPERTY, NOT_HAS_PROPERTY, CONTAINS_TOKEN and NOT_CONTAINS_TOKEN;
// groups are ORed, filters in a group ANDed; at most 5 groups, 6 filters per
// group and 18 in total (the safe subset of HubSpot's conflicting
// documentation). String comparisons ignore case, except that IN/NOT_IN
// values must be lower-case to match strings; enumeration and bool values are
// case-sensitive. Number, date and datetime properties compare numerically;
// datetime values may be epoch milliseconds or ISO 8601. NEQ, NOT_IN and
// NOT_CONTAINS_TOKEN also match contacts without the property.
// CONTAINS_TOKEN matches a whole value, a word of it, or an email's local
// part or domain, with * wildcards. The free-text query matches term
// prefixes in firstname, lastname, email, phone, hs_additional_emails, fax,
// mobilephone and company. Sorts must be objects {propertyName, direction}
// (string sorts, a known client bug, answer 400); only the first applies;
// ties and the default order are by id ascending; missing values sort last.
// limit is 1..200 (default 10), after is an integer offset, and total counts
// every match. Offsets at or past 10,000 answer 400, and a page never
// extends past the 10,000th result, although paging.next may point there,
// as on HubSpot. Archived contacts never match. [WithSearchPhantoms] puts
// entries that are counted but not returned at the start of every result
// list, so pages come back short or empty with a next cursor, as HubSpot
// has been reported to answer.
//
// Search is strongly consistent by default. [WithSearchIndexLag] makes it
// eventually consistent: for that long after a write, search sees the
// contact as it was before (or not at all if it was just created); direct
// reads are never stale.
//
// # Rate limits
//
// All limits are off by default and measured on the [WithClock] clock.
// [WithRateLimit] is a rolling window over non-search requests; those
// responses then carry X-HubSpot-RateLimit-Max, -Remaining and
// -Interval-Milliseconds, and requests over the limit get 429 with policyName
// TEN_SECONDLY_ROLLING. [WithSearchRateLimit] limits search per rolling
// second (429 SECONDLY); search responses never carry rate headers.
// [WithDailyLimit] limits admitted requests per UTC day (429 DAILY) and adds
// X-HubSpot-RateLimit-Daily and -Daily-Remaining to non-search responses.
// 429 bodies have HubSpot's rate-limit shape (status, message, errorType
// RATE_LIMIT, correlationId, policyName, requestId); no Retry-After is sent.
// Rejected requests do not use up the window. Authentication (Bearer token,
// [DefaultToken] unless [WithToken]) is checked before the limits.
//
// # Helpers, faults and counters
//
// [Fake.CreateContact], [Fake.UpdateContact], [Fake.ArchiveContact],
// [Fake.MergeContacts], [Fake.SetContactsModifiedAt] and [Fake.AddProperty]
// change state without an API call and without counting one; they validate
// like the API, except that createdate and lastmodifieddate may be set.
// [Fake.SetContactsModifiedAt] stamps many contacts with one
// lastmodifieddate, as HubSpot's bulk jobs do. Merging keeps the primary's
// values, fills the ones it lacks from the secondary, adds the secondary's
// email to hs_additional_emails and its id to hs_merged_object_ids, and
// makes the secondary id resolve to the primary.
//
// [Fake.FailNext] answers the next requests with an error status,
// [Fake.DropNext] closes their connections without an answer (net/http
// clients silently retry an idempotent request on a reused connection), and
// [Fake.FailBatchInputs] fails chosen batch inputs with VALIDATION_ERROR so
// 207 paths can be tested. [Fake.Requests] counts every request, including
// rejected, failed, dropped and rate-limited ones, by endpoint template such
// as "POST /crm/v3/objects/contacts/batch/upsert".
//
// # Webhooks
//
// [WebhookEmitter] builds contact.creation, contact.propertyChange,
// contact.deletion and contact.merge events and POSTs them as a JSON array
// signed with X-HubSpot-Signature-v3 (base64 HMAC-SHA256 of method + URI +
// body + timestamp, keyed with the client secret) and
// X-HubSpot-Request-Timestamp in milliseconds; the legacy v1 headers are sent
// too. [WithWebhooks] emits events automatically for changes made through
// the API (changeSource INTEGRATION, sourceId the app id) and through the
// helpers (CRM_UI, userId:1), asynchronously and batched (at most 100 per
// request). Delivery is at-least-once: a failed delivery is retried with
// attemptNumber incremented and a doubling delay, up to MaxAttempts (default
// 5, about 1.5 s in all, where HubSpot retries over a day), then dropped and
// logged; a batch may arrive twice (deliberately with
// Redeliver); order across batches is not guaranteed. [Fake.FlushWebhooks]
// waits for delivery; [Fake.Close] or [Server.Close] stops it.
//
// # Performance
//
// Contacts live in a map by id, an id-ordered slice and an email index.
// A first search page in id order (no sort, or a sort on hs_object_id)
// streams over the slice, starting at the bound of an hs_object_id GT/GTE
// filter present in every group, and keeps only the requested page. Later
// pages and other sorts filter first, sort only the matches, and cache the
// order for paging until the next write.
//
// Measured in-process (httptest recorder, JSON encoding included) on 2
// vCPUs with 100,000 contacts. Figures are CPU time per operation (the
// benchmarks' cpu-ns/op metric, GC included), because wall time on the
// shared build machine (load average 10-20) was 1.5-4 times higher and noisy:
//
//	BenchmarkBatchUpsert100            100 existing contacts by email       2-3 ms
//	BenchmarkSearchPage100k/walk       hs_object_id GT x, 200 per page     4.5-5 ms
//	.../walk-from-start                full 100k scan (a write before each) 20-35 ms
//	.../paged                          later pages of one query (cached)    3.4 ms
//	.../sortedByModified               100k matches sorted by date         40-60 ms
//
// These are far below HubSpot's own latency and its 5 searches per second.
package hubspottest
