// Command service is a long-running Sansan ↔ HubSpot sync service a team
// can deploy as it is or copy from.
//
//	go run ./examples/service --demo   # offline, on the SDK's built-in fakes
//
// It keeps links and checkpoints in a durable file store (syncer/filestore),
// runs Engine.Run until SIGINT or SIGTERM and then shuts down gracefully
// (in-flight webhook requests finish, the current pass stops at a batch
// boundary and says so at INFO, the store is closed), and logs JSON with
// log/slog, durations rounded ("1.69s"). Its HTTP side is the SDK's server
// package:
//
//	GET  /                  sync-health page: the last pass, links by state, failing records
//	GET  /healthz           liveness and the last pass, as JSON (503 while shutting down)
//	GET  /metrics           Prometheus text format: passes, records, API calls, webhooks, links
//	POST /webhooks/hubspot  HubSpot webhook deliveries, signature-verified, trigger a pass at once
//
// with read, write, idle and header timeouts, a webhook body cap and
// deadline, and a bound on concurrent webhook deliveries (see
// server.Limits).
//
// It listens on 127.0.0.1:8080 by default: the page and /metrics have no
// authentication. To expose the service, put a reverse proxy in front that
// terminates TLS, forwards POST /webhooks/hubspot from the internet and
// guards the other paths (basic auth, an identity-aware proxy, a private
// network for Prometheus); give -webhook-url the exact URL configured in
// HubSpot if the proxy changes the host or path.
//
// Configuration comes from flags, each with an environment variable as its
// default; secrets come only from the environment:
//
//	SANSAN_API_KEY         Sansan API key (required unless -demo)
//	HUBSPOT_ACCESS_TOKEN   HubSpot private app token (required unless -demo)
//	HUBSPOT_CLIENT_SECRET  the HubSpot app's client secret; enables /webhooks/hubspot
//	-addr        SYNC_ADDR            listen address (default "127.0.0.1:8080")
//	-store       SYNC_STORE_DIR       store directory (default "sansanhubspot-store")
//	-direction   SYNC_DIRECTION       sansan-to-hubspot (default), hubspot-to-sansan or two-way
//	-tags        SANSAN_TAG_IDS       comma-separated public/shared tag ids (default: all cards)
//	-interval    SYNC_INTERVAL        time between passes (default 1m)
//	-dry-run     SYNC_DRY_RUN         plan passes without writing (a boolean flag)
//	-webhook-url HUBSPOT_WEBHOOK_URL  the exact target URL configured in HubSpot, when a
//	                                  proxy changes the host or path HubSpot signed
//	-log-level   LOG_LEVEL            debug, info, warn or error (default info)
//	-demo                             run offline on built-in fakes with an in-memory store;
//	                                  webhooks are signed with "demo-client-secret"
//	                                  unless HUBSPOT_CLIENT_SECRET is set
//	-demo-cards  n                    cards in the demo's Sansan tenant (default 500)
//
// SANSAN_BASE_URL and HUBSPOT_BASE_URL point the clients elsewhere (a proxy,
// or the SDK's fakes in tests).
//
// Run it against real accounts with:
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
