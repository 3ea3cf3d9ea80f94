package apiclient

import (
	"slices"
	"sync"
	"sync/atomic"
)

// atomicList is a small list of strings safe for concurrent use, read far
// more often than written. The list sits behind a pointer so that printing
// its holder does not print the strings.
type atomicList struct {
	mu   sync.Mutex
	vals atomic.Pointer[[]string]
}

// add appends v unless present, dropping the oldest beyond limit.
func (l *atomicList) add(v string, limit int) {
	if slices.Contains(l.load(), v) {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	old := l.load()
	if slices.Contains(old, v) {
		return
	}
	vals := append(slices.Clone(old), v)
	if len(vals) > limit {
		vals = vals[len(vals)-limit:]
	}
	l.vals.Store(&vals)
}

// load returns the current list; callers must not modify it.
func (l *atomicList) load() []string {
	if p := l.vals.Load(); p != nil {
		return *p
	}
	return nil
}
