// Command e2eworker is one fleet replica for the fleet module's end-to-end
// test (fakefleet.RunReplica): API clients tag every request with its pass
// and do not rate-limit themselves (the fakes impose the limits). The
// keyring comes from FLEET_KEYRING and the webhook secret from
// FLEET_WEBHOOK_SECRET; it prints "READY <base URL>" once listening, and
// stops gracefully on SIGTERM or SIGINT.
package main
