package main

import (
	"context"
	"net/http"
	"runtime"
	"runtime/metrics"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/time/rate"

	"github.com/cardbridge/sansanhubspot/hubspot"
	"github.com/cardbridge/sansanhubspot/sansan"
)

// limits are the client-side (proactive) limits of one scenario.
type limits struct {
	hubspot, search, sansan   rate.Limit
	hubspotBurst, searchBurst int
	sansanBurst               int
	sansanRateLimitWait       time.Duration // 0 = the SDK default
}

// unlimited turns every client-side limit off: the call-count scenarios
// measure requests, not time.
var unlimited = limits{hubspot: rate.Inf, search: rate.Inf, sansan: rate.Inf}

// sdkDefaults are the SDK's documented defaults (HubSpot 100 / 10 s tier,
// Sansan 5 req/s).
var sdkDefaults = limits{
	hubspot: hubspot.DefaultRateLimit, hubspotBurst: hubspot.DefaultBurst,
	search: hubspot.DefaultSearchRateLimit, searchBurst: hubspot.DefaultSearchBurst,
	sansan: sansan.DefaultRateLimit, sansanBurst: 1,
}

// event is one request the recorder saw complete.
type event struct {
	at     time.Time
	status int
}

// recorder is an http.RoundTripper that counts what a client sends and
// receives, per service: every attempt, 429s and the completion times of
// HubSpot writes and Sansan card pages (for steady-state rates).
type recorder struct {
	next http.RoundTripper
	// delay, when set, is added to every request before it is sent: a
	// stand-in for the network and server time the fakes do not have.
	delay    func(req *http.Request) time.Duration
	requests atomic.Int64
	tooMany  atomic.Int64

	mu     sync.Mutex
	writes []event // HubSpot batch writes
	pages  []event // Sansan card list pages
}

func newRecorder() *recorder {
	return &recorder{next: &http.Transport{MaxIdleConnsPerHost: 16, IdleConnTimeout: time.Minute}}
}

func (r *recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	r.requests.Add(1)
	if r.delay != nil {
		if d := r.delay(req); d > 0 {
			t := time.NewTimer(d)
			select {
			case <-t.C:
			case <-req.Context().Done():
				t.Stop()
				return nil, req.Context().Err()
			}
		}
	}
	resp, err := r.next.RoundTrip(req)
	if err != nil {
		return resp, err
	}
	if resp.StatusCode == http.StatusTooManyRequests {
		r.tooMany.Add(1)
	}
	p := req.URL.Path
	switch {
	case req.Method == http.MethodPost && strings.Contains(p, "/batch/") && !strings.HasSuffix(p, "/read"):
		r.mu.Lock()
		r.writes = append(r.writes, event{at: time.Now(), status: resp.StatusCode})
		r.mu.Unlock()
	case req.Method == http.MethodGet && strings.HasSuffix(p, "/bizCards"):
		r.mu.Lock()
		r.pages = append(r.pages, event{at: time.Now(), status: resp.StatusCode})
		r.mu.Unlock()
	}
	return resp, nil
}

func (r *recorder) events() (writes, pages []event) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]event(nil), r.writes...), append([]event(nil), r.pages...)
}

// clients builds a HubSpot and a Sansan client for the fakes.
func clients(f *fakes, lim limits, hrec, srec *recorder) (*hubspot.Client, *sansan.Client, error) {
	hopts := []hubspot.Option{
		hubspot.WithBaseURL(f.HubSpotURL),
		hubspot.WithHTTPClient(&http.Client{Transport: hrec, Timeout: 60 * time.Second}),
		hubspot.WithRateLimit(lim.hubspot, lim.hubspotBurst),
		hubspot.WithSearchRateLimit(lim.search, lim.searchBurst),
	}
	hc, err := hubspot.NewClient("hubspottest-token", hopts...)
	if err != nil {
		return nil, nil, err
	}
	sopts := []sansan.Option{
		sansan.WithBaseURL(f.SansanURL),
		sansan.WithHTTPClient(&http.Client{Transport: srec, Timeout: 60 * time.Second}),
		sansan.WithRateLimit(lim.sansan, lim.sansanBurst),
	}
	if lim.sansanRateLimitWait > 0 {
		p := sansan.DefaultRetryPolicy
		p.RateLimitWait = lim.sansanRateLimitWait
		sopts = append(sopts, sansan.WithRetry(p))
	}
	sc, err := sansan.NewClient(f.APIKey, sopts...)
	if err != nil {
		return nil, nil, err
	}
	return hc, sc, nil
}

// heapSampler tracks the peak of live heap objects while it runs, reading
// runtime/metrics (no stop-the-world) every millisecond or two.
type heapSampler struct {
	stop     chan struct{}
	done     chan struct{}
	peak     uint64 // heap objects, garbage included
	peakLive uint64 // heap marked live by a GC cycle during the run
}

const heapMetric = "/memory/classes/heap/objects:bytes"

func heapNow() uint64 {
	s := []metrics.Sample{{Name: heapMetric}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}

// liveHeap returns the heap still reachable after two collections.
func liveHeap() uint64 {
	runtime.GC()
	runtime.GC()
	return heapNow()
}

func startHeapSampler() *heapSampler {
	h := &heapSampler{stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(h.done)
		s := []metrics.Sample{{Name: heapMetric}, {Name: "/gc/heap/live:bytes"}}
		t := time.NewTicker(2 * time.Millisecond)
		defer t.Stop()
		for {
			metrics.Read(s)
			h.peak = max(h.peak, s[0].Value.Uint64())
			h.peakLive = max(h.peakLive, s[1].Value.Uint64())
			select {
			case <-h.stop:
				return
			case <-t.C:
			}
		}
	}()
	return h
}

func (h *heapSampler) Stop() (peak, peakLive uint64) {
	close(h.stop)
	<-h.done
	return h.peak, h.peakLive
}

// allocs returns the cumulative heap allocations (bytes, objects).
func allocs() (uint64, uint64) {
	s := []metrics.Sample{{Name: "/gc/heap/allocs:bytes"}, {Name: "/gc/heap/allocs:objects"}}
	metrics.Read(s)
	return s[0].Value.Uint64(), s[1].Value.Uint64()
}

// measure runs fn and reports wall time, this process's CPU time and its
// allocations.
type measured struct {
	wall, cpu      time.Duration
	bytes, objects uint64
	peak, peakLive uint64
}

func measure(ctx context.Context, fn func(ctx context.Context) error) (measured, error) {
	b0, o0 := allocs()
	h := startHeapSampler()
	c0 := selfCPU()
	t0 := time.Now()
	err := fn(ctx)
	m := measured{wall: time.Since(t0), cpu: selfCPU() - c0}
	m.peak, m.peakLive = h.Stop()
	b1, o1 := allocs()
	m.bytes, m.objects = b1-b0, o1-o0
	return m, err
}
