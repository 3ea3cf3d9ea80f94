package server

import (
	"bytes"
	"context"
	"html/template"
	"maps"
	"net/http"
	"slices"
	"time"

	"github.com/cardbridge/sansanhubspot/internal/humantime"
	"github.com/cardbridge/sansanhubspot/syncer"
)

// maxPageFailures is how many failing records the page lists.
const maxPageFailures = 50

// countRow is one line of a breakdown table.
type countRow struct {
	Name  string
	Count int
}

// pageData is what the health page shows.
type pageData struct {
	Now, Started time.Time
	Direction    string
	Interval     time.Duration
	DryRun       bool
	Store        string
	Stopping     bool
	Snap         snapshot
	// Last pass: its counts as rows, from the report.
	Outcomes []countRow
	Excluded []countRow
	Failed   []countRow
	// Links in the store.
	Links        linkStates
	LinkRows     []countRow
	Failures     []*syncer.Link
	FailuresMore bool
	FailuresErr  string
}

func rows(m map[string]int, order []string) []countRow {
	if order == nil {
		order = slices.Sorted(maps.Keys(m))
	}
	out := make([]countRow, 0, len(order))
	for _, k := range order {
		out = append(out, countRow{k, m[k]})
	}
	return out
}

var pageTmpl = template.Must(template.New("health").Funcs(template.FuncMap{
	"dur": humantime.String,
	"ago": func(now, t time.Time) string { return humantime.String(now.Sub(t).Round(time.Second)) },
	"ts":  func(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05Z") },
	"tsz": func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.UTC().Format("2006-01-02 15:04:05Z")
	},
}).Parse(`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="refresh" content="30">
<title>Sansan ↔ HubSpot sync health</title>
<style>
body{font:15px/1.4 system-ui,sans-serif;margin:2em;max-width:70em;color:#222}
table{border-collapse:collapse;margin:.5em 0 1.5em}td,th{border:1px solid #ccc;padding:.3em .7em;text-align:left}
td.n{text-align:right}.tiles{display:flex;gap:1em;flex-wrap:wrap}.tile{border:1px solid #ccc;padding:.7em 1.2em;border-radius:6px}
.tile b{display:block;font-size:1.8em}.ok b{color:#17702f}.warn b{color:#9a6700}.bad b{color:#b3261e}.err{color:#b3261e}
</style>
</head>
<body>
<h1>Sansan ↔ HubSpot sync health</h1>
<p>Direction <b>{{.Direction}}</b>, a pass every {{dur .Interval}}{{if .DryRun}}, <b>dry run</b> (nothing is written){{end}}{{with .Store}}, store {{.}}{{end}}.
Running since {{ts .Started}}{{if .Stopping}}, <b class="err">shutting down</b>{{end}}.</p>
{{if .Snap.LastErr}}<p class="err">Last error ({{ts .Snap.ErrAt}}): {{.Snap.LastErr}}</p>{{end}}
<h2>Last pass</h2>
{{with .Snap.Last}}<p>Finished {{ts $.Snap.LastAt}} ({{ago $.Now $.Snap.LastAt}} ago){{if .Initial}}, an initial sync{{end}}; took <span id="last-duration">{{dur .Duration}}</span>,
{{index $.Snap.LastCounts.APICalls "sansan"}} Sansan and {{index $.Snap.LastCounts.APICalls "hubspot"}} HubSpot calls.</p>
<div class="tiles">{{range $.Outcomes}}<div class="tile">{{.Name}}<b id="last-{{.Name}}">{{.Count}}</b></div>{{end}}</div>
{{if $.Excluded}}<table id="last-excluded"><tr><th>excluded, by reason</th><th></th></tr>{{range $.Excluded}}<tr><td>{{.Name}}</td><td class="n">{{.Count}}</td></tr>{{end}}</table>{{end}}
{{if $.Failed}}<table id="last-failed"><tr><th>failed, by category</th><th></th></tr>{{range $.Failed}}<tr><td>{{.Name}}</td><td class="n">{{.Count}}</td></tr>{{end}}</table>{{end}}
{{else}}<p>No pass has finished yet.</p>{{end}}
<h2>Links in the store</h2>
{{if .Links.Known}}<p>Every Sansan person the sync has seen, by its state now (all passes together).</p>
<div class="tiles">
<div class="tile ok">in sync<b id="links-in_sync">{{index .Links.ByState "in_sync"}}</b></div>
<div class="tile warn">excluded<b id="links-excluded">{{index .Links.ByState "excluded"}}</b></div>
<div class="tile bad">failing<b id="links-failing">{{index .Links.ByState "failing"}}</b></div>
</div>
{{if .LinkRows}}<table><tr><th>excluded links, by reason</th><th></th></tr>{{range .LinkRows}}<tr><td>{{.Name}}</td><td class="n">{{.Count}}</td></tr>{{end}}</table>{{end}}
<h3>Failing records</h3>
{{if .FailuresErr}}<p class="err">Cannot list them: {{.FailuresErr}}</p>
{{else if .Failures}}<table id="failures"><tr><th>Sansan person</th><th>account</th><th>card</th><th>HubSpot contact</th><th>category</th><th>error</th><th>attempts</th><th>next retry</th></tr>
{{range .Failures}}<tr><td>{{.PersonID}}</td><td>{{.Account}}</td><td>{{.CardID}}</td><td>{{.ContactID}}</td><td>{{.Reason}}</td><td>{{.Message}}</td><td class="n">{{.Attempts}}</td><td>{{tsz .NextRetry}}</td></tr>
{{end}}</table>{{if .FailuresMore}}<p>The first {{len .Failures}} by person id; more are failing.</p>{{end}}{{else}}<p>No record is failing.</p>{{end}}
{{else if .Links.Err}}<p class="err">Cannot count links: {{.Links.Err}}</p>
{{else}}<p>This server was not given a way to list links.</p>{{end}}
<p>Passes: {{index .Snap.Passes "success"}} succeeded, {{index .Snap.Passes "error"}} failed, {{index .Snap.Passes "interrupted"}} interrupted.
Metrics: <a href="/metrics">/metrics</a>, liveness: <a href="/healthz">/healthz</a>.</p>
</body>
</html>
`))

func (s *Server) pageData(ctx context.Context) pageData {
	snap := s.o.Monitor.snapshot()
	d := pageData{
		Now: time.Now(), Started: s.started, Direction: s.o.Direction.String(), Interval: s.o.Interval,
		DryRun: s.o.DryRun, Store: s.o.Store, Stopping: s.stopping.Load(), Snap: snap,
		Links: s.links(ctx),
	}
	if snap.Last != nil {
		d.Outcomes = rows(snap.LastCounts.Records, outcomes)
		d.Excluded = rows(snap.LastCounts.ExcludedByReason, nil)
		d.Failed = rows(snap.LastCounts.FailedByCategory, nil)
	}
	if d.Links.Known {
		d.LinkRows = rows(d.Links.ByReason[string(syncer.StateExcluded)], nil)
		if d.Links.ByState[string(syncer.StateFailing)] > 0 {
			lctx, cancel := context.WithTimeout(ctx, linkTimeout)
			defer cancel()
			ls, err := s.o.Links.Links(lctx, syncer.LinkQuery{States: []syncer.LinkState{syncer.StateFailing}, Limit: maxPageFailures + 1})
			if err != nil {
				d.FailuresErr = oneLine(err.Error())
			}
			if len(ls) > maxPageFailures {
				ls, d.FailuresMore = ls[:maxPageFailures], true
			}
			d.Failures = ls
		}
	}
	return d
}

func (s *Server) handlePage(w http.ResponseWriter, r *http.Request) {
	var buf bytes.Buffer
	if err := pageTmpl.Execute(&buf, s.pageData(r.Context())); err != nil {
		s.log.ErrorContext(r.Context(), "render the health page", "error", err)
		http.Error(w, "cannot render the health page", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Write(buf.Bytes()) //nolint:errcheck // the client may be gone
}
