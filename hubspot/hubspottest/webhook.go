package hubspottest

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Webhook headers (hubspot-api.md §8.4).
const (
	HeaderSignatureV3      = "X-HubSpot-Signature-v3"
	HeaderRequestTimestamp = "X-HubSpot-Request-Timestamp"
	HeaderSignatureV1      = "X-HubSpot-Signature"
	HeaderSignatureVersion = "X-HubSpot-Signature-Version"
)

// Contact webhook subscription types.
const (
	EventContactCreation       = "contact.creation"
	EventContactPropertyChange = "contact.propertyChange"
	EventContactDeletion       = "contact.deletion"
	EventContactMerge          = "contact.merge"
)

// Change sources reported in events.
const (
	ChangeSourceIntegration = "INTEGRATION" // writes through the fake's API
	ChangeSourceCRMUI       = "CRM_UI"      // helper edits ([Fake.CreateContact] etc.)
)

// WebhookEvent is one element of a webhook delivery (hubspot-api.md §8.3).
// Object ids are JSON numbers here, unlike the REST API's strings.
type WebhookEvent struct {
	EventID                 int64   `json:"eventId"`
	SubscriptionID          int64   `json:"subscriptionId"`
	PortalID                int64   `json:"portalId"`
	AppID                   int64   `json:"appId"`
	OccurredAt              int64   `json:"occurredAt"`
	SubscriptionType        string  `json:"subscriptionType"`
	AttemptNumber           int     `json:"attemptNumber"`
	ObjectID                int64   `json:"objectId"`
	PropertyName            string  `json:"propertyName,omitempty"`
	PropertyValue           *string `json:"propertyValue,omitempty"`
	ChangeFlag              string  `json:"changeFlag,omitempty"`
	ChangeSource            string  `json:"changeSource,omitempty"`
	SourceID                string  `json:"sourceId,omitempty"`
	PrimaryObjectID         int64   `json:"primaryObjectId,omitempty"`
	MergedObjectIDs         []int64 `json:"mergedObjectIds,omitempty"`
	NewObjectID             int64   `json:"newObjectId,omitempty"`
	NumberOfPropertiesMoved *int    `json:"numberOfPropertiesMoved,omitempty"`
}

// SignatureV3 returns the X-HubSpot-Signature-v3 value: standard base64 of
// HMAC-SHA256 keyed with the app's client secret over method + uri + body +
// timestamp (timestamp in milliseconds, as sent in
// X-HubSpot-Request-Timestamp). uri is used as given; [WebhookEmitter] passes
// its target URL with the escapes HubSpot decodes (%40, %3A, ...) decoded,
// which is what receivers reconstruct.
func SignatureV3(clientSecret, method, uri string, body []byte, timestamp string) string {
	m := hmac.New(sha256.New, []byte(clientSecret))
	m.Write([]byte(method))
	m.Write([]byte(uri))
	m.Write(body)
	m.Write([]byte(timestamp))
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

// uriDecoder undoes the escapes HubSpot decodes in the URI it signs
// (hubspot-api.md §8.4).
var uriDecoder = strings.NewReplacer(
	"%3A", ":", "%2F", "/", "%3F", "?", "%40", "@", "%21", "!", "%24", "$", "%27", "'",
	"%28", "(", "%29", ")", "%2A", "*", "%2C", ",", "%3B", ";",
	"%3a", ":", "%2f", "/", "%3f", "?", "%2a", "*", "%2c", ",", "%3b", ";",
)

// signedURI is the form of a target URL that goes into the v3 signature.
func signedURI(u string) string { return uriDecoder.Replace(u) }

// signatureV1 returns the legacy v1 signature: hex SHA-256 of secret + body.
func signatureV1(clientSecret string, body []byte) string {
	h := sha256.New()
	h.Write([]byte(clientSecret))
	h.Write(body)
	return hex.EncodeToString(h.Sum(nil))
}

// WebhookEmitter builds contact events and delivers them, signed, to a
// target URL as HubSpot does. Its fields may be set before first use.
type WebhookEmitter struct {
	TargetURL      string
	ClientSecret   string
	AppID          int64
	PortalID       int64
	SubscriptionID int64
	// Client sends deliveries (default: a client with a 5 s timeout, the
	// time HubSpot waits for an answer).
	Client *http.Client
	// Clock stamps occurredAt and the request timestamp (default time.Now).
	Clock func() time.Time

	lastEventID atomic.Int64
}

// NewWebhookEmitter returns an emitter for an app's target URL and client
// secret. PortalID and SubscriptionID default to 1.
func NewWebhookEmitter(targetURL, clientSecret string, appID int64) *WebhookEmitter {
	return &WebhookEmitter{TargetURL: targetURL, ClientSecret: clientSecret, AppID: appID, PortalID: 1, SubscriptionID: 1}
}

func (e *WebhookEmitter) now() time.Time {
	if e.Clock != nil {
		return e.Clock()
	}
	return time.Now()
}

func (e *WebhookEmitter) event(typ string, objectID int64) WebhookEvent {
	return WebhookEvent{
		EventID: e.lastEventID.Add(1), SubscriptionID: e.SubscriptionID, PortalID: e.PortalID, AppID: e.AppID,
		OccurredAt: e.now().UnixMilli(), SubscriptionType: typ, ObjectID: objectID, ChangeSource: ChangeSourceCRMUI, SourceID: "userId:1",
	}
}

// ContactCreation builds a contact.creation event.
func (e *WebhookEmitter) ContactCreation(objectID int64) WebhookEvent {
	ev := e.event(EventContactCreation, objectID)
	ev.ChangeFlag = "NEW"
	return ev
}

// ContactPropertyChange builds a contact.propertyChange event carrying the
// property's new value.
func (e *WebhookEmitter) ContactPropertyChange(objectID int64, name, value string) WebhookEvent {
	ev := e.event(EventContactPropertyChange, objectID)
	ev.PropertyName, ev.PropertyValue = name, &value
	return ev
}

// ContactDeletion builds a contact.deletion event.
func (e *WebhookEmitter) ContactDeletion(objectID int64) WebhookEvent {
	return e.event(EventContactDeletion, objectID)
}

// ContactMerge builds a contact.merge event: mergedIDs were merged into
// primaryID, which survives as the new object.
func (e *WebhookEmitter) ContactMerge(primaryID int64, mergedIDs []int64, propertiesMoved int) WebhookEvent {
	ev := e.event(EventContactMerge, primaryID)
	ev.PrimaryObjectID, ev.MergedObjectIDs, ev.NewObjectID = primaryID, slices.Clone(mergedIDs), primaryID
	ev.NumberOfPropertiesMoved = &propertiesMoved
	return ev
}

// Send POSTs events as one JSON array to TargetURL with the v3 signature
// headers (and the legacy v1 ones). Any non-2xx answer is an error.
func (e *WebhookEmitter) Send(ctx context.Context, events []WebhookEvent) error {
	body, err := json.Marshal(events)
	if err != nil {
		return fmt.Errorf("hubspottest: encode webhook events: %w", err)
	}
	ts := strconv.FormatInt(e.now().UnixMilli(), 10)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, e.TargetURL, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("hubspottest: webhook request: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(HeaderRequestTimestamp, ts)
	req.Header.Set(HeaderSignatureV3, SignatureV3(e.ClientSecret, http.MethodPost, signedURI(e.TargetURL), body, ts))
	req.Header.Set(HeaderSignatureV1, signatureV1(e.ClientSecret, body))
	req.Header.Set(HeaderSignatureVersion, "v1")
	client := e.Client
	if client == nil {
		client = &http.Client{Timeout: 5 * time.Second}
	}
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("hubspottest: deliver webhook: %w", err)
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
	_ = resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("hubspottest: deliver webhook: status %d", resp.StatusCode)
	}
	return nil
}

// WebhookConfig configures automatic webhook delivery ([WithWebhooks]).
type WebhookConfig struct {
	TargetURL      string
	ClientSecret   string
	AppID          int64
	PortalID       int64 // default 1
	SubscriptionID int64 // default 1
	// Client sends deliveries (default: 5 s timeout).
	Client *http.Client
	// Properties limits propertyChange events to these properties; nil
	// means every changed property.
	Properties []string
	// MaxBatch is the number of events per delivery (default and maximum 100).
	MaxBatch int
	// FlushInterval is how long events are collected before a delivery
	// (default 20 ms).
	FlushInterval time.Duration
	// MaxAttempts bounds deliveries of one batch (default 5; HubSpot makes
	// up to 10 over a day).
	MaxAttempts int
	// RetryDelay is the first retry's delay, doubled per attempt (default 50 ms).
	RetryDelay time.Duration
	// Redeliver sends every successfully delivered batch once more, to
	// exercise receivers' de-duplication.
	Redeliver bool
}

// WithWebhooks makes the fake emit contact events for changes made through
// its API (changeSource INTEGRATION, sourceId the app id) and its helpers
// (changeSource CRM_UI). Delivery is asynchronous, batched and
// at-least-once: a failed delivery (network error or non-2xx) is retried
// with attemptNumber incremented, up to MaxAttempts, and a batch may arrive
// more than once. Call [Fake.FlushWebhooks] to wait for delivery and
// [Fake.Close] (or [Server.Close]) to stop it.
func WithWebhooks(cfg WebhookConfig) Option {
	return func(f *Fake) { f.webhooks = &cfg }
}

// webhookQueue delivers events in the background.
type webhookQueue struct {
	f        *Fake
	cfg      WebhookConfig
	em       *WebhookEmitter
	props    map[string]bool
	ctx      context.Context
	cancel   context.CancelFunc
	wake     chan struct{}
	done     chan struct{}
	mu       sync.Mutex
	events   []WebhookEvent
	inflight int
}

func newWebhookQueue(f *Fake, cfg WebhookConfig) *webhookQueue {
	if cfg.MaxBatch <= 0 || cfg.MaxBatch > 100 {
		cfg.MaxBatch = 100
	}
	if cfg.FlushInterval <= 0 {
		cfg.FlushInterval = 20 * time.Millisecond
	}
	if cfg.MaxAttempts <= 0 {
		cfg.MaxAttempts = 5
	}
	if cfg.RetryDelay <= 0 {
		cfg.RetryDelay = 50 * time.Millisecond
	}
	em := NewWebhookEmitter(cfg.TargetURL, cfg.ClientSecret, cfg.AppID)
	if cfg.PortalID != 0 {
		em.PortalID = cfg.PortalID
	}
	if cfg.SubscriptionID != 0 {
		em.SubscriptionID = cfg.SubscriptionID
	}
	em.Client = cfg.Client
	em.Clock = f.clock
	q := &webhookQueue{f: f, cfg: cfg, em: em, wake: make(chan struct{}, 1), done: make(chan struct{})}
	if cfg.Properties != nil {
		q.props = map[string]bool{}
		for _, p := range cfg.Properties {
			q.props[p] = true
		}
	}
	q.ctx, q.cancel = context.WithCancel(context.Background())
	go q.run()
	return q
}

func (q *webhookQueue) close() {
	q.cancel()
	<-q.done
}

func (q *webhookQueue) push(evs ...WebhookEvent) {
	if len(evs) == 0 {
		return
	}
	q.mu.Lock()
	q.events = append(q.events, evs...)
	q.mu.Unlock()
	select {
	case q.wake <- struct{}{}:
	default:
	}
}

func (q *webhookQueue) run() {
	defer close(q.done)
	for {
		select {
		case <-q.ctx.Done():
			return
		case <-q.wake:
		}
		select {
		case <-q.ctx.Done():
			return
		case <-time.After(q.cfg.FlushInterval):
		}
		for {
			q.mu.Lock()
			n := min(len(q.events), q.cfg.MaxBatch)
			batch := slices.Clone(q.events[:n])
			q.events = q.events[n:]
			q.inflight += n
			q.mu.Unlock()
			if n == 0 {
				break
			}
			q.deliver(batch)
			q.mu.Lock()
			q.inflight -= n
			q.mu.Unlock()
		}
	}
}

func (q *webhookQueue) deliver(batch []WebhookEvent) {
	delay := q.cfg.RetryDelay
	for attempt := range q.cfg.MaxAttempts {
		for i := range batch {
			batch[i].AttemptNumber = attempt
		}
		err := q.em.Send(q.ctx, batch)
		if err == nil {
			if q.cfg.Redeliver {
				_ = q.em.Send(q.ctx, batch)
			}
			return
		}
		q.f.logger.Warn("hubspottest: webhook delivery failed", "attempt", attempt, "events", len(batch), "error", err)
		select {
		case <-q.ctx.Done():
			return
		case <-time.After(delay):
		}
		delay *= 2
	}
	q.f.logger.Error("hubspottest: webhook batch dropped after max attempts", "events", len(batch))
}

// FlushWebhooks waits until every event emitted so far has been delivered
// (or dropped after MaxAttempts), or ctx ends. It returns nil at once when
// webhooks are off.
func (f *Fake) FlushWebhooks(ctx context.Context) error {
	if f.hooks == nil {
		return nil
	}
	t := time.NewTicker(2 * time.Millisecond)
	defer t.Stop()
	for {
		f.hooks.mu.Lock()
		idle := len(f.hooks.events) == 0 && f.hooks.inflight == 0
		f.hooks.mu.Unlock()
		if idle {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("hubspottest: flush webhooks: %w", ctx.Err())
		case <-t.C:
		}
	}
}

func (q *webhookQueue) source(ev *WebhookEvent, src changeSource) {
	if src == sourceAPI {
		ev.ChangeSource, ev.SourceID = ChangeSourceIntegration, strconv.FormatInt(q.cfg.AppID, 10)
	} else {
		ev.ChangeSource, ev.SourceID = ChangeSourceCRMUI, "userId:1"
	}
}

func (q *webhookQueue) changeEvents(c *contact, changes []propChange, src changeSource) []WebhookEvent {
	var evs []WebhookEvent
	for _, ch := range changes {
		if def := q.f.props[ch.name]; def == nil || def.readOnly() {
			continue
		}
		if q.props != nil && !q.props[ch.name] {
			continue
		}
		ev := q.em.ContactPropertyChange(c.id, ch.name, ch.value)
		q.source(&ev, src)
		evs = append(evs, ev)
	}
	return evs
}

// The emit methods are called with f.mu held.

func (f *Fake) emitCreate(c *contact, changes []propChange, src changeSource) {
	if f.hooks == nil {
		return
	}
	ev := f.hooks.em.ContactCreation(c.id)
	f.hooks.source(&ev, src)
	f.hooks.push(append([]WebhookEvent{ev}, f.hooks.changeEvents(c, changes, src)...)...)
}

func (f *Fake) emitChanges(c *contact, changes []propChange, src changeSource) {
	if f.hooks == nil {
		return
	}
	f.hooks.push(f.hooks.changeEvents(c, changes, src)...)
}

func (f *Fake) emitDeletion(c *contact, src changeSource) {
	if f.hooks == nil {
		return
	}
	ev := f.hooks.em.ContactDeletion(c.id)
	f.hooks.source(&ev, src)
	f.hooks.push(ev)
}

func (f *Fake) emitMerge(primary, secondary *contact, moved int, changes []propChange, src changeSource) {
	if f.hooks == nil {
		return
	}
	ev := f.hooks.em.ContactMerge(primary.id, []int64{secondary.id}, moved)
	f.hooks.source(&ev, src)
	f.hooks.push(append([]WebhookEvent{ev}, f.hooks.changeEvents(primary, changes, src)...)...)
}
