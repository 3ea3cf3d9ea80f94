package main

import (
	"bytes"
	"html/template"
	"maps"
	"net/http"
	"slices"
	"time"

	"github.com/cardbridge/sansanhubspot/syncer"
)

// maxPageFailures is how many failing records the health page lists.
const maxPageFailures = 50

// pageData is what the health page shows.
type pageData struct {
	Now        time.Time
	Started    time.Time
	Direction  string
	Interval   time.Duration
	DryRun     bool
	Stopping   bool
	Links      linkCounts
	Reasons    []countRow
	LastPass   *syncer.Report
	LastPassAt time.Time
	LastErr    string
	LastErrAt  time.Time
	Passes     map[string]int64
	Failures   []linkInfo
}

type countRow struct {
	Name  string
	Count int
}

var pageTmpl = template.Must(template.New("health").Funcs(template.FuncMap{
	"ago": func(now, t time.Time) string { return now.Sub(t).Round(time.Second).String() },
	"ts":  func(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05Z") },
}).Parse(`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="refresh" content="30">
<title>Sansan ↔ HubSpot sync health</title>
<style>
body{font:15px/1.4 system-ui,sans-serif;margin:2em;max-width:70em;color:#222}
table{border-collapse:collapse;margin:.5em 0 1.5em}td,th{border:1px solid #ccc;padding:.3em .7em;text-align:left}
td.n{text-align:right}.tiles{display:flex;gap:1em}.tile{border:1px solid #ccc;padding:.7em 1.2em;border-radius:6px}
.tile b{display:block;font-size:1.8em}.ok b{color:#17702f}.warn b{color:#9a6700}.bad b{color:#b3261e}.err{color:#b3261e}
</style>
</head>
<body>
<h1>Sansan ↔ HubSpot sync health</h1>
<p>Direction <b>{{.Direction}}</b>, a pass every {{.Interval}}{{if .DryRun}}, <b>dry run</b> (nothing is written){{end}}.
Running since {{ts .Started}}{{if .Stopping}}, <b class="err">shutting down</b>{{end}}.
{{with .LastPass}}Last pass {{ts $.LastPassAt}} ({{ago $.Now $.LastPassAt}} ago, took {{.Duration}}).{{else}}No pass has finished yet.{{end}}</p>
{{if .LastErr}}<p class="err">Last error ({{ts .LastErrAt}}): {{.LastErr}}</p>{{end}}
<div class="tiles">
<div class="tile ok">in sync<b id="in-sync">{{.Links.InSync}}</b></div>
<div class="tile warn">excluded<b id="excluded">{{.Links.Excluded}}</b></div>
<div class="tile bad">failing<b id="failing">{{.Links.Failing}}</b></div>
{{if gt .Links.Unseen 0}}<div class="tile">not seen since start<b>{{.Links.Unseen}}</b></div>{{end}}
</div>
{{if gt .Links.Unseen 0}}<p>Links no pass has touched since this service started keep their state in the store; they are counted once a pass reads them.</p>{{end}}
{{if .Reasons}}<h2>Excluded, by reason</h2>
<table>{{range .Reasons}}<tr><td>{{.Name}}</td><td class="n">{{.Count}}</td></tr>{{end}}</table>{{end}}
{{with .LastPass}}<h2>Last pass</h2>
<table><tr><th>created</th><th>updated</th><th>unchanged</th><th>excluded</th><th>failed</th><th>Sansan calls</th><th>HubSpot calls</th></tr>
<tr><td class="n">{{.Created}}</td><td class="n">{{.Updated}}</td><td class="n">{{.Unchanged}}</td><td class="n">{{.Excluded}}</td><td class="n">{{.Failed}}</td>
<td class="n">{{index .APICalls "sansan"}}</td><td class="n">{{index .APICalls "hubspot"}}</td></tr></table>{{end}}
<h2>Latest failures</h2>
{{if .Failures}}<table id="failures"><tr><th>updated</th><th>Sansan person</th><th>card</th><th>HubSpot contact</th><th>category</th><th>reason</th><th>attempts</th><th>next retry</th></tr>
{{range .Failures}}<tr><td>{{ts .UpdatedAt}}</td><td>{{.PersonID}}</td><td>{{.CardID}}</td><td>{{.ContactID}}</td><td>{{.Reason}}</td><td>{{.Message}}</td><td class="n">{{.Attempts}}</td><td>{{ts .NextRetry}}</td></tr>
{{end}}</table>{{else}}<p>No record is failing.</p>{{end}}
<p>Passes: {{index .Passes "success"}} succeeded, {{index .Passes "error"}} failed. Metrics: <a href="/metrics">/metrics</a>, liveness: <a href="/healthz">/healthz</a>.</p>
</body>
</html>
`))

func (s *service) pageData() pageData {
	snap := s.metrics.snapshot()
	links, failures := s.store.counts(maxPageFailures)
	d := pageData{
		Now: time.Now(), Started: s.started, Direction: s.cfg.direction.String(), Interval: s.cfg.interval,
		DryRun: s.cfg.dryRun, Stopping: s.stopping.Load(), Links: links, LastPass: snap.LastPass,
		LastPassAt: snap.LastPassAt, LastErr: snap.LastErr, LastErrAt: snap.LastErrAt, Passes: snap.Passes,
		Failures: failures,
	}
	for _, k := range slices.Sorted(maps.Keys(links.ExcludedByReason)) {
		d.Reasons = append(d.Reasons, countRow{k, links.ExcludedByReason[k]})
	}
	return d
}

func (s *service) handleHealthPage(w http.ResponseWriter, _ *http.Request) {
	var buf bytes.Buffer
	if err := pageTmpl.Execute(&buf, s.pageData()); err != nil {
		s.log.Error("render health page", "error", err)
		http.Error(w, "cannot render the health page", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Write(buf.Bytes()) //nolint:errcheck // the client may be gone
}
