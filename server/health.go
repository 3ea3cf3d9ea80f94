package server

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/cardbridge/sansanhubspot/internal/humantime"
	"github.com/cardbridge/sansanhubspot/syncer"
)

// linkTimeout bounds the store queries of one page, /healthz or /metrics
// request.
const linkTimeout = 5 * time.Second

// linkStates are the links by state and reason, read from the LinkSource.
type linkStates struct {
	// Known is false when there is no LinkSource or it failed (Err).
	Known bool
	Err   string
	// ByState counts links per state; ByReason per state and reason.
	ByState  map[string]int
	ByReason map[string]map[string]int
}

// links reads the link counts, if the server has a LinkSource.
func (s *Server) links(ctx context.Context) linkStates {
	ls := linkStates{ByState: map[string]int{}, ByReason: map[string]map[string]int{}}
	if s.o.Links == nil {
		return ls
	}
	ctx, cancel := context.WithTimeout(ctx, linkTimeout)
	defer cancel()
	counts, err := s.o.Links.LinkCounts(ctx)
	if err != nil {
		ls.Err = oneLine(err.Error())
		return ls
	}
	ls.Known = true
	for _, st := range []syncer.LinkState{syncer.StateInSync, syncer.StateExcluded, syncer.StateFailing} {
		ls.ByState[string(st)] = 0
	}
	for _, c := range counts {
		ls.ByState[string(c.State)] += c.N
		if c.Reason != "" {
			if ls.ByReason[string(c.State)] == nil {
				ls.ByReason[string(c.State)] = map[string]int{}
			}
			ls.ByReason[string(c.State)][c.Reason] += c.N
		}
	}
	return ls
}

// healthz is the /healthz body.
type healthz struct {
	Status     string           `json:"status"`
	Direction  string           `json:"direction"`
	DryRun     bool             `json:"dry_run"`
	Interval   string           `json:"interval"`
	Passes     map[string]int64 `json:"passes"`
	LastPassAt time.Time        `json:"last_pass_at,omitzero"`
	LastPass   *lastPass        `json:"last_pass,omitempty"`
	LastError  string           `json:"last_error,omitempty"`
	LastErrAt  time.Time        `json:"last_error_at,omitzero"`
	// Links counts the store's links by state, when known.
	Links map[string]int `json:"links,omitempty"`
}

// lastPass is the last pass in /healthz.
type lastPass struct {
	passCounts
	Initial  bool   `json:"initial"`
	Duration string `json:"duration"`
}

func (s *Server) handleHealthz(w http.ResponseWriter, r *http.Request) {
	snap := s.o.Monitor.snapshot()
	h := healthz{
		Status: "ok", Direction: s.o.Direction.String(), DryRun: s.o.DryRun, Interval: humantime.String(s.o.Interval),
		Passes: snap.Passes, LastPassAt: snap.LastAt, LastError: snap.LastErr, LastErrAt: snap.ErrAt,
	}
	if snap.Last != nil {
		h.LastPass = &lastPass{passCounts: snap.LastCounts, Initial: snap.Last.Initial, Duration: humantime.String(snap.Last.Duration)}
	}
	if ls := s.links(r.Context()); ls.Known {
		h.Links = ls.ByState
	}
	code := http.StatusOK
	if s.stopping.Load() {
		h.Status, code = "stopping", http.StatusServiceUnavailable
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	json.NewEncoder(w).Encode(h) //nolint:errcheck // the client may be gone
}

func (s *Server) handleMetrics(w http.ResponseWriter, r *http.Request) {
	links := s.links(r.Context())
	w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
	writeMetrics(w, s.o.Monitor.snapshot(), links)
}

// writeMetrics writes every metric in the Prometheus text exposition
// format (version 0.0.4).
func writeMetrics(w io.Writer, snap snapshot, links linkStates) {
	family := func(name, typ, help, label string, values map[string]int64) {
		fmt.Fprintf(w, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, typ)
		for _, k := range slices.Sorted(maps.Keys(values)) {
			fmt.Fprintf(w, "%s{%s=\"%s\"} %d\n", name, label, escapeLabel(k), values[k])
		}
	}
	single := func(name, typ, help string, v float64) {
		fmt.Fprintf(w, "# HELP %s %s\n# TYPE %s %s\n%s %s\n", name, help, name, typ, name, strconv.FormatFloat(v, 'f', -1, 64))
	}
	widen := func(m map[string]int) map[string]int64 {
		out := make(map[string]int64, len(m))
		for k, v := range m {
			out[k] = int64(v)
		}
		return out
	}
	family("sansanhubspot_passes_total", "counter", "Sync passes finished, by result (interrupted: stopped by shutdown).", "result", snap.Passes)
	family("sansanhubspot_records_total", "counter", "Records handled by sync passes, by outcome.", "outcome", snap.Records)
	family("sansanhubspot_excluded_records_total", "counter", "Records excluded by sync passes, by reason.", "reason", snap.Excluded)
	family("sansanhubspot_failed_records_total", "counter", "Records that failed in sync passes, by error category.", "category", snap.Failed)
	family("sansanhubspot_api_calls_total", "counter", "HTTP requests sent by sync passes, retries included, by service.", "service", snap.APICalls)
	single("sansanhubspot_webhook_events_total", "counter", "HubSpot webhook events received with a valid signature.", float64(snap.Events))
	family("sansanhubspot_webhook_requests_total", "counter", "Requests to the webhook endpoint, by the status they were answered with.", "code", snap.Webhooks)
	if snap.Last != nil {
		c := snap.LastCounts
		family("sansanhubspot_last_pass_records", "gauge", "Records of the last finished pass, by outcome.", "outcome", widen(c.Records))
		family("sansanhubspot_last_pass_excluded_records", "gauge", "Records the last finished pass excluded, by reason.", "reason", widen(c.ExcludedByReason))
		family("sansanhubspot_last_pass_failed_records", "gauge", "Records that failed in the last finished pass, by category.", "category", widen(c.FailedByCategory))
		single("sansanhubspot_last_pass_timestamp_seconds", "gauge", "When the last pass finished, in Unix seconds.", float64(snap.LastAt.Unix()))
		single("sansanhubspot_last_pass_duration_seconds", "gauge", "How long the last pass took.", snap.Last.Duration.Seconds())
	}
	if links.Known {
		family("sansanhubspot_links", "gauge", "Links in the store, by state.", "state", widen(links.ByState))
	}
	if snap.LastErr != "" {
		single("sansanhubspot_last_error_timestamp_seconds", "gauge", "When the last failed pass ended, in Unix seconds.", float64(snap.ErrAt.Unix()))
		fmt.Fprintf(w, "# HELP sansanhubspot_last_error_info The last pass error, as a label.\n# TYPE sansanhubspot_last_error_info gauge\n")
		fmt.Fprintf(w, "sansanhubspot_last_error_info{error=\"%s\"} 1\n", escapeLabel(snap.LastErr))
	}
}

// escapeLabel escapes a Prometheus label value.
func escapeLabel(s string) string {
	return strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`).Replace(s)
}
