package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/cardbridge/sansanhubspot/server"
	"github.com/cardbridge/sansanhubspot/syncer"
)

// config is the service's configuration.
type config struct {
	addr       string
	storeDir   string
	direction  syncer.Direction
	tagIDs     []string
	interval   time.Duration
	dryRun     bool
	webhookURL string
	logLevel   slog.Level
	demo       bool
	demoCards  int

	sansanKey, hubspotToken, webhookSecret string
	sansanBaseURL, hubspotBaseURL          string
}

// loadConfig reads flags, whose defaults come from the environment, and the
// secrets, which come only from the environment.
func loadConfig(args []string, env func(string) string, stderr io.Writer) (config, error) {
	var problems []string
	def := func(k, d string) string {
		if v := strings.TrimSpace(env(k)); v != "" {
			return v
		}
		return d
	}
	defBool := func(k string) bool {
		v := def(k, "false")
		b, err := strconv.ParseBool(v)
		if err != nil {
			problems = append(problems, fmt.Sprintf("%s=%q is not a boolean", k, v))
		}
		return b
	}
	defDuration := func(k string, d time.Duration) time.Duration {
		v := def(k, d.String())
		p, err := time.ParseDuration(v)
		if err != nil {
			problems = append(problems, fmt.Sprintf("%s=%q is not a duration", k, v))
		}
		return p
	}
	c := config{
		sansanKey:      strings.TrimSpace(env("SANSAN_API_KEY")),
		hubspotToken:   strings.TrimSpace(env("HUBSPOT_ACCESS_TOKEN")),
		webhookSecret:  strings.TrimSpace(env("HUBSPOT_CLIENT_SECRET")),
		sansanBaseURL:  strings.TrimSpace(env("SANSAN_BASE_URL")),
		hubspotBaseURL: strings.TrimSpace(env("HUBSPOT_BASE_URL")),
	}
	fs := flag.NewFlagSet("service", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var dir, tags, level string
	fs.StringVar(&c.addr, "addr", def("SYNC_ADDR", server.DefaultAddr), "listen address; the page has no authentication, see the doc before exposing it (SYNC_ADDR)")
	fs.StringVar(&c.storeDir, "store", def("SYNC_STORE_DIR", "sansanhubspot-store"), "store directory (SYNC_STORE_DIR)")
	fs.StringVar(&dir, "direction", def("SYNC_DIRECTION", "sansan-to-hubspot"), "sansan-to-hubspot, hubspot-to-sansan or two-way (SYNC_DIRECTION)")
	fs.StringVar(&tags, "tags", def("SANSAN_TAG_IDS", ""), "comma-separated Sansan public or shared tag ids; empty syncs all cards (SANSAN_TAG_IDS)")
	fs.DurationVar(&c.interval, "interval", defDuration("SYNC_INTERVAL", syncer.DefaultInterval), "time between passes (SYNC_INTERVAL)")
	fs.BoolVar(&c.dryRun, "dry-run", defBool("SYNC_DRY_RUN"), "plan passes without writing (SYNC_DRY_RUN)")
	fs.StringVar(&c.webhookURL, "webhook-url", def("HUBSPOT_WEBHOOK_URL", ""), "exact webhook target URL configured in HubSpot, if a proxy rewrites it (HUBSPOT_WEBHOOK_URL)")
	fs.StringVar(&level, "log-level", def("LOG_LEVEL", "info"), "debug, info, warn or error (LOG_LEVEL)")
	fs.BoolVar(&c.demo, "demo", false, "run offline on the SDK's built-in fakes, with an in-memory store; no keys needed")
	fs.IntVar(&c.demoCards, "demo-cards", 500, "with -demo, the number of business cards in the fake Sansan tenant")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if !c.demo {
		if c.sansanKey == "" {
			problems = append(problems, "SANSAN_API_KEY is not set (or use -demo to run offline)")
		}
		if c.hubspotToken == "" {
			problems = append(problems, "HUBSPOT_ACCESS_TOKEN is not set")
		}
	} else if c.demoCards < 1 || c.demoCards > 100000 {
		problems = append(problems, fmt.Sprintf("-demo-cards must be between 1 and 100000, got %d", c.demoCards))
	}
	var err error
	if c.direction, err = syncer.ParseDirection(dir); err != nil {
		problems = append(problems, err.Error())
	}
	if c.interval <= 0 {
		problems = append(problems, fmt.Sprintf("interval %s is not a positive duration", c.interval))
	}
	if err := c.logLevel.UnmarshalText([]byte(level)); err != nil {
		problems = append(problems, fmt.Sprintf("log level %q is not debug, info, warn or error", level))
	}
	for t := range strings.SplitSeq(tags, ",") {
		if t = strings.TrimSpace(t); t != "" {
			c.tagIDs = append(c.tagIDs, t)
		}
	}
	if len(problems) > 0 {
		return c, errors.New(strings.Join(problems, "; "))
	}
	return c, nil
}
