package fakes_test

import (
	"context"
	"fmt"
	"log"

	"github.com/cardbridge/sansanhubspot/fakes"
	"github.com/cardbridge/sansanhubspot/syncer"
)

// Example syncs a generated tenant into the fake portal. In a test, use
// fakes.New(t, opts), which closes the fakes when the test ends.
func Example() {
	env, err := fakes.Start(fakes.Options{Cards: 100, Seed: 1})
	if err != nil {
		log.Fatal(err)
	}
	defer env.Close()

	cfg := env.Config()
	cfg.Store = syncer.NewMemoryStore()
	eng, err := syncer.New(cfg)
	if err != nil {
		log.Fatal(err)
	}
	rep, err := eng.SyncOnce(context.Background())
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("cards in Sansan:", len(env.Sansan.Fake.Cards()))
	fmt.Println("every created contact is in HubSpot:", rep.Created == env.HubSpot.Fake.NumContacts())
	fmt.Println("failed:", rep.Failed)
	// Output:
	// cards in Sansan: 100
	// every created contact is in HubSpot: true
	// failed: 0
}
