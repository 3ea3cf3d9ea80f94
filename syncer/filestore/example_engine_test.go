package filestore_test

import (
	"context"
	"fmt"
	"log"
	"os"

	"golang.org/x/time/rate"

	"github.com/cardbridge/sansanhubspot/hubspot"
	"github.com/cardbridge/sansanhubspot/hubspot/hubspottest"
	"github.com/cardbridge/sansanhubspot/sansan"
	"github.com/cardbridge/sansanhubspot/sansan/sansantest"
	"github.com/cardbridge/sansanhubspot/syncer"
	"github.com/cardbridge/sansanhubspot/syncer/filestore"
)

// Example gives a sync engine a durable store, as the package
// documentation shows: after a restart the engine resumes from the stored
// links and checkpoints instead of re-doing the initial sync. Here the
// clients point at the built-in fakes, without rate limits; against the
// real services build them with the API key and access token only.
func Example() {
	ctx := context.Background()
	ssrv, err := sansantest.NewServer()
	if err != nil {
		log.Fatal(err)
	}
	defer ssrv.Close()
	admin := sansantest.DefaultUsers()[0]
	ssrv.Fake.AddUser(admin)
	ssrv.Fake.Seed(sansantest.GenerateOptions{Seed: 7, Cards: 50, Owners: []sansantest.User{admin}})
	hsrv, err := hubspottest.NewServer()
	if err != nil {
		log.Fatal(err)
	}
	defer hsrv.Close()
	ss, err := sansan.NewClient(admin.APIKey, sansan.WithBaseURL(ssrv.URL), sansan.WithRateLimit(rate.Inf, 0))
	if err != nil {
		log.Fatal(err)
	}
	hs, err := hubspot.NewClient(hubspottest.DefaultToken, hubspot.WithBaseURL(hsrv.URL), hubspot.WithRateLimit(rate.Inf, 0))
	if err != nil {
		log.Fatal(err)
	}
	accounts := []syncer.Account{{Name: "tokyo", Client: ss}}
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
