// Package offline starts the SDK's fake Sansan and HubSpot servers in the
// current process, seeds a realistic Sansan tenant and returns clients wired
// to them, so the example programs run without accounts or network access.
//
// The clients it returns do not rate-limit themselves: the fakes have no
// limits unless asked to, and the demos should finish in seconds. Against
// the real services keep the clients' default limits.
package offline

import (
	"fmt"
	"net/http"
	"time"

	"golang.org/x/time/rate"

	"github.com/cardbridge/sansanhubspot/hubspot"
	"github.com/cardbridge/sansanhubspot/hubspot/hubspottest"
	"github.com/cardbridge/sansanhubspot/sansan"
	"github.com/cardbridge/sansanhubspot/sansan/sansantest"
)

// Options configures Start.
type Options struct {
	// Cards is the number of business cards seeded into the Sansan tenant
	// (0 seeds none).
	Cards int
	// Seed makes the generated cards deterministic.
	Seed uint64
	// HubSpot are options for the HubSpot fake, e.g. webhooks.
	HubSpot []hubspottest.Option
}

// Env is a running pair of fakes: a Sansan tenant and a HubSpot portal,
// both listening on 127.0.0.1.
type Env struct {
	// Sansan is the fake Sansan Open API; use Sansan.Fake to edit cards.
	Sansan *sansantest.Server
	// HubSpot is the fake HubSpot CRM API, served at HubSpotURL.
	HubSpot *hubspottest.Fake
	// HubSpotURL is the HubSpot fake's base URL, with a trailing slash.
	HubSpotURL string
	// Users are the tenant's users; Admin is the one whose key sees every card.
	Users []sansantest.User
	Admin sansantest.User
	// Cards are the seeded cards.
	Cards []sansantest.Card

	hsSrv *hubspottest.Server
}

// Start starts both fakes and seeds the Sansan tenant with the default users,
// tags and opts.Cards generated cards. Close the Env when done.
func Start(opts Options) (*Env, error) {
	ss, err := sansantest.NewServer()
	if err != nil {
		return nil, fmt.Errorf("offline: start sansan fake: %w", err)
	}
	hs, err := hubspottest.NewServer(opts.HubSpot...)
	if err != nil {
		ss.Close()
		return nil, fmt.Errorf("offline: start hubspot fake: %w", err)
	}
	e := &Env{Sansan: ss, HubSpot: hs.Fake, HubSpotURL: hs.URL, Users: sansantest.DefaultUsers(), hsSrv: hs}
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
	return e, nil
}

// Close stops both servers.
func (e *Env) Close() {
	e.Sansan.Close()
	e.hsSrv.Close()
}

// SansanClient returns a client authenticated as the tenant's administrator,
// pointed at the fake, without client-side rate limiting.
func (e *Env) SansanClient() (*sansan.Client, error) {
	return sansan.NewClient(e.Admin.APIKey,
		sansan.WithBaseURL(e.Sansan.URL),
		sansan.WithHTTPClient(&http.Client{Timeout: 30 * time.Second}),
		sansan.WithRateLimit(rate.Inf, 0))
}

// HubSpotClient returns a client with the fake's token, pointed at the fake,
// without client-side rate limiting.
func (e *Env) HubSpotClient() (*hubspot.Client, error) {
	return hubspot.NewClient(hubspottest.DefaultToken,
		hubspot.WithBaseURL(e.HubSpotURL),
		hubspot.WithHTTPClient(&http.Client{Timeout: 30 * time.Second}),
		hubspot.WithRateLimit(rate.Inf, 0),
		hubspot.WithSearchRateLimit(rate.Inf, 0))
}
