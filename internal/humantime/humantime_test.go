package humantime_test

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/cardbridge/sansanhubspot/internal/humantime"
)

func TestString(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   time.Duration
		want string
	}{
		{0, "0s"},
		{1693762107 * time.Nanosecond, "1.69s"},
		{1500 * time.Nanosecond, "2µs"},
		{420123456 * time.Nanosecond, "420ms"},
		{59994 * time.Millisecond, "59.99s"},
		{123456 * time.Millisecond, "2m3s"},
		{2 * time.Minute, "2m"},
		{time.Hour + 5*time.Minute + 20*time.Second, "1h5m"},
		{3 * time.Hour, "3h"},
		{-1693762107 * time.Nanosecond, "-1.69s"},
	}
	for _, tt := range tests {
		t.Run(tt.in.String(), func(t *testing.T) {
			t.Parallel()
			if diff := cmp.Diff(tt.want, humantime.String(tt.in)); diff != "" {
				t.Errorf("String(%v) (-want +got):\n%s", tt.in, diff)
			}
		})
	}
}
