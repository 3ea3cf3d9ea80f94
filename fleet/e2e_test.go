package fleet_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/cardbridge/sansanhubspot/fleet"
	"github.com/cardbridge/sansanhubspot/fleet/internal/fakefleet"
	"github.com/cardbridge/sansanhubspot/hubspot/hubspottest"
	"github.com/cardbridge/sansanhubspot/sansan/sansantest"
	"github.com/cardbridge/sansanhubspot/syncer"
)

// replica is a worker process of the end-to-end test.
type replica struct {
	id      string
	cmd     *exec.Cmd
	webhook string
	done    chan struct{} // closed when the process has exited
}

// buildWorker compiles ./internal/e2eworker into a temporary directory.
func buildWorker(t testing.TB) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "e2eworker")
	cmd := exec.Command("go", "build", "-o", bin, "./internal/e2eworker")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build worker: %v\n%s", err, out)
	}
	return bin
}

// startReplica starts a worker process and waits for its READY line.
func startReplica(t testing.TB, bin, id, dsn, schema, keyring, secret string, args ...string) *replica {
	t.Helper()
	cmd := exec.Command(bin, append([]string{"-dsn", dsn, "-schema", schema, "-id", id}, args...)...)
	cmd.Env = append(os.Environ(), "FLEET_KEYRING="+keyring, "FLEET_WEBHOOK_SECRET="+secret)
	cmd.Stderr = os.Stderr
	dieWithParent(cmd)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	r := &replica{id: id, cmd: cmd, done: make(chan struct{})}
	sc := bufio.NewScanner(out)
	if !sc.Scan() {
		_ = cmd.Process.Kill()
		t.Fatalf("replica %s exited before READY", id)
	}
	r.webhook = strings.TrimPrefix(sc.Text(), "READY ") + "webhooks/hubspot"
	go func() {
		for sc.Scan() {
		}
		_ = cmd.Wait()
		close(r.done)
	}()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-r.done:
		case <-time.After(15 * time.Second):
			_ = cmd.Process.Kill()
			<-r.done
		}
	})
	return r
}

func testDSN() string {
	if dsn, ok := os.LookupEnv(dsnEnv); ok {
		return dsn
	}
	return defaultDSN
}

// TestEndToEnd runs 3 worker processes over 30 connections, each with its
// own fake Sansan tenant and HubSpot portal: passes run with card edits, the
// River leader is killed with SIGKILL in the middle of a pass, and webhooks
// go to the surviving replicas. Every portal must converge to the contacts
// a clean sync of its cards produces, with no duplicate, no two passes of a
// portal ever overlapping, the killed pass resumed by another replica, and
// every webhook applied by its own connection.
func TestEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end test: builds and runs worker processes")
	}
	t.Parallel()
	ctx := t.Context()
	pool := testPool(t)
	schema := testSchema(t, pool)
	key, err := fleet.GenerateKey("e2e")
	if err != nil {
		t.Fatal(err)
	}
	ring, err := fleet.NewKeyring(key)
	if err != nil {
		t.Fatal(err)
	}
	keyring := key.ID + ":" + encodeKey(key)
	const secret = "e2e-webhook-secret"
	f, err := fleet.New(fleet.Config{Pool: pool, Schema: schema, Secrets: fleet.NewSealedSecrets(pool, schema, ring)})
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	bin := buildWorker(t)

	// 30 tenants: 24 synced every 300 ms, 6 two-way ones that sync only on
	// webhooks after their initial pass (interval of an hour).
	const n, hooked = 30, 6
	tenants := make([]*fakefleet.Tenant, n)
	conns := make([]*fleet.Connection, n)
	for i := range n {
		tenants[i] = startTenant(t, int64(900000+i), fakefleet.Options{
			Cards: 30, Seed: uint64(100 + i),
			Sansan: []sansantest.Option{sansantest.WithLatency(10 * time.Millisecond)},
		})
		spec := tenants[i].Spec(300*time.Millisecond, syncer.SansanToHubSpot)
		if i >= n-hooked {
			spec = tenants[i].Spec(time.Hour, syncer.TwoWay)
		}
		sec := tenants[i].Secrets()
		if conns[i], err = f.Add(ctx, spec, &sec); err != nil {
			t.Fatal(err)
		}
	}
	replicas := make([]*replica, 3)
	for i := range replicas {
		replicas[i] = startReplica(t, bin, fmt.Sprintf("w%d", i+1), testDSN(), schema, keyring, secret,
			"-workers", "4", "-pass-timeout", "3s", "-rescue-after", "4s")
	}
	for i, tn := range tenants {
		eventually(t, 60*time.Second, func() error {
			if i >= n-hooked && tn.Passes.Count() == 0 {
				return errors.New("no pass yet")
			}
			return converged(ctx, tn)
		})
	}

	// Card edits while passes run.
	rng := rand.New(rand.NewPCG(1, 2))
	edit := func(round int) {
		for i := range n - hooked {
			tn := tenants[i]
			c := tn.Cards[rng.IntN(len(tn.Cards))]
			if _, err := tn.Sansan.UpdateCard(c.ID, func(c *sansantest.Card) {
				c.Title = ptr(fmt.Sprintf("edit %d of portal %d", round, tn.PortalID))
			}); err != nil {
				t.Fatal(err)
			}
		}
	}
	edit(1)

	// Kill River's leader in the middle of a pass.
	var leader string
	eventually(t, 60*time.Second, func() error {
		return pool.QueryRow(ctx, "SELECT leader_id FROM "+pgx.Identifier{schema, "river_leader"}.Sanitize()).Scan(&leader)
	})
	var victim *replica
	for _, r := range replicas {
		if r.id == leader {
			victim = r
		}
	}
	if victim == nil {
		t.Fatalf("leader %q is not one of the replicas", leader)
	}
	var (
		inFlight []int // tenants with a pass of the victim in flight
		killedAt time.Time
	)
	eventually(t, 60*time.Second, func() error {
		edit(2)
		for i, tn := range tenants {
			if tn.Passes.Busy(victim.id) {
				inFlight = append(inFlight, i)
			}
		}
		if len(inFlight) == 0 {
			return errors.New("leader has no pass in flight")
		}
		if err := victim.cmd.Process.Kill(); err != nil {
			t.Fatal(err)
		}
		killedAt = time.Now()
		return nil
	})
	<-victim.done
	edit(3)

	// Webhooks to the surviving replicas: a contact typed into each hooked
	// portal must become a card in that portal's own Sansan tenant.
	var survivors []*replica
	for _, r := range replicas {
		if r != victim {
			survivors = append(survivors, r)
		}
	}
	hookEmail := func(i int) string { return fmt.Sprintf("hook.%d@portal.example.jp", tenants[i].PortalID) }
	for i := n - hooked; i < n; i++ {
		tn := tenants[i]
		c, err := tn.HubSpot.CreateContact(map[string]string{"email": hookEmail(i), "firstname": "Hook", "lastname": strconv.Itoa(i)})
		if err != nil {
			t.Fatal(err)
		}
		id, _ := strconv.ParseInt(c.ID, 10, 64)
		em := hubspottest.NewWebhookEmitter(survivors[i%len(survivors)].webhook, secret, 1)
		em.PortalID = tn.PortalID
		if err := em.Send(ctx, []hubspottest.WebhookEvent{em.ContactCreation(id)}); err != nil {
			t.Fatal(err)
		}
	}

	// Convergence everywhere.
	var wg sync.WaitGroup
	recovered := make([]time.Duration, n)
	errs := make([]error, n)
	for i, tn := range tenants {
		wg.Add(1)
		go func() {
			defer wg.Done()
			deadline := time.Now().Add(90 * time.Second)
			ranAgain := false
			for {
				var err error
				if i >= n-hooked && !ranAgain {
					// The registered card's ids reach its contact in the
					// connection's next pass; hooked connections have an
					// hour's interval, so ask for it.
					if err = hasCard(tn.Sansan, hookEmail(i)); err == nil {
						err = f.RunNow(ctx, conns[i].ID)
						ranAgain = err == nil
						if err == nil {
							err = errors.New("ran again")
						}
					}
				} else {
					err = converged(ctx, tn)
				}
				if err == nil {
					recovered[i] = time.Since(killedAt)
					return
				}
				if time.Now().After(deadline) {
					errs[i] = err
					return
				}
				time.Sleep(500 * time.Millisecond)
			}
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	for i, tn := range tenants {
		if err := tn.Passes.Overlaps(); err != nil {
			t.Errorf("portal %d: overlapping passes: %v", tn.PortalID, err)
		}
		for j, other := range tenants {
			if j != i && j >= n-hooked && hasCard(tn.Sansan, hookEmail(j)) == nil {
				t.Errorf("portal %d's webhook contact reached portal %d", other.PortalID, tn.PortalID)
			}
		}
	}
	// The killed passes resumed on other replicas after the rescue.
	for _, i := range inFlight {
		tn := tenants[i]
		resumed := false
		for _, p := range tn.Passes.Passes() {
			if !strings.HasPrefix(p, victim.id+"/") {
				resumed = resumed || passAfter(tn, p, killedAt)
			}
		}
		if !resumed {
			t.Errorf("portal %d (pass in flight on the killed %s) had no later pass on another replica: %q", tn.PortalID, victim.id, tn.Passes.Passes())
		}
		t.Logf("portal %d: killed mid-pass on %s; converged %v after the kill", tn.PortalID, victim.id, recovered[i].Round(time.Millisecond))
	}
	checkRescued(t, ctx, pool, schema, victim.id)
	// Nothing left behind: every connection active, no event waiting.
	cs, err := f.List(ctx, fleet.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cs {
		if c.State != fleet.StateActive {
			t.Errorf("connection %s is %s: %s", c.ID, c.State, c.Reason)
		}
	}
	var events int
	if err := pool.QueryRow(ctx, "SELECT count(*) FROM "+pgx.Identifier{schema, "sansanhubspot_fleet_events"}.Sanitize()).Scan(&events); err != nil {
		t.Fatal(err)
	}
	if events != 0 {
		t.Errorf("%d webhook events never applied", events)
	}
}

// passAfter reports whether pass p of the tenant sent requests after t.
func passAfter(tn *fakefleet.Tenant, p string, t time.Time) bool {
	return tn.Passes.FirstRequest(p).After(t)
}

// checkRescued asserts that a pass job the killed replica was running was
// finished by another replica (River's rescue, then a retry).
func checkRescued(t *testing.T, ctx context.Context, pool *pgxpool.Pool, schema, killed string) {
	t.Helper()
	var n int
	err := pool.QueryRow(ctx, `SELECT count(*) FROM `+pgx.Identifier{schema, "river_job"}.Sanitize()+`
WHERE kind = $1 AND $2 = ANY(attempted_by) AND attempted_by[array_length(attempted_by, 1)] <> $2 AND state = 'completed'`,
		fleet.KindPass, killed).Scan(&n)
	if err != nil {
		t.Fatal(err)
	}
	if n == 0 {
		t.Errorf("no pass job attempted by the killed replica %s was completed by another", killed)
	}
}

func hasCard(f *sansantest.Fake, email string) error {
	for _, c := range f.Cards() {
		if c.Email != nil && *c.Email == email {
			return nil
		}
	}
	return fmt.Errorf("no card with email %s", email)
}
