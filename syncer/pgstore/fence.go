package pgstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/cardbridge/sansanhubspot/syncer"
)

// fence is the [syncer.Fence] a [Store.Locker] attaches to the context of
// a pass: the lease it holds, and until when the holder may rely on it.
// Writes of a Store made with it check the lease row in their own
// transaction (see Store.checkFence).
type fence struct {
	conn, name, holder string
	token              int64

	mu     sync.Mutex
	until  time.Time // ValidUntil; moves forward on renewals, to now when ended
	ended  bool
	timer  *time.Timer
	cancel context.CancelCauseFunc // ends the held context
}

// Epoch implements [syncer.Fence]: the lease's token.
func (f *fence) Epoch() int64 { return f.token }

// ValidUntil implements [syncer.Fence].
func (f *fence) ValidUntil() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.until
}

// watch arms the timer that ends the fence, and cancels the held context
// with cancel, when its validity passes.
func (f *fence) watch(cancel context.CancelCauseFunc) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.cancel = cancel
	f.timer = time.AfterFunc(time.Until(f.until), f.expire)
}

// expire runs on the timer: it ends the fence unless a renewal moved its
// validity on in the meantime.
func (f *fence) expire() {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.ended {
		return
	}
	if d := time.Until(f.until); d > 0 {
		f.timer.Reset(d) // renewed while this call waited for the lock
		return
	}
	f.endLocked(fmt.Errorf("pgstore: lease %q of epoch %d: validity ended before a renewal succeeded: %w",
		f.name, f.token, syncer.ErrFenced))
}

// extend moves the validity on to until after a successful renewal and
// resets the timer. It reports false if the fence has already ended: a
// renewal that succeeds too late does not revive it.
func (f *fence) extend(until time.Time) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.ended {
		return false
	}
	if until.After(f.until) {
		f.until = until
		f.timer.Reset(time.Until(until))
	}
	return true
}

// end ends the fence now, if it has not ended yet, and cancels the held
// context with cause.
func (f *fence) end(cause error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.endLocked(cause)
}

func (f *fence) endLocked(cause error) {
	if f.ended {
		return
	}
	f.ended = true
	if now := time.Now(); now.Before(f.until) {
		f.until = now
	}
	f.timer.Stop()
	f.cancel(cause)
}

// fenceOf returns the fence of this package that ctx carries, or nil: a
// context without a fence, or with another package's, writes unfenced.
func fenceOf(ctx context.Context) *fence {
	f, _ := syncer.FenceFrom(ctx)
	pf, _ := f.(*fence)
	return pf
}

// write runs fn, the statements of one write op. When ctx carries a fence
// of this package, it runs them in a transaction that first checks and
// locks the lease (see checkFence); otherwise in a transaction only if
// single is false, when they are several statements.
func (s *Store) write(ctx context.Context, op string, single bool, fn func(db execer) error) error {
	f := fenceOf(ctx)
	if f == nil && single {
		return fn(s.db)
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return s.wrap(ctx, op, err)
	}
	defer tx.Rollback()
	if f != nil {
		if err := s.checkFence(ctx, tx, f, op); err != nil {
			return err
		}
	}
	if err := fn(tx); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return s.wrap(ctx, op, err)
	}
	return nil
}

// checkFence locks f's lease row for share in tx and returns an error
// wrapping [syncer.ErrFenced] unless the row still names f's holder and
// token and has not expired on the server's clock. Taking over a lease
// updates its row, which waits for the share lock, so no other holder can
// acquire the lease between this check and the end of tx: the writes of tx
// happen under f's lease or not at all.
//
// The lease row is looked up in the database this store writes to, under
// the fence's connection key, which may differ from the store's.
func (s *Store) checkFence(ctx context.Context, tx *sql.Tx, f *fence, op string) error {
	var one int
	err := tx.QueryRowContext(ctx, `
		SELECT 1 FROM sansanhubspot_leases
		WHERE connection = $1 AND name = $2 AND holder = $3 AND token = $4 AND expires_at > clock_timestamp()
		FOR SHARE`,
		f.conn, f.name, f.holder, f.token).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("pgstore: %s: lease %q of epoch %d is no longer held: %w", op, f.name, f.token, syncer.ErrFenced)
	}
	if err != nil {
		return s.wrap(ctx, op, err)
	}
	if s.afterFenceCheck != nil {
		s.afterFenceCheck()
	}
	return nil
}
