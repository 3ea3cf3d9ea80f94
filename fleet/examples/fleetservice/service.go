package main

import (
	"context"
	"encoding/base64"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/time/rate"

	"github.com/cardbridge/sansanhubspot/fleet"
	"github.com/cardbridge/sansanhubspot/fleet/internal/fakefleet"
	"github.com/cardbridge/sansanhubspot/hubspot"
	"github.com/cardbridge/sansanhubspot/hubspot/hubspottest"
	"github.com/cardbridge/sansanhubspot/sansan"
	"github.com/cardbridge/sansanhubspot/syncer"
)

type config struct {
	addr, dsn, schema, replica string
	workers, demo              int
	migrate                    bool
	keyring, webhookSecret     string
}

func loadConfig(args []string, env func(string) string, stderr io.Writer) (config, error) {
	fs := flag.NewFlagSet("fleetservice", flag.ContinueOnError)
	fs.SetOutput(stderr)
	or := func(k, d string) string {
		if v := env(k); v != "" {
			return v
		}
		return d
	}
	workers, err := strconv.Atoi(or("FLEET_WORKERS", "10"))
	if err != nil {
		return config{}, fmt.Errorf("FLEET_WORKERS: %w", err)
	}
	var c config
	fs.StringVar(&c.addr, "addr", or("FLEET_ADDR", ":8080"), "listen address")
	fs.StringVar(&c.dsn, "dsn", env("DATABASE_URL"), "PostgreSQL URL")
	fs.StringVar(&c.schema, "schema", env("FLEET_SCHEMA"), "schema of River's and the fleet's tables")
	fs.StringVar(&c.replica, "replica", env("FLEET_REPLICA_ID"), "replica id")
	fs.IntVar(&c.workers, "workers", workers, "concurrent passes on this replica")
	fs.BoolVar(&c.migrate, "migrate", true, "run migrations at start")
	fs.IntVar(&c.demo, "demo", 0, "start this many fake tenants in-process and register them (offline demo)")
	if err := fs.Parse(args); err != nil {
		return config{}, err
	}
	c.keyring, c.webhookSecret = env("FLEET_KEYRING"), env("HUBSPOT_CLIENT_SECRET")
	if c.dsn == "" {
		return config{}, errors.New("DATABASE_URL (or -dsn) is not set")
	}
	if c.keyring == "" && c.demo == 0 {
		return config{}, errors.New("FLEET_KEYRING is not set")
	}
	if c.workers <= 0 {
		return config{}, fmt.Errorf("workers must be positive, got %d", c.workers)
	}
	return c, nil
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer, env func(string) string) int {
	cfg, err := loadConfig(args, env, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return exitOK
	}
	if err != nil {
		fmt.Fprintf(stderr, "fleetservice: %v\n", err)
		return exitUsage
	}
	log := slog.New(slog.NewJSONHandler(stdout, nil))
	pcfg, err := pgxpool.ParseConfig(cfg.dsn)
	if err != nil {
		return fail(stderr, "DATABASE_URL: %v", err)
	}
	pcfg.MaxConns = int32(2*cfg.workers + 6)
	pool, err := pgxpool.NewWithConfig(ctx, pcfg)
	if err != nil {
		return fail(stderr, "connect: %v", err)
	}
	defer pool.Close()
	var tenants []*fakefleet.Tenant
	if cfg.demo > 0 && cfg.keyring == "" {
		k, err := fleet.GenerateKey("demo")
		if err != nil {
			return fail(stderr, "%v", err)
		}
		cfg.keyring = "demo:" + base64.StdEncoding.EncodeToString(k.Bytes)
	}
	if cfg.demo > 0 && cfg.webhookSecret == "" {
		cfg.webhookSecret = "demo-client-secret"
	}
	ring, err := fleet.ParseKeyring(cfg.keyring)
	if err != nil {
		return fail(stderr, "FLEET_KEYRING: %v", err)
	}
	reg := prometheus.NewRegistry()
	metrics, err := fleet.NewMetrics(reg, fleet.MetricsOptions{})
	if err != nil {
		return fail(stderr, "%v", err)
	}
	f, err := fleet.New(fleet.Config{Pool: pool, Schema: cfg.schema, Secrets: fleet.NewSealedSecrets(pool, cfg.schema, ring), Logger: log, Metrics: metrics})
	if err != nil {
		return fail(stderr, "%v", err)
	}
	reg.MustRegister(f.Collector())
	if cfg.migrate {
		if err := f.Migrate(ctx); err != nil {
			return fail(stderr, "migrate: %v", err)
		}
	}
	ln, err := net.Listen("tcp", cfg.addr)
	if err != nil {
		return fail(stderr, "listen: %v", err)
	}
	log.Info("listening", "addr", ln.Addr().String())
	opts := fleet.RunOptions{Workers: cfg.workers, ReplicaID: cfg.replica}
	if cfg.demo > 0 {
		if tenants, err = startDemo(ctx, f, cfg.demo, "http://"+ln.Addr().String()+"/webhooks/hubspot", cfg.webhookSecret); err != nil {
			return fail(stderr, "demo: %v", err)
		}
		defer func() {
			for _, t := range tenants {
				t.Close()
			}
		}()
		opts.HubSpotOptions = func(*fleet.Connection) []hubspot.Option {
			return []hubspot.Option{hubspot.WithRateLimit(rate.Inf, 0), hubspot.WithSearchRateLimit(rate.Inf, 0)}
		}
		opts.SansanOptions = func(*fleet.Connection, string) []sansan.Option {
			return []sansan.Option{sansan.WithRateLimit(rate.Inf, 0)}
		}
	}
	srv := &http.Server{Handler: newHandler(f, reg, cfg.webhookSecret, cfg.demo > 0), ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	defer func() {
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
	}()
	if err := fleet.Run(ctx, f, opts); err != nil {
		return fail(stderr, "%v", err)
	}
	return exitOK
}

// startDemo serves n fake tenants whose HubSpot fakes deliver webhooks to
// this replica, and registers a connection for each portal not yet
// registered.
func startDemo(ctx context.Context, f *fleet.Fleet, n int, webhookURL, secret string) ([]*fakefleet.Tenant, error) {
	var out []*fakefleet.Tenant
	for i := range n {
		portal := int64(20000 + i)
		t, err := fakefleet.Start(portal, fakefleet.Options{Cards: 60, Seed: uint64(i + 1), HubSpot: []hubspottest.Option{
			hubspottest.WithWebhooks(hubspottest.WebhookConfig{TargetURL: webhookURL, ClientSecret: secret, AppID: 1, PortalID: portal}),
		}})
		if err != nil {
			return out, err
		}
		out = append(out, t)
		if old, err := f.ByPortal(ctx, portal); err == nil {
			// A previous demo's connection: point it at the new fakes.
			sec := t.Secrets()
			if _, err := f.Update(ctx, old.ID, t.Spec(30*time.Second, syncer.TwoWay), &sec); err != nil {
				return out, err
			}
			continue
		}
		sec := t.Secrets()
		if _, err := f.Add(ctx, t.Spec(30*time.Second, syncer.TwoWay), &sec); err != nil {
			return out, err
		}
	}
	return out, nil
}
