package reportview_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/cardbridge/sansanhubspot/hubspot"
	"github.com/cardbridge/sansanhubspot/internal/reportview"
	"github.com/cardbridge/sansanhubspot/sansan"
	"github.com/cardbridge/sansanhubspot/syncer"
)

func TestTable(t *testing.T) {
	t.Parallel()
	rep := &syncer.Report{Created: 3, Excluded: 2, Failed: 1, Duration: 1693762107 * time.Nanosecond,
		ExcludedByReason: map[syncer.ExclusionReason]int{syncer.ReasonNoEmail: 2},
		FailedByCategory: map[syncer.FailureCategory]int{syncer.CategoryConflict: 1},
		APICalls:         map[string]int64{"sansan": 2, "hubspot": 5}}
	acct := &syncer.AccountReport{Account: "tokyo", Created: 3, Updated: 1,
		ExcludedByReason: map[syncer.ExclusionReason]int{syncer.ReasonInvalidEmail: 4}}
	var buf bytes.Buffer
	reportview.Table(&buf, []reportview.Column{{Title: "pass", Counts: reportview.Of(rep)}, {Title: "tokyo", Counts: reportview.OfAccount(acct)}})
	var got []string
	for l := range strings.Lines(buf.String()) {
		got = append(got, strings.Join(strings.Fields(l), " "))
	}
	want := []string{
		"pass tokyo",
		"created 3 3",
		"updated 0 1",
		"unchanged 0 0",
		"excluded 2 0",
		"invalid_email 0 4",
		"no_email 2 0",
		"failed 1 0",
		"conflict 1 0",
		"API calls: Sansan 2",
		"API calls: HubSpot 5",
		"elapsed 1.69s",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("table (-want +got):\n%s", diff)
	}
}

func TestReasons(t *testing.T) {
	t.Parallel()
	rep := &syncer.Report{
		ExcludedByReason: map[syncer.ExclusionReason]int{syncer.ReasonDuplicateEmail: 3},
		FailedByCategory: map[syncer.FailureCategory]int{syncer.CategoryInvalidValue: 2},
		Failures: []syncer.Failure{
			{CardID: "C1", PersonID: "P1", Category: syncer.CategoryInvalidValue, Message: "bad\n  value"},
			{CardID: "C2", PersonID: "P2", Category: syncer.CategoryInvalidValue, Message: "x"},
		},
	}
	var buf bytes.Buffer
	reportview.Reasons(&buf, "  ", rep, 1)
	want := "  excluded duplicate_email      3  another card with the same address wins (newest exchange date)\n" +
		"  failed   invalid_value        2  HubSpot rejected a property value\n" +
		"  failure: card C1 (person P1): invalid_value: bad value\n" +
		"  ... and 1 more failures\n"
	if diff := cmp.Diff(want, buf.String()); diff != "" {
		t.Errorf("reasons (-want +got):\n%s", diff)
	}
	if got := reportview.OneLine(strings.Repeat("あ", 10), 5); got != "ああああ…" {
		t.Errorf("OneLine = %q", got)
	}
}

func TestReason(t *testing.T) {
	t.Parallel()
	tests := []struct {
		err  error
		want string
	}{
		{fmt.Errorf("pass: %w", hubspot.ErrUnauthorized), "HubSpot rejected the access token (401)"},
		{fmt.Errorf("pass: %w", sansan.ErrUnauthorized), "Sansan rejected the API key (401)"},
		{hubspot.ErrDailyLimit, "daily API limit is used up"},
		{&syncer.StoreMismatchError{What: "hubspot portal", Stored: "1", Got: "portal 2"}, "store is bound to hubspot portal 1"},
		{&syncer.ConfigError{Problems: []string{"unknown tag"}}, "misconfiguration: syncer: invalid config: unknown tag"},
		{fmt.Errorf("list: %w", context.Canceled), "interrupted"},
		{errors.New("multi\n  line"), "multi line"},
	}
	for _, tt := range tests {
		if got := reportview.Reason(tt.err); !strings.Contains(got, tt.want) {
			t.Errorf("Reason(%v) = %q, want it to contain %q", tt.err, got, tt.want)
		}
	}
}

func TestTitleAndParseRow(t *testing.T) {
	t.Parallel()
	titles := []string{reportview.Title(&syncer.Report{DryRun: true}), reportview.Title(&syncer.Report{Initial: true}), reportview.Title(&syncer.Report{})}
	if diff := cmp.Diff([]string{"plan (dry run)", "initial sync", "pass"}, titles); diff != "" {
		t.Errorf("titles (-want +got):\n%s", diff)
	}
	out := "  excluded duplicate_email  2  another card\n     excluded  3  4\n API calls: Sansan  7\n"
	for _, tt := range []struct {
		label string
		want  []int
		ok    bool
	}{{"excluded", []int{3, 4}, true}, {"API calls: Sansan", []int{7}, true}, {"created", nil, false}} {
		got, ok := reportview.ParseRow(out, tt.label)
		if ok != tt.ok || !cmp.Equal(got, tt.want) {
			t.Errorf("ParseRow(%q) = %v, %t; want %v, %t", tt.label, got, ok, tt.want, tt.ok)
		}
	}
}
