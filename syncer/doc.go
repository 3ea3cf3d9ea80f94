// Package syncer is the sync engine: it keeps Sansan business cards and
// HubSpot contacts in sync, in one direction or both.
//
// # Overview
//
// [New] takes a [Config]: a HubSpot client, one or more Sansan [Account]s
// (several API keys may feed one HubSpot account), a [Store] for links and
// checkpoints, and a [Direction]. [Engine.SyncOnce] runs one pass and returns
// a [Report]; [Engine.Run] runs the initial sync, then a pass every
// Config.Interval (1 minute by default; HubSpot's app promises 10), until its
// context ends.
//
// A pass stopped by an error (a rejected token, a service down after
// retries) returns its report with the error: [Report.Err] holds it, and
// the report's String starts with "pass failed:" and the error, then
// says what the pass did before it stopped. Always check SyncOnce's
// error. [Config.Progress] receives a [Progress] as a pass advances, with
// the running counts of an account and direction under the names of
// [AccountReport]; records that refer to an account carry its
// [Account.Name] in a field called Account.
//
// [Direction] is the flow of the whole engine; each mapped field's
// [mapping.Direction] narrows it, never widens it. Both answer
// FlowsToHubSpot and FlowsToSansan, [Direction.MappingDirection] and
// [DirectionFromMapping] convert between them, and [ParseDirection]
// reads the names of either.
//
// The package examples run against the SDK's in-process fakes
// ([github.com/cardbridge/sansanhubspot/sansan/sansantest] and
// [github.com/cardbridge/sansanhubspot/hubspot/hubspottest]): a pass,
// [Engine.Run], [Engine.Notify] fed by a webhook handler, a dry run,
// [Progress], a [Store] of your own, filters ([Config.CardFilter], tags,
// [ContactFilter]) and two-way sync.
//
// # Identity and links
//
// A Sansan person (all cards of one person share a personId) is one record;
// on the HubSpot side a contact, matched by normalized email. The Store keeps
// a [Link] per person: its head card, contact id, normalized email, the
// values last synced and a state (in sync, excluded with a reason, failing
// with a category and a retry time). Links make unchanged records free (no
// API call), recognise echoes of the engine's own writes, detect real
// conflicts, and feed health reports.
//
// # A pass, Sansan → HubSpot
//
// For each account the engine lists cards updated in [checkpoint − Overlap,
// pass start] with range=all, includeTags=true and 300 per page (the first
// pass lists everything: the initial sync), fetching pages while it writes
// earlier ones. Each card is filtered (tag ids, Config.CardFilter,
// email policy, cards still being digitized never sync), mapped through the
// [mapping.Set], and deduplicated by normalized email: the newest
// exchangeDate, then newest update, then greatest card id wins, against both
// the page and the links already stored, so the winner is the same on every
// pass and two contacts are never made for one email. Losers are reported
// as excluded duplicates. When the winner's card later moves to another
// email (or is excluded), the pass reads the losers' cards again and the
// best of them takes the vacated email, in the same pass.
//
// Each winner is diffed against its link under the value rule below:
// unchanged values make no API call. The rest are written in batches of
// 100 — batch/update by contact id for linked records (only the changed
// properties), batch/upsert by email for the others, which adopts a
// contact that already has the email. Cards without email (with
// [AllowMissingEmail]) are created with batch/create after a search by
// sansan_person_id finds any contact a crashed pass already created.
//
// # Over a network
//
// Up to [Config.WriteConcurrency] write batches are in flight at once (by
// default the HubSpot client's limiter rate × the observed round trip,
// plus one), the limiter still pacing every send so 429s stay at zero.
// Outcomes are applied in send order; a record stays pending until its
// batch is applied, so checkpoints never pass it, and a later page that
// names a person or an email in flight waits for that outcome before it is
// planned. Cursor paging reads one page per round trip, so a large window
// on a slow service is split by update time into parts listed at once
// ([Config.ReadConcurrency]; both directions), each with its own cursor in
// the checkpoint. An unchanged card costs its mapping and one comparison
// with Link.ValuesHash.
//
// # The value rule
//
// For every mapped property the engine knows three values: base, what the
// sync last wrote to the contact (Link.Values); theirs, HubSpot's current
// value; ours, the winning card's mapped value, possibly blank.
//
//   - theirs equals base (nobody changed it since the sync wrote it):
//     ours is written, a blank included — the property is cleared. The
//     field is the sync's own.
//   - theirs differs from base (a HubSpot user or another tool changed
//     it): a blank ours never clears it; a non-blank ours follows the
//     mapping's conflict Winner.
//   - no base yet (a contact adopted by email that the sync never wrote):
//     blanks never clear.
//   - the winner of an email changes (a newer card of another person, or
//     the winner leaves): the new winner takes the contact over against
//     the previous winner's base, so the values that card wrote and
//     nobody changed follow the new winner, emptied where it has none.
//
// Whether theirs equals base is read (one batch read per update batch)
// only where a blank would clear something. [mapping.BlankPolicy]
// overrides the blank part per property (never clear, always clear). So a
// contact equals its winning card whatever order the cards are listed in,
// whatever the page size or account order, and wherever a pass was
// interrupted.
//
// # Planner and executor
//
// A pass decides and acts in separate steps. The planner is pure: given a
// page of cards, the links the store holds for them and the records this
// pass has queued but not yet written, it returns decisions — exclusions
// with an [ExclusionReason], duplicate losers, contact takeovers, writes
// with their exact properties, link changes — without network, store or
// clock. The executor carries them out: it saves links, queues writes in
// batches, settles conditional clears, sends, and records each outcome on
// its link. A holder that loses its contact to a winner is demoted in the
// same store write as the winner's outcome, so a crash in between leaves
// the base in place. A dry run ([Config.DryRun]) swaps the executor's
// sink for one that records instead of writing and keeps store writes in
// memory: it reads what the real pass reads and reports the same counts
// by construction. Both directions walk their source as a stream:
// checkpoint → window → pages → advance → complete (see [CheckpointPhase]).
//
// A record HubSpot rejects fails alone: per-record errors of a 207 mark that
// link failing with a category and a retry time (1 minute, doubling to 6
// hours), and a batch rejected as a whole for its content is split until the
// bad record stands alone. Failing records are re-read and retried on later
// passes; a fixed record recovers by itself. Errors that are not about a
// record (network after retries, rate limits, HubSpot's daily limit, auth)
// end the pass: its links and checkpoint were saved after every batch, so
// the next pass resumes where it stopped. Deletes are never propagated.
//
// # Cards that cannot be read, listings that do not end
//
// A card Sansan serves in a form the client cannot decode — a field of the
// wrong type, JSON nested deeper than Go's decoder allows, not a card at
// all (see [sansan.CardDecodeError]) — does not stop its account: the
// other cards of its page are synced and the card is quarantined. Its
// person's link fails with [CategoryUndecodable], keeping the contact and
// the values synced before; it is counted in Report.Failed and
// Report.FailedByCategory and listed in Report.Failures with a short
// message; the checkpoint advances past it and the pass goes on. The retry
// of failing links reads the card again by id: it stays quarantined while
// it still does not decode and syncs as usual once fixed in Sansan. A card
// whose personId cannot be read is quarantined under
// [UndecodableKey](card id), a stand-in link excluded as [ReasonReplaced]
// once the card decodes; one without any readable id is reported only (it
// syncs once fixed, when its change brings it back through the listing).
//
// A listing page over the Sansan client's response size cap
// ([sansan.WithMaxResponseSize], 32 MiB by default) is asked for again in
// halves, down to one card, to isolate the card too large, which is then
// quarantined by the id read from the start of its JSON and stepped past
// with the page's token; the pages go back to full size after it. Should
// the service refuse the page's token when it is asked again (a token
// taken back once its page was served), the page's cards are read one by
// one by the ids the client found in it. A card too large whose id cannot
// be read fails the pass with an error naming the account and window. A
// card read twice in one pass is counted once.
//
// Sansan's listings carry no total, so a window is bounded by
// [Config.MaxWindowCards] ([DefaultMaxWindowCards], 10 million cards): a
// pass reads at most the pages those fill, plus a quarter and 10, of one
// account's window, and then stops with a [*PageLimitError]
// ([ErrTooManyPages]) naming the account and window, so a server that
// always answers "more pages" cannot hold a pass forever. A pass keeps
// only the page tokens resuming needs (the last one saved, and those of
// pages read whose records are still being written), not every token it
// has seen.
//
// # HubSpot → Sansan and two-way
//
// With [HubSpotToSansan] or [TwoWay] the engine searches contacts by
// lastmodifieddate in [checkpoint − Overlap, pass start], walking the window
// in hs_object_id order so that any number of identical timestamps (a bulk
// update of 30,000 contacts) is read without loops or loss, past HubSpot's
// 10,000-result cap. Contacts changed after the window's end are left for
// the next pass. [ContactFilter] conditions limit which contacts flow.
//
// Unlinked contacts with a valid email are registered as Sansan cards
// (POST /bizCards, mapped by [mapping.Set.PropertiesToCard], tagged with
// Config.RegisterTagIDs) with the first account, then linked. Before
// registering, the engine searches Sansan by email and links a card it finds
// instead, so a crash between the POST and saving the link never registers
// a contact twice.
//
// A registered card's Sansan ids (sansan_card_id, sansan_person_id, ...) are
// written to its contact by the Sansan half of the same pass, or of the
// next one when the card's update time falls after the pass's window. A
// contact that already carries a sansan_person_id was made from a card
// (by a pass that stopped before saving its link) and is never registered.
//
// Sansan's API cannot update an existing card. A change made in HubSpot to a
// linked contact is therefore recorded in the link (Link.Remote) and
// reported in Report.SansanChangesNotApplied, not silently dropped or faked.
// In two-way sync a field changed on both sides since the last sync is a
// conflict, resolved by the mapping's winner: when the card wins its value
// is written to HubSpot; when HubSpot wins the engine leaves the HubSpot
// value in place. Values equal to the last-synced snapshot are echoes of
// the engine's own writes (HubSpot moves lastmodifieddate when we write)
// and cause no further writes, so a second pass after any pass writes
// nothing in either direction.
//
// [Engine.Notify] takes verified HubSpot webhook events: the contacts they
// name are read by id in the next pass, which Run starts at once, so
// HubSpot-side changes sync within seconds. A merge re-points the link to
// the surviving contact; a deletion unlinks it.
//
// # Guarantees
//
// At-least-once with idempotent writes: a pass killed at any point and run
// again (same Store) ends in the same HubSpot state as an uninterrupted one,
// with no duplicate contact and no lost change. Concurrent SyncOnce calls on
// one engine are serialized. A dry run (Config.DryRun) computes the full
// report — what would be created, updated, left unchanged, excluded and why
// — reading but never writing either service or the Store.
//
// # Stores and replicas
//
// [NewMemoryStore] suits tests, demos and dry runs; it loses everything on
// exit. A nil Config.Store means a new MemoryStore, and New then logs a
// warning: a process that restarts on it re-does the initial sync, reading
// every card again. [github.com/cardbridge/sansanhubspot/syncer/filestore] is durable for
// one process; the PostgreSQL store in the separate module
// github.com/cardbridge/sansanhubspot/syncer/pgstore serves several replicas
// and many HubSpot accounts. Every Store implementation, including yours,
// should pass [github.com/cardbridge/sansanhubspot/syncer/storetest.Run].
//
// A Store is a [LinkStore] and a [CheckpointStore]. The vocabularies it
// records are typed: [LinkState], [ExclusionReason] and [FailureCategory]
// (in Link.Reason), [LinkOrigin] and [CheckpointPhase].
//
// Replicas of a service sharing one Store set Config.Locker (pgstore's
// Store.Locker is one): each pass runs under the lock, so exactly one
// replica syncs at a time; the others get [ErrLocked] from SyncOnce, which
// Run treats as "try next interval". A replica that dies holding the lock
// loses it when its lease expires, and the next holder resumes from the
// shared checkpoint.
//
// A lease can pass on while its holder is paused (a GC pause, a frozen VM)
// and the holder cannot know. A Locker that attaches a [Fence] to the
// context it returns (pgstore's does) lets the engine act on that: every
// request of the pass is checked against the fence's validity right
// before it is sent (see hubspot.ContextWithSendCheck), so is every store
// write, and stores that understand fences refuse writes of an old epoch.
// A pause between the last check and the send itself stays possible, so
// before each write batch the engine records a write intent (which
// properties of which contacts it sends) and removes it once the outcome
// is saved; every pass begins by reading back the contacts of the intents
// it finds and rewriting, where a contact differs from its link, the
// values the sync last wrote. A stale write then lasts at most until the
// next pass ([Report.Repaired] counts these), never for good.
//
// # Operating a sync
//
// A store implementing [MetaStore] (the built-in ones do) is bound on first
// use to the HubSpot portal of the engine's token (from GET
// /account-info/v3/details) and to each account's Sansan user (GET /me).
// An engine whose clients authenticate as another portal or user gets a
// [*StoreMismatchError] before anything is read or written, and Run stops
// on it: a store moved from a sandbox to production would otherwise see
// every card as synced already and write nothing. To sync another portal,
// start over with a new, empty store.
//
// The store also keeps the fingerprints of the mapping
// ([mapping.Set.Fingerprints]) each account was last synced with. When a
// property's mapping is added or changed, the next pass backfills it: it
// reads every card of the account again, within the rate limits, and
// writes what the new mapping computes differently (an unchanged contact
// costs no call). The backfill has its own checkpoint, so an interrupted
// one resumes; [Report.Backfills] reports it. [Engine.Resync] rewrites
// chosen properties of every contact whatever the links say (after values
// were changed in HubSpot by hand), with Config.DryRun for a preview.
//
// Records that fail are retried with backoff. A store implementing
// [LinkLister] lets operators see them: [Engine.Links] lists links by
// state, account and reason with their attempts, next retry and last error;
// [Engine.LinkCounts] counts them; [Engine.RetryNow] makes chosen failing
// records due at once; [Engine.LastReport] returns the last pass's report.
// The sansanhubspot command-line tool is built on these.
package syncer
