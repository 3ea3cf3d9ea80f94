package syncer

import (
	"context"
	"errors"
)

// ErrLocked reports that another engine holds the lock of a configuration
// (see Locker): this engine skipped the pass. Run waits for the next
// interval and tries again.
var ErrLocked = errors.New("syncer: another engine holds the lock")

// Locker lets several replicas of a service run the same configuration with
// exactly one of them syncing at a time. Before each pass the engine calls
// Lock; a Locker backed by a shared database (for example the leases of
// github.com/cardbridge/sansanhubspot/syncer/pgstore) grants it to one
// holder, and a crashed holder's lock expires.
type Locker interface {
	// Lock acquires the lock for one pass or fails with an error matching
	// ErrLocked when another holder has it. The returned context is a child
	// of ctx that is cancelled when the holder can no longer be sure it
	// holds the lock (a renewal failed, or the validity of the last one
	// ran out), so the pass stops before another holder starts; unlock
	// releases the lock.
	//
	// A cancellation is not enough on its own: a holder paused past its
	// validity (a GC pause, a frozen VM) notices it only after resuming.
	// A Locker that attaches a [Fence] to the context (with [WithFence])
	// lets the engine check the validity right before every request and
	// store write, record write intents, and repair what a paused holder
	// may still have sent; see Fence.
	Lock(ctx context.Context) (held context.Context, unlock func(), err error)
}
