package fleet_test

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/cardbridge/sansanhubspot/fleet"
)

const dsnEnv = "SANSANHUBSPOT_PG_DSN"

const defaultDSN = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"

// testPool connects to the test server: SANSANHUBSPOT_PG_DSN, or the local
// default. With the variable set an unreachable server fails the test;
// without it the test is skipped.
func testPool(t testing.TB) *pgxpool.Pool {
	t.Helper()
	dsn, set := os.LookupEnv(dsnEnv)
	if !set {
		dsn = defaultDSN
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		t.Fatalf("parse %s: %v", dsnEnv, err)
	}
	cfg.MaxConns = 20
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err == nil {
		err = pool.Ping(ctx)
	}
	if err != nil {
		if !set {
			t.Skipf("no PostgreSQL at the default DSN and %s unset: %v", dsnEnv, err)
		}
		t.Fatalf("connect to %s: %v", dsnEnv, err)
	}
	t.Cleanup(pool.Close)
	return pool
}

// testSchema returns a fresh schema name, dropped when the test ends.
func testSchema(t testing.TB, pool *pgxpool.Pool) string {
	t.Helper()
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	name := "fleet_test_" + hex.EncodeToString(b)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if _, err := pool.Exec(ctx, "DROP SCHEMA IF EXISTS "+pgx.Identifier{name}.Sanitize()+" CASCADE"); err != nil {
			t.Logf("drop schema %s: %v", name, err)
		}
	})
	return name
}

// testKeyring returns a keyring with one random key.
func testKeyring(t testing.TB, id string) *fleet.Keyring {
	t.Helper()
	k, err := fleet.GenerateKey(id)
	if err != nil {
		t.Fatal(err)
	}
	r, err := fleet.NewKeyring(k)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// newFleet returns a migrated fleet in its own schema with sealed secrets.
func newFleet(t testing.TB, mut ...func(*fleet.Config)) (*fleet.Fleet, *pgxpool.Pool) {
	t.Helper()
	pool := testPool(t)
	schema := testSchema(t, pool)
	cfg := fleet.Config{Pool: pool, Schema: schema, Secrets: fleet.NewSealedSecrets(pool, schema, testKeyring(t, "k1"))}
	for _, m := range mut {
		m(&cfg)
	}
	f, err := fleet.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := f.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	return f, pool
}

// eventually polls cond every 50 ms until it returns nil or the deadline
// passes, and then fails with cond's last error.
func eventually(t testing.TB, d time.Duration, cond func() error) {
	t.Helper()
	deadline := time.Now().Add(d)
	for {
		err := cond()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("condition not met after %v: %v", d, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// serveWebhooks serves f's webhook handler on 127.0.0.1 and returns its URL.
func serveWebhooks(t testing.TB, f *fleet.Fleet, secret string) string {
	t.Helper()
	h := f.WebhookHandler(fleet.WebhookOptions{ClientSecret: secret, URL: plainURL})
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv.URL + "/webhooks/hubspot"
}

// plainURL is the URL the fakes' webhook emitter signs: plain http.
func plainURL(r *http.Request) string { return "http://" + r.Host + r.URL.RequestURI() }

// encodeKey returns a key's bytes in base64, as ParseKeyring reads them.
func encodeKey(k fleet.Key) string { return base64.StdEncoding.EncodeToString(k.Bytes) }

// pgxIdent quotes schema.table.
func pgxIdent(schema, table string) string { return pgx.Identifier{schema, table}.Sanitize() }
