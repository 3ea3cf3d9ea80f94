package fleet

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivermigrate"

	"github.com/cardbridge/sansanhubspot/syncer/pgstore"
)

// Config configures a Fleet. Pool is required; everything else has a
// documented default.
type Config struct {
	// Pool is the PostgreSQL pool for River, the registry and the
	// connections' pgstore stores. Size it for Run's workers plus a few
	// (each running pass holds at most one connection at a time).
	Pool *pgxpool.Pool
	// Schema is the PostgreSQL schema of River's tables and the fleet's
	// tables; empty uses the pool's search_path. The connections' link and
	// checkpoint tables (pgstore) always live in the search_path.
	Schema string
	// Secrets resolves connections' credentials (required by Run, and by
	// Add and Update when they are given secrets).
	Secrets SecretSource
	// Logger receives structured logs; nil discards them.
	Logger *slog.Logger
	// Metrics, when set, receives per-connection Prometheus metrics.
	Metrics *Metrics
}

// Fleet is a registry of connections in PostgreSQL and the handle that
// runs them on River (see Run). It is safe for concurrent use; every
// replica of a service builds its own on the shared database.
type Fleet struct {
	pool    *pgxpool.Pool
	db      *sql.DB
	schema  string
	secrets SecretSource
	log     *slog.Logger
	metrics *Metrics
	river   *river.Client[pgx.Tx] // insert-only
	driver  *riverpgxv5.Driver

	tConns, tEvents, tSecrets, tJobs string // quoted table names
}

var schemaName = regexp.MustCompile(`^[a-z_][a-z0-9_]{0,62}$`)

// New returns a Fleet on cfg.Pool. It does no I/O: call Migrate once per
// deployment (or run the statements yourself) before using it.
func New(cfg Config) (*Fleet, error) {
	if cfg.Pool == nil {
		return nil, errors.New("fleet: config has no pool")
	}
	if cfg.Schema != "" && !schemaName.MatchString(cfg.Schema) {
		return nil, fmt.Errorf("fleet: schema %q: want lower-case letters, digits and underscores", cfg.Schema)
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	drv := riverpgxv5.New(cfg.Pool)
	rc, err := river.NewClient(drv, &river.Config{Schema: cfg.Schema, Logger: riverLogger(log)})
	if err != nil {
		return nil, fmt.Errorf("fleet: river client: %w", err)
	}
	f := &Fleet{
		pool:    cfg.Pool,
		db:      stdlib.OpenDBFromPool(cfg.Pool),
		schema:  cfg.Schema,
		secrets: cfg.Secrets,
		log:     log,
		metrics: cfg.Metrics,
		river:   rc,
		driver:  drv,
	}
	f.tConns = f.table("sansanhubspot_fleet_connections")
	f.tEvents = f.table("sansanhubspot_fleet_events")
	f.tSecrets = f.table("sansanhubspot_fleet_secrets")
	f.tJobs = f.table("river_job")
	return f, nil
}

// riverLogger keeps River's own logs at warnings and above: its debug and
// info lines are per job and per poll.
func riverLogger(l *slog.Logger) *slog.Logger {
	return slog.New(minLevel{l.Handler(), slog.LevelWarn})
}

type minLevel struct {
	slog.Handler
	min slog.Level
}

// Enabled drops records below the minimum level.
func (h minLevel) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= h.min && h.Handler.Enabled(ctx, l)
}

func (f *Fleet) table(name string) string {
	if f.schema == "" {
		return pgx.Identifier{name}.Sanitize()
	}
	return pgx.Identifier{f.schema, name}.Sanitize()
}

// DB returns a database/sql handle on the fleet's pool (the one the
// connections' pgstore stores use).
func (f *Fleet) DB() *sql.DB { return f.db }

// Schema returns the configured schema ("" for the search_path).
func (f *Fleet) Schema() string { return f.schema }

// fleetSchemaSQL returns the statements that create the fleet's tables.
func (f *Fleet) fleetSchemaSQL() []string {
	var s []string
	if f.schema != "" {
		s = append(s, "CREATE SCHEMA IF NOT EXISTS "+pgx.Identifier{f.schema}.Sanitize())
	}
	return append(s,
		`CREATE TABLE IF NOT EXISTS `+f.tConns+` (
	id text PRIMARY KEY,
	portal_id bigint NOT NULL,
	spec jsonb NOT NULL,
	state text NOT NULL DEFAULT 'active',
	reason text NOT NULL DEFAULT '',
	version bigint NOT NULL DEFAULT 1,
	created_at timestamptz NOT NULL DEFAULT now(),
	updated_at timestamptz NOT NULL DEFAULT now(),
	last_pass_started_at timestamptz,
	last_pass_ended_at timestamptz,
	last_report jsonb,
	last_error text NOT NULL DEFAULT '',
	passes bigint NOT NULL DEFAULT 0,
	failures bigint NOT NULL DEFAULT 0,
	consecutive_failures integer NOT NULL DEFAULT 0,
	running_on text NOT NULL DEFAULT '',
	CONSTRAINT sansanhubspot_fleet_one_connection_per_portal UNIQUE (portal_id),
	CONSTRAINT sansanhubspot_fleet_state_check CHECK (state IN ('active', 'paused', 'needs_attention'))
)`,
		`CREATE TABLE IF NOT EXISTS `+f.tEvents+` (
	id bigserial PRIMARY KEY,
	connection_id text NOT NULL REFERENCES `+f.tConns+` (id) ON DELETE CASCADE,
	event jsonb NOT NULL,
	received_at timestamptz NOT NULL DEFAULT now()
)`,
		`CREATE INDEX IF NOT EXISTS sansanhubspot_fleet_events_connection ON `+f.tEvents+` (connection_id, id)`,
		`CREATE TABLE IF NOT EXISTS `+f.tSecrets+` (
	connection_id text PRIMARY KEY,
	key_id text NOT NULL,
	nonce bytea NOT NULL,
	ciphertext bytea NOT NULL,
	updated_at timestamptz NOT NULL DEFAULT now()
)`,
	)
}

// SchemaSQL returns the fleet's own DDL, for external migration tools.
// River's tables come from River's migrations (rivermigrate) and the
// connections' stores from pgstore.SchemaSQL.
func (f *Fleet) SchemaSQL() []string { return f.fleetSchemaSQL() }

// Migrate brings the database up to date: River's migrations (in Schema),
// the fleet's tables and pgstore's tables. It is idempotent; concurrent
// calls from several replicas wait for each other.
func (f *Fleet) Migrate(ctx context.Context) error {
	conn, err := f.pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("fleet: migrate: %w", err)
	}
	defer conn.Release()
	// One migrator at a time across replicas (session lock, released below).
	const lockKey = 0x5a4e5348 // "ZNSH"
	if _, err := conn.Exec(ctx, "SELECT pg_advisory_lock($1)", lockKey); err != nil {
		return fmt.Errorf("fleet: migrate lock: %w", err)
	}
	defer func() {
		_, _ = conn.Exec(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock($1)", lockKey)
	}()
	if f.schema != "" {
		if _, err := conn.Exec(ctx, "CREATE SCHEMA IF NOT EXISTS "+pgx.Identifier{f.schema}.Sanitize()); err != nil {
			return fmt.Errorf("fleet: migrate: create schema: %w", err)
		}
	}
	m, err := rivermigrate.New(f.driver, &rivermigrate.Config{Schema: f.schema, Logger: riverLogger(f.log)})
	if err != nil {
		return fmt.Errorf("fleet: river migrator: %w", err)
	}
	if _, err := m.Migrate(ctx, rivermigrate.DirectionUp, nil); err != nil {
		return fmt.Errorf("fleet: river migrations: %w", err)
	}
	for _, stmt := range f.fleetSchemaSQL() {
		if _, err := conn.Exec(ctx, stmt); err != nil {
			return fmt.Errorf("fleet: migrate: %w", err)
		}
	}
	if err := pgstore.New(f.db, "migrate").Migrate(ctx); err != nil {
		return fmt.Errorf("fleet: migrate stores: %w", err)
	}
	return nil
}

// newID returns a random connection id.
func newID() string {
	b := make([]byte, 10)
	_, _ = rand.Read(b)
	return "conn_" + hex.EncodeToString(b)
}

// detached returns a context for bookkeeping writes after ctx may have
// ended (a pass cancelled by its timeout still records its failure).
func detached(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
}
