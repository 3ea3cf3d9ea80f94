package testutil

import (
	"encoding/json"
	"fmt"
	"os"
	"sync"
	"testing"
)

// Soak reports whether the long reliability runs were asked for with
// SANSANHUBSPOT_SOAK=1; the default run samples crash points and keeps
// data sets small enough for CI.
func Soak() bool { return os.Getenv("SANSANHUBSPOT_SOAK") != "" }

var figuresMu sync.Mutex

// Figures records a named set of measurements: logged, and appended as a
// JSON line to $SANSANHUBSPOT_FIGURES when set (RELIABILITY.md quotes them).
func Figures(t testing.TB, name string, kv map[string]any) {
	t.Helper()
	kv["test"] = name
	b, _ := json.Marshal(kv)
	t.Logf("figures: %s", b)
	path := os.Getenv("SANSANHUBSPOT_FIGURES")
	if path == "" {
		return
	}
	figuresMu.Lock()
	defer figuresMu.Unlock()
	f, err := os.OpenFile(path, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		t.Errorf("figures file: %v", err)
		return
	}
	defer f.Close()
	fmt.Fprintf(f, "%s\n", b)
}
