package pgstore

import (
	"context"
	"time"

	"github.com/cardbridge/sansanhubspot/syncer"
)

// SetRenew replaces the function a Locker made by Store.Locker renews its
// lease with; call it before Lock.
func SetRenew(l syncer.Locker, renew func(ctx context.Context, l Lease, ttl time.Duration) (Lease, error)) {
	l.(*locker).renew = renew
}

// SetAfterFenceCheck makes f run inside every fenced write of s, right
// after the lease row was checked and locked; call it before writing.
func SetAfterFenceCheck(s *Store, f func()) { s.afterFenceCheck = f }

// SafetyMargin is safetyMargin.
var SafetyMargin = safetyMargin
