package syncer_test

import (
	"context"
	"fmt"
	"log"

	"golang.org/x/time/rate"

	"github.com/cardbridge/sansanhubspot/hubspot"
	"github.com/cardbridge/sansanhubspot/hubspot/hubspottest"
	"github.com/cardbridge/sansanhubspot/sansan"
	"github.com/cardbridge/sansanhubspot/sansan/sansantest"
	"github.com/cardbridge/sansanhubspot/syncer"
)

// Example syncs a generated Sansan tenant into HubSpot. Against the real
// services, create the clients with the API key and access token only;
// here they point at the built-in fakes, which need no rate limit.
func Example() {
	ctx := context.Background()

	// Fakes standing in for Sansan and HubSpot.
	ssrv, err := sansantest.NewServer()
	if err != nil {
		log.Fatal(err)
	}
	defer ssrv.Close()
	admin := sansantest.DefaultUsers()[0]
	ssrv.Fake.AddUser(admin)
	ssrv.Fake.Seed(sansantest.GenerateOptions{Seed: 42, Cards: 200, Owners: []sansantest.User{admin}})
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

	eng, err := syncer.New(syncer.Config{
		HubSpot:  hs,
		Accounts: []syncer.Account{{Name: "tokyo", Client: ss}},
		Store:    syncer.NewMemoryStore(),
	})
	if err != nil {
		log.Fatal(err)
	}
	report, err := eng.SyncOnce(ctx) // or eng.Run(ctx) to keep syncing
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("created:", report.Created, "excluded:", report.Excluded)
	fmt.Println("contacts in HubSpot:", hsrv.Fake.NumContacts())

	report, err = eng.SyncOnce(ctx)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("second pass created:", report.Created, "updated:", report.Updated)
	// Output:
	// created: 110 excluded: 19
	// contacts in HubSpot: 110
	// second pass created: 0 updated: 0
}
