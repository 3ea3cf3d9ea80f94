package pgstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/cardbridge/sansanhubspot/syncer"
)

// Meta implements [syncer.MetaStore].
func (s *Store) Meta(ctx context.Context, key string) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var v []byte
	err := s.db.QueryRowContext(ctx, `
		SELECT value FROM sansanhubspot_meta WHERE connection = $1 AND key = $2`,
		s.conn, key).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("pgstore: meta %q: %w", key, syncer.ErrNotFound)
	}
	if err != nil {
		return nil, s.wrap(ctx, "meta", err)
	}
	if v == nil {
		v = []byte{} // a found value is never nil
	}
	return v, nil
}

// PutMeta implements [syncer.MetaStore]. Keys must be valid UTF-8 without
// NUL characters, as PostgreSQL's text requires. Under a fence of this
// package's Locker the write is refused with an error wrapping
// [syncer.ErrFenced] once the lease is no longer held (see the package
// documentation).
func (s *Store) PutMeta(ctx context.Context, key string, value []byte) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if value == nil {
		return s.write(ctx, "delete meta", true, func(db execer) error {
			_, err := db.ExecContext(ctx, `
				DELETE FROM sansanhubspot_meta WHERE connection = $1 AND key = $2`, s.conn, key)
			if err != nil {
				return s.wrap(ctx, "delete meta", err)
			}
			return nil
		})
	}
	return s.write(ctx, "put meta", true, func(db execer) error {
		_, err := db.ExecContext(ctx, `
			INSERT INTO sansanhubspot_meta (connection, key, value) VALUES ($1, $2, $3)
			ON CONFLICT (connection, key) DO UPDATE SET value = excluded.value`,
			s.conn, key, value)
		if err != nil {
			return s.wrap(ctx, "put meta", err)
		}
		return nil
	})
}

// MetaByPrefix implements [syncer.MetaStore]. The prefix is matched as
// plain text, with no wildcard.
func (s *Store) MetaByPrefix(ctx context.Context, prefix string) (map[string][]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	// key >= prefix lets the primary key's index start at the prefix
	// (keys compare in byte order); starts_with decides.
	rows, err := s.db.QueryContext(ctx, `
		SELECT key, value FROM sansanhubspot_meta
		WHERE connection = $1 AND key >= $2 AND starts_with(key, $2)`,
		s.conn, prefix)
	if err != nil {
		return nil, s.wrap(ctx, "meta by prefix", err)
	}
	defer rows.Close()
	out := make(map[string][]byte)
	for rows.Next() {
		var k string
		var v []byte
		if err := rows.Scan(&k, &v); err != nil {
			return nil, s.wrap(ctx, "meta by prefix", err)
		}
		if v == nil {
			v = []byte{}
		}
		out[k] = v
	}
	if err := rows.Err(); err != nil {
		return nil, s.wrap(ctx, "meta by prefix", err)
	}
	return out, nil
}
