package pgstore

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/cardbridge/sansanhubspot/syncer"
)

// Locker returns a syncer.Locker backed by the lease name of this store's
// connection: set it as syncer.Config.Locker in every replica, each with
// its own holder id (a host name, a pod name), and exactly one replica
// runs a pass at a time. The lease lasts ttl and is renewed every ttl/3
// during a pass; a replica that crashes mid-pass loses it after at most
// ttl, and the next holder resumes from the shared checkpoint.
func (s *Store) Locker(name, holder string, ttl time.Duration) syncer.Locker {
	return &locker{s: s, name: name, holder: holder, ttl: ttl}
}

type locker struct {
	s            *Store
	name, holder string
	ttl          time.Duration
}

func (l *locker) Lock(ctx context.Context) (context.Context, func(), error) {
	lease, err := l.s.AcquireLease(ctx, l.name, l.holder, l.ttl)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: %w", syncer.ErrLocked, err)
	}
	held, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(l.ttl / 3)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-held.Done():
				return
			case <-t.C:
				next, err := l.s.RenewLease(held, lease, l.ttl)
				if err != nil {
					cancel() // lost: stop the pass before another holder starts
					return
				}
				lease = next
			}
		}
	}()
	unlock := func() {
		close(done)
		wg.Wait()
		cancel()
		// Release with a fresh context: the pass's may be cancelled.
		rctx, rcancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer rcancel()
		_ = l.s.ReleaseLease(rctx, lease)
	}
	return held, unlock, nil
}
