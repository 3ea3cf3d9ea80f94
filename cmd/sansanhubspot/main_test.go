package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/cardbridge/sansanhubspot/fakes"
	"github.com/cardbridge/sansanhubspot/hubspot/hubspottest"
	"github.com/cardbridge/sansanhubspot/internal/testutil"
	"github.com/cardbridge/sansanhubspot/sansan/sansantest"
)

// safeBuffer is a bytes.Buffer safe for a command writing while the test
// reads.
type safeBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *safeBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *safeBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// result is what a run of the command printed and returned.
type result struct {
	code           int
	stdout, stderr string
}

// runCmd runs the command in-process with the environment vars.
func runCmd(ctx context.Context, vars map[string]string, args ...string) result {
	var out, errb safeBuffer
	code := run(ctx, args, &out, &errb, func(k string) string { return vars[k] })
	return result{code, out.String(), errb.String()}
}

// check fails the test unless r has the wanted code and its output
// contains every want ("stderr:" prefix: in stderr).
func (r result) check(t *testing.T, code int, wants ...string) {
	t.Helper()
	if r.code != code {
		t.Errorf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", r.code, code, r.stdout, r.stderr)
	}
	for _, w := range wants {
		in, what := r.stdout, "stdout"
		if s, ok := strings.CutPrefix(w, "stderr:"); ok {
			in, what, w = r.stderr, "stderr", s
		}
		if !strings.Contains(in, w) {
			t.Errorf("%s lacks %q:\n%s", what, w, in)
		}
	}
}

func TestUsage(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		args []string
		code int
		want []string
	}{
		{name: "no command", code: exitUsage, want: []string{"stderr:usage: sansanhubspot <command>"}},
		{name: "help", args: []string{"help"}, code: exitOK, want: []string{"commands:", "failures", "exit codes: 0 ok"}},
		{name: "help of a command", args: []string{"help", "failures"}, code: exitOK, want: []string{"stderr:usage: sansanhubspot failures", "stderr:-category"}},
		{name: "unknown command", args: []string{"frobnicate"}, code: exitUsage, want: []string{`stderr:unknown command "frobnicate"`}},
		{name: "bad flag", args: []string{"sync", "--nope"}, code: exitUsage, want: []string{"stderr:flag provided but not defined: -nope"}},
		{name: "bad setting", args: []string{"sync", "--interval", "soon"}, code: exitUsage, want: []string{`stderr:--interval: interval: "soon" is not a positive duration`}},
		{name: "bad direction", args: []string{"plan", "--direction", "up"}, code: exitUsage, want: []string{`stderr:unknown direction "up"`}},
		{name: "extra argument", args: []string{"sync", "now"}, code: exitUsage, want: []string{`stderr:unexpected argument "now"`}},
		{name: "no credentials", args: []string{"sync"}, code: exitUsage, want: []string{"stderr:not set: HUBSPOT_ACCESS_TOKEN", "stderr:--demo"}},
		{name: "store needed", args: []string{"failures"}, code: exitUsage, want: []string{"stderr:give --store"}},
		{name: "no store there", args: []string{"status", "--store", "/nonexistent/store"}, code: exitError, want: []string{"stderr:no store at /nonexistent/store"}},
		{name: "retry without a selection", args: []string{"retry", "--demo"}, code: exitUsage, want: []string{"stderr:name the records to retry"}},
		{name: "unknown category", args: []string{"failures", "--demo", "--category", "gremlins"}, code: exitUsage, want: []string{`stderr:--category "gremlins" is not one of`}},
		{name: "bad demo size", args: []string{"plan", "--demo", "--demo-cards", "0"}, code: exitUsage, want: []string{"stderr:--demo-cards"}},
		{name: "version", args: []string{"version"}, code: exitOK, want: []string{"sansanhubspot "}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			runCmd(t.Context(), nil, tt.args...).check(t, tt.code, tt.want...)
		})
	}
}

func TestConfigPrecedence(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	file := filepath.Join(dir, "config.json")
	writeFile(t, file, `{"store": "/from/file", "direction": "two-way", "interval": "5m", "tags": ["T1", "T2"],
		"dry_run": true, "sansan_api_key": "FILEKEY", "hubspot_access_token": "file-token", "log_format": "json"}`)
	tests := []struct {
		name string
		args []string
		env  map[string]string
		want string // "store direction interval tags dry key token addr json"
	}{
		{name: "defaults", want: " sansan_to_hubspot 1m0s [] false   127.0.0.1:8080 false"},
		{name: "file", args: []string{"--config", file},
			want: "/from/file two_way 5m0s [T1 T2] true FILEKEY file-token 127.0.0.1:8080 true"},
		{name: "file named by the environment", env: map[string]string{"SANSANHUBSPOT_CONFIG": file},
			want: "/from/file two_way 5m0s [T1 T2] true FILEKEY file-token 127.0.0.1:8080 true"},
		{name: "environment over file", args: []string{"--config", file},
			env:  map[string]string{"SANSANHUBSPOT_STORE": "/from/env", "SANSANHUBSPOT_DRY_RUN": "false", "SANSAN_API_KEY": "ENVKEY", "SANSANHUBSPOT_ADDR": "127.0.0.1:9"},
			want: "/from/env two_way 5m0s [T1 T2] false ENVKEY file-token 127.0.0.1:9 true"},
		{name: "flags over environment", args: []string{"--config", file, "--store", "/from/flag", "--direction", "sansan-to-hubspot", "--dry-run=true", "--interval", "90s"},
			env:  map[string]string{"SANSANHUBSPOT_STORE": "/from/env", "SANSANHUBSPOT_DRY_RUN": "false", "SANSANHUBSPOT_DIRECTION": "hubspot-to-sansan"},
			want: "/from/flag sansan_to_hubspot 1m30s [T1 T2] true FILEKEY file-token 127.0.0.1:8080 true"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			fs := flag.NewFlagSet("test", flag.ContinueOnError)
			fs.SetOutput(io.Discard)
			fv := register(fs)
			if err := fs.Parse(tt.args); err != nil {
				t.Fatal(err)
			}
			c, err := load(fs, fv, func(k string) string { return tt.env[k] })
			if err != nil {
				t.Fatal(err)
			}
			got := fmt.Sprintf("%s %s %s %v %t %s %s %s %t", c.store, c.direction, c.interval, c.tags, c.dryRun, c.sansanKey, c.hubspotToken, c.addr, c.logJSON)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("config (-want +got):\n%s", diff)
			}
		})
	}
}

func TestConfigFileErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, content, want string
	}{
		{name: "not JSON", content: `{"store": `, want: "unexpected end of JSON input"},
		{name: "unknown key", content: `{"stor": "/x"}`, want: `unknown key "stor"`},
		{name: "wrong type", content: `{"store": {"path": "/x"}}`, want: "store: a string, number, boolean or list of strings expected"},
		{name: "bad value", content: `{"interval": "often"}`, want: `config file: interval: "often" is not a positive duration`},
		{name: "account without a name", content: `{"accounts": [{"api_key_env": "K"}]}`, want: "accounts[0] has no name"},
		{name: "two keys", content: `{"accounts": [{"name": "a", "api_key": "x", "api_key_env": "K"}]}`, want: "api_key and api_key_env both set"},
		{name: "unknown account field", content: `{"accounts": [{"name": "a", "key": "x"}]}`, want: `unknown field "key"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			file := filepath.Join(t.TempDir(), "c.json")
			writeFile(t, file, tt.content)
			runCmd(t.Context(), nil, "plan", "--config", file).check(t, exitUsage, "stderr:"+tt.want)
		})
	}
	runCmd(t.Context(), nil, "plan", "--config", "/nonexistent.json").check(t, exitUsage, "stderr:config file: open /nonexistent.json")
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestOperatorCycle runs every subcommand in turn on one file store against
// the fakes: plan, a sync where HubSpot refuses one address, status,
// failures, retry, resync, and the store refusing another portal.
func TestOperatorCycle(t *testing.T) {
	t.Parallel()
	env := fakes.New(t, fakes.Options{Cards: 150, Seed: 4})
	vars := env.Vars()
	store := filepath.Join(t.TempDir(), "store")
	ctx := t.Context()

	// The card whose address HubSpot will refuse, and one to resync.
	var refused, edited sansantest.Card
	for _, c := range env.Cards {
		if c.EntryStatus == sansantest.EntryStatusCompleted && c.Email != nil && strings.Contains(*c.Email, "@") && *c.Email == strings.TrimSpace(strings.ToLower(*c.Email)) {
			if refused.ID == "" {
				refused = c
			} else if c.Title != nil && edited.ID == "" {
				edited = c
			}
		}
	}
	env.HubSpot.Fake.FailBatchInputs(func(p map[string]string) bool { return strings.EqualFold(p["email"], *refused.Email) })

	// plan writes nothing and creates no store.
	plan := runCmd(ctx, vars, "plan", "--store", store)
	plan.check(t, exitOK, "plan (dry run)", "Nothing was written", "does not exist and a dry run does not create it", "stderr:would write")
	planned := testutil.TableRow(t, plan.stdout, "created")[0]
	if !strings.Contains(plan.stdout, fmt.Sprintf("%d contact writes planned:", planned)) ||
		!regexp.MustCompile(`(?m)^  create\s+sansan\s+\(new\)\s+\S+@\S+\s+\S+\s+\S*email\S*`).MatchString(plan.stdout) {
		t.Errorf("plan lacks the table of its %d writes:\n%s", planned, plan.stdout)
	}
	if n := env.HubSpot.Fake.NumContacts(); n != 0 || planned == 0 {
		t.Fatalf("plan: %d contacts in HubSpot after it, %d planned", n, planned)
	}
	if _, err := os.Stat(store); err == nil {
		t.Error("plan created the store")
	}

	// sync: one record fails.
	sync1 := runCmd(ctx, vars, "sync", "--store", store)
	sync1.check(t, exitRecordsFailed, "initial sync", "invalid_value", "stderr:1 records failed", "stderr:read, ")
	if got := testutil.TableRow(t, sync1.stdout, "created")[0]; got != env.HubSpot.Fake.NumContacts() || got != planned-1 {
		t.Errorf("sync created %d, HubSpot holds %d, the plan said %d (one refused)", got, env.HubSpot.Fake.NumContacts(), planned)
	}

	// status: one failing link, the last pass.
	status := runCmd(ctx, vars, "status", "--store", store)
	status.check(t, exitRecordsFailed, "1 failing", "last pass: ", "initial sync")
	if !regexp.MustCompile(`(?m)^sansan\s+failing\s+invalid_value\s+1$`).MatchString(status.stdout) {
		t.Errorf("status lacks the failing link's row:\n%s", status.stdout)
	}
	// It needs no credentials.
	runCmd(ctx, nil, "status", "--store", store).check(t, exitRecordsFailed, "1 failing")
	var sj statusJSON
	js := runCmd(ctx, vars, "status", "--store", store, "--json")
	if err := json.Unmarshal([]byte(js.stdout), &sj); err != nil {
		t.Fatalf("status --json: %v\n%s", err, js.stdout)
	}
	if sj.LastPass == nil || sj.LastPass.Failed != 1 || sj.LastPass.Created != planned-1 || !sj.LastPass.Initial {
		t.Errorf("status --json last pass = %+v", sj.LastPass)
	}

	// failures: the refused card, with filters.
	runCmd(ctx, nil, "failures", "--store", store).check(t, exitOK, refused.PersonID, "invalid_value", "NEXT RETRY", "in ")
	runCmd(ctx, nil, "failures", "--store", store, "--category", "conflict").check(t, exitOK, "no failing records")
	runCmd(ctx, nil, "failures", "--store", store, "--account", "elsewhere").check(t, exitOK, "no failing records")
	fj := runCmd(ctx, nil, "failures", "--store", store, "--json")
	var f failureJSON
	if err := json.Unmarshal([]byte(fj.stdout), &f); err != nil || f.PersonID != refused.PersonID || f.Attempts != 1 || f.Category != "invalid_value" {
		t.Errorf("failures --json = %q (%v)", fj.stdout, err)
	}

	// retry: HubSpot accepts the address now.
	env.HubSpot.Fake.FailBatchInputs(nil)
	retry := runCmd(ctx, vars, "retry", "--store", store, "--category", "invalid_value")
	retry.check(t, exitOK, "1 failing records are due now")
	if got := testutil.TableRow(t, retry.stdout, "created")[0]; got != 1 {
		t.Errorf("the retry pass created %d, want the refused card's contact", got)
	}
	runCmd(ctx, vars, "status", "--store", store).check(t, exitOK, "0 failing")
	runCmd(ctx, vars, "retry", "--store", store, refused.PersonID).check(t, exitOK, "0 failing records are due now")

	// resync: a value changed by hand in HubSpot is rewritten from the card.
	contact, ok := env.HubSpot.Fake.ContactByEmail(strings.ToLower(*edited.Email))
	if !ok {
		t.Fatalf("no contact for %s", *edited.Email)
	}
	if _, err := env.HubSpot.Fake.UpdateContact(contact.ID, map[string]string{"jobtitle": "changed by hand"}); err != nil {
		t.Fatal(err)
	}
	jobtitle := func() string { c, _ := env.HubSpot.Fake.Contact(contact.ID); return c.Properties["jobtitle"] }
	runCmd(ctx, vars, "resync", "--store", store, "--properties", "jobtitle", "--dry-run").check(t, exitOK, "plan (dry run)", "backfill of sansan (resync) for jobtitle")
	if got := jobtitle(); got != "changed by hand" {
		t.Errorf("resync --dry-run wrote jobtitle %q", got)
	}
	runCmd(ctx, vars, "resync", "--store", store, "--properties", "jobtitle", "--account", "sansan").check(t, exitOK, "backfill of sansan (resync) for jobtitle")
	if got := jobtitle(); got != *edited.Title {
		t.Errorf("after resync jobtitle = %q, want the card's %q", got, *edited.Title)
	}
	runCmd(ctx, vars, "resync", "--store", store, "--properties", "no_such_property").check(t, exitUsage, `stderr:property "no_such_property"`)

	// A quiet sync, then the same store against another portal.
	quiet := runCmd(ctx, vars, "sync", "--store", store)
	quiet.check(t, exitOK)
	if c, u := testutil.TableRow(t, quiet.stdout, "created")[0], testutil.TableRow(t, quiet.stdout, "updated")[0]; c+u != 0 {
		t.Errorf("a sync with nothing changed wrote %d", c+u)
	}
	other := fakes.New(t, fakes.Options{Cards: 5, HubSpot: []hubspottest.Option{hubspottest.WithPortalID(424242)}})
	runCmd(ctx, other.Vars(), "sync", "--store", store).check(t, exitStoreMismatch, "stderr:store is bound to hubspot portal", "stderr:give another --store")
	if n := other.HubSpot.Fake.NumContacts(); n != 0 {
		t.Errorf("the other portal got %d contacts", n)
	}
}

func TestSyncFailures(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		hsOpts []hubspottest.Option
		vars   map[string]string
		args   []string
		code   int
		want   string
	}{
		{name: "rejected token", vars: map[string]string{"HUBSPOT_ACCESS_TOKEN": "pat-wrong"}, code: exitRejected, want: "HubSpot rejected the access token"},
		{name: "rejected key", vars: map[string]string{"SANSAN_API_KEY": strings.Repeat("Z", 32)}, code: exitRejected, want: "Sansan rejected the API key"},
		{name: "malformed key", vars: map[string]string{"SANSAN_API_KEY": strings.Repeat("K", 300)}, code: exitRejected, want: "not a valid Sansan API key"},
		{name: "daily limit", hsOpts: []hubspottest.Option{hubspottest.WithDailyLimit(3)}, code: exitDailyLimit, want: "daily API limit"},
		{name: "unknown tag", args: []string{"--tags", "NOSUCHTAG"}, code: exitUsage, want: "NOSUCHTAG"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			env := fakes.New(t, fakes.Options{Cards: 20, HubSpot: tt.hsOpts})
			vars := env.Vars()
			for k, v := range tt.vars {
				vars[k] = v
			}
			r := runCmd(t.Context(), vars, append([]string{"sync"}, tt.args...)...)
			r.check(t, tt.code, "stderr:"+tt.want)
			if last := strings.TrimSpace(r.stderr[strings.LastIndex(strings.TrimSpace(r.stderr), "\n")+1:]); !strings.HasPrefix(last, "sansanhubspot: ") {
				t.Errorf("the last line of stderr is not the reason: %q", last)
			}
		})
	}
}

// TestInterrupted stops a one-shot sync in the middle of a pass.
func TestInterrupted(t *testing.T) {
	t.Parallel()
	env := fakes.New(t, fakes.Options{Cards: 40, Sansan: []sansantest.Option{sansantest.WithLatency(30 * time.Millisecond)}})
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	go func() {
		for env.Sansan.Fake.TotalRequests() == 0 {
			time.Sleep(5 * time.Millisecond)
		}
		cancel()
	}()
	r := runCmd(ctx, env.Vars(), "sync")
	r.check(t, exitInterrupted, "stderr:sansanhubspot: interrupted")
	if strings.Contains(r.stderr, "level=ERROR") {
		t.Errorf("a stop on request logged an error:\n%s", r.stderr)
	}
}

// TestWatch runs sync --watch until the first pass is printed.
func TestWatch(t *testing.T) {
	t.Parallel()
	env := fakes.New(t, fakes.Options{Cards: 30})
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	var out, errb safeBuffer
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"sync", "--watch", "--interval", "1h"}, &out, &errb, func(k string) string { return env.Vars()[k] })
	}()
	testutil.WaitFor(t, "a pass line", func() bool { return strings.Contains(out.String(), "created ") })
	cancel()
	if code := <-done; code != exitOK {
		t.Errorf("sync --watch = %d after interruption, want 0; stderr:\n%s", code, errb.String())
	}
	if !strings.Contains(out.String(), "syncing every 1h until interrupted") || !strings.Contains(errb.String(), `msg="sync pass done"`) {
		t.Errorf("stdout:\n%s\nstderr:\n%s", out.String(), errb.String())
	}
}

// TestAccountsFromFile syncs two Sansan accounts listed in the config file.
func TestAccountsFromFile(t *testing.T) {
	t.Parallel()
	env := fakes.New(t, fakes.Options{Cards: 120, Seed: 8})
	var member sansantest.User
	for _, u := range env.Users {
		if !u.Admin {
			member = u
			break
		}
	}
	file := filepath.Join(t.TempDir(), "c.json")
	writeFile(t, file, `{"accounts": [{"name": "all", "api_key_env": "KEY_ALL"}, {"name": "mine", "api_key_env": "KEY_MINE"}]}`)
	vars := env.Vars()
	delete(vars, "SANSAN_API_KEY")
	vars["KEY_ALL"], vars["KEY_MINE"] = env.Admin.APIKey, member.APIKey
	store := filepath.Join(t.TempDir(), "store")
	r := runCmd(t.Context(), vars, "sync", "--config", file, "--store", store)
	r.check(t, exitOK, "accounts all, mine", "all → HubSpot", "mine → HubSpot")
	runCmd(t.Context(), vars, "status", "--config", file, "--store", store).check(t, exitOK, "all ", "in_sync")
	runCmd(t.Context(), vars, "resync", "--config", file, "--store", store, "--account", "mine", "--dry-run").check(t, exitOK, "backfill of mine (resync)")
	runCmd(t.Context(), vars, "resync", "--config", file, "--store", store, "--account", "nobody").check(t, exitUsage, `stderr:no account "nobody"`)
	runCmd(t.Context(), vars, "sync", "--config", file, "--tags", "X").check(t, exitUsage, "stderr:--tags cannot be used")
	vars["KEY_MINE"] = ""
	runCmd(t.Context(), vars, "sync", "--config", file).check(t, exitUsage, `stderr:the Sansan API key of account "mine"`)
}

// TestDemo runs every subcommand with --demo.
func TestDemo(t *testing.T) {
	t.Parallel()
	tests := []struct {
		args []string
		code int
		want []string
	}{
		{args: []string{"sync"}, code: exitRecordsFailed, want: []string{"stderr:demo: built-in fakes", "initial sync", "invalid_value"}},
		{args: []string{"plan"}, code: exitOK, want: []string{"plan (dry run)", "Nothing was written"}},
		{args: []string{"status"}, code: exitRecordsFailed, want: []string{"store memory (demo)", fmt.Sprintf("%d failing", demoRefused)}},
		{args: []string{"failures"}, code: exitOK, want: []string{"CATEGORY", "invalid_value"}},
		{args: []string{"retry", "--all"}, code: exitOK, want: []string{fmt.Sprintf("%d failing records are due now", demoRefused), "stderr:accepts the refused addresses again"}},
		{args: []string{"resync", "--properties", "jobtitle"}, code: exitRecordsFailed, want: []string{"backfill of sansan (resync) for jobtitle"}},
	}
	for _, tt := range tests {
		t.Run(tt.args[0], func(t *testing.T) {
			t.Parallel()
			runCmd(t.Context(), nil, append(tt.args, "--demo", "--demo-cards", "80")...).check(t, tt.code, tt.want...)
		})
	}
}

// TestServe runs serve, on the fakes and with --demo, and checks it over HTTP.
func TestServe(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		args   []string
		vars   func(t *testing.T) map[string]string
		secret string
	}{
		{name: "demo", args: []string{"--demo", "--demo-cards", "60"}, vars: func(*testing.T) map[string]string { return nil }, secret: demoWebhookSecret},
		{name: "fakes", args: []string{"--store", "STORE", "--webhook-url", "https://hooks.example.com/webhooks/hubspot"}, secret: "s3cret", vars: func(t *testing.T) map[string]string {
			env := fakes.New(t, fakes.Options{Cards: 60})
			v := env.Vars()
			v["HUBSPOT_CLIENT_SECRET"] = "s3cret"
			return v
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			vars := tt.vars(t)
			args := []string{"serve", "--addr", "127.0.0.1:0", "--interval", "1h"}
			for _, a := range tt.args {
				args = append(args, strings.ReplaceAll(a, "STORE", filepath.Join(t.TempDir(), "store")))
			}
			ctx, cancel := context.WithCancel(t.Context())
			defer cancel()
			pr, pw := io.Pipe()
			var errb safeBuffer
			done := make(chan int, 1)
			addrc := make(chan string, 1)
			go func() {
				sc := bufio.NewScanner(pr)
				for sc.Scan() {
					if m := regexp.MustCompile(`serving http://(\S+)/`).FindStringSubmatch(sc.Text()); m != nil {
						addrc <- m[1]
					}
				}
			}()
			started := make(chan struct{})
			go func() {
				close(started)
				done <- run(ctx, args, pw, &errb, func(k string) string { return vars[k] })
				pw.Close()
			}()
			<-started
			var base string
			select {
			case a := <-addrc:
				base = "http://" + a
			case code := <-done:
				t.Fatalf("serve = %d before serving; stderr:\n%s", code, errb.String())
			}
			testutil.WaitFor(t, "the first pass", func() bool {
				resp, err := http.Get(base + "/healthz")
				if err != nil {
					t.Fatal(err)
				}
				defer resp.Body.Close()
				var h struct{ Passes map[string]int }
				_ = json.NewDecoder(resp.Body).Decode(&h)
				return h.Passes["success"] >= 1
			})
			resp, err := http.Get(base + "/")
			if err != nil {
				t.Fatal(err)
			}
			page, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if !strings.Contains(string(page), `<b id="links-in_sync">`) {
				t.Errorf("health page:\n%s", page)
			}
			if tt.name == "demo" {
				em := hubspottest.NewWebhookEmitter(base+"/webhooks/hubspot", tt.secret, 1)
				if err := em.Send(t.Context(), []hubspottest.WebhookEvent{em.ContactCreation(1)}); err != nil {
					t.Errorf("signed webhook: %v", err)
				}
			}
			cancel()
			if code := <-done; code != exitOK {
				t.Errorf("serve = %d after interruption, want 0; stderr:\n%s", code, errb.String())
			}
			if strings.Contains(errb.String(), "level=ERROR") {
				t.Errorf("serve logged errors:\n%s", errb.String())
			}
		})
	}
}
