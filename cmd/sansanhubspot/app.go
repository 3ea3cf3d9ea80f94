package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"slices"
	"strings"

	"github.com/cardbridge/sansanhubspot/fakes"
	"github.com/cardbridge/sansanhubspot/hubspot"
	"github.com/cardbridge/sansanhubspot/internal/progress"
	"github.com/cardbridge/sansanhubspot/internal/reportview"
	"github.com/cardbridge/sansanhubspot/mapping"
	"github.com/cardbridge/sansanhubspot/sansan"
	"github.com/cardbridge/sansanhubspot/sansan/sansantest"
	"github.com/cardbridge/sansanhubspot/server"
	"github.com/cardbridge/sansanhubspot/syncer"
	"github.com/cardbridge/sansanhubspot/syncer/filestore"
)

// Exit codes, documented in the package comment.
const (
	exitOK            = 0
	exitError         = 1
	exitUsage         = 2
	exitRecordsFailed = 3
	exitStoreMismatch = 4
	exitRejected      = 5
	exitDailyLimit    = 6
	exitInterrupted   = 130
)

// exitCode maps an error to the exit code scripts see.
func exitCode(err error) int {
	switch {
	case err == nil:
		return exitOK
	case errors.Is(err, context.Canceled):
		return exitInterrupted
	case errors.Is(err, syncer.ErrStoreMismatch):
		return exitStoreMismatch
	case errors.Is(err, sansan.ErrInvalidAPIKey), errors.Is(err, sansan.ErrUnauthorized),
		errors.Is(err, hubspot.ErrUnauthorized), errors.Is(err, hubspot.ErrForbidden):
		return exitRejected
	case errors.Is(err, hubspot.ErrDailyLimit):
		return exitDailyLimit
	case errors.Is(err, syncer.ErrConfig), errors.As(err, new(usageError)):
		return exitUsage
	}
	return exitError
}

// usageError is a mistake in the command line or the configuration.
type usageError string

func (e usageError) Error() string { return string(e) }

// reason is the one line the tool ends with on an error.
func reason(err error) string {
	msg := reportview.Reason(err)
	if errors.Is(err, syncer.ErrStoreMismatch) {
		msg += "; give another --store"
	}
	return msg
}

// quiet is the log level of one-shot commands unless one is configured:
// none, since their output and their last line already say what failed.
const quiet = slog.LevelError + 4

// demoOptions configure --demo.
type demoOptions struct {
	on    bool
	cards int
}

// demoRefused is how many addresses the demo's HubSpot fake refuses, so
// that failures can be shown.
const demoRefused = 3

// demoWebhookSecret signs webhooks in serve --demo unless
// HUBSPOT_CLIENT_SECRET is set.
const demoWebhookSecret = "demo-client-secret"

// app is what a subcommand runs with: the configuration, the streams and,
// once open has run, the engine on its store.
type app struct {
	cfg            config
	demo           demoOptions
	stdout, stderr io.Writer
	log            *slog.Logger

	eng       *syncer.Engine
	engCfg    syncer.Config
	storeDesc string
	fakes     *fakes.Env // with --demo
	refused   map[string]bool
	bar       *progress.Line
	closers   []func()
}

// openOptions say what a subcommand needs of open.
type openOptions struct {
	// storeRequired: the command reads state a previous run left (status,
	// failures, retry, resync); without --demo it needs --store.
	storeRequired bool
	// readOnly: the command only reads the store and needs no credentials.
	readOnly bool
	// dryRun overrides the configuration's dry_run when set.
	dryRun *bool
	// progress draws the pass's progress on stderr.
	progress bool
	// onPass is the engine's OnPass.
	onPass func(*syncer.Report, error)
	// onPlanned is the engine's OnPlanned (dry runs).
	onPlanned func(syncer.PlannedWrite)
	// logLevel is the default level when none is configured.
	logLevel slog.Level
}

// open builds the clients, the store and the engine.
func (a *app) open(opts openOptions) error {
	level := opts.logLevel
	if a.cfg.levelSet {
		level = a.cfg.logLevel
	}
	a.log = server.NewLogger(a.stderr, a.cfg.logJSON, level)
	dry := a.cfg.dryRun
	if opts.dryRun != nil {
		dry = *opts.dryRun
	}
	hub, accounts, err := a.clients(opts)
	if err != nil {
		return err
	}
	store, err := a.openStore(opts, dry)
	if err != nil {
		return err
	}
	cfg := syncer.Config{
		HubSpot:   hub,
		Accounts:  accounts,
		Store:     store,
		Direction: a.cfg.direction,
		Interval:  a.cfg.interval,
		DryRun:    dry,
		Logger:    a.log,
		OnPass:    opts.onPass,
		OnPlanned: opts.onPlanned,
	}
	if opts.progress {
		a.bar = progress.New(a.stderr, dry)
		a.bar.Indent = "  "
		cfg.Progress = a.bar.Update
	}
	a.engCfg = cfg
	a.eng, err = syncer.New(cfg)
	return err
}

// close releases what open acquired.
func (a *app) close() {
	for _, f := range slices.Backward(a.closers) {
		f()
	}
}

// clients returns the HubSpot client and the Sansan accounts: the fakes'
// with --demo, placeholders that send nothing for a read-only command
// without credentials, the configured ones otherwise.
func (a *app) clients(opts openOptions) (*hubspot.Client, []syncer.Account, error) {
	if a.demo.on {
		env, err := fakes.Start(fakes.Options{Cards: a.demo.cards, Seed: 1})
		if err != nil {
			return nil, nil, err
		}
		a.closers = append(a.closers, env.Close)
		a.fakes = env
		a.refuseDemoAddresses()
		fmt.Fprintf(a.stderr, "demo: built-in fakes of Sansan (%d cards) and HubSpot on 127.0.0.1; nothing leaves this machine\n", len(env.Cards))
		fmt.Fprintf(a.stderr, "demo: the HubSpot fake refuses %d addresses, so that failures show\n", len(a.refused))
		return env.HubSpotClient, []syncer.Account{{Name: a.cfg.account, Client: env.SansanClient, TagIDs: a.cfg.tags}}, nil
	}
	type acct struct {
		name, key string
		tags      []string
	}
	accts := []acct{{a.cfg.account, a.cfg.sansanKey, a.cfg.tags}}
	if len(a.cfg.accounts) > 0 {
		accts = accts[:0]
		for _, c := range a.cfg.accounts {
			accts = append(accts, acct{c.Name, c.APIKey, c.TagIDs})
		}
	}
	token, ssBase, hsBase := a.cfg.hubspotToken, a.cfg.sansanBaseURL, a.cfg.hubspotBaseURL
	var missing []string
	if token == "" {
		missing = append(missing, "HUBSPOT_ACCESS_TOKEN")
	}
	for _, ac := range accts {
		if ac.key == "" {
			missing = append(missing, fmt.Sprintf("the Sansan API key of account %q (SANSAN_API_KEY or the config file)", ac.name))
		}
	}
	if len(missing) > 0 {
		if !opts.readOnly {
			return nil, nil, usageError("not set: " + strings.Join(missing, ", ") + " (or try --demo)")
		}
		// This command only reads the store: placeholders that could
		// only ever reach a closed port on this machine.
		token, ssBase, hsBase = "offline", "http://127.0.0.1:1/", "http://127.0.0.1:1/"
		for i := range accts {
			accts[i].key = strings.Repeat("0", 32)
		}
	}
	var hsOpts []hubspot.Option
	if hsBase != "" {
		hsOpts = append(hsOpts, hubspot.WithBaseURL(hsBase))
	}
	hub, err := hubspot.NewClient(token, append(hsOpts, hubspot.WithLogger(a.log))...)
	if err != nil {
		return nil, nil, usageError("hubspot: " + err.Error())
	}
	var out []syncer.Account
	for _, ac := range accts {
		var ssOpts []sansan.Option
		if ssBase != "" {
			ssOpts = append(ssOpts, sansan.WithBaseURL(ssBase))
		}
		ss, err := sansan.NewClient(ac.key, append(ssOpts, sansan.WithLogger(a.log))...)
		if err != nil {
			return nil, nil, fmt.Errorf("account %q: %w", ac.name, err)
		}
		out = append(out, syncer.Account{Name: ac.name, Client: ss, TagIDs: ac.tags})
	}
	return hub, out, nil
}

// refuseDemoAddresses makes the demo's HubSpot fake refuse a few
// addresses, chosen deterministically, as HubSpot refuses values it does
// not accept.
func (a *app) refuseDemoAddresses() {
	a.refused = map[string]bool{}
	for _, c := range a.fakes.Cards {
		if len(a.refused) == demoRefused {
			break
		}
		e := mapping.NormalizeEmail(sansan.Deref(c.Email))
		if c.EntryStatus == sansantest.EntryStatusCompleted && e.Status == mapping.EmailValid {
			a.refused[e.Normalized] = true
		}
	}
	a.fakes.HubSpot.Fake.FailBatchInputs(func(p map[string]string) bool { return a.refused[strings.ToLower(p["email"])] })
}

// openStore opens the file store at --store, or a memory store.
func (a *app) openStore(opts openOptions, dry bool) (syncer.Store, error) {
	path := a.cfg.store
	if path == "" {
		switch {
		case a.demo.on:
			a.storeDesc = "memory (demo)"
		case opts.storeRequired:
			return nil, usageError("this command reads the store a sync left: give --store (or SANSANHUBSPOT_STORE, or try --demo)")
		default:
			a.storeDesc = "memory"
			fmt.Fprintln(a.stderr, "note: no --store: links and checkpoints are kept in memory and forgotten on exit, so every run is an initial sync")
		}
		return syncer.NewMemoryStore(), nil
	}
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		switch {
		case opts.storeRequired && !a.demo.on:
			return nil, fmt.Errorf("no store at %s: run sansanhubspot sync --store %s first", path, path)
		case dry:
			a.storeDesc = "memory (" + path + " does not exist and a dry run does not create it)"
			return syncer.NewMemoryStore(), nil
		}
	}
	st, err := filestore.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open store: %w", err)
	}
	a.closers = append(a.closers, func() {
		if err := st.Close(); err != nil {
			fmt.Fprintf(a.stderr, "warning: closing the store: %v\n", err)
		}
	})
	a.storeDesc = path
	return st, nil
}

// prime runs a first pass quietly in --demo, so that commands reading
// state have some to show.
func (a *app) prime(ctx context.Context) error {
	if !a.demo.on {
		return nil
	}
	cfg := a.engCfg
	cfg.DryRun, cfg.Progress, cfg.OnPass = false, nil, nil
	eng, err := syncer.New(cfg)
	if err != nil {
		return err
	}
	rep, err := eng.SyncOnce(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(a.stderr, "demo: a first pass synced the fakes: created %d, excluded %d, failed %d\n", rep.Created, rep.Excluded, rep.Failed)
	return nil
}
