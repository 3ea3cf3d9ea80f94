package fakes

import (
	"fmt"
	"net/http"
	"testing"
	"time"

	"golang.org/x/time/rate"

	"github.com/cardbridge/sansanhubspot/hubspot"
	"github.com/cardbridge/sansanhubspot/hubspot/hubspottest"
	"github.com/cardbridge/sansanhubspot/sansan"
	"github.com/cardbridge/sansanhubspot/sansan/sansantest"
	"github.com/cardbridge/sansanhubspot/syncer"
)

// Limits the fakes enforce with Options.RateLimits.
const (
	// HubSpotMaxRequests per HubSpotWindow is HubSpot's published burst
	// limit for private apps on Free and Starter portals.
	HubSpotMaxRequests = 100
	// HubSpotWindow is the rolling window of HubSpotMaxRequests.
	HubSpotWindow = 10 * time.Second
	// HubSpotSearchesPerSecond is HubSpot's published search limit.
	HubSpotSearchesPerSecond = 5
	// SansanRequestsPerSecond bounds each Sansan API key. Sansan publishes
	// no limit; this is the rate the sansan client assumes by default.
	SansanRequestsPerSecond = 5
	// SansanBurst is the burst allowed above SansanRequestsPerSecond.
	SansanBurst = 5
)

// DefaultAccount is the account name Env.Config gives the Sansan tenant.
const DefaultAccount = "sansan"

// clientTimeout bounds each request of the clients Env builds.
const clientTimeout = 30 * time.Second

// Options configures [Start] and [New]. The zero value starts an empty
// tenant (users and tags, no cards) and an empty portal, without rate
// limits.
type Options struct {
	// Cards is the number of business cards generated into the Sansan
	// tenant; 0 seeds none.
	Cards int
	// Seed makes the generated cards deterministic: the same Cards and
	// Seed always give the same tenant.
	Seed uint64
	// RateLimits turns on the real services' rate limits in the fakes and
	// the clients' default proactive limits (see the package
	// documentation). Off, nothing limits the request rate.
	RateLimits bool
	// Sansan and HubSpot are further options for the fakes, e.g. a clock,
	// latency, a daily limit or webhook delivery.
	Sansan  []sansantest.Option
	HubSpot []hubspottest.Option
}

// Env is a running pair of fakes with clients pointed at them. Its fields
// are set by [Start] and must not be changed.
type Env struct {
	// Sansan is the fake Sansan Open API; Sansan.Fake edits cards, injects
	// faults and counts requests.
	Sansan *sansantest.Server
	// HubSpot is the fake HubSpot CRM API; HubSpot.Fake holds the contacts.
	HubSpot *hubspottest.Server
	// SansanClient is authenticated as the tenant's administrator, whose
	// key sees every card. HubSpotClient uses the fake's token.
	SansanClient  *sansan.Client
	HubSpotClient *hubspot.Client
	// Users are the tenant's users; Admin is the administrator among them.
	Users []sansantest.User
	Admin sansantest.User
	// Cards are the generated cards, as stored.
	Cards []sansantest.Card

	rateLimits bool
}

// Start starts both fakes, seeds the Sansan tenant and builds the clients.
// Close the Env when done.
func Start(opts Options) (*Env, error) {
	if opts.Cards < 0 {
		return nil, fmt.Errorf("fakes: negative number of cards %d", opts.Cards)
	}
	ssOpts, hsOpts := opts.Sansan, opts.HubSpot
	if opts.RateLimits {
		ssOpts = append([]sansantest.Option{sansantest.WithRateLimit(SansanRequestsPerSecond, SansanBurst)}, ssOpts...)
		hsOpts = append([]hubspottest.Option{
			hubspottest.WithRateLimit(HubSpotMaxRequests, HubSpotWindow),
			hubspottest.WithSearchRateLimit(HubSpotSearchesPerSecond),
		}, hsOpts...)
	}
	ss, err := sansantest.NewServer(ssOpts...)
	if err != nil {
		return nil, fmt.Errorf("fakes: start the Sansan fake: %w", err)
	}
	hs, err := hubspottest.NewServer(hsOpts...)
	if err != nil {
		ss.Close()
		return nil, fmt.Errorf("fakes: start the HubSpot fake: %w", err)
	}
	e := &Env{Sansan: ss, HubSpot: hs, Users: sansantest.DefaultUsers(), rateLimits: opts.RateLimits}
	for _, u := range e.Users {
		ss.Fake.AddUser(u)
		if u.Admin {
			e.Admin = u
		}
	}
	for _, t := range sansantest.DefaultTags(e.Users) {
		ss.Fake.AddTag(t)
	}
	if opts.Cards > 0 {
		e.Cards = ss.Fake.Seed(sansantest.GenerateOptions{Seed: opts.Seed, Cards: opts.Cards, Owners: e.Users, Tags: ss.Fake.Tags()})
	}
	if e.SansanClient, err = e.NewSansanClient(); err == nil {
		e.HubSpotClient, err = e.NewHubSpotClient()
	}
	if err != nil {
		e.Close()
		return nil, err
	}
	return e, nil
}

// New is [Start] for tests and benchmarks: it fails tb if the fakes cannot
// start and closes them when tb ends.
func New(tb testing.TB, opts Options) *Env {
	tb.Helper()
	e, err := Start(opts)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(e.Close)
	return e
}

// Close stops both servers, closing their connections, and the HubSpot
// fake's webhook delivery. It may be called more than once.
func (e *Env) Close() {
	e.Sansan.Close()
	e.HubSpot.Close()
}

// NewSansanClient returns another client authenticated as the tenant's
// administrator and pointed at the fake, with opts (a logger, a retry
// policy) applied after the Env's own.
func (e *Env) NewSansanClient(opts ...sansan.Option) (*sansan.Client, error) {
	return e.NewSansanClientFor(e.Admin, opts...)
}

// NewSansanClientFor returns a client authenticated as user u (one of
// Env.Users, whose visibility then bounds what it sees).
func (e *Env) NewSansanClientFor(u sansantest.User, opts ...sansan.Option) (*sansan.Client, error) {
	base := []sansan.Option{
		sansan.WithBaseURL(e.Sansan.URL),
		sansan.WithHTTPClient(&http.Client{Timeout: clientTimeout}),
	}
	if !e.rateLimits {
		base = append(base, sansan.WithRateLimit(rate.Inf, 0))
	}
	c, err := sansan.NewClient(u.APIKey, append(base, opts...)...)
	if err != nil {
		return nil, fmt.Errorf("fakes: sansan client: %w", err)
	}
	return c, nil
}

// NewHubSpotClient returns another client with the fake's token, pointed
// at the fake, with opts applied after the Env's own.
func (e *Env) NewHubSpotClient(opts ...hubspot.Option) (*hubspot.Client, error) {
	base := []hubspot.Option{
		hubspot.WithBaseURL(e.HubSpot.URL),
		hubspot.WithHTTPClient(&http.Client{Timeout: clientTimeout}),
	}
	if !e.rateLimits {
		base = append(base, hubspot.WithRateLimit(rate.Inf, 0), hubspot.WithSearchRateLimit(rate.Inf, 0))
	}
	c, err := hubspot.NewClient(hubspottest.DefaultToken, append(base, opts...)...)
	if err != nil {
		return nil, fmt.Errorf("fakes: hubspot client: %w", err)
	}
	return c, nil
}

// Config returns an engine configuration for the pair: HubSpotClient, and
// one account named [DefaultAccount] with SansanClient. Set the Store and
// anything else before passing it to syncer.New.
func (e *Env) Config() syncer.Config {
	return syncer.Config{
		HubSpot:  e.HubSpotClient,
		Accounts: []syncer.Account{{Name: DefaultAccount, Client: e.SansanClient}},
	}
}

// Environment variables of [Env.Vars].
const (
	// EnvSansanAPIKey holds the administrator's API key.
	EnvSansanAPIKey = "SANSAN_API_KEY"
	// EnvHubSpotToken holds the HubSpot fake's token.
	EnvHubSpotToken = "HUBSPOT_ACCESS_TOKEN"
	// EnvSansanBaseURL holds the Sansan fake's base URL.
	EnvSansanBaseURL = "SANSAN_BASE_URL"
	// EnvHubSpotBaseURL holds the HubSpot fake's base URL.
	EnvHubSpotBaseURL = "HUBSPOT_BASE_URL"
)

// Vars returns the environment variables that point a program configured
// the way this SDK's examples and command are — SANSAN_API_KEY,
// HUBSPOT_ACCESS_TOKEN, SANSAN_BASE_URL and HUBSPOT_BASE_URL — at the
// fakes, for tests that run such a program in-process with a getenv
// function. The map is a new copy each time.
func (e *Env) Vars() map[string]string {
	return map[string]string{
		EnvSansanAPIKey:   e.Admin.APIKey,
		EnvHubSpotToken:   hubspottest.DefaultToken,
		EnvSansanBaseURL:  e.Sansan.URL,
		EnvHubSpotBaseURL: e.HubSpot.URL,
	}
}
