package server

import (
	"context"
	"errors"
	"maps"
	"strings"
	"sync"
	"time"

	"github.com/cardbridge/sansanhubspot/syncer"
)

// outcomes are the record outcomes a pass report counts, in display order.
var outcomes = []string{"created", "updated", "unchanged", "excluded", "failed"}

// Monitor collects the reports of an engine's passes for a [Server]'s
// page, /healthz and /metrics. Give its OnPass to the engine's
// Config.OnPass. It is safe for concurrent use.
//
// The counts of the last pass shown anywhere come from one place: the
// *syncer.Report that pass returned, kept here as it is.
type Monitor struct {
	mu       sync.Mutex
	passes   map[string]int64 // by result: success, error, interrupted
	records  map[string]int64 // by outcome, over all passes
	excluded map[string]int64 // by reason, over all passes
	failed   map[string]int64 // by category, over all passes
	apiCalls map[string]int64 // by service, over all passes
	last     *syncer.Report
	lastAt   time.Time
	lastErr  string
	errAt    time.Time
	events   int64            // webhook events handed to the engine
	webhooks map[string]int64 // webhook requests by status code
	now      func() time.Time
}

// NewMonitor returns a Monitor that has seen no pass.
func NewMonitor() *Monitor {
	m := &Monitor{
		passes:   map[string]int64{"success": 0, "error": 0, "interrupted": 0},
		records:  map[string]int64{},
		excluded: map[string]int64{},
		failed:   map[string]int64{},
		apiCalls: map[string]int64{"sansan": 0, "hubspot": 0},
		webhooks: map[string]int64{},
		now:      time.Now,
	}
	for _, o := range outcomes {
		m.records[o] = 0
	}
	for _, r := range syncer.ExclusionReasons {
		m.excluded[string(r)] = 0
	}
	for _, c := range syncer.FailureCategories {
		m.failed[string(c)] = 0
	}
	return m
}

// OnPass records a pass; it has the signature of syncer.Config.OnPass. A
// pass stopped by a cancelled context counts as interrupted: its partial
// report is not the last pass, and its error is not the last error.
func (m *Monitor) OnPass(rep *syncer.Report, err error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.now()
	switch {
	case errors.Is(err, context.Canceled):
		m.passes["interrupted"]++
		return
	case err != nil:
		m.passes["error"]++
		m.lastErr, m.errAt = oneLine(err.Error()), now
	default:
		m.passes["success"]++
	}
	if rep == nil {
		return
	}
	c := countsOf(rep)
	for _, o := range outcomes {
		m.records[o] += int64(c.Records[o])
	}
	for k, v := range c.ExcludedByReason {
		m.excluded[k] += int64(v)
	}
	for k, v := range c.FailedByCategory {
		m.failed[k] += int64(v)
	}
	for k, v := range rep.APICalls {
		m.apiCalls[k] += v
	}
	m.last, m.lastAt = rep, now
}

// webhookRequest counts a webhook request by the status it was answered
// with, and the events of an accepted one.
func (m *Monitor) webhookRequest(code string, events int) {
	m.mu.Lock()
	m.webhooks[code]++
	m.events += int64(events)
	m.mu.Unlock()
}

// passCounts are the record counts of one pass, as its report has them.
type passCounts struct {
	// Records holds the five totals by outcome (see outcomes).
	Records          map[string]int   `json:"records"`
	ExcludedByReason map[string]int   `json:"excluded_by_reason"`
	FailedByCategory map[string]int   `json:"failed_by_category"`
	APICalls         map[string]int64 `json:"api_calls"`
}

// countsOf reads a report's counts; it is the only place they are read.
func countsOf(rep *syncer.Report) passCounts {
	c := passCounts{
		Records: map[string]int{
			"created": rep.Created, "updated": rep.Updated, "unchanged": rep.Unchanged,
			"excluded": rep.Excluded, "failed": rep.Failed,
		},
		ExcludedByReason: map[string]int{},
		FailedByCategory: map[string]int{},
		APICalls:         maps.Clone(rep.APICalls),
	}
	for k, v := range rep.ExcludedByReason {
		c.ExcludedByReason[string(k)] = v
	}
	for k, v := range rep.FailedByCategory {
		c.FailedByCategory[string(k)] = v
	}
	if c.APICalls == nil {
		c.APICalls = map[string]int64{}
	}
	return c
}

// snapshot is a consistent copy of what a Monitor knows.
type snapshot struct {
	Passes   map[string]int64
	Records  map[string]int64
	Excluded map[string]int64
	Failed   map[string]int64
	APICalls map[string]int64
	Webhooks map[string]int64
	Events   int64
	// Last is the last finished pass's report (nil before one), LastCounts
	// its counts.
	Last       *syncer.Report
	LastCounts passCounts
	LastAt     time.Time
	LastErr    string
	ErrAt      time.Time
}

func (m *Monitor) snapshot() snapshot {
	m.mu.Lock()
	defer m.mu.Unlock()
	s := snapshot{
		Passes: maps.Clone(m.passes), Records: maps.Clone(m.records), Excluded: maps.Clone(m.excluded),
		Failed: maps.Clone(m.failed), APICalls: maps.Clone(m.apiCalls), Webhooks: maps.Clone(m.webhooks),
		Events: m.events, Last: m.last, LastAt: m.lastAt, LastErr: m.lastErr, ErrAt: m.errAt,
	}
	if m.last != nil {
		s.LastCounts = countsOf(m.last)
	}
	return s
}

// oneLine collapses white space and caps s at 300 characters.
func oneLine(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > 300 {
		s = string(r[:299]) + "…"
	}
	return s
}
