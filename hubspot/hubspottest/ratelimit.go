package hubspottest

import (
	"net/http"
	"strconv"
	"time"
)

// Rate-limit policy names carried by 429 bodies (hubspot-api.md §6.3).
const (
	PolicyTenSecondlyRolling = "TEN_SECONDLY_ROLLING"
	PolicySecondly           = "SECONDLY"
	PolicyDaily              = "DAILY"
)

// Rate-limit response headers (hubspot-api.md §6.2).
const (
	HeaderRateLimitMax         = "X-HubSpot-RateLimit-Max"
	HeaderRateLimitRemaining   = "X-HubSpot-RateLimit-Remaining"
	HeaderRateLimitInterval    = "X-HubSpot-RateLimit-Interval-Milliseconds"
	HeaderRateLimitDaily       = "X-HubSpot-RateLimit-Daily"
	HeaderRateLimitDailyRemain = "X-HubSpot-RateLimit-Daily-Remaining"
	headerCorrelationID        = "X-HubSpot-Correlation-Id"
)

// rollingWindow admits at most max events in any window-long interval.
type rollingWindow struct {
	max    int
	window time.Duration
	times  []time.Time // admitted events, oldest first
}

// admit reports whether an event at now fits, recording it if so, and the
// number of events still allowed in the window afterwards.
func (rw *rollingWindow) admit(now time.Time) (ok bool, remaining int) {
	cut := now.Add(-rw.window)
	i := 0
	for i < len(rw.times) && !rw.times[i].After(cut) {
		i++
	}
	if i > 0 {
		rw.times = append(rw.times[:0], rw.times[i:]...)
	}
	if len(rw.times) >= rw.max {
		return false, 0
	}
	rw.times = append(rw.times, now)
	return true, rw.max - len(rw.times)
}

// limiter holds all rate-limit state; guarded by Fake.rlMu.
type limiter struct {
	burst  *rollingWindow // nil = off
	search *rollingWindow // nil = off
	daily  int            // 0 = off
	day    string         // UTC date of the daily counter
	used   int            // requests admitted today
}

// admitRequest applies the limits to one authenticated request. It sets the
// rate headers on h and returns the policy that was exceeded, if any.
func (f *Fake) admitRequest(h http.Header, search bool, now time.Time) (policy string) {
	f.rlMu.Lock()
	defer f.rlMu.Unlock()
	l := &f.limits
	if l.daily > 0 {
		day := now.UTC().Format(time.DateOnly)
		if day != l.day {
			l.day, l.used = day, 0
		}
	}
	setBurst := func(remaining int) {
		if search || l.burst == nil {
			return
		}
		h.Set(HeaderRateLimitMax, strconv.Itoa(l.burst.max))
		h.Set(HeaderRateLimitRemaining, strconv.Itoa(remaining))
		h.Set(HeaderRateLimitInterval, strconv.FormatInt(l.burst.window.Milliseconds(), 10))
	}
	setDaily := func() {
		if search || l.daily == 0 {
			return
		}
		h.Set(HeaderRateLimitDaily, strconv.Itoa(l.daily))
		h.Set(HeaderRateLimitDailyRemain, strconv.Itoa(max(l.daily-l.used, 0)))
	}
	if l.daily > 0 && l.used >= l.daily {
		setBurst(f.peekRemaining(now))
		setDaily()
		return PolicyDaily
	}
	if search {
		if l.search != nil {
			if ok, _ := l.search.admit(now); !ok {
				return PolicySecondly
			}
		}
	} else if l.burst != nil {
		ok, rem := l.burst.admit(now)
		setBurst(rem)
		if !ok {
			setDaily()
			return PolicyTenSecondlyRolling
		}
	}
	if l.daily > 0 {
		l.used++
	}
	setDaily()
	return ""
}

// peekRemaining returns the burst allowance left without admitting anything.
func (f *Fake) peekRemaining(now time.Time) int {
	b := f.limits.burst
	if b == nil {
		return 0
	}
	cut := now.Add(-b.window)
	n := 0
	for _, t := range b.times {
		if t.After(cut) {
			n++
		}
	}
	return max(b.max-n, 0)
}

// rateLimitBody returns the 429 body for a policy.
func rateLimitBody(policy, correlationID string) rateLimitError {
	var msg string
	switch policy {
	case PolicyDaily:
		msg = "You have reached your daily limit."
	case PolicySecondly:
		msg = "You have reached your secondly limit."
	default:
		msg = "You have reached your ten_secondly_rolling limit."
	}
	return rateLimitError{
		Status:        "error",
		Message:       msg,
		ErrorType:     "RATE_LIMIT",
		CorrelationID: correlationID,
		PolicyName:    policy,
		RequestID:     newCorrelationID(),
	}
}
