// Command fleetbench measures the fleet for BENCHMARKS.md: connections
// served per minute with 1, 2 and 3 worker processes, the recovery time of
// passes whose replica is killed (a follower, then River's leader), and the
// PostgreSQL queries per pass. It runs the fakes (one Sansan tenant and one
// HubSpot portal per connection, with the real services' rate limits
// time-scaled ×scale as in the SDK's other benchmarks) in this process and
// the replicas as child processes (this binary re-executed with -replica).
//
//	go run ./internal/fleetbench [-connections 60] [-cards 100] [-scale 2] [-window 30s] [-out fleet-results.md]
//
// It needs PostgreSQL: SANSANHUBSPOT_PG_DSN, or the local default
// postgres://postgres@127.0.0.1:5432/test?sslmode=disable. Each scenario
// uses a schema of its own and drops it afterwards.
package main
