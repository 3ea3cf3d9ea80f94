// Package upserttest measures, against hubspottest, how many HubSpot calls
// upserting contacts by email takes on a tenant where 1 % of the e-mail
// addresses are ones HubSpot refuses, with the building blocks the clients
// offer a sync engine: mapping.NormalizeEmail (HubSpot's checks, Public
// Suffix List included) before sending, and hubspot.RefusedUpsertInputs to
// isolate a refused input in one retry instead of bisecting. It has no
// non-test code.
package upserttest
