package server

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/cardbridge/sansanhubspot/hubspot"
)

// webhookGate bounds the webhook requests being read and handled at once,
// with separate slots for small and for large or undeclared bodies.
type webhookGate struct {
	small, large chan struct{}
	smallMax     int64
}

func newWebhookGate(l Limits) *webhookGate {
	return &webhookGate{
		small:    make(chan struct{}, l.MaxWebhooks),
		large:    make(chan struct{}, l.MaxLargeWebhooks),
		smallMax: l.SmallWebhookBody,
	}
}

// tryAcquire takes a slot for a body of the declared length (-1: unknown)
// without waiting; ok is false when every slot of its kind is taken.
func (g *webhookGate) tryAcquire(contentLength int64) (release func(), ok bool) {
	slots := g.large
	if contentLength >= 0 && contentLength <= g.smallMax {
		slots = g.small
	}
	select {
	case slots <- struct{}{}:
		return func() { <-slots }, true
	default:
		return nil, false
	}
}

// statusRecorder remembers the status a handler answered with.
type statusRecorder struct {
	http.ResponseWriter
	code int
}

func (r *statusRecorder) WriteHeader(code int) {
	if r.code == 0 {
		r.code = code
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *statusRecorder) Write(b []byte) (int, error) {
	if r.code == 0 {
		r.code = http.StatusOK
	}
	return r.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the connection.
func (r *statusRecorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

// webhookHandler is hubspot.WebhookHandler behind the Limits: a declared
// body over MaxWebhookBody is refused before it is read, a request beyond
// the concurrency bounds is answered 503 at once, and an admitted body must
// arrive within WebhookBodyTimeout.
func (s *Server) webhookHandler() http.Handler {
	base := hubspot.WebhookHandler{
		ClientSecret: s.o.WebhookSecret,
		MaxBodyBytes: s.lim.MaxWebhookBody,
		Logger:       s.log,
	}
	if u := s.o.WebhookURL; u != "" {
		base.URL = func(*http.Request) string { return u }
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := &statusRecorder{ResponseWriter: w}
		n := 0
		defer func() { s.o.Monitor.webhookRequest(strconv.Itoa(rec.code), n) }()
		if r.ContentLength > s.lim.MaxWebhookBody {
			w.Header().Set("Connection", "close")
			http.Error(rec, "body too large", http.StatusRequestEntityTooLarge)
			return
		}
		release, ok := s.webhooks.tryAcquire(r.ContentLength)
		if !ok {
			s.log.WarnContext(r.Context(), "webhook refused: too many deliveries in progress", "content_length", r.ContentLength)
			w.Header().Set("Connection", "close")
			w.Header().Set("Retry-After", "5")
			http.Error(rec, "too many webhook deliveries in progress", http.StatusServiceUnavailable)
			return
		}
		defer release()
		if err := http.NewResponseController(w).SetReadDeadline(time.Now().Add(s.lim.WebhookBodyTimeout)); err != nil {
			s.log.DebugContext(r.Context(), "cannot set a webhook body deadline", "error", err)
		}
		h := base // Handle counts this request's events
		h.Handle = func(ctx context.Context, evs []hubspot.WebhookEvent) error {
			n = len(evs)
			return s.o.Engine.Notify(ctx, evs)
		}
		h.ServeHTTP(rec, r)
	})
}
