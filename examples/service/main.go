// Command service is a long-running Sansan ↔ HubSpot sync service a team
// can deploy as it is or copy from.
//
// It keeps links and checkpoints in a durable file store (syncer/filestore),
// runs Engine.Run until SIGINT or SIGTERM and then shuts down gracefully
// (in-flight webhook requests finish, the current pass stops at a batch
// boundary, the store is closed), and logs JSON with log/slog. Its HTTP
// server has:
//
//	GET  /                  sync-health page: in sync, excluded and failing records, latest failures
//	GET  /healthz           liveness and the last pass, as JSON (503 while shutting down)
//	GET  /metrics           Prometheus text format: passes, records by outcome, API calls, last error
//	POST /webhooks/hubspot  HubSpot webhook deliveries, signature-verified, trigger a pass at once
//
// Configuration comes from flags, each with an environment variable as its
// default; secrets come only from the environment:
//
//	SANSAN_API_KEY         Sansan API key (required)
//	HUBSPOT_ACCESS_TOKEN   HubSpot private app token (required)
//	HUBSPOT_CLIENT_SECRET  the HubSpot app's client secret; enables /webhooks/hubspot
//	-addr        SYNC_ADDR            listen address (default ":8080")
//	-store       SYNC_STORE_DIR       store directory (default "sansanhubspot-store")
//	-direction   SYNC_DIRECTION       sansan-to-hubspot (default), hubspot-to-sansan or two-way
//	-tags        SANSAN_TAG_IDS       comma-separated public/shared tag ids (default: all cards)
//	-interval    SYNC_INTERVAL        time between passes (default 1m)
//	-dry-run     SYNC_DRY_RUN         plan passes without writing
//	-webhook-url HUBSPOT_WEBHOOK_URL  the exact target URL configured in HubSpot, when a
//	                                  proxy changes the host or path HubSpot signed
//	-log-level   LOG_LEVEL            debug, info, warn or error (default info)
//
// SANSAN_BASE_URL and HUBSPOT_BASE_URL point the clients elsewhere (a proxy,
// or the SDK's fakes in tests).
//
// Run it with:
//
//	SANSAN_API_KEY=... HUBSPOT_ACCESS_TOKEN=... HUBSPOT_CLIENT_SECRET=... go run ./examples/service
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
