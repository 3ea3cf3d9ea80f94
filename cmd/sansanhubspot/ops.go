package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/cardbridge/sansanhubspot/internal/humantime"
	"github.com/cardbridge/sansanhubspot/internal/reportview"
	"github.com/cardbridge/sansanhubspot/syncer"
)

// readOnly opens the engine for a command that only reads the store.
func (a *app) openReadOnly(ctx context.Context) error {
	if err := a.open(openOptions{storeRequired: true, readOnly: true, logLevel: quiet}); err != nil {
		return err
	}
	return a.prime(ctx)
}

// statusJSON is status --json.
type statusJSON struct {
	Store    string          `json:"store"`
	Links    []linkCountJSON `json:"links"`
	LastPass *lastPassJSON   `json:"last_pass"`
}

type linkCountJSON struct {
	Account string `json:"account"`
	State   string `json:"state"`
	Reason  string `json:"reason,omitempty"`
	N       int    `json:"n"`
}

type lastPassJSON struct {
	Started          time.Time      `json:"started"`
	Duration         string         `json:"duration"`
	Initial          bool           `json:"initial"`
	Created          int            `json:"created"`
	Updated          int            `json:"updated"`
	Unchanged        int            `json:"unchanged"`
	Excluded         int            `json:"excluded"`
	Failed           int            `json:"failed"`
	ExcludedByReason map[string]int `json:"excluded_by_reason"`
	FailedByCategory map[string]int `json:"failed_by_category"`
}

func setupStatus(fs *flag.FlagSet) runner {
	asJSON := fs.Bool("json", false, "print JSON")
	return func(ctx context.Context, a *app, args []string) int {
		if code, ok := a.noArgs(args); !ok {
			return code
		}
		if err := a.openReadOnly(ctx); err != nil {
			return a.fail(err)
		}
		counts, err := a.eng.LinkCounts(ctx)
		if err != nil {
			return a.fail(err)
		}
		last, err := a.eng.LastReport(ctx)
		if err != nil && !errors.Is(err, syncer.ErrNotFound) {
			return a.fail(err)
		}
		failing := 0
		byState := map[syncer.LinkState]int{}
		for _, c := range counts {
			byState[c.State] += c.N
		}
		failing = byState[syncer.StateFailing]
		if *asJSON {
			out := statusJSON{Store: a.storeDesc, Links: []linkCountJSON{}}
			for _, c := range counts {
				out.Links = append(out.Links, linkCountJSON{c.Account, string(c.State), c.Reason, c.N})
			}
			if last != nil {
				c := reportview.Of(last)
				out.LastPass = &lastPassJSON{last.Started, humantime.String(last.Duration), last.Initial,
					c.Created, c.Updated, c.Unchanged, c.Excluded, c.Failed, c.ExcludedByReason, c.FailedByCategory}
			}
			enc := json.NewEncoder(a.stdout)
			enc.SetIndent("", "  ")
			if err := enc.Encode(out); err != nil {
				return a.fail(err)
			}
		} else {
			fmt.Fprintf(a.stdout, "store %s\n", a.storeDesc)
			fmt.Fprintf(a.stdout, "links: %d in sync, %d excluded, %d failing\n",
				byState[syncer.StateInSync], byState[syncer.StateExcluded], failing)
			if len(counts) > 0 {
				tw := tabwriter.NewWriter(a.stdout, 0, 0, 2, ' ', 0)
				fmt.Fprintln(tw, "ACCOUNT\tSTATE\tREASON\tLINKS")
				for _, c := range counts {
					fmt.Fprintf(tw, "%s\t%s\t%s\t%d\n", c.Account, c.State, c.Reason, c.N)
				}
				tw.Flush()
			}
			if last == nil {
				fmt.Fprintln(a.stdout, "last pass: none recorded")
			} else {
				kind := "incremental"
				if last.Initial {
					kind = "initial sync"
				}
				fmt.Fprintf(a.stdout, "last pass: %s (%s ago), %s: %s", last.Started.UTC().Format("2006-01-02 15:04:05Z"),
					humantime.String(time.Since(last.Started).Round(time.Second)), kind, summary(last))
			}
		}
		if failing > 0 {
			return exitRecordsFailed
		}
		return exitOK
	}
}

// category checks a --category value.
func category(v string) (syncer.FailureCategory, error) {
	if v == "" {
		return "", nil
	}
	if !slices.Contains(syncer.FailureCategories, syncer.FailureCategory(v)) {
		var names []string
		for _, c := range syncer.FailureCategories {
			names = append(names, string(c))
		}
		return "", usageError(fmt.Sprintf("--category %q is not one of %s", v, strings.Join(names, ", ")))
	}
	return syncer.FailureCategory(v), nil
}

// failureJSON is one record of failures --json.
type failureJSON struct {
	PersonID  string    `json:"person_id"`
	Account   string    `json:"account"`
	CardID    string    `json:"card_id,omitempty"`
	ContactID string    `json:"contact_id,omitempty"`
	Category  string    `json:"category"`
	Attempts  int       `json:"attempts"`
	NextRetry time.Time `json:"next_retry,omitzero"`
	Error     string    `json:"error"`
}

func setupFailures(fs *flag.FlagSet) runner {
	account := fs.String("account", "", "only records of this account")
	cat := fs.String("category", "", "only records failing for this category, e.g. invalid_value or conflict")
	limit := fs.Int("limit", 50, "at most this many records (up to 1000)")
	after := fs.String("after", "", "start after this person id (the next page)")
	asJSON := fs.Bool("json", false, "print JSON lines, one record a line")
	return func(ctx context.Context, a *app, args []string) int {
		if code, ok := a.noArgs(args); !ok {
			return code
		}
		c, err := category(*cat)
		if err == nil && (*limit < 1 || *limit > syncer.MaxLinkQueryLimit) {
			err = usageError(fmt.Sprintf("--limit must be between 1 and %d", syncer.MaxLinkQueryLimit))
		}
		if err != nil {
			return a.fail(err)
		}
		if err := a.openReadOnly(ctx); err != nil {
			return a.fail(err)
		}
		q := syncer.LinkQuery{States: []syncer.LinkState{syncer.StateFailing}, Account: *account, Reason: string(c), After: *after, Limit: *limit + 1}
		links, err := a.eng.Links(ctx, q)
		if err != nil {
			return a.fail(err)
		}
		more := len(links) > *limit
		links = links[:min(len(links), *limit)]
		if *asJSON {
			enc := json.NewEncoder(a.stdout)
			for _, l := range links {
				if err := enc.Encode(failureJSON{l.PersonID, l.Account, l.CardID, l.ContactID, l.Reason, l.Attempts, l.NextRetry, l.Message}); err != nil {
					return a.fail(err)
				}
			}
			return exitOK
		}
		if len(links) == 0 {
			fmt.Fprintln(a.stdout, "no failing records")
			return exitOK
		}
		now := time.Now()
		tw := tabwriter.NewWriter(a.stdout, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "PERSON\tACCOUNT\tCARD\tCONTACT\tCATEGORY\tATTEMPTS\tNEXT RETRY\tLAST ERROR")
		for _, l := range links {
			next := "-"
			if !l.NextRetry.IsZero() {
				next = "due now"
				if d := l.NextRetry.Sub(now); d > 0 {
					next = "in " + humantime.String(d.Round(time.Second))
				}
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%d\t%s\t%s\n", l.PersonID, l.Account, dash(l.CardID), dash(l.ContactID), l.Reason,
				l.Attempts, next, reportview.OneLine(l.Message, 100))
		}
		tw.Flush()
		if more {
			fmt.Fprintf(a.stdout, "more: sansanhubspot failures --after %s\n", links[len(links)-1].PersonID)
		}
		return exitOK
	}
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func setupRetry(fs *flag.FlagSet) runner {
	account := fs.String("account", "", "retry the failing records of this account")
	cat := fs.String("category", "", "retry the records failing for this category, e.g. rate_limited")
	all := fs.Bool("all", false, "retry every failing record")
	markOnly := fs.Bool("mark-only", false, "only make the records due; the next pass (of any process on the store) retries them")
	return func(ctx context.Context, a *app, args []string) int {
		c, err := category(*cat)
		if err == nil && len(args) == 0 && *account == "" && c == "" && !*all {
			err = usageError("name the records to retry: person ids, --account, --category, or --all")
		}
		if err != nil {
			return a.fail(err)
		}
		if err := a.open(openOptions{storeRequired: true, readOnly: *markOnly, progress: !*markOnly, logLevel: quiet}); err != nil {
			return a.fail(err)
		}
		if err := a.prime(ctx); err != nil {
			return a.fail(err)
		}
		if a.fakes != nil {
			a.fakes.HubSpot.Fake.FailBatchInputs(nil)
			fmt.Fprintln(a.stderr, "demo: the HubSpot fake accepts the refused addresses again")
		}
		n, err := a.eng.RetryNow(ctx, syncer.RetrySelector{PersonIDs: args, Account: *account, Category: c})
		if err != nil {
			return a.fail(err)
		}
		fmt.Fprintf(a.stdout, "%d failing records are due now\n", n)
		if *markOnly || n == 0 {
			return exitOK
		}
		return a.onePass(a.eng.SyncOnce(ctx))
	}
}

func setupResync(fs *flag.FlagSet) runner {
	account := fs.String("account", "", "comma-separated accounts to resync (default: all)")
	props := fs.String("properties", "", "comma-separated HubSpot properties to rewrite (default: every mapped one)")
	return func(ctx context.Context, a *app, args []string) int {
		if code, ok := a.noArgs(args); !ok {
			return code
		}
		if err := a.open(openOptions{storeRequired: true, progress: true, logLevel: quiet}); err != nil {
			return a.fail(err)
		}
		if err := a.prime(ctx); err != nil {
			return a.fail(err)
		}
		a.header()
		return a.onePass(a.eng.Resync(ctx, syncer.ResyncOptions{Accounts: splitList(*account), Properties: splitList(*props)}))
	}
}
