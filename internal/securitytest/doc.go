// Package securitytest holds the SDK's cross-package security tests: a
// canary API key, access token and webhook secret are driven through every
// failure path of the sansan and hubspot clients, the webhook handler and
// the sync engine, and every captured log line (at debug level), error
// string, formatted value and request URL is scanned for them. It also
// checks that credentials only go to the configured host. The package has
// no API; it exists for its tests.
package securitytest
