package storetest

import (
	"testing"
	"time"

	"github.com/cardbridge/sansanhubspot/syncer"
)

// retryFixture stores links in every state around now and returns the ones
// LinksToRetry must return, in order.
func retryFixture(t *testing.T, s syncer.Store, now time.Time) []*syncer.Link {
	t.Helper()
	mk := func(id string, state syncer.LinkState, next time.Time) *syncer.Link {
		l := simpleLink(id, id+"@example.com", "c-"+id)
		l.State, l.NextRetry = state, next
		if state == syncer.StateFailing {
			l.Reason, l.Attempts = "server_error", 2
		}
		return l
	}
	due := []*syncer.Link{
		mk("p-2h", syncer.StateFailing, now.Add(-2*time.Hour)),
		// Same instant as p-1h-b in another zone: ties go by PersonID.
		mk("p-1h-a", syncer.StateFailing, now.Add(-time.Hour).In(jst)),
		mk("p-1h-b", syncer.StateFailing, now.Add(-time.Hour)),
		mk("p-1ns", syncer.StateFailing, now.Add(-time.Nanosecond)),
		mk("p-now", syncer.StateFailing, now), // "not after now" includes now
	}
	others := []*syncer.Link{
		mk("p+1ns", syncer.StateFailing, now.Add(time.Nanosecond)),
		mk("p+1h", syncer.StateFailing, now.Add(time.Hour)),
		mk("p-insync", syncer.StateInSync, now.Add(-3*time.Hour)),
		mk("p-excluded", syncer.StateExcluded, now.Add(-3*time.Hour)),
		mk("p-zero", syncer.StateInSync, time.Time{}),
	}
	// Store in an order unrelated to the expected one.
	put(t, s, cloneAll(others[:2])...)
	put(t, s, due[4].Clone(), due[2].Clone(), others[2].Clone())
	put(t, s, due[0].Clone(), due[3].Clone(), due[1].Clone())
	put(t, s, cloneAll(others[2:])...)
	return due
}

var retryCases = []testCase{
	{"EmptyStore", func(t *testing.T, s syncer.Store) {
		got, err := s.LinksToRetry(t.Context(), time.Now(), 10)
		if err != nil || len(got) != 0 {
			t.Errorf("LinksToRetry on empty store = (%v, %v), want (none, nil)", personIDs(got), err)
		}
	}},
	{"DueFailingLinksInOrder", func(t *testing.T, s syncer.Store) {
		now := time.Date(2025, 7, 1, 9, 0, 0, 500, time.UTC)
		want := retryFixture(t, s, now)
		got, err := s.LinksToRetry(t.Context(), now, 100)
		if err != nil {
			t.Fatalf("LinksToRetry: %v", err)
		}
		if d := diff(want, got); d != "" {
			t.Errorf("LinksToRetry (-want +got):\n%s", d)
		}
		// now in another zone is the same instant.
		got, err = s.LinksToRetry(t.Context(), now.In(jst), 100)
		if err != nil {
			t.Fatalf("LinksToRetry: %v", err)
		}
		if d := diff(personIDs(want), personIDs(got)); d != "" {
			t.Errorf("LinksToRetry with now in JST (-want +got):\n%s", d)
		}
	}},
	{"Limit", func(t *testing.T, s syncer.Store) {
		now := time.Date(2025, 7, 1, 9, 0, 0, 0, time.UTC)
		want := retryFixture(t, s, now)
		for _, limit := range []int{1, 3, len(want), len(want) + 1} {
			got, err := s.LinksToRetry(t.Context(), now, limit)
			if err != nil {
				t.Fatalf("LinksToRetry(limit %d): %v", limit, err)
			}
			if d := diff(personIDs(want[:min(limit, len(want))]), personIDs(got)); d != "" {
				t.Errorf("LinksToRetry(limit %d) (-want +got):\n%s", limit, d)
			}
		}
	}},
	{"FollowsRewrites", func(t *testing.T, s syncer.Store) {
		now := time.Date(2025, 7, 1, 9, 0, 0, 0, time.UTC)
		due := retryFixture(t, s, now)
		fixed := due[0].Clone()
		fixed.State, fixed.NextRetry, fixed.Reason = syncer.StateInSync, time.Time{}, ""
		later := due[1].Clone()
		later.NextRetry = now.Add(time.Minute)
		failing := simpleLink("p-new", "new@example.com", "")
		failing.State, failing.NextRetry = syncer.StateFailing, now.Add(-time.Minute)
		put(t, s, fixed, later, failing.Clone())
		got, err := s.LinksToRetry(t.Context(), now, 100)
		if err != nil {
			t.Fatalf("LinksToRetry: %v", err)
		}
		want := []string{due[2].PersonID, failing.PersonID, due[3].PersonID, due[4].PersonID}
		if d := diff(want, personIDs(got)); d != "" {
			t.Errorf("LinksToRetry after rewrites (-want +got):\n%s", d)
		}
	}},
	{"ReturnsCopies", func(t *testing.T, s syncer.Store) {
		now := time.Date(2025, 7, 1, 9, 0, 0, 0, time.UTC)
		want := retryFixture(t, s, now)
		got, err := s.LinksToRetry(t.Context(), now, 100)
		if err != nil {
			t.Fatalf("LinksToRetry: %v", err)
		}
		for _, l := range got {
			l.State = syncer.StateInSync
			l.Values["email"] = "changed"
		}
		got, err = s.LinksToRetry(t.Context(), now, 100)
		if err != nil {
			t.Fatalf("LinksToRetry: %v", err)
		}
		if d := diff(want, got); d != "" {
			t.Errorf("stored links changed through returned ones (-want +got):\n%s", d)
		}
	}},
}
