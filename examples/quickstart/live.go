package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"

	"github.com/cardbridge/sansanhubspot/hubspot"
	"github.com/cardbridge/sansanhubspot/internal/progress"
	"github.com/cardbridge/sansanhubspot/internal/reportview"
	"github.com/cardbridge/sansanhubspot/sansan"
	"github.com/cardbridge/sansanhubspot/syncer"
	"github.com/cardbridge/sansanhubspot/syncer/filestore"
)

// runLive syncs real accounts: a dry run unless -apply, one pass with -once
// or a dry run, otherwise continuously until interrupted.
func runLive(ctx context.Context, o options, key, token string, out io.Writer, env func(string) string) error {
	var ssOpts []sansan.Option
	if u := env("SANSAN_BASE_URL"); u != "" {
		ssOpts = append(ssOpts, sansan.WithBaseURL(u))
	}
	ss, err := sansan.NewClient(key, ssOpts...)
	if err != nil {
		return fmt.Errorf("sansan client: %w", err)
	}
	var hsOpts []hubspot.Option
	if u := env("HUBSPOT_BASE_URL"); u != "" {
		hsOpts = append(hsOpts, hubspot.WithBaseURL(u))
	}
	hub, err := hubspot.NewClient(token, hsOpts...)
	if err != nil {
		return fmt.Errorf("hubspot client: %w", err)
	}

	var store syncer.Store = syncer.NewMemoryStore()
	storeNote := "in memory: links and checkpoints are forgotten on exit (use -store DIR to keep them)"
	if o.store != "" {
		_, statErr := os.Stat(o.store)
		switch {
		case !o.apply && errors.Is(statErr, fs.ErrNotExist):
			storeNote = fmt.Sprintf("in memory (dry run: %s does not exist and is not created)", o.store)
		default:
			fst, err := filestore.Open(o.store)
			if err != nil {
				return fmt.Errorf("open store: %w", err)
			}
			defer fst.Close()
			store = fst
			storeNote = fmt.Sprintf("%s (%d links)", o.store, fst.Len())
		}
	}

	mode := "DRY RUN: nothing is written (add -apply to write)"
	if o.apply {
		mode = "APPLY: writes to Sansan and HubSpot"
	}
	fmt.Fprintf(out, "sansanhubspot quickstart against real accounts\n    mode:      %s\n    direction: %s\n    store:     %s\n",
		mode, o.direction, storeNote)
	if len(o.tagIDs) > 0 {
		fmt.Fprintf(out, "    tags:      %v\n", o.tagIDs)
	} else {
		fmt.Fprintln(out, "    tags:      all cards the key can see")
	}

	bar := progress.New(out, !o.apply)
	bar.Indent = "    "
	cfg := syncer.Config{
		HubSpot:   hub,
		Accounts:  []syncer.Account{{Name: "sansan", Client: ss, TagIDs: o.tagIDs}},
		Store:     store,
		Direction: o.direction,
		DryRun:    !o.apply,
		Interval:  o.interval,
		Progress:  bar.Update,
	}
	if !o.apply || o.once {
		eng, err := syncer.New(cfg)
		if err != nil {
			return err
		}
		rep, err := eng.SyncOnce(ctx)
		if rep != nil {
			printLiveReport(out, rep)
		}
		if err != nil {
			return err
		}
		if !o.apply {
			fmt.Fprintln(out, "Dry run complete: nothing was written. Run again with -apply to sync.")
		}
		return nil
	}
	fmt.Fprintf(out, "Syncing every %s until interrupted (Ctrl-C)...\n", o.interval)
	cfg.OnPass = func(rep *syncer.Report, err error) {
		if rep != nil {
			printLiveReport(out, rep)
		}
		if err != nil {
			fmt.Fprintf(out, "pass failed: %s\n", reportview.Reason(err))
		}
	}
	eng, err := syncer.New(cfg)
	if err != nil {
		return err
	}
	return eng.Run(ctx)
}

func printLiveReport(out io.Writer, rep *syncer.Report) {
	fmt.Fprintln(out)
	reportview.Table(out, []reportview.Column{{Title: reportview.Title(rep), Counts: reportview.Of(rep)}})
	reportview.Reasons(out, "    ", rep, 3)
	if rep.Initial {
		m := minimumCalls(rep)
		fmt.Fprintf(out, "API calls: %d used; minimum %d (%d list calls for %d cards, %d batch writes for %d records) plus the constant preflight\n",
			rep.APICalls["sansan"]+rep.APICalls["hubspot"], m.lists+m.writes, m.lists, m.cardsRead, m.writes, m.recordsSent)
	}
	if n := len(rep.SansanChangesNotApplied); n > 0 {
		fmt.Fprintf(out, "%d HubSpot-side changes cannot be applied to existing Sansan cards (the Sansan API has no card update)\n", n)
	}
}
