package filestore_test

import (
	"context"
	"fmt"
	"log"
	"os"

	"github.com/cardbridge/sansanhubspot/fakes"
	"github.com/cardbridge/sansanhubspot/syncer"
	"github.com/cardbridge/sansanhubspot/syncer/filestore"
)

// Example gives a sync engine a durable store, as the package
// documentation shows: after a restart the engine resumes from the stored
// links and checkpoints instead of re-doing the initial sync. Here the
// clients come from the fakes package (no rate limits); against the real
// services build them with the API key and access token only.
func Example() {
	ctx := context.Background()
	env, err := fakes.Start(fakes.Options{Cards: 50, Seed: 7})
	if err != nil {
		log.Fatal(err)
	}
	defer env.Close()
	hs := env.HubSpotClient
	accounts := []syncer.Account{{Name: "tokyo", Client: env.SansanClient}}
	dir, err := os.MkdirTemp("", "sansanhubspot-store")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)

	// sync is one run of a service: open the store, sync, close.
	sync := func() *syncer.Report {
		store, err := filestore.Open(dir)
		if err != nil {
			log.Fatal(err)
		}
		defer store.Close()
		eng, err := syncer.New(syncer.Config{HubSpot: hs, Accounts: accounts, Store: store})
		if err != nil {
			log.Fatal(err)
		}
		report, err := eng.SyncOnce(ctx) // a service calls eng.Run(ctx)
		if err != nil {
			log.Fatal(err)
		}
		return report
	}
	first := sync()
	fmt.Println("first run: initial sync", first.Initial, "created", first.Created)
	second := sync() // a restart: same directory, new process
	fmt.Println("after a restart: initial sync", second.Initial, "created", second.Created, "updated", second.Updated)
	// Output:
	// first run: initial sync true created 29
	// after a restart: initial sync false created 0 updated 0
}
