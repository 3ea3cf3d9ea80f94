// Package progress draws a sync pass's progress (syncer.Config.Progress)
// with the standard library: on a terminal, one line redrawn in place,
// with a bar when the number of records is known; elsewhere, plain lines
// at most once a second and when a direction of an account is done.
package progress

import (
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/cardbridge/sansanhubspot/internal/humantime"
	"github.com/cardbridge/sansanhubspot/syncer"
)

// IsTerminal reports whether w is a terminal (a character device).
func IsTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// Line renders progress to a writer. Create it with New; its Update method
// is a syncer.Config.Progress. It is safe for concurrent use.
type Line struct {
	// Indent starts every line.
	Indent string

	w   io.Writer
	tty bool
	dry bool

	mu      sync.Mutex
	total   int
	started time.Time
	last    time.Time
	open    bool // a terminal line is drawn and not ended
}

// New returns a Line on w, redrawn in place when w is a terminal. dry
// says the pass is a dry run: it would write, and writes nothing.
func New(w io.Writer, dry bool) *Line {
	return &Line{w: w, tty: IsTerminal(w), dry: dry, started: time.Now()}
}

// SetTotal sets how many Sansan records the pass is expected to read, for
// the bar; 0 means unknown.
func (l *Line) SetTotal(n int) {
	l.mu.Lock()
	l.total = n
	l.mu.Unlock()
}

// Update draws pr.
func (l *Line) Update(pr syncer.Progress) {
	l.mu.Lock()
	defer l.mu.Unlock()
	dir, noun := "Sansan → HubSpot", "cards"
	if pr.Direction == syncer.HubSpotToSansan {
		dir, noun = "HubSpot → Sansan", "contacts"
	}
	written := fmt.Sprintf("%d written", pr.Created+pr.Updated)
	if l.dry {
		written = fmt.Sprintf("would write %d (dry run)", pr.Created+pr.Updated)
	}
	if !l.tty {
		if !pr.Done && time.Since(l.last) < time.Second {
			return
		}
		l.last = time.Now()
		state := "…"
		if pr.Done {
			state = "done"
		}
		fmt.Fprintf(l.w, "%s%s %s: %d %s read, %s %s\n", l.Indent, pr.Account, dir, pr.Read, noun, written, state)
		return
	}
	line := fmt.Sprintf("%d %s read, %s", pr.Read, noun, written)
	if l.total > 0 && pr.Direction == syncer.SansanToHubSpot {
		const width = 30
		n := min(width, pr.Read*width/l.total)
		if pr.Done {
			n = width
		}
		line = fmt.Sprintf("[%s%s] %s", strings.Repeat("█", n), strings.Repeat("░", width-n), line)
	}
	fmt.Fprintf(l.w, "\r\033[K%s%s %s %s  %s", l.Indent, pr.Account, dir, line, humantime.String(time.Since(l.started).Round(time.Second/10)))
	l.open = !pr.Done
	if pr.Done {
		fmt.Fprintln(l.w)
	}
}

// End ends a line a terminal still shows (a pass stopped before Done), so
// what is printed next starts on its own line.
func (l *Line) End() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.open {
		fmt.Fprintln(l.w)
		l.open = false
	}
}
