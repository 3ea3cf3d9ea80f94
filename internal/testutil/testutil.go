// Package testutil holds helpers shared by the tests of the server
// package, the examples, the command-line tool, the syncer's reliability
// suites and the pgstore module's SIGKILL test: waiting, report table
// rows, the kill switch and the figures RELIABILITY.md quotes.
package testutil

import (
	"testing"
	"time"

	"github.com/cardbridge/sansanhubspot/internal/reportview"
)

// WaitFor polls cond every 10 ms until it holds, failing the test after a
// generous 30 s: the tests that use it wait for a pass or a server, never
// for a time.
func WaitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatalf("timed out waiting for %s", what)
}

// TableRow returns the numbers of the row labelled label of a
// reportview table in out, failing the test when there is none.
func TableRow(t testing.TB, out, label string) []int {
	t.Helper()
	nums, ok := reportview.ParseRow(out, label)
	if !ok {
		t.Fatalf("no %q row in:\n%s", label, out)
	}
	return nums
}
