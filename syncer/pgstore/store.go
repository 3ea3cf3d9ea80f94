package pgstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/cardbridge/sansanhubspot/syncer"
)

// Store is a [syncer.Store] in PostgreSQL tables shared by many
// connections (HubSpot accounts); every row is keyed by the connection
// given to [New]. It also implements [syncer.MetaStore] and
// [syncer.LinkLister], and its writes honour the fences of its [Store.Locker]
// (see the package documentation). It is safe for concurrent use, also by
// several processes.
type Store struct {
	db   *sql.DB
	conn string

	// afterFenceCheck, when set (by tests), runs in a fenced write's
	// transaction right after the lease row was checked and locked.
	afterFenceCheck func()
}

var (
	_ syncer.Store      = (*Store)(nil)
	_ syncer.MetaStore  = (*Store)(nil)
	_ syncer.LinkLister = (*Store)(nil)
)

// New returns a Store for one connection in db, which must be a PostgreSQL
// database (any database/sql driver works: pgx's stdlib, lib/pq, ...).
// connection namespaces every row, so many HubSpot accounts can share the
// tables; use a stable key such as the HubSpot portal id. Call
// [Store.Migrate] once before use.
func New(db *sql.DB, connection string) *Store {
	return &Store{db: db, conn: connection}
}

// Connection returns the connection key the store was created with.
func (s *Store) Connection() string { return s.conn }

// migrateLockKey serializes concurrent Migrate calls through an advisory
// lock, as CREATE ... IF NOT EXISTS alone races.
const migrateLockKey = 0x5348_5347_0001 // "SHSG" 1

// listColumns are the links' columns that ListLinks and CountLinks filter
// and group on, generated from the link's JSON so that no write can let
// them disagree with it. They compare in byte order (collation "C"), as Go
// strings do.
const listColumns = `
		account text COLLATE "C" NOT NULL GENERATED ALWAYS AS (coalesce(data->>'account', '')) STORED,
		state   text COLLATE "C" NOT NULL GENERATED ALWAYS AS (coalesce(data->>'state', '')) STORED,
		reason  text COLLATE "C" NOT NULL GENERATED ALWAYS AS (coalesce(data->>'reason', '')) STORED`

var schema = []string{
	`CREATE SEQUENCE IF NOT EXISTS sansanhubspot_link_version`,
	`CREATE TABLE IF NOT EXISTS sansanhubspot_links (
		connection text    NOT NULL,
		person_id  text    NOT NULL,
		email      text    NOT NULL,
		contact_id text    NOT NULL,
		failing    boolean NOT NULL,
		retry_at   bigint  NOT NULL, -- NextRetry in Unix nanoseconds
		version    bigint  NOT NULL, -- write order, for LinkByContact
		data       jsonb   NOT NULL,` + listColumns + `,
		PRIMARY KEY (connection, person_id)
	)`,
	// Tables created before the list columns existed get them here: one
	// rewrite of the table, which blocks its readers and writers meanwhile.
	// The check keeps later runs from taking the table's exclusive lock.
	`DO $$
	BEGIN
		IF (SELECT count(*) FROM pg_attribute
			WHERE attrelid = 'sansanhubspot_links'::regclass AND NOT attisdropped
				AND attname IN ('account', 'state', 'reason')) < 3 THEN
			ALTER TABLE sansanhubspot_links` + strings.ReplaceAll(listColumns, "\n\t\t", "\n\t\t\tADD COLUMN IF NOT EXISTS ") + `;
		END IF;
	END $$`,
	`CREATE INDEX IF NOT EXISTS sansanhubspot_links_email_idx
		ON sansanhubspot_links (connection, email) WHERE email <> ''`,
	`CREATE INDEX IF NOT EXISTS sansanhubspot_links_contact_idx
		ON sansanhubspot_links (connection, contact_id, version) WHERE contact_id <> ''`,
	`CREATE INDEX IF NOT EXISTS sansanhubspot_links_retry_idx
		ON sansanhubspot_links (connection, retry_at, person_id COLLATE "C") WHERE failing`,
	`CREATE INDEX IF NOT EXISTS sansanhubspot_links_state_idx
		ON sansanhubspot_links (connection, state, reason, person_id COLLATE "C")`,
	`CREATE TABLE IF NOT EXISTS sansanhubspot_checkpoints (
		connection text  NOT NULL,
		stream     text  NOT NULL,
		data       jsonb NOT NULL,
		PRIMARY KEY (connection, stream)
	)`,
	`CREATE TABLE IF NOT EXISTS sansanhubspot_leases (
		connection text        NOT NULL,
		name       text        NOT NULL,
		holder     text        NOT NULL,
		token      bigint      NOT NULL,
		expires_at timestamptz NOT NULL,
		PRIMARY KEY (connection, name)
	)`,
	`CREATE TABLE IF NOT EXISTS sansanhubspot_meta (
		connection text            NOT NULL,
		key        text COLLATE "C" NOT NULL,
		value      bytea           NOT NULL,
		PRIMARY KEY (connection, key)
	)`,
}

// Migrate creates the tables, indexes and sequence the stores use, all
// named sansanhubspot_*, in the first schema of the search_path, and
// brings tables created by earlier versions up to date (see the package
// documentation). It is idempotent and safe to call from several processes
// at once. To run the statements from your own migration tool instead, use
// [SchemaSQL].
func (s *Store) Migrate(ctx context.Context) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return s.wrap(ctx, "migrate", err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock($1)`, int64(migrateLockKey)); err != nil {
		return s.wrap(ctx, "migrate", err)
	}
	for _, stmt := range schema {
		if _, err := tx.ExecContext(ctx, stmt); err != nil {
			return s.wrap(ctx, "migrate", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return s.wrap(ctx, "migrate", err)
	}
	return nil
}

// SchemaSQL returns the statements [Store.Migrate] runs, separated by
// semicolons, for use in external migration tools.
func SchemaSQL() string {
	return strings.Join(schema, ";\n\n") + ";\n"
}

// wrap adds the operation to err and makes sure a done context shows
// through errors.Is, whatever error the driver returned.
func (s *Store) wrap(ctx context.Context, op string, err error) error {
	if cerr := ctx.Err(); cerr != nil && !errors.Is(err, cerr) {
		return fmt.Errorf("pgstore: %s: %w (%w)", op, cerr, err)
	}
	return fmt.Errorf("pgstore: %s: %w", op, err)
}

// jsonArray encodes keys as a JSON array: one query parameter that every
// driver can pass.
func jsonArray(keys []string) string {
	b, _ := json.Marshal(keys) // strings always encode
	return string(b)
}

// LinksByPerson implements [syncer.Store].
func (s *Store) LinksByPerson(ctx context.Context, personIDs []string) (map[string]*syncer.Link, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	out := make(map[string]*syncer.Link, len(personIDs))
	if len(personIDs) == 0 {
		return out, nil
	}
	rows, err := s.db.QueryContext(ctx, `
		SELECT data FROM sansanhubspot_links
		WHERE connection = $1 AND person_id IN (SELECT jsonb_array_elements_text($2::jsonb))`,
		s.conn, jsonArray(personIDs))
	if err != nil {
		return nil, s.wrap(ctx, "links by person", err)
	}
	err = scanLinks(rows, func(_ string, l *syncer.Link) { out[l.PersonID] = l })
	if err != nil {
		return nil, s.wrap(ctx, "links by person", err)
	}
	return out, nil
}

// LinksByEmail implements [syncer.Store]. The empty email matches nothing.
func (s *Store) LinksByEmail(ctx context.Context, emails []string) (map[string][]*syncer.Link, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	out := make(map[string][]*syncer.Link)
	if len(emails) == 0 {
		return out, nil
	}
	rows, err := s.db.QueryContext(ctx, `
		SELECT email, data FROM sansanhubspot_links
		WHERE connection = $1 AND email <> '' AND email IN (SELECT jsonb_array_elements_text($2::jsonb))`,
		s.conn, jsonArray(emails))
	if err != nil {
		return nil, s.wrap(ctx, "links by email", err)
	}
	err = scanLinks(rows, func(email string, l *syncer.Link) { out[email] = append(out[email], l) })
	if err != nil {
		return nil, s.wrap(ctx, "links by email", err)
	}
	return out, nil
}

// scanLinks decodes rows of (data) or (key, data) and closes them.
func scanLinks(rows *sql.Rows, add func(key string, l *syncer.Link)) error {
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return err
	}
	for rows.Next() {
		var key string
		var data []byte
		if len(cols) == 2 {
			err = rows.Scan(&key, &data)
		} else {
			err = rows.Scan(&data)
		}
		if err != nil {
			return err
		}
		l, err := decodeLink(data)
		if err != nil {
			return err
		}
		add(key, l)
	}
	return rows.Err()
}

// LinkByContact implements [syncer.Store]. When several links hold
// contactID, the one written last is returned. The empty contact id matches
// nothing.
func (s *Store) LinkByContact(ctx context.Context, contactID string) (*syncer.Link, error) {
	ls, err := s.LinksByContact(ctx, []string{contactID})
	if err != nil {
		return nil, err
	}
	if l, ok := ls[contactID]; ok {
		return l, nil
	}
	return nil, syncer.ErrNotFound
}

// LinksByContact implements [syncer.Store] in one query: for each
// contact id, the link written last that holds it.
func (s *Store) LinksByContact(ctx context.Context, contactIDs []string) (map[string]*syncer.Link, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	out := make(map[string]*syncer.Link, len(contactIDs))
	if len(contactIDs) == 0 {
		return out, nil
	}
	rows, err := s.db.QueryContext(ctx, `
		SELECT DISTINCT ON (contact_id) contact_id, data FROM sansanhubspot_links
		WHERE connection = $1 AND contact_id <> '' AND contact_id IN (SELECT jsonb_array_elements_text($2::jsonb))
		ORDER BY contact_id, version DESC`,
		s.conn, jsonArray(contactIDs))
	if err != nil {
		return nil, s.wrap(ctx, "links by contact", err)
	}
	err = scanLinks(rows, func(id string, l *syncer.Link) { out[id] = l })
	if err != nil {
		return nil, s.wrap(ctx, "links by contact", err)
	}
	return out, nil
}

// LinksToRetry implements [syncer.Store]. Links with the same NextRetry
// come in PersonID order (byte order); a limit of zero or less means no
// limit.
func (s *Store) LinksToRetry(ctx context.Context, now time.Time, limit int) ([]*syncer.Link, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var lim sql.NullInt64
	if limit > 0 {
		lim = sql.NullInt64{Int64: int64(limit), Valid: true}
	}
	rows, err := s.db.QueryContext(ctx, `
		SELECT data FROM sansanhubspot_links
		WHERE connection = $1 AND failing AND retry_at <= $2
		ORDER BY retry_at, person_id COLLATE "C"
		LIMIT $3`, s.conn, unixNanos(now), lim)
	if err != nil {
		return nil, s.wrap(ctx, "links to retry", err)
	}
	var out []*syncer.Link
	if err := scanLinks(rows, func(_ string, l *syncer.Link) { out = append(out, l) }); err != nil {
		return nil, s.wrap(ctx, "links to retry", err)
	}
	return out, nil
}

// linkRow is one element of the JSON array PutLinks sends.
type linkRow struct {
	PersonID  string          `json:"p"`
	Email     string          `json:"e"`
	ContactID string          `json:"c"`
	Failing   bool            `json:"f"`
	RetryAt   int64           `json:"r"`
	Index     int             `json:"i"`
	Data      json.RawMessage `json:"d"`
}

// versionStride leaves room for the links of one statement between two
// values of the version sequence.
const (
	versionStride = 1 << 20
	chunkSize     = 10_000
)

// PutLinks implements [syncer.Store]. The batch is written in one
// transaction. Nil links and links without a PersonID are skipped; when a
// person appears more than once, the last link wins. Under a fence of this
// package's Locker the batch is refused with an error wrapping
// [syncer.ErrFenced] once the lease is no longer held (see the package
// documentation).
func (s *Store) PutLinks(ctx context.Context, links []*syncer.Link) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	last := make(map[string]int, len(links))
	for i, l := range links {
		if l != nil && l.PersonID != "" {
			last[l.PersonID] = i
		}
	}
	rows := make([]linkRow, 0, len(last))
	for i, l := range links {
		if l == nil || l.PersonID == "" || last[l.PersonID] != i {
			continue
		}
		data, err := encodeLink(l)
		if err != nil {
			return err
		}
		rows = append(rows, linkRow{
			PersonID:  l.PersonID,
			Email:     l.Email,
			ContactID: l.ContactID,
			Failing:   l.State == syncer.StateFailing,
			RetryAt:   unixNanos(l.NextRetry),
			Index:     len(rows),
			Data:      data,
		})
	}
	if len(rows) == 0 {
		return nil
	}
	return s.write(ctx, "put links", len(rows) <= chunkSize, func(db execer) error {
		for start := 0; start < len(rows); start += chunkSize {
			if err := s.putRows(ctx, db, rows[start:min(start+chunkSize, len(rows))]); err != nil {
				return err
			}
		}
		return nil
	})
}

type execer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

// putRows upserts rows in one statement. Rows are locked in person id
// order, so concurrent batches cannot deadlock; versions follow the
// batch's order, so the last writer of a contact id wins.
func (s *Store) putRows(ctx context.Context, db execer, rows []linkRow) error {
	payload, err := json.Marshal(rows)
	if err != nil {
		return fmt.Errorf("pgstore: put links: %w", err)
	}
	_, err = db.ExecContext(ctx, `
		INSERT INTO sansanhubspot_links AS l
			(connection, person_id, email, contact_id, failing, retry_at, version, data)
		SELECT $1, r.p, r.e, r.c, r.f, r.r, v.base * $3 + r.i, r.d
		FROM jsonb_to_recordset($2::jsonb) AS r(p text, e text, c text, f boolean, r bigint, i bigint, d jsonb),
			(SELECT nextval('sansanhubspot_link_version') AS base) AS v
		ORDER BY r.p COLLATE "C"
		ON CONFLICT (connection, person_id) DO UPDATE SET
			email = excluded.email, contact_id = excluded.contact_id, failing = excluded.failing,
			retry_at = excluded.retry_at, version = excluded.version, data = excluded.data`,
		s.conn, string(payload), int64(versionStride))
	if err != nil {
		return s.wrap(ctx, "put links", err)
	}
	return nil
}

// Checkpoint implements [syncer.Store].
func (s *Store) Checkpoint(ctx context.Context, stream string) (syncer.Checkpoint, error) {
	if err := ctx.Err(); err != nil {
		return syncer.Checkpoint{}, err
	}
	var data []byte
	err := s.db.QueryRowContext(ctx, `
		SELECT data FROM sansanhubspot_checkpoints WHERE connection = $1 AND stream = $2`,
		s.conn, stream).Scan(&data)
	if errors.Is(err, sql.ErrNoRows) {
		return syncer.Checkpoint{}, syncer.ErrNotFound
	}
	if err != nil {
		return syncer.Checkpoint{}, s.wrap(ctx, "checkpoint", err)
	}
	var d dbCheckpoint
	if err := json.Unmarshal(data, &d); err != nil {
		return syncer.Checkpoint{}, fmt.Errorf("pgstore: decode checkpoint %q: %w", stream, err)
	}
	return syncer.Checkpoint{Since: d.Since, Until: d.Until, Cursor: d.Cursor, Complete: d.Complete}, nil
}

// PutCheckpoint implements [syncer.Store]. Under a fence of this package's
// Locker it is refused with an error wrapping [syncer.ErrFenced] once the
// lease is no longer held.
func (s *Store) PutCheckpoint(ctx context.Context, stream string, cp syncer.Checkpoint) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	data, err := json.Marshal(dbCheckpoint{Since: cp.Since, Until: cp.Until, Cursor: cp.Cursor, Complete: cp.Complete})
	if err != nil {
		return fmt.Errorf("pgstore: encode checkpoint %q: %w", stream, err)
	}
	return s.write(ctx, "put checkpoint", true, func(db execer) error {
		_, err := db.ExecContext(ctx, `
			INSERT INTO sansanhubspot_checkpoints (connection, stream, data) VALUES ($1, $2, $3::jsonb)
			ON CONFLICT (connection, stream) DO UPDATE SET data = excluded.data`,
			s.conn, stream, string(data))
		if err != nil {
			return s.wrap(ctx, "put checkpoint", err)
		}
		return nil
	})
}
