package main

import (
	"cmp"
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/cardbridge/sansanhubspot/internal/humantime"
	"github.com/cardbridge/sansanhubspot/internal/reportview"
	"github.com/cardbridge/sansanhubspot/syncer"
)

func setupSync(fs *flag.FlagSet) runner {
	watch := fs.Bool("watch", false, "keep syncing: a pass every --interval, and at once on retry, until interrupted")
	return func(ctx context.Context, a *app, args []string) int {
		if code, ok := a.noArgs(args); !ok {
			return code
		}
		opts := openOptions{progress: !*watch, logLevel: quiet}
		if *watch {
			opts.logLevel = slog.LevelInfo
			opts.onPass = a.passLine
		}
		if err := a.open(opts); err != nil {
			return a.fail(err)
		}
		a.header()
		if *watch {
			fmt.Fprintf(a.stdout, "syncing every %s until interrupted\n", humantime.String(a.cfg.interval))
			if err := a.eng.Run(ctx); err != nil {
				return a.fail(err)
			}
			return exitOK
		}
		return a.onePass(a.eng.SyncOnce(ctx))
	}
}

func setupPlan(fs *flag.FlagSet) runner {
	records := fs.Bool("records", true, "list every contact write the pass would make, after the summary")
	return func(ctx context.Context, a *app, args []string) int {
		if code, ok := a.noArgs(args); !ok {
			return code
		}
		dry := true
		var mu sync.Mutex
		var planned []syncer.PlannedWrite
		opts := openOptions{progress: true, dryRun: &dry, logLevel: quiet}
		if *records {
			opts.onPlanned = func(w syncer.PlannedWrite) {
				mu.Lock()
				planned = append(planned, w)
				mu.Unlock()
			}
		}
		if err := a.open(opts); err != nil {
			return a.fail(err)
		}
		a.header()
		code := a.onePass(a.eng.SyncOnce(ctx))
		if *records && len(planned) > 0 {
			printPlanned(a.stdout, planned)
		}
		if code == exitOK || code == exitRecordsFailed {
			fmt.Fprintln(a.stdout, "Nothing was written. Run sansanhubspot sync to apply the plan.")
		}
		return code
	}
}

// printPlanned lists a dry run's contact writes, one per line, sorted by
// account, action and email: the properties each would set, and those it
// would clear.
func printPlanned(w io.Writer, planned []syncer.PlannedWrite) {
	slices.SortFunc(planned, func(x, y syncer.PlannedWrite) int {
		return cmp.Or(strings.Compare(x.Account, y.Account), strings.Compare(string(x.Action), string(y.Action)),
			strings.Compare(x.Email, y.Email), strings.Compare(x.PersonID, y.PersonID))
	})
	fmt.Fprintf(w, "\n%d contact writes planned:\n", len(planned))
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "  ACTION\tACCOUNT\tCONTACT\tEMAIL\tPERSON\tSETS\tCLEARS")
	for _, p := range planned {
		var sets, clears []string
		for _, k := range slices.Sorted(maps.Keys(p.Properties)) {
			if p.Properties[k] == "" {
				clears = append(clears, k)
			} else {
				sets = append(sets, k)
			}
		}
		contact := p.ContactID
		if contact == "" {
			contact = "(new)"
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\t%s\t%s\n", p.Action, p.Account, contact, orDash(p.Email), p.PersonID,
			orDash(strings.Join(sets, ",")), orDash(strings.Join(clears, ",")))
	}
	tw.Flush()
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// header says what a pass runs against.
func (a *app) header() {
	mode := "writes to Sansan and HubSpot"
	if a.engCfg.DryRun {
		mode = "dry run: nothing is written"
	}
	var names []string
	for _, ac := range a.engCfg.Accounts {
		names = append(names, ac.Name)
	}
	fmt.Fprintf(a.stdout, "direction %s, accounts %s, store %s; %s\n", a.engCfg.Direction, strings.Join(names, ", "), a.storeDesc, mode)
}

// onePass prints a pass's report and returns the exit code it deserves.
func (a *app) onePass(rep *syncer.Report, err error) int {
	if a.bar != nil {
		a.bar.End()
	}
	if rep != nil {
		a.printReport(rep)
	}
	if err != nil {
		return a.fail(err)
	}
	if rep.Failed > 0 {
		verb := "failed"
		if rep.DryRun {
			verb = "would fail"
		}
		fmt.Fprintf(a.stderr, "%d records %s: sansanhubspot failures lists them, sansanhubspot retry tries them again\n", rep.Failed, verb)
		return exitRecordsFailed
	}
	return exitOK
}

// printReport writes a pass's full table: the whole pass, then each
// account and direction when there are several, the reasons explained,
// the failures, backfills and rate-limit waits.
func (a *app) printReport(rep *syncer.Report) {
	fmt.Fprintln(a.stdout)
	cols := []reportview.Column{{Title: reportview.Title(rep), Counts: reportview.Of(rep)}}
	if len(rep.Accounts) > 1 {
		for _, ar := range rep.Accounts {
			arrow := "→ HubSpot"
			if ar.Direction == syncer.HubSpotToSansan {
				arrow = "← HubSpot"
			}
			cols = append(cols, reportview.Column{Title: ar.Account + " " + arrow, Counts: reportview.OfAccount(ar)})
		}
	}
	reportview.Table(a.stdout, cols)
	limit := 10
	if rep.DryRun {
		limit = syncer.MaxReportedFailures
	}
	reportview.Reasons(a.stdout, "  ", rep, limit)
	for _, b := range rep.Backfills {
		state := "done"
		if !b.Done {
			state = "to be resumed by the next pass"
		}
		fmt.Fprintf(a.stdout, "  backfill of %s (%s) for %s: read %d, updated %d, unchanged %d, failed %d; %s\n",
			b.Account, b.Reason, strings.Join(b.Properties, ", "), b.Read, b.Updated, b.Unchanged, b.Failed, state)
	}
	for _, svc := range slices.Sorted(maps.Keys(rep.RateLimitWaits)) {
		fmt.Fprintf(a.stdout, "  %s rate limits: waited %d times, %s in all\n", svc, rep.RateLimitWaits[svc], humantime.String(rep.RateLimitWaited[svc]))
	}
	if n := len(rep.SansanChangesNotApplied); n > 0 {
		fmt.Fprintf(a.stdout, "  %d HubSpot-side changes cannot be applied to existing Sansan cards (the Sansan API has no card update)\n", n)
	}
}

// passLine prints one line per pass of sync --watch.
func (a *app) passLine(rep *syncer.Report, err error) {
	at := time.Now().UTC().Format("2006-01-02 15:04:05Z")
	if rep != nil {
		fmt.Fprintf(a.stdout, "%s %s", at, summary(rep))
	}
	if err != nil {
		fmt.Fprintf(a.stdout, "%s pass stopped: %s\n", at, reason(err))
	}
}

// summary is a report in one line.
func summary(rep *syncer.Report) string {
	return fmt.Sprintf("created %d, updated %d, unchanged %d, excluded %d, failed %d in %s\n",
		rep.Created, rep.Updated, rep.Unchanged, rep.Excluded, rep.Failed, humantime.String(rep.Duration))
}
