package syncer

import (
	"context"
	"errors"
	"strconv"
	"time"
)

// MetaStore is implemented by stores that keep the engine's own small
// records beside links and checkpoints: the store's binding to its HubSpot
// portal and Sansan accounts, the mapping fingerprint of each stream, the
// state of a backfill, the last pass's summary and the intents of writes in
// flight. The built-in stores (memory, file, PostgreSQL) implement it. An
// engine on a Store without it syncs as before but cannot detect a store
// pointed at another portal or a mapping change; [New] logs a warning.
//
// Keys are short ASCII strings chosen by the engine ("binding",
// "mapping/<stream>", "intent/<epoch>/<n>", ...), compared byte for byte
// (case-sensitive) and separate from link person ids and checkpoint
// streams; values are opaque bytes of at most a few hundred kilobytes.
// The concurrency and context contract is LinkStore's, and values passed
// in and returned are copies the caller may modify.
type MetaStore interface {
	// Meta returns the value stored under key, or an error wrapping
	// ErrNotFound. A found value is never nil, even when empty.
	Meta(ctx context.Context, key string) ([]byte, error)
	// PutMeta stores value under key, replacing what was there; a nil value
	// deletes the key (deleting a missing key is not an error), an empty
	// non-nil one is stored. Like PutLinks, it is durable when it returns,
	// and a store that honours fences refuses it under an old epoch (see
	// Fence).
	PutMeta(ctx context.Context, key string, value []byte) error
	// MetaByPrefix returns every key that begins with prefix, with its
	// value; prefix is plain text, without wildcards. An empty prefix
	// returns every key.
	MetaByPrefix(ctx context.Context, prefix string) (map[string][]byte, error)
}

// LinkQuery selects links for [LinkLister.ListLinks]: the operator's view of
// what is failing, excluded or in sync.
type LinkQuery struct {
	// States keeps links in any of these states; empty keeps every state.
	States []LinkState
	// Account keeps links of this account; "" keeps every account.
	Account string
	// Reason keeps links whose Reason (exclusion reason or failure
	// category) equals it; "" keeps any.
	Reason string
	// After starts the listing after this PersonID, for paging: pass the
	// PersonID of the last link of the previous page. It need not be a
	// stored PersonID.
	After string
	// Limit is the most links returned; zero or less means
	// DefaultLinkQueryLimit, and a larger value than MaxLinkQueryLimit
	// means MaxLinkQueryLimit.
	Limit int
}

// DefaultLinkQueryLimit is the page size of a LinkQuery whose Limit is 0.
const DefaultLinkQueryLimit = 100

// MaxLinkQueryLimit is the largest page a LinkQuery returns.
const MaxLinkQueryLimit = 1000

// LinkCount is one row of [LinkLister.CountLinks]: how many links of an
// account are in a state for a reason.
type LinkCount struct {
	// Account is the links' Link.Account.
	Account string
	// State is the links' Link.State.
	State LinkState
	// Reason is the exclusion reason or failure category; "" for in-sync
	// links.
	Reason string
	// N is how many links have this account, state and reason.
	N int
}

// LinkLister is implemented by stores that can list and count links for
// operators. The built-in stores implement it; [Engine.Links],
// [Engine.LinkCounts] and [Engine.RetryNow] need it.
//
// Strings compare in byte order, as Go compares them (a SQL store must use
// a byte-wise collation such as PostgreSQL's "C"). The concurrency and
// context contract is LinkStore's; returned links are copies.
type LinkLister interface {
	// ListLinks returns links matching q ordered by PersonID, at most
	// q.Limit of them (see LinkQuery). The filters combine: a link must
	// pass all of them.
	ListLinks(ctx context.Context, q LinkQuery) ([]*Link, error)
	// CountLinks counts every link by account, state and reason, one row
	// per combination that has links, ordered by account, state and
	// reason.
	CountLinks(ctx context.Context) ([]LinkCount, error)
}

// ErrFenced reports that a write was refused because the lease it was made
// under is no longer valid: another holder may have taken over. A pass that
// meets it stops; the next holder repairs what it may have written (see
// [Fence]).
var ErrFenced = errors.New("syncer: lease no longer valid")

// Fence is what a [Locker] attaches to the context it returns, so the engine
// and the store can refuse to act for a lease that may already belong to
// another holder. HubSpot has no conditional write that could fence a
// request on its side, so the engine checks [CheckFence] immediately before
// every request it sends, records an intent before each write batch, and
// stores that understand fences refuse writes made under an old epoch.
//
// A store understands the fences of its own Locker: its writes (PutLinks,
// PutCheckpoint, PutMeta) get the Fence with [FenceFrom], type-assert
// their own implementation and check, atomically with the write (in the
// same transaction, or by a conditional write), that the lease still has
// that epoch and holder, failing with an error wrapping ErrFenced if not.
// Writes without a fence, or with another Locker's, are not checked.
// github.com/cardbridge/sansanhubspot/syncer/pgstore does this; a store
// that one process owns exclusively (filestore) needs no fence.
type Fence interface {
	// Epoch is the lease's fencing token: it grows with every new holder.
	Epoch() int64
	// ValidUntil is the instant, on this process's monotonic clock, after
	// which the holder can no longer be sure it holds the lease: the last
	// successful renewal's start plus the TTL, minus a safety margin.
	ValidUntil() time.Time
}

type fenceKey struct{}

// WithFence returns a copy of ctx carrying f. Lockers call it on the
// context they return from Lock.
func WithFence(ctx context.Context, f Fence) context.Context {
	return context.WithValue(ctx, fenceKey{}, f)
}

// FenceFrom returns the Fence ctx carries, if any.
func FenceFrom(ctx context.Context) (Fence, bool) {
	f, ok := ctx.Value(fenceKey{}).(Fence)
	return f, ok && f != nil
}

// CheckFence returns an error wrapping ErrFenced when ctx carries a Fence
// whose validity has ended, and nil otherwise (also when ctx carries none).
func CheckFence(ctx context.Context) error {
	f, ok := FenceFrom(ctx)
	if !ok {
		return nil
	}
	if !time.Now().Before(f.ValidUntil()) {
		return fencedError(f)
	}
	return nil
}

func fencedError(f Fence) error {
	return &fenceError{epoch: f.Epoch()}
}

type fenceError struct{ epoch int64 }

func (e *fenceError) Error() string {
	return "syncer: lease of epoch " + strconv.FormatInt(e.epoch, 10) + " no longer valid"
}

func (e *fenceError) Unwrap() error { return ErrFenced }
