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
// All stores share the tables sansanhubspot_links, sansanhubspot_checkpoints,
// sansanhubspot_leases and sansanhubspot_meta; every row carries the
// connection key given to [New], and every query filters on it, so one
// database serves any number of HubSpot accounts. Each table's primary key
// starts with the connection; links also have partial indexes for the
// email, contact and retry lookups, and one on state, reason and person id
// for listing. [Store.Migrate] creates them idempotently ([SchemaSQL]
// lists the statements for external migration tools).
//
// # Migrating from earlier versions
//
// Databases created by earlier versions lack the account, state and reason
// columns of sansanhubspot_links (generated from each link's JSON), their
// index and sansanhubspot_meta. Migrate (or SchemaSQL) adds them: the
// columns in one rewrite of the links table, which blocks its reads and
// writes meanwhile, and the index in one build, which blocks writes; on
// large tables run it at a quiet moment. Runs after that find
// everything in place and lock nothing. Older versions of this package keep
// working on the migrated tables.
//
// # Meta, listing and counting
//
// A Store is also a [syncer.MetaStore], keeping values as bytea under keys
// compared in byte order, and a [syncer.LinkLister]. ListLinks is one
// query; filtering on one state (and a reason) walks the listing index in
// person id order, while other filters read and sort the connection's
// matching links for every page. CountLinks groups the connection's links
// in one query. Person ids, accounts and reasons compare in byte order
// (collation "C"), as Go strings do, whatever the database's collation.
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
// lease expires. Expiry uses the database server's clock. [Store.Locker]
// does all of this for the engine, and fences the pass (below).
//
//	lease, err := store.AcquireLease(ctx, "engine", hostname, time.Minute)
//	if errors.Is(err, pgstore.ErrLeaseHeld) {
//		// another replica is working; try again later
//	}
//	// renew every ~20s; stop the engine when RenewLease fails
//
// # Fencing
//
// A lease alone does not stop a holder that was paused (a long GC pause, a
// frozen VM, a slow network) from writing after its lease expired and
// another replica took over. The context the Locker returns for a pass
// therefore carries a [syncer.Fence] whose epoch is the lease token, and
// the store refuses writes made under a lease that is no longer held:
//
//   - The fence is valid until the instant, on the local monotonic clock,
//     taken before the last successful acquire or renewal query was sent,
//     plus the TTL, minus a safety margin of TTL/5 (at least 100 ms). The
//     held context is cancelled when that instant passes, by a timer that
//     every renewal resets, so it ends even while a renewal hangs; and at
//     once when a renewal finds the lease lost. Its [context.Cause] wraps
//     [syncer.ErrFenced]. [syncer.CheckFence] tells the engine the same
//     before each request it sends to HubSpot.
//   - PutLinks, PutCheckpoint and PutMeta made with such a context (or one
//     derived from it, even by [context.WithoutCancel]) run in a
//     transaction whose first statement locks the lease row FOR SHARE,
//     matching the connection, name, holder and token, and an expiry after
//     the server's clock_timestamp(). If no row matches, the write fails
//     with an error wrapping [syncer.ErrFenced] that names the epoch, and
//     changes nothing. Taking the lease over updates that row, which waits
//     for the share lock, so a new holder cannot start between the check
//     and the commit: a write lands entirely under the lease it was made
//     under, or not at all.
//   - Writes without a fence, or with a fence of another package's Locker,
//     are not checked, as before. A fence is checked in the database the
//     writing Store uses, under the connection key of the Locker's Store,
//     so it covers any Store value of the same database.
//
// A fenced write costs a transaction and one more statement. Renewals wait
// for fenced writes in flight (their update needs the row), and each may
// take at most a third of the TTL and half the remaining validity, so keep
// the TTL far above the longest write: with a TTL of a minute, batches of
// hundreds of links are far from the limit. Give every process its own
// holder id: two processes with the same id share a lease and its epoch.
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
