package pgstore_test

import (
	"context"
	"database/sql"
	"errors"
	"log"
	"os"
	"time"

	"github.com/cardbridge/sansanhubspot/syncer/pgstore"
)

func ExampleNew() {
	ctx := context.Background()
	db, err := sql.Open("pgx", os.Getenv("DATABASE_URL"))
	if err != nil {
		log.Fatal(err)
	}
	store := pgstore.New(db, "portal-12345678")
	if err := store.Migrate(ctx); err != nil {
		log.Fatal(err)
	}
	_ = store // pass it to syncer.New
}

func ExampleStore_AcquireLease() {
	ctx := context.Background()
	db, err := sql.Open("pgx", os.Getenv("DATABASE_URL"))
	if err != nil {
		log.Fatal(err)
	}
	store := pgstore.New(db, "portal-12345678")
	host, _ := os.Hostname()
	const ttl = time.Minute
	lease, err := store.AcquireLease(ctx, "engine", host, ttl)
	if errors.Is(err, pgstore.ErrLeaseHeld) {
		log.Print("another replica runs the engine; standing by")
		return
	}
	if err != nil {
		log.Fatal(err)
	}
	// Run the engine while renewing the lease; stop it as soon as the
	// lease is lost.
	work, stop := context.WithCancel(ctx)
	defer stop()
	done := make(chan struct{})
	go func() {
		defer close(done)
		<-work.Done() // engine.Run(work)
	}()
	ticker := time.NewTicker(ttl / 3)
	defer ticker.Stop()
	for {
		select {
		case <-done:
			if err := store.ReleaseLease(context.WithoutCancel(ctx), lease); err != nil {
				log.Print(err)
			}
			return
		case <-ticker.C:
			if lease, err = store.RenewLease(ctx, lease, ttl); err != nil {
				log.Printf("lost the lease: %v", err)
				stop()
				<-done
				return
			}
		}
	}
}
