package server

import (
	"bufio"
	"fmt"
	"net"
	"net/http"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cardbridge/sansanhubspot/hubspot/hubspottest"
	"github.com/cardbridge/sansanhubspot/internal/testutil"
)

// stallLimits are limits short enough for the test to run in about a second.
var stallLimits = Limits{
	ReadHeaderTimeout:  time.Second,
	ReadTimeout:        1500 * time.Millisecond,
	WriteTimeout:       time.Second,
	IdleTimeout:        time.Second,
	WebhookBodyTimeout: 800 * time.Millisecond,
}

// TestStalledWebhooks opens 150 connections that each declare a 1 MB
// webhook body, send half of it and stall. The server must cut every one of
// them off within its timeouts, hold little memory meanwhile, and still
// answer a real delivery and /healthz while they hang.
//
// It does not call t.Parallel: it measures the heap, which tests running
// beside it would disturb.
func TestStalledWebhooks(t *testing.T) { //nolint:paralleltest // measures the heap
	const (
		conns    = 150
		declared = 1_000_000
		sent     = declared / 2
	)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + ln.Addr().String()
	s := newTestServer(t, 0, Options{WebhookSecret: testSecret, WebhookURL: base + "/webhooks/hubspot", Limits: stallLimits})
	hs := s.HTTPServer()
	go hs.Serve(ln) //nolint:errcheck // closed below
	t.Cleanup(func() { hs.Close() })

	runtime.GC()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)

	// Sample the heap until the stalled clients are gone.
	var peak atomic.Uint64
	stopSampling := make(chan struct{})
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		var ms runtime.MemStats
		for {
			runtime.ReadMemStats(&ms)
			if ms.HeapInuse > peak.Load() {
				peak.Store(ms.HeapInuse)
			}
			select {
			case <-stopSampling:
				return
			case <-time.After(5 * time.Millisecond):
			}
		}
	}()

	payload := []byte(strings.Repeat(" ", sent))
	head := fmt.Sprintf("POST /webhooks/hubspot HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n"+
		"X-HubSpot-Request-Timestamp: %d\r\nX-HubSpot-Signature-v3: c3RhbGxlZA==\r\n\r\n", ln.Addr(), declared, time.Now().UnixMilli())
	start := time.Now()
	type result struct {
		status string        // first response line, if any
		closed time.Duration // when the server closed the connection
	}
	results := make([]result, conns)
	var wg sync.WaitGroup
	for i := range conns {
		c, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		wg.Add(1)
		go func() {
			defer wg.Done()
			// Write headers and half the body, then stall: never write
			// the rest, never close. Writes may fail once the server
			// has answered and closed.
			go func() {
				if _, err := c.Write([]byte(head)); err == nil {
					_, _ = c.Write(payload) // shared: the clients hold no copy
				}
			}()
			// A generous bound: the server must close well before.
			_ = c.SetReadDeadline(time.Now().Add(30 * time.Second))
			r := bufio.NewReader(c)
			line, _ := r.ReadString('\n')
			results[i].status = strings.TrimSpace(line)
			for {
				if _, err := r.ReadByte(); err != nil {
					break
				}
			}
			results[i].closed = time.Since(start)
		}()
	}

	// Meanwhile, with the large-body slots held by stalled clients, a real
	// delivery and the health check are answered.
	testutil.WaitFor(t, "the stalled clients to fill the large-body slots", func() bool { return len(s.webhooks.large) == cap(s.webhooks.large) })
	em := hubspottest.NewWebhookEmitter(base+"/webhooks/hubspot", testSecret, 42)
	if err := em.Send(t.Context(), []hubspottest.WebhookEvent{em.ContactCreation(7)}); err != nil {
		t.Errorf("a real delivery during the stall: %v", err)
	}
	resp, err := http.Get(base + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("/healthz during the stall = %d", resp.StatusCode)
	}
	if held := len(s.webhooks.large); held != cap(s.webhooks.large) {
		t.Errorf("the stalled clients were cut off before the real delivery was checked (%d slots held): the test proves nothing", held)
	}

	wg.Wait()
	close(stopSampling)
	<-sampled
	statuses := map[string]int{}
	var last time.Duration
	for _, r := range results {
		code := "none"
		if f := strings.Fields(r.status); len(f) > 1 {
			code = f[1]
		}
		statuses[code]++
		last = max(last, r.closed)
	}
	growth := int64(peak.Load()) - int64(before.HeapInuse)
	t.Logf("%d stalled clients: answers %v; all closed by the server after %s; heap in use grew by at most %.1f MiB",
		conns, statuses, last.Round(10*time.Millisecond), float64(growth)/(1<<20))

	// Every connection was closed by the server, within its timeouts
	// (generously: 10 s against ReadTimeout 1.5 s).
	if last > 10*time.Second {
		t.Errorf("the last stalled connection was closed after %s", last)
	}
	// Those beyond the slots were refused at once.
	if refused := statuses[strconv.Itoa(http.StatusServiceUnavailable)]; refused < conns-DefaultLimits.MaxLargeWebhooks {
		t.Errorf("%d answered 503, want at least %d; answers %v", refused, conns-DefaultLimits.MaxLargeWebhooks, statuses)
	}
	// Generous bound: before these limits, each stalled body was read into
	// memory (about 1 MiB apiece, 150 MiB in all).
	if growth > 48<<20 {
		t.Errorf("heap in use grew by %.1f MiB with %d stalled clients, want under 48 MiB", float64(growth)/(1<<20), conns)
	}
}
