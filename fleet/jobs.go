package fleet

import (
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
)

// QueueName is the River queue fleet jobs run in.
const QueueName = "sansanhubspot"

// Job kinds, as stored in River's river_job.kind column.
const (
	KindPass   = "sansanhubspot_pass"
	KindNotify = "sansanhubspot_notify"
	KindEnsure = "sansanhubspot_ensure"
)

// DefaultMaxAttempts is how many times River tries a pass that keeps
// failing with transient errors before the fleet gives up on that pass and
// schedules the next one after the connection's interval.
const DefaultMaxAttempts = 10

// pendingStates are the states in which a job counts as scheduled or
// running; uniqueness is enforced among them.
var pendingStates = []rivertype.JobState{
	rivertype.JobStateAvailable,
	rivertype.JobStatePending,
	rivertype.JobStateRetryable,
	rivertype.JobStateRunning,
	rivertype.JobStateScheduled,
}

// PassArgs are the arguments of a pass job: one sync pass of one
// connection. They carry the connection id and nothing else (no secret,
// no config); the worker reads the rest from the registry. A pass job is
// unique per connection among pending and running jobs, so at most one
// pass of a connection runs anywhere in the fleet.
type PassArgs struct {
	ConnectionID string `json:"connection_id" river:"unique"`
}

// Kind implements river.JobArgs.
func (PassArgs) Kind() string { return KindPass }

// InsertOpts implements river.JobArgsWithInsertOpts.
func (PassArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{
		Queue:       QueueName,
		MaxAttempts: DefaultMaxAttempts,
		UniqueOpts:  river.UniqueOpts{ByArgs: true, ByState: pendingStates},
	}
}

// NotifyArgs are the arguments of a notify job: webhook events for the
// connection are waiting in the registry. The job is unique per connection
// among pending and running jobs, so a burst of deliveries coalesces into
// one job; the events themselves are applied (Engine.Notify) by the
// connection's next pass, which the job starts at once.
type NotifyArgs struct {
	ConnectionID string `json:"connection_id" river:"unique"`
}

// Kind implements river.JobArgs.
func (NotifyArgs) Kind() string { return KindNotify }

// InsertOpts implements river.JobArgsWithInsertOpts.
func (NotifyArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{
		Queue:       QueueName,
		MaxAttempts: DefaultMaxAttempts,
		UniqueOpts:  river.UniqueOpts{ByArgs: true, ByState: pendingStates},
	}
}

// EnsureArgs are the arguments of the periodic job that gives every active
// connection without a pending pass job a new one (after a pass job was
// discarded or deleted by hand, for example).
type EnsureArgs struct{}

// Kind implements river.JobArgs.
func (EnsureArgs) Kind() string { return KindEnsure }

// InsertOpts implements river.JobArgsWithInsertOpts.
func (EnsureArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{
		Queue:       QueueName,
		MaxAttempts: 1,
		UniqueOpts:  river.UniqueOpts{ByState: pendingStates},
	}
}
