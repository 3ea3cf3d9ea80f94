package syncer

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"
)

// MemoryStore is a Store held in memory, safe for concurrent use. It also
// implements [MetaStore] and [LinkLister]. It loses everything when the
// process exits, so it suits tests, demos and dry runs; services should use
// a durable Store.
type MemoryStore struct {
	mu          sync.RWMutex
	byPerson    map[string]*Link
	byEmail     map[string]map[string]struct{} // email -> person ids
	byContact   map[string][]string            // contact id -> person ids, last written last
	checkpoints map[string]Checkpoint
	meta        map[string][]byte
}

var (
	_ Store      = (*MemoryStore)(nil)
	_ MetaStore  = (*MemoryStore)(nil)
	_ LinkLister = (*MemoryStore)(nil)
)

// NewMemoryStore returns an empty MemoryStore.
func NewMemoryStore() *MemoryStore {
	return &MemoryStore{
		byPerson:    make(map[string]*Link),
		byEmail:     make(map[string]map[string]struct{}),
		byContact:   make(map[string][]string),
		checkpoints: make(map[string]Checkpoint),
		meta:        make(map[string][]byte),
	}
}

// LinksByPerson implements Store.
func (m *MemoryStore) LinksByPerson(ctx context.Context, personIDs []string) (map[string]*Link, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	m.mu.RLock()
	defer m.mu.RUnlock()
	out := make(map[string]*Link, len(personIDs))
	for _, id := range personIDs {
		if l, ok := m.byPerson[id]; ok {
			out[id] = l.Clone()
		}
	}
	return out, nil
}

// LinksByEmail implements Store.
func (m *MemoryStore) LinksByEmail(ctx context.Context, emails []string) (map[string][]*Link, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	m.mu.RLock()
	defer m.mu.RUnlock()
	out := make(map[string][]*Link)
	for _, e := range emails {
		if e == "" {
			continue
		}
		if _, done := out[e]; done {
			continue
		}
		for pid := range m.byEmail[e] {
			out[e] = append(out[e], m.byPerson[pid].Clone())
		}
	}
	return out, nil
}

// LinkByContact implements Store.
func (m *MemoryStore) LinkByContact(ctx context.Context, contactID string) (*Link, error) {
	return linkByContact(ctx, m, contactID)
}

// LinksByContact implements Store.
func (m *MemoryStore) LinksByContact(ctx context.Context, contactIDs []string) (map[string]*Link, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	m.mu.RLock()
	defer m.mu.RUnlock()
	out := make(map[string]*Link, len(contactIDs))
	for _, id := range contactIDs {
		if holders := m.byContact[id]; id != "" && len(holders) > 0 {
			out[id] = m.byPerson[holders[len(holders)-1]].Clone()
		}
	}
	return out, nil
}

// PutLinks implements Store.
func (m *MemoryStore) PutLinks(ctx context.Context, links []*Link) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, l := range links {
		if l == nil || l.PersonID == "" {
			continue
		}
		if old, ok := m.byPerson[l.PersonID]; ok {
			m.unindex(old)
		}
		c := l.Clone()
		m.byPerson[c.PersonID] = c
		if c.Email != "" {
			set := m.byEmail[c.Email]
			if set == nil {
				set = make(map[string]struct{})
				m.byEmail[c.Email] = set
			}
			set[c.PersonID] = struct{}{}
		}
		if c.ContactID != "" {
			m.byContact[c.ContactID] = append(m.byContact[c.ContactID], c.PersonID)
		}
	}
	return nil
}

func (m *MemoryStore) unindex(l *Link) {
	if set := m.byEmail[l.Email]; set != nil {
		delete(set, l.PersonID)
		if len(set) == 0 {
			delete(m.byEmail, l.Email)
		}
	}
	if holders := slices.DeleteFunc(m.byContact[l.ContactID], func(p string) bool { return p == l.PersonID }); len(holders) == 0 {
		delete(m.byContact, l.ContactID)
	} else {
		m.byContact[l.ContactID] = holders
	}
}

// LinksToRetry implements Store.
func (m *MemoryStore) LinksToRetry(ctx context.Context, now time.Time, limit int) ([]*Link, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	m.mu.RLock()
	defer m.mu.RUnlock()
	var out []*Link
	for _, l := range m.byPerson {
		if l.State == StateFailing && !l.NextRetry.After(now) {
			out = append(out, l.Clone())
		}
	}
	slices.SortFunc(out, func(a, b *Link) int {
		if c := a.NextRetry.Compare(b.NextRetry); c != 0 {
			return c
		}
		return strings.Compare(a.PersonID, b.PersonID)
	})
	if limit > 0 && len(out) > limit {
		out = out[:limit]
	}
	return out, nil
}

// Checkpoint implements Store.
func (m *MemoryStore) Checkpoint(ctx context.Context, stream string) (Checkpoint, error) {
	if err := ctx.Err(); err != nil {
		return Checkpoint{}, err
	}
	m.mu.RLock()
	defer m.mu.RUnlock()
	cp, ok := m.checkpoints[stream]
	if !ok {
		return Checkpoint{}, ErrNotFound
	}
	return cp, nil
}

// PutCheckpoint implements Store.
func (m *MemoryStore) PutCheckpoint(ctx context.Context, stream string, cp Checkpoint) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.checkpoints[stream] = cp
	return nil
}

// ListLinks implements [LinkLister]. It sorts the matching links on every
// call, which is fine for the sizes a MemoryStore holds.
func (m *MemoryStore) ListLinks(ctx context.Context, q LinkQuery) ([]*Link, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	m.mu.RLock()
	defer m.mu.RUnlock()
	var match []*Link
	for id, l := range m.byPerson {
		if id > q.After && linkMatches(q, l) {
			match = append(match, l)
		}
	}
	slices.SortFunc(match, func(a, b *Link) int { return strings.Compare(a.PersonID, b.PersonID) })
	match = match[:min(len(match), linkQueryLimit(q))]
	out := make([]*Link, len(match))
	for i, l := range match {
		out[i] = l.Clone()
	}
	return out, nil
}

// linkQueryLimit returns the page size of q: DefaultLinkQueryLimit when
// q.Limit is zero or less, at most MaxLinkQueryLimit.
func linkQueryLimit(q LinkQuery) int {
	if q.Limit <= 0 {
		return DefaultLinkQueryLimit
	}
	return min(q.Limit, MaxLinkQueryLimit)
}

// linkMatches reports whether l passes the filters of q (not After).
func linkMatches(q LinkQuery, l *Link) bool {
	return (len(q.States) == 0 || slices.Contains(q.States, l.State)) &&
		(q.Account == "" || l.Account == q.Account) &&
		(q.Reason == "" || l.Reason == q.Reason)
}

// CountLinks implements [LinkLister].
func (m *MemoryStore) CountLinks(ctx context.Context) ([]LinkCount, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	type group struct {
		account string
		state   LinkState
		reason  string
	}
	m.mu.RLock()
	n := make(map[group]int)
	for _, l := range m.byPerson {
		n[group{l.Account, l.State, l.Reason}]++
	}
	m.mu.RUnlock()
	out := make([]LinkCount, 0, len(n))
	for g, c := range n {
		out = append(out, LinkCount{Account: g.account, State: g.state, Reason: g.reason, N: c})
	}
	slices.SortFunc(out, func(a, b LinkCount) int {
		return cmp.Or(strings.Compare(a.Account, b.Account), strings.Compare(string(a.State), string(b.State)),
			strings.Compare(a.Reason, b.Reason))
	})
	return out, nil
}

// Meta implements [MetaStore].
func (m *MemoryStore) Meta(ctx context.Context, key string) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	m.mu.RLock()
	defer m.mu.RUnlock()
	v, ok := m.meta[key]
	if !ok {
		return nil, fmt.Errorf("syncer: meta %q: %w", key, ErrNotFound)
	}
	return slices.Clone(v), nil
}

// PutMeta implements [MetaStore].
func (m *MemoryStore) PutMeta(ctx context.Context, key string, value []byte) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if value == nil {
		delete(m.meta, key)
		return nil
	}
	m.meta[key] = append([]byte{}, value...)
	return nil
}

// MetaByPrefix implements [MetaStore].
func (m *MemoryStore) MetaByPrefix(ctx context.Context, prefix string) (map[string][]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	m.mu.RLock()
	defer m.mu.RUnlock()
	out := make(map[string][]byte)
	for k, v := range m.meta {
		if strings.HasPrefix(k, prefix) {
			out[k] = slices.Clone(v)
		}
	}
	return out, nil
}

// Len returns the number of links stored.
func (m *MemoryStore) Len() int {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return len(m.byPerson)
}
