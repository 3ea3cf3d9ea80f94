// Package filestore is a durable [syncer.Store] kept in a local directory,
// for a sync engine running as a single process (a CLI, a cron job, one
// service replica). It needs no database and survives restarts and crashes.
//
//	store, err := filestore.Open("/var/lib/sansanhubspot/store")
//	if err != nil {
//		return err
//	}
//	defer store.Close()
//	eng, err := syncer.New(syncer.Config{HubSpot: hs, Accounts: accounts, Store: store})
//	if err != nil {
//		return err
//	}
//	return eng.Run(ctx)
//
// The package example runs these lines against the built-in fakes, twice
// on one directory: the second run, like a restarted service, resumes
// from the stored checkpoints instead of re-doing the initial sync.
//
// # Durability
//
// Every PutLinks batch, every PutCheckpoint and every PutMeta (a put or a
// delete) is appended to a write-ahead log as one frame (length, CRC-32C,
// JSON record) and synced with fsync before the call returns. After a crash, [Open] replays the log; a torn or
// garbled final frame (the write that was in flight, never acknowledged) is
// cut off, so a crash loses at most that one batch, never an earlier one,
// and never part of a batch. Damage anywhere else, such as an intact frame
// after a bad one or a bad snapshot, makes Open fail with [ErrCorrupt]
// instead of silently dropping acknowledged data; the files are left as
// they are for inspection. If a write or fsync fails, the store refuses
// further writes until it is reopened.
//
// When the log has grown past a multiple of the live data (see
// [WithCompaction]), the state is written to a snapshot file (temporary
// file, fsync, rename, fsync of the directory) and the log starts over
// empty, replaced the same way. A crash at any point of a compaction leaves
// a state that replays to the same data.
//
// Durability relies on fsync reaching stable storage. On macOS fsync does
// not flush the drive's cache, so a power loss (not a process crash) may
// lose recent writes there.
//
// # Meta, listing and fences
//
// A Store is also a [syncer.MetaStore] and a [syncer.LinkLister]. Meta
// keys must be valid UTF-8 (PutMeta refuses others); values are stored
// base64-encoded in the JSON records, so they take 4/3 of their size on
// disk, and are kept by compactions like links and checkpoints. Versions
// of this package from before meta records ignore them: opening a store
// with such a version, and letting it compact, loses the meta keys (links
// and checkpoints are kept).
//
// ListLinks reads a list of every person id in byte order, kept in memory
// beside the indexes and brought up to date by the first listing after new
// persons were stored; a page costs a binary search for LinkQuery.After and
// a scan of the following links until the page is full. CountLinks looks
// at every link.
//
// The store does not check a [syncer.Fence] carried by a write's context:
// the directory lock (below) already keeps every other process out, so
// there is no second holder whose writes need refusing.
//
// # Locking
//
// Open takes an exclusive flock(2) on the LOCK file in the directory, so a
// second Open, in another process or the same one, fails with an error
// matching [ErrLocked] that names the process holding it. The lock dies
// with the process. Do not place the directory on a network file system,
// where flock may not be enforced. Locking is implemented on Linux, macOS
// and the BSDs; Open fails on other systems.
//
// # Files and memory
//
// The directory holds LOCK, wal (the log), snapshot (after the first
// compaction) and, briefly, *.tmp files, which Open removes. The whole
// state is also held in memory, with indexes by person, email and contact
// id, so lookups never touch the disk: about 1.5 KiB of heap per link with
// eight mapped properties (measured), so 100,000 links take about 150 MiB.
// Strings are stored as JSON and must be valid UTF-8.
//
// # Performance
//
// Measured with go test -bench . -run '^$' -count 3 ./syncer/filestore/
// on the project's 2-core Linux VM (ext4 on a virtual disk, about 1.2 ms
// per fsync when idle) while other builds kept the load average near 10, so
// a quiet machine does better. Writes are bound by fsync, one per call:
//
//   - PutLinks, batches of 100 new links: 7,700 to 15,000 links/s (7 to
//     13 ms per batch); rewriting the same links: 10,500 to 13,500 links/s.
//     That is several times what HubSpot's API accepts (about 1,900
//     contacts/s at 190 batch calls per 10 s).
//   - PutCheckpoint: 600 to 700 writes/s.
//
// Lookups run from memory (10,000 links stored, batches of 100):
// LinksByPerson 105,000 to 160,000 links/s, LinksByEmail 72,000 to 85,000,
// LinksToRetry 93,000 to 143,000, and 55,000 to 90,000 LinkByContact calls
// per second.
//
// Listing the same 10,000 links in pages of 100 ran at about 1.2 million
// links/s unfiltered and 900,000 links/s for the failing ones (one in
// ten), and a CountLinks over them took about 0.7 ms; PutMeta is bound by
// fsync like PutCheckpoint, about 700 writes/s (one run, load average
// below 1).
//
// Open replays everything, and a compaction rewrites everything while
// writes wait: with 100,000 links (about 60 MB of JSON) each took 5 to 6.5 s
// under the same load. With the default ratio of 4, a compaction happens
// once about three times the live data has been rewritten.
package filestore
