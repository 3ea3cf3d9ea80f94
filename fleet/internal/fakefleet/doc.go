// Package fakefleet serves many fake tenants (a Sansan tenant and a HubSpot
// portal each, from the SDK's sansantest and hubspottest) for the fleet's
// tests, benchmark and demo, and detects overlapping passes: every request
// of a pass carries a header naming the pass (set by [PassHeader] from
// fleet.PassFromContext), and a middleware in front of each fake records
// when each pass's requests ran.
package fakefleet
