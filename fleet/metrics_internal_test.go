package fleet

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/cardbridge/sansanhubspot/syncer"
)

// connectionLabels returns the connection label values of a gathered
// metric family.
func connectionLabels(t *testing.T, reg *prometheus.Registry, name string) map[string]float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]float64{}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "connection" {
					out[l.GetValue()] += m.GetCounter().GetValue()
				}
			}
		}
	}
	return out
}

func TestMetricsBoundConnectionLabels(t *testing.T) {
	t.Parallel()
	reg := prometheus.NewRegistry()
	m, err := NewMetrics(reg, MetricsOptions{MaxConnectionLabels: 2})
	if err != nil {
		t.Fatal(err)
	}
	rep := &syncer.Report{Created: 3, Unchanged: 1}
	for _, id := range []string{"a", "b", "c", "d", "a"} {
		m.pass(id, "ok", rep, time.Second)
	}
	want := map[string]float64{"a": 2, "b": 1, OtherConnections: 2}
	if diff := cmp.Diff(want, connectionLabels(t, reg, "sansanhubspot_fleet_passes_total")); diff != "" {
		t.Errorf("passes by connection (-want +got):\n%s", diff)
	}
	m.forget("b")
	m.pass("e", "failed", nil, time.Second)
	want = map[string]float64{"a": 2, "e": 1, OtherConnections: 2}
	if diff := cmp.Diff(want, connectionLabels(t, reg, "sansanhubspot_fleet_passes_total")); diff != "" {
		t.Errorf("after forget (-want +got):\n%s", diff)
	}
	records := connectionLabels(t, reg, "sansanhubspot_fleet_records_total")
	if diff := cmp.Diff(map[string]float64{"a": 8, OtherConnections: 8}, records); diff != "" {
		t.Errorf("records by connection (-want +got):\n%s", diff)
	}
	var nilMetrics *Metrics
	nilMetrics.pass("x", "ok", rep, time.Second) // a fleet without metrics
}
