// Package fakes starts a realistic pair of fake services — a Sansan tenant
// and a HubSpot portal, both served in-process on 127.0.0.1 — with clients
// already pointed at them, in one call. It is meant for your own tests and
// demos of code built on this SDK; the example programs and the
// sansanhubspot command's --demo mode run on it.
//
//	env := fakes.New(t, fakes.Options{Cards: 200, Seed: 1}) // closed on t.Cleanup
//	eng, err := syncer.New(env.Config())
//	report, err := eng.SyncOnce(t.Context())
//	n := env.HubSpot.Fake.NumContacts()
//
// [Start] does the same outside a test; close the [Env] when done.
//
// The Sansan tenant has the generator's default users (an administrator,
// whose key sees every card, and three members), its public, shared and
// private tags, and Options.Cards generated Japanese business cards with
// the quirks real data has: missing, full-width, padded, mistyped and
// shared addresses, several cards per person, cards still being digitized.
// The HubSpot portal starts empty, with HubSpot's default contact
// properties.
//
// # Rate limits
//
// By default neither the fakes nor the clients limit the request rate, so
// tests finish in milliseconds. With Options.RateLimits the fakes enforce
// HubSpot's published limits (100 requests per rolling 10 s, 5 searches per
// second, answered with 429 and HubSpot's policy names) and a Sansan limit
// of 5 requests per second, and the clients keep their default proactive
// limits, as they would against the real services.
//
// Everything else — fault injection, request counters, editing cards and
// contacts, webhook delivery — is on the servers' Fake fields; see
// [github.com/cardbridge/sansanhubspot/sansan/sansantest] and
// [github.com/cardbridge/sansanhubspot/hubspot/hubspottest].
package fakes
