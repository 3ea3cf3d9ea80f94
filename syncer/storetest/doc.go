// Package storetest checks that a [syncer.Store] implementation keeps the
// contracts the sync engine relies on, and measures its speed.
//
// Every implementation, the ones in this module and your own, should run
// [Run] from its tests with a constructor that returns a fresh, empty store
// on each call:
//
//	func TestStore(t *testing.T) {
//		t.Parallel()
//		storetest.Run(t, func(t *testing.T) syncer.Store {
//			s, err := mystore.Open(t.TempDir())
//			if err != nil {
//				t.Fatal(err)
//			}
//			t.Cleanup(func() { s.Close() })
//			return s
//		})
//	}
//
// [Run] runs its groups as parallel subtests, each with its own store, so a
// constructor must give every call isolated state (a new directory, a new
// key namespace, ...). Run the suite with -race: one group hammers the store
// from many goroutines.
//
// # What is checked
//
//   - Not found: LinkByContact and Checkpoint return an error matching
//     [syncer.ErrNotFound] through [errors.Is]; LinksByPerson and LinksByEmail
//     leave unknown keys out of their maps; the empty email and the empty
//     contact id match nothing.
//   - Round trip: every field of a [syncer.Link] and a [syncer.Checkpoint]
//     comes back as written. Times are compared as instants with
//     [time.Time.Equal], to the nanosecond: a store may drop the location and
//     the monotonic clock reading but not precision, and the zero time must
//     stay zero. A nil and an empty map (Values, Remote) are treated as
//     equal.
//   - Overwrite: PutLinks replaces a link by PersonID and re-indexes it, so
//     an old email or contact id no longer finds it; within one batch the
//     last link of a person wins.
//   - Sharing and moves: several persons may share an email; a contact id
//     may move from one person to another, and LinkByContact returns the
//     link written last.
//   - Copies: mutating a returned link, or an input after PutLinks, does not
//     change what the store holds.
//   - Retries: LinksToRetry returns the failing links whose NextRetry is not
//     after now, earliest first (ties by PersonID), at most limit of them,
//     and follows rewrites.
//   - Batches: 100 links in one PutLinks call; empty and nil batches.
//   - Concurrency: puts and reads from many goroutines; batches that rewrite
//     the same persons in different orders (no deadlocks, indexes agree
//     afterwards); a reader never sees half a batch or a torn link.
//   - Cancellation: every method returns an error matching the context's
//     error once the context is done, and a cancelled write stores nothing.
//
// # Optional interfaces
//
// Stores that also implement [syncer.MetaStore] (the engine's own records:
// binding, mapping fingerprints, write intents) and [syncer.LinkLister]
// (the operators' listing and counting) get these checked too; for a store
// that lacks one, its subtests are skipped with a message naming the
// interface, so the output shows what the store does not offer.
//
//   - Meta: a missing key is an error matching [syncer.ErrNotFound];
//     values round-trip byte for byte (binary, invalid UTF-8, empty, a few
//     hundred kilobytes) and a found value is never nil; a nil value
//     deletes, an empty one does not, and deleting a missing key is no
//     error; MetaByPrefix matches plain prefixes (no wildcard: "a_" and "a%"
//     match only themselves, so a SQL store must not pass them to LIKE
//     unescaped) and "" returns every key; keys are case-sensitive and
//     separate from link person ids and checkpoint streams; values passed
//     in and returned are copies; concurrent puts, deletes and reads; a
//     done context fails every method and changes nothing.
//   - ListLinks: the States, Account and Reason filters alone and
//     combined; links in PersonID byte order (a SQL store must compare with
//     a byte-wise collation such as PostgreSQL's "C"); After, with a stored
//     or unstored id, paging through several pages; a Limit of zero or less
//     gives [syncer.DefaultLinkQueryLimit] links and a larger one is capped
//     at [syncer.MaxLinkQueryLimit]; every field round-trips; returned
//     links are copies; rewrites move links between filters.
//   - CountLinks: one row per account, state and reason, in byte order,
//     agreeing with ListLinks and following rewrites.
//   - Concurrency: while writers move a fixed set of persons between
//     states, a reader paging with After sees every person exactly once
//     and counts always add up to the total.
//
// Fencing (see [syncer.Fence]) is not checked here: how a store refuses a
// write made under an old lease depends on where the lease lives, so each
// store tests it itself (pgstore does, against a real database).
//
// # Benchmarks
//
// [Bench] measures links written per second (batches of 100, new and
// overwritten links), links looked up per second by each lookup, and
// checkpoint writes per second:
//
//	func BenchmarkStore(b *testing.B) {
//		storetest.Bench(b, func(b *testing.B) syncer.Store { ... })
//	}
//
// This package is for tests only; do not import it from production code.
package storetest
