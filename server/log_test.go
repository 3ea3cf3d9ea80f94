package server

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestNewLogger(t *testing.T) {
	t.Parallel()
	type line struct {
		Level, Msg, Duration, Error string
	}
	tests := []struct {
		name  string
		level slog.Level
		log   func(l *slog.Logger)
		want  []line
	}{
		{name: "durations rounded", level: slog.LevelInfo,
			log:  func(l *slog.Logger) { l.Info("sync pass done", "duration", 1693762107*time.Nanosecond) },
			want: []line{{Level: "INFO", Msg: "sync pass done", Duration: "1.69s"}}},
		{name: "a cancelled pass is a clean stop", level: slog.LevelInfo,
			log: func(l *slog.Logger) {
				l.Error("sync pass failed", "error", fmt.Errorf("syncer: list cards: %w", context.Canceled))
			},
			want: []line{{Level: "INFO", Msg: "sync pass failed", Error: "syncer: list cards: context canceled"}}},
		{name: "a cancelled pass below the level", level: slog.LevelWarn,
			log:  func(l *slog.Logger) { l.Error("sync pass failed", "error", context.Canceled) },
			want: nil},
		{name: "other errors stay errors", level: slog.LevelWarn,
			log:  func(l *slog.Logger) { l.Error("sync pass failed", "error", errors.New("HTTP 500")) },
			want: []line{{Level: "ERROR", Msg: "sync pass failed", Error: "HTTP 500"}}},
		{name: "attributes added earlier", level: slog.LevelInfo,
			log: func(l *slog.Logger) {
				l.With("error", context.Canceled).WithGroup("g").Warn("stopping", "wait", 90*time.Second)
			},
			want: []line{{Level: "INFO", Msg: "stopping", Error: "context canceled"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var buf bytes.Buffer
			tt.log(NewLogger(&buf, true, tt.level))
			var got []line
			for l := range strings.Lines(buf.String()) {
				var ln line
				if err := json.Unmarshal([]byte(l), &ln); err != nil {
					t.Fatalf("not JSON: %q", l)
				}
				got = append(got, ln)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("log lines (-want +got):\n%s", diff)
			}
		})
	}
	var text bytes.Buffer
	NewLogger(&text, false, slog.LevelInfo).Info("waiting", "wait", 2*time.Minute)
	if !strings.Contains(text.String(), "wait=2m") {
		t.Errorf("text log = %q, want wait=2m", text.String())
	}
}
