// Package reportview renders syncer reports and errors for people: a table
// of record counts with one column per pass (or per account and
// direction), lines explaining each exclusion reason and failure
// category, and the one line that says what an error means. The
// examples and the sansanhubspot command print with it.
package reportview

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/cardbridge/sansanhubspot/internal/humantime"
	"github.com/cardbridge/sansanhubspot/syncer"
)

// explanations say what exclusion reasons and failure categories mean.
var explanations = map[string]string{
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
	string(syncer.CategoryUnconfirmed):  "a write was sent and the pass stopped before its answer; the next pass confirms it",
	string(syncer.CategoryUndecodable):  "Sansan served the card in a form that cannot be read; quarantined until fixed",
	string(syncer.ReasonReplaced):       "stood in for an unreadable card that now syncs under its person",
}

// Explain returns a short sentence saying what an exclusion reason or a
// failure category means, or "" for one it does not know.
func Explain(reason string) string { return explanations[reason] }

// Counts are the record counts of a pass, or of one account and direction
// of a pass.
type Counts struct {
	Created, Updated, Unchanged, Excluded, Failed int
	ExcludedByReason                              map[string]int
	FailedByCategory                              map[string]int
	// Report is the pass the counts come from; nil for an account's part,
	// whose column then has no API calls or time.
	Report *syncer.Report
}

// Of returns the counts of a whole pass.
func Of(r *syncer.Report) Counts {
	return Counts{r.Created, r.Updated, r.Unchanged, r.Excluded, r.Failed,
		stringKeys(r.ExcludedByReason), stringKeys(r.FailedByCategory), r}
}

// OfAccount returns the counts of one account and direction.
func OfAccount(a *syncer.AccountReport) Counts {
	return Counts{a.Created, a.Updated, a.Unchanged, a.Excluded, a.Failed,
		stringKeys(a.ExcludedByReason), stringKeys(a.FailedByCategory), nil}
}

// Column is one column of a Table.
type Column struct {
	Title  string
	Counts Counts
}

// Table writes columns side by side, right-aligned: the five outcomes,
// exclusions by reason and failures by category under them, then the API
// calls and time of the columns that are whole passes.
func Table(w io.Writer, cols []Column) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	row := func(label string, cell func(Counts) string) {
		fmt.Fprintf(tw, "%s\t", label)
		for _, c := range cols {
			fmt.Fprintf(tw, "%s\t", cell(c.Counts))
		}
		fmt.Fprintln(tw)
	}
	num := func(f func(Counts) int) func(Counts) string {
		return func(c Counts) string { return fmt.Sprint(f(c)) }
	}
	pass := func(f func(*syncer.Report) string) func(Counts) string {
		return func(c Counts) string {
			if c.Report == nil {
				return ""
			}
			return f(c.Report)
		}
	}
	fmt.Fprintf(tw, "\t")
	for _, c := range cols {
		fmt.Fprintf(tw, "%s\t", c.Title)
	}
	fmt.Fprintln(tw)
	row("created", num(func(c Counts) int { return c.Created }))
	row("updated", num(func(c Counts) int { return c.Updated }))
	row("unchanged", num(func(c Counts) int { return c.Unchanged }))
	row("excluded", num(func(c Counts) int { return c.Excluded }))
	for _, k := range union(cols, func(c Counts) map[string]int { return c.ExcludedByReason }) {
		row("  "+k, num(func(c Counts) int { return c.ExcludedByReason[k] }))
	}
	row("failed", num(func(c Counts) int { return c.Failed }))
	for _, k := range union(cols, func(c Counts) map[string]int { return c.FailedByCategory }) {
		row("  "+k, num(func(c Counts) int { return c.FailedByCategory[k] }))
	}
	if slices.ContainsFunc(cols, func(c Column) bool { return c.Counts.Report != nil }) {
		row("API calls: Sansan", pass(func(r *syncer.Report) string { return fmt.Sprint(r.APICalls["sansan"]) }))
		row("API calls: HubSpot", pass(func(r *syncer.Report) string { return fmt.Sprint(r.APICalls["hubspot"]) }))
		row("elapsed", pass(func(r *syncer.Report) string { return humantime.String(r.Duration) }))
	}
	tw.Flush()
}

// union returns the sorted union of a breakdown's keys over all columns.
func union(cols []Column, m func(Counts) map[string]int) []string {
	set := map[string]bool{}
	for _, c := range cols {
		for k := range m(c.Counts) {
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

// Reasons writes, each line starting with indent, every exclusion reason
// and failure category of rep with its count and explanation, then up to
// maxFailures of its failures.
func Reasons(w io.Writer, indent string, rep *syncer.Report, maxFailures int) {
	for _, k := range slices.Sorted(maps.Keys(rep.ExcludedByReason)) {
		fmt.Fprintf(w, "%sexcluded %-16s %5d  %s\n", indent, k, rep.ExcludedByReason[k], Explain(string(k)))
	}
	for _, k := range slices.Sorted(maps.Keys(rep.FailedByCategory)) {
		fmt.Fprintf(w, "%sfailed   %-16s %5d  %s\n", indent, k, rep.FailedByCategory[k], Explain(string(k)))
	}
	for i, f := range rep.Failures {
		if i == maxFailures {
			fmt.Fprintf(w, "%s... and %d more failures\n", indent, len(rep.Failures)-i)
			break
		}
		fmt.Fprintf(w, "%sfailure: card %s (person %s): %s: %s\n", indent, f.CardID, f.PersonID, f.Category, OneLine(f.Message, 160))
	}
}

// OneLine collapses white space in s and caps it at n characters.
func OneLine(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > n {
		s = string(r[:n-1]) + "…"
	}
	return s
}
