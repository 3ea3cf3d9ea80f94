package apiclient_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/jarcoal/httpmock"

	"github.com/cardbridge/sansanhubspot/internal/apiclient"
)

// canary is a fake credential; it must never show up in an error or a log.
const canary = "CANARY-pat-na1-7f3a9c2e"

// lockedBuffer is a bytes.Buffer safe for concurrent writers.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// echoHandler answers with status and a body that repeats the request's
// headers and URL, as a badly behaved API or proxy might.
func echoHandler(status int) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(status)
		fmt.Fprintf(w, "%s %s %v", r.Method, r.URL, r.Header)
	}
}

// dropHandler hangs up without answering.
func dropHandler(t *testing.T) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		conn, _, err := http.NewResponseController(w).Hijack()
		if err != nil {
			t.Errorf("hijack: %v", err)
			return
		}
		conn.Close()
	}
}

// closedAddr returns the address of a loopback port nobody listens on.
func closedAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

// TestNoSecretsInErrorsOrLogs forces every failure path with credentials in
// a header (set by Auth) and in a secret-looking query parameter, and checks
// that neither reaches an error string or any log line.
func TestNoSecretsInErrorsOrLogs(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		method  string
		handler func(t *testing.T) http.Handler // nil: connection refused
		out     any
		maxBody int64
		retried bool // expect a "retrying request" warning
	}{
		{name: "connection refused", method: "GET", retried: true},
		{name: "connection dropped", method: "GET", handler: func(t *testing.T) http.Handler { return dropHandler(t) }, retried: true},
		{name: "connection dropped on post", method: "POST", handler: func(t *testing.T) http.Handler { return dropHandler(t) }},
		{name: "500s exhausted", method: "GET", handler: func(*testing.T) http.Handler { return echoHandler(500) }, retried: true},
		{name: "429s exhausted", method: "POST", handler: func(*testing.T) http.Handler { return echoHandler(429) }, retried: true},
		{name: "401", method: "GET", handler: func(*testing.T) http.Handler { return echoHandler(401) }},
		{name: "404", method: "DELETE", handler: func(*testing.T) http.Handler { return echoHandler(404) }},
		{
			name: "decode error", method: "GET", out: &note{},
			handler: func(*testing.T) http.Handler {
				return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
					fmt.Fprint(w, "<html><body>Service Unavailable</body></html>")
				})
			},
		},
		{
			name: "body too large", method: "GET", out: &note{}, maxBody: 8,
			handler: func(*testing.T) http.Handler {
				return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
					fmt.Fprint(w, `{"name":"far too long"}`)
				})
			},
		},
		{
			name: "empty body", method: "GET", out: &note{},
			handler: func(*testing.T) http.Handler {
				return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(204) })
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			base := "http://" + closedAddr(t) + "/api/"
			if tt.handler != nil {
				srv := httptest.NewServer(tt.handler(t))
				t.Cleanup(srv.Close)
				base = srv.URL + "/api/"
			}
			logs := &lockedBuffer{}
			logger := slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
			c, err := apiclient.New(apiclient.Config{
				BaseURL:    mustBase(t, base),
				HTTPClient: &http.Client{},
				Retry:      testPolicy,
				Sleep:      (&sleepRecorder{}).Sleep,
				Logger:     logger,
				MaxBody:    tt.maxBody,
				Auth: func(_ context.Context, req *http.Request) ([]string, error) {
					req.Header.Set("Authorization", "Bearer "+canary)
					req.Header.Set("X-Sansan-Api-Key", canary)
					return []string{canary}, nil
				},
			})
			if err != nil {
				t.Fatal(err)
			}
			call := apiclient.Call{
				Method: tt.method,
				Path:   "contacts",
				Query:  url.Values{"hapikey": {canary}, "access_token": {canary}, "limit": {"10"}},
				Out:    tt.out,
			}
			if tt.method == "POST" {
				call.Body = note{Name: "n"}
			}
			_, err = c.Do(t.Context(), call)
			if err == nil {
				t.Fatal("Do succeeded, want an error")
			}
			for e := err; e != nil; e = errors.Unwrap(e) {
				for _, s := range []string{e.Error(), fmt.Sprintf("%+v", e), fmt.Sprintf("%q", e)} {
					if strings.Contains(s, canary) {
						t.Errorf("error %T leaks the secret: %s", e, s)
					}
				}
			}
			if !strings.Contains(err.Error(), "REDACTED") {
				t.Errorf("error %q does not show the sanitized URL", err)
			}
			out := logs.String()
			if strings.Contains(out, canary) {
				t.Errorf("logs leak the secret:\n%s", out)
			}
			// The logs must not be vacuously clean.
			if !strings.Contains(out, `"level":"DEBUG"`) || !strings.Contains(out, "REDACTED") {
				t.Errorf("expected debug lines with the sanitized URL, got:\n%s", out)
			}
			if got := strings.Contains(out, `"msg":"retrying request"`); got != tt.retried {
				t.Errorf("retry warning logged = %v, want %v:\n%s", got, tt.retried, out)
			}
		})
	}
}

// TestHTTPErrorURLSanitized checks the URL kept in *HTTPError.
func TestHTTPErrorURLSanitized(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		query url.Values
		want  string
	}{
		{name: "plain query kept", query: url.Values{"limit": {"5"}}, want: testBase + "x?limit=5"},
		{name: "api key", query: url.Values{"hapikey": {canary}, "limit": {"5"}}, want: testBase + "x?hapikey=REDACTED&limit=5"},
		{name: "token and secret", query: url.Values{"refresh_token": {canary}, "client_secret": {canary}}, want: testBase + "x?client_secret=REDACTED&refresh_token=REDACTED"},
		{name: "password any case", query: url.Values{"PassWord": {canary}}, want: testBase + "x?PassWord=REDACTED"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, mt := newMockClient(t, apiclient.Config{})
			mt.RegisterNoResponder(httpmock.NewStringResponder(400, ""))
			_, err := c.Do(t.Context(), apiclient.Call{Method: "GET", Path: "x", Query: tt.query})
			var herr *apiclient.HTTPError
			if !errors.As(err, &herr) {
				t.Fatalf("Do error = %v, want *HTTPError", err)
			}
			if herr.URL != tt.want {
				t.Errorf("HTTPError.URL = %q, want %q", herr.URL, tt.want)
			}
		})
	}
}

// TestDoRedirects checks that credentials set by Auth never follow a
// redirect to another host or to plain http, while same-host redirects
// still work.
func TestDoRedirects(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		tls  bool
		// target builds the Location header from the API request and the
		// other server's port.
		target        func(r *http.Request, otherPort string) string
		checkRedirect func(*http.Request, []*http.Request) error
		wantStatus    int // final status; 3xx means the redirect was refused
		wantOther     int // requests the other server must see
	}{
		{
			name:       "same host followed",
			target:     func(r *http.Request, _ string) string { return "/api/moved" },
			wantStatus: 200,
		},
		{
			name:       "other host refused",
			target:     func(_ *http.Request, port string) string { return "http://localhost:" + port + "/steal" },
			wantStatus: 302,
		},
		{
			name:       "other port refused",
			target:     func(_ *http.Request, port string) string { return "http://127.0.0.1:" + port + "/steal" },
			wantStatus: 302,
		},
		{
			name:       "https to http refused",
			tls:        true,
			target:     func(r *http.Request, _ string) string { return "http://" + r.Host + "/api/moved" },
			wantStatus: 302,
		},
		{
			name:          "caller policy still applies",
			target:        func(r *http.Request, _ string) string { return "/api/moved" },
			checkRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
			wantStatus:    302,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var mu sync.Mutex
			var otherKeys []string
			other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				mu.Lock()
				otherKeys = append(otherKeys, r.Header.Get("X-Sansan-Api-Key"))
				mu.Unlock()
				fmt.Fprint(w, `{"name":"stolen"}`)
			}))
			t.Cleanup(other.Close)
			_, otherPort, _ := net.SplitHostPort(other.Listener.Addr().String())
			var movedKeys []string
			h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Path == "/api/moved" {
					mu.Lock()
					movedKeys = append(movedKeys, r.Header.Get("X-Sansan-Api-Key"))
					mu.Unlock()
					fmt.Fprint(w, `{"name":"moved"}`)
					return
				}
				http.Redirect(w, r, tt.target(r, otherPort), http.StatusFound)
			})
			srv := httptest.NewUnstartedServer(h)
			if tt.tls {
				srv.StartTLS()
			} else {
				srv.Start()
			}
			t.Cleanup(srv.Close)
			hc := srv.Client()
			hc.CheckRedirect = tt.checkRedirect
			c, err := apiclient.New(apiclient.Config{
				BaseURL:    mustBase(t, srv.URL+"/api/"),
				HTTPClient: hc,
				Sleep:      (&sleepRecorder{}).Sleep,
				Retry:      testPolicy,
				Auth: func(_ context.Context, req *http.Request) ([]string, error) {
					req.Header.Set("X-Sansan-Api-Key", canary)
					return []string{canary}, nil
				},
			})
			if err != nil {
				t.Fatal(err)
			}
			var out note
			resp, err := c.Do(t.Context(), apiclient.Call{Method: "GET", Path: "old", Out: &out})
			mu.Lock()
			defer mu.Unlock()
			if resp == nil || resp.StatusCode != tt.wantStatus {
				t.Fatalf("Do = %v, %v; want final status %d", resp, err, tt.wantStatus)
			}
			if tt.wantStatus == 200 {
				if err != nil || out.Name != "moved" {
					t.Errorf("Do error = %v, Out = %+v; want the moved document", err, out)
				}
				if diff := cmp.Diff([]string{canary}, movedKeys); diff != "" {
					t.Errorf("same-host redirect credentials (-want +got):\n%s", diff)
				}
			} else {
				var herr *apiclient.HTTPError
				if !errors.As(err, &herr) || herr.StatusCode != tt.wantStatus {
					t.Errorf("Do error = %v, want *HTTPError %d", err, tt.wantStatus)
				}
				if c.Requests() != 1 {
					t.Errorf("Requests() = %d, want 1 (a refused redirect is final)", c.Requests())
				}
			}
			if len(otherKeys) != 0 {
				t.Errorf("other server received %d requests (api keys %q)", len(otherKeys), otherKeys)
			}
		})
	}
}

// TestNewDoesNotModifyHTTPClient checks that New copies the caller's client.
func TestNewDoesNotModifyHTTPClient(t *testing.T) {
	t.Parallel()
	hc := &http.Client{Transport: httpmock.NewMockTransport()}
	if _, err := apiclient.New(apiclient.Config{BaseURL: mustBase(t, testBase), HTTPClient: hc}); err != nil {
		t.Fatal(err)
	}
	if hc.CheckRedirect != nil {
		t.Error("New set CheckRedirect on the caller's http.Client")
	}
}
