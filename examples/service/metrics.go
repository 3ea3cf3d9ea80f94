package main

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/cardbridge/sansanhubspot/syncer"
)

// outcomes are the record outcomes every pass report counts.
var outcomes = []string{"created", "updated", "unchanged", "excluded", "failed"}

// metrics accumulates pass reports for /metrics, /healthz and the health page.
type metrics struct {
	mu            sync.Mutex
	passes        map[string]int64 // by result: success, error
	records       map[string]int64 // by outcome
	excluded      map[string]int64 // by reason
	failed        map[string]int64 // by category
	apiCalls      map[string]int64 // by service
	webhookEvents int64
	lastPass      *syncer.Report
	lastPassAt    time.Time
	lastErr       string
	lastErrAt     time.Time
}

func newMetrics() *metrics {
	m := &metrics{
		passes: map[string]int64{"success": 0, "error": 0}, records: map[string]int64{},
		excluded: map[string]int64{}, failed: map[string]int64{}, apiCalls: map[string]int64{"sansan": 0, "hubspot": 0},
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

// onPass is the engine's Config.OnPass hook.
func (m *metrics) onPass(rep *syncer.Report, err error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	now := time.Now()
	if err != nil {
		m.passes["error"]++
		m.lastErr, m.lastErrAt = oneLine(err.Error()), now
	} else {
		m.passes["success"]++
	}
	if rep == nil {
		return
	}
	m.records["created"] += int64(rep.Created)
	m.records["updated"] += int64(rep.Updated)
	m.records["unchanged"] += int64(rep.Unchanged)
	m.records["excluded"] += int64(rep.Excluded)
	m.records["failed"] += int64(rep.Failed)
	for k, v := range rep.ExcludedByReason {
		m.excluded[string(k)] += int64(v)
	}
	for k, v := range rep.FailedByCategory {
		m.failed[string(k)] += int64(v)
	}
	for k, v := range rep.APICalls {
		m.apiCalls[k] += v
	}
	m.lastPass, m.lastPassAt = rep, now
}

func (m *metrics) webhook(events int) {
	m.mu.Lock()
	m.webhookEvents += int64(events)
	m.mu.Unlock()
}

// snapshot is a consistent copy of the pass-related metrics.
type snapshot struct {
	Passes        map[string]int64
	LastPass      *syncer.Report
	LastPassAt    time.Time
	LastErr       string
	LastErrAt     time.Time
	WebhookEvents int64
}

func (m *metrics) snapshot() snapshot {
	m.mu.Lock()
	defer m.mu.Unlock()
	return snapshot{maps.Clone(m.passes), m.lastPass, m.lastPassAt, m.lastErr, m.lastErrAt, m.webhookEvents}
}

// writePrometheus writes every metric in the Prometheus text exposition
// format (version 0.0.4).
func (m *metrics) writePrometheus(w io.Writer, links linkCounts) {
	m.mu.Lock()
	defer m.mu.Unlock()
	family := func(name, typ, help string, label string, values map[string]int64) {
		fmt.Fprintf(w, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, typ)
		for _, k := range slices.Sorted(maps.Keys(values)) {
			fmt.Fprintf(w, "%s{%s=\"%s\"} %d\n", name, label, escapeLabel(k), values[k])
		}
	}
	single := func(name, typ, help string, v float64) {
		fmt.Fprintf(w, "# HELP %s %s\n# TYPE %s %s\n%s %s\n", name, help, name, typ, name, strconv.FormatFloat(v, 'f', -1, 64))
	}
	family("sansanhubspot_passes_total", "counter", "Sync passes finished, by result.", "result", m.passes)
	family("sansanhubspot_records_total", "counter", "Records handled by sync passes, by outcome.", "outcome", m.records)
	family("sansanhubspot_excluded_records_total", "counter", "Records excluded by sync passes, by reason.", "reason", m.excluded)
	family("sansanhubspot_failed_records_total", "counter", "Records that failed in sync passes, by error category.", "category", m.failed)
	family("sansanhubspot_api_calls_total", "counter", "HTTP requests sent by sync passes, retries included, by service.", "service", m.apiCalls)
	single("sansanhubspot_webhook_events_total", "counter", "HubSpot webhook events received with a valid signature.", float64(m.webhookEvents))
	states := map[string]int64{
		string(syncer.StateInSync): int64(links.InSync), string(syncer.StateExcluded): int64(links.Excluded),
		string(syncer.StateFailing): int64(links.Failing),
	}
	if links.Unseen >= 0 {
		states["unseen"] = int64(links.Unseen)
	}
	family("sansanhubspot_links", "gauge", "Links in the store by state (unseen: not read or written since the service started).", "state", states)
	if !m.lastPassAt.IsZero() {
		single("sansanhubspot_last_pass_timestamp_seconds", "gauge", "When the last pass finished, in Unix seconds.", float64(m.lastPassAt.Unix()))
		single("sansanhubspot_last_pass_duration_seconds", "gauge", "How long the last pass took.", m.lastPass.Duration.Seconds())
	}
	if m.lastErr != "" {
		single("sansanhubspot_last_error_timestamp_seconds", "gauge", "When the last failed pass ended, in Unix seconds.", float64(m.lastErrAt.Unix()))
		fmt.Fprintf(w, "# HELP sansanhubspot_last_error_info The last pass error, as a label.\n# TYPE sansanhubspot_last_error_info gauge\n")
		fmt.Fprintf(w, "sansanhubspot_last_error_info{error=\"%s\"} 1\n", escapeLabel(m.lastErr))
	}
}

// escapeLabel escapes a Prometheus label value.
func escapeLabel(s string) string {
	return strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`).Replace(s)
}

// oneLine collapses white space and caps s at 300 characters.
func oneLine(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > 300 {
		s = string(r[:299]) + "…"
	}
	return s
}
