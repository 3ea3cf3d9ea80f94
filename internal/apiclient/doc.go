// Package apiclient is the HTTP plumbing shared by the sansan and hubspot
// clients: request building against a base URL, query and JSON encoding,
// tolerant JSON decoding, capped error bodies, a proactive rate limiter
// awaited before every attempt, and retries with full-jitter exponential
// backoff.
//
// It knows nothing about either API. Each client plugs in its own
// authentication ([Config.Auth]), error decoding ([Config.CheckResponse]) and
// retry classification ([Config.Classify]), so API-specific rules (HubSpot's
// rate-limit policies, Sansan's missing Retry-After) stay in their packages.
//
// Secrets never enter URLs: credentials are set as headers on a clone of each
// request, and errors and logs carry only the method, the sanitized URL and
// the status.
package apiclient
