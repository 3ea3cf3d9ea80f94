package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/cardbridge/sansanhubspot/fleet/internal/fakefleet"
)

func main() {
	var (
		c       fakefleet.ReplicaConfig
		verbose bool
	)
	flag.StringVar(&c.DSN, "dsn", "", "PostgreSQL URL")
	flag.StringVar(&c.Schema, "schema", "", "fleet schema")
	flag.StringVar(&c.ID, "id", "", "replica id")
	flag.IntVar(&c.Workers, "workers", 4, "concurrent passes")
	flag.DurationVar(&c.PassTimeout, "pass-timeout", 3*time.Second, "pass timeout")
	flag.DurationVar(&c.RescueAfter, "rescue-after", 4*time.Second, "rescue stuck passes after")
	flag.DurationVar(&c.Poll, "poll", 100*time.Millisecond, "River fetch poll interval")
	flag.Float64Var(&c.Scale, "scale", 0, "client rate limits: SDK defaults ×scale (0: unlimited)")
	flag.BoolVar(&verbose, "v", false, "log to stderr")
	flag.Parse()
	c.Keyring, c.WebhookSecret = os.Getenv("FLEET_KEYRING"), os.Getenv("FLEET_WEBHOOK_SECRET")
	if verbose {
		c.Log = os.Stderr
	}
	c.Ready = func(u string) { fmt.Println("READY " + u) }
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	if err := fakefleet.RunReplica(ctx, c); err != nil {
		fmt.Fprintln(os.Stderr, "e2eworker:", err)
		os.Exit(1)
	}
}
