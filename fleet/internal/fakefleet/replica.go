package fakefleet

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"golang.org/x/time/rate"

	"github.com/cardbridge/sansanhubspot/fleet"
	"github.com/cardbridge/sansanhubspot/hubspot"
	"github.com/cardbridge/sansanhubspot/sansan"
)

// ReplicaConfig configures RunReplica.
type ReplicaConfig struct {
	DSN, Schema, ID string
	Keyring         string // as fleet.ParseKeyring reads it
	WebhookSecret   string
	Workers         int
	PassTimeout     time.Duration
	RescueAfter     time.Duration
	Poll            time.Duration
	// Scale, when positive, gives the API clients the SDK's default rate
	// limits ×Scale (the fakes' limits are scaled the same way); 0 leaves
	// the clients unlimited.
	Scale float64
	// Ready receives the replica's base URL ("http://127.0.0.1:port/") once
	// it listens: webhooks at /webhooks/hubspot, query counts at /queries.
	Ready func(baseURL string)
	Log   io.Writer // nil discards logs
}

// Queries are the PostgreSQL queries a replica sent, in all and from
// inside passes (contexts that carry fleet.PassFromContext).
type Queries struct {
	Total  int64 `json:"total"`
	InPass int64 `json:"in_pass"`
}

type queryCounter struct{ total, inPass atomic.Int64 }

// TraceQueryStart counts a query, and whether it runs inside a pass.
func (q *queryCounter) TraceQueryStart(ctx context.Context, _ *pgx.Conn, _ pgx.TraceQueryStartData) context.Context {
	q.total.Add(1)
	if _, ok := fleet.PassFromContext(ctx); ok {
		q.inPass.Add(1)
	}
	return ctx
}

// TraceQueryEnd implements pgx.QueryTracer.
func (q *queryCounter) TraceQueryEnd(context.Context, *pgx.Conn, pgx.TraceQueryEndData) {}

// RunReplica runs one fleet replica with API clients that tag requests
// with their pass, until ctx ends.
func RunReplica(ctx context.Context, c ReplicaConfig) error {
	log := slog.New(slog.DiscardHandler)
	if c.Log != nil {
		log = slog.New(slog.NewTextHandler(c.Log, nil))
	}
	cfg, err := pgxpool.ParseConfig(c.DSN)
	if err != nil {
		return err
	}
	counter := &queryCounter{}
	cfg.ConnConfig.Tracer = counter
	cfg.MaxConns = int32(c.Workers*2 + 6)
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return err
	}
	defer pool.Close()
	ring, err := fleet.ParseKeyring(c.Keyring)
	if err != nil {
		return err
	}
	f, err := fleet.New(fleet.Config{Pool: pool, Schema: c.Schema, Secrets: fleet.NewSealedSecrets(pool, c.Schema, ring), Logger: log})
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	mux := http.NewServeMux()
	mux.Handle("/webhooks/hubspot", f.WebhookHandler(fleet.WebhookOptions{
		ClientSecret: c.WebhookSecret,
		URL:          func(r *http.Request) string { return "http://" + r.Host + r.URL.RequestURI() },
	}))
	mux.HandleFunc("/queries", func(w http.ResponseWriter, _ *http.Request) {
		_ = json.NewEncoder(w).Encode(Queries{Total: counter.total.Load(), InPass: counter.inPass.Load()})
	})
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	defer srv.Close()
	if c.Ready != nil {
		c.Ready(fmt.Sprintf("http://%s/", ln.Addr()))
	}
	hsRate, hsBurst, searchRate, ssRate := rate.Inf, 0, rate.Inf, rate.Inf
	if c.Scale > 0 {
		// The SDK's defaults (hubspot: 9.5/s burst 5, search 4/s; sansan 5/s), ×Scale.
		hsRate, hsBurst, searchRate, ssRate = rate.Limit(9.5*c.Scale), 5, rate.Limit(4*c.Scale), rate.Limit(5*c.Scale)
	}
	return fleet.Run(ctx, f, fleet.RunOptions{
		Workers:           c.Workers,
		ReplicaID:         c.ID,
		PassTimeout:       c.PassTimeout,
		RescueAfter:       c.RescueAfter,
		FetchPollInterval: c.Poll,
		ShutdownTimeout:   5 * time.Second,
		HTTPClient:        &http.Client{Transport: PassHeader(nil), Timeout: 30 * time.Second},
		HubSpotOptions: func(*fleet.Connection) []hubspot.Option {
			return []hubspot.Option{hubspot.WithRateLimit(hsRate, hsBurst), hubspot.WithSearchRateLimit(searchRate, 1)}
		},
		SansanOptions: func(*fleet.Connection, string) []sansan.Option {
			return []sansan.Option{sansan.WithRateLimit(ssRate, 1)}
		},
	})
}
