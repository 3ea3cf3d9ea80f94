package syncer

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cardbridge/sansanhubspot/hubspot"
	"github.com/cardbridge/sansanhubspot/mapping"
	"github.com/cardbridge/sansanhubspot/sansan"
)

// Defaults used when Config leaves a field zero.
const (
	DefaultInterval = time.Minute
	DefaultOverlap  = 2 * time.Minute
)

// initialFloor is where the initial sync's window starts: Sansan requires a
// lower bound, and no card was updated before the service existed.
var initialFloor = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)

// Engine syncs Sansan cards and HubSpot contacts. Create it with New; it is
// safe for concurrent use, and concurrent passes are serialized.
type Engine struct {
	cfg     Config
	store   Store
	mapping *mapping.Set
	log     *slog.Logger
	now     func() time.Time

	passMu chan struct{} // one pass at a time
	kick   chan struct{} // Notify wakes Run for a pass now

	mu        sync.Mutex // guards the fields below
	preflight bool
	bound     bool            // the store's binding was checked
	instance  string          // names the engine in its write intents
	intentSeq atomic.Int64    // numbers its write intents
	tagOpts   map[string]bool // tag ids known as sansan_tags options
	notified  map[string]bool // contact ids queued by Notify
}

// New validates cfg and returns an Engine. Problems that need the network
// (tags, HubSpot properties) are checked by the first pass's preflight,
// before it writes anything.
func New(cfg Config) (*Engine, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	memoryStore := cfg.Store == nil
	if memoryStore {
		cfg.Store = NewMemoryStore()
	}
	if cfg.Interval == 0 {
		cfg.Interval = DefaultInterval
	}
	if cfg.Overlap == 0 {
		cfg.Overlap = DefaultOverlap
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if memoryStore {
		cfg.Logger.Warn(nilStoreWarning)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	m := cfg.Mapping
	if m == nil {
		m = mapping.Default()
	}
	e := &Engine{
		cfg:      cfg,
		store:    cfg.Store,
		mapping:  m,
		log:      cfg.Logger,
		now:      cfg.Now,
		passMu:   make(chan struct{}, 1),
		kick:     make(chan struct{}, 1),
		tagOpts:  map[string]bool{},
		notified: map[string]bool{},
		instance: newInstanceID(),
	}
	return e, nil
}

// String describes the engine by direction and account names, so %v and
// %+v of an *Engine never print the credentials its clients hold.
func (e *Engine) String() string {
	if e == nil {
		return "syncer.Engine(nil)"
	}
	names := make([]string, len(e.cfg.Accounts))
	for i, a := range e.cfg.Accounts {
		names[i] = a.Name
	}
	return fmt.Sprintf("syncer.Engine{Direction: %s, Accounts: %q}", e.cfg.Direction, names)
}

// GoString is String for %#v.
func (e *Engine) GoString() string { return e.String() }

// Store returns the engine's store.
func (e *Engine) Store() Store { return e.store }

// SyncOnce runs one pass in the configured direction and returns its
// report. The first pass of an engine runs the preflight and is the initial
// sync when the store has no checkpoint; later passes are incremental. A
// pass interrupted by an error or a cancelled ctx can simply be run again:
// links and checkpoints are saved after every batch, so it resumes without
// duplicates. Concurrent calls wait for each other.
func (e *Engine) SyncOnce(ctx context.Context) (*Report, error) {
	return e.runPass(ctx, (*pass).run)
}

// runPass runs one pass whose work is run: under the pass mutex and the
// Locker, with the report finished, handed to OnPass, saved and logged.
func (e *Engine) runPass(ctx context.Context, run func(*pass, context.Context) error) (*Report, error) {
	select {
	case e.passMu <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	defer func() { <-e.passMu }()

	if e.cfg.Locker != nil {
		held, unlock, err := e.cfg.Locker.Lock(ctx)
		if err != nil {
			return nil, err
		}
		defer unlock()
		ctx = held
		if _, ok := FenceFrom(ctx); ok {
			// No request leaves once the lease may have passed on.
			ctx = hubspot.ContextWithSendCheck(ctx, fenceCheck)
		}
	}
	p, err := e.newPass(ctx)
	if err != nil {
		return nil, err
	}
	err = run(p, sansan.ContextWithRetryHook(ctx, p.retried))
	if err != nil && !errors.Is(err, ErrFenced) {
		// A pass cut short because its lease's validity ended says so,
		// whatever it was doing when its context ended.
		if ferr := CheckFence(ctx); ferr != nil {
			err = fmt.Errorf("%w: %w", ferr, err)
		}
	}
	p.finish()
	p.rep.Err = err
	if e.cfg.OnPass != nil {
		e.cfg.OnPass(p.rep, err)
	}
	e.saveReport(ctx, p.rep)
	if err != nil {
		if ctx.Err() != nil && errors.Is(err, context.Canceled) && !errors.Is(err, ErrFenced) {
			// A clean stop (SIGTERM, a cancelled Run): nothing failed.
			e.log.InfoContext(ctx, "sync pass stopped", "error", err, "direction", e.cfg.Direction.String())
		} else {
			e.log.ErrorContext(ctx, "sync pass failed", "error", err, "direction", e.cfg.Direction.String())
		}
		return p.rep, err
	}
	e.log.InfoContext(ctx, "sync pass done", "direction", e.cfg.Direction.String(),
		"created", p.rep.Created, "updated", p.rep.Updated, "unchanged", p.rep.Unchanged,
		"excluded", p.rep.Excluded, "failed", p.rep.Failed, "duration", p.rep.Duration)
	return p.rep, nil
}

// Run syncs until ctx ends: a pass immediately (the initial sync on a new
// store), then one every Interval. With a nil Config.Store the links and
// checkpoints live in memory, so every restart of the process re-does the
// initial sync: give a service a durable Store. A failed pass is logged
// and retried with backoff; a HubSpot daily-limit error pauses passes
// until DailyLimitPause has passed. Run returns nil when ctx is
// cancelled, and an error only for problems no retry can fix (invalid
// configuration, rejected credentials).
func (e *Engine) Run(ctx context.Context) error {
	failures := 0
	for {
		_, err := e.SyncOnce(ctx)
		if ctx.Err() != nil {
			return nil
		}
		wait := e.cfg.Interval
		switch {
		case err == nil:
			failures = 0
		case errors.Is(err, ErrLocked):
			// Another replica is syncing; try again next interval.
			failures = 0
		case errors.Is(err, ErrConfig), isUnauthorized(err):
			return err
		case errors.Is(err, hubspot.ErrDailyLimit):
			wait = DailyLimitPause
			e.log.WarnContext(ctx, "hubspot daily limit reached; pausing", "pause", wait)
		default:
			failures++
			wait = min(e.cfg.Interval, time.Duration(1<<min(failures, 10))*time.Second)
			e.log.WarnContext(ctx, "sync pass failed; retrying", "error", err, "in", wait)
		}
		if err := e.wait(ctx, wait); err != nil {
			return nil
		}
	}
}

// DailyLimitPause is how long Run waits after HubSpot's daily limit stops a
// pass. HubSpot resets the limit at midnight in the account's time zone,
// which the API does not reveal, so Run probes again every hour.
var DailyLimitPause = time.Hour

// wait sleeps for d, or until Notify queues contacts, or ctx ends.
func (e *Engine) wait(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	case <-e.kick:
		return nil
	}
}

// pageSize is the Sansan listing page size of the engine's passes.
func (e *Engine) pageSize() int {
	if e.cfg.PageSize > 0 {
		return e.cfg.PageSize
	}
	return MaxPageSize
}

// hubspotRate is the HubSpot client's request rate per second, for the
// automatic write concurrency; +Inf when the client has no limiter.
func (e *Engine) hubspotRate() float64 { return float64(e.cfg.HubSpot.RateLimit()) }

func wrapf(err error, format string, args ...any) error {
	return fmt.Errorf(format+": %w", append(args, err)...)
}
