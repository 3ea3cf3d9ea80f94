package main

import (
	"context"
	"slices"
	"sync"
	"time"

	"github.com/cardbridge/sansanhubspot/syncer"
)

// linkInfo is what the health page needs of a link.
type linkInfo struct {
	State     syncer.LinkState
	Reason    string
	Message   string // failing links only
	PersonID  string
	CardID    string
	ContactID string
	Attempts  int
	NextRetry time.Time
	UpdatedAt time.Time
}

// trackedStore is a syncer.Store that remembers the state of every link
// it stores or returns, for the health page and the links metric.
//
// The Store interface cannot list links, so after a restart the states of
// links no pass has touched yet are unknown: failing links are loaded at
// start (LinksToRetry lists them all) and the rest is counted as "not seen
// since start" until a pass reads or writes them.
type trackedStore struct {
	syncer.Store

	mu    sync.Mutex
	links map[string]linkInfo // by PersonID
}

func newTrackedStore(ctx context.Context, s syncer.Store) (*trackedStore, error) {
	t := &trackedStore{Store: s, links: map[string]linkInfo{}}
	failing, err := s.LinksToRetry(ctx, time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC), 0)
	if err != nil {
		return nil, err
	}
	t.observe(failing...)
	return t, nil
}

func (t *trackedStore) observe(links ...*syncer.Link) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, l := range links {
		if l == nil || l.PersonID == "" {
			continue
		}
		info := linkInfo{
			State: l.State, Reason: l.Reason, PersonID: l.PersonID, CardID: l.CardID, ContactID: l.ContactID,
			Attempts: l.Attempts, NextRetry: l.NextRetry, UpdatedAt: l.UpdatedAt,
		}
		if l.State == syncer.StateFailing {
			info.Message = l.Message
		}
		t.links[l.PersonID] = info
	}
}

// LinksByPerson implements syncer.Store.
func (t *trackedStore) LinksByPerson(ctx context.Context, personIDs []string) (map[string]*syncer.Link, error) {
	m, err := t.Store.LinksByPerson(ctx, personIDs)
	for _, l := range m {
		t.observe(l)
	}
	return m, err
}

// LinksByEmail implements syncer.Store.
func (t *trackedStore) LinksByEmail(ctx context.Context, emails []string) (map[string][]*syncer.Link, error) {
	m, err := t.Store.LinksByEmail(ctx, emails)
	for _, ls := range m {
		t.observe(ls...)
	}
	return m, err
}

// LinkByContact implements syncer.Store.
func (t *trackedStore) LinkByContact(ctx context.Context, contactID string) (*syncer.Link, error) {
	l, err := t.Store.LinkByContact(ctx, contactID)
	if err == nil {
		t.observe(l)
	}
	return l, err
}

// PutLinks implements syncer.Store.
func (t *trackedStore) PutLinks(ctx context.Context, links []*syncer.Link) error {
	if err := t.Store.PutLinks(ctx, links); err != nil {
		return err
	}
	t.observe(links...)
	return nil
}

// LinksToRetry implements syncer.Store.
func (t *trackedStore) LinksToRetry(ctx context.Context, now time.Time, limit int) ([]*syncer.Link, error) {
	ls, err := t.Store.LinksToRetry(ctx, now, limit)
	t.observe(ls...)
	return ls, err
}

// linkCounts are link totals by state.
type linkCounts struct {
	InSync, Excluded, Failing int
	// Unseen counts stored links whose state no pass has shown since start;
	// -1 when the store cannot say how many links it holds.
	Unseen           int
	ExcludedByReason map[string]int
}

// counts returns link totals and up to n failing links, latest first.
func (t *trackedStore) counts(n int) (linkCounts, []linkInfo) {
	t.mu.Lock()
	c := linkCounts{ExcludedByReason: map[string]int{}}
	var failing []linkInfo
	for _, l := range t.links {
		switch l.State {
		case syncer.StateInSync:
			c.InSync++
		case syncer.StateExcluded:
			c.Excluded++
			c.ExcludedByReason[l.Reason]++
		case syncer.StateFailing:
			c.Failing++
			failing = append(failing, l)
		}
	}
	seen := len(t.links)
	t.mu.Unlock()
	c.Unseen = -1
	if s, ok := t.Store.(interface{ Len() int }); ok {
		c.Unseen = max(0, s.Len()-seen)
	}
	slices.SortFunc(failing, func(a, b linkInfo) int {
		if c := b.UpdatedAt.Compare(a.UpdatedAt); c != 0 {
			return c
		}
		return compareStrings(a.PersonID, b.PersonID)
	})
	if len(failing) > n {
		failing = failing[:n]
	}
	return c, failing
}

func compareStrings(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
