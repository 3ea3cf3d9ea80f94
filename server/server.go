package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/cardbridge/sansanhubspot/hubspot"
	"github.com/cardbridge/sansanhubspot/syncer"
)

// DefaultAddr is the address a sync service listens on unless told
// otherwise: the loopback interface only. The page and /metrics have no
// authentication; see the package documentation before exposing them.
const DefaultAddr = "127.0.0.1:8080"

// Limits bound what HTTP clients can hold of a [Server]: time, memory and
// concurrency. A zero field takes its value from [DefaultLimits].
type Limits struct {
	// ReadHeaderTimeout bounds reading a request's headers.
	ReadHeaderTimeout time.Duration
	// ReadTimeout bounds reading a whole request, body included.
	ReadTimeout time.Duration
	// WriteTimeout bounds writing a response, from the end of the
	// request's headers.
	WriteTimeout time.Duration
	// IdleTimeout bounds how long a kept-alive connection waits for its
	// next request.
	IdleTimeout time.Duration
	// MaxHeaderBytes caps a request's headers.
	MaxHeaderBytes int
	// WebhookBodyTimeout bounds reading one webhook delivery's body, from
	// the moment it is admitted. HubSpot waits 5 s for an answer, so a
	// real delivery never needs more.
	WebhookBodyTimeout time.Duration
	// MaxWebhookBody caps a webhook body; a larger declared Content-Length
	// is refused (413) before anything is read.
	MaxWebhookBody int64
	// SmallWebhookBody, MaxWebhooks and MaxLargeWebhooks bound the webhook
	// requests being read and handled at once: at most MaxWebhooks whose
	// declared body is at most SmallWebhookBody (HubSpot's 100 events take
	// tens of kilobytes) and MaxLargeWebhooks with a larger or undeclared
	// body. A request beyond them is answered 503 at once, and HubSpot
	// delivers it again later. Slow uploads of large bodies therefore
	// cannot keep real deliveries out, and memory held by bodies stays
	// below MaxWebhooks×SmallWebhookBody + MaxLargeWebhooks×MaxWebhookBody.
	SmallWebhookBody int64
	MaxWebhooks      int
	MaxLargeWebhooks int
	// ShutdownTimeout bounds how long requests in flight may take to
	// finish once the server is told to stop.
	ShutdownTimeout time.Duration
}

// DefaultLimits are the limits of a Server whose Options leave them zero.
var DefaultLimits = Limits{
	ReadHeaderTimeout:  5 * time.Second,
	ReadTimeout:        15 * time.Second,
	WriteTimeout:       30 * time.Second,
	IdleTimeout:        60 * time.Second,
	MaxHeaderBytes:     64 << 10,
	WebhookBodyTimeout: 5 * time.Second,
	MaxWebhookBody:     hubspot.DefaultMaxWebhookBody,
	SmallWebhookBody:   64 << 10,
	MaxWebhooks:        16,
	MaxLargeWebhooks:   2,
	ShutdownTimeout:    10 * time.Second,
}

// withDefaults fills l's zero fields from DefaultLimits.
func (l Limits) withDefaults() Limits {
	d := DefaultLimits
	pick := func(v *time.Duration, def time.Duration) {
		if *v <= 0 {
			*v = def
		}
	}
	pick(&l.ReadHeaderTimeout, d.ReadHeaderTimeout)
	pick(&l.ReadTimeout, d.ReadTimeout)
	pick(&l.WriteTimeout, d.WriteTimeout)
	pick(&l.IdleTimeout, d.IdleTimeout)
	pick(&l.WebhookBodyTimeout, d.WebhookBodyTimeout)
	pick(&l.ShutdownTimeout, d.ShutdownTimeout)
	if l.MaxHeaderBytes <= 0 {
		l.MaxHeaderBytes = d.MaxHeaderBytes
	}
	if l.MaxWebhookBody <= 0 {
		l.MaxWebhookBody = d.MaxWebhookBody
	}
	if l.SmallWebhookBody <= 0 {
		l.SmallWebhookBody = d.SmallWebhookBody
	}
	l.SmallWebhookBody = min(l.SmallWebhookBody, l.MaxWebhookBody)
	if l.MaxWebhooks <= 0 {
		l.MaxWebhooks = d.MaxWebhooks
	}
	if l.MaxLargeWebhooks <= 0 {
		l.MaxLargeWebhooks = d.MaxLargeWebhooks
	}
	return l
}

// LinkSource lists and counts the store's links for the page, /healthz and
// /metrics. *syncer.Engine implements it.
type LinkSource interface {
	// LinkCounts counts the links by account, state and reason.
	LinkCounts(ctx context.Context) ([]syncer.LinkCount, error)
	// Links lists the links q selects, ordered by person id.
	Links(ctx context.Context, q syncer.LinkQuery) ([]*syncer.Link, error)
}

// Options configures a [Server]. Engine and Monitor are required.
type Options struct {
	// Engine syncs; Serve runs its Run loop, webhooks go to its Notify.
	Engine *syncer.Engine
	// Monitor collects the engine's pass reports: it must be the Monitor
	// whose OnPass the engine's Config.OnPass calls.
	Monitor *Monitor
	// Links, when set, gives the page, /healthz and /metrics the links by
	// state and the failing records.
	Links LinkSource
	// Logger receives the server's logs (discarded when nil).
	Logger *slog.Logger

	// Direction, Interval, DryRun and Store describe the engine on the
	// page and in /healthz; Store is a description such as a path.
	Direction syncer.Direction
	Interval  time.Duration
	DryRun    bool
	Store     string

	// WebhookSecret is the HubSpot app's client secret; when set, POST
	// /webhooks/hubspot accepts signed deliveries.
	WebhookSecret string
	// WebhookURL is the exact target URL configured in HubSpot, for when a
	// proxy changes the host or path HubSpot signed; empty uses
	// hubspot.WebhookURL (https, the request's host and path).
	WebhookURL string

	// Limits bound time, memory and concurrency; zero fields take
	// DefaultLimits.
	Limits Limits
}

// Server serves a sync engine's health page, /healthz, /metrics and the
// HubSpot webhook endpoint, and runs the engine; see the package
// documentation.
type Server struct {
	o        Options
	lim      Limits
	log      *slog.Logger
	started  time.Time
	stopping atomic.Bool
	webhooks *webhookGate
	handler  http.Handler
}

// New returns a Server for o's engine.
func New(o Options) (*Server, error) {
	if o.Engine == nil || o.Monitor == nil {
		return nil, errors.New("server: Options.Engine and Options.Monitor are required")
	}
	s := &Server{o: o, lim: o.Limits.withDefaults(), log: o.Logger, started: time.Now()}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	s.webhooks = newWebhookGate(s.lim)
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", s.handlePage)
	mux.HandleFunc("GET /healthz", s.handleHealthz)
	mux.HandleFunc("GET /metrics", s.handleMetrics)
	if o.WebhookSecret != "" {
		mux.Handle("POST /webhooks/hubspot", s.webhookHandler())
	}
	s.handler = mux
	return s, nil
}

// Handler returns the server's routes, for mounting on a server of your
// own; such a server should set limits like those of HTTPServer.
func (s *Server) Handler() http.Handler { return s.handler }

// HTTPServer returns an http.Server with Handler and the timeouts and
// header cap of the server's Limits, for callers that serve it
// themselves (with TLS, say) and call Run for the engine.
func (s *Server) HTTPServer() *http.Server {
	return &http.Server{
		Handler:           s.handler,
		ReadHeaderTimeout: s.lim.ReadHeaderTimeout,
		ReadTimeout:       s.lim.ReadTimeout,
		WriteTimeout:      s.lim.WriteTimeout,
		IdleTimeout:       s.lim.IdleTimeout,
		MaxHeaderBytes:    s.lim.MaxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelDebug),
	}
}

// Stopping reports whether Serve is shutting down; /healthz then answers
// 503.
func (s *Server) Stopping() bool { return s.stopping.Load() }

// Serve runs the engine's Run loop and serves HTTP on ln until ctx ends or
// the engine stops on an error no retry can fix. Then it shuts both down:
// the server stops taking requests and finishes those in flight (within
// Limits.ShutdownTimeout), the engine's pass ends at a batch boundary. It
// returns nil after a clean stop, and the engine's or the HTTP server's
// error otherwise. ln is closed when Serve returns.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	srv := s.HTTPServer()
	srvErr := make(chan error, 1)
	go func() { srvErr <- srv.Serve(ln) }()
	runErr := make(chan error, 1)
	go func() { runErr <- s.o.Engine.Run(ctx) }()
	s.log.InfoContext(ctx, "service started", "addr", ln.Addr().String(), "direction", s.o.Direction.String(),
		"interval", s.o.Interval, "dry_run", s.o.DryRun, "store", s.o.Store, "webhooks", s.o.WebhookSecret != "")

	var err error
	select {
	case <-ctx.Done():
		s.log.InfoContext(ctx, "shutting down")
	case err = <-runErr:
		runErr <- err // read again below
		if err != nil {
			err = fmt.Errorf("sync engine: %w", err)
		}
	case err = <-srvErr:
		err = fmt.Errorf("http server: %w", err)
	}
	s.stopping.Store(true)
	sctx, scancel := context.WithTimeout(context.WithoutCancel(ctx), s.lim.ShutdownTimeout)
	defer scancel()
	if serr := srv.Shutdown(sctx); serr != nil && err == nil {
		err = fmt.Errorf("http shutdown: %w", serr)
	}
	cancel()
	if rerr := <-runErr; rerr != nil && err == nil {
		err = fmt.Errorf("sync engine: %w", rerr)
	}
	s.log.InfoContext(context.WithoutCancel(ctx), "service stopped")
	return err
}
