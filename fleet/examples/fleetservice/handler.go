package main

import (
	"bytes"
	"encoding/json"
	"html/template"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/cardbridge/sansanhubspot/fleet"
)

// newHandler serves the admin page, the JSON API, health, metrics and
// (with a client secret) HubSpot's webhooks. plainHTTP makes the webhook
// check the signature over an http:// URL, as the demo's fakes sign it.
func newHandler(f *fleet.Fleet, reg *prometheus.Registry, webhookSecret string, plainHTTP bool) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		cs, err := f.List(r.Context(), fleet.ListOptions{})
		if err != nil {
			http.Error(w, "cannot list connections", http.StatusServiceUnavailable)
			return
		}
		counts := map[string]int{}
		for _, c := range cs {
			counts[string(c.State)]++
		}
		var buf bytes.Buffer
		if err := page.Execute(&buf, struct {
			Connections []*fleet.Connection
			Counts      map[string]int
			Now         time.Time
		}{cs, counts, time.Now()}); err != nil {
			http.Error(w, "cannot render the page", http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = w.Write(buf.Bytes())
	})
	mux.HandleFunc("GET /api/connections", func(w http.ResponseWriter, r *http.Request) {
		cs, err := f.List(r.Context(), fleet.ListOptions{State: fleet.State(r.URL.Query().Get("state")), After: r.URL.Query().Get("after")})
		if err != nil {
			http.Error(w, "cannot list connections", http.StatusServiceUnavailable)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(cs)
	})
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		if _, err := f.CountByState(r.Context()); err != nil {
			http.Error(w, "database unreachable", http.StatusServiceUnavailable)
			return
		}
		_, _ = w.Write([]byte("ok\n"))
	})
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	if webhookSecret != "" {
		opts := fleet.WebhookOptions{ClientSecret: webhookSecret}
		if plainHTTP {
			opts.URL = func(r *http.Request) string { return "http://" + r.Host + r.URL.RequestURI() }
		}
		mux.Handle("POST /webhooks/hubspot", f.WebhookHandler(opts))
	}
	return mux
}

var page = template.Must(template.New("page").Funcs(template.FuncMap{
	"ago": func(now, t time.Time) string {
		if t.IsZero() {
			return "—"
		}
		d := now.Sub(t).Round(time.Second)
		if d < 0 {
			return "in " + (-d).String()
		}
		return d.String() + " ago"
	},
}).Parse(`<!doctype html>
<html><head><meta charset="utf-8"><title>Sansan ⇄ HubSpot fleet</title>
<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.3em .6em;text-align:left}
.needs_attention{background:#fdd}.paused{background:#eee}</style></head>
<body><h1>Sansan ⇄ HubSpot fleet</h1>
<p>{{len .Connections}} connections: {{index .Counts "active"}} active, {{index .Counts "paused"}} paused, {{index .Counts "needs_attention"}} need attention.</p>
<table><tr><th>connection</th><th>portal</th><th>direction</th><th>state</th><th>last pass started</th><th>last pass ended</th>
<th>created / updated / unchanged / excluded / failed</th><th>passes (failed)</th><th>last error</th><th>running on</th><th>next run</th></tr>
{{range .Connections}}<tr class="{{.State}}"><td>{{.ID}}</td><td>{{.Spec.PortalID}}</td><td>{{.Spec.Direction}}</td>
<td>{{.State}}{{if .Reason}}: {{.Reason}}{{end}}</td>
<td>{{ago $.Now .Status.LastPassStarted}}</td><td>{{ago $.Now .Status.LastPassEnded}}</td>
<td>{{with .Status.LastReport}}{{.Created}} / {{.Updated}} / {{.Unchanged}} / {{.Excluded}} / {{.Failed}}{{else}}—{{end}}</td>
<td>{{.Status.Passes}} ({{.Status.Failures}})</td><td>{{.Status.LastError}}</td><td>{{.Status.RunningOn}}</td>
<td>{{if .Status.JobState}}{{.Status.JobState}}, {{ago $.Now .Status.NextRun}}{{else}}—{{end}}</td></tr>
{{end}}</table></body></html>
`))
