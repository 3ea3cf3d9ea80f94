package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/cardbridge/sansanhubspot/internal/reportview"
	"github.com/cardbridge/sansanhubspot/syncer"
)

// Exit codes.
const (
	exitOK      = 0
	exitFailure = 1
	exitUsage   = 2
)

// options are the parsed command line.
type options struct {
	apply     bool
	direction syncer.Direction
	tagIDs    []string
	store     string
	once      bool
	interval  time.Duration
	cards     int
	seed      uint64
}

// run is the whole program: main only adds the process's arguments,
// streams, environment and signal handling, so tests can call run directly.
func run(ctx context.Context, args []string, stdout, stderr io.Writer, env func(string) string) int {
	o, err := parseFlags(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return exitOK
	}
	if err != nil {
		fmt.Fprintf(stderr, "quickstart: %v\n", err)
		return exitUsage
	}
	key, token := strings.TrimSpace(env("SANSAN_API_KEY")), strings.TrimSpace(env("HUBSPOT_ACCESS_TOKEN"))
	switch {
	case key == "" && token == "":
		err = runDemo(ctx, o, stdout)
	case key == "" || token == "":
		err = errors.New("set both SANSAN_API_KEY and HUBSPOT_ACCESS_TOKEN to use real accounts, or neither for the offline demo")
	default:
		err = runLive(ctx, o, key, token, stdout, env)
	}
	if err != nil {
		fmt.Fprintf(stderr, "quickstart: %s\n", reportview.Reason(err))
		return exitFailure
	}
	return exitOK
}

func parseFlags(args []string, stderr io.Writer) (options, error) {
	fs := flag.NewFlagSet("quickstart", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var o options
	var dir, tags string
	fs.BoolVar(&o.apply, "apply", false, "write to the real services (without it a run against real accounts is a dry run)")
	fs.StringVar(&dir, "direction", "sansan-to-hubspot", "sync direction: sansan-to-hubspot, hubspot-to-sansan or two-way")
	fs.StringVar(&tags, "tags", "", "comma-separated Sansan public or shared tag ids to sync (default: all cards)")
	fs.StringVar(&o.store, "store", "", "directory of the durable store of links and checkpoints (default: in memory)")
	fs.BoolVar(&o.once, "once", false, "with -apply, run one pass and exit instead of syncing continuously")
	fs.DurationVar(&o.interval, "interval", syncer.DefaultInterval, "time between passes when syncing continuously")
	fs.IntVar(&o.cards, "cards", 3000, "offline demo: number of business cards in the fake tenant")
	fs.Uint64Var(&o.seed, "seed", 1, "offline demo: seed of the generated cards")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: quickstart [flags]\n\n"+
			"Without SANSAN_API_KEY and HUBSPOT_ACCESS_TOKEN it runs an offline demo against built-in fakes.\n"+
			"With both set it syncs the real accounts: a dry run unless -apply is given.\n\nflags:\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	d, err := syncer.ParseDirection(dir)
	if err != nil {
		return o, fmt.Errorf("-direction: %w", err)
	}
	o.direction = d
	for t := range strings.SplitSeq(tags, ",") {
		if t = strings.TrimSpace(t); t != "" {
			o.tagIDs = append(o.tagIDs, t)
		}
	}
	if o.interval <= 0 {
		return o, fmt.Errorf("-interval must be positive, got %s", o.interval)
	}
	if o.cards < 1 || o.cards > 100000 {
		return o, fmt.Errorf("-cards must be between 1 and 100000, got %d", o.cards)
	}
	return o, nil
}
