package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/cardbridge/sansanhubspot/examples/internal/offline"
	"github.com/cardbridge/sansanhubspot/hubspot/hubspottest"
	"github.com/cardbridge/sansanhubspot/syncer"
	"github.com/cardbridge/sansanhubspot/syncer/filestore"
)

func discard() *slog.Logger { return slog.New(slog.DiscardHandler) }

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
		want    string // fields compared, as "addr store direction interval dry tags level"
		wantErr string
	}{
		{name: "defaults", env: secrets, want: ":8080 sansanhubspot-store sansan_to_hubspot 1m0s false [] INFO"},
		{name: "env", env: with("SYNC_ADDR", "127.0.0.1:9", "SYNC_STORE_DIR", "/var/lib/s", "SYNC_DIRECTION", "two-way",
			"SYNC_INTERVAL", "30s", "SYNC_DRY_RUN", "true", "SANSAN_TAG_IDS", "A, B", "LOG_LEVEL", "debug"),
			want: "127.0.0.1:9 /var/lib/s two_way 30s true [A B] DEBUG"},
		{name: "flags override env", args: []string{"-addr", ":1", "-direction", "hubspot-to-sansan", "-interval", "2m"},
			env: with("SYNC_ADDR", ":9", "SYNC_DIRECTION", "two-way"), want: ":1 sansanhubspot-store hubspot_to_sansan 2m0s false [] INFO"},
		{name: "no secrets", env: map[string]string{}, wantErr: "SANSAN_API_KEY is not set; HUBSPOT_ACCESS_TOKEN is not set"},
		{name: "bad interval", env: with("SYNC_INTERVAL", "-1s"), wantErr: "not a positive duration"},
		{name: "bad direction", args: []string{"-direction", "up"}, env: secrets, wantErr: `direction "up"`},
		{name: "bad dry-run", env: with("SYNC_DRY_RUN", "maybe"), wantErr: "not a boolean"},
		{name: "bad level", env: with("LOG_LEVEL", "loud"), wantErr: "log level"},
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
				strconv.FormatBool(c.dryRun), "[" + strings.Join(c.tagIDs, " ") + "]", c.logLevel.String()}, " ")
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("config (-want +got):\n%s", diff)
			}
		})
	}
}

// unitService builds a service whose clients point nowhere: its handlers
// work from the store and the metrics alone.
func unitService(t *testing.T, store syncer.Store) *service {
	t.Helper()
	cfg := config{
		sansanKey: strings.Repeat("K", 32), hubspotToken: "token", webhookSecret: "s3cret",
		sansanBaseURL: "http://127.0.0.1:1/v3.2/", hubspotBaseURL: "http://127.0.0.1:1/",
		direction: syncer.TwoWay, interval: time.Minute,
	}
	s, err := newService(t.Context(), cfg, store, discard())
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func seededStore(t *testing.T) *syncer.MemoryStore {
	t.Helper()
	st := syncer.NewMemoryStore()
	now := time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC)
	links := []*syncer.Link{
		{PersonID: "P1", CardID: "C1", ContactID: "101", State: syncer.StateInSync, UpdatedAt: now},
		{PersonID: "P2", CardID: "C2", ContactID: "102", State: syncer.StateInSync, UpdatedAt: now},
		{PersonID: "P3", CardID: "C3", State: syncer.StateExcluded, Reason: string(syncer.ReasonNoEmail), UpdatedAt: now},
		{PersonID: "P4", CardID: "C4", State: syncer.StateFailing, Reason: string(syncer.CategoryInvalidValue),
			Message: `INVALID_OPTION: "<script>alert(1)</script>" is not an option`, Attempts: 3,
			NextRetry: now.Add(time.Hour), UpdatedAt: now},
	}
	if err := st.PutLinks(t.Context(), links); err != nil {
		t.Fatal(err)
	}
	return st
}

func get(t *testing.T, h http.Handler, path string) *httptest.ResponseRecorder {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
	return rec
}

func TestHealthPage(t *testing.T) {
	t.Parallel()
	st := seededStore(t)
	s := unitService(t, st)
	// The failing link is known from the start; the others once read.
	if _, err := s.store.LinksByPerson(t.Context(), []string{"P1", "P2", "P3"}); err != nil {
		t.Fatal(err)
	}
	s.metrics.onPass(&syncer.Report{Created: 2, Excluded: 1, Failed: 1, Duration: 1500 * time.Millisecond,
		APICalls: map[string]int64{"sansan": 3, "hubspot": 7}}, nil)
	s.metrics.onPass(nil, context.DeadlineExceeded)

	rec := get(t, s.handler(), "/")
	if rec.Code != http.StatusOK || !strings.HasPrefix(rec.Header().Get("Content-Type"), "text/html") {
		t.Fatalf("GET / = %d %q", rec.Code, rec.Header().Get("Content-Type"))
	}
	page := rec.Body.String()
	for _, want := range []string{
		`<b id="in-sync">2</b>`, `<b id="excluded">1</b>`, `<b id="failing">1</b>`,
		"<td>no_email</td><td class=\"n\">1</td>",
		"<td>P4</td><td>C4</td><td></td><td>invalid_value</td>",
		"&lt;script&gt;alert(1)&lt;/script&gt;",
		"Last error", "context deadline exceeded",
		"1 succeeded, 1 failed",
		`<td class="n">3</td><td class="n">7</td>`,
	} {
		if !strings.Contains(page, want) {
			t.Errorf("health page lacks %q", want)
		}
	}
	if strings.Contains(page, "<script>") {
		t.Error("health page contains an unescaped failure message")
	}
}

func TestMetricsAndHealthz(t *testing.T) {
	t.Parallel()
	s := unitService(t, seededStore(t))
	s.metrics.onPass(&syncer.Report{Created: 5, Updated: 2, Excluded: 3, Failed: 1,
		ExcludedByReason: map[syncer.ExclusionReason]int{syncer.ReasonNoEmail: 2, syncer.ReasonDuplicateEmail: 1},
		FailedByCategory: map[syncer.FailureCategory]int{syncer.CategoryConflict: 1},
		APICalls:         map[string]int64{"sansan": 4, "hubspot": 9}}, nil)
	s.metrics.onPass(&syncer.Report{Created: 1, APICalls: map[string]int64{"hubspot": 1}}, io.ErrUnexpectedEOF)

	rec := get(t, s.handler(), "/metrics")
	if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, "text/plain; version=0.0.4") {
		t.Errorf("Content-Type = %q", ct)
	}
	body := rec.Body.String()
	for _, want := range []string{
		`sansanhubspot_passes_total{result="success"} 1`,
		`sansanhubspot_passes_total{result="error"} 1`,
		`sansanhubspot_records_total{outcome="created"} 6`,
		`sansanhubspot_records_total{outcome="updated"} 2`,
		`sansanhubspot_excluded_records_total{reason="no_email"} 2`,
		`sansanhubspot_excluded_records_total{reason="filtered"} 0`,
		`sansanhubspot_failed_records_total{category="conflict"} 1`,
		`sansanhubspot_api_calls_total{service="hubspot"} 10`,
		`sansanhubspot_links{state="failing"} 1`,
		`sansanhubspot_links{state="unseen"} 3`,
		`sansanhubspot_last_error_info{error="unexpected EOF"} 1`,
		"# TYPE sansanhubspot_records_total counter",
		"sansanhubspot_last_pass_timestamp_seconds " + strconv.FormatInt(s.metrics.snapshot().LastPassAt.Unix(), 10),
	} {
		if !strings.Contains(body, want+"\n") {
			t.Errorf("/metrics lacks %q", want)
		}
	}

	rec = get(t, s.handler(), "/healthz")
	var h healthz
	if err := json.NewDecoder(rec.Body).Decode(&h); err != nil {
		t.Fatal(err)
	}
	if rec.Code != http.StatusOK || h.Status != "ok" || h.Passes != 2 || h.LastError != "unexpected EOF" || h.Failing != 1 {
		t.Errorf("/healthz = %d %+v", rec.Code, h)
	}
	s.stopping.Store(true)
	if rec := get(t, s.handler(), "/healthz"); rec.Code != http.StatusServiceUnavailable {
		t.Errorf("/healthz while stopping = %d, want 503", rec.Code)
	}
}

func TestEscapeLabel(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{`a"b`: `a\"b`, `c:\x`: `c:\\x`, "l1\nl2": `l1\nl2`, "ok": "ok"} {
		if got := escapeLabel(in); got != want {
			t.Errorf("escapeLabel(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestWebhookRejectsBadSignature(t *testing.T) {
	t.Parallel()
	s := unitService(t, syncer.NewMemoryStore())
	srv := httptest.NewServer(s.handler())
	defer srv.Close()
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodPost, srv.URL+"/webhooks/hubspot", strings.NewReader(`[]`))
	req.Header.Set("X-HubSpot-Signature-v3", "bm9wZQ==")
	req.Header.Set("X-HubSpot-Request-Timestamp", strconv.FormatInt(time.Now().UnixMilli(), 10))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("forged delivery = %d, want 401", resp.StatusCode)
	}
	// Without a client secret the endpoint does not exist.
	s.cfg.webhookSecret = ""
	rec := httptest.NewRecorder()
	s.handler().ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/webhooks/hubspot", strings.NewReader(`[]`)))
	if rec.Code != http.StatusNotFound && rec.Code != http.StatusMethodNotAllowed {
		t.Errorf("webhook without secret = %d, want 404 or 405", rec.Code)
	}
}

// waitFor polls cond until it holds, failing the test after a generous bound.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(60 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatalf("timed out waiting for %s", what)
}

func TestServiceEndToEnd(t *testing.T) {
	t.Parallel()
	env, err := offline.Start(offline.Options{Cards: 60, Seed: 5})
	if err != nil {
		t.Fatal(err)
	}
	defer env.Close()
	st, err := filestore.Open(filepath.Join(t.TempDir(), "store"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + ln.Addr().String()
	const secret = "app-client-secret"
	cfg := config{
		sansanKey: env.Admin.APIKey, hubspotToken: hubspottest.DefaultToken, webhookSecret: secret,
		sansanBaseURL: env.Sansan.URL, hubspotBaseURL: env.HubSpotURL, webhookURL: base + "/webhooks/hubspot",
		direction: syncer.TwoWay, interval: time.Hour, // only webhooks trigger passes after the first
		storeDir: "test",
	}
	s, err := newService(t.Context(), cfg, st, discard())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- s.serve(ctx, ln) }()

	healthz := func() healthz {
		resp, err := http.Get(base + "/healthz")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var h healthz
		if err := json.NewDecoder(resp.Body).Decode(&h); err != nil {
			t.Fatal(err)
		}
		return h
	}
	waitFor(t, "the initial pass", func() bool { return healthz().Passes >= 1 })
	h := healthz()
	if h.LastError != "" || h.InSync == 0 || h.InSync != env.HubSpot.NumContacts() {
		t.Fatalf("after the initial pass: %+v, HubSpot holds %d contacts", h, env.HubSpot.NumContacts())
	}

	// A contact created in HubSpot, announced by a signed webhook, reaches
	// Sansan without waiting for the hour-long interval.
	c, err := env.HubSpot.CreateContact(map[string]string{"email": "kenji.mori@minato-denki.co.jp", "lastname": "森", "firstname": "健二", "company": "港電機株式会社"})
	if err != nil {
		t.Fatal(err)
	}
	id, _ := strconv.ParseInt(c.ID, 10, 64)
	em := hubspottest.NewWebhookEmitter(base+"/webhooks/hubspot", secret, 42)
	if err := em.Send(t.Context(), []hubspottest.WebhookEvent{em.ContactCreation(id)}); err != nil {
		t.Fatalf("webhook delivery: %v", err)
	}
	waitFor(t, "the webhook-triggered pass to register the card", func() bool {
		for _, card := range env.Sansan.Fake.Cards() {
			if card.Email != nil && *card.Email == "kenji.mori@minato-denki.co.jp" {
				return true
			}
		}
		return false
	})

	resp, err := http.Get(base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	var metrics bytes.Buffer
	metrics.ReadFrom(resp.Body)
	resp.Body.Close()
	if !strings.Contains(metrics.String(), "sansanhubspot_webhook_events_total 1\n") {
		t.Errorf("/metrics does not count the webhook event:\n%s", metrics.String())
	}

	cancel()
	if err := <-done; err != nil {
		t.Errorf("serve after cancel = %v, want nil", err)
	}
	if !s.stopping.Load() {
		t.Error("service not marked stopping after shutdown")
	}
}

// lockedBuffer is a concurrency-safe log sink that cancels once a line
// contains marker.
type lockedBuffer struct {
	mu     sync.Mutex
	buf    bytes.Buffer
	marker string
	cancel context.CancelFunc
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.marker != "" && bytes.Contains(p, []byte(b.marker)) {
		b.cancel()
	}
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func TestRun(t *testing.T) {
	t.Parallel()
	env, err := offline.Start(offline.Options{Cards: 30, Seed: 9})
	if err != nil {
		t.Fatal(err)
	}
	defer env.Close()
	vars := map[string]string{
		"SANSAN_API_KEY": env.Admin.APIKey, "HUBSPOT_ACCESS_TOKEN": hubspottest.DefaultToken,
		"SANSAN_BASE_URL": env.Sansan.URL, "HUBSPOT_BASE_URL": env.HubSpotURL,
	}
	dir := filepath.Join(t.TempDir(), "store")
	args := []string{"-addr", "127.0.0.1:0", "-store", dir}

	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	logs := &lockedBuffer{marker: "sync pass done", cancel: cancel}
	if code := run(ctx, args, logs, io.Discard, envFunc(vars)); code != exitOK {
		t.Fatalf("run = %d, want 0 after SIGTERM-like cancel; logs:\n%s", code, logs.String())
	}
	msgs := map[string]bool{}
	for line := range strings.Lines(logs.String()) {
		var rec struct {
			Msg string `json:"msg"`
		}
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatalf("log line is not JSON: %q", line)
		}
		msgs[rec.Msg] = true
	}
	for _, want := range []string{"service started", "sync pass done", "shutting down", "service stopped"} {
		if !msgs[want] {
			t.Errorf("logs lack %q", want)
		}
	}
	if env.HubSpot.NumContacts() == 0 {
		t.Error("the service synced nothing")
	}

	t.Run("store locked", func(t *testing.T) {
		st, err := filestore.Open(dir)
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		var out bytes.Buffer
		if code := run(t.Context(), args, &out, io.Discard, envFunc(vars)); code != exitFailure || !strings.Contains(out.String(), "cannot open store") {
			t.Errorf("run on a locked store = %d, logs %q; want 1 and the reason", code, out.String())
		}
	})
	t.Run("rejected token", func(t *testing.T) {
		bad := map[string]string{}
		for k, v := range vars {
			bad[k] = v
		}
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
