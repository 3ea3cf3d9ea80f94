package pgstore_test

import (
	"crypto/rand"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	_ "github.com/jackc/pgx/v5/stdlib"

	"github.com/cardbridge/sansanhubspot/syncer"
	"github.com/cardbridge/sansanhubspot/syncer/pgstore"
	"github.com/cardbridge/sansanhubspot/syncer/storetest"
)

const dsnEnv = "SANSANHUBSPOT_PG_DSN"

var (
	dbOnce sync.Once
	db     *sql.DB
	dbErr  error
)

// testDB returns the shared, migrated database; it skips the test when
// SANSANHUBSPOT_PG_DSN is unset and fails it when the server is unreachable.
func testDB(t testing.TB) *sql.DB {
	t.Helper()
	dsn := os.Getenv(dsnEnv)
	if dsn == "" {
		t.Skipf("%s is not set; see the package documentation", dsnEnv)
	}
	dbOnce.Do(func() {
		db, dbErr = sql.Open("pgx", dsn)
		if dbErr != nil {
			return
		}
		db.SetMaxOpenConns(16)
		if dbErr = db.PingContext(t.Context()); dbErr != nil {
			return
		}
		dbErr = pgstore.New(db, "").Migrate(t.Context())
	})
	if dbErr != nil {
		t.Fatalf("%s is set but the database is not usable: %v", dsnEnv, dbErr)
	}
	return db
}

// newStore returns a store with a connection key no other test uses, and
// deletes its rows when the test ends.
func newStore(t testing.TB) *pgstore.Store {
	t.Helper()
	db := testDB(t)
	key := fmt.Sprintf("test/%s/%s", t.Name(), rand.Text())
	t.Cleanup(func() {
		for _, table := range []string{"sansanhubspot_links", "sansanhubspot_checkpoints", "sansanhubspot_leases", "sansanhubspot_meta"} {
			if _, err := db.Exec("DELETE FROM "+table+" WHERE connection = $1", key); err != nil {
				t.Errorf("cleanup %s: %v", table, err)
			}
		}
	})
	return pgstore.New(db, key)
}

func TestStore(t *testing.T) {
	t.Parallel()
	testDB(t)
	storetest.Run(t, func(t *testing.T) syncer.Store { return newStore(t) })
}

func BenchmarkStore(b *testing.B) {
	storetest.Bench(b, func(b *testing.B) syncer.Store { return newStore(b) })
}

func TestMigrateConcurrentAndIdempotent(t *testing.T) {
	t.Parallel()
	db := testDB(t)
	var wg sync.WaitGroup
	for i := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := pgstore.New(db, fmt.Sprint(i)).Migrate(t.Context()); err != nil {
				t.Errorf("Migrate %d: %v", i, err)
			}
		}()
	}
	wg.Wait()
	if !strings.Contains(pgstore.SchemaSQL(), "CREATE TABLE IF NOT EXISTS sansanhubspot_links") {
		t.Errorf("SchemaSQL() lacks the links table:\n%s", pgstore.SchemaSQL())
	}
}

func TestConnectionsAreIsolated(t *testing.T) {
	t.Parallel()
	a, b := newStore(t), newStore(t)
	ctx := t.Context()
	link := &syncer.Link{PersonID: "p1", Email: "a@example.com", ContactID: "c1", State: syncer.StateFailing}
	if err := a.PutLinks(ctx, []*syncer.Link{link}); err != nil {
		t.Fatal(err)
	}
	if err := a.PutCheckpoint(ctx, "cards", syncer.Checkpoint{Cursor: "x"}); err != nil {
		t.Fatal(err)
	}
	if _, err := a.AcquireLease(ctx, "engine", "replica-a", time.Minute); err != nil {
		t.Fatal(err)
	}
	byP, err := b.LinksByPerson(ctx, []string{"p1"})
	if err != nil || len(byP) != 0 {
		t.Errorf("other connection: LinksByPerson = (%v, %v), want none", byP, err)
	}
	byE, err := b.LinksByEmail(ctx, []string{"a@example.com"})
	if err != nil || len(byE) != 0 {
		t.Errorf("other connection: LinksByEmail = (%v, %v), want none", byE, err)
	}
	if _, err := b.LinkByContact(ctx, "c1"); !errors.Is(err, syncer.ErrNotFound) {
		t.Errorf("other connection: LinkByContact = %v, want ErrNotFound", err)
	}
	if got, err := b.LinksToRetry(ctx, time.Now(), 0); err != nil || len(got) != 0 {
		t.Errorf("other connection: LinksToRetry = (%v, %v), want none", got, err)
	}
	if _, err := b.Checkpoint(ctx, "cards"); !errors.Is(err, syncer.ErrNotFound) {
		t.Errorf("other connection: Checkpoint = %v, want ErrNotFound", err)
	}
	if _, err := b.AcquireLease(ctx, "engine", "replica-b", time.Minute); err != nil {
		t.Errorf("other connection: AcquireLease = %v, want its own lease", err)
	}
	// The same person in the other connection is a separate row.
	other := &syncer.Link{PersonID: "p1", Email: "b@example.com"}
	if err := b.PutLinks(ctx, []*syncer.Link{other}); err != nil {
		t.Fatal(err)
	}
	got, err := a.LinksByPerson(ctx, []string{"p1"})
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(link, got["p1"]); d != "" {
		t.Errorf("first connection's link changed (-want +got):\n%s", d)
	}
}

func TestLargeBatch(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	// More than one statement's worth of rows: still one transaction.
	links := make([]*syncer.Link, 10_050)
	ids := make([]string, len(links))
	for i := range links {
		ids[i] = fmt.Sprintf("p%05d", i)
		links[i] = &syncer.Link{PersonID: ids[i], ContactID: "shared"}
	}
	if err := s.PutLinks(t.Context(), links); err != nil {
		t.Fatal(err)
	}
	got, err := s.LinksByPerson(t.Context(), ids)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(links) {
		t.Errorf("stored %d of %d links", len(got), len(links))
	}
	// The last link of the batch holds the shared contact.
	l, err := s.LinkByContact(t.Context(), "shared")
	if err != nil {
		t.Fatal(err)
	}
	if want := ids[len(ids)-1]; l.PersonID != want {
		t.Errorf("LinkByContact(shared) = %s, want the last written %s", l.PersonID, want)
	}
}
