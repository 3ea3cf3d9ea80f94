package pgstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Lease errors; match them with errors.Is.
var (
	// ErrLeaseHeld means another holder has the lease and it has not
	// expired.
	ErrLeaseHeld = errors.New("pgstore: lease is held by another holder")
	// ErrLeaseLost means the lease expired and may have been taken over,
	// or was released: the holder must stop working.
	ErrLeaseLost = errors.New("pgstore: lease lost")
)

// Lease is a time-limited, exclusive claim on a name within a connection,
// such as "engine", so that only one of several replicas runs the sync
// engine. Expiry uses the database server's clock, so replicas' clocks need
// not agree.
type Lease struct {
	// Name and Holder are what AcquireLease was called with.
	Name   string
	Holder string
	// Token increases every time the lease changes hands. Pass it to
	// systems that can reject writes from an older holder (fencing).
	Token int64
	// Expires is when the lease ends unless renewed, on the database
	// server's clock.
	Expires time.Time
}

// AcquireLease claims the lease name for holder for ttl. It succeeds when
// the lease is free, expired, or already held by holder (then it is
// renewed and keeps its token), and fails with an error matching
// [ErrLeaseHeld] otherwise. The holder must renew it with [Store.RenewLease]
// well before it expires, say every ttl/3, and stop working when renewal
// fails. ttl is rounded down to microseconds and must be positive.
func (s *Store) AcquireLease(ctx context.Context, name, holder string, ttl time.Duration) (Lease, error) {
	if err := ctx.Err(); err != nil {
		return Lease{}, err
	}
	if ttl < time.Microsecond {
		return Lease{}, fmt.Errorf("pgstore: acquire lease %q: ttl %v is not positive", name, ttl)
	}
	l := Lease{Name: name, Holder: holder}
	err := s.db.QueryRowContext(ctx, `
		INSERT INTO sansanhubspot_leases AS l (connection, name, holder, token, expires_at)
		VALUES ($1, $2, $3, 1, clock_timestamp() + $4 * interval '1 microsecond')
		ON CONFLICT (connection, name) DO UPDATE SET
			holder = excluded.holder,
			token = CASE WHEN l.holder = excluded.holder AND l.expires_at > clock_timestamp()
				THEN l.token ELSE l.token + 1 END,
			expires_at = excluded.expires_at
		WHERE l.holder = excluded.holder OR l.expires_at <= clock_timestamp()
		RETURNING token, expires_at`,
		s.conn, name, holder, ttl.Microseconds()).Scan(&l.Token, &l.Expires)
	if errors.Is(err, sql.ErrNoRows) {
		var other string
		var until time.Time
		err := s.db.QueryRowContext(ctx, `
			SELECT holder, expires_at FROM sansanhubspot_leases WHERE connection = $1 AND name = $2`,
			s.conn, name).Scan(&other, &until)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return Lease{}, s.wrap(ctx, "acquire lease", err)
		}
		return Lease{}, fmt.Errorf("pgstore: acquire lease %q: %w: %q until %s",
			name, ErrLeaseHeld, other, until.UTC().Format(time.RFC3339Nano))
	}
	if err != nil {
		return Lease{}, s.wrap(ctx, "acquire lease", err)
	}
	return l, nil
}

// RenewLease extends l by ttl from now and returns the renewed lease. It
// fails with an error matching [ErrLeaseLost] if l expired (even if nobody
// took it over yet) or was released or taken over.
func (s *Store) RenewLease(ctx context.Context, l Lease, ttl time.Duration) (Lease, error) {
	if err := ctx.Err(); err != nil {
		return Lease{}, err
	}
	if ttl < time.Microsecond {
		return Lease{}, fmt.Errorf("pgstore: renew lease %q: ttl %v is not positive", l.Name, ttl)
	}
	err := s.db.QueryRowContext(ctx, `
		UPDATE sansanhubspot_leases
		SET expires_at = clock_timestamp() + $5 * interval '1 microsecond'
		WHERE connection = $1 AND name = $2 AND holder = $3 AND token = $4 AND expires_at > clock_timestamp()
		RETURNING expires_at`,
		s.conn, l.Name, l.Holder, l.Token, ttl.Microseconds()).Scan(&l.Expires)
	if errors.Is(err, sql.ErrNoRows) {
		return Lease{}, fmt.Errorf("pgstore: renew lease %q for %q: %w", l.Name, l.Holder, ErrLeaseLost)
	}
	if err != nil {
		return Lease{}, s.wrap(ctx, "renew lease", err)
	}
	return l, nil
}

// ReleaseLease gives l up so another holder can acquire it at once. It is
// a no-op if l was already lost. The lease row stays, expired, so the next
// holder's token is still greater.
func (s *Store) ReleaseLease(ctx context.Context, l Lease) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	_, err := s.db.ExecContext(ctx, `
		UPDATE sansanhubspot_leases SET expires_at = LEAST(expires_at, clock_timestamp())
		WHERE connection = $1 AND name = $2 AND holder = $3 AND token = $4`,
		s.conn, l.Name, l.Holder, l.Token)
	if err != nil {
		return s.wrap(ctx, "release lease", err)
	}
	return nil
}
