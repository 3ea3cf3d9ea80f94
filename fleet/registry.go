package fleet

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/riverqueue/river/rivertype"

	"github.com/cardbridge/sansanhubspot/syncer"
)

// State is a connection's lifecycle state.
type State string

// States of a connection.
const (
	// StateActive connections are scheduled: a pass every Interval.
	StateActive State = "active"
	// StatePaused connections are not scheduled until Resume.
	StatePaused State = "paused"
	// StateNeedsAttention connections stopped because no retry can help
	// (rejected credentials, invalid configuration, missing secrets); the
	// reason says why. Update (or Resume) schedules them again.
	StateNeedsAttention State = "needs_attention"
)

// Connection is one registered connection: a HubSpot portal fed by one or
// more Sansan keys, with its state and the status of its passes.
type Connection struct {
	// ID identifies the connection; it is also the pgstore connection key
	// of its links and checkpoints.
	ID string `json:"id"`
	// Spec is the configuration.
	Spec Spec `json:"spec"`
	// State and Reason say whether the connection is scheduled and, when
	// it needs attention, why.
	State  State  `json:"state"`
	Reason string `json:"reason,omitempty"`
	// Version increases with every Update; replicas rebuild their cached
	// engine when it changes.
	Version int64 `json:"version"`
	// CreatedAt and UpdatedAt are registry timestamps.
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
	// Status describes the connection's passes.
	Status Status `json:"status"`
}

// Status is the observable state of a connection's passes.
type Status struct {
	// LastPassStarted and LastPassEnded time the latest pass (zero before
	// the first).
	LastPassStarted time.Time `json:"last_pass_started,omitzero"`
	LastPassEnded   time.Time `json:"last_pass_ended,omitzero"`
	// LastReport holds the totals of the latest pass that returned a
	// report.
	LastReport *ReportTotals `json:"last_report,omitempty"`
	// LastError is the latest failed pass's error ("" after a success).
	LastError string `json:"last_error,omitempty"`
	// Passes and Failures count passes since the connection was added;
	// ConsecutiveFailures counts failed passes since the last success.
	Passes              int64 `json:"passes"`
	Failures            int64 `json:"failures"`
	ConsecutiveFailures int   `json:"consecutive_failures"`
	// RunningOn is the replica running a pass now ("" when none).
	RunningOn string `json:"running_on,omitempty"`
	// NextRun is when the connection's pending pass job is due, and
	// JobState its River state (scheduled, available, running, retryable);
	// both are empty when no pass is pending (paused, needs attention).
	NextRun  time.Time `json:"next_run,omitzero"`
	JobState string    `json:"job_state,omitempty"`
}

// ReportTotals are the totals of one pass's syncer.Report.
type ReportTotals struct {
	Created   int           `json:"created"`
	Updated   int           `json:"updated"`
	Unchanged int           `json:"unchanged"`
	Excluded  int           `json:"excluded"`
	Failed    int           `json:"failed"`
	Initial   bool          `json:"initial,omitempty"`
	Duration  time.Duration `json:"duration"`
	// APICalls counts HTTP requests per service ("sansan", "hubspot").
	APICalls map[string]int64 `json:"api_calls,omitempty"`
}

func totalsOf(r *syncer.Report) *ReportTotals {
	if r == nil {
		return nil
	}
	return &ReportTotals{
		Created: r.Created, Updated: r.Updated, Unchanged: r.Unchanged, Excluded: r.Excluded, Failed: r.Failed,
		Initial: r.Initial, Duration: r.Duration, APICalls: r.APICalls,
	}
}

// Add registers a connection with a new id and schedules its first pass
// at once. When secrets is non-nil they are stored first through the
// SecretSource, which must then be a [SecretSink]. A second connection for
// the same portal fails with [ErrPortalTaken].
func (f *Fleet) Add(ctx context.Context, spec Spec, secrets *Secrets) (*Connection, error) {
	if err := spec.Validate(); err != nil {
		return nil, err
	}
	id := newID()
	if secrets != nil {
		if err := f.putSecrets(ctx, id, &spec, *secrets); err != nil {
			return nil, err
		}
	}
	err := f.inTx(ctx, func(tx pgx.Tx) error {
		b, err := json.Marshal(&spec)
		if err != nil {
			return fmt.Errorf("fleet: encode spec: %w", err)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO `+f.tConns+` (id, portal_id, spec) VALUES ($1, $2, $3)`, id, spec.PortalID, b); err != nil {
			return portalErr(err)
		}
		_, err = f.schedule(ctx, tx, id)
		return err
	})
	if err != nil {
		if secrets != nil {
			f.deleteSecrets(ctx, id)
		}
		return nil, fmt.Errorf("fleet: add connection: %w", err)
	}
	return f.Get(ctx, id)
}

// Update replaces a connection's spec (and, when secrets is non-nil, its
// secrets) and bumps its version, so replicas rebuild its engine. A
// connection that needed attention becomes active and is scheduled at
// once; a paused one stays paused.
func (f *Fleet) Update(ctx context.Context, id string, spec Spec, secrets *Secrets) (*Connection, error) {
	if err := spec.Validate(); err != nil {
		return nil, err
	}
	if secrets != nil {
		if err := f.putSecrets(ctx, id, &spec, *secrets); err != nil {
			return nil, err
		}
	}
	err := f.inTx(ctx, func(tx pgx.Tx) error {
		b, err := json.Marshal(&spec)
		if err != nil {
			return fmt.Errorf("fleet: encode spec: %w", err)
		}
		var state State
		err = tx.QueryRow(ctx, `UPDATE `+f.tConns+` SET spec = $2, portal_id = $3, version = version + 1, updated_at = now(),
	state = CASE WHEN state = 'needs_attention' THEN 'active' ELSE state END,
	reason = CASE WHEN state = 'needs_attention' THEN '' ELSE reason END
WHERE id = $1 RETURNING state`, id, b, spec.PortalID).Scan(&state)
		if errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("%w: %s", ErrNotFound, id)
		}
		if err != nil {
			return portalErr(err)
		}
		if state == StateActive {
			return f.kick(ctx, tx, id)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("fleet: update connection: %w", err)
	}
	return f.Get(ctx, id)
}

// Pause stops scheduling a connection: a pass running now finishes, and
// no new one starts until Resume.
func (f *Fleet) Pause(ctx context.Context, id string) error {
	return f.setState(ctx, id, StatePaused, "")
}

// Resume makes a paused or needs-attention connection active and starts a
// pass at once.
func (f *Fleet) Resume(ctx context.Context, id string) error {
	err := f.inTx(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE `+f.tConns+` SET state = 'active', reason = '', updated_at = now() WHERE id = $1`, id)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return fmt.Errorf("%w: %s", ErrNotFound, id)
		}
		return f.kick(ctx, tx, id)
	})
	if err != nil {
		return fmt.Errorf("fleet: resume: %w", err)
	}
	return nil
}

// Remove deletes a connection, its pending webhook events and (through a
// SecretSink) its secrets. Its pending pass job finds no connection and
// ends; its links and checkpoints stay in pgstore's tables, so adding the
// portal again under the same id would resume, and under a new id starts
// with an initial sync that adopts existing contacts by email.
func (f *Fleet) Remove(ctx context.Context, id string) error {
	tag, err := f.pool.Exec(ctx, `DELETE FROM `+f.tConns+` WHERE id = $1`, id)
	if err != nil {
		return fmt.Errorf("fleet: remove: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("fleet: remove: %w: %s", ErrNotFound, id)
	}
	f.deleteSecrets(ctx, id)
	if f.metrics != nil {
		f.metrics.forget(id)
	}
	return nil
}

// ListOptions filter and page List.
type ListOptions struct {
	// State, when set, lists only connections in that state.
	State State
	// After lists connections with ids after this one (a page cursor).
	After string
	// Limit caps the page (default and maximum 1000).
	Limit int
}

// Get returns one connection with its status.
func (f *Fleet) Get(ctx context.Context, id string) (*Connection, error) {
	cs, err := f.query(ctx, "c.id = $1", id)
	if err != nil {
		return nil, err
	}
	if len(cs) == 0 {
		return nil, fmt.Errorf("fleet: get: %w: %s", ErrNotFound, id)
	}
	return cs[0], nil
}

// List returns connections ordered by id, with their status.
func (f *Fleet) List(ctx context.Context, opts ListOptions) ([]*Connection, error) {
	limit := opts.Limit
	if limit <= 0 || limit > 1000 {
		limit = 1000
	}
	return f.query(ctx, "($1 = '' OR c.state = $1) AND c.id > $2 ORDER BY c.id LIMIT $3", string(opts.State), opts.After, limit)
}

// ByPortal returns the connection of a HubSpot portal.
func (f *Fleet) ByPortal(ctx context.Context, portalID int64) (*Connection, error) {
	cs, err := f.query(ctx, "c.portal_id = $1", portalID)
	if err != nil {
		return nil, err
	}
	if len(cs) == 0 {
		return nil, fmt.Errorf("fleet: %w: %d", ErrUnknownPortal, portalID)
	}
	return cs[0], nil
}

const connColumns = `c.id, c.spec, c.state, c.reason, c.version, c.created_at, c.updated_at,
	c.last_pass_started_at, c.last_pass_ended_at, c.last_report, c.last_error, c.passes, c.failures,
	c.consecutive_failures, c.running_on`

func (f *Fleet) query(ctx context.Context, where string, args ...any) ([]*Connection, error) {
	q := `SELECT ` + connColumns + `, j.state, j.scheduled_at FROM ` + f.tConns + ` c
LEFT JOIN LATERAL (
	SELECT j.state::text AS state, j.scheduled_at FROM ` + f.tJobs + ` j
	WHERE j.kind = '` + KindPass + `' AND j.args @> jsonb_build_object('connection_id', c.id)
		AND j.state IN ('available', 'pending', 'retryable', 'running', 'scheduled')
	ORDER BY j.id DESC LIMIT 1
) j ON true
WHERE ` + where
	rows, err := f.pool.Query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("fleet: query connections: %w", err)
	}
	defer rows.Close()
	var out []*Connection
	for rows.Next() {
		c, err := scanConnection(rows, true)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("fleet: query connections: %w", err)
	}
	return out, nil
}

// load reads a connection without its job status (one cheap query).
func (f *Fleet) load(ctx context.Context, id string) (*Connection, error) {
	row := f.pool.QueryRow(ctx, `SELECT `+connColumns+` FROM `+f.tConns+` c WHERE c.id = $1`, id)
	c, err := scanConnection(row, false)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("%w: %s", ErrNotFound, id)
	}
	return c, err
}

func scanConnection(row pgx.Row, withJob bool) (*Connection, error) {
	var (
		c                  Connection
		spec, report       []byte
		started, ended     *time.Time
		jobState           *string
		nextRun            *time.Time
		consecutive        int32
		dest               []any
		passes, failures   int64
		lastErr, runningOn string
	)
	dest = []any{&c.ID, &spec, &c.State, &c.Reason, &c.Version, &c.CreatedAt, &c.UpdatedAt,
		&started, &ended, &report, &lastErr, &passes, &failures, &consecutive, &runningOn}
	if withJob {
		dest = append(dest, &jobState, &nextRun)
	}
	if err := row.Scan(dest...); err != nil {
		if errors.Is(err, pgx.ErrNoRows) {
			return nil, err
		}
		return nil, fmt.Errorf("fleet: scan connection: %w", err)
	}
	if err := json.Unmarshal(spec, &c.Spec); err != nil {
		return nil, fmt.Errorf("fleet: decode spec of %s: %w", c.ID, err)
	}
	if len(report) > 0 {
		c.Status.LastReport = new(ReportTotals)
		if err := json.Unmarshal(report, c.Status.LastReport); err != nil {
			return nil, fmt.Errorf("fleet: decode report of %s: %w", c.ID, err)
		}
	}
	if started != nil {
		c.Status.LastPassStarted = *started
	}
	if ended != nil {
		c.Status.LastPassEnded = *ended
	}
	c.Status.LastError, c.Status.Passes, c.Status.Failures = lastErr, passes, failures
	c.Status.ConsecutiveFailures, c.Status.RunningOn = int(consecutive), runningOn
	if jobState != nil && c.State == StateActive {
		c.Status.JobState = *jobState
		if nextRun != nil {
			c.Status.NextRun = *nextRun
		}
	}
	return &c, nil
}

func (f *Fleet) setState(ctx context.Context, id string, s State, reason string) error {
	tag, err := f.pool.Exec(ctx, `UPDATE `+f.tConns+` SET state = $2, reason = $3, updated_at = now() WHERE id = $1`, id, string(s), reason)
	if err != nil {
		return fmt.Errorf("fleet: set state: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("fleet: set state: %w: %s", ErrNotFound, id)
	}
	return nil
}

// markNeedsAttention stops scheduling a connection, unless it was updated
// since the pass read it (version), in which case the new spec gets a try.
func (f *Fleet) markNeedsAttention(ctx context.Context, id string, version int64, reason string) (bool, error) {
	tag, err := f.pool.Exec(ctx, `UPDATE `+f.tConns+` SET state = 'needs_attention', reason = $3, updated_at = now()
WHERE id = $1 AND version = $2 AND state = 'active'`, id, version, reason)
	if err != nil {
		return false, fmt.Errorf("fleet: mark needs attention: %w", err)
	}
	return tag.RowsAffected() == 1, nil
}

// passStarted records the start of a pass on a replica.
func (f *Fleet) passStarted(ctx context.Context, id, replica string) error {
	_, err := f.pool.Exec(ctx, `UPDATE `+f.tConns+` SET last_pass_started_at = now(), running_on = $2 WHERE id = $1`, id, replica)
	if err != nil {
		return fmt.Errorf("fleet: record pass start: %w", err)
	}
	return nil
}

// passEnded records the end of a pass; errText is "" on success.
func (f *Fleet) passEnded(ctx context.Context, q execer, id string, rep *syncer.Report, errText string) error {
	var report []byte
	if t := totalsOf(rep); t != nil {
		var err error
		if report, err = json.Marshal(t); err != nil {
			return fmt.Errorf("fleet: encode report: %w", err)
		}
	}
	failed := errText != ""
	_, err := q.Exec(ctx, `UPDATE `+f.tConns+` SET last_pass_ended_at = now(), running_on = '',
	last_report = COALESCE($2, last_report), last_error = $3, passes = passes + 1,
	failures = failures + CASE WHEN $4 THEN 1 ELSE 0 END,
	consecutive_failures = CASE WHEN $4 THEN consecutive_failures + 1 ELSE 0 END
WHERE id = $1`, id, report, errText, failed)
	if err != nil {
		return fmt.Errorf("fleet: record pass end: %w", err)
	}
	return nil
}

type execer interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
}

// schedule inserts a pass job for the connection, due now, unless one is
// already pending or running (uniqueness).
func (f *Fleet) schedule(ctx context.Context, tx pgx.Tx, id string) (*rivertype.JobInsertResult, error) {
	res, err := f.river.InsertTx(ctx, tx, PassArgs{ConnectionID: id}, nil)
	if err != nil {
		return nil, fmt.Errorf("fleet: schedule pass: %w", err)
	}
	return res, nil
}

// kick makes the connection's pass due now: it inserts one, or moves a
// scheduled one forward. A running or retrying pass is left alone.
func (f *Fleet) kick(ctx context.Context, tx pgx.Tx, id string) error {
	res, err := f.schedule(ctx, tx, id)
	if err != nil {
		return err
	}
	if res.UniqueSkippedAsDuplicate && res.Job.State == rivertype.JobStateScheduled {
		if _, err := f.river.JobRetryTx(ctx, tx, res.Job.ID); err != nil {
			return fmt.Errorf("fleet: move pass forward: %w", err)
		}
	}
	return nil
}

func (f *Fleet) inTx(ctx context.Context, fn func(tx pgx.Tx) error) error {
	return pgx.BeginFunc(ctx, f.pool, fn)
}

// portalErr turns the one-connection-per-portal violation into
// ErrPortalTaken.
func portalErr(err error) error {
	var pe *pgconn.PgError
	if errors.As(err, &pe) && pe.Code == "23505" && strings.Contains(pe.ConstraintName, "one_connection_per_portal") {
		return ErrPortalTaken
	}
	return err
}

// RunNow makes an active connection's next pass due now (a pass already
// running is left to finish).
func (f *Fleet) RunNow(ctx context.Context, id string) error {
	c, err := f.load(ctx, id)
	if err != nil {
		return fmt.Errorf("fleet: run now: %w", err)
	}
	if c.State != StateActive {
		return fmt.Errorf("fleet: run now: connection %s is %s", id, c.State)
	}
	if err := f.inTx(ctx, func(tx pgx.Tx) error { return f.kick(ctx, tx, id) }); err != nil {
		return fmt.Errorf("fleet: run now: %w", err)
	}
	return nil
}
