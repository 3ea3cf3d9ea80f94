// Package fleet runs the Sansan ⇄ HubSpot sync for many connections on
// many machines, on River (github.com/riverqueue/river), a job queue in
// PostgreSQL. A connection is one HubSpot portal fed by one or more Sansan
// API keys, with its own direction, mapping, filters and interval. It is a
// separate module (github.com/cardbridge/sansanhubspot/fleet) so that the
// SDK itself keeps its small dependency list.
//
// # Registry
//
// [Fleet] keeps connections in PostgreSQL: id, portal id, a [Spec] (the
// configuration as data), a [State] (active, paused, needs attention with
// a reason), timestamps and the [Status] of its passes. [Fleet.Add],
// [Fleet.Update], [Fleet.Pause], [Fleet.Resume], [Fleet.Remove],
// [Fleet.Get] and [Fleet.List] manage them. A unique constraint allows one
// connection per portal, so a portal's rate limit is never shared by two
// passes. Each connection's links and checkpoints live in pgstore
// (github.com/cardbridge/sansanhubspot/syncer/pgstore) under the
// connection id.
//
//	pool, _ := pgxpool.New(ctx, os.Getenv("DATABASE_URL"))
//	ring, _ := fleet.ParseKeyring(os.Getenv("FLEET_KEYRING"))
//	f, _ := fleet.New(fleet.Config{Pool: pool, Secrets: fleet.NewSealedSecrets(pool, "", ring)})
//	_ = f.Migrate(ctx) // River's migrations, the fleet's and pgstore's tables
//	c, err := f.Add(ctx, fleet.Spec{PortalID: 12345678, Accounts: []fleet.AccountSpec{{Name: "tokyo"}}},
//		&fleet.Secrets{HubSpotToken: token, SansanKeys: map[string]string{"tokyo": key}})
//
// # Secrets
//
// Credentials never sit in the registry, in job arguments, logs, errors,
// metrics or pages. A [SecretSource] resolves a connection's [Secrets] when
// a replica builds its engine: plug in a vault or KMS, or use
// [SealedSecrets], which stores them sealed with AES-256-GCM under a
// [Keyring] the operator supplies (the connection id is authenticated with
// each blob). Rotating the key: put a new key first in the ring and keep
// the old ones after it, deploy, call [SealedSecrets.Reseal], then drop the
// old keys. Secrets, Key and Keyring print without their values.
//
// # Scheduling
//
// Every active connection has one pass job ([PassArgs], kind
// sansanhubspot_pass) in River, unique per connection among pending and
// running jobs, so at most one pass of a connection runs anywhere in the
// fleet. A pass that ends completes its job and inserts the next one, due
// after the connection's Interval, in the same transaction. Then:
//
//   - hubspot.ErrDailyLimit snoozes the job until a minute past midnight in
//     Spec.TimeZone (HubSpot's reset), or for RunOptions.DailyLimitPause;
//   - sansan.ErrUnauthorized, hubspot.ErrUnauthorized, hubspot.ErrForbidden,
//     syncer.ErrConfig and missing or unopenable secrets mark the
//     connection "needs attention" with a reason and cancel the job: no
//     retry storm; Update or Resume schedules it again;
//   - any other error is retried with River's backoff, up to
//     [DefaultMaxAttempts]; then the next pass is scheduled as usual;
//   - a replica killed mid-pass leaves its job running until River's
//     rescuer (on the leader, every 30 s) sees it older than
//     RunOptions.RescueAfter and makes it retryable; another replica then
//     resumes from the connection's checkpoints in pgstore. RescueAfter
//     exceeds PassTimeout, so a live pass is cancelled before it could be
//     rescued.
//
// River promotes scheduled jobs on its leader every 5 s, with a look-ahead
// of 5 s, so passes start on time for intervals of a few seconds and more;
// a shorter Interval behaves as about 5 s. Completed pass jobs (one row per
// pass) are kept for RunOptions.CompletedJobRetention. While River has no
// leader (the leader was killed: up to about 15 s until another replica is
// elected), scheduled passes wait.
//
// A periodic job ([EnsureArgs]) gives any active connection that lost its
// pass job a new one.
//
// # Webhooks
//
// [Fleet.WebhookHandler] verifies HubSpot's v3 signature, maps each event's
// portal id to its connection, stores the events and enqueues one notify
// job per connection ([NotifyArgs], unique per connection, so deliveries
// coalesce). Any replica may receive them. The notify job moves the
// connection's pass forward to now; the pass, on whichever replica River
// gives it, applies the stored events with Engine.Notify before syncing
// and deletes them once it succeeds. Events arriving during a pass make the
// next pass start at once.
//
// # Workers
//
// [Run] starts a River client with RunOptions.Workers workers on the
// fleet's queue and blocks until ctx ends. Engines are kept warm per
// connection in a bounded LRU cache on each replica (EngineCacheSize), so a
// connection's preflight runs once per replica and spec version, not once
// per pass. Size the pgx pool for the workers plus River's own connections
// (2 × Workers + 6 is comfortable).
//
// # Observability
//
// [Fleet.Get] and [Fleet.List] return each connection's last pass start and
// end, the totals of its last report, failures, the last error, the
// replica running it and the next run (from River's job). [Metrics] exports
// Prometheus metrics labelled by connection; the number of distinct
// connection labels per replica is bounded by
// MetricsOptions.MaxConnectionLabels (the rest share the label "_other"),
// so a replica exports at most (MaxConnectionLabels+1) × 11
// per-connection series. [Fleet.Collector] adds connections by state.
// [PassFromContext] identifies the pass of a request's context, for
// tracing.
//
// The example program github.com/cardbridge/sansanhubspot/fleet/examples/fleetservice
// is a deployable replica with an admin page.
package fleet
