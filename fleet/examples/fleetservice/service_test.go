package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/cardbridge/sansanhubspot/fleet"
)

func TestLoadConfig(t *testing.T) {
	t.Parallel()
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	tests := []struct {
		name    string
		args    []string
		env     map[string]string
		wantErr string
	}{
		{name: "ok", env: map[string]string{"DATABASE_URL": "postgres://x", "FLEET_KEYRING": "k:AAAA"}},
		{name: "demo needs no keyring", args: []string{"-demo", "2"}, env: map[string]string{"DATABASE_URL": "postgres://x"}},
		{name: "no database", env: map[string]string{"FLEET_KEYRING": "k:AAAA"}, wantErr: "DATABASE_URL"},
		{name: "no keyring", env: map[string]string{"DATABASE_URL": "postgres://x"}, wantErr: "FLEET_KEYRING"},
		{name: "bad workers", args: []string{"-workers", "0"}, env: map[string]string{"DATABASE_URL": "postgres://x", "FLEET_KEYRING": "k:AAAA"}, wantErr: "workers"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := loadConfig(tt.args, env(tt.env), io.Discard)
			if tt.wantErr == "" && err != nil {
				t.Fatalf("loadConfig: %v", err)
			}
			if tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)) {
				t.Fatalf("loadConfig error = %v, want %q", err, tt.wantErr)
			}
		})
	}
}

// TestAdminPage serves the page, API, health and metrics of a fleet with
// one connection whose secrets are canaries: they must appear nowhere.
func TestAdminPage(t *testing.T) {
	t.Parallel()
	dsn, set := os.LookupEnv("SANSANHUBSPOT_PG_DSN")
	if !set {
		dsn = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
	}
	ctx := t.Context()
	pool, err := pgxpool.New(ctx, dsn)
	if err == nil {
		err = pool.Ping(ctx)
	}
	if err != nil {
		if !set {
			t.Skipf("no PostgreSQL: %v", err)
		}
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	schema := "fleet_example_" + hex.EncodeToString(b)
	t.Cleanup(func() {
		c, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		_, _ = pool.Exec(c, "DROP SCHEMA IF EXISTS "+pgx.Identifier{schema}.Sanitize()+" CASCADE")
	})
	k, _ := fleet.GenerateKey("k")
	ring, _ := fleet.NewKeyring(k)
	f, err := fleet.New(fleet.Config{Pool: pool, Schema: schema, Secrets: fleet.NewSealedSecrets(pool, schema, ring)})
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	const canary = "pat-na1-CANARY-example-page-77c1"
	c, err := f.Add(ctx, fleet.Spec{PortalID: 555, Accounts: []fleet.AccountSpec{{Name: "tokyo"}}},
		&fleet.Secrets{HubSpotToken: canary, SansanKeys: map[string]string{"tokyo": "CANARYexamplePageKey0123456789QZ"}})
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Pause(ctx, c.ID); err != nil {
		t.Fatal(err)
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(f.Collector())
	h := newHandler(f, reg, "client-secret", false)
	for _, tt := range []struct{ path, want string }{
		{"/", c.ID},
		{"/api/connections", `"state":"paused"`},
		{"/healthz", "ok"},
		{"/metrics", `sansanhubspot_fleet_connections{state="paused"} 1`},
	} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, tt.path, nil))
		body := rec.Body.String()
		if rec.Code != http.StatusOK || !strings.Contains(body, tt.want) {
			t.Errorf("GET %s = %d, want 200 with %q:\n%s", tt.path, rec.Code, tt.want, body)
		}
		if strings.Contains(body, "CANARY") {
			t.Errorf("GET %s shows a secret", tt.path)
		}
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/webhooks/hubspot", strings.NewReader("[]")))
	if rec.Code != http.StatusUnauthorized {
		t.Errorf("unsigned webhook = %d, want 401", rec.Code)
	}
}
