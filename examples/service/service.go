package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/cardbridge/sansanhubspot/hubspot"
	"github.com/cardbridge/sansanhubspot/sansan"
	"github.com/cardbridge/sansanhubspot/syncer"
	"github.com/cardbridge/sansanhubspot/syncer/filestore"
)

// Exit codes.
const (
	exitOK      = 0
	exitFailure = 1
	exitUsage   = 2
)

// shutdownTimeout bounds how long in-flight HTTP requests may take to finish.
const shutdownTimeout = 10 * time.Second

// run is the whole program: main only adds the process's arguments, streams,
// environment and signal handling, so tests can call run directly.
func run(ctx context.Context, args []string, stdout, stderr io.Writer, env func(string) string) int {
	cfg, err := loadConfig(args, env, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return exitOK
	}
	if err != nil {
		fmt.Fprintf(stderr, "service: %v\n", err)
		return exitUsage
	}
	log := slog.New(slog.NewJSONHandler(stdout, &slog.HandlerOptions{Level: cfg.logLevel}))
	st, err := filestore.Open(cfg.storeDir)
	if err != nil {
		log.Error("cannot open store", "dir", cfg.storeDir, "error", err)
		return exitFailure
	}
	defer st.Close()
	svc, err := newService(ctx, cfg, st, log)
	if err != nil {
		log.Error("cannot start", "error", err)
		return exitFailure
	}
	ln, err := net.Listen("tcp", cfg.addr)
	if err != nil {
		log.Error("cannot listen", "addr", cfg.addr, "error", err)
		return exitFailure
	}
	if err := svc.serve(ctx, ln); err != nil {
		log.Error("service failed", "reason", reason(err), "error", err)
		return exitFailure
	}
	return exitOK
}

// reason says in a few words what an engine error means for the operator.
func reason(err error) string {
	switch {
	case errors.Is(err, sansan.ErrUnauthorized):
		return "Sansan rejected the API key (SANSAN_API_KEY)"
	case errors.Is(err, hubspot.ErrUnauthorized):
		return "HubSpot rejected the access token (HUBSPOT_ACCESS_TOKEN)"
	case errors.Is(err, hubspot.ErrForbidden):
		return "HubSpot refused access: the private app lacks a contacts scope"
	case errors.Is(err, syncer.ErrConfig):
		return "misconfiguration"
	}
	return "unexpected error"
}

// service is the engine with its store, metrics and HTTP endpoints.
type service struct {
	cfg      config
	log      *slog.Logger
	eng      *syncer.Engine
	store    *trackedStore
	metrics  *metrics
	started  time.Time
	stopping atomic.Bool
}

// newService builds the clients and the engine on store.
func newService(ctx context.Context, cfg config, store syncer.Store, log *slog.Logger) (*service, error) {
	var ssOpts []sansan.Option
	if cfg.sansanBaseURL != "" {
		ssOpts = append(ssOpts, sansan.WithBaseURL(cfg.sansanBaseURL))
	}
	ss, err := sansan.NewClient(cfg.sansanKey, append(ssOpts, sansan.WithLogger(log))...)
	if err != nil {
		return nil, fmt.Errorf("sansan client: %w", err)
	}
	var hsOpts []hubspot.Option
	if cfg.hubspotBaseURL != "" {
		hsOpts = append(hsOpts, hubspot.WithBaseURL(cfg.hubspotBaseURL))
	}
	hub, err := hubspot.NewClient(cfg.hubspotToken, append(hsOpts, hubspot.WithLogger(log))...)
	if err != nil {
		return nil, fmt.Errorf("hubspot client: %w", err)
	}
	tracked, err := newTrackedStore(ctx, store)
	if err != nil {
		return nil, fmt.Errorf("read store: %w", err)
	}
	s := &service{cfg: cfg, log: log, store: tracked, metrics: newMetrics(), started: time.Now()}
	s.eng, err = syncer.New(syncer.Config{
		HubSpot:   hub,
		Accounts:  []syncer.Account{{Name: "sansan", Client: ss, TagIDs: cfg.tagIDs}},
		Store:     tracked,
		Direction: cfg.direction,
		Interval:  cfg.interval,
		DryRun:    cfg.dryRun,
		Logger:    log,
		OnPass:    s.metrics.onPass,
	})
	if err != nil {
		return nil, err
	}
	return s, nil
}

// handler returns the service's HTTP routes.
func (s *service) handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", s.handleHealthPage)
	mux.HandleFunc("GET /healthz", s.handleHealthz)
	mux.HandleFunc("GET /metrics", s.handleMetrics)
	if s.cfg.webhookSecret != "" {
		wh := &hubspot.WebhookHandler{
			ClientSecret: s.cfg.webhookSecret,
			Handle: func(ctx context.Context, events []hubspot.WebhookEvent) error {
				s.metrics.webhook(len(events))
				return s.eng.Notify(ctx, events)
			},
			Logger: s.log,
		}
		if u := s.cfg.webhookURL; u != "" {
			wh.URL = func(*http.Request) string { return u }
		}
		mux.Handle("POST /webhooks/hubspot", wh)
	}
	return mux
}

// serve runs the engine and the HTTP server on ln until ctx ends or the
// engine stops on an error no retry can fix, then shuts both down: the
// server stops taking requests and finishes those in flight, the engine's
// pass ends at a batch boundary. It returns the engine's or server's error.
func (s *service) serve(ctx context.Context, ln net.Listener) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	srv := &http.Server{Handler: s.handler(), ReadHeaderTimeout: 10 * time.Second}
	srvErr := make(chan error, 1)
	go func() { srvErr <- srv.Serve(ln) }()
	runErr := make(chan error, 1)
	go func() { runErr <- s.eng.Run(ctx) }()
	s.log.Info("service started", "addr", ln.Addr().String(), "direction", s.cfg.direction.String(),
		"interval", s.cfg.interval, "dry_run", s.cfg.dryRun, "store", s.cfg.storeDir, "webhooks", s.cfg.webhookSecret != "")

	var err error
	select {
	case <-ctx.Done():
		s.log.Info("shutting down")
	case err = <-runErr:
		runErr <- err // read again below
		if err != nil {
			err = fmt.Errorf("sync engine: %w", err)
		}
	case err = <-srvErr:
		err = fmt.Errorf("http server: %w", err)
	}
	s.stopping.Store(true)
	sctx, scancel := context.WithTimeout(context.WithoutCancel(ctx), shutdownTimeout)
	defer scancel()
	if serr := srv.Shutdown(sctx); serr != nil && err == nil {
		err = fmt.Errorf("http shutdown: %w", serr)
	}
	cancel()
	if rerr := <-runErr; rerr != nil && err == nil {
		err = fmt.Errorf("sync engine: %w", rerr)
	}
	s.log.Info("service stopped")
	return err
}

// healthz is the /healthz body.
type healthz struct {
	Status     string    `json:"status"`
	Direction  string    `json:"direction"`
	DryRun     bool      `json:"dry_run"`
	Passes     int64     `json:"passes"`
	LastPassAt time.Time `json:"last_pass_at,omitzero"`
	LastError  string    `json:"last_error,omitempty"`
	LastErrAt  time.Time `json:"last_error_at,omitzero"`
	InSync     int       `json:"in_sync"`
	Excluded   int       `json:"excluded"`
	Failing    int       `json:"failing"`
}

func (s *service) handleHealthz(w http.ResponseWriter, _ *http.Request) {
	snap := s.metrics.snapshot()
	links, _ := s.store.counts(0)
	h := healthz{
		Status: "ok", Direction: s.cfg.direction.String(), DryRun: s.cfg.dryRun,
		Passes: snap.Passes["success"] + snap.Passes["error"], LastPassAt: snap.LastPassAt,
		LastError: snap.LastErr, LastErrAt: snap.LastErrAt,
		InSync: links.InSync, Excluded: links.Excluded, Failing: links.Failing,
	}
	code := http.StatusOK
	if s.stopping.Load() {
		h.Status, code = "stopping", http.StatusServiceUnavailable
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	json.NewEncoder(w).Encode(h) //nolint:errcheck // the client may be gone
}

func (s *service) handleMetrics(w http.ResponseWriter, _ *http.Request) {
	links, _ := s.store.counts(0)
	w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
	s.metrics.writePrometheus(w, links)
}
