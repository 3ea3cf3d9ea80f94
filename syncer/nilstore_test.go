package syncer_test

import (
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"

	"github.com/cardbridge/sansanhubspot/syncer"
)

// recorder is a slog.Handler that keeps every record it is given.
type recorder struct {
	mu      sync.Mutex
	records []slog.Record
}

func (r *recorder) Enabled(context.Context, slog.Level) bool { return true }

func (r *recorder) Handle(_ context.Context, rec slog.Record) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.records = append(r.records, rec.Clone())
	return nil
}

func (r *recorder) WithAttrs([]slog.Attr) slog.Handler { return r }
func (r *recorder) WithGroup(string) slog.Handler      { return r }

// warnings returns the messages logged at level Warn or above.
func (r *recorder) warnings() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, rec := range r.records {
		if rec.Level >= slog.LevelWarn {
			out = append(out, rec.Message)
		}
	}
	return out
}

// TestNilStoreWarning: New warns through the configured logger when
// Config.Store is nil (memory: every restart re-does the initial sync),
// and stays quiet when a store was chosen, even a MemoryStore.
func TestNilStoreWarning(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name      string
		store     syncer.Store
		wantWarns int
	}{
		{name: "nil store", store: nil, wantWarns: 1},
		{name: "memory store chosen", store: syncer.NewMemoryStore(), wantWarns: 0},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, 0, 1)
			rec := &recorder{}
			eng := e.engine(func(c *syncer.Config) {
				c.Store = tt.store
				c.Logger = slog.New(rec)
			})
			warns := rec.warnings()
			if len(warns) != tt.wantWarns {
				t.Fatalf("New logged %d warnings %q, want %d", len(warns), warns, tt.wantWarns)
			}
			for _, w := range warns {
				for _, part := range []string{"Config.Store is nil", "memory", "every restart re-does the initial sync"} {
					if !strings.Contains(w, part) {
						t.Errorf("warning %q does not say %q", w, part)
					}
				}
			}
			if _, isMem := eng.Store().(*syncer.MemoryStore); !isMem {
				t.Errorf("engine store is %T, want *syncer.MemoryStore", eng.Store())
			}
		})
	}
}
