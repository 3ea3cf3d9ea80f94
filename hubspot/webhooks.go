package hubspot

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Webhook request headers.
const (
	HeaderSignatureV3      = "X-HubSpot-Signature-v3"
	HeaderSignature        = "X-HubSpot-Signature"
	HeaderSignatureVersion = "X-HubSpot-Signature-Version"
	HeaderRequestTimestamp = "X-HubSpot-Request-Timestamp"
)

// MaxWebhookAge is how far a v3 request timestamp may be from now.
const MaxWebhookAge = 5 * time.Minute

// DefaultMaxWebhookBody caps webhook bodies read by WebhookHandler (HubSpot
// sends at most 100 events per request).
const DefaultMaxWebhookBody = 1 << 20

var (
	// ErrInvalidSignature reports a missing or wrong webhook signature.
	ErrInvalidSignature = errors.New("hubspot: invalid webhook signature")
	// ErrStaleTimestamp reports a v3 request timestamp that is malformed or
	// more than MaxWebhookAge away from now (a replay). A request without
	// the timestamp header is a [*MissingHeaderError] instead.
	ErrStaleTimestamp = errors.New("hubspot: webhook timestamp outside the allowed window")
	// ErrMissingHeader matches every [*MissingHeaderError]: a webhook
	// request lacks a header its verification needs.
	ErrMissingHeader = errors.New("hubspot: webhook header missing")
)

// MissingHeaderError reports a webhook request without a header its
// verification needs: [HeaderRequestTimestamp] or [HeaderSignatureV3] (or,
// with legacy signatures allowed, [HeaderSignature]). It matches
// [ErrMissingHeader] with errors.Is, and a missing signature also matches
// [ErrInvalidSignature], as it did before this type existed.
type MissingHeaderError struct {
	// Header is the missing header, as its Header constant names it.
	Header string
}

// Error implements error.
func (e *MissingHeaderError) Error() string {
	return "hubspot: webhook request has no " + e.Header + " header"
}

// Is makes errors.Is(err, ErrMissingHeader) true, and errors.Is(err,
// ErrInvalidSignature) true for a missing signature header.
func (e *MissingHeaderError) Is(target error) bool {
	switch target {
	case ErrMissingHeader:
		return true
	case ErrInvalidSignature:
		return e.Header == HeaderSignatureV3 || e.Header == HeaderSignature
	}
	return false
}

// signatureURIDecoder undoes the escapes HubSpot decodes before signing.
var signatureURIDecoder = func() *strings.Replacer {
	pairs := []string{"3A", ":", "2F", "/", "3F", "?", "40", "@", "21", "!", "24", "$", "27", "'", "28", "(", "29", ")", "2A", "*", "2C", ",", "3B", ";"}
	var args []string
	for i := 0; i < len(pairs); i += 2 {
		args = append(args, "%"+pairs[i], pairs[i+1], "%"+strings.ToLower(pairs[i]), pairs[i+1])
	}
	return strings.NewReplacer(args...)
}()

// SignatureV3 computes the X-HubSpot-Signature-v3 value: the standard
// base64 of HMAC-SHA256, keyed by the app's client secret, over method +
// uri + body + timestamp, where uri is the full URL HubSpot called
// ("https://host/path?query") with %3A, %2F, %3F, %40, %21, %24, %27, %28,
// %29, %2A, %2C and %3B decoded.
func SignatureV3(clientSecret, method, uri string, body []byte, timestamp string) string {
	mac := hmac.New(sha256.New, []byte(clientSecret))
	mac.Write([]byte(method))
	mac.Write([]byte(signatureURIDecoder.Replace(uri)))
	mac.Write(body)
	mac.Write([]byte(timestamp))
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

// legacySignature computes the X-HubSpot-Signature of version v1 (hex
// SHA-256 of client secret + body) or v2 (hex SHA-256 of client secret +
// method + uri + body); ok is false for another version.
func legacySignature(version, clientSecret, method, uri string, body []byte) (sig string, ok bool) {
	h := sha256.New()
	h.Write([]byte(clientSecret))
	switch strings.ToLower(version) {
	case "v1", "":
	case "v2":
		h.Write([]byte(method))
		h.Write([]byte(uri))
	default:
		return "", false
	}
	h.Write(body)
	return hex.EncodeToString(h.Sum(nil)), true
}

// WebhookVerifyOptions configures [VerifyWebhook].
type WebhookVerifyOptions struct {
	// ClientSecret is the app's client secret (required).
	ClientSecret string
	// Now returns the current time (time.Now when nil).
	Now func() time.Time
	// URL returns the public URL HubSpot called and signed. When nil it is
	// [WebhookURL], or its forwarded form with TrustForwardedHeaders.
	URL func(r *http.Request) string
	// TrustForwardedHeaders builds the signed URL from X-Forwarded-Proto and
	// X-Forwarded-Host (the first value of each, when well-formed; https
	// and r.Host otherwise). Set it only when every
	// request reaches you through a proxy that sets or strips these
	// headers: anyone can send them, so they are never trusted by default.
	TrustForwardedHeaders bool
	// AllowLegacySignatures accepts the v1/v2 X-HubSpot-Signature when no
	// v3 signature is present. HubSpot still sends v1 with CRM-object
	// webhook subscriptions (next to v3) and v2 with workflow webhook
	// actions and CRM card fetches. Legacy signatures carry no timestamp,
	// so replays cannot be detected; leave it off unless you need it.
	AllowLegacySignatures bool
}

// String describes the options without the client secret, so %v and %+v
// never print it.
func (o WebhookVerifyOptions) String() string {
	return fmt.Sprintf("hubspot.WebhookVerifyOptions{ClientSecret: REDACTED, TrustForwardedHeaders: %t, AllowLegacySignatures: %t}",
		o.TrustForwardedHeaders, o.AllowLegacySignatures)
}

// GoString is String for %#v.
func (o WebhookVerifyOptions) GoString() string { return o.String() }

// VerifyWebhook verifies a webhook request from HubSpot against body, the
// raw bytes read from r.Body: the X-HubSpot-Signature-v3 over the URL
// HubSpot called, and its X-HubSpot-Request-Timestamp (epoch milliseconds),
// which must be within [MaxWebhookAge] of now ([ErrStaleTimestamp]
// otherwise). A wrong signature is [ErrInvalidSignature]; the comparison
// takes constant time. A request without the timestamp or the signature
// header is a [*MissingHeaderError] naming it.
func VerifyWebhook(r *http.Request, body []byte, opts WebhookVerifyOptions) error {
	if opts.ClientSecret == "" {
		return errors.New("hubspot: empty client secret")
	}
	now := time.Now()
	if opts.Now != nil {
		now = opts.Now()
	}
	urlOf := opts.URL
	switch {
	case urlOf != nil:
	case opts.TrustForwardedHeaders:
		urlOf = forwardedWebhookURL
	default:
		urlOf = WebhookURL
	}
	uri := urlOf(r)
	sig := r.Header.Get(HeaderSignatureV3)
	if sig == "" && opts.AllowLegacySignatures {
		return verifyLegacy(r, uri, body, opts.ClientSecret)
	}
	timestamp := r.Header.Get(HeaderRequestTimestamp)
	if strings.TrimSpace(timestamp) == "" {
		return &MissingHeaderError{Header: HeaderRequestTimestamp}
	}
	ms, err := strconv.ParseInt(strings.TrimSpace(timestamp), 10, 64)
	if err != nil {
		return fmt.Errorf("%w: malformed timestamp", ErrStaleTimestamp)
	}
	if d := now.Sub(time.UnixMilli(ms)); d > MaxWebhookAge || d < -MaxWebhookAge {
		return fmt.Errorf("%w: timestamp is %v from now", ErrStaleTimestamp, d.Round(time.Second))
	}
	if sig == "" {
		return &MissingHeaderError{Header: HeaderSignatureV3}
	}
	want := SignatureV3(opts.ClientSecret, r.Method, uri, body, timestamp)
	if !hmac.Equal([]byte(want), []byte(sig)) {
		return ErrInvalidSignature
	}
	return nil
}

// WebhookURL returns the URL HubSpot called to deliver r, as the v3
// signature covers it: https (HubSpot only calls https targets, so a plain
// http request arrived through a TLS-terminating proxy), r.Host and the
// request URI. It ignores X-Forwarded-* headers; see
// [WebhookVerifyOptions].TrustForwardedHeaders for a trusted proxy, or give
// your own function as URL when a proxy rewrites the path.
func WebhookURL(r *http.Request) string {
	return "https://" + r.Host + r.URL.RequestURI()
}

// forwardedWebhookURL is [WebhookURL] behind a trusted proxy: the scheme
// and host come from the first X-Forwarded-Proto and X-Forwarded-Host
// values when present and well-formed, else from WebhookURL's rules.
func forwardedWebhookURL(r *http.Request) string {
	scheme, host := "https", r.Host
	if p := firstForwarded(r.Header.Get("X-Forwarded-Proto")); p == "http" || p == "https" {
		scheme = p
	}
	if h := firstForwarded(r.Header.Get("X-Forwarded-Host")); h != "" && !strings.ContainsAny(h, "/?#@ \\") {
		host = h
	}
	return scheme + "://" + host + r.URL.RequestURI()
}

// firstForwarded returns the first of a comma-separated header value, the
// one the proxy nearest the client set.
func firstForwarded(v string) string {
	v, _, _ = strings.Cut(v, ",")
	return strings.ToLower(strings.TrimSpace(v))
}

// verifyLegacy checks a v1 or v2 X-HubSpot-Signature.
func verifyLegacy(r *http.Request, uri string, body []byte, clientSecret string) error {
	sig := r.Header.Get(HeaderSignature)
	if sig == "" {
		return &MissingHeaderError{Header: HeaderSignature}
	}
	want, ok := legacySignature(r.Header.Get(HeaderSignatureVersion), clientSecret, r.Method, uri, body)
	if !ok {
		return fmt.Errorf("%w: unsupported signature version", ErrInvalidSignature)
	}
	if !hmac.Equal([]byte(want), []byte(strings.ToLower(sig))) {
		return ErrInvalidSignature
	}
	return nil
}

// ParseWebhookEvents decodes a webhook body: a JSON array of events.
// Numeric IDs are accepted as JSON numbers or numeric strings.
func ParseWebhookEvents(body []byte) ([]WebhookEvent, error) {
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) == 0 || trimmed[0] != '[' {
		return nil, errors.New("hubspot: webhook body is not a json array")
	}
	var events []WebhookEvent
	if err := json.Unmarshal(trimmed, &events); err != nil {
		return nil, fmt.Errorf("hubspot: decode webhook events: %w", err)
	}
	return events, nil
}

// flexInt decodes a JSON number or numeric string into an int64.
type flexInt int64

func (f *flexInt) UnmarshalJSON(data []byte) error {
	s := string(bytes.TrimSpace(data))
	if s == "null" {
		return nil
	}
	if unq, err := strconv.Unquote(s); err == nil {
		s = strings.TrimSpace(unq)
		if s == "" {
			*f = 0
			return nil
		}
	}
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		*f = flexInt(n)
		return nil
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || v != math.Trunc(v) || math.Abs(v) > 1<<53 {
		return fmt.Errorf("hubspot: %q is not an integer", s)
	}
	*f = flexInt(v)
	return nil
}

type webhookEventAlias WebhookEvent

type webhookEventWire struct {
	webhookEventAlias
	EventID         flexInt         `json:"eventId"`
	SubscriptionID  flexInt         `json:"subscriptionId"`
	PortalID        flexInt         `json:"portalId"`
	AppID           flexInt         `json:"appId"`
	OccurredAt      flexInt         `json:"occurredAt"`
	AttemptNumber   flexInt         `json:"attemptNumber"`
	ObjectID        flexInt         `json:"objectId"`
	PrimaryObjectID flexInt         `json:"primaryObjectId"`
	MergedObjectIDs []flexInt       `json:"mergedObjectIds"`
	NewObjectID     flexInt         `json:"newObjectId"`
	FromObjectID    flexInt         `json:"fromObjectId"`
	ToObjectID      flexInt         `json:"toObjectId"`
	ObjectTypeID    json.RawMessage `json:"objectTypeId"`
}

// UnmarshalJSON decodes an event, converting occurredAt from epoch
// milliseconds and accepting IDs as numbers or numeric strings.
func (e *WebhookEvent) UnmarshalJSON(data []byte) error {
	var w webhookEventWire
	if err := json.Unmarshal(data, &w); err != nil {
		return err
	}
	*e = WebhookEvent(w.webhookEventAlias)
	e.EventID, e.SubscriptionID, e.PortalID, e.AppID = int64(w.EventID), int64(w.SubscriptionID), int64(w.PortalID), int64(w.AppID)
	e.AttemptNumber = int(w.AttemptNumber)
	e.ObjectID, e.PrimaryObjectID, e.NewObjectID = int64(w.ObjectID), int64(w.PrimaryObjectID), int64(w.NewObjectID)
	e.FromObjectID, e.ToObjectID = int64(w.FromObjectID), int64(w.ToObjectID)
	e.MergedObjectIDs = nil
	for _, id := range w.MergedObjectIDs {
		e.MergedObjectIDs = append(e.MergedObjectIDs, int64(id))
	}
	e.OccurredAt = time.Time{}
	if w.OccurredAt != 0 {
		e.OccurredAt = time.UnixMilli(int64(w.OccurredAt)).UTC()
	}
	e.ObjectTypeID = ""
	if len(w.ObjectTypeID) > 0 && string(w.ObjectTypeID) != "null" {
		var s string
		if json.Unmarshal(w.ObjectTypeID, &s) != nil {
			s = string(w.ObjectTypeID) // a bare number
		}
		e.ObjectTypeID = s
	}
	return nil
}

// MarshalJSON encodes an event in HubSpot's wire form (occurredAt in epoch
// milliseconds).
func (e WebhookEvent) MarshalJSON() ([]byte, error) {
	var ms int64
	if !e.OccurredAt.IsZero() {
		ms = e.OccurredAt.UnixMilli()
	}
	return json.Marshal(struct {
		webhookEventAlias
		OccurredAt int64 `json:"occurredAt"`
	}{webhookEventAlias(e), ms})
}

// WebhookHandler is an http.Handler that receives HubSpot webhook
// deliveries: it caps the body, verifies the v3 signature and timestamp,
// parses the events and passes them to Handle, answering 204 when Handle
// returns nil. HubSpot waits at most 5 s for an answer and retries on any
// failure, so Handle should only enqueue the events; a Handle error answers
// 500, which makes HubSpot deliver them again.
//
// Responses: 405 for non-POST, 413 for a body over MaxBodyBytes, 401 for a
// missing header, a bad signature or a stale timestamp, 400 for a body that
// is not an event array.
type WebhookHandler struct {
	// ClientSecret is the app's client secret (required).
	ClientSecret string
	// Handle receives the events of each verified delivery (required).
	Handle func(ctx context.Context, events []WebhookEvent) error
	// MaxBodyBytes caps the body (DefaultMaxWebhookBody when 0).
	MaxBodyBytes int64
	// Now returns the current time (time.Now when nil).
	Now func() time.Time
	// URL returns the URL HubSpot signed (WebhookURL when nil).
	URL func(r *http.Request) string
	// TrustForwardedHeaders reads the signed URL's scheme and host from
	// X-Forwarded-Proto/Host; see [WebhookVerifyOptions].
	TrustForwardedHeaders bool
	// AllowLegacySignatures accepts the v1/v2 X-HubSpot-Signature when no
	// v3 signature is present; see [WebhookVerifyOptions].
	AllowLegacySignatures bool
	// Logger receives one line per rejected request (discarded when nil).
	Logger *slog.Logger
}

// String describes the handler without its client secret, so %v and %+v
// of a WebhookHandler never print it.
func (h WebhookHandler) String() string {
	return fmt.Sprintf("hubspot.WebhookHandler{ClientSecret: REDACTED, MaxBodyBytes: %d, TrustForwardedHeaders: %t, AllowLegacySignatures: %t}",
		h.MaxBodyBytes, h.TrustForwardedHeaders, h.AllowLegacySignatures)
}

// GoString is String for %#v.
func (h WebhookHandler) GoString() string { return h.String() }

// ServeHTTP implements http.Handler.
func (h *WebhookHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	log := h.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	ctx := r.Context()
	if h.ClientSecret == "" || h.Handle == nil {
		log.ErrorContext(ctx, "hubspot webhook handler misconfigured")
		http.Error(w, "webhook handler misconfigured", http.StatusInternalServerError)
		return
	}
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	limit := h.MaxBodyBytes
	if limit <= 0 {
		limit = DefaultMaxWebhookBody
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			http.Error(w, "body too large", http.StatusRequestEntityTooLarge)
			return
		}
		http.Error(w, "cannot read body", http.StatusBadRequest)
		return
	}
	err = VerifyWebhook(r, body, WebhookVerifyOptions{
		ClientSecret:          h.ClientSecret,
		Now:                   h.Now,
		URL:                   h.URL,
		TrustForwardedHeaders: h.TrustForwardedHeaders,
		AllowLegacySignatures: h.AllowLegacySignatures,
	})
	if err != nil {
		log.WarnContext(ctx, "rejected hubspot webhook", "error", err)
		msg := "invalid signature"
		if mh := (*MissingHeaderError)(nil); errors.As(err, &mh) {
			msg = "missing " + mh.Header + " header"
		}
		http.Error(w, msg, http.StatusUnauthorized)
		return
	}
	events, err := ParseWebhookEvents(body)
	if err != nil {
		log.WarnContext(ctx, "unparsable hubspot webhook", "error", err)
		http.Error(w, "invalid events", http.StatusBadRequest)
		return
	}
	if err := h.Handle(ctx, events); err != nil {
		log.ErrorContext(ctx, "hubspot webhook events not handled", "error", err, "events", len(events))
		http.Error(w, "events not handled", http.StatusInternalServerError)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
