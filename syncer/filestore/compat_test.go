package filestore

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/cardbridge/sansanhubspot/syncer"
)

// TestOpenFilesWithoutMeta opens a snapshot and a log written before meta
// records existed (the snapshot's end record has no meta count), then
// adds meta and compacts.
func TestOpenFilesWithoutMeta(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	snap := appendFrame(append([]byte{}, snapHeader...), []byte(`{"links":[{"person_id":"p1","email":"a@example.com"}]}`))
	snap = appendFrame(snap, []byte(`{"checkpoint":{"stream":"cards","cursor":"x"}}`))
	snap = appendFrame(snap, []byte(`{"seq":4,"end":{"links":1,"checkpoints":1}}`))
	wal := appendFrame(append([]byte{}, walHeader...), []byte(`{"seq":5,"links":[{"person_id":"p2"}]}`))
	for name, data := range map[string][]byte{snapName: snap, walName: wal} {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	s, err := Open(dir)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	ctx := t.Context()
	if got, err := s.LinksByPerson(ctx, []string{"p1", "p2"}); err != nil || len(got) != 2 {
		t.Errorf("LinksByPerson = (%v, %v), want both links", got, err)
	}
	if _, err := s.Meta(ctx, "binding"); !errors.Is(err, syncer.ErrNotFound) {
		t.Errorf("Meta(binding) = %v, want ErrNotFound", err)
	}
	if err := s.PutMeta(ctx, "binding", []byte("portal")); err != nil {
		t.Fatal(err)
	}
	if err := s.Compact(ctx); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s, err = Open(dir)
	if err != nil {
		t.Fatalf("Open after compaction: %v", err)
	}
	defer s.Close()
	got, err := s.MetaByPrefix(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(map[string][]byte{"binding": []byte("portal")}, got); d != "" {
		t.Errorf("meta (-want +got):\n%s", d)
	}
	if cp, err := s.Checkpoint(ctx, "cards"); err != nil || cp.Cursor != "x" {
		t.Errorf("Checkpoint = (%+v, %v)", cp, err)
	}
}
