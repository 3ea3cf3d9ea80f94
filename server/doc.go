// Package server turns a sync engine into a small HTTP service: a
// sync-health page, /healthz, Prometheus metrics and the HubSpot webhook
// endpoint, with the timeouts, size caps and concurrency bounds a server
// facing the internet needs. The examples/service program and the
// sansanhubspot command's serve subcommand are built on it.
//
//	mon := server.NewMonitor()
//	cfg.OnPass = mon.OnPass                 // cfg is the engine's syncer.Config
//	eng, err := syncer.New(cfg)
//	srv, err := server.New(server.Options{Engine: eng, Monitor: mon, Links: eng, WebhookSecret: secret})
//	ln, err := net.Listen("tcp", server.DefaultAddr)
//	err = srv.Serve(ctx, ln)                 // runs eng.Run too, until ctx ends
//
// # Endpoints
//
//	GET  /                  sync-health page: the last pass, links by state, failing records
//	GET  /healthz           liveness and the last pass, as JSON (503 while shutting down)
//	GET  /metrics           Prometheus text format: passes, records, API calls, webhooks, links
//	POST /webhooks/hubspot  HubSpot webhook deliveries, signature-verified, handed to Engine.Notify
//
// The counts of the last pass on the page, in /healthz ("last_pass") and
// in /metrics (the sansanhubspot_last_pass_* gauges) are read from one
// value, the *syncer.Report of that pass, so they always agree. Links by
// state are another thing — every person the sync has seen, whatever the
// pass — and are labelled as such.
//
// # Exposing the server
//
// [DefaultAddr] is 127.0.0.1:8080: the page, /healthz and /metrics carry
// no authentication and show record ids and error messages, so by default
// only the machine itself reaches them. HubSpot must reach the webhook
// endpoint, though. To expose it, put a reverse proxy (nginx, Caddy, a
// cloud load balancer) in front that terminates TLS, forwards only POST
// /webhooks/hubspot from the internet, and guards the other paths with
// authentication (basic auth, an identity-aware proxy, or a private
// network for your Prometheus). Webhook deliveries authenticate
// themselves with the app's signature; set Options.WebhookURL to the exact
// URL configured in HubSpot when the proxy changes the host or path.
//
// # Limits
//
// Every request is bounded by [Limits] (zero fields take [DefaultLimits]):
// header, read, write and idle timeouts on the connection; for webhooks, a
// body cap checked against the declared Content-Length before reading, a
// deadline for reading an admitted body, and a bound on deliveries read
// and handled at once, with separate slots for small bodies (real
// deliveries) and large or undeclared ones, so that clients uploading
// slowly or stalling hold little memory, are cut off in seconds, and
// cannot keep real deliveries out. A delivery beyond the bounds is
// answered 503 at once; HubSpot retries it.
//
// # Logs
//
// [NewLogger] makes the logger such a service wants: JSON or text,
// durations rounded for people, and a stop on request (a cancelled
// context) logged at INFO rather than as an error.
package server
