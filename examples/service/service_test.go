package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/cardbridge/sansanhubspot/fakes"
	"github.com/cardbridge/sansanhubspot/hubspot/hubspottest"
	"github.com/cardbridge/sansanhubspot/internal/testutil"
	"github.com/cardbridge/sansanhubspot/sansan/sansantest"
	"github.com/cardbridge/sansanhubspot/syncer/filestore"
)

func envFunc(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestLoadConfig(t *testing.T) {
	t.Parallel()
	secrets := map[string]string{"SANSAN_API_KEY": "KEY", "HUBSPOT_ACCESS_TOKEN": "TOKEN"}
	with := func(kv ...string) map[string]string {
		m := map[string]string{"SANSAN_API_KEY": "KEY", "HUBSPOT_ACCESS_TOKEN": "TOKEN"}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return m
	}
	tests := []struct {
		name    string
		args    []string
		env     map[string]string
		want    string // fields compared, as "addr store direction interval dry tags level demo"
		wantErr string
	}{
		{name: "defaults", env: secrets, want: "127.0.0.1:8080 sansanhubspot-store sansan_to_hubspot 1m0s false [] INFO false"},
		{name: "env", env: with("SYNC_ADDR", "127.0.0.1:9", "SYNC_STORE_DIR", "/var/lib/s", "SYNC_DIRECTION", "two-way",
			"SYNC_INTERVAL", "30s", "SYNC_DRY_RUN", "true", "SANSAN_TAG_IDS", "A, B", "LOG_LEVEL", "debug"),
			want: "127.0.0.1:9 /var/lib/s two_way 30s true [A B] DEBUG false"},
		{name: "flags override env", args: []string{"-addr", ":1", "-direction", "hubspot-to-sansan", "-interval", "2m", "-dry-run=false"},
			env: with("SYNC_ADDR", ":9", "SYNC_DIRECTION", "two-way", "SYNC_DRY_RUN", "1"), want: ":1 sansanhubspot-store hubspot_to_sansan 2m0s false [] INFO false"},
		{name: "dry-run is a boolean flag", args: []string{"-dry-run", "-interval", "5m"}, env: secrets,
			want: "127.0.0.1:8080 sansanhubspot-store sansan_to_hubspot 5m0s true [] INFO false"},
		{name: "demo needs no secrets", args: []string{"-demo"}, env: map[string]string{},
			want: "127.0.0.1:8080 sansanhubspot-store sansan_to_hubspot 1m0s false [] INFO true"},
		{name: "no secrets", env: map[string]string{}, wantErr: "SANSAN_API_KEY is not set (or use -demo to run offline); HUBSPOT_ACCESS_TOKEN is not set"},
		{name: "bad interval", env: with("SYNC_INTERVAL", "soon"), wantErr: `SYNC_INTERVAL="soon" is not a duration`},
		{name: "negative interval", args: []string{"-interval", "-1s"}, env: secrets, wantErr: "not a positive duration"},
		{name: "bad direction", args: []string{"-direction", "up"}, env: secrets, wantErr: `direction "up"`},
		{name: "bad dry-run", env: with("SYNC_DRY_RUN", "maybe"), wantErr: `SYNC_DRY_RUN="maybe" is not a boolean`},
		{name: "bad level", env: with("LOG_LEVEL", "loud"), wantErr: "log level"},
		{name: "bad demo size", args: []string{"-demo", "-demo-cards", "0"}, env: secrets, wantErr: "-demo-cards"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, err := loadConfig(tt.args, envFunc(tt.env), io.Discard)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("loadConfig error = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got := strings.Join([]string{c.addr, c.storeDir, c.direction.String(), c.interval.String(),
				strconv.FormatBool(c.dryRun), "[" + strings.Join(c.tagIDs, " ") + "]", c.logLevel.String(), strconv.FormatBool(c.demo)}, " ")
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("config (-want +got):\n%s", diff)
			}
		})
	}
}

// logSink is a concurrency-safe log sink; it calls onLine with every line.
type logSink struct {
	mu     sync.Mutex
	buf    bytes.Buffer
	onLine func(line logLine)
}

// logLine is the part of a JSON log line the tests read.
type logLine struct {
	Level, Msg, Addr, Error string
}

func (b *logSink) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.onLine != nil {
		for l := range bytes.Lines(p) {
			var ln logLine
			if json.Unmarshal(l, &ln) == nil {
				b.onLine(ln)
			}
		}
	}
	return b.buf.Write(p)
}

// lines returns the log lines so far, failing on one that is not JSON.
func (b *logSink) lines(t *testing.T) []logLine {
	t.Helper()
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []logLine
	for l := range strings.Lines(b.buf.String()) {
		var ln logLine
		if err := json.Unmarshal([]byte(l), &ln); err != nil {
			t.Fatalf("log line is not JSON: %q", l)
		}
		out = append(out, ln)
	}
	return out
}

func (b *logSink) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func httpGet(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(b)
}

// TestDemo runs the service with -demo and checks it over HTTP.
func TestDemo(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	addr := make(chan string, 1)
	logs := &logSink{onLine: func(l logLine) {
		if l.Msg == "service started" {
			addr <- l.Addr
		}
	}}
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"-demo", "-demo-cards", "120", "-addr", "127.0.0.1:0"}, logs, io.Discard, envFunc(nil))
	}()
	var base string
	select {
	case a := <-addr:
		base = "http://" + a
	case code := <-done:
		t.Fatalf("run = %d before serving; logs:\n%s", code, logs)
	}

	type hz struct {
		Passes   map[string]int `json:"passes"`
		LastPass struct {
			Records map[string]int `json:"records"`
		} `json:"last_pass"`
	}
	var h hz
	testutil.WaitFor(t, "the demo's initial pass", func() bool {
		_, body := httpGet(t, base+"/healthz")
		if err := json.Unmarshal([]byte(body), &h); err != nil {
			t.Fatalf("/healthz: %v: %s", err, body)
		}
		return h.Passes["success"] >= 1
	})
	if h.LastPass.Records["created"] == 0 || h.LastPass.Records["excluded"] == 0 {
		t.Errorf("the demo's initial pass: %+v, want contacts created and cards excluded", h.LastPass.Records)
	}
	code, page := httpGet(t, base+"/")
	if code != http.StatusOK || !strings.Contains(page, "Sansan ↔ HubSpot sync health") ||
		!strings.Contains(page, fmt.Sprintf(`<b id="last-created">%d</b>`, h.LastPass.Records["created"])) {
		t.Errorf("GET / = %d:\n%s", code, page)
	}

	// A delivery signed with the demo's secret is accepted and counted.
	em := hubspottest.NewWebhookEmitter(base+"/webhooks/hubspot", demoWebhookSecret, 1)
	if err := em.Send(t.Context(), []hubspottest.WebhookEvent{em.ContactCreation(1)}); err != nil {
		t.Errorf("signed webhook: %v", err)
	}
	forged := hubspottest.NewWebhookEmitter(base+"/webhooks/hubspot", "another-secret", 1)
	if err := forged.Send(t.Context(), []hubspottest.WebhookEvent{forged.ContactCreation(1)}); err == nil || !strings.Contains(err.Error(), "401") {
		t.Errorf("forged webhook: %v, want a 401", err)
	}
	_, metrics := httpGet(t, base+"/metrics")
	for _, want := range []string{"sansanhubspot_webhook_events_total 1\n", `sansanhubspot_webhook_requests_total{code="401"} 1` + "\n",
		`sansanhubspot_webhook_requests_total{code="204"} 1` + "\n", `sansanhubspot_last_pass_records{outcome="created"} `} {
		if !strings.Contains(metrics, want) {
			t.Errorf("/metrics lacks %q:\n%s", want, metrics)
		}
	}

	cancel()
	if code := <-done; code != exitOK {
		t.Errorf("run = %d after cancel, want 0", code)
	}
	for _, l := range logs.lines(t) {
		if l.Level == "ERROR" {
			t.Errorf("error logged: %+v", l)
		}
	}
}

// TestCleanStop stops the service in the middle of a slow pass, as SIGTERM
// does: it exits 0 and nothing is logged as an error.
func TestCleanStop(t *testing.T) {
	t.Parallel()
	env := fakes.New(t, fakes.Options{Cards: 40, Seed: 3, Sansan: []sansantest.Option{sansantest.WithLatency(50 * time.Millisecond)}})
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	// Stop once the pass is under way: after the service started, at the
	// first request the slow Sansan fake answers.
	logs := &logSink{onLine: func(l logLine) {
		if l.Msg == "service started" {
			go func() {
				for env.Sansan.Fake.TotalRequests() == 0 {
					time.Sleep(5 * time.Millisecond)
				}
				cancel()
			}()
		}
	}}
	args := []string{"-addr", "127.0.0.1:0", "-store", filepath.Join(t.TempDir(), "store")}
	if code := run(ctx, args, logs, io.Discard, envFunc(env.Vars())); code != exitOK {
		t.Fatalf("run = %d, want 0; logs:\n%s", code, logs)
	}
	var stopped bool
	for _, l := range logs.lines(t) {
		if l.Level == "ERROR" {
			t.Errorf("a clean stop logged an error: %+v", l)
		}
		if l.Msg == "sync pass stopped" && l.Level == "INFO" && strings.Contains(l.Error, "context canceled") {
			stopped = true
		}
	}
	if !stopped {
		t.Errorf("the interrupted pass is not logged at INFO; logs:\n%s", logs)
	}
}

func TestRun(t *testing.T) {
	t.Parallel()
	env := fakes.New(t, fakes.Options{Cards: 30, Seed: 9})
	dir := filepath.Join(t.TempDir(), "store")
	args := []string{"-addr", "127.0.0.1:0", "-store", dir}

	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	logs := &logSink{onLine: func(l logLine) {
		if l.Msg == "sync pass done" {
			cancel()
		}
	}}
	if code := run(ctx, args, logs, io.Discard, envFunc(env.Vars())); code != exitOK {
		t.Fatalf("run = %d, want 0 after SIGTERM-like cancel; logs:\n%s", code, logs)
	}
	msgs := map[string]bool{}
	for _, l := range logs.lines(t) {
		msgs[l.Msg] = true
	}
	for _, want := range []string{"service started", "sync pass done", "shutting down", "service stopped"} {
		if !msgs[want] {
			t.Errorf("logs lack %q", want)
		}
	}
	if env.HubSpot.Fake.NumContacts() == 0 {
		t.Error("the service synced nothing")
	}
	if !strings.Contains(logs.String(), `"duration":"`) || regexp.MustCompile(`"duration":\d`).MatchString(logs.String()) {
		t.Errorf("durations are not logged for people:\n%s", logs)
	}

	t.Run("store locked", func(t *testing.T) {
		st, err := filestore.Open(dir)
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		var out bytes.Buffer
		if code := run(t.Context(), args, &out, io.Discard, envFunc(env.Vars())); code != exitFailure || !strings.Contains(out.String(), "cannot open store") {
			t.Errorf("run on a locked store = %d, logs %q; want 1 and the reason", code, out.String())
		}
	})
	t.Run("rejected token", func(t *testing.T) {
		bad := env.Vars()
		bad["HUBSPOT_ACCESS_TOKEN"] = "wrong-token"
		var out bytes.Buffer
		code := run(t.Context(), []string{"-addr", "127.0.0.1:0", "-store", filepath.Join(t.TempDir(), "s")}, &out, io.Discard, envFunc(bad))
		if code != exitFailure || !strings.Contains(out.String(), "HubSpot rejected the access token") {
			t.Errorf("run with a rejected token = %d, logs %q; want 1 and the reason", code, out.String())
		}
	})
	t.Run("usage", func(t *testing.T) {
		var errb bytes.Buffer
		if code := run(t.Context(), nil, io.Discard, &errb, envFunc(nil)); code != exitUsage || !strings.Contains(errb.String(), "SANSAN_API_KEY is not set") {
			t.Errorf("run without secrets = %d, stderr %q", code, errb.String())
		}
	})
}
