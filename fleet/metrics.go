package fleet

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/cardbridge/sansanhubspot/syncer"
)

// OtherConnections is the connection label of metrics of connections
// beyond MetricsOptions.MaxConnectionLabels.
const OtherConnections = "_other"

// DefaultMaxConnectionLabels is the default bound on distinct connection
// label values per replica.
const DefaultMaxConnectionLabels = 500

// MetricsOptions configures NewMetrics.
type MetricsOptions struct {
	// MaxConnectionLabels bounds the distinct values of the connection
	// label one replica exports (DefaultMaxConnectionLabels when 0). The
	// first connections a replica serves get their own label; later ones
	// share OtherConnections, so a replica exports at most
	// (MaxConnectionLabels+1) × 11 per-connection series. A removed
	// connection frees its label.
	MaxConnectionLabels int
}

// Metrics are the fleet's Prometheus metrics. Per connection (label
// "connection", bounded as MetricsOptions explains):
//
//   - sansanhubspot_fleet_passes_total{connection, result}: passes by result
//     (ok, failed, daily_limit, needs_attention, interrupted);
//   - sansanhubspot_fleet_records_total{connection, outcome}: records by
//     outcome (created, updated, unchanged, excluded, failed);
//   - sansanhubspot_fleet_last_pass_end_timestamp_seconds{connection} and
//     sansanhubspot_fleet_last_pass_duration_seconds{connection}.
//
// Fleet-wide: sansanhubspot_fleet_pass_duration_seconds (histogram),
// sansanhubspot_fleet_webhook_events_total{result},
// sansanhubspot_fleet_engines_cached and, through [Fleet.Collector],
// sansanhubspot_fleet_connections{state}.
type Metrics struct {
	passes       *prometheus.CounterVec
	records      *prometheus.CounterVec
	lastEnd      *prometheus.GaugeVec
	lastDuration *prometheus.GaugeVec
	duration     prometheus.Histogram
	webhooks     *prometheus.CounterVec
	engines      prometheus.Gauge

	mu     sync.Mutex
	max    int
	labels map[string]bool
}

// NewMetrics creates the metrics and registers them with reg.
func NewMetrics(reg prometheus.Registerer, opts MetricsOptions) (*Metrics, error) {
	m := &Metrics{
		passes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "sansanhubspot_fleet_passes_total", Help: "Sync passes by connection and result.",
		}, []string{"connection", "result"}),
		records: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "sansanhubspot_fleet_records_total", Help: "Records processed by passes, by connection and outcome.",
		}, []string{"connection", "outcome"}),
		lastEnd: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "sansanhubspot_fleet_last_pass_end_timestamp_seconds", Help: "Unix time the connection's latest pass on this replica ended.",
		}, []string{"connection"}),
		lastDuration: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "sansanhubspot_fleet_last_pass_duration_seconds", Help: "Duration of the connection's latest pass on this replica.",
		}, []string{"connection"}),
		duration: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "sansanhubspot_fleet_pass_duration_seconds", Help: "Duration of passes on this replica.",
			Buckets: prometheus.ExponentialBuckets(0.05, 2.5, 10),
		}),
		webhooks: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "sansanhubspot_fleet_webhook_events_total", Help: "Webhook events received, by result (queued, unknown_portal, inactive).",
		}, []string{"result"}),
		engines: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "sansanhubspot_fleet_engines_cached", Help: "Engines kept warm on this replica.",
		}),
		max:    opts.MaxConnectionLabels,
		labels: map[string]bool{},
	}
	if m.max <= 0 {
		m.max = DefaultMaxConnectionLabels
	}
	for _, c := range []prometheus.Collector{m.passes, m.records, m.lastEnd, m.lastDuration, m.duration, m.webhooks, m.engines} {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("fleet: register metrics: %w", err)
		}
	}
	return m, nil
}

// label returns the connection's label value within the bound.
func (m *Metrics) label(id string) string {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.labels[id] {
		return id
	}
	if len(m.labels) >= m.max {
		return OtherConnections
	}
	m.labels[id] = true
	return id
}

// forget deletes a removed connection's series and frees its label.
func (m *Metrics) forget(id string) {
	m.mu.Lock()
	had := m.labels[id]
	delete(m.labels, id)
	m.mu.Unlock()
	if had {
		m.passes.DeletePartialMatch(prometheus.Labels{"connection": id})
		m.records.DeletePartialMatch(prometheus.Labels{"connection": id})
		m.lastEnd.DeleteLabelValues(id)
		m.lastDuration.DeleteLabelValues(id)
	}
}

// pass records one pass.
func (m *Metrics) pass(id, result string, rep *syncer.Report, took time.Duration) {
	if m == nil {
		return
	}
	l := m.label(id)
	m.passes.WithLabelValues(l, result).Inc()
	if rep != nil {
		for outcome, n := range map[string]int{"created": rep.Created, "updated": rep.Updated, "unchanged": rep.Unchanged, "excluded": rep.Excluded, "failed": rep.Failed} {
			m.records.WithLabelValues(l, outcome).Add(float64(n))
		}
	}
	m.duration.Observe(took.Seconds())
	if l != OtherConnections {
		m.lastEnd.WithLabelValues(l).Set(float64(time.Now().Unix()))
		m.lastDuration.WithLabelValues(l).Set(took.Seconds())
	}
}

func (m *Metrics) webhook(result string, n int) {
	if m != nil {
		m.webhooks.WithLabelValues(result).Add(float64(n))
	}
}

func (m *Metrics) cached(n int) {
	if m != nil {
		m.engines.Set(float64(n))
	}
}

// Collector returns a Prometheus collector of
// sansanhubspot_fleet_connections{state}: connections per state, read
// from the registry at scrape time (one query, 5 s timeout).
func (f *Fleet) Collector() prometheus.Collector { return stateCollector{f} }

type stateCollector struct{ f *Fleet }

var stateDesc = prometheus.NewDesc("sansanhubspot_fleet_connections", "Registered connections by state.", []string{"state"}, nil)

// Describe implements prometheus.Collector.
func (c stateCollector) Describe(ch chan<- *prometheus.Desc) { ch <- stateDesc }

// Collect implements prometheus.Collector.
func (c stateCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	counts, err := c.f.CountByState(ctx)
	if err != nil {
		ch <- prometheus.NewInvalidMetric(stateDesc, err)
		return
	}
	for _, s := range []State{StateActive, StatePaused, StateNeedsAttention} {
		ch <- prometheus.MustNewConstMetric(stateDesc, prometheus.GaugeValue, float64(counts[s]), string(s))
	}
}

// CountByState returns the number of connections in each state.
func (f *Fleet) CountByState(ctx context.Context) (map[State]int, error) {
	rows, err := f.pool.Query(ctx, `SELECT state, count(*) FROM `+f.tConns+` GROUP BY state`)
	if err != nil {
		return nil, fmt.Errorf("fleet: count connections: %w", err)
	}
	defer rows.Close()
	out := map[State]int{}
	for rows.Next() {
		var s State
		var n int
		if err := rows.Scan(&s, &n); err != nil {
			return nil, fmt.Errorf("fleet: count connections: %w", err)
		}
		out[s] = n
	}
	return out, rows.Err()
}
