// Command e2eworker is one fleet replica for the fleet module's end-to-end
// test and benchmark: it runs fleet.Run and serves the webhook handler, with
// API clients that tag every request with its pass (fakefleet.PassHeader)
// and do not rate-limit themselves (the fakes impose the limits). The keyring
// comes from FLEET_KEYRING and the webhook secret from
// FLEET_WEBHOOK_SECRET; it prints "READY <webhook URL>" once listening, and
// stops gracefully on SIGTERM or SIGINT.
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"golang.org/x/time/rate"

	"github.com/cardbridge/sansanhubspot/fleet"
	"github.com/cardbridge/sansanhubspot/fleet/internal/fakefleet"
	"github.com/cardbridge/sansanhubspot/hubspot"
	"github.com/cardbridge/sansanhubspot/sansan"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "e2eworker:", err)
		os.Exit(1)
	}
}

func run() error {
	var (
		dsn         = flag.String("dsn", "", "PostgreSQL URL")
		schema      = flag.String("schema", "", "fleet schema")
		id          = flag.String("id", "", "replica id")
		workers     = flag.Int("workers", 4, "concurrent passes")
		passTimeout = flag.Duration("pass-timeout", 3*time.Second, "pass timeout")
		rescueAfter = flag.Duration("rescue-after", 4*time.Second, "rescue stuck passes after")
		poll        = flag.Duration("poll", 100*time.Millisecond, "River fetch poll interval")
		verbose     = flag.Bool("v", false, "log to stderr")
	)
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	log := slog.New(slog.DiscardHandler)
	if *verbose {
		log = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	}
	cfg, err := pgxpool.ParseConfig(*dsn)
	if err != nil {
		return err
	}
	cfg.MaxConns = int32(*workers*2 + 6)
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return err
	}
	defer pool.Close()
	ring, err := fleet.ParseKeyring(os.Getenv("FLEET_KEYRING"))
	if err != nil {
		return err
	}
	f, err := fleet.New(fleet.Config{Pool: pool, Schema: *schema, Secrets: fleet.NewSealedSecrets(pool, *schema, ring), Logger: log})
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	mux := http.NewServeMux()
	mux.Handle("/webhooks/hubspot", f.WebhookHandler(fleet.WebhookOptions{
		ClientSecret: os.Getenv("FLEET_WEBHOOK_SECRET"),
		URL:          func(r *http.Request) string { return "http://" + r.Host + r.URL.RequestURI() },
	}))
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	defer srv.Close()
	fmt.Printf("READY http://%s/webhooks/hubspot\n", ln.Addr())
	return fleet.Run(ctx, f, fleet.RunOptions{
		Workers:           *workers,
		ReplicaID:         *id,
		PassTimeout:       *passTimeout,
		RescueAfter:       *rescueAfter,
		FetchPollInterval: *poll,
		ShutdownTimeout:   5 * time.Second,
		HTTPClient:        &http.Client{Transport: fakefleet.PassHeader(nil), Timeout: 30 * time.Second},
		HubSpotOptions: func(*fleet.Connection) []hubspot.Option {
			return []hubspot.Option{hubspot.WithRateLimit(rate.Inf, 0), hubspot.WithSearchRateLimit(rate.Inf, 0)}
		},
		SansanOptions: func(*fleet.Connection, string) []sansan.Option {
			return []sansan.Option{sansan.WithRateLimit(rate.Inf, 0)}
		},
	})
}
