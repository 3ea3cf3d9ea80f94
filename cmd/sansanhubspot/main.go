// Command sansanhubspot syncs Sansan business cards and HubSpot contacts
// from the command line, on the SDK's engine.
//
//	go install github.com/cardbridge/sansanhubspot/cmd/sansanhubspot@latest
//	sansanhubspot sync --demo          # try it offline, on built-in fakes
//
// # Commands
//
//	sync        one pass; --watch keeps syncing every --interval (Engine.Run)
//	plan        a dry run: the full table of what a sync would create, update,
//	            leave, exclude (by reason) and fail, per account and direction
//	status      links by account, state and reason, and the last pass
//	failures    failing records: category, attempts, next retry, last error;
//	            --account, --category, --limit, --after, --json
//	retry       make failing records due now and sync them: person ids,
//	            --account, --category or --all; --mark-only leaves the pass to
//	            the next run of any process on the store
//	resync      rewrite properties of every contact from its card (Engine.Resync):
//	            --account a,b and --properties p,q narrow it, --dry-run plans it
//	serve       the sync service: health page, /healthz, /metrics and the HubSpot
//	            webhook endpoint on --addr (default 127.0.0.1:8080), with the
//	            timeouts and bounds of the server package
//	version     the version
//
// Every command takes --demo: it starts fakes of Sansan and HubSpot in the
// process (--demo-cards of them; the HubSpot fake refuses three addresses
// so that failures show) and uses an in-memory store unless --store is
// given. status, failures, retry and resync first run a pass on the fakes,
// so there is something to show.
//
// # Configuration
//
// Each setting comes from a flag, else an environment variable, else the
// JSON config file named by --config or SANSANHUBSPOT_CONFIG:
//
//	flag                 environment               file key
//	--store PATH         SANSANHUBSPOT_STORE       store             file store directory
//	--direction D        SANSANHUBSPOT_DIRECTION   direction         sansan-to-hubspot, hubspot-to-sansan, two-way
//	--tags IDS           SANSAN_TAG_IDS            tags              public/shared tag ids (default: all cards)
//	--interval D         SANSANHUBSPOT_INTERVAL    interval          between passes of sync --watch and serve (30s, 5m)
//	--dry-run            SANSANHUBSPOT_DRY_RUN     dry_run           write nothing (sync, resync, serve)
//	--addr A             SANSANHUBSPOT_ADDR        addr              serve's listen address
//	--webhook-url U      HUBSPOT_WEBHOOK_URL       webhook_url       the URL HubSpot signs, behind a proxy
//	--log-level L        SANSANHUBSPOT_LOG_LEVEL   log_level         debug, info, warn, error
//	--log-format F       SANSANHUBSPOT_LOG_FORMAT  log_format        text or json (logs go to stderr)
//	--sansan-base-url    SANSAN_BASE_URL           sansan_base_url   a proxy
//	--hubspot-base-url   HUBSPOT_BASE_URL          hubspot_base_url  a proxy
//	                     SANSAN_API_KEY            sansan_api_key
//	                     HUBSPOT_ACCESS_TOKEN      hubspot_access_token
//	                     HUBSPOT_CLIENT_SECRET     hubspot_client_secret  enables serve's webhooks
//	                     SANSANHUBSPOT_ACCOUNT     account           the account's name (default "sansan")
//
// Secrets have no flags, since command lines show in process listings.
// The file may instead list several Sansan accounts, each with its key in
// an environment variable:
//
//	{
//	  "store": "/var/lib/sansanhubspot",
//	  "direction": "two-way",
//	  "interval": "5m",
//	  "accounts": [
//	    {"name": "tokyo", "api_key_env": "SANSAN_KEY_TOKYO", "tags": ["1A2B..."]},
//	    {"name": "osaka", "api_key_env": "SANSAN_KEY_OSAKA"}
//	  ]
//	}
//
// status and failures only read the store and need no credentials.
// Without --store, sync, plan and serve keep links in memory, so every run
// is an initial sync; status, failures, retry and resync need it. The file
// store is locked by the process using it: stop a running serve before
// running another command on its store. For PostgreSQL (syncer/pgstore, a
// separate module, so this command does not link a database driver), build
// a small program of your own with pgstore and the server package; the
// README shows one.
//
// # Exit codes
//
//	0    success
//	1    error: a pass failed (network, a store error, ...)
//	2    usage or configuration (a bad flag, an unknown tag id, ...)
//	3    records failed in the pass (sync, plan, retry, resync), or are failing (status)
//	4    the store is bound to another HubSpot portal or Sansan user
//	5    Sansan or HubSpot rejected the credentials
//	6    HubSpot's daily API limit is used up
//	130  interrupted (SIGINT or SIGTERM during sync, plan, retry, resync)
//
// sync --watch and serve exit 0 when interrupted: that is how they stop.
//
// Progress is drawn on stderr: one line redrawn in place on a terminal,
// plain lines otherwise. Results go to stdout.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr, os.Getenv)
	stop()
	os.Exit(code)
}
