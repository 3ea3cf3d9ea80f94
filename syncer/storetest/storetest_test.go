package storetest_test

import (
	"testing"

	"github.com/cardbridge/sansanhubspot/syncer"
	"github.com/cardbridge/sansanhubspot/syncer/storetest"
)

func TestMemoryStore(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(*testing.T) syncer.Store { return syncer.NewMemoryStore() })
}

func BenchmarkMemoryStore(b *testing.B) {
	storetest.Bench(b, func(*testing.B) syncer.Store { return syncer.NewMemoryStore() })
}
