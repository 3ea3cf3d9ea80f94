//go:build unix

package syncer_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"golang.org/x/time/rate"

	"github.com/cardbridge/sansanhubspot/hubspot"
	"github.com/cardbridge/sansanhubspot/hubspot/hubspottest"
	"github.com/cardbridge/sansanhubspot/mapping"
	"github.com/cardbridge/sansanhubspot/sansan"
	"github.com/cardbridge/sansanhubspot/sansan/sansantest"
	"github.com/cardbridge/sansanhubspot/syncer"
)

// The pipeline benchmarks measure the SDK's CPU time and allocations per
// card with the network taken out: both clients talk to in-memory
// transports. Sansan pages are replayed from bodies the fake rendered once,
// and HubSpot batch writes are answered by pbWriteStub, which only scans
// the request for its ids; everything else (the preflight's property
// calls) goes to the HubSpot fake's handler in memory. What remains is the
// SDK: the Sansan client's page decoding, filtering, mapping, dedup, diff,
// the store, and the HubSpot client's request encoding and response
// decoding. BenchmarkPipelineParts splits that total.

const pbCards = 10000

type pbData struct {
	pages   [][]byte            // GET bizCards bodies in order
	cards   [][]*sansan.BizCard // the same, decoded
	listed  int
	tagBody []byte // GET tags body
}

var (
	pbOnce sync.Once
	pbD    pbData
	pbErr  error
)

// pbSetup renders the pages of a generated tenant once per process.
func pbSetup(b *testing.B) *pbData {
	b.Helper()
	pbOnce.Do(func() {
		fake := sansantest.New()
		users := sansantest.DefaultUsers()
		for _, u := range users {
			fake.AddUser(u)
		}
		for _, t := range sansantest.DefaultTags(users) {
			fake.AddTag(t)
		}
		fake.Seed(sansantest.GenerateOptions{Seed: 1, Cards: pbCards, Owners: users, Tags: fake.Tags(),
			To: time.Now().AddDate(-1, 0, -1)})
		rt := &pbRecorder{h: fake}
		c, err := sansan.NewClient(users[0].APIKey, sansan.WithBaseURL("https://sansan.invalid/v3.2/"),
			sansan.WithHTTPClient(&http.Client{Transport: rt}), sansan.WithRateLimit(rate.Inf, 0))
		if err != nil {
			pbErr = err
			return
		}
		opts := &sansan.ListBizCardsOptions{
			UpdatedFrom:     time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC),
			UpdatedTo:       time.Now(),
			CardListOptions: sansan.CardListOptions{Range: sansan.RangeAll, EntryStatus: []sansan.EntryStatus{sansan.EntryStatusCompleted}, IncludeTags: true, OrderBy: sansan.OrderByUpdatedAt, OrderDirection: sansan.OrderAsc, ListOptions: sansan.ListOptions{Limit: sansan.MaxLimit}},
		}
		for {
			cards, resp, err := c.BizCards.List(context.Background(), opts)
			if err != nil {
				pbErr = err
				return
			}
			pbD.cards = append(pbD.cards, cards)
			pbD.listed += len(cards)
			if !resp.HasMore {
				break
			}
			opts.NextPageToken = resp.NextPageToken
		}
		pbD.pages = rt.bodies
		tags := &pbRecorder{h: fake}
		tc, _ := sansan.NewClient(users[0].APIKey, sansan.WithBaseURL("https://sansan.invalid/v3.2/"),
			sansan.WithHTTPClient(&http.Client{Transport: tags}), sansan.WithRateLimit(rate.Inf, 0))
		if _, _, err := tc.Tags.List(context.Background(), &sansan.ListTagsOptions{
			Types: []sansan.TagType{sansan.TagTypePublic, sansan.TagTypeShared}, Range: sansan.RangeAll}); err != nil {
			pbErr = err
			return
		}
		pbD.tagBody = tags.bodies[0]
	})
	if pbErr != nil {
		b.Fatal(pbErr)
	}
	return &pbD
}

// pbRecorder serves requests from a handler in memory and keeps the
// response bodies.
type pbRecorder struct {
	h      http.Handler
	bodies [][]byte
}

func (r *pbRecorder) RoundTrip(req *http.Request) (*http.Response, error) {
	rec := httptest.NewRecorder()
	r.h.ServeHTTP(rec, req)
	res := rec.Result()
	body, _ := io.ReadAll(res.Body)
	r.bodies = append(r.bodies, body)
	res.Body = io.NopCloser(bytes.NewReader(body))
	return res, nil
}

// pbSansanReplay answers GET bizCards with the recorded pages in order
// (ignoring the query: a second pass sees the same cards again) and GET
// tags with the recorded tag list.
type pbSansanReplay struct {
	d    *pbData
	next atomic.Int64
}

func (s *pbSansanReplay) RoundTrip(req *http.Request) (*http.Response, error) {
	var body []byte
	switch {
	case strings.HasSuffix(req.URL.Path, "/bizCards"):
		i := int(s.next.Add(1)-1) % len(s.d.pages)
		body = s.d.pages[i]
	case strings.HasSuffix(req.URL.Path, "/tags"):
		body = s.d.tagBody
	default:
		return pbResponse(req, http.StatusNotFound, []byte(`{"statusCode":404,"message":"not found"}`)), nil
	}
	return pbResponse(req, http.StatusOK, body), nil
}

func pbResponse(req *http.Request, status int, body []byte) *http.Response {
	return &http.Response{
		StatusCode: status, Status: strconv.Itoa(status) + " " + http.StatusText(status),
		Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header:        http.Header{"Content-Type": {"application/json"}},
		Body:          io.NopCloser(bytes.NewReader(body)),
		ContentLength: int64(len(body)), Request: req,
	}
}

// pbWriteStub answers HubSpot batch create, update and upsert by scanning
// the request body for each input's "id" (the email of an upsert, the
// contact id of an update) and echoing it, so that its own cost stays
// small next to the client's; other requests go to the HubSpot fake.
type pbWriteStub struct {
	fake   http.Handler
	nextID atomic.Int64
}

var pbIDKey = []byte(`"id":"`)

func (s *pbWriteStub) RoundTrip(req *http.Request) (*http.Response, error) {
	p := req.URL.Path
	op := p[strings.LastIndexByte(p, '/')+1:]
	if !strings.Contains(p, "/batch/") || (op != "upsert" && op != "update" && op != "create") {
		rec := httptest.NewRecorder()
		s.fake.ServeHTTP(rec, req)
		return rec.Result(), nil
	}
	in, err := io.ReadAll(req.Body)
	if err != nil {
		return nil, err
	}
	req.Body.Close()
	out := make([]byte, 0, 64+len(in)/4)
	out = append(out, `{"status":"COMPLETE","results":[`...)
	first := true
	for rest := in; ; {
		i := bytes.Index(rest, pbIDKey)
		if i < 0 {
			break
		}
		rest = rest[i+len(pbIDKey):]
		j := bytes.IndexByte(rest, '"')
		id := rest[:j]
		rest = rest[j:]
		if !first {
			out = append(out, ',')
		}
		first = false
		switch op {
		case "upsert":
			out = append(out, `{"id":"`...)
			out = strconv.AppendInt(out, s.nextID.Add(1), 10)
			out = append(out, `","new":true,"properties":{"email":"`...)
			out = append(out, id...)
			out = append(out, `"}}`...)
		default:
			out = append(out, `{"id":"`...)
			out = append(out, id...)
			out = append(out, `","properties":{}}`...)
		}
	}
	out = append(out, `]}`...)
	return pbResponse(req, http.StatusOK, out), nil
}

// pbEngine returns an engine on in-memory transports.
func pbEngine(b *testing.B, d *pbData, store syncer.Store) (*syncer.Engine, *pbSansanReplay) {
	b.Helper()
	ss := &pbSansanReplay{d: d}
	sc, err := sansan.NewClient(sansantest.DefaultUsers()[0].APIKey, sansan.WithBaseURL("https://sansan.invalid/v3.2/"),
		sansan.WithHTTPClient(&http.Client{Transport: ss}), sansan.WithRateLimit(rate.Inf, 0))
	if err != nil {
		b.Fatal(err)
	}
	hc, err := hubspot.NewClient(hubspottest.DefaultToken, hubspot.WithBaseURL("https://hubspot.invalid/"),
		hubspot.WithHTTPClient(&http.Client{Transport: &pbWriteStub{fake: hubspottest.New()}}),
		hubspot.WithRateLimit(rate.Inf, 0), hubspot.WithSearchRateLimit(rate.Inf, 0))
	if err != nil {
		b.Fatal(err)
	}
	eng, err := syncer.New(syncer.Config{HubSpot: hc, Accounts: []syncer.Account{{Name: "tokyo", Client: sc}}, Store: store})
	if err != nil {
		b.Fatal(err)
	}
	return eng, ss
}

// BenchmarkPipeline runs whole passes over 10,000 generated cards (the
// listed head cards are the unit of ns/card) with the network replaced by
// in-memory transports: "initial" syncs into an empty store (every
// contact written), "unchanged" re-reads the same cards after an initial
// sync (mapping, dedup and diff, no write). The bench program
// (internal/bench) measures the file store end to end.
func BenchmarkPipeline(b *testing.B) {
	d := pbSetup(b)
	b.Run("initial", func(b *testing.B) {
		b.ReportAllocs()
		pbCPUStart()
		for b.Loop() {
			b.StopTimer()
			eng, _ := pbEngine(b, d, syncer.NewMemoryStore())
			b.StartTimer()
			if _, err := eng.SyncOnce(b.Context()); err != nil {
				b.Fatal(err)
			}
		}
		pbPerCard(b, d.listed)
	})
	b.Run("unchanged", func(b *testing.B) {
		b.ReportAllocs()
		eng, _ := pbEngine(b, d, syncer.NewMemoryStore())
		if _, err := eng.SyncOnce(b.Context()); err != nil {
			b.Fatal(err)
		}
		pbCPUStart()
		for b.Loop() {
			rep, err := eng.SyncOnce(b.Context())
			if err != nil {
				b.Fatal(err)
			}
			if rep.Created+rep.Updated != 0 {
				b.Fatalf("second pass wrote %d contacts", rep.Created+rep.Updated)
			}
		}
		pbPerCard(b, d.listed)
	})
}

// BenchmarkPipelineParts measures the pieces of BenchmarkPipeline/initial
// alone, per card: decoding Sansan pages (client included), mapping a card,
// and a batch upsert of 100 through the HubSpot client and pbWriteStub
// (encoding and decoding, per contact), and the stub alone.
func BenchmarkPipelineParts(b *testing.B) {
	d := pbSetup(b)
	b.Run("sansan-decode", func(b *testing.B) {
		b.ReportAllocs()
		ss := &pbSansanReplay{d: d}
		sc, err := sansan.NewClient(sansantest.DefaultUsers()[0].APIKey, sansan.WithBaseURL("https://sansan.invalid/v3.2/"),
			sansan.WithHTTPClient(&http.Client{Transport: ss}), sansan.WithRateLimit(rate.Inf, 0))
		if err != nil {
			b.Fatal(err)
		}
		opts := &sansan.ListBizCardsOptions{UpdatedFrom: time.Unix(0, 0), UpdatedTo: time.Now(), CardListOptions: sansan.CardListOptions{Range: sansan.RangeAll, IncludeTags: true, ListOptions: sansan.ListOptions{Limit: sansan.MaxLimit}}}
		pbCPUStart()
		for b.Loop() {
			for range d.pages {
				if _, _, err := sc.BizCards.List(b.Context(), opts); err != nil {
					b.Fatal(err)
				}
			}
		}
		pbPerCard(b, d.listed)
	})
	b.Run("mapping", func(b *testing.B) {
		b.ReportAllocs()
		m := mapping.Default()
		pbCPUStart()
		for b.Loop() {
			for _, page := range d.cards {
				for _, c := range page {
					_ = m.CardToProperties(c)
				}
			}
		}
		pbPerCard(b, d.listed)
	})
	var inputs []hubspot.BatchUpsertInput
	m := mapping.Default()
	for _, page := range d.cards {
		for _, c := range page {
			r := m.CardToProperties(c)
			if r.Email.Status == mapping.EmailValid && len(inputs) < hubspot.MaxBatchSize {
				inputs = append(inputs, hubspot.BatchUpsertInput{ID: r.Email.Normalized, IDProperty: "email", Properties: r.Properties,
					ObjectWriteTraceID: fmt.Sprintf("%s-2-x", c.PersonID)})
			}
		}
	}
	b.Run("hubspot-upsert100", func(b *testing.B) {
		b.ReportAllocs()
		stub := &pbWriteStub{fake: hubspottest.New()}
		hc, err := hubspot.NewClient(hubspottest.DefaultToken, hubspot.WithBaseURL("https://hubspot.invalid/"),
			hubspot.WithHTTPClient(&http.Client{Transport: stub}), hubspot.WithRateLimit(rate.Inf, 0))
		if err != nil {
			b.Fatal(err)
		}
		pbCPUStart()
		for b.Loop() {
			if _, _, err := hc.Contacts.BatchUpsert(b.Context(), inputs); err != nil {
				b.Fatal(err)
			}
		}
		pbPerCard(b, len(inputs))
	})
	b.Run("stub-only", func(b *testing.B) {
		b.ReportAllocs()
		stub := &pbWriteStub{fake: hubspottest.New()}
		var body bytes.Buffer
		body.WriteString(`{"inputs":[`)
		for i, in := range inputs {
			if i > 0 {
				body.WriteByte(',')
			}
			fmt.Fprintf(&body, `{"id":%q,"idProperty":"email","properties":{}}`, in.ID)
		}
		body.WriteString(`]}`)
		raw := body.Bytes()
		pbCPUStart()
		for b.Loop() {
			req, _ := http.NewRequest(http.MethodPost, "https://hubspot.invalid/crm/v3/objects/contacts/batch/upsert", bytes.NewReader(raw))
			res, _ := stub.RoundTrip(req)
			_, _ = io.Copy(io.Discard, res.Body)
		}
		pbPerCard(b, len(inputs))
	})
}

// pbPerCard reports wall time per card next to the per-op figures, and the
// process's CPU time, bytes and allocations per card since pbCPUStart
// (allocations of untimed setup included, which is small): on a shared machine wall
// time includes waiting for a CPU, CPU time does not (it does include the
// garbage collector's background work).
func pbPerCard(b *testing.B, cards int) {
	b.Helper()
	n := float64(b.N) * float64(cards)
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/n, "ns/card")
	if pbCPU0 != 0 {
		b.ReportMetric(float64(pbCPUNow()-pbCPU0)/n, "cpu-ns/card")
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		b.ReportMetric(float64(ms.TotalAlloc-pbMem0.TotalAlloc)/n, "B/card")
		b.ReportMetric(float64(ms.Mallocs-pbMem0.Mallocs)/n, "allocs/card")
	}
}

var (
	pbCPU0 int64
	pbMem0 runtime.MemStats
)

// pbCPUStart records the process CPU time and allocation counters; call it
// right before b.Loop.
func pbCPUStart() {
	runtime.ReadMemStats(&pbMem0)
	pbCPU0 = pbCPUNow()
}

func pbCPUNow() int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}
