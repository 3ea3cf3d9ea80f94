package syncer

import (
	"math"
	"testing"
	"time"
)

func TestAutoConcurrency(t *testing.T) {
	t.Parallel()
	tests := []struct {
		perSecond float64
		latency   time.Duration
		want      int
	}{
		{10, 0, 1},                              // nothing measured yet: slow start
		{9.5, 400 * time.Millisecond, 5},        // 100 / 10 s over the internet
		{18.5, 400 * time.Millisecond, 9},       // 190 / 10 s
		{9.5, 2 * time.Millisecond, 2},          // loopback
		{math.Inf(1), 10 * time.Millisecond, 4}, // no limiter
		{1000, time.Second, MaxWriteConcurrency},
	}
	for _, tc := range tests {
		if got := autoConcurrency(tc.perSecond, tc.latency); got != tc.want {
			t.Errorf("autoConcurrency(%v/s, %v) = %d, want %d", tc.perSecond, tc.latency, got, tc.want)
		}
	}
}
