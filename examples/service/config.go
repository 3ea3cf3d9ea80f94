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

	sansanKey, hubspotToken, webhookSecret string
	sansanBaseURL, hubspotBaseURL          string
}

// loadConfig reads flags, whose defaults come from the environment, and the
// secrets, which come only from the environment.
func loadConfig(args []string, env func(string) string, stderr io.Writer) (config, error) {
	def := func(k, d string) string {
		if v := strings.TrimSpace(env(k)); v != "" {
			return v
		}
		return d
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
	var dir, tags, interval, dry, level string
	fs.StringVar(&c.addr, "addr", def("SYNC_ADDR", ":8080"), "listen address (SYNC_ADDR)")
	fs.StringVar(&c.storeDir, "store", def("SYNC_STORE_DIR", "sansanhubspot-store"), "store directory (SYNC_STORE_DIR)")
	fs.StringVar(&dir, "direction", def("SYNC_DIRECTION", "sansan-to-hubspot"), "sansan-to-hubspot, hubspot-to-sansan or two-way (SYNC_DIRECTION)")
	fs.StringVar(&tags, "tags", def("SANSAN_TAG_IDS", ""), "comma-separated Sansan public or shared tag ids; empty syncs all cards (SANSAN_TAG_IDS)")
	fs.StringVar(&interval, "interval", def("SYNC_INTERVAL", syncer.DefaultInterval.String()), "time between passes (SYNC_INTERVAL)")
	fs.StringVar(&dry, "dry-run", def("SYNC_DRY_RUN", "false"), "plan passes without writing (SYNC_DRY_RUN)")
	fs.StringVar(&c.webhookURL, "webhook-url", def("HUBSPOT_WEBHOOK_URL", ""), "exact webhook target URL configured in HubSpot, if a proxy rewrites it (HUBSPOT_WEBHOOK_URL)")
	fs.StringVar(&level, "log-level", def("LOG_LEVEL", "info"), "debug, info, warn or error (LOG_LEVEL)")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	var problems []string
	if c.sansanKey == "" {
		problems = append(problems, "SANSAN_API_KEY is not set")
	}
	if c.hubspotToken == "" {
		problems = append(problems, "HUBSPOT_ACCESS_TOKEN is not set")
	}
	var err error
	if c.direction, err = syncer.ParseDirection(dir); err != nil {
		problems = append(problems, err.Error())
	}
	if c.interval, err = time.ParseDuration(interval); err != nil || c.interval <= 0 {
		problems = append(problems, fmt.Sprintf("interval %q is not a positive duration", interval))
	}
	if c.dryRun, err = strconv.ParseBool(dry); err != nil {
		problems = append(problems, fmt.Sprintf("dry-run %q is not a boolean", dry))
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
