package securitytest_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cardbridge/sansanhubspot/hubspot"
	"github.com/cardbridge/sansanhubspot/sansan"
	"github.com/cardbridge/sansanhubspot/syncer"
	"golang.org/x/time/rate"
)

// Canary credentials: any of these strings in captured output is a leak.
const (
	canaryKey    = "CANARYsansanKey0123456789abcdefQZ"
	canaryToken  = "pat-na1-CANARY-hubspot-token-7f3e9b"
	canarySecret = "CANARY-webhook-client-secret-51d2"
)

var canaries = []string{canaryKey, canaryToken, canarySecret}

// capture collects everything a caller could see: logs, errors, formatted
// values and the URLs requests were sent to.
type capture struct {
	mu   sync.Mutex
	logs bytes.Buffer
	seen []string
}

func (c *capture) add(s string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.seen = append(c.seen, s)
}

// addValue records v formatted every way a caller might print it.
func (c *capture) addValue(v any) {
	c.add(fmt.Sprintf("%v", v))
	c.add(fmt.Sprintf("%+v", v))
	c.add(fmt.Sprintf("%#v", v))
	c.add(fmt.Sprintf("%s", v))
	if err, ok := v.(error); ok && err != nil {
		c.add(err.Error())
		var se *sansan.ErrorResponse
		if errors.As(err, &se) {
			c.add(se.Error() + " " + se.Message + " " + strings.Join(se.Codes, " ") + " " + se.URL)
		}
		var he *hubspot.ErrorResponse
		if errors.As(err, &he) {
			c.add(fmt.Sprintf("%+v", *he))
		}
	}
}

// addResponse records a Response with %v and %+v. (Its embedded
// *http.Response is the server's answer verbatim; %s would print the
// headers a hostile server chose, so it is not scanned.)
func (c *capture) addResponse(v any) {
	c.add(fmt.Sprintf("%v", v))
	c.add(fmt.Sprintf("%+v", v))
}

func (c *capture) logger() *slog.Logger {
	w := &lockedWriter{mu: &c.mu, w: &c.logs}
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug - 4, AddSource: true}))
}

type lockedWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// scan fails t for every canary in the captured output.
func (c *capture) scan(t *testing.T) {
	t.Helper()
	c.mu.Lock()
	defer c.mu.Unlock()
	all := append([]string{c.logs.String()}, c.seen...)
	for _, s := range all {
		for _, canary := range canaries {
			if i := strings.Index(s, canary); i >= 0 {
				lo := max(0, i-400)
				t.Errorf("secret leaked: ...%s...", s[lo:min(len(s), i+len(canary)+40)])
			}
		}
	}
}

// hostile is a server that misbehaves by path segment and echoes every
// request header (credentials included) into its bodies and headers, so
// that any client that repeats a response exposes the secret.
type hostile struct {
	mu      sync.Mutex
	urls    []string
	gotCred int // requests that carried a canary credential
	other   string
}

func (h *hostile) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h.mu.Lock()
	h.urls = append(h.urls, r.URL.String(), r.RequestURI)
	dump := fmt.Sprint(r.Header)
	for _, c := range canaries {
		if strings.Contains(dump, c) {
			h.gotCred++
		}
	}
	h.mu.Unlock()
	mode := strings.Split(strings.TrimPrefix(r.URL.Path, "/"), "/")[0]
	w.Header().Set("Content-Type", "application/json")
	echo := strconv.Quote("you sent " + dump)
	switch mode {
	case "unauthorized":
		w.WriteHeader(401)
		fmt.Fprintf(w, `{"statusCode":401,"status":"error","message":%s,"error":[{"code":%s}],"category":"INVALID_AUTHENTICATION"}`, echo, echo)
	case "server":
		w.WriteHeader(503)
		fmt.Fprintf(w, `{"statusCode":503,"status":"error","message":%s,"category":"INTERNAL_ERROR"}`, echo)
	case "ratelimit":
		w.WriteHeader(429)
		fmt.Fprintf(w, `{"status":"error","message":%s,"errorType":"RATE_LIMIT","policyName":"DAILY"}`, echo)
	case "badjson":
		fmt.Fprintf(w, `<html>%s</html>`, dump)
	case "html":
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(502)
		fmt.Fprintf(w, `<html><body>proxy error for %s</body></html>`, dump)
	case "conflict":
		w.WriteHeader(409)
		fmt.Fprintf(w, `{"status":"error","message":"Contact already exists. Existing ID: 1 %s","category":"CONFLICT"}`, strings.Trim(echo, `"`))
	case "validation":
		w.WriteHeader(400)
		fmt.Fprintf(w, `{"status":"error","message":"Property values were not valid: [{\"isValid\":false,\"message\":%s,\"error\":\"INVALID_EMAIL\",\"name\":\"email\"}]","category":"VALIDATION_ERROR"}`, strings.ReplaceAll(echo, `"`, `\"`))
	case "batch207":
		w.WriteHeader(207)
		fmt.Fprintf(w, `{"status":"COMPLETE","results":[],"errors":[{"status":"error","category":"VALIDATION_ERROR","message":%s,"context":{"ids":[%s]}}]}`, echo, echo)
	case "redirect":
		http.Redirect(w, r, h.other+r.URL.Path+"?token="+url.QueryEscape(dump), http.StatusTemporaryRedirect)
	case "slow":
		select {
		case <-time.After(2 * time.Second):
		case <-r.Context().Done():
		}
	case "drop":
		if hj, ok := w.(http.Hijacker); ok {
			if conn, _, err := hj.Hijack(); err == nil {
				conn.Close()
				return
			}
		}
	default:
		w.WriteHeader(404)
		fmt.Fprintf(w, `{"statusCode":404,"status":"error","message":%s}`, echo)
	}
}

func noSleep(ctx context.Context, _ time.Duration) error { return ctx.Err() }

var modes = []string{"unauthorized", "server", "ratelimit", "badjson", "html", "conflict", "validation", "batch207", "redirect", "slow", "drop", "missing"}

// TestCanarySecretsNeverLeak drives every failure path of both clients,
// the engine and the webhook handler with canary credentials and scans
// every log line (debug level and below), error, formatted value and
// request URL for them.
func TestCanarySecretsNeverLeak(t *testing.T) {
	t.Parallel()
	cap := &capture{}
	other := &hostile{}
	otherSrv := httptest.NewServer(other)
	t.Cleanup(otherSrv.Close)
	h := &hostile{other: strings.Replace(otherSrv.URL, "127.0.0.1", "localhost", 1)}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	log := cap.logger()

	for _, mode := range modes {
		ss, err := sansan.NewClient(canaryKey, sansan.WithBaseURL(srv.URL+"/"+mode+"/v3.2/"), sansan.WithLogger(log),
			sansan.WithRateLimit(rate.Inf, 0), sansan.WithSleep(noSleep), sansan.WithTimeout(300*time.Millisecond),
			sansan.WithAppID("canaryapp"))
		if err != nil {
			t.Fatal(err)
		}
		hub, err := hubspot.NewClient(canaryToken, hubspot.WithBaseURL(srv.URL+"/"+mode+"/"), hubspot.WithLogger(log),
			hubspot.WithRateLimit(rate.Inf, 0), hubspot.WithSearchRateLimit(rate.Inf, 0), hubspot.WithSleep(noSleep),
			hubspot.WithHTTPClient(&http.Client{Timeout: 300 * time.Millisecond}))
		if err != nil {
			t.Fatal(err)
		}
		cap.addValue(ss)
		cap.addValue(hub)
		ctx := t.Context()
		opts := &sansan.ListBizCardsOptions{UpdatedFrom: time.Now().Add(-time.Hour), UpdatedTo: time.Now()}
		_, r1, err := ss.BizCards.List(ctx, opts)
		cap.addValue(err)
		cap.addResponse(r1)
		_, _, err = ss.BizCards.Get(ctx, "card")
		cap.addValue(err)
		_, _, err = ss.BizCards.Register(ctx, &sansan.RegisterBizCardRequest{LastName: sansan.Ptr("x")})
		cap.addValue(err)
		_, _, err = ss.Users.Me(ctx)
		cap.addValue(err)
		for _, err := range ss.Tags.ListIter(ctx, nil) {
			cap.addValue(err)
		}
		_, r2, err := hub.Contacts.Get(ctx, "1", nil)
		cap.addValue(err)
		cap.addResponse(r2)
		res, _, err := hub.Contacts.BatchUpsert(ctx, []hubspot.BatchUpsertInput{{ID: "a@example.jp", Properties: hubspot.PropertyValues{"lastname": "x"}}})
		cap.addValue(err)
		if res != nil {
			cap.addValue(res)
			for _, o := range res.Outcomes {
				cap.addValue(o)
				if o.Err != nil {
					cap.addValue(o.Err)
				}
			}
		}
		_, _, err = hub.Contacts.Create(ctx, hubspot.PropertyValues{"email": "a@example.jp"})
		cap.addValue(err)
		_, _, err = hub.Contacts.Search(ctx, &hubspot.SearchRequest{Query: "x"})
		cap.addValue(err)
		_, _, err = hub.Properties.List(ctx, nil)
		cap.addValue(err)

		// The engine on top: its errors, report and logs.
		eng, err := syncer.New(syncer.Config{HubSpot: hub, Accounts: []syncer.Account{{Name: "canary", Client: ss}}, Logger: log})
		if err != nil {
			t.Fatal(err)
		}
		cap.addValue(eng)
		rep, err := eng.SyncOnce(ctx)
		cap.addValue(err)
		if rep != nil {
			cap.addValue(rep)
			cap.add(rep.String())
		}
	}
	// An OAuth token source that fails.
	hub, err := hubspot.NewClient("", hubspot.WithBaseURL(srv.URL+"/server/"), hubspot.WithLogger(log), hubspot.WithSleep(noSleep),
		hubspot.WithTokenSource(hubspot.TokenSourceFunc(func(context.Context) (string, error) {
			return "", errors.New("refresh failed")
		})))
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = hub.Contacts.Get(t.Context(), "1", nil)
	cap.addValue(err)

	// Invalid options and keys report problems without the secret.
	_, err = sansan.NewClient(canaryKey+" ", sansan.WithBaseURL(srv.URL+"/v3.2/"))
	cap.addValue(err)
	_, err = sansan.NewClient(canaryKey, sansan.WithBaseURL("http://user:"+canaryKey+"@example.jp/"))
	cap.addValue(err)
	_, err = hubspot.NewClient(canaryToken, hubspot.WithBaseURL("http://example.jp/?t="+canaryToken))
	cap.addValue(err)

	// Webhooks: every rejection is logged without the secret.
	wh := &hubspot.WebhookHandler{ClientSecret: canarySecret, Logger: log, MaxBodyBytes: 1024,
		Handle: func(context.Context, []hubspot.WebhookEvent) error { return errors.New("queue full") }}
	cap.addValue(wh)
	cap.addValue(hubspot.WebhookVerifyOptions{ClientSecret: canarySecret})
	cap.addValue(&hubspot.WebhookVerifyOptions{ClientSecret: canarySecret})
	body := []byte(`[{"eventId":1,"objectId":2,"subscriptionType":"contact.creation","occurredAt":1}]`)
	stamp := strconv.FormatInt(time.Now().UnixMilli(), 10)
	good := hubspot.SignatureV3(canarySecret, http.MethodPost, "http://example.com/hook", body, stamp)
	for _, tc := range []struct{ sig, stamp string }{{good, stamp}, {"bad", stamp}, {good, "1"}, {"", ""}} {
		r := httptest.NewRequest(http.MethodPost, "http://example.com/hook", bytes.NewReader(body))
		r.Header.Set(hubspot.HeaderSignatureV3, tc.sig)
		r.Header.Set(hubspot.HeaderRequestTimestamp, tc.stamp)
		w := httptest.NewRecorder()
		wh.ServeHTTP(w, r)
		cap.add(w.Body.String())
		cap.add(fmt.Sprint(w.Header()))
	}
	wrong := httptest.NewRequest(http.MethodPost, "http://example.com/hook", bytes.NewReader(body))
	wrong.Header.Set(hubspot.HeaderSignatureV3, "wrong")
	wrong.Header.Set(hubspot.HeaderRequestTimestamp, stamp)
	err = hubspot.VerifyWebhook(wrong, body, hubspot.WebhookVerifyOptions{ClientSecret: canarySecret})
	cap.addValue(err)

	// URLs the servers saw.
	for _, s := range []*hostile{h, other} {
		s.mu.Lock()
		for _, u := range s.urls {
			if s == h {
				cap.add(u)
			}
		}
		s.mu.Unlock()
	}
	cap.scan(t)

	// The test can fail: the servers did receive the canaries (in headers)
	// and echoed them in the bodies the clients had to handle.
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.gotCred == 0 {
		t.Fatal("no request carried a canary credential; the scan proves nothing")
	}
	if cap.logs.Len() == 0 {
		t.Error("nothing was logged; the log scan proves nothing")
	}
	t.Logf("scanned %d log bytes and %d values; %d requests carried credentials", cap.logs.Len(), len(cap.seen), h.gotCred)
}

// TestCredentialsOnlyToConfiguredHost: a redirect to another host never
// carries the API key or token there, and plain-http base URLs are refused
// except on loopback or when explicitly allowed.
func TestCredentialsOnlyToConfiguredHost(t *testing.T) {
	t.Parallel()
	other := &hostile{}
	otherSrv := httptest.NewServer(other)
	t.Cleanup(otherSrv.Close)
	// Same port space, another host name: localhost vs 127.0.0.1.
	h := &hostile{other: strings.Replace(otherSrv.URL, "127.0.0.1", "localhost", 1)}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)

	ss, err := sansan.NewClient(canaryKey, sansan.WithBaseURL(srv.URL+"/redirect/v3.2/"), sansan.WithSleep(noSleep), sansan.WithRateLimit(rate.Inf, 0))
	if err != nil {
		t.Fatal(err)
	}
	_, _, errS := ss.Users.Me(t.Context())
	hub, err := hubspot.NewClient(canaryToken, hubspot.WithBaseURL(srv.URL+"/redirect/"), hubspot.WithSleep(noSleep), hubspot.WithRateLimit(rate.Inf, 0))
	if err != nil {
		t.Fatal(err)
	}
	_, _, errH := hub.Contacts.Get(t.Context(), "1", nil)
	other.mu.Lock()
	got := other.gotCred
	other.mu.Unlock()
	if got != 0 {
		t.Errorf("the other host received credentials %d times", got)
	}
	if errS == nil || errH == nil {
		t.Errorf("redirected calls succeeded (sansan %v, hubspot %v); want them refused", errS, errH)
	}

	tests := []struct {
		name    string
		sansan  []sansan.Option
		hubspot []hubspot.Option
		wantErr bool
	}{
		{"http on a public host", []sansan.Option{sansan.WithBaseURL("http://api.example.jp/v3.2/")}, []hubspot.Option{hubspot.WithBaseURL("http://api.example.jp/")}, true},
		{"http on loopback", []sansan.Option{sansan.WithBaseURL("http://127.0.0.1:1/v3.2/")}, []hubspot.Option{hubspot.WithBaseURL("http://127.0.0.1:1/")}, false},
		{"http on localhost", []sansan.Option{sansan.WithBaseURL("http://localhost:1/v3.2/")}, []hubspot.Option{hubspot.WithBaseURL("http://localhost:1/")}, false},
		{"http on ::1", []sansan.Option{sansan.WithBaseURL("http://[::1]:1/v3.2/")}, []hubspot.Option{hubspot.WithBaseURL("http://[::1]:1/")}, false},
		{"http on a lookalike host", []sansan.Option{sansan.WithBaseURL("http://127.0.0.1.example.jp/v3.2/")}, []hubspot.Option{hubspot.WithBaseURL("http://localhost.example.jp/")}, true},
		{"http allowed explicitly", []sansan.Option{sansan.WithBaseURL("http://api.example.jp/v3.2/"), sansan.WithInsecureBaseURL()},
			[]hubspot.Option{hubspot.WithBaseURL("http://api.example.jp/"), hubspot.WithInsecureBaseURL()}, false},
		{"https", []sansan.Option{sansan.WithBaseURL("https://api.example.jp/v3.2/")}, []hubspot.Option{hubspot.WithBaseURL("https://api.example.jp/")}, false},
		{"ftp", []sansan.Option{sansan.WithBaseURL("ftp://api.example.jp/")}, []hubspot.Option{hubspot.WithBaseURL("ftp://api.example.jp/")}, true},
	}
	for _, tt := range tests {
		_, errS := sansan.NewClient(canaryKey, tt.sansan...)
		_, errH := hubspot.NewClient(canaryToken, tt.hubspot...)
		if (errS != nil) != tt.wantErr || (errH != nil) != tt.wantErr {
			t.Errorf("%s: sansan err %v, hubspot err %v; want error %v", tt.name, errS, errH, tt.wantErr)
		}
	}
}
