package pgstore_test

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cardbridge/sansanhubspot/syncer/pgstore"
)

func TestLeaseTwoHolders(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	ctx := t.Context()
	a, err := s.AcquireLease(ctx, "engine", "replica-a", time.Minute)
	if err != nil {
		t.Fatalf("A: AcquireLease: %v", err)
	}
	if a.Token < 1 || a.Name != "engine" || a.Holder != "replica-a" || !a.Expires.After(time.Now().Add(30*time.Second)) {
		t.Errorf("A's lease = %+v", a)
	}
	_, err = s.AcquireLease(ctx, "engine", "replica-b", time.Minute)
	if !errors.Is(err, pgstore.ErrLeaseHeld) {
		t.Fatalf("B: AcquireLease while A holds it = %v, want ErrLeaseHeld", err)
	}
	if !strings.Contains(err.Error(), "replica-a") {
		t.Errorf("error %q does not name the holder", err)
	}
	// Another name is a different lease.
	if _, err := s.AcquireLease(ctx, "other", "replica-b", time.Minute); err != nil {
		t.Errorf("B: AcquireLease(other) = %v", err)
	}
	// A acquiring again renews and keeps the token.
	again, err := s.AcquireLease(ctx, "engine", "replica-a", 2*time.Minute)
	if err != nil {
		t.Fatalf("A: AcquireLease again: %v", err)
	}
	if again.Token != a.Token || !again.Expires.After(a.Expires) {
		t.Errorf("A's re-acquired lease = %+v, first was %+v", again, a)
	}
	renewed, err := s.RenewLease(ctx, a, time.Hour)
	if err != nil {
		t.Fatalf("A: RenewLease: %v", err)
	}
	if !renewed.Expires.After(again.Expires) || renewed.Token != a.Token {
		t.Errorf("renewed lease = %+v", renewed)
	}
	if err := s.ReleaseLease(ctx, renewed); err != nil {
		t.Fatalf("A: ReleaseLease: %v", err)
	}
	b, err := s.AcquireLease(ctx, "engine", "replica-b", time.Minute)
	if err != nil {
		t.Fatalf("B: AcquireLease after release: %v", err)
	}
	if b.Token <= a.Token {
		t.Errorf("B's token %d not greater than A's %d", b.Token, a.Token)
	}
	if _, err := s.RenewLease(ctx, a, time.Minute); !errors.Is(err, pgstore.ErrLeaseLost) {
		t.Errorf("A: RenewLease after B took over = %v, want ErrLeaseLost", err)
	}
	// A's late release must not free B's lease.
	if err := s.ReleaseLease(ctx, a); err != nil {
		t.Errorf("A: late ReleaseLease = %v, want nil", err)
	}
	if _, err := s.AcquireLease(ctx, "engine", "replica-a", time.Minute); !errors.Is(err, pgstore.ErrLeaseHeld) {
		t.Errorf("A: AcquireLease after its late release = %v, want ErrLeaseHeld", err)
	}
	if _, err := s.AcquireLease(ctx, "engine", "replica-a", 0); err == nil {
		t.Errorf("AcquireLease with ttl 0 succeeded")
	}
}

func TestLeaseExpiryTakeover(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	ctx := t.Context()
	// A "crashes" right after acquiring: it never renews.
	a, err := s.AcquireLease(ctx, "engine", "replica-a", 200*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	var b pgstore.Lease
	deadline := time.Now().Add(10 * time.Second)
	for {
		b, err = s.AcquireLease(ctx, "engine", "replica-b", time.Minute)
		if err == nil {
			break
		}
		if !errors.Is(err, pgstore.ErrLeaseHeld) || time.Now().After(deadline) {
			t.Fatalf("B: AcquireLease = %v; want success once A's lease expires", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if b.Token <= a.Token {
		t.Errorf("B's token %d not greater than A's %d", b.Token, a.Token)
	}
	if _, err := s.RenewLease(ctx, a, time.Minute); !errors.Is(err, pgstore.ErrLeaseLost) {
		t.Errorf("A: RenewLease after expiry = %v, want ErrLeaseLost", err)
	}
}

func TestLeaseExpiredIsLostEvenWithoutTakeover(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	a, err := s.AcquireLease(t.Context(), "engine", "replica-a", time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	for time.Now().Before(a.Expires.Add(50 * time.Millisecond)) {
		time.Sleep(10 * time.Millisecond)
	}
	if _, err := s.RenewLease(t.Context(), a, time.Minute); !errors.Is(err, pgstore.ErrLeaseLost) {
		t.Errorf("RenewLease after expiry = %v, want ErrLeaseLost", err)
	}
}

func TestLeaseOneWinner(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	const replicas = 8
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		winners []string
	)
	for i := range replicas {
		wg.Add(1)
		go func() {
			defer wg.Done()
			holder := fmt.Sprintf("replica-%d", i)
			_, err := s.AcquireLease(t.Context(), "engine", holder, time.Minute)
			switch {
			case err == nil:
				mu.Lock()
				winners = append(winners, holder)
				mu.Unlock()
			case !errors.Is(err, pgstore.ErrLeaseHeld):
				t.Errorf("%s: AcquireLease: %v", holder, err)
			}
		}()
	}
	wg.Wait()
	if len(winners) != 1 {
		t.Errorf("winners = %v, want exactly one", winners)
	}
}
