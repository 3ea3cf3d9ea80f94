package main

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/cardbridge/sansanhubspot/syncer"
)

// reasonText explains the engine's exclusion reasons and failure categories.
var reasonText = map[string]string{
	string(syncer.ReasonNoEmail):        "the card has no e-mail address (required by default)",
	string(syncer.ReasonInvalidEmail):   "the e-mail address is malformed, e.g. a@b or a typo in the domain",
	string(syncer.ReasonDuplicateEmail): "another card with the same address wins (newest exchange date)",
	string(syncer.ReasonFiltered):       "a tag filter or CardFilter left it out",
	string(syncer.ReasonDigitizing):     "Sansan is still digitizing the card",
	string(syncer.CategoryInvalidValue): "HubSpot rejected a property value",
	string(syncer.CategoryConflict):     "the e-mail address belongs to another contact",
	string(syncer.CategoryNotFound):     "the linked record no longer exists",
	string(syncer.CategoryRateLimited):  "retries ran out on rate limits",
	string(syncer.CategoryMapping):      "the record could not be mapped",
	string(syncer.CategoryOther):        "another error",
}

// column is one pass in the report table.
type column struct {
	title string
	rep   *syncer.Report
}

// writeTable prints passes side by side: record outcomes, exclusions by
// reason, failures by category, API calls and time.
func writeTable(w io.Writer, cols []column) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	row := func(label string, cell func(*syncer.Report) string) {
		fmt.Fprintf(tw, "%s\t", label)
		for _, c := range cols {
			fmt.Fprintf(tw, "%s\t", cell(c.rep))
		}
		fmt.Fprintln(tw)
	}
	num := func(f func(*syncer.Report) int) func(*syncer.Report) string {
		return func(r *syncer.Report) string { return fmt.Sprint(f(r)) }
	}
	fmt.Fprintf(tw, "\t")
	for _, c := range cols {
		fmt.Fprintf(tw, "%s\t", c.title)
	}
	fmt.Fprintln(tw)
	row("created", num(func(r *syncer.Report) int { return r.Created }))
	row("updated", num(func(r *syncer.Report) int { return r.Updated }))
	row("unchanged", num(func(r *syncer.Report) int { return r.Unchanged }))
	row("excluded", num(func(r *syncer.Report) int { return r.Excluded }))
	for _, k := range keys(cols, func(r *syncer.Report) map[string]int { return stringKeys(r.ExcludedByReason) }) {
		row("  "+k, num(func(r *syncer.Report) int { return r.ExcludedByReason[syncer.ExclusionReason(k)] }))
	}
	row("failed", num(func(r *syncer.Report) int { return r.Failed }))
	for _, k := range keys(cols, func(r *syncer.Report) map[string]int { return stringKeys(r.FailedByCategory) }) {
		row("  "+k, num(func(r *syncer.Report) int { return r.FailedByCategory[syncer.FailureCategory(k)] }))
	}
	row("API calls: Sansan", func(r *syncer.Report) string { return fmt.Sprint(r.APICalls["sansan"]) })
	row("API calls: HubSpot", func(r *syncer.Report) string { return fmt.Sprint(r.APICalls["hubspot"]) })
	row("elapsed", func(r *syncer.Report) string { return r.Duration.Round(time.Millisecond).String() })
	tw.Flush()
}

// keys returns the sorted union of a breakdown's keys over all columns.
func keys(cols []column, m func(*syncer.Report) map[string]int) []string {
	set := map[string]bool{}
	for _, c := range cols {
		for k := range m(c.rep) {
			set[k] = true
		}
	}
	return slices.Sorted(maps.Keys(set))
}

// stringKeys turns a breakdown keyed by a reason or category into one keyed
// by its text.
func stringKeys[K ~string](m map[K]int) map[string]int {
	out := make(map[string]int, len(m))
	for k, v := range m {
		out[string(k)] = v
	}
	return out
}

// writeReasons explains each exclusion reason and failure category present.
func writeReasons(w io.Writer, rep *syncer.Report) {
	for _, k := range slices.Sorted(maps.Keys(rep.ExcludedByReason)) {
		fmt.Fprintf(w, "    excluded %-16s %5d  %s\n", k, rep.ExcludedByReason[k], reasonText[string(k)])
	}
	for _, k := range slices.Sorted(maps.Keys(rep.FailedByCategory)) {
		fmt.Fprintf(w, "    failed   %-16s %5d  %s\n", k, rep.FailedByCategory[k], reasonText[string(k)])
	}
	for i, f := range rep.Failures {
		if i == 3 {
			fmt.Fprintf(w, "    ... and %d more failures\n", len(rep.Failures)-i)
			break
		}
		fmt.Fprintf(w, "    failure: card %s (person %s): %s: %s\n", f.CardID, f.PersonID, f.Category, oneLine(f.Message, 160))
	}
}

// minimum is the least number of list and write calls a pass could have
// made: one Sansan list call per 300 cards read and one HubSpot batch write
// per 100 records sent, not counting the engine's constant preflight.
type minimum struct {
	cardsRead, recordsSent int
	lists, writes          int
}

func minimumCalls(rep *syncer.Report) minimum {
	var m minimum
	for _, a := range rep.Accounts {
		if a.Direction != syncer.SansanToHubSpot {
			continue
		}
		m.cardsRead += a.Read
		m.recordsSent += a.Created + a.Updated + a.Failed
		m.lists += max(1, ceilDiv(a.Read, 300))
	}
	m.writes = ceilDiv(m.recordsSent, 100)
	return m
}

func ceilDiv(a, b int) int { return (a + b - 1) / b }

func oneLine(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > n {
		s = string(r[:n-1]) + "…"
	}
	return s
}

// progress renders syncer.Progress: a bar redrawn in place on a terminal,
// otherwise plain lines at most once a second (and when a stream is done).
type progress struct {
	w     io.Writer
	tty   bool
	total int // records expected, 0 when unknown

	mu   sync.Mutex
	last time.Time
}

func (p *progress) update(pr syncer.Progress) {
	p.mu.Lock()
	defer p.mu.Unlock()
	dir := "Sansan → HubSpot"
	noun := "cards"
	if pr.Direction == syncer.HubSpotToSansan {
		dir, noun = "HubSpot → Sansan", "contacts"
	}
	if !p.tty {
		if !pr.Done && time.Since(p.last) < time.Second {
			return
		}
		p.last = time.Now()
		state := "…"
		if pr.Done {
			state = "done"
		}
		fmt.Fprintf(p.w, "    %s %s: %d %s read, %d written %s\n", pr.Account, dir, pr.Read, noun, pr.Created+pr.Updated, state)
		return
	}
	line := fmt.Sprintf("%d %s read, %d written", pr.Read, noun, pr.Created+pr.Updated)
	if p.total > 0 && pr.Direction == syncer.SansanToHubSpot {
		const width = 30
		n := min(width, pr.Read*width/p.total)
		if pr.Done {
			n = width
		}
		line = fmt.Sprintf("[%s%s] %s", strings.Repeat("█", n), strings.Repeat("░", width-n), line)
	}
	fmt.Fprintf(p.w, "\r\033[K    %s %s %s", pr.Account, dir, line)
	if pr.Done {
		fmt.Fprintln(p.w)
	}
}
