// Package sansanhubspot is an SDK that keeps Sansan business cards and
// HubSpot CRM contacts in sync. It does what HubSpot's own Sansan data-sync
// app does, as a library you import, test offline and run in your own
// service: correct with duplicate emails, sparing with API calls, and
// observable.
//
// This root package holds documentation only. The SDK is split by layer,
// and imports only point down this list:
//
//   - [github.com/cardbridge/sansanhubspot/syncer]: the engine. [syncer.New]
//     takes a Config (a HubSpot client, one or more Sansan accounts, a
//     Store), SyncOnce runs one pass and Run syncs until its context ends.
//   - [github.com/cardbridge/sansanhubspot/mapping]: pure conversion between
//     cards and contact properties, with normalization and validation.
//   - [github.com/cardbridge/sansanhubspot/sansan] and
//     [github.com/cardbridge/sansanhubspot/hubspot]: typed API clients,
//     rate-limited and retrying, with lazy iterators.
//   - [github.com/cardbridge/sansanhubspot/sansan/sansantest] and
//     [github.com/cardbridge/sansanhubspot/hubspot/hubspottest]: in-process
//     fakes of both APIs for tests and the offline demo;
//     [github.com/cardbridge/sansanhubspot/fakes] starts them as a pair, with
//     clients, in one call.
//   - [github.com/cardbridge/sansanhubspot/server]: a sync service's HTTP
//     side (health page, /healthz, metrics, the webhook endpoint, hardened),
//     used by examples/service and by the sansanhubspot command
//     (cmd/sansanhubspot: sync, plan, status, failures, retry, resync, serve).
//
// A minimal program syncing one Sansan key into HubSpot:
//
//	ss, err := sansan.NewClient(os.Getenv("SANSAN_API_KEY"))
//	if err != nil { ... }
//	hs, err := hubspot.NewClient(os.Getenv("HUBSPOT_ACCESS_TOKEN"))
//	if err != nil { ... }
//	eng, err := syncer.New(syncer.Config{
//		HubSpot:  hs,
//		Accounts: []syncer.Account{{Name: "tokyo", Client: ss}},
//	})
//	if err != nil { ... }
//	report, err := eng.SyncOnce(ctx) // or eng.Run(ctx)
//
// Run "go run ./examples/quickstart" for the whole story against the
// built-in fakes, offline.
package sansanhubspot
