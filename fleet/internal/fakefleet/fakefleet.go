package fakefleet

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/cardbridge/sansanhubspot/fleet"
	"github.com/cardbridge/sansanhubspot/hubspot"
	"github.com/cardbridge/sansanhubspot/hubspot/hubspottest"
	"github.com/cardbridge/sansanhubspot/sansan"
	"github.com/cardbridge/sansanhubspot/sansan/sansantest"
	"github.com/cardbridge/sansanhubspot/syncer"
)

// HeaderPass names the pass a request belongs to: "replica/job/attempt".
const HeaderPass = "X-Fleet-Pass"

// PassHeader wraps a transport so that requests sent from a fleet pass
// carry HeaderPass.
func PassHeader(base http.RoundTripper) http.RoundTripper {
	if base == nil {
		base = http.DefaultTransport
	}
	return roundTripper(func(r *http.Request) (*http.Response, error) {
		if p, ok := fleet.PassFromContext(r.Context()); ok {
			r = r.Clone(r.Context())
			r.Header.Set(HeaderPass, fmt.Sprintf("%s/%d/%d", p.Replica, p.JobID, p.Attempt))
		}
		return base.RoundTrip(r)
	})
}

type roundTripper func(*http.Request) (*http.Response, error)

// RoundTrip implements http.RoundTripper.
func (f roundTripper) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// Options configures a Tenant.
type Options struct {
	// Cards is the number of generated cards (0 seeds none).
	Cards int
	// Seed makes the cards deterministic.
	Seed uint64
	// Latency is added to every request of both fakes, as a stand-in for
	// the network and the services' own time.
	Latency time.Duration
	// Sansan and HubSpot are extra options of the fakes (latency, rate
	// limits, webhooks).
	Sansan  []sansantest.Option
	HubSpot []hubspottest.Option
}

// Tenant is a running fake Sansan tenant and HubSpot portal.
type Tenant struct {
	// PortalID is the HubSpot portal id of the connection.
	PortalID int64
	// Sansan is the fake tenant, served at SansanURL.
	Sansan    *sansantest.Fake
	SansanURL string
	// HubSpot is the fake portal, served at HubSpotURL.
	HubSpot    *hubspottest.Fake
	HubSpotURL string
	// Admin is the tenant's administrator, whose key sees every card.
	Admin sansantest.User
	// Token is the portal's access token.
	Token string
	// Cards are the seeded cards.
	Cards []sansantest.Card
	// Passes records the passes that reached either fake.
	Passes *PassLog

	servers []*http.Server
}

// Start serves a tenant for a portal on 127.0.0.1.
func Start(portalID int64, o Options) (*Tenant, error) {
	t := &Tenant{PortalID: portalID, Passes: newPassLog(o.Latency), Token: fmt.Sprintf("pat-na1-fake-portal-%d", portalID)}
	t.Sansan = sansantest.New(o.Sansan...)
	t.HubSpot = hubspottest.New(append([]hubspottest.Option{hubspottest.WithToken(t.Token)}, o.HubSpot...)...)
	users := sansantest.DefaultUsers()
	for i := range users {
		if users[i].Admin {
			// A key of its own per tenant: 32 alphanumerics.
			users[i].APIKey = fmt.Sprintf("ADMIN%018dKEY%06d", portalID, portalID%1000000)[:32]
			t.Admin = users[i]
		}
		t.Sansan.AddUser(users[i])
	}
	for _, tag := range sansantest.DefaultTags(users) {
		t.Sansan.AddTag(tag)
	}
	if o.Cards > 0 {
		t.Cards = t.Sansan.Seed(sansantest.GenerateOptions{Seed: o.Seed, Cards: o.Cards, Owners: users, Tags: t.Sansan.Tags()})
	}
	var err error
	if t.SansanURL, err = t.serve(t.Passes.middleware(t.Sansan)); err != nil {
		t.Close()
		return nil, err
	}
	t.SansanURL += "v3.2/"
	if t.HubSpotURL, err = t.serve(t.Passes.middleware(t.HubSpot)); err != nil {
		t.Close()
		return nil, err
	}
	return t, nil
}

func (t *Tenant) serve(h http.Handler) (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("fakefleet: listen: %w", err)
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	t.servers = append(t.servers, srv)
	go func() { _ = srv.Serve(ln) }()
	return "http://" + ln.Addr().String() + "/", nil
}

// Close stops the servers and the fakes.
func (t *Tenant) Close() {
	for _, s := range t.servers {
		_ = s.Close()
	}
	t.HubSpot.Close()
}

// Spec returns a connection spec for the tenant: one account "main"
// (the administrator's key).
func (t *Tenant) Spec(interval time.Duration, dir syncer.Direction) fleet.Spec {
	return fleet.Spec{
		PortalID:       t.PortalID,
		Direction:      dir,
		Accounts:       []fleet.AccountSpec{{Name: "main", BaseURL: t.SansanURL}},
		Interval:       fleet.Duration(interval),
		HubSpotBaseURL: t.HubSpotURL,
	}
}

// Secrets returns the tenant's credentials.
func (t *Tenant) Secrets() fleet.Secrets {
	return fleet.Secrets{HubSpotToken: t.Token, SansanKeys: map[string]string{"main": t.Admin.APIKey}}
}

// Compared are the contact properties Contacts returns.
var Compared = []string{"email", "firstname", "lastname", "jobtitle", "company", "phone", "mobilephone", "sansan_person_id"}

// Contacts returns the portal's contacts by email, with the Compared
// properties. A second contact with an email already seen appears under
// "email#dup:<id>", so duplicates show in a comparison.
func Contacts(f *hubspottest.Fake) map[string]map[string]string {
	out := map[string]map[string]string{}
	for _, c := range f.Contacts() {
		if c.Archived {
			continue
		}
		p := map[string]string{}
		for _, k := range Compared {
			if v, ok := c.Properties[k]; ok {
				p[k] = v
			}
		}
		key := c.Properties["email"]
		if key == "" {
			key = "id:" + c.ID
		}
		if _, dup := out[key]; dup {
			key += "#dup:" + c.ID
		}
		out[key] = p
	}
	return out
}

// Expected runs one clean sync of the tenant's current cards into a new,
// empty HubSpot fake and returns its contacts: what a converged
// connection's portal must hold.
func (t *Tenant) Expected(ctx context.Context) (map[string]map[string]string, error) {
	ref := hubspottest.New()
	defer ref.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("fakefleet: listen: %w", err)
	}
	srv := &http.Server{Handler: ref, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	defer srv.Close()
	hs, err := hubspot.NewClient(hubspottest.DefaultToken, hubspot.WithBaseURL("http://"+ln.Addr().String()+"/"),
		hubspot.WithRateLimit(rate.Inf, 0), hubspot.WithSearchRateLimit(rate.Inf, 0))
	if err != nil {
		return nil, err
	}
	ss, err := sansan.NewClient(t.Admin.APIKey, sansan.WithBaseURL(t.SansanURL), sansan.WithRateLimit(rate.Inf, 0))
	if err != nil {
		return nil, err
	}
	eng, err := syncer.New(syncer.Config{HubSpot: hs, Accounts: []syncer.Account{{Name: "main", Client: ss}}})
	if err != nil {
		return nil, err
	}
	if _, err := eng.SyncOnce(ctx); err != nil {
		return nil, fmt.Errorf("fakefleet: reference sync: %w", err)
	}
	return Contacts(ref), nil
}

// PassLog records, per pass, when its requests ran.
type PassLog struct {
	latency  time.Duration
	mu       sync.Mutex
	passes   map[string]*passSpan
	inFlight map[string]int // by replica
	untagged int
}

type passSpan struct {
	first, last time.Time
	requests    int
	open        int
}

func newPassLog(latency time.Duration) *PassLog {
	return &PassLog{latency: latency, passes: map[string]*passSpan{}, inFlight: map[string]int{}}
}

func (l *PassLog) middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if l.latency > 0 {
			time.Sleep(l.latency)
		}
		id := r.Header.Get(HeaderPass)
		if id == "" {
			l.mu.Lock()
			l.untagged++
			l.mu.Unlock()
			next.ServeHTTP(w, r)
			return
		}
		replica, _, _ := strings.Cut(id, "/")
		l.mu.Lock()
		s := l.passes[id]
		if s == nil {
			s = &passSpan{first: time.Now()}
			l.passes[id] = s
		}
		s.requests++
		s.open++
		l.inFlight[replica]++
		l.mu.Unlock()
		defer func() {
			l.mu.Lock()
			s.open--
			s.last = time.Now()
			l.inFlight[replica]--
			l.mu.Unlock()
		}()
		next.ServeHTTP(w, r)
	})
}

// Overlaps returns an error describing every pair of passes whose
// requests interleaved in time; nil when passes never overlapped. A
// killed pass's span ends at its last answered request.
func (l *PassLog) Overlaps() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	ids := slices.SortedFunc(maps.Keys(l.passes), func(a, b string) int {
		return l.passes[a].first.Compare(l.passes[b].first)
	})
	var errs []error
	var prev string
	var maxEnd time.Time
	for _, id := range ids {
		s := l.passes[id]
		if prev != "" && s.first.Before(maxEnd) {
			errs = append(errs, fmt.Errorf("pass %s started %v before pass %s's last request ended", id, maxEnd.Sub(s.first), prev))
		}
		end := s.last
		if s.open > 0 || end.IsZero() {
			end = time.Now() // still open: a killed request that never answered
		}
		if end.After(maxEnd) {
			maxEnd, prev = end, id
		}
	}
	return errors.Join(errs...)
}

// Count returns the number of passes seen.
func (l *PassLog) Count() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.passes)
}

// Passes returns the ids of the passes seen ("replica/job/attempt").
func (l *PassLog) Passes() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Sorted(maps.Keys(l.passes))
}

// FirstRequest returns when pass p sent its first request (zero if
// never).
func (l *PassLog) FirstRequest(p string) time.Time {
	l.mu.Lock()
	defer l.mu.Unlock()
	if s, ok := l.passes[p]; ok {
		return s.first
	}
	return time.Time{}
}

// Busy reports whether a replica has a request in flight.
func (l *PassLog) Busy(replica string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.inFlight[replica] > 0
}

// LastRequest returns when the latest request of any pass ended.
func (l *PassLog) LastRequest() time.Time {
	l.mu.Lock()
	defer l.mu.Unlock()
	var t time.Time
	for _, s := range l.passes {
		if s.last.After(t) {
			t = s.last
		}
	}
	return t
}
