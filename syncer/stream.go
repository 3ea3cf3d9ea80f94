package syncer

import (
	"context"
	"errors"
	"time"
)

// stream is one checkpointed source of changes — an account's cards, or
// HubSpot's contacts — read in windows: checkpoint → window → pages →
// advance → complete. Both directions walk their source through it, so
// the resume rules are written once:
//
//   - PhaseInitial: the window starts at the stream's floor (the initial
//     sync reads everything);
//   - PhaseIncremental: the window starts at Since minus the overlap;
//   - PhaseInWindow: a pass stopped inside its window, which is resumed at
//     the saved cursor with its saved upper bound.
//
// The consumer advances the checkpoint only past positions whose records
// are all written, and completes the stream when the window is read.
type stream struct {
	name  string
	store CheckpointStore
	cp    Checkpoint
	// from and to bound the window; cursor is where reading resumes in it
	// ("" from its start).
	from, to time.Time
	cursor   string
}

// openStream loads a stream's checkpoint and works out its window. floor
// is where an initial window starts (zero: unbounded); end is the upper
// bound of a new window.
func openStream(ctx context.Context, store CheckpointStore, name string, floor, end time.Time, overlap time.Duration) (*stream, error) {
	cp, err := store.Checkpoint(ctx, name)
	if err != nil && !errors.Is(err, ErrNotFound) {
		return nil, wrapf(err, "syncer: read checkpoint")
	}
	s := &stream{name: name, store: store, cp: cp, from: floor, to: end}
	if !cp.Since.IsZero() {
		s.from = cp.Since.Add(-overlap)
	}
	if cp.Phase() == PhaseInWindow {
		s.to, s.cursor = cp.Until, cp.Cursor
	}
	return s, nil
}

// initial reports whether the stream has never completed a window.
func (s *stream) initial() bool { return !s.cp.Complete }

// empty reports whether the window holds no time at all.
func (s *stream) empty() bool { return !s.from.IsZero() && !s.from.Before(s.to) }

// advance records that everything before cursor is written.
func (s *stream) advance(ctx context.Context, cursor string) error {
	return s.put(ctx, Checkpoint{Since: s.cp.Since, Until: s.to, Cursor: cursor, Complete: s.cp.Complete})
}

// complete records that the window is read and written: the next pass
// starts after it.
func (s *stream) complete(ctx context.Context) error {
	return s.put(ctx, Checkpoint{Since: s.to, Complete: true})
}

func (s *stream) put(ctx context.Context, cp Checkpoint) error {
	if err := s.store.PutCheckpoint(ctx, s.name, cp); err != nil {
		return wrapf(err, "syncer: save checkpoint")
	}
	return nil
}
