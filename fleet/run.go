package fleet

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivertype"

	"github.com/cardbridge/sansanhubspot/hubspot"
	"github.com/cardbridge/sansanhubspot/sansan"
	"github.com/cardbridge/sansanhubspot/syncer"
	"github.com/cardbridge/sansanhubspot/syncer/pgstore"
)

// Defaults of RunOptions.
const (
	DefaultWorkers         = 10
	DefaultEngineCacheSize = 256
	DefaultPassTimeout     = 30 * time.Minute
	DefaultNotifyRecheck   = time.Second
	DefaultEnsureInterval  = time.Minute
	DefaultShutdownTimeout = 30 * time.Second
	// DefaultCompletedJobRetention bounds River's table; River's own
	// default is a day.
	DefaultCompletedJobRetention = time.Hour
)

// RunOptions configures Run. Every field has a documented default.
type RunOptions struct {
	// Workers is the number of passes (and notify jobs) this replica runs
	// at once (DefaultWorkers when 0).
	Workers int
	// ReplicaID names this replica in River and in Status.RunningOn
	// (hostname-pid when empty).
	ReplicaID string
	// EngineCacheSize bounds the engines kept warm on this replica
	// (DefaultEngineCacheSize when 0). A connection whose engine was
	// evicted runs its preflight again on its next pass here.
	EngineCacheSize int
	// PassTimeout bounds one pass: its context is cancelled after it
	// (River's job timeout; DefaultPassTimeout when 0). An initial sync
	// that does not fit resumes from its checkpoints on the retry.
	PassTimeout time.Duration
	// RescueAfter is how long a pass may stay "running" before River's
	// rescuer treats its replica as dead and makes the job retryable, to
	// resume on another replica. It must exceed PassTimeout (PassTimeout +
	// 1 minute when 0). River's rescuer runs every 30 s, so a killed
	// replica's passes resume between RescueAfter and RescueAfter + 30 s
	// after they started.
	RescueAfter time.Duration
	// DailyLimitPause is how long a connection without Spec.TimeZone
	// snoozes after hubspot.ErrDailyLimit (syncer.DailyLimitPause when 0).
	DailyLimitPause time.Duration
	// NotifyRecheck is how often a notify job looks again while the
	// connection's pass is running (DefaultNotifyRecheck when 0).
	NotifyRecheck time.Duration
	// EnsureInterval is the period of the job that re-schedules active
	// connections that lost their pass job (DefaultEnsureInterval when 0).
	EnsureInterval time.Duration
	// ShutdownTimeout bounds the graceful stop after ctx ends: running
	// passes get this long to finish before their contexts are cancelled
	// (DefaultShutdownTimeout when 0).
	ShutdownTimeout time.Duration
	// CompletedJobRetention is how long completed pass jobs stay in
	// River's table (one row per pass) before River's cleaner deletes them
	// (DefaultCompletedJobRetention when 0): 1,000 connections passing
	// every minute keep about 60,000 rows at the default.
	CompletedJobRetention time.Duration
	// FetchPollInterval is how often River polls for jobs when no
	// notification arrives (River's default, 1 s, when 0).
	FetchPollInterval time.Duration
	// HTTPClient is shared by every connection's API clients on this
	// replica (a client with the SDK's default timeouts when nil).
	HTTPClient *http.Client
	// HubSpotOptions and SansanOptions add client options per connection
	// (and Sansan account), e.g. rate limits for a portal's tier.
	HubSpotOptions func(c *Connection) []hubspot.Option
	SansanOptions  func(c *Connection, account string) []sansan.Option
}

// Run works the fleet's jobs on this replica until ctx ends: it starts a
// River client with opts.Workers workers on the fleet's queue and returns
// nil after a graceful stop, or an error if River cannot start. Run it on
// every replica; River spreads the passes, and its leader (one replica at
// a time) rescues stuck jobs and runs the periodic checks.
func Run(ctx context.Context, f *Fleet, opts RunOptions) error {
	if f.secrets == nil {
		return errors.New("fleet: run: config has no SecretSource")
	}
	opts = withRunDefaults(opts)
	if opts.RescueAfter <= opts.PassTimeout {
		return fmt.Errorf("fleet: run: RescueAfter (%v) must exceed PassTimeout (%v)", opts.RescueAfter, opts.PassTimeout)
	}
	r := &runner{f: f, opts: opts, log: f.log.With("replica", opts.ReplicaID)}
	r.cache = newEngineCache(opts.EngineCacheSize, f.metrics.cached)
	workers := river.NewWorkers()
	river.AddWorker(workers, &passWorker{r: r})
	river.AddWorker(workers, &notifyWorker{r: r})
	river.AddWorker(workers, &ensureWorker{r: r})
	client, err := river.NewClient(f.driver, &river.Config{
		ID:                   opts.ReplicaID,
		Schema:               f.schema,
		Logger:               riverLogger(f.log),
		Queues:               map[string]river.QueueConfig{QueueName: {MaxWorkers: opts.Workers}},
		Workers:              workers,
		JobTimeout:           opts.PassTimeout,
		RescueStuckJobsAfter: opts.RescueAfter,
		// One row per pass: keep the table small.
		CompletedJobRetentionPeriod: opts.CompletedJobRetention,
		FetchPollInterval:           opts.FetchPollInterval,
		FetchCooldown:               min(opts.FetchPollInterval, 100*time.Millisecond),
		PeriodicJobs: []*river.PeriodicJob{river.NewPeriodicJob(river.PeriodicInterval(opts.EnsureInterval),
			func() (river.JobArgs, *river.InsertOpts) { return EnsureArgs{}, nil },
			&river.PeriodicJobOpts{ID: KindEnsure, RunOnStart: true})},
	})
	if err != nil {
		return fmt.Errorf("fleet: run: river client: %w", err)
	}
	runCtx, cancelRun := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelRun()
	if err := client.Start(runCtx); err != nil {
		return fmt.Errorf("fleet: run: start river: %w", err)
	}
	r.log.InfoContext(ctx, "fleet replica started", "workers", opts.Workers)
	<-ctx.Done()
	stopCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), opts.ShutdownTimeout)
	defer cancel()
	if err := client.Stop(stopCtx); err != nil {
		r.log.WarnContext(ctx, "graceful stop timed out; cancelling running passes", "error", err)
		hardCtx, cancelHard := context.WithTimeout(context.WithoutCancel(ctx), opts.ShutdownTimeout)
		defer cancelHard()
		_ = client.StopAndCancel(hardCtx)
	}
	r.log.InfoContext(ctx, "fleet replica stopped")
	return nil
}

func withRunDefaults(o RunOptions) RunOptions {
	if o.Workers <= 0 {
		o.Workers = DefaultWorkers
	}
	if o.ReplicaID == "" {
		host, _ := os.Hostname()
		o.ReplicaID = host + "-" + strconv.Itoa(os.Getpid())
	}
	if o.EngineCacheSize <= 0 {
		o.EngineCacheSize = DefaultEngineCacheSize
	}
	if o.PassTimeout <= 0 {
		o.PassTimeout = DefaultPassTimeout
	}
	if o.RescueAfter == 0 {
		o.RescueAfter = o.PassTimeout + time.Minute
	}
	if o.DailyLimitPause <= 0 {
		o.DailyLimitPause = syncer.DailyLimitPause
	}
	if o.NotifyRecheck <= 0 {
		o.NotifyRecheck = DefaultNotifyRecheck
	}
	if o.EnsureInterval <= 0 {
		o.EnsureInterval = DefaultEnsureInterval
	}
	if o.CompletedJobRetention <= 0 {
		o.CompletedJobRetention = DefaultCompletedJobRetention
	}
	if o.ShutdownTimeout <= 0 {
		o.ShutdownTimeout = DefaultShutdownTimeout
	}
	if o.HTTPClient == nil {
		o.HTTPClient = &http.Client{Transport: http.DefaultTransport.(*http.Transport).Clone()}
	}
	return o
}

// runner is one replica's worker state.
type runner struct {
	f     *Fleet
	opts  RunOptions
	log   *slog.Logger
	cache *engineCache
}

// maxEventsPerPass bounds the webhook events one pass applies; the rest
// wait for the next pass, which then starts at once.
const maxEventsPerPass = 5000

type passWorker struct {
	river.WorkerDefaults[PassArgs]
	r *runner
}

// Work runs one pass of a connection.
func (w *passWorker) Work(ctx context.Context, job *river.Job[PassArgs]) error {
	return w.r.pass(ctx, job)
}

func (r *runner) pass(ctx context.Context, job *river.Job[PassArgs]) error {
	id := job.Args.ConnectionID
	conn, err := r.f.load(ctx, id)
	if errors.Is(err, ErrNotFound) {
		r.cache.evict(id)
		return nil // removed: nothing to schedule
	}
	if err != nil {
		return err
	}
	if conn.State != StateActive {
		return nil // paused or needs attention: Resume/Update schedules again
	}
	log := r.log.With("connection", id, "attempt", job.Attempt)
	ctx = withPass(ctx, PassInfo{ConnectionID: id, JobID: job.ID, Attempt: job.Attempt, Replica: r.opts.ReplicaID})
	start := time.Now()
	eng, err := r.engine(ctx, conn)
	if err != nil {
		if reason, ok := attention(err); ok {
			return r.needsAttention(ctx, conn, nil, err, reason, start)
		}
		log.WarnContext(ctx, "cannot build engine", "error", err)
		return r.failed(ctx, job, conn, nil, err, start)
	}
	if err := r.f.passStarted(ctx, id, r.opts.ReplicaID); err != nil {
		return err
	}
	events, lastEvent, err := r.f.pendingEvents(ctx, id, maxEventsPerPass)
	if err != nil {
		return err
	}
	if events = relevantEvents(conn.Spec.Direction, events); len(events) > 0 {
		if err := eng.Notify(ctx, events); err != nil {
			return r.failed(ctx, job, conn, nil, err, start)
		}
	}
	rep, err := eng.SyncOnce(ctx)
	if err == nil {
		r.f.metrics.pass(id, "ok", rep, time.Since(start))
		return r.complete(ctx, job, conn, rep, "", lastEvent)
	}
	if reason, ok := attention(err); ok {
		return r.needsAttention(ctx, conn, rep, err, reason, start)
	}
	switch {
	case errors.Is(err, hubspot.ErrDailyLimit):
		d := r.dailyLimitSnooze(conn, time.Now())
		log.WarnContext(ctx, "hubspot daily limit reached; snoozing", "for", d)
		r.f.metrics.pass(id, "daily_limit", rep, time.Since(start))
		r.ended(ctx, conn, rep, err.Error())
		return river.JobSnooze(d)
	case errors.Is(ctx.Err(), context.Canceled):
		// The replica is stopping: hand the pass to another replica now;
		// it resumes from the checkpoints.
		r.f.metrics.pass(id, "interrupted", rep, time.Since(start))
		r.ended(ctx, conn, rep, "interrupted: replica stopping")
		return river.JobSnooze(0)
	}
	return r.failed(ctx, job, conn, rep, err, start)
}

// relevantEvents keeps the webhook events an engine of the direction uses:
// all of them when contacts flow to Sansan; otherwise only merges and
// deletions, which re-point or drop links (the engine reads changed
// contacts by id only when it syncs HubSpot → Sansan).
func relevantEvents(dir syncer.Direction, events []hubspot.WebhookEvent) []hubspot.WebhookEvent {
	if dir != syncer.SansanToHubSpot {
		return events
	}
	var out []hubspot.WebhookEvent
	for _, ev := range events {
		switch ev.SubscriptionType {
		case hubspot.SubscriptionContactMerge, hubspot.SubscriptionContactDeletion, hubspot.SubscriptionContactPrivacyDeletion:
			out = append(out, ev)
		}
	}
	return out
}

// failed handles a transient failure: River retries with its backoff,
// and after the last attempt the next pass is scheduled as usual.
func (r *runner) failed(ctx context.Context, job *river.Job[PassArgs], conn *Connection, rep *syncer.Report, err error, start time.Time) error {
	r.f.metrics.pass(conn.ID, "failed", rep, time.Since(start))
	r.log.WarnContext(ctx, "pass failed", "connection", conn.ID, "attempt", job.Attempt, "error", err)
	if job.Attempt >= job.MaxAttempts {
		return r.complete(ctx, job, conn, rep, err.Error(), 0)
	}
	r.ended(ctx, conn, rep, err.Error())
	return err
}

// ended records the end of a pass that is not completed here.
func (r *runner) ended(ctx context.Context, conn *Connection, rep *syncer.Report, errText string) {
	dctx, cancel := detached(ctx)
	defer cancel()
	if err := r.f.passEnded(dctx, r.f.pool, conn.ID, rep, errText); err != nil {
		r.log.WarnContext(ctx, "cannot record pass end", "connection", conn.ID, "error", err)
	}
}

// complete finishes the pass job and schedules the next pass in one
// transaction: after Interval, or at once when webhook events arrived
// during the pass.
func (r *runner) complete(ctx context.Context, job *river.Job[PassArgs], conn *Connection, rep *syncer.Report, errText string, lastEvent int64) error {
	client := river.ClientFromContext[pgx.Tx](ctx)
	dctx, cancel := detached(ctx)
	defer cancel()
	err := r.f.inTx(dctx, func(tx pgx.Tx) error {
		if lastEvent > 0 {
			if _, err := tx.Exec(dctx, `DELETE FROM `+r.f.tEvents+` WHERE connection_id = $1 AND id <= $2`, conn.ID, lastEvent); err != nil {
				return fmt.Errorf("fleet: delete applied events: %w", err)
			}
		}
		if err := r.f.passEnded(dctx, tx, conn.ID, rep, errText); err != nil {
			return err
		}
		var more bool
		if err := tx.QueryRow(dctx, `SELECT EXISTS (SELECT 1 FROM `+r.f.tEvents+` WHERE connection_id = $1)`, conn.ID).Scan(&more); err != nil {
			return fmt.Errorf("fleet: check pending events: %w", err)
		}
		if _, err := river.JobCompleteTx[*riverpgxv5.Driver](dctx, tx, job); err != nil {
			return fmt.Errorf("fleet: complete pass job: %w", err)
		}
		next := time.Now().Add(conn.Spec.interval())
		if more {
			next = time.Now()
		}
		if _, err := client.InsertTx(dctx, tx, PassArgs{ConnectionID: conn.ID}, &river.InsertOpts{ScheduledAt: next}); err != nil {
			return fmt.Errorf("fleet: schedule next pass: %w", err)
		}
		return nil
	})
	if err != nil {
		return err
	}
	return nil
}

// needsAttention stops scheduling a connection no retry can help.
func (r *runner) needsAttention(ctx context.Context, conn *Connection, rep *syncer.Report, cause error, reason string, start time.Time) error {
	r.cache.evict(conn.ID)
	r.f.metrics.pass(conn.ID, "needs_attention", rep, time.Since(start))
	r.log.ErrorContext(ctx, "connection needs attention", "connection", conn.ID, "reason", reason, "error", cause)
	dctx, cancel := detached(ctx)
	defer cancel()
	marked, err := r.f.markNeedsAttention(dctx, conn.ID, conn.Version, reason)
	if err != nil {
		return err
	}
	r.ended(ctx, conn, rep, cause.Error())
	if !marked {
		// Updated during the pass: try the new spec.
		return river.JobSnooze(0)
	}
	return river.JobCancel(fmt.Errorf("fleet: connection %s needs attention: %s: %w", conn.ID, reason, cause))
}

// attention classifies errors that no retry fixes, with a reason for the
// operator (never containing a secret).
func attention(err error) (string, bool) {
	switch {
	case errors.Is(err, sansan.ErrUnauthorized), errors.Is(err, sansan.ErrInvalidAPIKey):
		return "Sansan rejected an API key", true
	case errors.Is(err, hubspot.ErrUnauthorized):
		return "HubSpot rejected the access token", true
	case errors.Is(err, hubspot.ErrForbidden):
		return "HubSpot refused access: the app lacks a contacts scope", true
	case errors.Is(err, ErrNoSecrets):
		return "secrets missing for the connection", true
	case errors.Is(err, ErrSealing):
		return "secrets cannot be opened with the keyring", true
	case errors.Is(err, syncer.ErrConfig), errors.Is(err, ErrInvalidSpec):
		return "invalid configuration: " + err.Error(), true
	}
	return "", false
}

// dailyLimitSnooze is how long a connection waits for HubSpot's daily
// limit to reset: until a minute past midnight in the portal's time zone,
// or DailyLimitPause when the zone is unknown.
func (r *runner) dailyLimitSnooze(conn *Connection, now time.Time) time.Duration {
	return dailyLimitSnooze(conn.Spec.TimeZone, now, r.opts.DailyLimitPause)
}

func dailyLimitSnooze(zone string, now time.Time, fallback time.Duration) time.Duration {
	loc, err := time.LoadLocation(zone)
	if zone == "" || err != nil {
		return fallback
	}
	local := now.In(loc)
	midnight := time.Date(local.Year(), local.Month(), local.Day()+1, 0, 1, 0, 0, loc)
	return midnight.Sub(now)
}

// engine returns the connection's warm engine, building it on a miss.
func (r *runner) engine(ctx context.Context, conn *Connection) (*syncer.Engine, error) {
	if eng, ok := r.cache.get(conn.ID, conn.Version); ok {
		return eng, nil
	}
	sec, err := r.f.secrets.Secrets(ctx, conn.ID)
	if err != nil {
		return nil, fmt.Errorf("fleet: secrets of %s: %w", conn.ID, err)
	}
	if err := sec.check(&conn.Spec); err != nil {
		return nil, err
	}
	cfg, err := r.engineConfig(conn, sec)
	if err != nil {
		return nil, err
	}
	eng, err := syncer.New(cfg)
	if err != nil {
		return nil, fmt.Errorf("fleet: engine of %s: %w", conn.ID, err)
	}
	r.cache.put(conn.ID, conn.Version, eng)
	return eng, nil
}

// engineConfig turns a connection and its secrets into a syncer.Config.
func (r *runner) engineConfig(conn *Connection, sec Secrets) (syncer.Config, error) {
	spec := &conn.Spec
	log := r.log.With("connection", conn.ID)
	hsOpts := []hubspot.Option{hubspot.WithHTTPClient(r.opts.HTTPClient), hubspot.WithLogger(log)}
	if spec.HubSpotBaseURL != "" {
		hsOpts = append(hsOpts, hubspot.WithBaseURL(spec.HubSpotBaseURL))
	}
	if r.opts.HubSpotOptions != nil {
		hsOpts = append(hsOpts, r.opts.HubSpotOptions(conn)...)
	}
	hs, err := hubspot.NewClient(sec.HubSpotToken, hsOpts...)
	if err != nil {
		return syncer.Config{}, fmt.Errorf("fleet: hubspot client of %s: %w", conn.ID, err)
	}
	accounts := make([]syncer.Account, 0, len(spec.Accounts))
	for _, a := range spec.Accounts {
		ssOpts := []sansan.Option{sansan.WithHTTPClient(r.opts.HTTPClient), sansan.WithLogger(log)}
		if a.BaseURL != "" {
			ssOpts = append(ssOpts, sansan.WithBaseURL(a.BaseURL))
		}
		if r.opts.SansanOptions != nil {
			ssOpts = append(ssOpts, r.opts.SansanOptions(conn, a.Name)...)
		}
		ss, err := sansan.NewClient(sec.SansanKeys[a.Name], ssOpts...)
		if err != nil {
			return syncer.Config{}, fmt.Errorf("fleet: sansan client %q of %s: %w", a.Name, conn.ID, err)
		}
		accounts = append(accounts, syncer.Account{Name: a.Name, Client: ss, TagIDs: a.TagIDs})
	}
	m, err := spec.mappingSet()
	if err != nil {
		return syncer.Config{}, fmt.Errorf("%w: %w", ErrInvalidSpec, err)
	}
	cfg := syncer.Config{
		HubSpot:             hs,
		Accounts:            accounts,
		Store:               pgstore.New(r.f.db, conn.ID),
		Direction:           spec.Direction,
		Mapping:             m,
		ContactFilter:       syncer.ContactFilter{Conditions: spec.ContactConditions},
		RegisterTagIDs:      spec.RegisterTagIDs,
		StopSyncingFiltered: spec.StopSyncingFiltered,
		Interval:            spec.interval(),
		Overlap:             time.Duration(spec.Overlap),
		Logger:              log,
	}
	if spec.AllowMissingEmail {
		cfg.EmailPolicy = syncer.AllowMissingEmail
	}
	if !spec.CardFilter.IsZero() {
		cfg.CardFilter = spec.CardFilter.match
	}
	return cfg, nil
}

type notifyWorker struct {
	river.WorkerDefaults[NotifyArgs]
	r *runner
}

// Timeout bounds a notify job, which only moves a pass forward.
func (w *notifyWorker) Timeout(*river.Job[NotifyArgs]) time.Duration { return 30 * time.Second }

// Work starts the connection's pass now if webhook events wait for it.
func (w *notifyWorker) Work(ctx context.Context, job *river.Job[NotifyArgs]) error {
	f := w.r.f
	id := job.Args.ConnectionID
	has, err := f.hasEvents(ctx, id)
	if err != nil || !has {
		return err
	}
	conn, err := f.load(ctx, id)
	if errors.Is(err, ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	if conn.State != StateActive {
		return nil
	}
	client := river.ClientFromContext[pgx.Tx](ctx)
	res, err := client.Insert(ctx, PassArgs{ConnectionID: id}, nil)
	if err != nil {
		return fmt.Errorf("fleet: notify: schedule pass: %w", err)
	}
	if !res.UniqueSkippedAsDuplicate {
		return nil
	}
	switch res.Job.State {
	case rivertype.JobStateScheduled:
		if _, err := client.JobRetry(ctx, res.Job.ID); err != nil {
			return fmt.Errorf("fleet: notify: move pass forward: %w", err)
		}
	case rivertype.JobStateRunning:
		// The running pass may have read the events before they arrived;
		// look again when it is done (it schedules the next pass at once
		// if events remain).
		return river.JobSnooze(w.r.opts.NotifyRecheck)
	}
	return nil
}

type ensureWorker struct {
	river.WorkerDefaults[EnsureArgs]
	r *runner
}

// Work gives every active connection without a pending pass job one.
func (w *ensureWorker) Work(ctx context.Context, _ *river.Job[EnsureArgs]) error {
	f := w.r.f
	rows, err := f.pool.Query(ctx, `SELECT c.id FROM `+f.tConns+` c WHERE c.state = 'active' AND NOT EXISTS (
	SELECT 1 FROM `+f.tJobs+` j WHERE j.kind = '`+KindPass+`' AND j.args @> jsonb_build_object('connection_id', c.id)
		AND j.state IN ('available', 'pending', 'retryable', 'running', 'scheduled'))`)
	if err != nil {
		return fmt.Errorf("fleet: ensure: %w", err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil || len(ids) == 0 {
		return err
	}
	params := make([]river.InsertManyParams, len(ids))
	for i, id := range ids {
		params[i] = river.InsertManyParams{Args: PassArgs{ConnectionID: id}}
	}
	client := river.ClientFromContext[pgx.Tx](ctx)
	if _, err := client.InsertMany(ctx, params); err != nil {
		return fmt.Errorf("fleet: ensure: %w", err)
	}
	w.r.log.InfoContext(ctx, "re-scheduled connections without a pass job", "count", len(ids))
	return nil
}
