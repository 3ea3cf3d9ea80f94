package syncer_test

import (
	"bufio"
	"context"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cardbridge/sansanhubspot/hubspot"
	"github.com/cardbridge/sansanhubspot/hubspot/hubspottest"
	"github.com/cardbridge/sansanhubspot/internal/testutil"
	"github.com/cardbridge/sansanhubspot/mapping"
	"github.com/cardbridge/sansanhubspot/sansan"
	"github.com/cardbridge/sansanhubspot/sansan/sansantest"
	"github.com/cardbridge/sansanhubspot/syncer"
	"golang.org/x/time/rate"
)

// soak and figures are the shared test helpers (see internal/testutil).
var (
	soak    = testutil.Soak
	figures = testutil.Figures
)

// relOpts configures a reliability env: fakes behind optional middleware,
// clients behind optional transports.
type relOpts struct {
	cards  int
	seed   uint64
	hsOpts []hubspottest.Option
	ssOpts []sansantest.Option
	// hsMW and ssMW wrap the fakes' handlers (fault injection, kills).
	hsMW, ssMW func(http.Handler) http.Handler
	// hubRT and ssRT wrap the clients' transports.
	hubRT, ssRT func(http.RoundTripper) http.RoundTripper
	// hubOpts are extra HubSpot client options (they override the env's
	// unlimited rate and no-sleep defaults, which come first).
	hubOpts []hubspot.Option
	ssOpts2 []sansan.Option
	timeout time.Duration
}

// newRelEnv builds an env like newEnv, with middleware in front of the
// fakes and custom transports in the clients.
func newRelEnv(t testing.TB, o relOpts) *relEnv {
	t.Helper()
	e := &relEnv{env: &env{t: t, store: syncer.NewMemoryStore(), hubRT: &countingRT{next: http.DefaultTransport}}}
	sf := sansantest.New(o.ssOpts...)
	var sh http.Handler = sf
	if o.ssMW != nil {
		sh = o.ssMW(sh)
	}
	sts := httptest.NewServer(sh)
	t.Cleanup(sts.Close)
	e.ss = &sansantest.Server{URL: sts.URL + "/" + sansantest.DefaultVersion + "/", Fake: sf}
	e.users = sansantest.DefaultUsers()
	for _, u := range e.users {
		sf.AddUser(u)
	}
	for _, tag := range sansantest.DefaultTags(e.users) {
		sf.AddTag(tag)
	}
	if o.cards > 0 {
		sf.Seed(sansantest.GenerateOptions{Seed: o.seed, Cards: o.cards, Owners: e.users, Tags: sf.Tags()})
	}
	e.seeded = len(sf.Cards())
	hf := hubspottest.New(o.hsOpts...)
	t.Cleanup(hf.Close)
	var hh http.Handler = hf
	if o.hsMW != nil {
		hh = o.hsMW(hh)
	}
	hts := httptest.NewServer(hh)
	t.Cleanup(hts.Close)
	e.hs = &hubspottest.Server{URL: hts.URL + "/", Fake: hf}

	timeout := o.timeout
	if timeout == 0 {
		timeout = 30 * time.Second
	}
	var rt http.RoundTripper = e.hubRT
	if o.hubRT != nil {
		rt = o.hubRT(rt)
	}
	hopts := append([]hubspot.Option{
		hubspot.WithBaseURL(e.hs.URL),
		hubspot.WithHTTPClient(&http.Client{Transport: rt, Timeout: timeout}),
		hubspot.WithRateLimit(rate.Inf, 0), hubspot.WithSearchRateLimit(rate.Inf, 0),
		hubspot.WithSleep(noSleep),
	}, o.hubOpts...)
	var err error
	e.hub, err = hubspot.NewClient(hubspottest.DefaultToken, hopts...)
	if err != nil {
		t.Fatal(err)
	}
	e.ssClientOpts = func() []sansan.Option {
		var srt http.RoundTripper = http.DefaultTransport
		if o.ssRT != nil {
			srt = o.ssRT(srt)
		}
		return append([]sansan.Option{
			sansan.WithBaseURL(e.ss.URL),
			sansan.WithHTTPClient(&http.Client{Transport: srt, Timeout: timeout}),
			sansan.WithRateLimit(rate.Inf, 0), sansan.WithSleep(noSleep),
		}, o.ssOpts2...)
	}
	return e
}

// relEnv is an env whose Sansan clients use the configured transport.
type relEnv struct {
	*env
	ssClientOpts func() []sansan.Option
}

// relEngine builds an engine whose Sansan client goes through the env's
// Sansan transport (newEnv's engine uses a plain client).
func (e *relEnv) relEngine(store syncer.Store, mut func(*syncer.Config)) *syncer.Engine {
	e.t.Helper()
	c, err := sansan.NewClient(e.admin().APIKey, e.ssClientOpts()...)
	if err != nil {
		e.t.Fatal(err)
	}
	cfg := syncer.Config{
		HubSpot:  e.hub,
		Accounts: []syncer.Account{{Name: "tokyo", Client: c}},
		Store:    store,
		// The reliability suites run with writes in flight: crashes,
		// faults and kills land between sends and applied outcomes.
		WriteConcurrency: relInFlight,
	}
	if mut != nil {
		mut(&cfg)
	}
	eng, err := syncer.New(cfg)
	if err != nil {
		e.t.Fatal(err)
	}
	return eng
}

// relInFlight is the write concurrency of the reliability suites.
const relInFlight = 4

// checkValues asserts that every expected contact holds exactly the
// values the mapping makes of its winning card, blanks included (the oracle recomputes them
// from the card as Sansan serves it, not from anything the engine stored).
// It returns the number of wrong values.
func (e *env) checkValues(want map[string]*sansan.BizCard) int {
	e.t.Helper()
	set := mapping.Default()
	bad := 0
	for em, card := range want {
		c, ok := e.hs.Fake.ContactByEmail(em)
		if !ok {
			continue // checkState reports it
		}
		// Under the value rule a contact nobody edited holds exactly its
		// winner's values: a property the winner leaves blank is empty,
		// even when a losing card of the same email was written first.
		wantProps := set.CardToProperties(card).Properties
		for _, m := range set.Mappings() {
			if _, ok := wantProps[m.Property]; !ok && !m.Disabled && m.Direction.FlowsToHubSpot() {
				wantProps[m.Property] = ""
			}
		}
		for k, v := range wantProps {
			if k == "email" {
				if !strings.EqualFold(c.Properties[k], v) {
					bad++
				}
				continue
			}
			if got := c.Properties[k]; got != v {
				bad++
				if bad <= 5 {
					e.t.Errorf("contact %s: %s = %q, want %q (card %s)", em, k, got, v, card.ID)
				}
			}
		}
	}
	if bad > 5 {
		e.t.Errorf("... %d wrong values in all", bad)
	}
	return bad
}

// duplicates counts (and reports) contacts beyond the first per email and
// per Sansan person.
func (e *env) duplicates() int {
	e.t.Helper()
	emails, persons := map[string][]string{}, map[string][]string{}
	for _, c := range e.hs.Fake.Contacts() {
		if c.Archived {
			continue
		}
		if em := strings.ToLower(c.Properties["email"]); em != "" {
			emails[em] = append(emails[em], c.ID)
		}
		if pid := c.Properties["sansan_person_id"]; pid != "" {
			persons[pid] = append(persons[pid], c.ID)
		}
	}
	n := 0
	for _, m := range []map[string][]string{emails, persons} {
		for k, ids := range m {
			if len(ids) > 1 {
				n += len(ids) - 1
				if n <= 5 {
					e.t.Errorf("%s has %d contacts: %v", k, len(ids), ids)
				}
			}
		}
	}
	return n
}

// checkEmailState is checkState for syncs that also write contacts
// without email: it checks the contacts that have one.
func (e *env) checkEmailState(want map[string]*sansan.BizCard) {
	e.t.Helper()
	got := map[string]hubspottest.Contact{}
	for _, c := range e.hs.Fake.Contacts() {
		if em := strings.ToLower(c.Properties["email"]); em != "" {
			got[em] = c
		}
	}
	if len(got) != len(want) {
		e.t.Errorf("hubspot has %d contacts with email, want %d", len(got), len(want))
	}
	for em, card := range want {
		c, ok := got[em]
		if !ok {
			e.t.Errorf("no contact for %q", em)
			continue
		}
		if c.Properties["sansan_person_id"] != card.PersonID || c.Properties["sansan_card_id"] != card.ID {
			e.t.Errorf("contact %q from person %s card %s, want person %s card %s", em,
				c.Properties["sansan_person_id"], c.Properties["sansan_card_id"], card.PersonID, card.ID)
		}
	}
}

// crashCounter counts requests across every transport that shares it and
// cancels the pass once the k-th request got its answer from the server
// (the server acted; the engine never sees the answer).
type crashCounter struct {
	n      atomic.Int64
	k      atomic.Int64
	cancel atomic.Pointer[context.CancelFunc]
}

func (c *crashCounter) wrap(next http.RoundTripper) http.RoundTripper {
	return rtFunc(func(r *http.Request) (*http.Response, error) {
		resp, err := next.RoundTrip(r)
		if n := c.n.Add(1); n == c.k.Load() {
			if f := c.cancel.Load(); f != nil {
				(*f)()
			}
			if err == nil {
				resp.Body.Close()
			}
			return nil, context.Canceled
		}
		return resp, err
	})
}

type rtFunc func(*http.Request) (*http.Response, error)

func (f rtFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// crashPoints returns the k to try out of total: every one when there are
// at most maxPoints (300 in a soak run), else a dense sample that always
// includes the first and last few.
func crashPoints(total, maxPoints int) []int64 {
	var ks []int64
	if soak() {
		maxPoints = max(maxPoints, 300) // every k of all but the longest syncs
	}
	if total <= maxPoints {
		for k := 1; k <= total; k++ {
			ks = append(ks, int64(k))
		}
		return ks
	}
	seen := map[int]bool{}
	add := func(k int) {
		if k >= 1 && k <= total && !seen[k] {
			seen[k] = true
			ks = append(ks, int64(k))
		}
	}
	edge := min(5, maxPoints/4)
	for k := 1; k <= edge; k++ {
		add(k)
		add(total + 1 - k)
	}
	step := float64(total) / float64(max(maxPoints-2*edge, 1))
	for x := 1.0; x <= float64(total); x += step {
		add(int(x))
	}
	sort.Slice(ks, func(i, j int) bool { return ks[i] < ks[j] })
	return ks
}

// faultConfig sets the probability of each injected fault, per request.
type faultConfig struct {
	p5xx, p429, pDrop, pSlow float64
	// policies are the 429 flavours to pick from (HubSpot policyName
	// values; empty for Sansan, whose 429 has no policy).
	policies []string
	// slow is how long a slow response is held before it is served.
	slow time.Duration
	// hubspot selects HubSpot's error body shapes, else Sansan's.
	hubspot bool
}

// faultStats counts what a faultMW did.
type faultStats struct {
	mu       sync.Mutex
	requests int
	injected map[string]int // by kind: "5xx", "429/POLICY", "drop", "slow"
	upstream map[int]int    // statuses the fake itself answered
	upErrors int            // fake's own responses with status >= 400
	up429    int
}

func (s *faultStats) snapshot() map[string]any {
	s.mu.Lock()
	defer s.mu.Unlock()
	inj := 0
	for k, v := range s.injected {
		if k != "slow" {
			inj += v
		}
	}
	return map[string]any{"requests": s.requests, "injected": inj, "injected_by_kind": clone(s.injected),
		"upstream_errors": s.upErrors, "upstream_429": s.up429, "upstream_by_status": clone(s.upstream)}
}

func clone[K comparable, V any](m map[K]V) map[K]V {
	out := make(map[K]V, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// faultMW is seeded fault-injecting middleware: each request, with the
// configured probabilities, gets a 5xx, a 429, a dropped connection or a
// slow answer instead of (or before) the fake's own response. The same
// seed and request order inject the same faults.
func faultMW(seed uint64, cfg faultConfig, stats *faultStats) func(http.Handler) http.Handler {
	var mu sync.Mutex
	rng := rand.New(rand.NewPCG(seed, seed^0x5eed))
	stats.injected, stats.upstream = map[string]int{}, map[int]int{}
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			mu.Lock()
			x := rng.Float64()
			pol := ""
			if len(cfg.policies) > 0 {
				pol = cfg.policies[rng.IntN(len(cfg.policies))]
			}
			status := []int{500, 502, 503, 504}[rng.IntN(4)]
			mu.Unlock()
			stats.mu.Lock()
			stats.requests++
			stats.mu.Unlock()
			count := func(kind string) {
				stats.mu.Lock()
				stats.injected[kind]++
				stats.mu.Unlock()
			}
			switch {
			case x < cfg.p5xx:
				count("5xx")
				writeFault(w, status, "", cfg.hubspot)
				return
			case x < cfg.p5xx+cfg.p429:
				count("429/" + pol)
				writeFault(w, http.StatusTooManyRequests, pol, cfg.hubspot)
				return
			case x < cfg.p5xx+cfg.p429+cfg.pDrop:
				count("drop")
				if hj, ok := w.(http.Hijacker); ok {
					if conn, _, err := hj.Hijack(); err == nil {
						conn.Close()
						return
					}
				}
				panic(http.ErrAbortHandler)
			case x < cfg.p5xx+cfg.p429+cfg.pDrop+cfg.pSlow:
				count("slow")
				// Between 70 % and 130 % of cfg.slow: around the client's
				// timeout, some answers arrive just in time, some too late.
				d := time.Duration(float64(cfg.slow) * (0.7 + 0.6*float64(status-500)/4))
				select {
				case <-time.After(d):
				case <-r.Context().Done():
					return
				}
			}
			rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
			next.ServeHTTP(rec, r)
			stats.mu.Lock()
			stats.upstream[rec.status]++
			if rec.status >= 400 {
				stats.upErrors++
			}
			if rec.status == http.StatusTooManyRequests {
				stats.up429++
			}
			stats.mu.Unlock()
		})
	}
}

func writeFault(w http.ResponseWriter, status int, policy string, hub bool) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	switch {
	case hub && status == http.StatusTooManyRequests:
		fmt.Fprintf(w, `{"status":"error","message":"You have reached your %s limit.","errorType":"RATE_LIMIT","correlationId":"00000000-0000-0000-0000-000000000000","policyName":%q,"requestId":"r"}`,
			strings.ToLower(policy), policy)
	case hub:
		fmt.Fprintf(w, `{"status":"error","message":"internal error","correlationId":"00000000-0000-0000-0000-000000000000","category":"INTERNAL_ERROR"}`)
	default:
		fmt.Fprintf(w, `{"statusCode":%d,"message":"injected","error":[{"code":"InjectedFault"}]}`, status)
	}
}

// statusRecorder remembers the status the wrapped handler wrote. It
// forwards Hijack so the fakes' own connection drops keep working.
type statusRecorder struct {
	http.ResponseWriter
	status int
	wrote  bool
}

func (s *statusRecorder) WriteHeader(code int) {
	if !s.wrote {
		s.status, s.wrote = code, true
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusRecorder) Write(b []byte) (int, error) {
	s.wrote = true
	return s.ResponseWriter.Write(b)
}

func (s *statusRecorder) Flush() {
	if f, ok := s.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

func (s *statusRecorder) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	if hj, ok := s.ResponseWriter.(http.Hijacker); ok {
		return hj.Hijack()
	}
	return nil, nil, http.ErrNotSupported
}

// testClock is a settable clock for the fakes' rate and daily limits.
type testClock struct {
	mu  sync.Mutex
	now time.Time
}

func newTestClock() *testClock { return &testClock{now: time.Now()} }

// Now returns the clock's time.
func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Advance moves the clock forward by d.
func (c *testClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// registrations checks that each of the n HubSpot-only contacts (emails
// beginning with prefix) was registered in Sansan exactly once and that no
// other card was registered; it returns the contacts not registered and the
// extra registrations.
func (e *env) registrations(n int, prefix string) (missing, extra int) {
	e.t.Helper()
	perEmail := map[string]int{}
	cards := e.ss.Fake.Cards()
	for _, c := range cards {
		if em := deref(c.Email); strings.HasPrefix(em, prefix) {
			perEmail[em]++
		}
	}
	if len(perEmail) != n {
		e.t.Errorf("%d HubSpot contacts registered in Sansan, want %d", len(perEmail), n)
		missing = max(n-len(perEmail), 0)
	}
	registered := 0
	for em, k := range perEmail {
		registered += k
		if k > 1 {
			extra += k - 1
			e.t.Errorf("%s registered %d times", em, k)
		}
	}
	if other := len(cards) - e.seeded - registered; other != 0 {
		e.t.Errorf("%d cards registered that are not HubSpot-only contacts", other)
		extra += max(other, 0)
	}
	return missing, extra
}

// lost counts expected emails without a contact.
func (e *env) lost(want map[string]*sansan.BizCard) int {
	n := 0
	for em := range want {
		if _, ok := e.hs.Fake.ContactByEmail(em); !ok {
			n++
		}
	}
	return n
}

// scaled shrinks a data-set size or sample count under the race detector
// (unless soaking), keeping at least min.
func scaled(n, min int) int {
	if raceEnabled && !soak() {
		return max(n/4, min)
	}
	return n
}
