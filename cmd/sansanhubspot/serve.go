package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"net"

	"github.com/cardbridge/sansanhubspot/server"
)

func setupServe(*flag.FlagSet) runner {
	return func(ctx context.Context, a *app, args []string) int {
		if code, ok := a.noArgs(args); !ok {
			return code
		}
		mon := server.NewMonitor()
		if err := a.open(openOptions{logLevel: slog.LevelInfo, onPass: mon.OnPass}); err != nil {
			return a.fail(err)
		}
		ln, err := net.Listen("tcp", a.cfg.addr)
		if err != nil {
			return a.fail(fmt.Errorf("listen: %w", err))
		}
		secret, hookURL := a.cfg.webhookSecret, a.cfg.webhookURL
		if a.demo.on {
			if secret == "" {
				secret = demoWebhookSecret
			}
			if hookURL == "" {
				// Deliveries come over plain http on loopback and are signed so.
				hookURL = "http://" + ln.Addr().String() + "/webhooks/hubspot"
			}
			fmt.Fprintf(a.stderr, "demo: webhooks to %s signed with the client secret %q are accepted\n", hookURL, secret)
		}
		srv, err := server.New(server.Options{
			Engine: a.eng, Monitor: mon, Links: a.eng, Logger: a.log,
			Direction: a.engCfg.Direction, Interval: a.engCfg.Interval, DryRun: a.engCfg.DryRun, Store: a.storeDesc,
			WebhookSecret: secret, WebhookURL: hookURL,
		})
		if err != nil {
			ln.Close()
			return a.fail(err)
		}
		fmt.Fprintf(a.stdout, "serving http://%s/ (health page, /healthz, /metrics", ln.Addr())
		if secret != "" {
			fmt.Fprint(a.stdout, ", POST /webhooks/hubspot")
		}
		fmt.Fprintln(a.stdout, ") until interrupted")
		if err := srv.Serve(ctx, ln); err != nil {
			return a.fail(err)
		}
		return exitOK
	}
}
