package main

import (
	"bytes"
	"context"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/cardbridge/sansanhubspot/fakes"
	"github.com/cardbridge/sansanhubspot/hubspot/hubspottest"
	"github.com/cardbridge/sansanhubspot/internal/testutil"
)

func noEnv(string) string { return "" }

func TestRunOffline(t *testing.T) {
	t.Parallel()
	var stdout, stderr bytes.Buffer
	if code := run(t.Context(), []string{"-cards", "1000"}, &stdout, &stderr, noEnv); code != exitOK {
		t.Fatalf("run = %d, want 0; stderr: %s\nstdout:\n%s", code, stderr.String(), stdout.String())
	}
	out := stdout.String()
	for _, want := range []string{
		"built-in fakes",
		"1. Dry run", "2. Initial sync", "3. Edits in Sansan", "4. Two-way: a contact created in HubSpot",
		"registered in Sansan (POST /bizCards)",
		`HubSpot jobtitle is now "取締役 営業本部長"`,
		"5. Report",
		"API calls of the initial sync against the theoretical minimum",
		"Total elapsed:",
		"export SANSAN_API_KEY=",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q", want)
		}
	}
	if stderr.Len() > 0 {
		t.Errorf("stderr = %q, want empty", stderr.String())
	}
	// Columns: dry run, initial, incremental, from HubSpot, quiet.
	created, updated := testutil.TableRow(t, out, "created"), testutil.TableRow(t, out, "updated")
	excluded, failed := testutil.TableRow(t, out, "excluded"), testutil.TableRow(t, out, "failed")
	if len(created) != 5 {
		t.Fatalf("created row has %d columns, want 5", len(created))
	}
	if created[1] == 0 || excluded[1] == 0 {
		t.Errorf("initial sync created %d and excluded %d, want both > 0", created[1], excluded[1])
	}
	if failed[1] != 1 || testutil.TableRow(t, out, "invalid_value")[1] != 1 {
		t.Errorf("initial sync failed %v, want the one rejected card as invalid_value", failed)
	}
	if got := created[2] + updated[2]; got != 2 || failed[2] != 0 {
		t.Errorf("incremental pass wrote %d records and failed %d, want 2 (promotion and corrected card) and 0", got, failed[2])
	}
	if created[3] < 1 {
		t.Errorf("HubSpot → Sansan pass created %d, want the new contact's card", created[3])
	}
	// The card registered from HubSpot gets its Sansan ids written back in
	// the pass that registered it or, when Sansan stamped it after that
	// pass's window, in the next one: at most one update, nothing else.
	if created[4] != 0 || updated[4]+updated[3] != 1 || failed[4] != 0 {
		t.Errorf("last two passes: created %d, updated %d+%d, failed %d; want 0, 1 in all, 0", created[4], updated[3], updated[4], failed[4])
	}
	for _, reason := range []string{"no_email", "invalid_email"} {
		if n := testutil.TableRow(t, out, reason); n[0] == 0 || n[0] != n[1] {
			t.Errorf("excluded %s: dry run %d, initial %d; want equal and > 0", reason, n[0], n[1])
		}
	}
	m := regexp.MustCompile(`Sansan card listings\s+(\d+)\s+(\d+)`).FindStringSubmatch(out)
	if m == nil || m[1] != m[2] {
		t.Errorf("card listings should meet the minimum: %q", m)
	}
}

// writtenLine matches a progress line of a pass that writes.
var writtenLine = regexp.MustCompile(`read, \d+ written`)

// liveEnv points the real-account mode at fakes on loopback.
type liveEnv struct {
	*fakes.Env
	vars map[string]string
}

func newLiveEnv(t *testing.T, cards int, opts ...hubspottest.Option) *liveEnv {
	t.Helper()
	e := fakes.New(t, fakes.Options{Cards: cards, Seed: 7, HubSpot: opts})
	return &liveEnv{Env: e, vars: e.Vars()}
}

func (e *liveEnv) env(k string) string { return e.vars[k] }

func TestRunLive(t *testing.T) {
	t.Parallel()
	e := newLiveEnv(t, 200)
	store := filepath.Join(t.TempDir(), "store")

	var out, errb bytes.Buffer
	if code := run(t.Context(), []string{"-store", store}, &out, &errb, e.env); code != exitOK {
		t.Fatalf("dry run = %d; stderr %s", code, errb.String())
	}
	if n := e.HubSpot.Fake.NumContacts(); n != 0 {
		t.Errorf("dry run left %d contacts in HubSpot, want 0", n)
	}
	plan := testutil.TableRow(t, out.String(), "created")
	if !strings.Contains(out.String(), "DRY RUN") || plan[0] == 0 {
		t.Errorf("dry run output lacks the plan:\n%s", out.String())
	}
	if !strings.Contains(out.String(), "read, would write") || writtenLine.MatchString(out.String()) {
		t.Errorf("the dry run's progress line does not say it would write:\n%s", out.String())
	}

	out.Reset()
	if code := run(t.Context(), []string{"-apply", "-once", "-store", store}, &out, &errb, e.env); code != exitOK {
		t.Fatalf("apply = %d; stderr %s", code, errb.String())
	}
	if !writtenLine.MatchString(out.String()) || strings.Contains(out.String(), "would write") {
		t.Errorf("the applied pass's progress line does not say written:\n%s", out.String())
	}
	if got, want := testutil.TableRow(t, out.String(), "created")[0], plan[0]; got != want {
		t.Errorf("applied pass created %d, dry run planned %d", got, want)
	}
	if n := e.HubSpot.Fake.NumContacts(); n != plan[0] {
		t.Errorf("HubSpot holds %d contacts, want %d", n, plan[0])
	}

	// The store is durable: a second run finds everything in sync.
	out.Reset()
	if code := run(t.Context(), []string{"-apply", "-once", "-store", store}, &out, &errb, e.env); code != exitOK {
		t.Fatalf("second apply = %d; stderr %s", code, errb.String())
	}
	if c, u := testutil.TableRow(t, out.String(), "created")[0], testutil.TableRow(t, out.String(), "updated")[0]; c != 0 || u != 0 {
		t.Errorf("second run created %d, updated %d; want 0, 0 (links kept in %s)", c, u, store)
	}
}

// cancelWriter cancels a context once the output contains a marker.
type cancelWriter struct {
	mu     sync.Mutex
	buf    bytes.Buffer
	marker string
	cancel context.CancelFunc
}

func (w *cancelWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	n, err := w.buf.Write(p)
	if strings.Contains(w.buf.String(), w.marker) {
		w.cancel()
	}
	return n, err
}

func TestRunLiveContinuous(t *testing.T) {
	t.Parallel()
	e := newLiveEnv(t, 50)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	w := &cancelWriter{marker: "elapsed", cancel: cancel}
	var errb bytes.Buffer
	if code := run(ctx, []string{"-apply", "-interval", "1h"}, w, &errb, e.env); code != exitOK {
		t.Fatalf("run = %d, want 0 after cancellation; stderr %s", code, errb.String())
	}
	if !strings.Contains(w.buf.String(), "until interrupted") || e.HubSpot.Fake.NumContacts() == 0 {
		t.Errorf("continuous run did not sync before stopping:\n%s", w.buf.String())
	}
}

func TestRunFailures(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		args     []string
		hsOpts   []hubspottest.Option
		vars     map[string]string
		wantCode int
		want     string
	}{
		{name: "bad flag", args: []string{"-nope"}, wantCode: exitUsage, want: "flag provided but not defined"},
		{name: "bad direction", args: []string{"-direction", "sideways"}, wantCode: exitUsage, want: "-direction"},
		{name: "one credential", vars: map[string]string{"HUBSPOT_ACCESS_TOKEN": ""}, wantCode: exitFailure, want: "set both SANSAN_API_KEY and HUBSPOT_ACCESS_TOKEN"},
		{name: "malformed sansan key", vars: map[string]string{"SANSAN_API_KEY": "not-a-key!"}, wantCode: exitFailure, want: "not a valid Sansan API key"},
		{name: "rejected sansan key", vars: map[string]string{"SANSAN_API_KEY": strings.Repeat("Z", 32)}, wantCode: exitFailure, want: "Sansan rejected the API key"},
		{name: "rejected hubspot token", vars: map[string]string{"HUBSPOT_ACCESS_TOKEN": "pat-na1-wrong"}, wantCode: exitFailure, want: "HubSpot rejected the access token"},
		{name: "daily limit", args: []string{"-apply", "-once"}, hsOpts: []hubspottest.Option{hubspottest.WithDailyLimit(3)}, wantCode: exitFailure, want: "daily API limit"},
		{name: "unknown tag", args: []string{"-tags", "NOSUCHTAG"}, wantCode: exitFailure, want: "misconfiguration"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newLiveEnv(t, 20, tt.hsOpts...)
			for k, v := range tt.vars {
				e.vars[k] = v
			}
			var out, errb bytes.Buffer
			code := run(t.Context(), tt.args, &out, &errb, e.env)
			if code != tt.wantCode {
				t.Fatalf("run = %d, want %d; stderr %q", code, tt.wantCode, errb.String())
			}
			msg := errb.String()
			if !strings.Contains(msg, tt.want) {
				t.Errorf("stderr = %q, want it to contain %q", msg, tt.want)
			}
			if tt.wantCode == exitFailure && strings.Count(strings.TrimSpace(msg), "\n") != 0 {
				t.Errorf("stderr has several lines, want one: %q", msg)
			}
		})
	}
}
