// Package pgstore is a [syncer.Store] in PostgreSQL, for sync engines that
// run as services with several replicas or that keep many HubSpot accounts
// in one database. It is a separate module so that the SDK itself needs no
// database dependency.
//
// It uses only database/sql: bring any PostgreSQL driver (pgx's stdlib
// package, lib/pq, ...) and open the *sql.DB yourself:
//
//	db, err := sql.Open("pgx", os.Getenv("DATABASE_URL")) // import _ "github.com/jackc/pgx/v5/stdlib"
//	if err != nil {
//		return err
//	}
//	store := pgstore.New(db, "portal-12345678")
//	if err := store.Migrate(ctx); err != nil {
//		return err
//	}
//
// # Connections
//
// All stores share the tables sansanhubspot_links, sansanhubspot_checkpoints
// and sansanhubspot_leases; every row carries the connection key given to
// [New], and every query filters on it, so one database serves any number
// of HubSpot accounts. Each table's primary key starts with the
// connection; links also have partial indexes for the email, contact and
// retry lookups. [Store.Migrate] creates them idempotently ([SchemaSQL]
// lists the statements for external migration tools).
//
// # Consistency
//
// PutLinks writes its batch in one transaction, locking rows in person id
// order so concurrent batches never deadlock, and every lookup is a single
// statement, so readers never see half a batch. Times are stored as JSON
// with nanoseconds, so they round-trip exactly.
//
// # Leases
//
// The engine must run in one replica at a time. [Store.AcquireLease] gives
// one holder an exclusive, expiring lease; the holder renews it with
// [Store.RenewLease] and gives it up with [Store.ReleaseLease]. A holder
// that crashes stops renewing, and another replica can take over once the
// lease expires. Expiry uses the database server's clock.
//
//	lease, err := store.AcquireLease(ctx, "engine", hostname, time.Minute)
//	if errors.Is(err, pgstore.ErrLeaseHeld) {
//		// another replica is working; try again later
//	}
//	// renew every ~20s; stop the engine when RenewLease fails
//
// # Running the tests
//
// The tests need a PostgreSQL server and read its URL from
// SANSANHUBSPOT_PG_DSN. Without it they are skipped; with it set they fail
// if the server is unreachable. Each test uses its own connection key, so
// they run in parallel and leave other data alone. For example, with a
// local server that trusts local connections:
//
//	createdb -h 127.0.0.1 -U postgres test
//	cd syncer/pgstore
//	SANSANHUBSPOT_PG_DSN='postgres://postgres@127.0.0.1:5432/test?sslmode=disable' go test -race ./...
//	SANSANHUBSPOT_PG_DSN=... go test -bench . -run '^$' ./...
package pgstore
