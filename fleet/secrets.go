package fleet

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
)

// Secrets are a connection's credentials: its HubSpot access token and one
// Sansan API key per account name. Formatting a Secrets with fmt, slog or
// encoding/json prints no credential.
type Secrets struct {
	// HubSpotToken is the portal's private-app (or OAuth) access token.
	HubSpotToken string
	// SansanKeys maps an account name of the Spec to its Sansan API key.
	SansanKeys map[string]string
}

// redacted is what a Secrets prints instead of its values.
const redacted = "REDACTED"

// String describes the secrets without their values.
func (s Secrets) String() string {
	names := make([]string, 0, len(s.SansanKeys))
	for n := range s.SansanKeys {
		names = append(names, n)
	}
	slices.Sort(names)
	return fmt.Sprintf("fleet.Secrets{HubSpotToken: %s, SansanKeys: %q: %s}", redacted, names, redacted)
}

// GoString is String for %#v.
func (s Secrets) GoString() string { return s.String() }

// LogValue implements slog.LogValuer without the values.
func (s Secrets) LogValue() slog.Value { return slog.StringValue(s.String()) }

// MarshalJSON writes the redacted description, so a Secrets accidentally
// encoded never carries a credential.
func (s Secrets) MarshalJSON() ([]byte, error) { return json.Marshal(s.String()) }

// check reports whether the secrets cover every account of spec.
func (s Secrets) check(spec *Spec) error {
	if s.HubSpotToken == "" {
		return fmt.Errorf("%w: hubspot token is empty", ErrNoSecrets)
	}
	for _, a := range spec.Accounts {
		if s.SansanKeys[a.Name] == "" {
			return fmt.Errorf("%w: no sansan key for account %q", ErrNoSecrets, a.Name)
		}
	}
	return nil
}

// SecretSource resolves a connection's credentials when an engine is
// built. Plug in your vault or KMS; [SealedSecrets] keeps them in
// PostgreSQL, encrypted under an operator key. Implementations must be
// safe for concurrent use, and their errors must not contain the secrets.
type SecretSource interface {
	// Secrets returns the credentials of the connection, or an error
	// matching [ErrNoSecrets] when it has none.
	Secrets(ctx context.Context, connectionID string) (Secrets, error)
}

// SecretSink is implemented by a SecretSource that can also store secrets
// (SealedSecrets does). [Fleet.Add] and [Fleet.Update] hand secrets to it
// when they are given some; with a read-only source the operator stores
// them in the vault first.
type SecretSink interface {
	// PutSecrets stores (replaces) the connection's credentials.
	PutSecrets(ctx context.Context, connectionID string, s Secrets) error
}

// Key is one AES-256 key of a [Keyring], named by an id that is stored
// with every secret it seals.
type Key struct {
	// ID names the key; it must be non-empty and contain no ':' or ','.
	ID string
	// Bytes is the 32-byte AES-256 key.
	Bytes []byte
}

// String describes the key by id only.
func (k Key) String() string { return "fleet.Key{ID: " + k.ID + ", Bytes: " + redacted + "}" }

// GoString is String for %#v.
func (k Key) GoString() string { return k.String() }

// LogValue implements slog.LogValuer without the key bytes.
func (k Key) LogValue() slog.Value { return slog.StringValue(k.String()) }

// MarshalJSON writes the redacted description.
func (k Key) MarshalJSON() ([]byte, error) { return json.Marshal(k.String()) }

// Keyring is the set of keys that seal and open secrets. The first key is
// the primary: it seals everything new. The others only open secrets sealed
// before a rotation.
//
// Rotation: generate a key, put it first and keep the old ones after it;
// deploy; call [SealedSecrets.Reseal] (it re-encrypts every secret under
// the primary); then drop the old keys from the ring.
type Keyring struct {
	keys []Key
	aead map[string]cipher.AEAD
}

// NewKeyring returns a keyring with keys[0] as the primary key.
func NewKeyring(keys ...Key) (*Keyring, error) {
	if len(keys) == 0 {
		return nil, fmt.Errorf("%w: keyring needs at least one key", ErrSealing)
	}
	r := &Keyring{aead: map[string]cipher.AEAD{}}
	for _, k := range keys {
		if k.ID == "" || strings.ContainsAny(k.ID, ":,") {
			return nil, fmt.Errorf("%w: key id %q must be non-empty without ':' or ','", ErrSealing, k.ID)
		}
		if _, dup := r.aead[k.ID]; dup {
			return nil, fmt.Errorf("%w: key id %q appears twice", ErrSealing, k.ID)
		}
		if len(k.Bytes) != 32 {
			return nil, fmt.Errorf("%w: key %q has %d bytes; AES-256 needs 32", ErrSealing, k.ID, len(k.Bytes))
		}
		block, err := aes.NewCipher(k.Bytes)
		if err != nil {
			return nil, fmt.Errorf("%w: key %q: %w", ErrSealing, k.ID, err)
		}
		gcm, err := cipher.NewGCM(block)
		if err != nil {
			return nil, fmt.Errorf("%w: key %q: %w", ErrSealing, k.ID, err)
		}
		r.aead[k.ID] = gcm
		r.keys = append(r.keys, Key{ID: k.ID, Bytes: slices.Clone(k.Bytes)})
	}
	return r, nil
}

// ParseKeyring reads a keyring from text: comma-separated "id:base64key"
// entries, primary first, e.g. "2026-12:q83v...,2026-06:7Hc1...". It suits
// an environment variable.
func ParseKeyring(s string) (*Keyring, error) {
	var keys []Key
	for entry := range strings.SplitSeq(s, ",") {
		entry = strings.TrimSpace(entry)
		if entry == "" {
			continue
		}
		id, b64, ok := strings.Cut(entry, ":")
		if !ok {
			return nil, fmt.Errorf("%w: keyring entry without ':'", ErrSealing)
		}
		b, err := base64.StdEncoding.DecodeString(b64)
		if err != nil {
			return nil, fmt.Errorf("%w: key %q is not base64", ErrSealing, id)
		}
		keys = append(keys, Key{ID: id, Bytes: b})
	}
	return NewKeyring(keys...)
}

// GenerateKey returns a new random key with the given id.
func GenerateKey(id string) (Key, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return Key{}, fmt.Errorf("%w: random key: %w", ErrSealing, err)
	}
	return Key{ID: id, Bytes: b}, nil
}

// String describes the ring by key ids.
func (r *Keyring) String() string {
	ids := make([]string, len(r.keys))
	for i, k := range r.keys {
		ids[i] = k.ID
	}
	return fmt.Sprintf("fleet.Keyring{Primary: %s, Keys: %q}", r.Primary(), ids)
}

// GoString is String for %#v.
func (r *Keyring) GoString() string { return r.String() }

// Primary returns the id of the key that seals new secrets.
func (r *Keyring) Primary() string { return r.keys[0].ID }

// Sealed is a secret encrypted by a Keyring: the key id, a random 96-bit
// nonce and the AES-GCM ciphertext with its tag.
type Sealed struct {
	KeyID      string
	Nonce      []byte
	Ciphertext []byte
}

// Seal encrypts plaintext under the primary key. aad (additional data,
// here the connection id) is authenticated but not stored: Open must be
// given the same, so a sealed secret copied to another connection does not
// open.
func (r *Keyring) Seal(plaintext, aad []byte) (Sealed, error) {
	id := r.Primary()
	gcm := r.aead[id]
	nonce := make([]byte, gcm.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return Sealed{}, fmt.Errorf("%w: nonce: %w", ErrSealing, err)
	}
	return Sealed{KeyID: id, Nonce: nonce, Ciphertext: gcm.Seal(nil, nonce, plaintext, aad)}, nil
}

// Open decrypts a sealed secret with the key it names.
func (r *Keyring) Open(s Sealed, aad []byte) ([]byte, error) {
	gcm, ok := r.aead[s.KeyID]
	if !ok {
		return nil, fmt.Errorf("%w: key %q is not in the keyring", ErrSealing, s.KeyID)
	}
	if len(s.Nonce) != gcm.NonceSize() {
		return nil, fmt.Errorf("%w: bad nonce length", ErrSealing)
	}
	pt, err := gcm.Open(nil, s.Nonce, s.Ciphertext, aad)
	if err != nil {
		return nil, fmt.Errorf("%w: authentication failed (wrong key or tampered data)", ErrSealing)
	}
	return pt, nil
}

// secretsWire is the plaintext form of Secrets inside a sealed blob.
type secretsWire struct {
	HubSpotToken string            `json:"hubspot_token"`
	SansanKeys   map[string]string `json:"sansan_keys"`
}

// sealSecrets seals s for a connection.
func (r *Keyring) sealSecrets(connectionID string, s Secrets) (Sealed, error) {
	pt, err := json.Marshal(secretsWire(s))
	if err != nil {
		return Sealed{}, fmt.Errorf("%w: encode: %w", ErrSealing, err)
	}
	defer clear(pt)
	return r.Seal(pt, []byte(connectionID))
}

// openSecrets opens a connection's sealed secrets.
func (r *Keyring) openSecrets(connectionID string, sealed Sealed) (Secrets, error) {
	pt, err := r.Open(sealed, []byte(connectionID))
	if err != nil {
		return Secrets{}, err
	}
	defer clear(pt)
	var w secretsWire
	if err := json.Unmarshal(pt, &w); err != nil {
		return Secrets{}, errors.Join(ErrSealing, errors.New("fleet: sealed secrets do not decode"))
	}
	return Secrets(w), nil
}
