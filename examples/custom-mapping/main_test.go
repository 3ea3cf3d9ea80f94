package main

import (
	"bytes"
	"slices"
	"strings"
	"testing"

	"github.com/cardbridge/sansanhubspot/fakes"
	"github.com/cardbridge/sansanhubspot/hubspot/hubspottest"
)

func TestRun(t *testing.T) {
	t.Parallel()
	env := fakes.New(t, fakes.Options{Cards: 400, Seed: 3})
	var out bytes.Buffer
	if err := run(t.Context(), env, &out); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "excluded filtered") {
		t.Errorf("report does not show filtered cards:\n%s", out.String())
	}
	if !slices.ContainsFunc(env.HubSpot.Fake.Properties(), func(p hubspottest.Property) bool { return p.Name == "sales_region" }) {
		t.Error("the sales_region property was not created in HubSpot")
	}
	mobiles := 0
	for _, c := range env.Sansan.Fake.Cards() {
		if c.Mobile != nil && c.ExchangeDate != nil && *c.ExchangeDate >= "2024" {
			mobiles++
		}
	}
	if mobiles == 0 {
		t.Fatal("no synced card has a mobile number: the test data cannot show the disabled mapping")
	}
	contacts := env.HubSpot.Fake.Contacts()
	if len(contacts) == 0 {
		t.Fatal("no contact was synced")
	}
	for _, c := range contacts {
		p := c.Properties
		if p["mobilephone"] != "" {
			t.Errorf("contact %s has mobilephone %q; the mapping is disabled", c.ID, p["mobilephone"])
		}
		if p["sansan_exchange_date"] < "2024" {
			t.Errorf("contact %s exchanged %q passed the 2024 filter", c.ID, p["sansan_exchange_date"])
		}
		if want, ok := regions[p["state"]]; ok && p["sales_region"] != want {
			t.Errorf("contact %s in %s has sales_region %q, want %q", c.ID, p["state"], p["sales_region"], want)
		}
	}
}
