package pgstore

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/cardbridge/sansanhubspot/syncer"
)

// Locker returns a syncer.Locker backed by the lease name of this store's
// connection: set it as syncer.Config.Locker in every replica, each with
// its own holder id, and exactly one replica runs a pass at a time. The
// holder id must differ between processes (a pod name, or a host name and
// process id): a process that acquires a lease its holder id already holds
// continues it, with its epoch.
//
// The lease lasts ttl and is renewed every ttl/3 during a pass; a replica
// that crashes mid-pass loses it after at most ttl, and the next holder
// resumes from the shared checkpoint.
//
// The context Lock returns carries a [syncer.Fence]: its Epoch is the
// lease's token, and its ValidUntil is the instant on this process's
// monotonic clock, taken before the last successful acquire or renewal
// query was sent, plus ttl minus a safety margin of ttl/5, at least
// 100 ms. The database computes the expiry from the moment it runs the
// query, which is later, so the fence ends before the lease can expire on
// the server even if the two clocks' rates differ a little. The context is
// cancelled when ValidUntil passes without a renewal, even if a renewal
// is stuck, and at once when a renewal finds the lease lost; its
// [context.Cause] then wraps [syncer.ErrFenced]. Each renewal may take at
// most ttl/3 and half of the remaining validity, so one that hangs leaves
// time for the next. Lock fails if ttl is not greater than the margin.
//
// Writes of any Store in the same database made with that context are
// fenced: see the package documentation.
func (s *Store) Locker(name, holder string, ttl time.Duration) syncer.Locker {
	return &locker{s: s, name: name, holder: holder, ttl: ttl, renew: s.RenewLease}
}

type locker struct {
	s            *Store
	name, holder string
	ttl          time.Duration
	// renew is s.RenewLease; tests replace it.
	renew func(ctx context.Context, l Lease, ttl time.Duration) (Lease, error)
}

// safetyMargin is how much earlier than the lease's expiry, measured from
// the start of the query that acquired or renewed it, a Locker's fence
// ends: ttl/5, at least 100 ms.
func safetyMargin(ttl time.Duration) time.Duration {
	return max(ttl/5, 100*time.Millisecond)
}

func (l *locker) Lock(ctx context.Context) (context.Context, func(), error) {
	margin := safetyMargin(l.ttl)
	validity := l.ttl - margin
	if validity <= 0 {
		return nil, nil, fmt.Errorf("pgstore: lock %q: ttl %v leaves no validity after the safety margin of %v",
			l.name, l.ttl, margin)
	}
	start := time.Now()
	lease, err := l.s.AcquireLease(ctx, l.name, l.holder, l.ttl)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: %w", syncer.ErrLocked, err)
	}
	f := &fence{conn: l.s.conn, name: l.name, holder: l.holder, token: lease.Token, until: start.Add(validity)}
	held, cancel := context.WithCancelCause(ctx)
	f.watch(cancel)
	held = syncer.WithFence(held, f)
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		t := time.NewTicker(l.ttl / 3)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-held.Done():
				return
			case <-t.C:
			}
			start := time.Now()
			timeout := min(l.ttl/3, time.Until(f.ValidUntil())/2)
			if timeout <= 0 {
				continue // the fence's timer is ending the pass
			}
			rctx, rcancel := context.WithTimeout(held, timeout)
			next, err := l.renew(rctx, lease, l.ttl)
			rcancel()
			switch {
			case err == nil:
				lease = next
				if !f.extend(start.Add(validity)) {
					return
				}
			case errors.Is(err, ErrLeaseLost):
				// Stop the pass before another holder starts.
				f.end(fmt.Errorf("pgstore: lease %q of epoch %d lost: %w (%w)", l.name, f.token, syncer.ErrFenced, err))
				return
			default:
				// Slow or failed: try again at the next tick; the fence's
				// timer ends the pass if no renewal succeeds in time.
			}
		}
	})
	var once sync.Once
	unlock := func() {
		once.Do(func() {
			close(done)
			f.end(nil) // also aborts a renewal in flight
			wg.Wait()
			// Release with a fresh context: the pass's may be cancelled.
			rctx, rcancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
			defer rcancel()
			_ = l.s.ReleaseLease(rctx, lease)
		})
	}
	return held, unlock, nil
}
