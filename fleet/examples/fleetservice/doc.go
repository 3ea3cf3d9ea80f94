// Command fleetservice is a deployable replica of a sync fleet: it runs
// fleet.Run over every connection registered in PostgreSQL and serves an
// admin page. Run as many replicas as you like against one database;
// River spreads the passes, and HubSpot's webhooks may go to any replica.
//
//	DATABASE_URL=postgres://… FLEET_KEYRING=key1:<base64 32 bytes> HUBSPOT_CLIENT_SECRET=… \
//	  go run ./examples/fleetservice -workers 10
//	go run ./examples/fleetservice -demo 5    # offline: 5 fake tenants, an in-process keyring
//
// Endpoints: / (HTML health page, one row per connection), /api/connections
// (the same as JSON), /healthz (database reachable), /metrics (Prometheus)
// and /webhooks/hubspot (when HUBSPOT_CLIENT_SECRET is set, or in demo mode).
//
// Flags and their environment variables: -addr (FLEET_ADDR, default :8080),
// -dsn (DATABASE_URL), -schema (FLEET_SCHEMA), -workers (FLEET_WORKERS,
// default 10), -replica (FLEET_REPLICA_ID, default hostname-pid), -migrate
// (default true: run River's and the fleet's migrations at start), -demo N.
// Secrets: FLEET_KEYRING ("id:base64key,..." primary first; see
// fleet.Keyring for rotation) and HUBSPOT_CLIENT_SECRET.
package main
