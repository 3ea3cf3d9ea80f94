package fleet

import "errors"

// Sentinel errors of the package. Errors returned by the API wrap them, so
// callers branch with errors.Is.
var (
	// ErrNotFound reports a connection id the registry does not know.
	ErrNotFound = errors.New("fleet: connection not found")
	// ErrPortalTaken reports an attempt to register a second connection
	// for a HubSpot portal that already has one.
	ErrPortalTaken = errors.New("fleet: hubspot portal already has a connection")
	// ErrInvalidSpec reports a connection spec that fails validation.
	ErrInvalidSpec = errors.New("fleet: invalid connection spec")
	// ErrNoSecrets reports a connection whose secrets the SecretSource
	// cannot resolve.
	ErrNoSecrets = errors.New("fleet: no secrets for connection")
	// ErrSealing reports a secret that cannot be sealed or opened: an
	// unknown key id, a wrong key, or tampered ciphertext.
	ErrSealing = errors.New("fleet: cannot seal or open secret")
	// ErrUnknownPortal reports a webhook event for a portal without a
	// connection.
	ErrUnknownPortal = errors.New("fleet: no connection for hubspot portal")
)
