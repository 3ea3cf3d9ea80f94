package fleet

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// SealedSecrets is a SecretSource and SecretSink that keeps each
// connection's secrets in the fleet's sansanhubspot_fleet_secrets table,
// sealed with AES-256-GCM under the operator's [Keyring]: the database
// holds the key id, a random nonce and the ciphertext, never a plain
// credential. The connection id is authenticated with each blob, so a
// blob copied to another connection's row does not open.
type SealedSecrets struct {
	pool  *pgxpool.Pool
	ring  *Keyring
	table string
}

var (
	_ SecretSource = (*SealedSecrets)(nil)
	_ SecretSink   = (*SealedSecrets)(nil)
)

// NewSealedSecrets returns sealed secrets in the fleet tables of schema
// ("" for the search_path), which Fleet.Migrate creates.
func NewSealedSecrets(pool *pgxpool.Pool, schema string, ring *Keyring) *SealedSecrets {
	t := pgx.Identifier{"sansanhubspot_fleet_secrets"}
	if schema != "" {
		t = pgx.Identifier{schema, "sansanhubspot_fleet_secrets"}
	}
	return &SealedSecrets{pool: pool, ring: ring, table: t.Sanitize()}
}

// String describes the source by its keyring's key ids.
func (s *SealedSecrets) String() string { return "fleet.SealedSecrets{" + s.ring.String() + "}" }

// GoString is String for %#v.
func (s *SealedSecrets) GoString() string { return s.String() }

// Secrets opens the connection's secrets.
func (s *SealedSecrets) Secrets(ctx context.Context, connectionID string) (Secrets, error) {
	var sealed Sealed
	err := s.pool.QueryRow(ctx, `SELECT key_id, nonce, ciphertext FROM `+s.table+` WHERE connection_id = $1`, connectionID).
		Scan(&sealed.KeyID, &sealed.Nonce, &sealed.Ciphertext)
	if errors.Is(err, pgx.ErrNoRows) {
		return Secrets{}, fmt.Errorf("%w: %s", ErrNoSecrets, connectionID)
	}
	if err != nil {
		return Secrets{}, fmt.Errorf("fleet: read sealed secrets: %w", err)
	}
	return s.ring.openSecrets(connectionID, sealed)
}

// PutSecrets seals the secrets under the primary key and stores them.
func (s *SealedSecrets) PutSecrets(ctx context.Context, connectionID string, sec Secrets) error {
	sealed, err := s.ring.sealSecrets(connectionID, sec)
	if err != nil {
		return err
	}
	_, err = s.pool.Exec(ctx, `INSERT INTO `+s.table+` (connection_id, key_id, nonce, ciphertext) VALUES ($1, $2, $3, $4)
ON CONFLICT (connection_id) DO UPDATE SET key_id = EXCLUDED.key_id, nonce = EXCLUDED.nonce, ciphertext = EXCLUDED.ciphertext, updated_at = now()`,
		connectionID, sealed.KeyID, sealed.Nonce, sealed.Ciphertext)
	if err != nil {
		return fmt.Errorf("fleet: store sealed secrets: %w", err)
	}
	return nil
}

// DeleteSecrets removes the connection's secrets; a missing row is fine.
func (s *SealedSecrets) DeleteSecrets(ctx context.Context, connectionID string) error {
	if _, err := s.pool.Exec(ctx, `DELETE FROM `+s.table+` WHERE connection_id = $1`, connectionID); err != nil {
		return fmt.Errorf("fleet: delete sealed secrets: %w", err)
	}
	return nil
}

// Reseal re-encrypts under the primary key every secret sealed with
// another key of the ring, and returns how many it rewrote. Run it after
// putting a new key first in the ring; once it returns, the old keys can
// be dropped. A secret sealed with a key missing from the ring fails it
// with ErrSealing (nothing is lost: that row is left as it was).
func (s *SealedSecrets) Reseal(ctx context.Context) (int, error) {
	rows, err := s.pool.Query(ctx, `SELECT connection_id FROM `+s.table+` WHERE key_id <> $1`, s.ring.Primary())
	if err != nil {
		return 0, fmt.Errorf("fleet: reseal: %w", err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return 0, fmt.Errorf("fleet: reseal: %w", err)
	}
	n := 0
	for _, id := range ids {
		sec, err := s.Secrets(ctx, id)
		if err != nil {
			return n, fmt.Errorf("fleet: reseal %s: %w", id, err)
		}
		if err := s.PutSecrets(ctx, id, sec); err != nil {
			return n, fmt.Errorf("fleet: reseal %s: %w", id, err)
		}
		n++
	}
	return n, nil
}

// putSecrets stores secrets through the fleet's SecretSource.
func (f *Fleet) putSecrets(ctx context.Context, id string, spec *Spec, sec Secrets) error {
	sink, ok := f.secrets.(SecretSink)
	if !ok {
		return errors.New("fleet: the secret source cannot store secrets; store them in it directly")
	}
	if err := sec.check(spec); err != nil {
		return err
	}
	return sink.PutSecrets(ctx, id, sec)
}

// deleteSecrets removes a connection's secrets when the source can.
func (f *Fleet) deleteSecrets(ctx context.Context, id string) {
	if d, ok := f.secrets.(interface {
		DeleteSecrets(ctx context.Context, connectionID string) error
	}); ok {
		if err := d.DeleteSecrets(ctx, id); err != nil {
			f.log.WarnContext(ctx, "cannot delete secrets of removed connection", "connection", id, "error", err)
		}
	}
}
