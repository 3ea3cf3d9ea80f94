package syncer_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"golang.org/x/time/rate"

	"github.com/cardbridge/sansanhubspot/hubspot"
	"github.com/cardbridge/sansanhubspot/sansan"
	"github.com/cardbridge/sansanhubspot/syncer"
)

// TestReportString renders reports of completed and failed passes.
func TestReportString(t *testing.T) {
	t.Parallel()
	boom := errors.New("syncer: list cards of account \"tokyo\": boom")
	for _, tt := range []struct {
		name string
		rep  syncer.Report
		want string
	}{
		{
			name: "completed",
			rep:  syncer.Report{Created: 3, Updated: 1, Excluded: 2, Duration: 1500 * time.Microsecond, ExcludedByReason: map[syncer.ExclusionReason]int{syncer.ReasonNoEmail: 2}},
			want: "pass: created 3, updated 1, unchanged 0, excluded 2, failed 0 in 2ms\n" +
				"  excluded no_email         2\n",
		},
		{
			name: "failed",
			rep:  syncer.Report{Created: 3, Err: boom, APICalls: map[string]int64{"sansan": 2}},
			want: "pass failed: syncer: list cards of account \"tokyo\": boom\n" +
				"  before it stopped: created 3, updated 0, unchanged 0, excluded 0, failed 0 in 0s\n" +
				"  api calls sansan          2\n",
		},
		{
			name: "dry run failed",
			rep:  syncer.Report{DryRun: true, Err: boom},
			want: "dry run failed: syncer: list cards of account \"tokyo\": boom\n" +
				"  before it stopped: created 0, updated 0, unchanged 0, excluded 0, failed 0 in 0s\n",
		},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if diff := cmp.Diff(tt.want, tt.rep.String()); diff != "" {
				t.Errorf("String() mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// TestFailedPassReport: a pass stopped by rejected credentials returns a
// report that carries the error, says it failed, and reaches OnPass the
// same way; a pass that completes has no error.
func TestFailedPassReport(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name       string
		dry        bool
		hubToken   string // "" keeps the valid token
		sansanKey  string // "" keeps the admin's valid key
		wantErr    error
		wantPrefix string
	}{
		{name: "valid credentials", wantPrefix: "pass: created 24,"},
		{name: "wrong hubspot token", hubToken: "pat-wrong", wantErr: hubspot.ErrUnauthorized, wantPrefix: "pass failed: "},
		{name: "wrong sansan key", sansanKey: "wrongKey0", wantErr: sansan.ErrUnauthorized, wantPrefix: "pass failed: "},
		{name: "dry run, wrong hubspot token", dry: true, hubToken: "pat-wrong", wantErr: hubspot.ErrUnauthorized, wantPrefix: "dry run failed: "},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, 40, 18)
			var onPass *syncer.Report
			var onPassErr error
			eng := e.engine(func(c *syncer.Config) {
				c.DryRun = tt.dry
				c.OnPass = func(r *syncer.Report, err error) { onPass, onPassErr = r, err }
				if tt.hubToken != "" {
					hub, err := hubspot.NewClient(tt.hubToken, hubspot.WithBaseURL(e.hs.URL), hubspot.WithRateLimit(rate.Inf, 0), hubspot.WithSleep(noSleep))
					if err != nil {
						t.Fatal(err)
					}
					c.HubSpot = hub
				}
				if tt.sansanKey != "" {
					ss, err := sansan.NewClient(tt.sansanKey, sansan.WithBaseURL(e.ss.URL), sansan.WithRateLimit(rate.Inf, 0), sansan.WithSleep(noSleep))
					if err != nil {
						t.Fatal(err)
					}
					c.Accounts[0].Client = ss
				}
			})
			rep, err := eng.SyncOnce(t.Context())
			if !errors.Is(err, tt.wantErr) || (err == nil) != (tt.wantErr == nil) {
				t.Fatalf("SyncOnce error = %v, want %v", err, tt.wantErr)
			}
			if rep == nil {
				t.Fatal("SyncOnce returned no report")
			}
			if rep.Err != err {
				t.Errorf("Report.Err = %v, want the returned error %v", rep.Err, err)
			}
			if onPass != rep || onPassErr != err {
				t.Errorf("OnPass got (%p, %v), want (%p, %v)", onPass, onPassErr, rep, err)
			}
			s := rep.String()
			if !strings.HasPrefix(s, tt.wantPrefix) {
				t.Errorf("String() = %q, want prefix %q", s, tt.wantPrefix)
			}
			if err != nil && !strings.HasPrefix(s, tt.wantPrefix+err.Error()+"\n") {
				t.Errorf("String() = %q, want the error %q on its first line", s, err)
			}
		})
	}
}

// TestReportJSONSkipsErr: a failed pass's report still encodes and
// decodes with encoding/json; the error, which has no JSON form, is left
// out.
func TestReportJSONSkipsErr(t *testing.T) {
	t.Parallel()
	in := syncer.Report{Created: 2, Failed: 1, Err: errors.New("boom")}
	b, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	var out syncer.Report
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatalf("Unmarshal(%s): %v", b, err)
	}
	want := in
	want.Err = nil
	if diff := cmp.Diff(want, out, cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("round trip mismatch (-want +got):\n%s", diff)
	}
}
