package testutil

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"slices"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// KillSwitch is middleware for the fakes that SIGKILLs a child process
// right after the fake acted on the child's K-th request, before the child
// sees the answer: the crash the SIGKILL tests of the syncer and pgstore
// make at every point of a pass. With K = 0 it kills nothing and records
// the requests, so a probe run can count them.
type KillSwitch struct {
	// K is the request (counted from 1) after which the child dies.
	K      int64
	n, pid atomic.Int64
	mu     sync.Mutex
	// requests lists, with K = 0, the requests as "METHOD /path" in the
	// order they reached the fakes.
	requests []string
	// killed is set before the signal is sent: the parent's Wait may
	// return before Kill does.
	killed atomic.Bool
}

// Wrap returns next behind the switch.
func (s *KillSwitch) Wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s.K == 0 {
			s.mu.Lock()
			s.requests = append(s.requests, r.Method+" "+r.URL.Path)
			s.mu.Unlock()
		}
		if s.n.Add(1) != s.K {
			next.ServeHTTP(w, r)
			return
		}
		next.ServeHTTP(httptest.NewRecorder(), r) // the fake acts on the request...
		for i := 0; s.pid.Load() == 0 && i < 500; i++ {
			time.Sleep(time.Millisecond) // Start has not returned the pid yet
		}
		if p := s.pid.Load(); p > 0 {
			s.killed.Store(true)
			if syscall.Kill(int(p), syscall.SIGKILL) != nil { // ...and the child dies before the answer
				s.killed.Store(false)
			}
		}
		panic(http.ErrAbortHandler)
	})
}

// N returns how many requests the switch has seen.
func (s *KillSwitch) N() int64 { return s.n.Load() }

// Recorded returns the requests of a switch that never kills.
func (s *KillSwitch) Recorded() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.requests)
}

// Run starts the child, waits for it and checks that it died of the
// switch's SIGKILL; it skips the test when the child finished before
// request K.
func (s *KillSwitch) Run(t testing.TB, cmd *exec.Cmd) {
	t.Helper()
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	s.pid.Store(int64(cmd.Process.Pid))
	err := cmd.Wait()
	if !s.killed.Load() {
		if err != nil {
			t.Fatalf("child failed without being killed: %v\n%s", err, out.Bytes())
		}
		t.Skipf("the child finished after %d requests, before request %d", s.n.Load(), s.K)
	}
	if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
		t.Fatalf("child ended with %v, want SIGKILL", err)
	}
}
