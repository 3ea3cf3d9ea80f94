package filestore

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/cardbridge/sansanhubspot/syncer"
)

// Errors returned by Open and the Store methods; match them with errors.Is.
var (
	// ErrLocked means another Store, in this or another process, has the
	// directory open.
	ErrLocked = errors.New("filestore: store is locked by another process")
	// ErrCorrupt means a file holds damage that is not a torn final write,
	// so opening it could lose acknowledged data. Nothing is changed on
	// disk when Open returns it.
	ErrCorrupt = errors.New("filestore: store files are corrupt")
	// ErrClosed is returned by the methods of a closed Store.
	ErrClosed = errors.New("filestore: store is closed")
)

// File names inside the store directory.
const (
	lockName = "LOCK"
	walName  = "wal"
	snapName = "snapshot"
	tmpExt   = ".tmp"
)

// Store is a durable [syncer.Store] kept in a directory: an append-only
// log plus a snapshot, with in-memory indexes for lookups. It also
// implements [syncer.MetaStore] and [syncer.LinkLister]. It is safe for
// concurrent use by one process; see the package documentation.
type Store struct {
	dir  string
	opts options
	lock *os.File

	closed atomic.Bool

	// wmu serializes writes, compaction and Close.
	wmu       sync.Mutex
	wal       *os.File
	walSize   int64
	seq       uint64 // last log record written or replayed
	failed    error  // a write that could not be undone; the store refuses writes
	compactAt int64  // do not try compacting again below this log size

	// mu guards the in-memory state below.
	mu          sync.RWMutex
	byPerson    map[string]*entry
	byEmail     map[string]map[string]struct{} // email -> person ids
	byContact   map[string]map[string]struct{} // contact id -> person ids
	failing     map[string]struct{}            // person ids in StateFailing
	checkpoints map[string]cpEntry
	meta        map[string]metaEntry
	ver         uint64 // order of link writes, for LinkByContact
	liveBytes   int64  // encoded size of the current state

	// sorted holds every person id in byte order, for ListLinks, except
	// those in pending: persons added since ListLinks last merged them in.
	// Persons are never removed, so ids only ever join.
	sorted  []string
	pending []string
}

var (
	_ syncer.Store      = (*Store)(nil)
	_ syncer.MetaStore  = (*Store)(nil)
	_ syncer.LinkLister = (*Store)(nil)
)

type entry struct {
	link *syncer.Link
	ver  uint64
	size int64
}

type cpEntry struct {
	cp   syncer.Checkpoint
	size int64
}

// metaEntry is a stored meta value, which is never modified: PutMeta
// replaces it with a copy.
type metaEntry struct {
	value []byte
	size  int64
}

// Option configures a Store.
type Option func(*options)

type options struct {
	logger       *slog.Logger
	compactRatio float64
	compactMin   int64
}

// WithLogger sets the logger for recovery and compaction messages. The
// default discards them.
func WithLogger(l *slog.Logger) Option {
	return func(o *options) {
		if l != nil {
			o.logger = l
		}
	}
}

// WithCompaction sets when the log is compacted into a snapshot: once it is
// larger than minBytes and more than ratio times the size of the live data.
// A ratio of zero or less turns automatic compaction off ([Store.Compact]
// still works). The default is a ratio of 4 and 4 MiB.
func WithCompaction(ratio float64, minBytes int64) Option {
	return func(o *options) {
		o.compactRatio = ratio
		o.compactMin = minBytes
	}
}

// Open opens the store in directory path, creating the directory and an
// empty store if needed, and replays its snapshot and log. A torn final log
// frame, left by a crash during a write that was never acknowledged, is cut
// off. Open fails with an error matching [ErrLocked] while another Store
// has the directory open, and with [ErrCorrupt] if the files are damaged
// in any other way.
func Open(path string, opts ...Option) (*Store, error) {
	s := &Store{
		dir: path,
		opts: options{
			logger:       slog.New(slog.DiscardHandler),
			compactRatio: 4,
			compactMin:   4 << 20,
		},
		byPerson:    make(map[string]*entry),
		byEmail:     make(map[string]map[string]struct{}),
		byContact:   make(map[string]map[string]struct{}),
		failing:     make(map[string]struct{}),
		checkpoints: make(map[string]cpEntry),
		meta:        make(map[string]metaEntry),
	}
	for _, o := range opts {
		o(&s.opts)
	}
	if err := os.MkdirAll(path, 0o700); err != nil {
		return nil, fmt.Errorf("filestore: open: %w", err)
	}
	// Make a newly created directory itself durable.
	if err := syncDir(filepath.Dir(filepath.Clean(path))); err != nil {
		return nil, fmt.Errorf("filestore: open: %w", err)
	}
	lock, err := lockDir(path)
	if err != nil {
		return nil, err
	}
	s.lock = lock
	if err := s.load(); err != nil {
		unlockDir(lock)
		return nil, err
	}
	return s, nil
}

// load reads the snapshot and replays the log; the directory is locked.
func (s *Store) load() error {
	for _, name := range []string{snapName + tmpExt, walName + tmpExt} {
		if err := os.Remove(filepath.Join(s.dir, name)); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("filestore: open: %w", err)
		}
	}
	snapSeq, err := s.loadSnapshot()
	if err != nil {
		return err
	}
	s.seq = snapSeq
	walPath := filepath.Join(s.dir, walName)
	if _, err := os.Stat(walPath); errors.Is(err, os.ErrNotExist) {
		if err := s.newWAL(); err != nil {
			return err
		}
		return nil
	}
	f, err := os.OpenFile(walPath, os.O_RDWR, 0)
	if err != nil {
		return fmt.Errorf("filestore: open: %w", err)
	}
	end, err := s.replay(f, snapSeq)
	if err != nil {
		f.Close()
		return err
	}
	s.wal, s.walSize = f, end
	return nil
}

// loadSnapshot loads the snapshot, if any, and returns the sequence number
// of the last log record it includes.
func (s *Store) loadSnapshot() (uint64, error) {
	name := filepath.Join(s.dir, snapName)
	data, err := os.ReadFile(name)
	if errors.Is(err, os.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("filestore: open: %w", err)
	}
	if len(data) < headerLen || string(data[:headerLen]) != string(snapHeader) {
		return 0, fmt.Errorf("%w: %s: not a snapshot file of a supported version", ErrCorrupt, name)
	}
	off := headerLen
	for off < len(data) {
		payload, size, ok := parseFrame(data[off:])
		if !ok {
			return 0, fmt.Errorf("%w: %s: bad frame at offset %d", ErrCorrupt, name, off)
		}
		rec, err := decodeRecord(payload)
		if err != nil {
			return 0, fmt.Errorf("%w: %s: record at offset %d: %v", ErrCorrupt, name, off, err)
		}
		off += size
		if rec.End != nil {
			if off != len(data) {
				return 0, fmt.Errorf("%w: %s: data after the end record", ErrCorrupt, name)
			}
			if rec.End.Links != len(s.byPerson) || rec.End.Checkpoints != len(s.checkpoints) || rec.End.Meta != len(s.meta) {
				return 0, fmt.Errorf("%w: %s: holds %d links, %d checkpoints and %d meta keys, end record says %d, %d and %d",
					ErrCorrupt, name, len(s.byPerson), len(s.checkpoints), len(s.meta),
					rec.End.Links, rec.End.Checkpoints, rec.End.Meta)
			}
			return rec.Seq, nil
		}
		if err := s.apply(rec); err != nil {
			return 0, fmt.Errorf("%w: %s: record at offset %d: %v", ErrCorrupt, name, off-size, err)
		}
	}
	return 0, fmt.Errorf("%w: %s: no end record", ErrCorrupt, name)
}

// replay applies the log records after snapSeq and returns the size of the
// intact log. A torn tail is truncated away.
func (s *Store) replay(f *os.File, snapSeq uint64) (int64, error) {
	data, err := io.ReadAll(f)
	if err != nil {
		return 0, fmt.Errorf("filestore: open: read log: %w", err)
	}
	name := f.Name()
	if len(data) < headerLen || string(data[:headerLen]) != string(walHeader) {
		return 0, fmt.Errorf("%w: %s: not a log file of a supported version", ErrCorrupt, name)
	}
	off := headerLen
	for off < len(data) {
		payload, size, ok := parseFrame(data[off:])
		if !ok {
			break
		}
		rec, err := decodeRecord(payload)
		if err != nil {
			return 0, fmt.Errorf("%w: %s: record at offset %d: %v", ErrCorrupt, name, off, err)
		}
		switch {
		case rec.Seq <= snapSeq:
			// Already in the snapshot: a compaction stopped before it
			// replaced the log.
		case rec.Seq == s.seq+1:
			if err := s.apply(rec); err != nil {
				return 0, fmt.Errorf("%w: %s: record at offset %d: %v", ErrCorrupt, name, off, err)
			}
			s.seq = rec.Seq
		default:
			return 0, fmt.Errorf("%w: %s: record at offset %d has sequence number %d, want %d",
				ErrCorrupt, name, off, rec.Seq, s.seq+1)
		}
		off += size
	}
	if off == len(data) {
		return int64(off), nil
	}
	// A bad frame. After a crash only the last frame can be torn: each
	// frame is synced before the next is written. An intact frame further
	// on means real damage, which must not be cut away silently.
	for i := off + 1; i+frameHeader <= len(data); i++ {
		if _, _, ok := parseFrame(data[i:]); ok {
			return 0, fmt.Errorf("%w: %s: bad frame at offset %d followed by intact frames", ErrCorrupt, name, off)
		}
	}
	s.opts.logger.Warn("filestore: discarding torn log tail",
		slog.String("file", name), slog.Int("offset", off), slog.Int("bytes", len(data)-off))
	if err := f.Truncate(int64(off)); err != nil {
		return 0, fmt.Errorf("filestore: open: truncate torn log tail: %w", err)
	}
	if err := f.Sync(); err != nil {
		return 0, fmt.Errorf("filestore: open: truncate torn log tail: %w", err)
	}
	return int64(off), nil
}

func decodeRecord(payload []byte) (*record, error) {
	var rec record
	if err := json.Unmarshal(payload, &rec); err != nil {
		return nil, err
	}
	return &rec, nil
}

// apply applies a decoded record to the in-memory state.
func (s *Store) apply(rec *record) error {
	links := make([]*syncer.Link, len(rec.Links))
	for i, raw := range rec.Links {
		var l syncer.Link
		if err := json.Unmarshal(raw, &l); err != nil {
			return err
		}
		links[i] = &l
	}
	var cpSize int
	if rec.Checkpoint != nil {
		b, err := json.Marshal(rec.Checkpoint)
		if err != nil {
			return err
		}
		cpSize = len(b)
	}
	var metaValue []byte
	var metaSize int
	if m := rec.Meta; m != nil {
		if !m.Delete {
			metaValue = append([]byte{}, m.Value...) // a found value is never nil
		}
		b, err := encodeMeta(m.Key, metaValue)
		if err != nil {
			return err
		}
		metaSize = len(b)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, l := range links {
		if l.PersonID != "" {
			s.setLink(l, int64(len(rec.Links[i])))
		}
	}
	if cp := rec.Checkpoint; cp != nil {
		s.setCheckpoint(cp.Stream, cp.checkpoint(), int64(cpSize))
	}
	if m := rec.Meta; m != nil {
		s.setMeta(m.Key, metaValue, int64(metaSize))
	}
	return nil
}

// setLink stores l, which the store owns from now on; s.mu is held.
func (s *Store) setLink(l *syncer.Link, size int64) {
	if old, ok := s.byPerson[l.PersonID]; ok {
		s.unindex(old.link)
		s.liveBytes -= old.size
	} else {
		s.pending = append(s.pending, l.PersonID)
	}
	s.ver++
	s.byPerson[l.PersonID] = &entry{link: l, ver: s.ver, size: size}
	s.liveBytes += size
	addTo(s.byEmail, l.Email, l.PersonID)
	addTo(s.byContact, l.ContactID, l.PersonID)
	if l.State == syncer.StateFailing {
		s.failing[l.PersonID] = struct{}{}
	}
}

func (s *Store) unindex(l *syncer.Link) {
	removeFrom(s.byEmail, l.Email, l.PersonID)
	removeFrom(s.byContact, l.ContactID, l.PersonID)
	delete(s.failing, l.PersonID)
}

func addTo(idx map[string]map[string]struct{}, key, personID string) {
	if key == "" {
		return
	}
	set := idx[key]
	if set == nil {
		set = make(map[string]struct{}, 1)
		idx[key] = set
	}
	set[personID] = struct{}{}
}

func removeFrom(idx map[string]map[string]struct{}, key, personID string) {
	if set := idx[key]; set != nil {
		delete(set, personID)
		if len(set) == 0 {
			delete(idx, key)
		}
	}
}

func (s *Store) setCheckpoint(stream string, cp syncer.Checkpoint, size int64) {
	s.liveBytes += size - s.checkpoints[stream].size
	s.checkpoints[stream] = cpEntry{cp: cp, size: size}
}

// setMeta stores value, which the store owns from now on, under key, or
// deletes key when value is nil; s.mu is held.
func (s *Store) setMeta(key string, value []byte, size int64) {
	s.liveBytes -= s.meta[key].size
	if value == nil {
		delete(s.meta, key)
		return
	}
	s.liveBytes += size
	s.meta[key] = metaEntry{value: value, size: size}
}

// check returns the error a method must return before doing anything.
func (s *Store) check(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if s.closed.Load() {
		return ErrClosed
	}
	return nil
}

// LinksByPerson implements [syncer.Store].
func (s *Store) LinksByPerson(ctx context.Context, personIDs []string) (map[string]*syncer.Link, error) {
	if err := s.check(ctx); err != nil {
		return nil, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make(map[string]*syncer.Link, len(personIDs))
	for _, id := range personIDs {
		if e, ok := s.byPerson[id]; ok {
			out[id] = e.link.Clone()
		}
	}
	return out, nil
}

// LinksByEmail implements [syncer.Store]. The empty email matches nothing.
func (s *Store) LinksByEmail(ctx context.Context, emails []string) (map[string][]*syncer.Link, error) {
	if err := s.check(ctx); err != nil {
		return nil, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make(map[string][]*syncer.Link)
	for _, e := range emails {
		set := s.byEmail[e]
		if len(set) == 0 || out[e] != nil {
			continue
		}
		ls := make([]*syncer.Link, 0, len(set))
		for pid := range set {
			ls = append(ls, s.byPerson[pid].link.Clone())
		}
		out[e] = ls
	}
	return out, nil
}

// LinkByContact implements [syncer.Store]. When several links hold
// contactID, the one written last is returned. The empty contact id matches
// nothing.
func (s *Store) LinkByContact(ctx context.Context, contactID string) (*syncer.Link, error) {
	if err := s.check(ctx); err != nil {
		return nil, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	best := s.holder(contactID)
	if best == nil {
		return nil, syncer.ErrNotFound
	}
	return best.link.Clone(), nil
}

// holder returns the entry written last among those holding contactID, or
// nil. s.mu must be held.
func (s *Store) holder(contactID string) *entry {
	var best *entry
	for pid := range s.byContact[contactID] {
		if e := s.byPerson[pid]; best == nil || e.ver > best.ver {
			best = e
		}
	}
	return best
}

// LinksByContact implements [syncer.Store]: LinkByContact for many
// contacts under one read lock.
func (s *Store) LinksByContact(ctx context.Context, contactIDs []string) (map[string]*syncer.Link, error) {
	if err := s.check(ctx); err != nil {
		return nil, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make(map[string]*syncer.Link, len(contactIDs))
	for _, id := range contactIDs {
		if best := s.holder(id); id != "" && best != nil {
			out[id] = best.link.Clone()
		}
	}
	return out, nil
}

// LinksToRetry implements [syncer.Store]. Links with the same NextRetry
// come in PersonID order; a limit of zero or less means no limit.
func (s *Store) LinksToRetry(ctx context.Context, now time.Time, limit int) ([]*syncer.Link, error) {
	if err := s.check(ctx); err != nil {
		return nil, err
	}
	s.mu.RLock()
	var due []*syncer.Link
	for pid := range s.failing {
		if l := s.byPerson[pid].link; !l.NextRetry.After(now) {
			due = append(due, l)
		}
	}
	slices.SortFunc(due, func(a, b *syncer.Link) int {
		if c := a.NextRetry.Compare(b.NextRetry); c != 0 {
			return c
		}
		return strings.Compare(a.PersonID, b.PersonID)
	})
	if limit > 0 && len(due) > limit {
		due = due[:limit]
	}
	out := make([]*syncer.Link, len(due))
	for i, l := range due {
		out[i] = l.Clone()
	}
	s.mu.RUnlock()
	return out, nil
}

// Checkpoint implements [syncer.Store].
func (s *Store) Checkpoint(ctx context.Context, stream string) (syncer.Checkpoint, error) {
	if err := s.check(ctx); err != nil {
		return syncer.Checkpoint{}, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	e, ok := s.checkpoints[stream]
	if !ok {
		return syncer.Checkpoint{}, syncer.ErrNotFound
	}
	return e.cp, nil
}

// PutLinks implements [syncer.Store]. The batch is one log record, synced
// to disk before PutLinks returns: after a crash either the whole batch is
// there or none of it. Nil links and links without a PersonID are skipped.
func (s *Store) PutLinks(ctx context.Context, links []*syncer.Link) error {
	if err := s.check(ctx); err != nil {
		return err
	}
	keep := make([]*syncer.Link, 0, len(links))
	enc := make([][]byte, 0, len(links))
	for _, l := range links {
		if l == nil || l.PersonID == "" {
			continue
		}
		b, err := encodeLink(l)
		if err != nil {
			return err
		}
		keep = append(keep, l.Clone())
		enc = append(enc, b)
	}
	if len(keep) == 0 {
		return nil
	}
	return s.write(ctx, func(seq uint64) []byte { return encodeLinksRecord(seq, enc) }, func() {
		for i, l := range keep {
			s.setLink(l, int64(len(enc[i])))
		}
	})
}

// PutCheckpoint implements [syncer.Store]. The checkpoint is synced to
// disk before PutCheckpoint returns.
func (s *Store) PutCheckpoint(ctx context.Context, stream string, cp syncer.Checkpoint) error {
	if err := s.check(ctx); err != nil {
		return err
	}
	enc, err := encodeCheckpoint(stream, cp)
	if err != nil {
		return err
	}
	return s.write(ctx, func(seq uint64) []byte {
		return fmt.Appendf(nil, `{"seq":%d,"checkpoint":%s}`, seq, enc)
	}, func() {
		s.setCheckpoint(stream, cp, int64(len(enc)))
	})
}

// PutMeta implements [syncer.MetaStore]. The put or delete is one log
// record, synced to disk before PutMeta returns. Keys must be valid UTF-8.
func (s *Store) PutMeta(ctx context.Context, key string, value []byte) error {
	if err := s.check(ctx); err != nil {
		return err
	}
	if !utf8.ValidString(key) {
		return fmt.Errorf("filestore: put meta %q: key is not valid UTF-8", key)
	}
	if value != nil {
		value = append([]byte{}, value...)
	}
	enc, err := encodeMeta(key, value)
	if err != nil {
		return err
	}
	return s.write(ctx, func(seq uint64) []byte {
		return fmt.Appendf(nil, `{"seq":%d,"meta":%s}`, seq, enc)
	}, func() {
		s.setMeta(key, value, int64(len(enc)))
	})
}

// Meta implements [syncer.MetaStore].
func (s *Store) Meta(ctx context.Context, key string) ([]byte, error) {
	if err := s.check(ctx); err != nil {
		return nil, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	e, ok := s.meta[key]
	if !ok {
		return nil, fmt.Errorf("filestore: meta %q: %w", key, syncer.ErrNotFound)
	}
	return append([]byte{}, e.value...), nil
}

// MetaByPrefix implements [syncer.MetaStore]. It looks at every key, which
// suits the few hundred keys the engine keeps.
func (s *Store) MetaByPrefix(ctx context.Context, prefix string) (map[string][]byte, error) {
	if err := s.check(ctx); err != nil {
		return nil, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make(map[string][]byte)
	for k, e := range s.meta {
		if strings.HasPrefix(k, prefix) {
			out[k] = append([]byte{}, e.value...)
		}
	}
	return out, nil
}

// ListLinks implements [syncer.LinkLister]. Person ids are kept sorted, so
// a page costs a binary search for q.After and a scan of the following
// persons until the page is full: cheap when the filters match many links,
// up to one look at every later link when they match few.
func (s *Store) ListLinks(ctx context.Context, q syncer.LinkQuery) ([]*syncer.Link, error) {
	if err := s.check(ctx); err != nil {
		return nil, err
	}
	limit := q.Limit
	if limit <= 0 {
		limit = syncer.DefaultLinkQueryLimit
	}
	limit = min(limit, syncer.MaxLinkQueryLimit)
	s.mu.RLock()
	if len(s.pending) > 0 {
		s.mu.RUnlock()
		s.mu.Lock()
		s.mergePending()
		s.mu.Unlock()
		// Persons added from here on were written during this call; the
		// listing may leave them out.
		s.mu.RLock()
	}
	defer s.mu.RUnlock()
	i, found := slices.BinarySearch(s.sorted, q.After)
	if found {
		i++
	}
	var out []*syncer.Link
	for _, id := range s.sorted[i:] {
		l := s.byPerson[id].link
		if (len(q.States) == 0 || slices.Contains(q.States, l.State)) &&
			(q.Account == "" || l.Account == q.Account) &&
			(q.Reason == "" || l.Reason == q.Reason) {
			out = append(out, l.Clone())
			if len(out) == limit {
				break
			}
		}
	}
	return out, nil
}

// mergePending merges the pending person ids into sorted; s.mu is held.
func (s *Store) mergePending() {
	slices.Sort(s.pending)
	merged := make([]string, 0, len(s.sorted)+len(s.pending))
	a, b := s.sorted, s.pending
	for len(a) > 0 && len(b) > 0 {
		if a[0] < b[0] {
			merged, a = append(merged, a[0]), a[1:]
		} else {
			merged, b = append(merged, b[0]), b[1:]
		}
	}
	merged = append(append(merged, a...), b...)
	s.sorted, s.pending = merged, nil
}

// CountLinks implements [syncer.LinkLister].
func (s *Store) CountLinks(ctx context.Context) ([]syncer.LinkCount, error) {
	if err := s.check(ctx); err != nil {
		return nil, err
	}
	type group struct {
		account string
		state   syncer.LinkState
		reason  string
	}
	n := make(map[group]int)
	s.mu.RLock()
	for _, e := range s.byPerson {
		n[group{e.link.Account, e.link.State, e.link.Reason}]++
	}
	s.mu.RUnlock()
	out := make([]syncer.LinkCount, 0, len(n))
	for g, c := range n {
		out = append(out, syncer.LinkCount{Account: g.account, State: g.state, Reason: g.reason, N: c})
	}
	slices.SortFunc(out, func(a, b syncer.LinkCount) int {
		return cmp.Or(strings.Compare(a.Account, b.Account), strings.Compare(string(a.State), string(b.State)),
			strings.Compare(a.Reason, b.Reason))
	})
	return out, nil
}

// write appends the record that payload builds for the next sequence
// number, syncs it, then runs apply under the state lock.
func (s *Store) write(ctx context.Context, payload func(seq uint64) []byte, apply func()) error {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	if err := s.check(ctx); err != nil {
		return err
	}
	if s.failed != nil {
		return fmt.Errorf("filestore: store is read-only after an earlier write error: %w", s.failed)
	}
	seq := s.seq + 1
	if err := s.append(payload(seq)); err != nil {
		return err
	}
	s.seq = seq
	s.mu.Lock()
	apply()
	s.mu.Unlock()
	s.maybeCompact()
	return nil
}

// append writes one frame at the end of the log and syncs it; s.wmu is
// held. On failure the log is cut back to its old size so no partial frame
// stays in front of later ones.
func (s *Store) append(payload []byte) error {
	frame := appendFrame(make([]byte, 0, frameHeader+len(payload)), payload)
	if _, err := s.wal.WriteAt(frame, s.walSize); err != nil {
		if terr := s.wal.Truncate(s.walSize); terr != nil {
			s.failed = errors.Join(err, terr)
		}
		return fmt.Errorf("filestore: write log: %w", err)
	}
	if err := s.wal.Sync(); err != nil {
		// After a failed fsync the state of the file is unknown.
		s.failed = err
		return fmt.Errorf("filestore: sync log: %w", err)
	}
	s.walSize += int64(len(frame))
	return nil
}

// maybeCompact compacts when the log has grown past the configured ratio;
// s.wmu is held. A failure is logged: the write that triggered it is
// already durable.
func (s *Store) maybeCompact() {
	if s.opts.compactRatio <= 0 || s.walSize < s.opts.compactMin || s.walSize < s.compactAt {
		return
	}
	s.mu.RLock()
	live := s.liveBytes
	s.mu.RUnlock()
	if float64(s.walSize) <= s.opts.compactRatio*float64(live) {
		return
	}
	if err := s.compact(); err != nil {
		s.compactAt = 2 * s.walSize
		s.opts.logger.Error("filestore: compaction failed", slog.String("dir", s.dir), slog.Any("error", err))
	}
}

// Compact writes the current state to a new snapshot and starts an empty
// log. Writes wait while it runs; reads do not. Stores compact on their own
// (see [WithCompaction]), so calling it is rarely needed.
func (s *Store) Compact(ctx context.Context) error {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	if err := s.check(ctx); err != nil {
		return err
	}
	if s.failed != nil {
		return fmt.Errorf("filestore: store is read-only after an earlier write error: %w", s.failed)
	}
	return s.compact()
}

// compact writes the snapshot atomically (temp file, fsync, rename, fsync
// directory), then replaces the log with an empty one the same way. A crash
// between the two leaves the new snapshot and the old log, whose records
// the snapshot already holds and replay skips. s.wmu is held.
func (s *Store) compact() error {
	before := s.walSize
	if err := s.writeSnapshot(); err != nil {
		return err
	}
	old := s.wal
	if err := s.newWAL(); err != nil {
		return err
	}
	old.Close()
	s.compactAt = 0
	s.opts.logger.Info("filestore: compacted",
		slog.String("dir", s.dir), slog.Int64("log_bytes", before), slog.Uint64("seq", s.seq))
	return nil
}

func (s *Store) writeSnapshot() error {
	s.mu.RLock()
	entries := slices.SortedFunc(maps.Values(s.byPerson), func(a, b *entry) int { return cmp.Compare(a.ver, b.ver) })
	streams := slices.Sorted(maps.Keys(s.checkpoints))
	cps := make([]syncer.Checkpoint, len(streams))
	for i, name := range streams {
		cps[i] = s.checkpoints[name].cp
	}
	metaKeys := slices.Sorted(maps.Keys(s.meta))
	metaValues := make([][]byte, len(metaKeys))
	for i, k := range metaKeys {
		metaValues[i] = s.meta[k].value
	}
	// Links and meta values are immutable once stored (writes replace
	// them), so encoding can go on without the lock.
	s.mu.RUnlock()

	buf := make([]byte, 0, 1<<20)
	buf = append(buf, snapHeader...)
	const perFrame = 500
	for start := 0; start < len(entries); start += perFrame {
		chunk := entries[start:min(start+perFrame, len(entries))]
		enc := make([][]byte, len(chunk))
		for i, e := range chunk {
			b, err := encodeLink(e.link)
			if err != nil {
				return err
			}
			enc[i] = b
		}
		buf = appendFrame(buf, encodeLinksRecord(0, enc))
	}
	for i, name := range streams {
		enc, err := encodeCheckpoint(name, cps[i])
		if err != nil {
			return err
		}
		buf = appendFrame(buf, fmt.Appendf(nil, `{"checkpoint":%s}`, enc))
	}
	for i, k := range metaKeys {
		enc, err := encodeMeta(k, metaValues[i])
		if err != nil {
			return err
		}
		buf = appendFrame(buf, fmt.Appendf(nil, `{"meta":%s}`, enc))
	}
	buf = appendFrame(buf, fmt.Appendf(nil, `{"seq":%d,"end":{"links":%d,"checkpoints":%d,"meta":%d}}`,
		s.seq, len(entries), len(streams), len(metaKeys)))
	f, err := s.replaceFile(snapName, buf)
	if err != nil {
		return err
	}
	return f.Close()
}

// newWAL atomically replaces the log with an empty one and opens it;
// s.wmu is held (or the store is being opened).
func (s *Store) newWAL() error {
	f, err := s.replaceFile(walName, walHeader)
	if err != nil {
		return err
	}
	s.wal, s.walSize = f, int64(len(walHeader))
	return nil
}

// replaceFile atomically replaces the file name in the store directory
// with data and returns it open for reading and writing.
func (s *Store) replaceFile(name string, data []byte) (*os.File, error) {
	final := filepath.Join(s.dir, name)
	tmp := final + tmpExt
	f, err := os.OpenFile(tmp, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return nil, fmt.Errorf("filestore: create %s: %w", name, err)
	}
	fail := func(err error) (*os.File, error) {
		f.Close()
		os.Remove(tmp)
		return nil, fmt.Errorf("filestore: write %s: %w", name, err)
	}
	if _, err := f.Write(data); err != nil {
		return fail(err)
	}
	if err := f.Sync(); err != nil {
		return fail(err)
	}
	if err := os.Rename(tmp, final); err != nil {
		return fail(err)
	}
	if err := syncDir(s.dir); err != nil {
		// The rename may or may not survive a crash; either way the
		// files are consistent, but report it.
		f.Close()
		return nil, fmt.Errorf("filestore: write %s: %w", name, err)
	}
	return f, nil
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// Len returns the number of links stored.
func (s *Store) Len() int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return len(s.byPerson)
}

// Close releases the directory. Pending writes finish first; later calls
// of any method return [ErrClosed], and Close itself returns nil when
// called again.
func (s *Store) Close() error {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	if s.closed.Swap(true) {
		return nil
	}
	return errors.Join(s.wal.Close(), unlockDir(s.lock))
}
