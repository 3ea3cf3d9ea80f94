// Command quickstart shows a whole Sansan ↔ HubSpot sync in a few seconds.
//
//	go run ./examples/quickstart
//
// Without credentials in the environment it runs offline: it starts the
// SDK's fake Sansan and HubSpot servers in this process, seeds a tenant of
// a few thousand Japanese business cards with the quirks real data has
// (full-width and padded e-mail addresses, shared info@ addresses, typos,
// cards still being digitized), and walks through the life of a sync:
// the dry-run plan, the initial sync, an edit in Sansan and the incremental
// pass that carries it, a contact created in HubSpot flowing back in
// two-way mode, and a report of what happened and what it cost in API
// calls.
//
// With SANSAN_API_KEY and HUBSPOT_ACCESS_TOKEN set it runs against the real
// services, as a dry run unless -apply is given:
//
//	SANSAN_API_KEY=... HUBSPOT_ACCESS_TOKEN=... go run ./examples/quickstart
//	SANSAN_API_KEY=... HUBSPOT_ACCESS_TOKEN=... go run ./examples/quickstart -apply -once -store ./sync-store
//
// Flags:
//
//	-apply          write to the real services (default: dry run)
//	-direction d    sansan-to-hubspot (default), hubspot-to-sansan or two-way
//	-tags ids       comma-separated Sansan public/shared tag ids to sync (default: all cards)
//	-store dir      durable store directory (default: in memory, forgotten on exit)
//	-once           with -apply, run one pass and exit instead of syncing continuously
//	-interval d     time between passes when syncing continuously (default 1m)
//	-cards n, -seed n   size and seed of the offline demo's tenant
//
// SANSAN_BASE_URL and HUBSPOT_BASE_URL override the services' base URLs
// (for a proxy or a fake running elsewhere).
//
// The exit code is 0 on success; on failure the program prints one line
// saying why (a rejected key, HubSpot's daily limit, a misconfiguration)
// and exits with 1, or 2 for bad flags.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr, os.Getenv)
	stop()
	os.Exit(code)
}
