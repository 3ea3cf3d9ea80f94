package storetest

import (
	"errors"
	"testing"
	"time"

	"github.com/cardbridge/sansanhubspot/syncer"
)

// fullCheckpoint returns a checkpoint with every field set.
func fullCheckpoint() syncer.Checkpoint {
	return syncer.Checkpoint{
		Since:    time.Date(2025, 3, 9, 1, 59, 59, 987654321, jst),
		Until:    now, // monotonic reading, local zone
		Cursor:   "eyJhZnRlciI6IjEyMyJ9/ページ?=&",
		Complete: true,
	}
}

var checkpointCases = []testCase{
	{"NotFound", func(t *testing.T, s syncer.Store) {
		cp, err := s.Checkpoint(t.Context(), "cards")
		if !errors.Is(err, syncer.ErrNotFound) {
			t.Errorf("Checkpoint on empty store = (%+v, %v), want an error matching ErrNotFound", cp, err)
		}
	}},
	{"EveryField", func(t *testing.T, s syncer.Store) {
		want := fullCheckpoint()
		if err := s.PutCheckpoint(t.Context(), "cards", want); err != nil {
			t.Fatalf("PutCheckpoint: %v", err)
		}
		got, err := s.Checkpoint(t.Context(), "cards")
		if err != nil {
			t.Fatalf("Checkpoint: %v", err)
		}
		if d := diff(want, got); d != "" {
			t.Errorf("Checkpoint (-want +got):\n%s", d)
		}
	}},
	{"ZeroValueIsStored", func(t *testing.T, s syncer.Store) {
		if err := s.PutCheckpoint(t.Context(), "contacts", syncer.Checkpoint{}); err != nil {
			t.Fatalf("PutCheckpoint: %v", err)
		}
		got, err := s.Checkpoint(t.Context(), "contacts")
		if err != nil {
			t.Fatalf("Checkpoint after storing the zero value: %v, want it found", err)
		}
		if d := diff(syncer.Checkpoint{}, got); d != "" {
			t.Errorf("Checkpoint (-want +got):\n%s", d)
		}
		if !got.Since.IsZero() || !got.Until.IsZero() {
			t.Errorf("zero times came back non-zero: Since=%v Until=%v", got.Since, got.Until)
		}
	}},
	{"OverwriteAndStreamsIndependent", func(t *testing.T, s syncer.Store) {
		ctx := t.Context()
		streams := map[string]syncer.Checkpoint{
			"cards/営業部": {Since: time.Date(2025, 1, 1, 0, 0, 0, 1, time.UTC), Cursor: "a"},
			"contacts":  {Until: time.Date(2025, 1, 2, 0, 0, 0, 0, time.UTC), Complete: true},
			"Contacts":  {Cursor: "case-sensitive"},
		}
		for name, cp := range streams {
			if err := s.PutCheckpoint(ctx, name, fullCheckpoint()); err != nil {
				t.Fatalf("PutCheckpoint(%q): %v", name, err)
			}
			if err := s.PutCheckpoint(ctx, name, cp); err != nil {
				t.Fatalf("PutCheckpoint(%q): %v", name, err)
			}
		}
		for name, want := range streams {
			got, err := s.Checkpoint(ctx, name)
			if err != nil {
				t.Fatalf("Checkpoint(%q): %v", name, err)
			}
			if d := diff(want, got); d != "" {
				t.Errorf("Checkpoint(%q) (-want +got):\n%s", name, d)
			}
		}
		if _, err := s.Checkpoint(ctx, "cards"); !errors.Is(err, syncer.ErrNotFound) {
			t.Errorf("Checkpoint(cards) = %v, want an error matching ErrNotFound", err)
		}
	}},
	{"IndependentOfLinks", func(t *testing.T, s syncer.Store) {
		put(t, s, simpleLink("cards", "cards@example.com", "cards"))
		if _, err := s.Checkpoint(t.Context(), "cards"); !errors.Is(err, syncer.ErrNotFound) {
			t.Errorf("Checkpoint(cards) = %v after storing a link, want an error matching ErrNotFound", err)
		}
		if err := s.PutCheckpoint(t.Context(), "p1", fullCheckpoint()); err != nil {
			t.Fatalf("PutCheckpoint: %v", err)
		}
		if l := byPerson(t, s, "p1"); l != nil {
			t.Errorf("LinksByPerson(p1) = %+v after storing a checkpoint, want none", l)
		}
	}},
}
