package syncer

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"
)

// Report describes one pass. The five totals count records (Sansan persons
// or HubSpot contacts) across all directions. When a winning card takes
// over a contact the same pass created for another person of its email,
// the winner counts as created and the other as an excluded duplicate.
type Report struct {
	Created, Updated, Unchanged, Excluded, Failed int

	// DryRun is true when the pass computed its plan without writing.
	DryRun bool
	// Initial is true when the pass was (or resumed) an initial sync.
	Initial bool
	// Started and Duration time the pass.
	Started  time.Time
	Duration time.Duration
	// Accounts holds per-account, per-direction details, in config order.
	Accounts []*AccountReport
	// ExcludedByReason and FailedByCategory break down Excluded and Failed.
	ExcludedByReason map[ExclusionReason]int
	FailedByCategory map[FailureCategory]int
	// Failures lists failing records (at most MaxReportedFailures).
	Failures []Failure
	// APICalls counts HTTP requests sent per service during the pass,
	// retries included: "sansan" and "hubspot".
	APICalls map[string]int64
	// RateLimitWaits counts the waits after 429 answers in the pass, and
	// RateLimitWaited adds them up, by service ("sansan", "hubspot").
	// Sansan asks clients to back off for minutes after repeated 429s; a
	// pass that waited that long says so here and in the log.
	RateLimitWaits  map[string]int
	RateLimitWaited map[string]time.Duration
	// SansanChangesNotApplied lists contact ids whose HubSpot changes would
	// need a Sansan card update, which the Sansan API does not offer.
	SansanChangesNotApplied []string
	// Repaired counts contacts the pass rewrote at its start because a
	// write of an earlier lease holder may have overwritten them with
	// older values (see Fence).
	Repaired int
	// Backfills are the backfills the pass ran (see Engine.Resync and
	// BackfillMappingChanged).
	Backfills []*BackfillReport
	// Err is the error that stopped the pass, the one SyncOnce returned
	// with this report (and OnPass received); nil when the pass completed.
	// The counts of a failed pass cover the records it handled before it
	// stopped, and String begins with "pass failed: " and the error. An
	// error has no JSON form, so encoding/json skips it.
	Err error `json:"-"`
}

// MaxReportedFailures caps Report.Failures.
const MaxReportedFailures = 100

// AccountReport is the part of a Report for one account and direction.
type AccountReport struct {
	// Account is the Name of the Account ([Account.Name]) the records were
	// read through; in HubSpot → Sansan, the account cards are registered
	// with (the first).
	Account   string
	Direction Direction
	// Read counts records read from the source side.
	Read                                          int
	Created, Updated, Unchanged, Excluded, Failed int
	ExcludedByReason                              map[ExclusionReason]int
	FailedByCategory                              map[FailureCategory]int
}

// Failure describes one record that failed in a pass.
type Failure struct {
	// Account is the Name of the Account ([Account.Name]) of the record.
	Account   string
	Direction Direction
	PersonID  string
	CardID    string
	ContactID string
	Category  FailureCategory
	Message   string
}

func newReport(started time.Time, dry bool) *Report {
	return &Report{
		DryRun:           dry,
		Started:          started,
		ExcludedByReason: map[ExclusionReason]int{},
		FailedByCategory: map[FailureCategory]int{},
		APICalls:         map[string]int64{},
		RateLimitWaits:   map[string]int{},
		RateLimitWaited:  map[string]time.Duration{},
	}
}

func (r *Report) account(name string, d Direction) *AccountReport {
	for _, a := range r.Accounts {
		if a.Account == name && a.Direction == d {
			return a
		}
	}
	a := &AccountReport{Account: name, Direction: d, ExcludedByReason: map[ExclusionReason]int{}, FailedByCategory: map[FailureCategory]int{}}
	r.Accounts = append(r.Accounts, a)
	return a
}

type outcome int

const (
	outCreated outcome = iota
	outUpdated
	outUnchanged
	outExcluded
	outFailed
)

// count records one record's outcome in both the totals and the account.
func (r *Report) count(a *AccountReport, o outcome, detail string) {
	switch o {
	case outCreated:
		r.Created++
		a.Created++
	case outUpdated:
		r.Updated++
		a.Updated++
	case outUnchanged:
		r.Unchanged++
		a.Unchanged++
	case outExcluded:
		r.Excluded++
		a.Excluded++
		r.ExcludedByReason[ExclusionReason(detail)]++
		a.ExcludedByReason[ExclusionReason(detail)]++
	case outFailed:
		r.Failed++
		a.Failed++
		r.FailedByCategory[FailureCategory(detail)]++
		a.FailedByCategory[FailureCategory(detail)]++
	}
}

// recount moves one record already counted as from to to.
func (r *Report) recount(a *AccountReport, from, to outcome, detail string) {
	r.count(a, to, detail)
	switch from {
	case outCreated:
		r.Created--
		a.Created--
	case outUpdated:
		r.Updated--
		a.Updated--
	}
}

func (r *Report) fail(f Failure) {
	if len(r.Failures) < MaxReportedFailures {
		r.Failures = append(r.Failures, f)
	}
}

// String renders the report as a short multi-line summary. The summary of
// a pass that stopped with an error starts with "pass failed: " (a dry
// run's with "dry run failed: ") and the error, then gives the counts of
// what it did before it stopped.
func (r *Report) String() string {
	var b strings.Builder
	mode := "pass"
	if r.DryRun {
		mode = "dry run"
	}
	if r.Err != nil {
		fmt.Fprintf(&b, "%s failed: %v\n", mode, r.Err)
		mode = "  before it stopped"
	}
	fmt.Fprintf(&b, "%s: created %d, updated %d, unchanged %d, excluded %d, failed %d in %s\n",
		mode, r.Created, r.Updated, r.Unchanged, r.Excluded, r.Failed, r.Duration.Round(time.Millisecond))
	for _, k := range slices.Sorted(maps.Keys(r.ExcludedByReason)) {
		fmt.Fprintf(&b, "  excluded %-16s %d\n", k, r.ExcludedByReason[k])
	}
	for _, k := range slices.Sorted(maps.Keys(r.FailedByCategory)) {
		fmt.Fprintf(&b, "  failed   %-16s %d\n", k, r.FailedByCategory[k])
	}
	for _, k := range slices.Sorted(maps.Keys(r.APICalls)) {
		fmt.Fprintf(&b, "  api calls %-15s %d\n", k, r.APICalls[k])
	}
	for _, k := range slices.Sorted(maps.Keys(r.RateLimitWaits)) {
		fmt.Fprintf(&b, "  rate limited %-12s %d waits, %s\n", k, r.RateLimitWaits[k], r.RateLimitWaited[k].Round(time.Second))
	}
	return b.String()
}
