package syncer_test

import (
	"testing"

	"github.com/cardbridge/sansanhubspot/syncer"
	"github.com/cardbridge/sansanhubspot/syncer/storetest"
)

// TestMemoryStoreConformance runs the store conformance suite, including
// its MetaStore and LinkLister groups, against MemoryStore.
func TestMemoryStoreConformance(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(*testing.T) syncer.Store { return syncer.NewMemoryStore() })
}
