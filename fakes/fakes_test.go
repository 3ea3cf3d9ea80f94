package fakes_test

import (
	"errors"
	"fmt"
	"net/http"
	"testing"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/time/rate"

	"github.com/cardbridge/sansanhubspot/fakes"
	"github.com/cardbridge/sansanhubspot/hubspot"
	"github.com/cardbridge/sansanhubspot/hubspot/hubspottest"
	"github.com/cardbridge/sansanhubspot/sansan"
	"github.com/cardbridge/sansanhubspot/syncer"
)

func TestStart(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		opts      fakes.Options
		wantCards int
	}{
		{name: "empty tenant", opts: fakes.Options{}, wantCards: 0},
		{name: "seeded", opts: fakes.Options{Cards: 120, Seed: 3}, wantCards: 120},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			env := fakes.New(t, tt.opts)
			if got := len(env.Cards); got != tt.wantCards {
				t.Errorf("len(Cards) = %d, want %d", got, tt.wantCards)
			}
			if got := len(env.Sansan.Fake.Cards()); got != tt.wantCards {
				t.Errorf("the tenant holds %d cards, want %d", got, tt.wantCards)
			}
			if !env.Admin.Admin || len(env.Users) < 2 {
				t.Errorf("Admin = %+v among %d users, want an administrator", env.Admin, len(env.Users))
			}
			me, _, err := env.SansanClient.Users.Me(t.Context())
			if err != nil {
				t.Fatalf("Sansan client: %v", err)
			}
			if me.ID != env.Admin.ID {
				t.Errorf("the Sansan client is %q, want the administrator %q", me.ID, env.Admin.ID)
			}
			if _, _, err := env.HubSpotClient.Properties.List(t.Context(), nil); err != nil {
				t.Errorf("HubSpot client: %v", err)
			}
			if n := env.HubSpot.Fake.NumContacts(); n != 0 {
				t.Errorf("the portal starts with %d contacts, want 0", n)
			}
		})
	}
}

func TestStartIsDeterministic(t *testing.T) {
	t.Parallel()
	names := func(env *fakes.Env) []string {
		var out []string
		for _, c := range env.Cards {
			out = append(out, fmt.Sprint(c.PersonID, sansan.Deref(c.LastName), sansan.Deref(c.Email)))
		}
		return out
	}
	a := fakes.New(t, fakes.Options{Cards: 50, Seed: 9})
	b := fakes.New(t, fakes.Options{Cards: 50, Seed: 9})
	if diff := cmp.Diff(names(a), names(b)); diff != "" {
		t.Errorf("same seed, different tenants (-first +second):\n%s", diff)
	}
	c := fakes.New(t, fakes.Options{Cards: 50, Seed: 10})
	if cmp.Equal(names(a), names(c)) {
		t.Error("another seed gave the same tenant")
	}
}

func TestStartRejectsNegativeCards(t *testing.T) {
	t.Parallel()
	if env, err := fakes.Start(fakes.Options{Cards: -1}); err == nil {
		env.Close()
		t.Fatal("Start with -1 cards succeeded")
	}
}

func TestRateLimits(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name          string
		rateLimits    bool
		wantClient    rate.Limit
		wantSansan    rate.Limit
		want429Within int // a burst of this many raw requests meets a 429; 0: none
	}{
		{name: "off by default", wantClient: rate.Inf, wantSansan: rate.Inf},
		{name: "real limits", rateLimits: true, wantClient: hubspot.DefaultRateLimit, wantSansan: sansan.DefaultRateLimit,
			want429Within: fakes.HubSpotMaxRequests + 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			env := fakes.New(t, fakes.Options{RateLimits: tt.rateLimits})
			if got := env.HubSpotClient.RateLimit(); got != tt.wantClient {
				t.Errorf("HubSpot client limit = %v, want %v", got, tt.wantClient)
			}
			if got := env.SansanClient.RateLimit(); got != tt.wantSansan {
				t.Errorf("Sansan client limit = %v, want %v", got, tt.wantSansan)
			}
			// Raw requests, past any client-side limiter, show the fake's own limit.
			got429 := 0
			for i := range fakes.HubSpotMaxRequests + 1 {
				req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, env.HubSpot.URL+"crm/v3/properties/contacts/groups", nil)
				req.Header.Set("Authorization", "Bearer "+hubspottest.DefaultToken)
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				resp.Body.Close()
				if resp.StatusCode == http.StatusTooManyRequests && got429 == 0 {
					got429 = i + 1
				}
			}
			if got429 != tt.want429Within {
				t.Errorf("first 429 at request %d, want %d (0: none)", got429, tt.want429Within)
			}
		})
	}
}

func TestConfigSyncs(t *testing.T) {
	t.Parallel()
	env := fakes.New(t, fakes.Options{Cards: 80, Seed: 2})
	cfg := env.Config()
	if diff := cmp.Diff([]string{fakes.DefaultAccount}, []string{cfg.Accounts[0].Name}); diff != "" {
		t.Errorf("account names (-want +got):\n%s", diff)
	}
	eng, err := syncer.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := eng.SyncOnce(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if rep.Created == 0 || rep.Created != env.HubSpot.Fake.NumContacts() {
		t.Errorf("created %d, the portal holds %d contacts; want equal and > 0", rep.Created, env.HubSpot.Fake.NumContacts())
	}
}

func TestVars(t *testing.T) {
	t.Parallel()
	env := fakes.New(t, fakes.Options{})
	want := map[string]string{
		"SANSAN_API_KEY": env.Admin.APIKey, "HUBSPOT_ACCESS_TOKEN": hubspottest.DefaultToken,
		"SANSAN_BASE_URL": env.Sansan.URL, "HUBSPOT_BASE_URL": env.HubSpot.URL,
	}
	got := env.Vars()
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Vars (-want +got):\n%s", diff)
	}
	got["SANSAN_API_KEY"] = "changed"
	if env.Vars()["SANSAN_API_KEY"] != env.Admin.APIKey {
		t.Error("Vars returned a shared map")
	}
}

func TestNewClosesOnCleanup(t *testing.T) {
	t.Parallel()
	var url string
	t.Run("inner", func(t *testing.T) {
		env := fakes.New(t, fakes.Options{})
		url = env.HubSpot.URL
	})
	resp, err := http.Get(url + "crm/v3/properties/contacts")
	if err == nil {
		resp.Body.Close()
		t.Fatalf("the HubSpot fake still answers after its test ended: %d", resp.StatusCode)
	}
	var ne interface{ Timeout() bool }
	if errors.As(err, &ne) && ne.Timeout() {
		t.Errorf("request timed out instead of being refused: %v", err)
	}
}

func TestCloseTwice(t *testing.T) {
	t.Parallel()
	env, err := fakes.Start(fakes.Options{})
	if err != nil {
		t.Fatal(err)
	}
	env.Close()
	env.Close()
}
