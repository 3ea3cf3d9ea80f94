package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"runtime/debug"
	"strings"
	"text/tabwriter"
)

// runner runs a parsed subcommand with its positional arguments.
type runner func(ctx context.Context, a *app, args []string) int

// command is a subcommand: setup registers its own flags and returns what
// runs it.
type command struct {
	name, args, summary string
	setup               func(fs *flag.FlagSet) runner
}

var commands = []command{
	{"sync", "", "sync once (--watch: keep syncing every --interval)", setupSync},
	{"plan", "", "dry run: the full table of what a sync would write", setupPlan},
	{"status", "", "links by account, state and reason, and the last pass", setupStatus},
	{"failures", "", "list failing records with category, attempts, next retry, last error", setupFailures},
	{"retry", "[PERSON_ID...]", "make failing records due now and sync them", setupRetry},
	{"resync", "", "rewrite properties of every contact from its card (a backfill)", setupResync},
	{"serve", "", "run the sync service: health page, /healthz, /metrics, webhooks", setupServe},
	{"version", "", "print the version", nil},
}

// run is the whole program: main only adds the process's arguments,
// streams, environment and signal handling, so tests can call it.
func run(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) int {
	if len(args) == 0 {
		usage(stderr)
		return exitUsage
	}
	name := args[0]
	switch name {
	case "help", "-h", "-help", "--help":
		if len(args) > 1 {
			return run(ctx, []string{args[1], "-h"}, stdout, stderr, getenv)
		}
		usage(stdout)
		return exitOK
	case "version", "-version", "--version":
		fmt.Fprintln(stdout, "sansanhubspot", version())
		return exitOK
	}
	var cmd *command
	for i := range commands {
		if commands[i].name == name && commands[i].setup != nil {
			cmd = &commands[i]
		}
	}
	if cmd == nil {
		fmt.Fprintf(stderr, "sansanhubspot: unknown command %q\n\n", name)
		usage(stderr)
		return exitUsage
	}
	fs := flag.NewFlagSet("sansanhubspot "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fv := register(fs)
	var demo demoOptions
	fs.BoolVar(&demo.on, "demo", false, "run on built-in fakes of Sansan and HubSpot, offline, with an in-memory store unless --store is given")
	fs.IntVar(&demo.cards, "demo-cards", 500, "with --demo, the number of cards in the fake Sansan tenant")
	runCmd := cmd.setup(fs)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: sansanhubspot %s [flags] %s\n\n%s.\n\nflags:\n", cmd.name, cmd.args, capitalize(cmd.summary))
		fs.PrintDefaults()
	}
	rest, err := parseInterleaved(fs, args[1:])
	if errors.Is(err, flag.ErrHelp) {
		return exitOK
	}
	if err != nil {
		return exitUsage
	}
	if demo.on && (demo.cards < 1 || demo.cards > 100000) {
		fmt.Fprintf(stderr, "sansanhubspot: --demo-cards must be between 1 and 100000, got %d\n", demo.cards)
		return exitUsage
	}
	cfg, err := load(fs, fv, getenv)
	if err != nil {
		fmt.Fprintf(stderr, "sansanhubspot: %v\n", err)
		return exitUsage
	}
	a := &app{cfg: cfg, demo: demo, stdout: stdout, stderr: stderr}
	defer a.close()
	return runCmd(ctx, a, rest)
}

// parseInterleaved parses flags wherever they are among the positional
// arguments ("retry P1 --category conflict P2"), which the flag package
// alone does not.
func parseInterleaved(fs *flag.FlagSet, args []string) ([]string, error) {
	var rest []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		args = fs.Args()
		if len(args) == 0 {
			return rest, nil
		}
		rest = append(rest, args[0])
		args = args[1:]
	}
}

func usage(w io.Writer) {
	fmt.Fprint(w, `sansanhubspot syncs Sansan business cards and HubSpot contacts.

usage: sansanhubspot <command> [flags]

commands:
`)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, c := range commands {
		fmt.Fprintf(tw, "  %s %s\t%s\n", c.name, c.args, c.summary)
	}
	tw.Flush()
	fmt.Fprint(w, `
Every command takes --demo (offline, on built-in fakes) and the settings flags;
"sansanhubspot <command> -h" lists them. Settings come from flags, then the
environment (SANSAN_API_KEY, HUBSPOT_ACCESS_TOKEN, SANSANHUBSPOT_STORE, ...),
then a JSON file (--config or SANSANHUBSPOT_CONFIG).

exit codes: 0 ok, 1 error, 2 usage or configuration, 3 records failed (sync,
plan, retry, resync) or failing (status), 4 store bound to another portal or
Sansan user, 5 credentials rejected, 6 HubSpot daily limit, 130 interrupted.
`)
}

// version is the module version the binary was built from.
func version() string {
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" {
		return bi.Main.Version
	}
	return "(devel)"
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// fail prints why err stopped the command and returns its exit code.
func (a *app) fail(err error) int {
	if a.bar != nil {
		a.bar.End()
	}
	fmt.Fprintf(a.stderr, "sansanhubspot: %s\n", reason(err))
	return exitCode(err)
}

// noArgs fails a command that takes no positional arguments but got some.
func (a *app) noArgs(args []string) (int, bool) {
	if len(args) > 0 {
		return a.fail(usageError(fmt.Sprintf("unexpected argument %q", args[0]))), false
	}
	return 0, true
}
