// Package hubspot is a typed client for the parts of the HubSpot CRM v3 API
// a contact sync needs: contacts (single, batch and search), contact
// property definitions, and webhook verification.
//
//	client, err := hubspot.NewClient(os.Getenv("HUBSPOT_TOKEN"))
//	contact, _, err := client.Contacts.GetByEmail(ctx, "a@example.com", nil)
//
// Services hang off the [Client]: [Client.Contacts] ([ContactsService]) and
// [Client.Properties] ([PropertiesService]). Methods take a context first
// and return the result, a [*Response] (the HTTP response plus HubSpot's
// rate-limit headers) and an error; each method's comment ends with the
// endpoint it calls.
//
// # Authentication
//
// Every request carries "Authorization: Bearer <token>", set on a clone of
// the request. The token may be a private app's access token (or a static
// token of an app on the new developer platform) or an OAuth access token.
// OAuth access tokens expire after 30 minutes: pass a [TokenSource] with
// [WithTokenSource] and it is asked for the token before every attempt, so
// it can refresh ahead of expiry (HubSpot says a 401 is not a reliable
// refresh signal). The token never appears in URLs, logs or error strings;
// if a server echoes it in an error body, it is replaced by "[REDACTED]".
//
// # Options
//
// [NewClient] takes the options package sansan has too, with the same
// names, validation and defaults (both are built from one kit):
// [WithBaseURL], [WithInsecureBaseURL], [WithHTTPClient] (copied, never
// modified; a zero Timeout becomes [DefaultTimeout]), [WithTimeout],
// [WithRateLimit], [WithRetry] (zero fields of the [RetryPolicy] mean the
// default), [WithLogger], [WithUserAgent], [WithSleep] and
// [WithRetryHook]; plus HubSpot's own [WithSearchRateLimit],
// [WithSearchCountsGeneral] and [WithTokenSource].
//
// # Rate limits and retries
//
// A proactive token-bucket limiter is awaited before every attempt, retries
// included. The defaults fit a Free/Starter private app, whose limit is 100
// requests per rolling 10 s per app (250,000 per day per account): 9.5
// requests/s with a burst of 5, so at most 100 in any 10 s and 95 % of the
// limit sustained. Professional and Enterprise private apps get 190 per
// 10 s (daily 625,000 and 1,000,000); use WithRateLimit(18.5, 5). Search has
// its own limit of 5 requests/s per account; the default
// [WithSearchRateLimit] is 4/s with a burst of 1. Whether search requests
// also count against the general limit is not documented, so by default a
// search waits for both limiters (the safe choice);
// WithSearchCountsGeneral(false) lets it skip the general one.
//
// Responses carry X-HubSpot-RateLimit-* headers, parsed into [Response.Rate]
// (and [Client.Rate]); search responses never carry them. On 429 the client
// branches on the body's policyName: TEN_SECONDLY_ROLLING waits out the
// window (the interval header, 10 s by default), SECONDLY waits about a
// second, and DAILY is not retried: it surfaces as an error matching both
// [ErrRateLimited] and [ErrDailyLimit], because nothing will succeed before
// the account's midnight. 423 Locked waits at least 2 s. Network errors and
// 5xx are retried with full-jitter exponential backoff ([DefaultRetryPolicy],
// [WithRetry]) for requests that are safe to replay (everything except
// single and batch create); other 4xx responses are final.
//
// # Batching
//
// Batch methods ([ContactsService.BatchRead], BatchCreate, BatchUpdate,
// BatchUpsert, BatchArchive) accept at most [MaxBatchSize] (100) inputs and
// reject larger inputs with [ErrBatchTooLarge] rather than splitting them,
// so one method call is exactly one API call and a failure never leaves an
// unknown prefix written. Every write input carries a unique
// objectWriteTraceId (generated when empty), which makes HubSpot answer 207
// with per-input errors instead of failing the whole batch, except for
// BatchUpsert by email: HubSpot does not support partial upserts by email,
// so one refused input fails the whole call with an [*ErrorResponse], and
// [RefusedUpsertInputs] names the inputs its message or context points at.
// The
// [BatchResult] keeps HubSpot's results and errors and adds
// [BatchResult.Outcomes]: one [BatchOutcome] per input, in input order,
// holding the contact (and, for upserts, whether it was new) or a
// [*BatchError] for that input. Results are matched to inputs by key
// (objectWriteTraceId, record ID, email or the idProperty value), never by
// position; errors by context.objectWriteTraceId or context.ids; an input
// HubSpot silently dropped gets an error matching [ErrMissingResult]. Write
// inputs must target distinct records.
//
// # Search
//
// [ContactsService.Search] returns one page (at most 200 results; the
// request omits empty fields and sends sorts as objects).
// [ContactsService.SearchIter] walks all results, going past HubSpot's
// 10,000-result window by narrowing the query on hs_object_id.
//
// # Errors
//
// A non-2xx response is an [*ErrorResponse] holding the status, HubSpot's
// message, category, correlation ID, context and the raw body. It matches
// the sentinels [ErrUnauthorized], [ErrForbidden], [ErrNotFound],
// [ErrConflict], [ErrBadRequest], [ErrValidation], [ErrRateLimited],
// [ErrDailyLimit], [ErrLocked] and [ErrServer] through errors.Is. A 409
// whose message names the existing record ("Existing ID: N") is a
// [*ConflictError] with ExistingID, wrapping the ErrorResponse, so a
// failed create can fall back to an update. A 400 whose message embeds
// "Property values were not valid: [...]" has that array parsed into
// [ErrorResponse.PropertyErrors] ([PropertyError] with codes such as
// INVALID_EMAIL and PROPERTY_DOESNT_EXIST); batch errors get the same
// parsing in [BatchError].
//
// # Values
//
// Property values are strings on the wire. Values read from HubSpot are
// [Properties] (a nil value is null, a missing key was not returned);
// values written are [PropertyValues], where "" clears a property.
// [FormatDate] and [FormatDateTime] format date and datetime property
// values, [FormatDateTimeMillis] the epoch milliseconds search filters
// compare, and [ParseDateTime] reads all of these forms back.
//
// # Webhooks
//
// [WebhookHandler] verifies the X-HubSpot-Signature-v3 header (base64
// HMAC-SHA256 of method, URL, raw body and timestamp, compared in constant
// time, timestamp within 5 minutes), parses the event array and hands the
// events to a callback. [VerifyWebhook] (one request, one options struct)
// and [ParseWebhookEvents] are the building blocks. Behind a proxy, set
// TrustForwardedHeaders to sign-check the public URL from
// X-Forwarded-Proto/Host (never trusted by default), or give your own URL
// function. The legacy v1/v2 X-HubSpot-Signature is accepted only with
// AllowLegacySignatures: HubSpot still sends v1 with CRM-object webhook
// subscriptions and v2 with workflow webhook actions and CRM card fetches.
package hubspot
