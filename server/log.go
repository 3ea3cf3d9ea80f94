package server

import (
	"context"
	"errors"
	"io"
	"log/slog"

	"github.com/cardbridge/sansanhubspot/internal/humantime"
)

// NewLogger returns a logger for a sync service or tool that writes to w,
// as JSON lines when json is true and as slog's text format otherwise,
// from level up. It differs from a plain slog handler in two ways:
//
//   - durations are written rounded for people ("1.69s", "2m3s"), not as
//     nanosecond counts;
//   - a record above INFO whose error is a context cancellation (the
//     process was told to stop, e.g. by SIGTERM in the middle of a pass) is
//     written at INFO: stopping on request is not a failure.
func NewLogger(w io.Writer, json bool, level slog.Leveler) *slog.Logger {
	opts := &slog.HandlerOptions{Level: level, ReplaceAttr: replaceDuration}
	var h slog.Handler
	if json {
		h = slog.NewJSONHandler(w, opts)
	} else {
		h = slog.NewTextHandler(w, opts)
	}
	return slog.New(cleanStopHandler{Handler: h})
}

// replaceDuration writes duration attributes with humantime.
func replaceDuration(_ []string, a slog.Attr) slog.Attr {
	if a.Value.Kind() == slog.KindDuration {
		return slog.String(a.Key, humantime.String(a.Value.Duration()))
	}
	return a
}

// cleanStopHandler lowers to INFO the records that report a context
// cancellation at a higher level.
type cleanStopHandler struct {
	slog.Handler
	// stopped is true when attributes added with WithAttrs carry a
	// context cancellation.
	stopped bool
}

// Handle implements slog.Handler.
func (h cleanStopHandler) Handle(ctx context.Context, r slog.Record) error {
	if r.Level > slog.LevelInfo && (h.stopped || cancelled(r)) {
		if !h.Handler.Enabled(ctx, slog.LevelInfo) {
			return nil
		}
		c := slog.NewRecord(r.Time, slog.LevelInfo, r.Message, r.PC)
		r.Attrs(func(a slog.Attr) bool {
			c.AddAttrs(a)
			return true
		})
		r = c
	}
	return h.Handler.Handle(ctx, r)
}

// WithAttrs implements slog.Handler.
func (h cleanStopHandler) WithAttrs(as []slog.Attr) slog.Handler {
	stopped := h.stopped
	for _, a := range as {
		stopped = stopped || isCancellation(a)
	}
	return cleanStopHandler{Handler: h.Handler.WithAttrs(as), stopped: stopped}
}

// WithGroup implements slog.Handler.
func (h cleanStopHandler) WithGroup(name string) slog.Handler {
	return cleanStopHandler{Handler: h.Handler.WithGroup(name), stopped: h.stopped}
}

// cancelled reports whether one of r's attributes is an error matching
// context.Canceled.
func cancelled(r slog.Record) bool {
	found := false
	r.Attrs(func(a slog.Attr) bool {
		found = isCancellation(a)
		return !found
	})
	return found
}

// isCancellation reports whether a's value is an error matching
// context.Canceled.
func isCancellation(a slog.Attr) bool {
	err, ok := a.Value.Resolve().Any().(error)
	return ok && errors.Is(err, context.Canceled)
}
