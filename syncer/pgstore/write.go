package pgstore

import "context"

// write runs fn, the statements of one write op, in a transaction unless
// single is true, when they are one statement.
func (s *Store) write(ctx context.Context, op string, single bool, fn func(db execer) error) error {
	if single {
		return fn(s.db)
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return s.wrap(ctx, op, err)
	}
	defer tx.Rollback()
	if err := fn(tx); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return s.wrap(ctx, op, err)
	}
	return nil
}
