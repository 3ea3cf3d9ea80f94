package pgstore_test

import (
	"context"
	"crypto/rand"
	"database/sql"
	"errors"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cardbridge/sansanhubspot/syncer"
	"github.com/cardbridge/sansanhubspot/syncer/pgstore"
)

// bound is how long a test waits for something that should happen much
// sooner, so that a loaded machine does not fail it.
const bound = 10 * time.Second

func lock(t *testing.T, l syncer.Locker) (context.Context, syncer.Fence, func()) {
	t.Helper()
	held, unlock, err := l.Lock(t.Context())
	if err != nil {
		t.Fatalf("Lock: %v", err)
	}
	t.Cleanup(unlock)
	f, ok := syncer.FenceFrom(held)
	if !ok {
		t.Fatal("the held context carries no fence")
	}
	return held, f, unlock
}

// checkFenceAgrees fails unless syncer.CheckFence(ctx) agrees with the
// fence's ValidUntil around the call.
func checkFenceAgrees(t *testing.T, ctx context.Context, f syncer.Fence) {
	t.Helper()
	before := time.Now()
	err := syncer.CheckFence(ctx)
	after := time.Now()
	vu := f.ValidUntil()
	switch {
	case after.Before(vu) && err != nil:
		t.Errorf("CheckFence = %v before ValidUntil %v", err, vu)
	case !before.Before(vu) && !errors.Is(err, syncer.ErrFenced):
		t.Errorf("CheckFence = %v after ValidUntil, want an error matching ErrFenced", err)
	}
}

func leaseToken(t *testing.T, s *pgstore.Store, name string) int64 {
	t.Helper()
	var token int64
	err := testDB(t).QueryRowContext(t.Context(),
		`SELECT token FROM sansanhubspot_leases WHERE connection = $1 AND name = $2`, s.Connection(), name).Scan(&token)
	if err != nil {
		t.Fatalf("reading the lease token: %v", err)
	}
	return token
}

// expireLease ends a lease in the database, as the server's clock would
// while its holder is paused (a GC pause, a frozen VM).
func expireLease(t *testing.T, s *pgstore.Store, name string) {
	t.Helper()
	_, err := testDB(t).ExecContext(t.Context(), `
		UPDATE sansanhubspot_leases SET expires_at = clock_timestamp() - interval '1 second'
		WHERE connection = $1 AND name = $2`, s.Connection(), name)
	if err != nil {
		t.Fatalf("expiring the lease: %v", err)
	}
}

func TestSafetyMargin(t *testing.T) {
	t.Parallel()
	tests := []struct {
		ttl, want time.Duration
	}{
		{300 * time.Millisecond, 100 * time.Millisecond},
		{500 * time.Millisecond, 100 * time.Millisecond},
		{time.Second, 200 * time.Millisecond},
		{time.Minute, 12 * time.Second},
	}
	for _, tt := range tests {
		if got := pgstore.SafetyMargin(tt.ttl); got != tt.want {
			t.Errorf("SafetyMargin(%v) = %v, want %v", tt.ttl, got, tt.want)
		}
	}
}

func TestLockRefusesTTLWithinMargin(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	for _, ttl := range []time.Duration{time.Millisecond, 100 * time.Millisecond} {
		_, unlock, err := s.Locker("engine", "replica-a", ttl).Lock(t.Context())
		if err == nil {
			unlock()
			t.Fatalf("Lock with ttl %v succeeded; the safety margin leaves no validity", ttl)
		}
		if errors.Is(err, syncer.ErrLocked) {
			t.Errorf("Lock with ttl %v = %v; a configuration error is not ErrLocked", ttl, err)
		}
	}
	// No lease was taken.
	if _, err := s.AcquireLease(t.Context(), "engine", "replica-b", time.Minute); err != nil {
		t.Errorf("AcquireLease after the refused Locks: %v", err)
	}
}

// TestLockerFence checks the fence of a held context: its epoch is the
// lease token, its validity starts before the acquire and is moved on by
// renewals, and unlocking ends it.
func TestLockerFence(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	const ttl = 2 * time.Second
	validity := ttl - pgstore.SafetyMargin(ttl)
	before := time.Now()
	held, f, unlock := lock(t, s.Locker("engine", "replica-a", ttl))
	after := time.Now()
	if token := leaseToken(t, s, "engine"); f.Epoch() != token {
		t.Errorf("Epoch() = %d, want the lease token %d", f.Epoch(), token)
	}
	first := f.ValidUntil()
	if first.Before(before.Add(validity)) || first.After(after.Add(validity)) {
		t.Errorf("ValidUntil() is %v after the start of Lock, want between %v and %v",
			first.Sub(before), validity, after.Sub(before)+validity)
	}
	checkFenceAgrees(t, held, f)

	// A renewal moves ValidUntil on.
	deadline := time.Now().Add(bound)
	for !f.ValidUntil().After(first) {
		if held.Err() != nil {
			t.Fatalf("the pass ended before a renewal: %v", context.Cause(held))
		}
		if time.Now().After(deadline) {
			t.Fatal("ValidUntil was not moved on by a renewal")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if vu := f.ValidUntil(); vu.After(time.Now().Add(validity)) {
		t.Errorf("ValidUntil() after a renewal is %v from now, more than the validity %v", time.Until(vu), validity)
	}
	checkFenceAgrees(t, held, f)
	// Past the first validity, the renewed fence keeps the context alive.
	renewed := f.ValidUntil()
	time.Sleep(time.Until(first.Add(50 * time.Millisecond)))
	if checked := time.Now(); held.Err() != nil && checked.Before(renewed) {
		t.Fatalf("held context done %v before the renewed ValidUntil: %v", renewed.Sub(checked), context.Cause(held))
	}
	checkFenceAgrees(t, held, f)

	unlock()
	if held.Err() == nil {
		t.Error("held context not done after unlock")
	}
	if err := syncer.CheckFence(held); !errors.Is(err, syncer.ErrFenced) {
		t.Errorf("CheckFence after unlock = %v, want an error matching ErrFenced", err)
	}
	b, err := s.AcquireLease(t.Context(), "engine", "replica-b", time.Minute)
	if err != nil {
		t.Fatalf("AcquireLease after unlock: %v", err)
	}
	if b.Token <= f.Epoch() {
		t.Errorf("next holder's token %d not greater than the epoch %d", b.Token, f.Epoch())
	}
}

// TestHeldContextEndsWhenRenewalIsStuck: the renewal never returns, yet the
// held context ends at ValidUntil.
func TestHeldContextEndsWhenRenewalIsStuck(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	l := s.Locker("engine", "replica-a", time.Second)
	entered, release := make(chan struct{}), make(chan struct{})
	var once sync.Once
	pgstore.SetRenew(l, func(context.Context, pgstore.Lease, time.Duration) (pgstore.Lease, error) {
		once.Do(func() { close(entered) })
		<-release // ignores its context: the goroutine is stuck
		return pgstore.Lease{}, errors.New("released by the test")
	})
	held, f, unlock := lock(t, l)
	releaseOnce := sync.OnceFunc(func() { close(release) })
	t.Cleanup(releaseOnce) // before unlock, which waits for the renewal
	vu := f.ValidUntil()
	checkFenceAgrees(t, held, f)
	select {
	case <-entered:
	case <-time.After(bound):
		t.Fatal("no renewal started")
	}
	select {
	case <-held.Done():
	case <-time.After(time.Until(vu) + bound):
		t.Fatalf("held context not done %v after ValidUntil", bound)
	}
	if ended := time.Now(); ended.Before(vu) {
		t.Errorf("held context ended %v before ValidUntil", vu.Sub(ended))
	}
	if err := context.Cause(held); !errors.Is(err, syncer.ErrFenced) {
		t.Errorf("context.Cause(held) = %v, want an error matching ErrFenced", err)
	}
	if err := syncer.CheckFence(held); !errors.Is(err, syncer.ErrFenced) {
		t.Errorf("CheckFence after ValidUntil = %v, want an error matching ErrFenced", err)
	}
	releaseOnce()
	done := make(chan struct{})
	go func() { unlock(); close(done) }()
	select {
	case <-done:
	case <-time.After(bound):
		t.Fatal("unlock did not return")
	}
}

// renewCall is one renewal a test observed.
type renewCall struct {
	start, deadline, validUntil, end time.Time
	hasDeadline                      bool
	err                              error
}

// TestRenewalTimeout blocks the lease row with another transaction, so
// real renewals hang in the database: each gives up at its timeout, which
// ends before the fence's validity, and the held context ends.
func TestRenewalTimeout(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	const ttl = time.Second
	l := s.Locker("engine", "replica-a", ttl)
	var mu sync.Mutex
	var calls []renewCall
	pgstore.SetRenew(l, func(ctx context.Context, lease pgstore.Lease, ttl time.Duration) (pgstore.Lease, error) {
		c := renewCall{start: time.Now()}
		c.deadline, c.hasDeadline = ctx.Deadline()
		if f, ok := syncer.FenceFrom(ctx); ok {
			c.validUntil = f.ValidUntil()
		}
		next, err := s.RenewLease(ctx, lease, ttl)
		c.end, c.err = time.Now(), err
		mu.Lock()
		calls = append(calls, c)
		mu.Unlock()
		return next, err
	})
	held, _, unlock := lock(t, l)
	blocker, err := testDB(t).BeginTx(t.Context(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer blocker.Rollback()
	var token int64
	if err := blocker.QueryRowContext(t.Context(), `
		SELECT token FROM sansanhubspot_leases WHERE connection = $1 AND name = 'engine' FOR SHARE`,
		s.Connection()).Scan(&token); err != nil {
		t.Fatal(err)
	}
	select {
	case <-held.Done():
	case <-time.After(ttl + bound):
		t.Fatal("held context not done while renewals cannot reach the lease row")
	}
	if err := context.Cause(held); !errors.Is(err, syncer.ErrFenced) || errors.Is(err, pgstore.ErrLeaseLost) {
		t.Errorf("context.Cause(held) = %v, want validity ended (ErrFenced, not ErrLeaseLost)", err)
	}
	if err := blocker.Rollback(); err != nil {
		t.Fatal(err)
	}
	unlock()
	mu.Lock()
	defer mu.Unlock()
	failed := 0
	for i, c := range calls {
		switch {
		case !c.hasDeadline:
			t.Errorf("renewal %d had no deadline", i)
		case c.validUntil.IsZero():
			t.Errorf("renewal %d: its context carries no fence", i)
		case !c.deadline.Before(c.validUntil):
			t.Errorf("renewal %d: deadline %v after its start, not before ValidUntil (%v after)",
				i, c.deadline.Sub(c.start), c.validUntil.Sub(c.start))
		case c.deadline.Sub(c.start) > ttl/3:
			t.Errorf("renewal %d: timeout %v, want at most ttl/3", i, c.deadline.Sub(c.start))
		}
		if c.err != nil {
			failed++
			if c.end.Sub(c.deadline) > bound/2 {
				t.Errorf("renewal %d returned %v after its deadline", i, c.end.Sub(c.deadline))
			}
		}
	}
	if failed == 0 {
		t.Errorf("none of the %d renewals was held up by the locked row", len(calls))
	}
}

// foreignFence is a syncer.Fence of another package, long expired.
type foreignFence struct{}

func (foreignFence) Epoch() int64          { return 1 }
func (foreignFence) ValidUntil() time.Time { return time.Unix(0, 0) }

// TestFencedWrites: writes under the fence of a holder whose lease expired,
// or was taken over, are refused and change nothing; the current holder's
// writes, unfenced writes and writes with another package's fence succeed.
func TestFencedWrites(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		// put writes v; get reads what is stored ("" when nothing).
		put func(ctx context.Context, s *pgstore.Store, v string) error
		get func(ctx context.Context, s *pgstore.Store) (string, error)
	}{
		{"PutLinks",
			func(ctx context.Context, s *pgstore.Store, v string) error {
				return s.PutLinks(ctx, []*syncer.Link{{PersonID: "p1", Message: v}, {PersonID: "p2", Message: v}})
			},
			func(ctx context.Context, s *pgstore.Store) (string, error) {
				ls, err := s.LinksByPerson(ctx, []string{"p1", "p2"})
				if err != nil || ls["p1"] == nil || ls["p2"] == nil || ls["p1"].Message != ls["p2"].Message {
					return "", errors.Join(err, errors.New("not one whole batch"))
				}
				return ls["p1"].Message, nil
			}},
		{"PutCheckpoint",
			func(ctx context.Context, s *pgstore.Store, v string) error {
				return s.PutCheckpoint(ctx, "cards", syncer.Checkpoint{Cursor: v})
			},
			func(ctx context.Context, s *pgstore.Store) (string, error) {
				cp, err := s.Checkpoint(ctx, "cards")
				return cp.Cursor, err
			}},
		{"PutMeta",
			func(ctx context.Context, s *pgstore.Store, v string) error {
				return s.PutMeta(ctx, "binding", []byte(v))
			},
			func(ctx context.Context, s *pgstore.Store) (string, error) {
				v, err := s.Meta(ctx, "binding")
				return string(v), err
			}},
		{"PutMetaDelete",
			// A refused delete must keep the value.
			func(ctx context.Context, s *pgstore.Store, v string) error {
				if err := s.PutMeta(ctx, "binding", nil); err != nil {
					return err
				}
				return s.PutMeta(ctx, "binding", []byte(v))
			},
			func(ctx context.Context, s *pgstore.Store) (string, error) {
				v, err := s.Meta(ctx, "binding")
				return string(v), err
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := newStore(t)
			ctx := t.Context()
			check := func(step, want string) {
				t.Helper()
				got, err := tt.get(ctx, s)
				if err != nil || got != want {
					t.Errorf("%s: stored (%q, %v), want %q", step, got, err, want)
				}
			}
			heldA, fa, _ := lock(t, s.Locker("engine", "replica-a", time.Minute))
			if err := tt.put(heldA, s, "a1"); err != nil {
				t.Fatalf("write under the holder's fence: %v", err)
			}
			check("after the holder's write", "a1")

			// A's lease expires on the server while A is paused: its local
			// validity cannot see that, the store must.
			expireLease(t, s, "engine")
			if err := syncer.CheckFence(heldA); err != nil {
				t.Fatalf("CheckFence = %v; the local validity should still run", err)
			}
			refused := func(step string, err error) {
				t.Helper()
				if !errors.Is(err, syncer.ErrFenced) {
					t.Errorf("%s: write = %v, want an error matching ErrFenced", step, err)
				} else if !strings.Contains(err.Error(), strconv.FormatInt(fa.Epoch(), 10)) {
					t.Errorf("%s: error %q does not mention the epoch %d", step, err, fa.Epoch())
				}
			}
			refused("expired lease", tt.put(heldA, s, "a2"))
			check("after a refused write", "a1")

			heldB, fb, _ := lock(t, s.Locker("engine", "replica-b", time.Minute))
			if fb.Epoch() <= fa.Epoch() {
				t.Fatalf("B's epoch %d not greater than A's %d", fb.Epoch(), fa.Epoch())
			}
			refused("lease taken over", tt.put(heldA, s, "a3"))
			check("after a refused write", "a1")
			if err := tt.put(heldB, s, "b1"); err != nil {
				t.Fatalf("write under the new holder's fence: %v", err)
			}
			check("after the new holder's write", "b1")
			if err := tt.put(ctx, s, "unfenced"); err != nil {
				t.Fatalf("unfenced write: %v", err)
			}
			check("after an unfenced write", "unfenced")
			if err := tt.put(syncer.WithFence(ctx, foreignFence{}), s, "foreign"); err != nil {
				t.Fatalf("write with another package's fence: %v", err)
			}
			check("after a write with another package's fence", "foreign")
			// A Store of the same connection honours the fence too.
			other := pgstore.New(testDB(t), s.Connection())
			refused("another Store", tt.put(heldA, other, "a4"))
			check("after a refused write through another Store", "foreign")
		})
	}
}

// appDB returns a database handle whose sessions carry a unique
// application_name, returned too, so that tests can watch them in
// pg_stat_activity.
func appDB(t *testing.T) (*sql.DB, string) {
	t.Helper()
	testDB(t)
	name := "sansanhubspot-test-" + rand.Text()
	dsn := os.Getenv(dsnEnv)
	if u, err := url.Parse(dsn); err == nil && u.Scheme != "" {
		q := u.Query()
		q.Set("application_name", name)
		u.RawQuery = q.Encode()
		dsn = u.String()
	} else {
		dsn += " application_name=" + name
	}
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db, name
}

// TestFenceHoldsOffTakeover pauses a fenced write right after its lease
// check until the lease has expired on the server: another holder's
// acquire waits for the write's transaction, and takes over only after it
// committed.
func TestFenceHoldsOffTakeover(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	dbB, appName := appDB(t)
	b := pgstore.New(dbB, s.Connection())
	checked, proceed := make(chan struct{}), make(chan struct{})
	var once sync.Once
	pgstore.SetAfterFenceCheck(s, func() {
		once.Do(func() { close(checked) })
		<-proceed
	})
	const ttl = time.Second
	heldA, fa, _ := lock(t, s.Locker("engine", "replica-a", ttl))
	proceedOnce := sync.OnceFunc(func() { close(proceed) })
	t.Cleanup(proceedOnce) // before unlock: a failing test must not leave the write blocked
	// The write outlives the held context, which ends at ValidUntil: only
	// the store's check fences it.
	wctx := context.WithoutCancel(heldA)
	wrote := make(chan error, 1)
	go func() { wrote <- s.PutCheckpoint(wctx, "cards", syncer.Checkpoint{Cursor: "a"}) }()
	select {
	case <-checked:
	case err := <-wrote:
		t.Fatalf("fenced write returned %v without reaching the hook", err)
	case <-time.After(bound):
		t.Fatal("fenced write did not reach its lease check")
	}
	// Wait for the lease to expire on the server's clock (renewals wait
	// for the write's share lock, so none succeeds).
	deadline := time.Now().Add(ttl + bound)
	for {
		var expired bool
		err := testDB(t).QueryRowContext(t.Context(), `
			SELECT expires_at <= clock_timestamp() FROM sansanhubspot_leases WHERE connection = $1 AND name = 'engine'`,
			s.Connection()).Scan(&expired)
		if err != nil {
			t.Fatal(err)
		}
		if expired {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("lease did not expire")
		}
		time.Sleep(20 * time.Millisecond)
	}
	type result struct {
		lease pgstore.Lease
		err   error
	}
	acquired := make(chan result, 1)
	go func() {
		l, err := b.AcquireLease(t.Context(), "engine", "replica-b", time.Minute)
		acquired <- result{l, err}
	}()
	// B's acquire must be waiting for a lock, not done.
	deadline = time.Now().Add(bound)
	for {
		if lockWaiters(t, appName) > 0 {
			break
		}
		select {
		case r := <-acquired:
			t.Fatalf("B acquired the lease while A's fenced write was open: (%+v, %v)", r.lease, r.err)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatal("B's acquire is neither waiting for a lock nor done")
		}
		time.Sleep(10 * time.Millisecond)
	}
	proceedOnce()
	if err := <-wrote; err != nil {
		t.Fatalf("fenced write checked while the lease was held: %v", err)
	}
	var r result
	select {
	case r = <-acquired:
	case <-time.After(bound):
		t.Fatal("B's acquire did not finish after A's write committed")
	}
	if r.err != nil || r.lease.Token <= fa.Epoch() {
		t.Fatalf("B's acquire = (%+v, %v), want a token greater than %d", r.lease, r.err, fa.Epoch())
	}
	if cp, err := s.Checkpoint(t.Context(), "cards"); err != nil || cp.Cursor != "a" {
		t.Errorf("Checkpoint = (%+v, %v), want A's write", cp, err)
	}
	// Now A's fence is refused.
	pgstore.SetAfterFenceCheck(s, nil)
	if err := s.PutCheckpoint(wctx, "cards", syncer.Checkpoint{Cursor: "late"}); !errors.Is(err, syncer.ErrFenced) {
		t.Errorf("A's write after B took over = %v, want an error matching ErrFenced", err)
	}
}

// lockWaiters counts the sessions of appName waiting for a lock.
func lockWaiters(t *testing.T, appName string) int {
	t.Helper()
	var waiting int
	err := testDB(t).QueryRowContext(t.Context(), `
		SELECT count(*) FROM pg_stat_activity WHERE application_name = $1 AND wait_event_type = 'Lock'`,
		appName).Scan(&waiting)
	if err != nil {
		t.Fatal(err)
	}
	return waiting
}

// waitForLockWait waits until a session of application appName waits for
// a lock.
func waitForLockWait(t *testing.T, appName string) {
	t.Helper()
	deadline := time.Now().Add(bound)
	for {
		if lockWaiters(t, appName) > 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("no session waits for a lock")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestFenceValidityStartsBeforeQuery slows down the acquire (a lock on the
// lease row) and a renewal (a delay in front of it): ValidUntil counts from
// before each query was sent, not from its answer.
func TestFenceValidityStartsBeforeQuery(t *testing.T) {
	t.Parallel()
	db, appName := appDB(t)
	s := pgstore.New(db, newStore(t).Connection())
	const ttl = 2 * time.Second
	validity := ttl - pgstore.SafetyMargin(ttl)
	// A lease row to lock: an earlier holder's, released.
	old, err := s.AcquireLease(t.Context(), "engine", "replica-old", time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.ReleaseLease(t.Context(), old); err != nil {
		t.Fatal(err)
	}
	l := s.Locker("engine", "replica-a", ttl)
	type renewed struct{ sent, answered time.Time }
	renewals := make(chan renewed, 100)
	pgstore.SetRenew(l, func(ctx context.Context, lease pgstore.Lease, ttl time.Duration) (pgstore.Lease, error) {
		var r renewed
		r.sent = time.Now()
		time.Sleep(50 * time.Millisecond) // a slow network
		next, err := s.RenewLease(ctx, lease, ttl)
		r.answered = time.Now()
		if err == nil {
			renewals <- r
		}
		return next, err
	})
	blocker, err := testDB(t).BeginTx(t.Context(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer blocker.Rollback()
	if _, err := blocker.ExecContext(t.Context(), `
		SELECT 1 FROM sansanhubspot_leases WHERE connection = $1 AND name = 'engine' FOR SHARE`, s.Connection()); err != nil {
		t.Fatal(err)
	}
	type locked struct {
		held   context.Context
		unlock func()
		err    error
	}
	res := make(chan locked, 1)
	go func() {
		held, unlock, err := l.Lock(t.Context())
		res <- locked{held, unlock, err}
	}()
	waitForLockWait(t, appName)
	released := time.Now()
	if err := blocker.Rollback(); err != nil {
		t.Fatal(err)
	}
	r := <-res
	if r.err != nil {
		t.Fatalf("Lock: %v", r.err)
	}
	t.Cleanup(r.unlock)
	f, _ := syncer.FenceFrom(r.held)
	if vu := f.ValidUntil(); !vu.Before(released.Add(validity)) {
		t.Errorf("ValidUntil() is %v after the acquire could first be answered, want less than the validity %v",
			vu.Sub(released), validity)
	}
	select {
	case rn := <-renewals:
		// Renewals send to the channel before the fence is extended: with
		// no other renewal in it, vu is this renewal's.
		vu := f.ValidUntil()
		if len(renewals) == 0 && !vu.Before(rn.answered.Add(validity)) {
			t.Errorf("ValidUntil() is %v after the renewal was answered, want less than the validity %v",
				vu.Sub(rn.answered), validity)
		}
	case <-time.After(bound):
		t.Fatal("no renewal succeeded")
	}
}

// TestHeldContextEndsWhenLeaseLost: a renewal that finds the lease taken
// over ends the held context at once, before its validity would.
func TestHeldContextEndsWhenLeaseLost(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	held, f, _ := lock(t, s.Locker("engine", "replica-a", 3*time.Second))
	expireLease(t, s, "engine")
	if _, err := s.AcquireLease(t.Context(), "engine", "replica-b", time.Minute); err != nil {
		t.Fatal(err)
	}
	select {
	case <-held.Done():
	case <-time.After(bound):
		t.Fatal("held context not done after the lease was taken over")
	}
	if err := context.Cause(held); !errors.Is(err, syncer.ErrFenced) || !errors.Is(err, pgstore.ErrLeaseLost) {
		t.Errorf("context.Cause(held) = %v, want an error matching ErrFenced and ErrLeaseLost", err)
	}
	if err := syncer.CheckFence(held); !errors.Is(err, syncer.ErrFenced) {
		t.Errorf("CheckFence = %v, want an error matching ErrFenced", err)
	}
	if !strings.Contains(context.Cause(held).Error(), strconv.FormatInt(f.Epoch(), 10)) {
		t.Errorf("cause %q does not mention the epoch %d", context.Cause(held), f.Epoch())
	}
}
