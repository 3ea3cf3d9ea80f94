package fleet_test

import (
	"context"
	"log"
	"net/http"
	"os"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/cardbridge/sansanhubspot/fleet"
)

// Example registers a connection and runs a replica with its webhook
// endpoint. Every replica of the service runs the same code against one
// database. (Compiled, not run: it needs a database and credentials.)
func Example() {
	ctx := context.Background()
	pool, err := pgxpool.New(ctx, os.Getenv("DATABASE_URL"))
	if err != nil {
		log.Fatal(err)
	}
	ring, err := fleet.ParseKeyring(os.Getenv("FLEET_KEYRING")) // "id:base64key,…", primary first
	if err != nil {
		log.Fatal(err)
	}
	f, err := fleet.New(fleet.Config{Pool: pool, Secrets: fleet.NewSealedSecrets(pool, "", ring)})
	if err != nil {
		log.Fatal(err)
	}
	if err := f.Migrate(ctx); err != nil {
		log.Fatal(err)
	}
	// Onboarding a customer, e.g. from an admin API:
	_, err = f.Add(ctx, fleet.Spec{PortalID: 12345678, Accounts: []fleet.AccountSpec{{Name: "tokyo"}}, TimeZone: "Asia/Tokyo"},
		&fleet.Secrets{HubSpotToken: os.Getenv("HUBSPOT_ACCESS_TOKEN"), SansanKeys: map[string]string{"tokyo": os.Getenv("SANSAN_API_KEY")}})
	if err != nil {
		log.Fatal(err)
	}
	http.Handle("/webhooks/hubspot", f.WebhookHandler(fleet.WebhookOptions{ClientSecret: os.Getenv("HUBSPOT_CLIENT_SECRET")}))
	go func() { log.Fatal(http.ListenAndServe(":8080", nil)) }()
	if err := fleet.Run(ctx, f, fleet.RunOptions{Workers: 10}); err != nil {
		log.Fatal(err)
	}
}
