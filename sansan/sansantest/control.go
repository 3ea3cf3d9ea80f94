package sansantest

import "maps"

// fault is a pending injected failure.
type fault struct {
	endpoint  string // "" matches every endpoint
	remaining int
	status    int // 0 = drop the connection
}

// FailNext makes the next n requests (any endpoint) answer status with a
// JSON error body. It adds to faults already pending; faults are consumed in
// the order they were added.
func (f *Fake) FailNext(n, status int) { f.addFault("", n, status) }

// FailNextOn is like [Fake.FailNext] for one endpoint, named as in
// [Fake.Requests] (e.g. [EndpointListBizCards]).
func (f *Fake) FailNextOn(endpoint string, n, status int) { f.addFault(endpoint, n, status) }

// DropNext makes the next n requests (any endpoint) close the connection
// without any response, as a network failure would.
func (f *Fake) DropNext(n int) { f.addFault("", n, 0) }

// DropNextOn is like [Fake.DropNext] for one endpoint.
func (f *Fake) DropNextOn(endpoint string, n int) { f.addFault(endpoint, n, 0) }

// ClearFaults removes every pending injected fault.
func (f *Fake) ClearFaults() {
	f.faultsMu.Lock()
	defer f.faultsMu.Unlock()
	f.faults = nil
}

func (f *Fake) addFault(endpoint string, n, status int) {
	if n <= 0 {
		return
	}
	f.faultsMu.Lock()
	defer f.faultsMu.Unlock()
	f.faults = append(f.faults, fault{endpoint: endpoint, remaining: n, status: status})
}

// takeFault consumes one pending fault matching endpoint.
func (f *Fake) takeFault(endpoint string) (status int, drop, ok bool) {
	f.faultsMu.Lock()
	defer f.faultsMu.Unlock()
	for i := range f.faults {
		ft := &f.faults[i]
		if ft.endpoint != "" && ft.endpoint != endpoint {
			continue
		}
		status = ft.status
		ft.remaining--
		if ft.remaining == 0 {
			f.faults = append(f.faults[:i], f.faults[i+1:]...)
		}
		return status, status == 0, true
	}
	return 0, false, false
}

func (f *Fake) count(endpoint string) {
	f.countMu.Lock()
	defer f.countMu.Unlock()
	f.counts[endpoint]++
	f.total++
}

// Requests returns how many requests each endpoint received, keyed by
// method and path template, e.g. "GET /bizCards/{id}". Every request counts,
// including rejected (401, 400, 429), injected and dropped ones; requests to
// unknown paths count under "METHOD (unmatched)".
func (f *Fake) Requests() map[string]int {
	f.countMu.Lock()
	defer f.countMu.Unlock()
	return maps.Clone(f.counts)
}

// TotalRequests returns the number of requests received.
func (f *Fake) TotalRequests() int {
	f.countMu.Lock()
	defer f.countMu.Unlock()
	return f.total
}

// ResetCounters zeroes the request counters.
func (f *Fake) ResetCounters() {
	f.countMu.Lock()
	defer f.countMu.Unlock()
	f.counts = map[string]int{}
	f.total = 0
}
