package main

import (
	"context"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/cardbridge/sansanhubspot/syncer"
	"github.com/cardbridge/sansanhubspot/syncer/filestore"
)

// callCounts splits the requests the fakes received.
type callCounts struct {
	SansanList, SansanOther       int // GET /bizCards pages; anything else (tags)
	HubSpotWrite, HubSpotProps    int // batch create/update/upsert; property definitions and account details (preflight)
	HubSpotOther                  int // reads, searches, single-record calls
	SansanTotal, HubSpotTotal     int
	SansanByEndpoint, HubSpotByEP map[string]int
}

func split(s stats) callCounts {
	c := callCounts{SansanByEndpoint: s.Sansan, HubSpotByEP: s.HubSpot}
	for k, v := range s.Sansan {
		c.SansanTotal += v
		if k == "GET /bizCards" {
			c.SansanList += v
		} else {
			c.SansanOther += v
		}
	}
	for k, v := range s.HubSpot {
		c.HubSpotTotal += v
		switch {
		case strings.Contains(k, "/properties/") || strings.Contains(k, "/account-info/"):
			c.HubSpotProps += v
		case strings.HasPrefix(k, "POST /crm/v3/objects/contacts/batch/") && !strings.HasSuffix(k, "/read") && !strings.HasSuffix(k, "/archive"):
			c.HubSpotWrite += v
		default:
			c.HubSpotOther += v
		}
	}
	return c
}

func ceilDiv(a, b int) int { return (a + b - 1) / b }

// initialResult is one initial sync of the calls scenario.
type initialResult struct {
	Cards, Listed, Written, Excluded, Failed int
	Contacts                                 int // contacts in HubSpot after the pass
	Calls                                    callCounts
	BoundReads, BoundWrites                  int // ceil(listed/300), ceil(written/100)
	Preflight                                int // Sansan tags + HubSpot property calls
	Over                                     float64
	M                                        measured
	Links                                    int
	HeapBase, HeapAfter                      uint64
	Incr                                     []incrResult
}

type incrResult struct {
	K, Listed, Written              int
	SansanList, HubSpotWrite, Other int
	BoundWrites                     int
	Wall                            time.Duration
}

// runCalls does an initial sync of n cards with every limit off and
// counts the requests the fakes received, then incremental passes with k
// changed cards and one with nothing changed. store is "memory" or "file".
func runCalls(ctx context.Context, n int, seed uint64, store string, incremental bool) (*initialResult, error) {
	f, err := startFakes(fakesConfig{Cards: n, Seed: seed})
	if err != nil {
		return nil, err
	}
	defer f.close()
	hrec, srec := newRecorder(), newRecorder()
	hc, sc, err := clients(f, unlimited, hrec, srec)
	if err != nil {
		return nil, err
	}
	res := &initialResult{Cards: n}
	res.HeapBase = liveHeap()

	var st syncer.Store
	var linkCount func() int
	switch store {
	case "memory":
		m := syncer.NewMemoryStore()
		st, linkCount = m, m.Len
	case "file":
		dir, err := os.MkdirTemp("", "sansanhubspot-bench-")
		if err != nil {
			return nil, err
		}
		defer os.RemoveAll(dir)
		fs, err := filestore.Open(dir)
		if err != nil {
			return nil, err
		}
		defer fs.Close()
		st, linkCount = fs, fs.Len
	default:
		return nil, fmt.Errorf("unknown store %q", store)
	}
	eng, err := syncer.New(syncer.Config{
		HubSpot:  hc,
		Accounts: []syncer.Account{{Name: "tokyo", Client: sc}},
		Store:    st,
	})
	if err != nil {
		return nil, err
	}
	var rep *syncer.Report
	res.M, err = measure(ctx, func(ctx context.Context) error {
		var err error
		rep, err = eng.SyncOnce(ctx)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("initial sync of %d cards: %w", n, err)
	}
	s, err := f.stats(ctx)
	if err != nil {
		return nil, err
	}
	res.Calls = split(s)
	if os.Getenv("BENCH_DEBUG") != "" {
		fmt.Fprintf(os.Stderr, "sansan %v\nhubspot %v\nreport %s\n", s.Sansan, s.HubSpot, rep)
	}
	res.Listed = rep.Accounts[0].Read
	res.Written = rep.Created + rep.Updated
	res.Excluded, res.Failed = rep.Excluded, rep.Failed
	res.BoundReads = max(1, ceilDiv(res.Listed, 300))
	res.Contacts = s.Contacts
	// Each contact needs one write in a batch of 100 (failed records
	// were tried once); re-writes are not part of the bound.
	res.BoundWrites = ceilDiv(res.Contacts+res.Failed, 100)
	res.Preflight = res.Calls.SansanOther + res.Calls.HubSpotProps
	work := res.Calls.SansanList + res.Calls.HubSpotWrite + res.Calls.HubSpotOther
	res.Over = float64(work)/float64(res.BoundReads+res.BoundWrites) - 1
	res.Links = linkCount()
	res.HeapAfter = liveHeap()

	if !incremental {
		return res, nil
	}
	// Incremental passes on the same engine (preflight done): k synced
	// cards get a new title; the overlap re-reads earlier touches, so the
	// ks add up to at most one page.
	for _, k := range []int{1, 50, 200, 0} {
		if err := f.reset(ctx); err != nil {
			return nil, err
		}
		if k > 0 {
			var touched []struct{ ContactID string }
			if err := f.call(ctx, "POST", fmt.Sprintf("touch?n=%d", k), &touched); err != nil {
				return nil, err
			}
			if len(touched) != k {
				return nil, fmt.Errorf("touched %d cards, want %d", len(touched), k)
			}
		}
		t0 := time.Now()
		rep, err := eng.SyncOnce(ctx)
		if err != nil {
			return nil, fmt.Errorf("incremental pass k=%d: %w", k, err)
		}
		wall := time.Since(t0)
		s, err := f.stats(ctx)
		if err != nil {
			return nil, err
		}
		c := split(s)
		res.Incr = append(res.Incr, incrResult{
			K: k, Listed: rep.Accounts[0].Read, Written: rep.Created + rep.Updated,
			SansanList: c.SansanList, HubSpotWrite: c.HubSpotWrite, Other: c.SansanOther + c.HubSpotOther + c.HubSpotProps,
			BoundWrites: ceilDiv(k, 100), Wall: wall,
		})
	}
	return res, nil
}
