package storetest

import (
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/cardbridge/sansanhubspot/syncer"
)

// benchLinks is how many links the lookup benchmarks load first.
const benchLinks = 10_000

// benchBatch is the PutLinks batch size, HubSpot's batch size.
const benchBatch = 100

var benchEpoch = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)

// Bench measures the stores made by newStore: links written per second in
// batches of 100 (new persons, and rewrites of the same persons), links
// looked up per second by each lookup against 10,000 stored links (one in
// ten failing), and checkpoint writes per second. For stores that implement
// [syncer.LinkLister] and [syncer.MetaStore] it also measures links listed
// per second in pages of 100 (all links, failing links), CountLinks calls
// per second over the 10,000 links, and PutMeta writes per second.
// Each sub-benchmark calls newStore once for a fresh store.
func Bench(b *testing.B, newStore func(b *testing.B) syncer.Store) {
	b.Run("PutLinks/new", func(b *testing.B) {
		s := newStore(b)
		ctx := b.Context()
		n := 0
		for b.Loop() {
			if err := s.PutLinks(ctx, benchBatchOf(n)); err != nil {
				b.Fatalf("PutLinks: %v", err)
			}
			n++
		}
		b.ReportMetric(float64(n*benchBatch)/b.Elapsed().Seconds(), "links/s")
	})
	b.Run("PutLinks/overwrite", func(b *testing.B) {
		s := newStore(b)
		ctx := b.Context()
		n := 0
		for b.Loop() {
			links := benchBatchOf(0)
			for _, l := range links {
				l.Attempts = n
			}
			if err := s.PutLinks(ctx, links); err != nil {
				b.Fatalf("PutLinks: %v", err)
			}
			n++
		}
		b.ReportMetric(float64(n*benchBatch)/b.Elapsed().Seconds(), "links/s")
	})
	b.Run("LinksByPerson/100", func(b *testing.B) {
		s := loaded(b, newStore)
		benchLookups(b, func(i int) error {
			ids := make([]string, benchBatch)
			for j := range ids {
				ids[j] = benchID((i*benchBatch + j*7919) % benchLinks)
			}
			got, err := s.LinksByPerson(b.Context(), ids)
			if err == nil && len(got) != benchBatch {
				err = fmt.Errorf("found %d of %d links", len(got), benchBatch)
			}
			return err
		}, benchBatch)
	})
	b.Run("LinksByEmail/100", func(b *testing.B) {
		s := loaded(b, newStore)
		benchLookups(b, func(i int) error {
			emails := make([]string, benchBatch)
			for j := range emails {
				emails[j] = benchID((i*benchBatch+j*7919)%benchLinks) + "@example.com"
			}
			got, err := s.LinksByEmail(b.Context(), emails)
			if err == nil && len(got) != benchBatch {
				err = fmt.Errorf("found %d of %d emails", len(got), benchBatch)
			}
			return err
		}, benchBatch)
	})
	b.Run("LinkByContact", func(b *testing.B) {
		s := loaded(b, newStore)
		benchLookups(b, func(i int) error {
			_, err := s.LinkByContact(b.Context(), "c-"+benchID(i*7919%benchLinks))
			return err
		}, 1)
	})
	b.Run("LinksToRetry/100", func(b *testing.B) {
		s := loaded(b, newStore)
		benchLookups(b, func(i int) error {
			// Half of the failing links are due.
			got, err := s.LinksToRetry(b.Context(), benchEpoch.Add(benchLinks/2*time.Second), benchBatch)
			if err == nil && len(got) != benchBatch {
				err = fmt.Errorf("found %d links to retry, want %d", len(got), benchBatch)
			}
			return err
		}, benchBatch)
	})
	for _, tt := range []struct {
		name   string
		states []syncer.LinkState
	}{
		{"ListLinks/100", nil},
		{"ListLinks/failing/100", []syncer.LinkState{syncer.StateFailing}},
	} {
		b.Run(tt.name, func(b *testing.B) {
			s := loaded(b, newStore)
			l, ok := s.(syncer.LinkLister)
			if !ok {
				b.Skipf("%T does not implement syncer.LinkLister", s)
			}
			q := syncer.LinkQuery{States: tt.states, Limit: benchBatch}
			benchLookups(b, func(int) error {
				got, err := l.ListLinks(b.Context(), q)
				if err != nil {
					return err
				}
				q.After = ""
				if len(got) == benchBatch { // else the last page: start over
					q.After = got[len(got)-1].PersonID
				}
				return nil
			}, benchBatch)
		})
	}
	b.Run("CountLinks", func(b *testing.B) {
		s := loaded(b, newStore)
		l, ok := s.(syncer.LinkLister)
		if !ok {
			b.Skipf("%T does not implement syncer.LinkLister", s)
		}
		benchLookups(b, func(int) error {
			got, err := l.CountLinks(b.Context())
			if err == nil && len(got) != 2 {
				err = fmt.Errorf("CountLinks returned %d rows, want 2", len(got))
			}
			return err
		}, 1)
	})
	b.Run("PutMeta", func(b *testing.B) {
		s := newStore(b)
		m, ok := s.(syncer.MetaStore)
		if !ok {
			b.Skipf("%T does not implement syncer.MetaStore", s)
		}
		value := make([]byte, 512)
		n := 0
		for b.Loop() {
			if err := m.PutMeta(b.Context(), "intent/"+strconv.Itoa(n%100), value); err != nil {
				b.Fatalf("PutMeta: %v", err)
			}
			n++
		}
		b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "writes/s")
	})
	b.Run("PutCheckpoint", func(b *testing.B) {
		s := newStore(b)
		n := 0
		since := time.Now()
		for b.Loop() {
			if err := s.PutCheckpoint(b.Context(), "cards", syncer.Checkpoint{Since: since, Cursor: strconv.Itoa(n)}); err != nil {
				b.Fatalf("PutCheckpoint: %v", err)
			}
			n++
		}
		b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "writes/s")
	})
}

func benchID(i int) string { return fmt.Sprintf("person-%06d", i) }

// benchBatchOf returns batch n of benchBatch realistic links.
func benchBatchOf(n int) []*syncer.Link {
	links := make([]*syncer.Link, benchBatch)
	for j := range links {
		id := benchID(n*benchBatch + j)
		l := fullLink(id)
		l.Email = id + "@example.com"
		l.ContactID = "c-" + id
		l.State = syncer.StateInSync
		if j%10 == 0 { // one link in ten is failing, due at different times
			l.State = syncer.StateFailing
			l.NextRetry = benchEpoch.Add(time.Duration(n*benchBatch+j) * time.Second)
		}
		l.Values["email"] = l.Email
		l.Values["jobtitle"] = "営業部 部長"
		links[j] = l
	}
	return links
}

// loaded returns a fresh store holding benchLinks links; the timer is reset.
func loaded(b *testing.B, newStore func(b *testing.B) syncer.Store) syncer.Store {
	b.Helper()
	s := newStore(b)
	for n := range benchLinks / benchBatch {
		if err := s.PutLinks(b.Context(), benchBatchOf(n)); err != nil {
			b.Fatalf("loading: PutLinks: %v", err)
		}
	}
	return s
}

// benchLookups runs lookup in a loop and reports lookups per second, each
// call counting perCall lookups.
func benchLookups(b *testing.B, lookup func(i int) error, perCall int) {
	b.Helper()
	i := 0
	for b.Loop() {
		if err := lookup(i); err != nil {
			b.Fatalf("lookup %d: %v", i, err)
		}
		i++
	}
	b.ReportMetric(float64(i*perCall)/b.Elapsed().Seconds(), "lookups/s")
}
