package pgstore_test

import (
	"crypto/rand"
	"database/sql"
	"errors"
	"net/url"
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/cardbridge/sansanhubspot/syncer"
	"github.com/cardbridge/sansanhubspot/syncer/pgstore"
)

// schemaV1 is the schema before the list columns, their index and the
// meta table: what Migrate created in databases that must keep working.
const schemaV1 = `
CREATE SEQUENCE IF NOT EXISTS sansanhubspot_link_version;
CREATE TABLE IF NOT EXISTS sansanhubspot_links (
	connection text    NOT NULL,
	person_id  text    NOT NULL,
	email      text    NOT NULL,
	contact_id text    NOT NULL,
	failing    boolean NOT NULL,
	retry_at   bigint  NOT NULL,
	version    bigint  NOT NULL,
	data       jsonb   NOT NULL,
	PRIMARY KEY (connection, person_id)
);
CREATE INDEX IF NOT EXISTS sansanhubspot_links_email_idx
	ON sansanhubspot_links (connection, email) WHERE email <> '';
CREATE INDEX IF NOT EXISTS sansanhubspot_links_contact_idx
	ON sansanhubspot_links (connection, contact_id, version) WHERE contact_id <> '';
CREATE INDEX IF NOT EXISTS sansanhubspot_links_retry_idx
	ON sansanhubspot_links (connection, retry_at, person_id COLLATE "C") WHERE failing;
CREATE TABLE IF NOT EXISTS sansanhubspot_checkpoints (
	connection text  NOT NULL,
	stream     text  NOT NULL,
	data       jsonb NOT NULL,
	PRIMARY KEY (connection, stream)
);
CREATE TABLE IF NOT EXISTS sansanhubspot_leases (
	connection text        NOT NULL,
	name       text        NOT NULL,
	holder     text        NOT NULL,
	token      bigint      NOT NULL,
	expires_at timestamptz NOT NULL,
	PRIMARY KEY (connection, name)
);
`

// schemaDB returns a database handle whose search_path is a new, empty
// schema that is dropped when the test ends, so that tables can be created
// from scratch without touching the shared ones.
func schemaDB(t *testing.T) *sql.DB {
	t.Helper()
	shared := testDB(t)
	name := "sansanhubspot_test_" + strings.ToLower(rand.Text())
	if _, err := shared.ExecContext(t.Context(), "CREATE SCHEMA "+name); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if _, err := shared.Exec("DROP SCHEMA " + name + " CASCADE"); err != nil {
			t.Errorf("drop schema %s: %v", name, err)
		}
	})
	dsn := os.Getenv(dsnEnv)
	if u, err := url.Parse(dsn); err == nil && u.Scheme != "" {
		q := u.Query()
		q.Set("search_path", name)
		u.RawQuery = q.Encode()
		dsn = u.String()
	} else {
		dsn += " search_path=" + name
	}
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// TestMigrateFromFirstSchema migrates a database holding links written
// under the first schema: the links are listed and counted afterwards.
func TestMigrateFromFirstSchema(t *testing.T) {
	t.Parallel()
	db := schemaDB(t)
	ctx := t.Context()
	if _, err := db.ExecContext(ctx, schemaV1); err != nil {
		t.Fatalf("creating the first schema: %v", err)
	}
	s := pgstore.New(db, "portal-1")
	old := []*syncer.Link{
		{PersonID: "p1", Account: "tokyo", State: syncer.StateFailing, Reason: "rate_limited", Email: "a@example.com"},
		{PersonID: "p2", Account: "tokyo", State: syncer.StateInSync},
		{PersonID: "p3", Account: "osaka", State: syncer.StateExcluded, Reason: "no_email"},
		{PersonID: "p4"},
	}
	if err := s.PutLinks(ctx, old); err != nil {
		t.Fatalf("PutLinks before Migrate: %v", err)
	}
	if err := s.PutCheckpoint(ctx, "cards", syncer.Checkpoint{Cursor: "c"}); err != nil {
		t.Fatal(err)
	}
	for range 2 { // idempotent
		if err := s.Migrate(ctx); err != nil {
			t.Fatalf("Migrate: %v", err)
		}
	}
	got, err := s.ListLinks(ctx, syncer.LinkQuery{States: []syncer.LinkState{syncer.StateFailing, syncer.StateExcluded}})
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff([]*syncer.Link{old[0], old[2]}, got); d != "" {
		t.Errorf("ListLinks of links written before Migrate (-want +got):\n%s", d)
	}
	counts, err := s.CountLinks(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := []syncer.LinkCount{
		{N: 1},
		{Account: "osaka", State: syncer.StateExcluded, Reason: "no_email", N: 1},
		{Account: "tokyo", State: syncer.StateFailing, Reason: "rate_limited", N: 1},
		{Account: "tokyo", State: syncer.StateInSync, N: 1},
	}
	if d := cmp.Diff(want, counts); d != "" {
		t.Errorf("CountLinks of links written before Migrate (-want +got):\n%s", d)
	}
	if err := s.PutMeta(ctx, "binding", []byte("portal-1")); err != nil {
		t.Fatalf("PutMeta after Migrate: %v", err)
	}
	if cp, err := s.Checkpoint(ctx, "cards"); err != nil || cp.Cursor != "c" {
		t.Errorf("Checkpoint after Migrate = (%+v, %v)", cp, err)
	}
}

// TestSchemaSQL runs SchemaSQL twice on an empty schema, as a migration
// tool would, and uses the result.
func TestSchemaSQL(t *testing.T) {
	t.Parallel()
	db := schemaDB(t)
	ctx := t.Context()
	for range 2 {
		if _, err := db.ExecContext(ctx, pgstore.SchemaSQL()); err != nil {
			t.Fatalf("running SchemaSQL: %v", err)
		}
	}
	s := pgstore.New(db, "portal-1")
	link := &syncer.Link{PersonID: "p1", Account: "tokyo", State: syncer.StateFailing, Reason: "server_error"}
	if err := s.PutLinks(ctx, []*syncer.Link{link}); err != nil {
		t.Fatal(err)
	}
	got, err := s.ListLinks(ctx, syncer.LinkQuery{Account: "tokyo", Reason: "server_error"})
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff([]*syncer.Link{link}, got); d != "" {
		t.Errorf("ListLinks (-want +got):\n%s", d)
	}
	if _, err := s.Meta(ctx, "binding"); !errors.Is(err, syncer.ErrNotFound) {
		t.Errorf("Meta on the new table = %v, want ErrNotFound", err)
	}
}
