package syncer_test

import (
	"log"

	"golang.org/x/time/rate"

	"github.com/cardbridge/sansanhubspot/hubspot"
	"github.com/cardbridge/sansanhubspot/hubspot/hubspottest"
	"github.com/cardbridge/sansanhubspot/sansan"
	"github.com/cardbridge/sansanhubspot/sansan/sansantest"
)

// fakes is a Sansan tenant and a HubSpot portal served by the SDK's
// in-process fakes (sansantest, hubspottest), with clients pointed at
// them. The examples use it in place of the real services. The clients do
// not limit their rate, which the fakes do not need; against the real
// services build them with the API key and access token only:
//
//	ss, err := sansan.NewClient(apiKey)
//	hs, err := hubspot.NewClient(accessToken)
type fakes struct {
	Sansan  *sansantest.Server
	HubSpot *hubspottest.Server
	// Users are the tenant's users; the first is the administrator, whose
	// key sees every card.
	Users []sansantest.User
	// SansanClient uses the administrator's key.
	SansanClient  *sansan.Client
	HubSpotClient *hubspot.Client
}

// startFakes starts both fakes, adds the default users and tags and
// seeds the tenant with cards generated cards (the same ones for the same
// count). Options configure the HubSpot fake (webhooks, for one).
func startFakes(cards int, opts ...hubspottest.Option) *fakes {
	ss, err := sansantest.NewServer()
	if err != nil {
		log.Fatal(err)
	}
	hs, err := hubspottest.NewServer(opts...)
	if err != nil {
		log.Fatal(err)
	}
	f := &fakes{Sansan: ss, HubSpot: hs, Users: sansantest.DefaultUsers()}
	for _, u := range f.Users {
		ss.Fake.AddUser(u)
	}
	for _, t := range sansantest.DefaultTags(f.Users) {
		ss.Fake.AddTag(t)
	}
	if cards > 0 {
		ss.Fake.Seed(sansantest.GenerateOptions{Seed: 42, Cards: cards, Owners: f.Users, Tags: ss.Fake.Tags()})
	}
	f.SansanClient = f.sansanClient(f.Users[0])
	f.HubSpotClient, err = hubspot.NewClient(hubspottest.DefaultToken, hubspot.WithBaseURL(hs.URL),
		hubspot.WithRateLimit(rate.Inf, 0), hubspot.WithSearchRateLimit(rate.Inf, 0))
	if err != nil {
		log.Fatal(err)
	}
	return f
}

// sansanClient returns a client with u's key.
func (f *fakes) sansanClient(u sansantest.User) *sansan.Client {
	c, err := sansan.NewClient(u.APIKey, sansan.WithBaseURL(f.Sansan.URL), sansan.WithRateLimit(rate.Inf, 0))
	if err != nil {
		log.Fatal(err)
	}
	return c
}

// Close stops both fakes.
func (f *fakes) Close() {
	f.HubSpot.Close()
	f.Sansan.Close()
}
