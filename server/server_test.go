package server

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/cardbridge/sansanhubspot/fakes"
	"github.com/cardbridge/sansanhubspot/hubspot"
	"github.com/cardbridge/sansanhubspot/hubspot/hubspottest"
	"github.com/cardbridge/sansanhubspot/internal/testutil"
	"github.com/cardbridge/sansanhubspot/syncer"
)

const testSecret = "app-client-secret"

// testServer is a Server on an engine over fakes, with its Monitor wired.
type testServer struct {
	*Server
	env *fakes.Env
	eng *syncer.Engine
	mon *Monitor
}

func newTestServer(t *testing.T, cards int, o Options) *testServer {
	t.Helper()
	env := fakes.New(t, fakes.Options{Cards: cards, Seed: 11})
	mon := NewMonitor()
	cfg := env.Config()
	cfg.OnPass = mon.OnPass
	cfg.Interval = time.Hour
	eng, err := syncer.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	o.Engine, o.Monitor = eng, mon
	if o.Links == nil {
		o.Links = eng
	}
	if o.Interval == 0 {
		o.Interval = cfg.Interval
	}
	s, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	return &testServer{Server: s, env: env, eng: eng, mon: mon}
}

func get(t *testing.T, h http.Handler, path string) *httptest.ResponseRecorder {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequestWithContext(t.Context(), http.MethodGet, path, nil))
	return rec
}

func getHealthz(t *testing.T, h http.Handler) (healthz, int) {
	t.Helper()
	rec := get(t, h, "/healthz")
	var hz healthz
	if err := json.NewDecoder(rec.Body).Decode(&hz); err != nil {
		t.Fatal(err)
	}
	return hz, rec.Code
}

// metricValues returns the samples of /metrics, by "name{labels}".
func metricValues(t *testing.T, body string) map[string]int64 {
	t.Helper()
	out := map[string]int64{}
	for line := range strings.Lines(body) {
		if strings.HasPrefix(line, "#") {
			continue
		}
		k, v, ok := strings.Cut(strings.TrimSpace(line), " ")
		if !ok {
			t.Fatalf("bad metrics line %q", line)
		}
		f, err := strconv.ParseFloat(v, 64)
		if err != nil {
			t.Fatalf("bad metrics value in %q", line)
		}
		out[k] = int64(f)
	}
	return out
}

// fakeLinks is a LinkSource with fixed answers.
type fakeLinks struct {
	counts []syncer.LinkCount
	links  []*syncer.Link
	err    error
}

func (f fakeLinks) LinkCounts(context.Context) ([]syncer.LinkCount, error) { return f.counts, f.err }
func (f fakeLinks) Links(_ context.Context, q syncer.LinkQuery) ([]*syncer.Link, error) {
	if f.err != nil {
		return nil, f.err
	}
	return f.links[:min(len(f.links), q.Limit)], nil
}

// TestCountsAgree runs a pass with exclusions and duplicate emails and
// checks that the page, /healthz and /metrics show the report's counts.
func TestCountsAgree(t *testing.T) {
	t.Parallel()
	s := newTestServer(t, 400, Options{})
	rep, err := s.eng.SyncOnce(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if rep.Excluded == 0 || rep.ExcludedByReason[syncer.ReasonDuplicateEmail] == 0 {
		t.Fatalf("the tenant gave no exclusions or no duplicates: %v", rep)
	}
	want := map[string]int{
		"created": rep.Created, "updated": rep.Updated, "unchanged": rep.Unchanged, "excluded": rep.Excluded, "failed": rep.Failed,
	}
	for r, n := range rep.ExcludedByReason {
		want["excluded/"+string(r)] = n
	}

	hz, _ := getHealthz(t, s.Handler())
	fromHealthz := map[string]int{}
	for k, v := range hz.LastPass.Records {
		fromHealthz[k] = v
	}
	for k, v := range hz.LastPass.ExcludedByReason {
		if v > 0 {
			fromHealthz["excluded/"+k] = v
		}
	}
	if diff := cmp.Diff(want, fromHealthz); diff != "" {
		t.Errorf("/healthz last_pass (-report +healthz):\n%s", diff)
	}

	m := metricValues(t, get(t, s.Handler(), "/metrics").Body.String())
	fromMetrics := map[string]int{}
	for _, o := range outcomes {
		fromMetrics[o] = int(m[`sansanhubspot_last_pass_records{outcome="`+o+`"}`])
	}
	for _, r := range syncer.ExclusionReasons {
		if v := m[`sansanhubspot_last_pass_excluded_records{reason="`+string(r)+`"}`]; v > 0 {
			fromMetrics["excluded/"+string(r)] = int(v)
		}
	}
	if diff := cmp.Diff(want, fromMetrics); diff != "" {
		t.Errorf("/metrics last pass (-report +metrics):\n%s", diff)
	}
	if got := m[`sansanhubspot_excluded_records_total{reason="duplicate_email"}`]; got != int64(rep.ExcludedByReason[syncer.ReasonDuplicateEmail]) {
		t.Errorf("duplicate_email total = %d after one pass, want %d", got, rep.ExcludedByReason[syncer.ReasonDuplicateEmail])
	}

	page := get(t, s.Handler(), "/").Body.String()
	fromPage := map[string]int{}
	for _, mm := range regexp.MustCompile(`<b id="last-(\w+)">(\d+)</b>`).FindAllStringSubmatch(page, -1) {
		fromPage[mm[1]], _ = strconv.Atoi(mm[2])
	}
	excl := regexp.MustCompile(`(?s)<table id="last-excluded">(.*?)</table>`).FindStringSubmatch(page)
	if excl == nil {
		t.Fatalf("the page has no exclusion table:\n%s", page)
	}
	for _, mm := range regexp.MustCompile(`<tr><td>(\w+)</td><td class="n">(\d+)</td></tr>`).FindAllStringSubmatch(excl[1], -1) {
		fromPage["excluded/"+mm[1]], _ = strconv.Atoi(mm[2])
	}
	if diff := cmp.Diff(want, fromPage); diff != "" {
		t.Errorf("page last pass (-report +page):\n%s", diff)
	}

	// Links by state are the store's, all passes together: the engine's
	// count, on the page and in /healthz alike.
	counts, err := s.eng.LinkCounts(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	wantLinks := map[string]int{"in_sync": 0, "excluded": 0, "failing": 0}
	for _, c := range counts {
		wantLinks[string(c.State)] += c.N
	}
	if diff := cmp.Diff(wantLinks, hz.Links); diff != "" {
		t.Errorf("/healthz links (-engine +healthz):\n%s", diff)
	}
	for state, n := range wantLinks {
		if !strings.Contains(page, fmt.Sprintf(`<b id="links-%s">%d</b>`, state, n)) {
			t.Errorf("page lacks %d %s links", n, state)
		}
	}
}

func TestPage(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC)
	links := fakeLinks{
		counts: []syncer.LinkCount{
			{Account: "a", State: syncer.StateInSync, N: 7},
			{Account: "a", State: syncer.StateExcluded, Reason: "no_email", N: 2},
			{Account: "a", State: syncer.StateFailing, Reason: "invalid_value", N: 1},
		},
		links: []*syncer.Link{{PersonID: "P4", Account: "a", CardID: "C4", State: syncer.StateFailing, Reason: "invalid_value",
			Message: `INVALID_OPTION: "<script>alert(1)</script>" is not an option`, Attempts: 3, NextRetry: now.Add(time.Hour)}},
	}
	s := newTestServer(t, 0, Options{Links: links, Direction: syncer.TwoWay, Interval: 90 * time.Second, Store: "/var/lib/sync"})
	s.mon.OnPass(&syncer.Report{Created: 2, Excluded: 1, Failed: 1, Duration: 1693762107 * time.Nanosecond,
		ExcludedByReason: map[syncer.ExclusionReason]int{syncer.ReasonNoEmail: 1},
		APICalls:         map[string]int64{"sansan": 3, "hubspot": 7}}, nil)
	s.mon.OnPass(nil, context.DeadlineExceeded)
	s.mon.OnPass(&syncer.Report{Created: 99}, fmt.Errorf("stopped: %w", context.Canceled))

	rec := get(t, s.Handler(), "/")
	if rec.Code != http.StatusOK || !strings.HasPrefix(rec.Header().Get("Content-Type"), "text/html") {
		t.Fatalf("GET / = %d %q", rec.Code, rec.Header().Get("Content-Type"))
	}
	page := rec.Body.String()
	for _, want := range []string{
		"a pass every 1m30s", "store /var/lib/sync",
		`took <span id="last-duration">1.69s</span>`, "3 Sansan and 7 HubSpot calls",
		`<b id="last-created">2</b>`, `<b id="last-failed">1</b>`,
		`<b id="links-in_sync">7</b>`, `<b id="links-excluded">2</b>`, `<b id="links-failing">1</b>`,
		"<td>P4</td><td>a</td><td>C4</td><td></td><td>invalid_value</td>",
		"&lt;script&gt;alert(1)&lt;/script&gt;",
		"Last error", "context deadline exceeded",
		"1 succeeded, 1 failed, 1 interrupted",
	} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	for _, bad := range []string{"<script>", "1.693762107s", `<b id="last-created">99</b>`} {
		if strings.Contains(page, bad) {
			t.Errorf("page contains %q", bad)
		}
	}

	broken := newTestServer(t, 0, Options{Links: fakeLinks{err: errors.New("store offline")}})
	if page := get(t, broken.Handler(), "/").Body.String(); !strings.Contains(page, "Cannot count links: store offline") {
		t.Errorf("page with a failing LinkSource does not say so:\n%s", page)
	}
	none, err := New(Options{Engine: s.eng, Monitor: NewMonitor()})
	if err != nil {
		t.Fatal(err)
	}
	page = get(t, none.Handler(), "/").Body.String()
	for _, want := range []string{"No pass has finished yet", "not given a way to list links"} {
		if !strings.Contains(page, want) {
			t.Errorf("page without passes or links lacks %q:\n%s", want, page)
		}
	}
}

func TestHealthzAndMetrics(t *testing.T) {
	t.Parallel()
	links := fakeLinks{counts: []syncer.LinkCount{{State: syncer.StateInSync, N: 4}, {State: syncer.StateFailing, Reason: "conflict", N: 1}}}
	s := newTestServer(t, 0, Options{Links: links, Direction: syncer.TwoWay, Interval: time.Minute})
	s.mon.OnPass(&syncer.Report{Created: 5, Updated: 2, Excluded: 3, Failed: 1, Duration: 2 * time.Second,
		ExcludedByReason: map[syncer.ExclusionReason]int{syncer.ReasonNoEmail: 2, syncer.ReasonDuplicateEmail: 1},
		FailedByCategory: map[syncer.FailureCategory]int{syncer.CategoryConflict: 1},
		APICalls:         map[string]int64{"sansan": 4, "hubspot": 9}}, nil)
	s.mon.OnPass(&syncer.Report{Created: 1, APICalls: map[string]int64{"hubspot": 1}}, io.ErrUnexpectedEOF)

	rec := get(t, s.Handler(), "/metrics")
	if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, "text/plain; version=0.0.4") {
		t.Errorf("Content-Type = %q", ct)
	}
	body := rec.Body.String()
	for _, want := range []string{
		`sansanhubspot_passes_total{result="success"} 1`,
		`sansanhubspot_passes_total{result="error"} 1`,
		`sansanhubspot_records_total{outcome="created"} 6`,
		`sansanhubspot_excluded_records_total{reason="no_email"} 2`,
		`sansanhubspot_excluded_records_total{reason="filtered"} 0`,
		`sansanhubspot_failed_records_total{category="conflict"} 1`,
		`sansanhubspot_api_calls_total{service="hubspot"} 10`,
		`sansanhubspot_last_pass_records{outcome="created"} 1`,
		`sansanhubspot_links{state="failing"} 1`,
		`sansanhubspot_links{state="in_sync"} 4`,
		`sansanhubspot_last_error_info{error="unexpected EOF"} 1`,
		"# TYPE sansanhubspot_records_total counter",
		"# TYPE sansanhubspot_last_pass_records gauge",
	} {
		if !strings.Contains(body, want+"\n") {
			t.Errorf("/metrics lacks %q", want)
		}
	}

	hz, code := getHealthz(t, s.Handler())
	want := healthz{
		Status: "ok", Direction: "two_way", Interval: "1m",
		Passes:    map[string]int64{"success": 1, "error": 1, "interrupted": 0},
		LastPass:  &lastPass{passCounts: passCounts{Records: map[string]int{"created": 1, "updated": 0, "unchanged": 0, "excluded": 0, "failed": 0}, ExcludedByReason: map[string]int{}, FailedByCategory: map[string]int{}, APICalls: map[string]int64{"hubspot": 1}}, Duration: "0s"},
		LastError: "unexpected EOF",
		Links:     map[string]int{"in_sync": 4, "excluded": 0, "failing": 1},
	}
	if diff := cmp.Diff(want, hz, cmp.FilterPath(func(p cmp.Path) bool {
		n := p.Last().String()
		return n == ".LastPassAt" || n == ".LastErrAt"
	}, cmp.Ignore()), cmp.AllowUnexported(lastPass{})); code != http.StatusOK || diff != "" {
		t.Errorf("/healthz = %d (-want +got):\n%s", code, diff)
	}
	if hz.LastPassAt.IsZero() || hz.LastErrAt.IsZero() {
		t.Errorf("/healthz lacks times: %+v", hz)
	}
	s.stopping.Store(true)
	if _, code := getHealthz(t, s.Handler()); code != http.StatusServiceUnavailable {
		t.Errorf("/healthz while stopping = %d, want 503", code)
	}
}

func TestEscapeLabel(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{`a"b`: `a\"b`, `c:\x`: `c:\\x`, "l1\nl2": `l1\nl2`, "ok": "ok"} {
		if diff := cmp.Diff(want, escapeLabel(in)); diff != "" {
			t.Errorf("escapeLabel(%q) (-want +got):\n%s", in, diff)
		}
	}
}

func TestNewRequiresEngineAndMonitor(t *testing.T) {
	t.Parallel()
	if _, err := New(Options{Monitor: NewMonitor()}); err == nil {
		t.Error("New without an engine succeeded")
	}
}

// signed returns a delivery of events signed for target.
func signed(t *testing.T, target string, body []byte, ts string) *http.Request {
	t.Helper()
	req := httptest.NewRequestWithContext(t.Context(), http.MethodPost, target, bytes.NewReader(body))
	if ts != "" {
		req.Header.Set(hubspot.HeaderRequestTimestamp, ts)
	}
	req.Header.Set(hubspot.HeaderSignatureV3, hubspot.SignatureV3(testSecret, http.MethodPost, target, body, ts))
	return req
}

func TestWebhookEndpoint(t *testing.T) {
	t.Parallel()
	const target = "https://hooks.example.com/webhooks/hubspot"
	now := strconv.FormatInt(time.Now().UnixMilli(), 10)
	events := []byte(`[{"eventId":1,"subscriptionType":"contact.creation","objectId":5,"portalId":1,"occurredAt":1}]`)
	big := []byte("[" + strings.Repeat(" ", 3000) + "]")
	tests := []struct {
		name     string
		req      func(t *testing.T) *http.Request
		wantCode int
		wantBody string
	}{
		{name: "signed", req: func(t *testing.T) *http.Request { return signed(t, target, events, now) }, wantCode: http.StatusNoContent},
		{name: "no timestamp", req: func(t *testing.T) *http.Request { return signed(t, target, events, "") },
			wantCode: http.StatusUnauthorized, wantBody: "missing X-HubSpot-Request-Timestamp header"},
		{name: "forged", req: func(t *testing.T) *http.Request {
			r := signed(t, target, events, now)
			r.Header.Set(hubspot.HeaderSignatureV3, "bm9wZQ==")
			return r
		}, wantCode: http.StatusUnauthorized},
		{name: "declared too large", req: func(t *testing.T) *http.Request { return signed(t, target, big, now) },
			wantCode: http.StatusRequestEntityTooLarge},
		{name: "get", req: func(t *testing.T) *http.Request {
			return httptest.NewRequestWithContext(t.Context(), http.MethodGet, target, nil)
		}, wantCode: http.StatusMethodNotAllowed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := newTestServer(t, 0, Options{WebhookSecret: testSecret, Limits: Limits{MaxWebhookBody: 1000}})
			rec := httptest.NewRecorder()
			s.Handler().ServeHTTP(rec, tt.req(t))
			if rec.Code != tt.wantCode || !strings.Contains(rec.Body.String(), tt.wantBody) {
				t.Errorf("answer = %d %q, want %d containing %q", rec.Code, rec.Body, tt.wantCode, tt.wantBody)
			}
			m := metricValues(t, get(t, s.Handler(), "/metrics").Body.String())
			if tt.wantCode != http.StatusMethodNotAllowed && m[`sansanhubspot_webhook_requests_total{code="`+strconv.Itoa(tt.wantCode)+`"}`] != 1 {
				t.Errorf("/metrics does not count the %d answer", tt.wantCode)
			}
			wantEvents := int64(0)
			if tt.wantCode == http.StatusNoContent {
				wantEvents = 1
			}
			if got := m["sansanhubspot_webhook_events_total"]; got != wantEvents {
				t.Errorf("webhook events = %d, want %d", got, wantEvents)
			}
		})
	}
	// Without a client secret there is no endpoint.
	s := newTestServer(t, 0, Options{})
	rec := httptest.NewRecorder()
	s.Handler().ServeHTTP(rec, signed(t, target, events, now))
	if rec.Code != http.StatusNotFound && rec.Code != http.StatusMethodNotAllowed {
		t.Errorf("webhook without a secret = %d, want 404 or 405", rec.Code)
	}
}

func TestWebhookGate(t *testing.T) {
	t.Parallel()
	g := newWebhookGate(Limits{MaxWebhooks: 2, MaxLargeWebhooks: 1, SmallWebhookBody: 100}.withDefaults())
	var releases []func()
	take := func(n int64) bool {
		r, ok := g.tryAcquire(n)
		if ok {
			releases = append(releases, r)
		}
		return ok
	}
	got := []bool{take(10), take(100), take(50), take(101), take(-1), take(0)}
	if diff := cmp.Diff([]bool{true, true, false, true, false, false}, got); diff != "" {
		t.Errorf("admissions (-want +got):\n%s", diff)
	}
	releases[0]()
	if !take(10) {
		t.Error("a released small slot was not reusable")
	}
}

func TestServe(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + ln.Addr().String()
	s := newTestServer(t, 60, Options{WebhookSecret: testSecret, WebhookURL: base + "/webhooks/hubspot"})
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx, ln) }()

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
	testutil.WaitFor(t, "the initial pass", func() bool { return healthz().Passes["success"] >= 1 })
	if h := healthz(); h.LastPass.Records["created"] != s.env.HubSpot.Fake.NumContacts() {
		t.Fatalf("after the initial pass: %+v, HubSpot holds %d contacts", h.LastPass, s.env.HubSpot.Fake.NumContacts())
	}

	// A contact created in HubSpot and announced by a signed webhook is
	// registered in Sansan by a pass the webhook starts (the interval is an hour).
	c, err := s.env.HubSpot.Fake.CreateContact(map[string]string{"email": "kenji.mori@minato-denki.co.jp", "lastname": "森", "firstname": "健二", "company": "港電機株式会社"})
	if err != nil {
		t.Fatal(err)
	}
	id, _ := strconv.ParseInt(c.ID, 10, 64)
	em := hubspottest.NewWebhookEmitter(base+"/webhooks/hubspot", testSecret, 42)
	if err := em.Send(t.Context(), []hubspottest.WebhookEvent{em.ContactCreation(id)}); err != nil {
		t.Fatalf("webhook delivery: %v", err)
	}
	testutil.WaitFor(t, "a second pass", func() bool { return healthz().Passes["success"] >= 2 })

	cancel()
	if err := <-done; err != nil {
		t.Errorf("Serve after cancel = %v, want nil", err)
	}
	if !s.Stopping() {
		t.Error("server not marked stopping after shutdown")
	}
}
