package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"

	"github.com/cardbridge/sansanhubspot/fakes"
	"github.com/cardbridge/sansanhubspot/hubspot"
	"github.com/cardbridge/sansanhubspot/internal/reportview"
	"github.com/cardbridge/sansanhubspot/sansan"
	"github.com/cardbridge/sansanhubspot/server"
	"github.com/cardbridge/sansanhubspot/syncer"
	"github.com/cardbridge/sansanhubspot/syncer/filestore"
)

// Exit codes.
const (
	exitOK      = 0
	exitFailure = 1
	exitUsage   = 2
)

// demoWebhookSecret signs webhooks in -demo mode unless
// HUBSPOT_CLIENT_SECRET is set.
const demoWebhookSecret = "demo-client-secret"

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
	log := server.NewLogger(stdout, true, cfg.logLevel)

	var (
		ss    *sansan.Client
		hub   *hubspot.Client
		store syncer.Store
	)
	if cfg.demo {
		fk, err := fakes.Start(fakes.Options{Cards: cfg.demoCards, Seed: 1})
		if err != nil {
			log.Error("cannot start the fakes", "error", err)
			return exitFailure
		}
		defer fk.Close()
		ss, hub, store = fk.SansanClient, fk.HubSpotClient, syncer.NewMemoryStore()
		cfg.storeDir = "memory (demo)"
		if cfg.webhookSecret == "" {
			cfg.webhookSecret = demoWebhookSecret
		}
		log.Info("demo: syncing built-in fakes of Sansan and HubSpot on 127.0.0.1; nothing leaves this machine",
			"cards", len(fk.Cards), "sansan", fk.Sansan.URL, "hubspot", fk.HubSpot.URL)
	} else {
		if ss, hub, err = clients(cfg, log); err != nil {
			log.Error("cannot start", "error", err)
			return exitFailure
		}
		st, err := filestore.Open(cfg.storeDir)
		if err != nil {
			log.Error("cannot open store", "dir", cfg.storeDir, "error", err)
			return exitFailure
		}
		defer st.Close()
		store = st
	}
	ln, err := net.Listen("tcp", cfg.addr)
	if err != nil {
		log.Error("cannot listen", "addr", cfg.addr, "error", err)
		return exitFailure
	}
	if cfg.demo && cfg.webhookURL == "" {
		// Deliveries come over plain http on loopback and are signed so.
		cfg.webhookURL = "http://" + ln.Addr().String() + "/webhooks/hubspot"
		log.Info("demo: health page at http://"+ln.Addr().String()+"/", "webhook_url", cfg.webhookURL, "webhook_secret", cfg.webhookSecret)
	}
	srv, err := newService(cfg, ss, hub, store, log)
	if err != nil {
		ln.Close()
		log.Error("cannot start", "reason", reportview.Reason(err), "error", err)
		return exitFailure
	}
	if err := srv.Serve(ctx, ln); err != nil {
		log.Error("service failed", "reason", reportview.Reason(err), "error", err)
		return exitFailure
	}
	return exitOK
}

// clients builds the Sansan and HubSpot clients from the configuration.
func clients(cfg config, log *slog.Logger) (*sansan.Client, *hubspot.Client, error) {
	ssOpts := []sansan.Option{sansan.WithLogger(log)}
	if cfg.sansanBaseURL != "" {
		ssOpts = append(ssOpts, sansan.WithBaseURL(cfg.sansanBaseURL))
	}
	ss, err := sansan.NewClient(cfg.sansanKey, ssOpts...)
	if err != nil {
		return nil, nil, fmt.Errorf("sansan client: %w", err)
	}
	hsOpts := []hubspot.Option{hubspot.WithLogger(log)}
	if cfg.hubspotBaseURL != "" {
		hsOpts = append(hsOpts, hubspot.WithBaseURL(cfg.hubspotBaseURL))
	}
	hub, err := hubspot.NewClient(cfg.hubspotToken, hsOpts...)
	if err != nil {
		return nil, nil, fmt.Errorf("hubspot client: %w", err)
	}
	return ss, hub, nil
}

// newService builds the engine on store and the HTTP server around it.
func newService(cfg config, ss *sansan.Client, hub *hubspot.Client, store syncer.Store, log *slog.Logger) (*server.Server, error) {
	mon := server.NewMonitor()
	eng, err := syncer.New(syncer.Config{
		HubSpot:   hub,
		Accounts:  []syncer.Account{{Name: "sansan", Client: ss, TagIDs: cfg.tagIDs}},
		Store:     store,
		Direction: cfg.direction,
		Interval:  cfg.interval,
		DryRun:    cfg.dryRun,
		Logger:    log,
		OnPass:    mon.OnPass,
	})
	if err != nil {
		return nil, err
	}
	return server.New(server.Options{
		Engine: eng, Monitor: mon, Links: eng, Logger: log,
		Direction: cfg.direction, Interval: cfg.interval, DryRun: cfg.dryRun, Store: cfg.storeDir,
		WebhookSecret: cfg.webhookSecret, WebhookURL: cfg.webhookURL,
	})
}
