// Command custom-mapping shows how to change what syncs, offline against the
// SDK's fakes:
//
//	go run ./examples/custom-mapping
//
// It starts from mapping.Default(), disables one default mapping (mobile
// numbers stay in Sansan), adds a custom property computed by a transform
// (the sales region of the card's prefecture), and filters cards (only those
// exchanged in 2024 or later sync). The engine creates the new property in
// HubSpot before its first write.
package main

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/cardbridge/sansanhubspot/fakes"
	"github.com/cardbridge/sansanhubspot/hubspot"
	"github.com/cardbridge/sansanhubspot/mapping"
	"github.com/cardbridge/sansanhubspot/sansan"
	"github.com/cardbridge/sansanhubspot/syncer"
)

func main() {
	env, err := fakes.Start(fakes.Options{Cards: 500, Seed: 1})
	if err == nil {
		defer env.Close()
		err = run(context.Background(), env, os.Stdout)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "custom-mapping:", err)
		os.Exit(1)
	}
}

// regions groups prefectures into the sales regions used in HubSpot.
var regions = map[string]string{
	"東京都": "関東", "神奈川県": "関東", "千葉県": "関東", "埼玉県": "関東",
	"大阪府": "関西", "京都府": "関西", "兵庫県": "関西",
	"愛知県": "中部", "福岡県": "九州", "北海道": "北海道",
}

func run(ctx context.Context, env *fakes.Env, out io.Writer) error {
	m := mapping.Default()
	// 1. Turn off a default mapping: mobile numbers are not copied to HubSpot.
	if err := m.Disable("mobilephone"); err != nil {
		return err
	}
	// 2. Add a custom property whose value a transform computes from the card.
	err := m.Add(mapping.Mapping{
		Property:  "sales_region",
		Direction: mapping.ToHubSpot,
		From: func(c *sansan.BizCard) (string, bool) {
			r, ok := regions[sansan.Deref(c.Prefecture)]
			return r, ok
		},
		Definition: &hubspot.Property{Label: "Sales region", Type: "string", FieldType: "text"},
	})
	if err != nil {
		return err
	}
	eng, err := syncer.New(syncer.Config{
		HubSpot:  env.HubSpotClient,
		Accounts: []syncer.Account{{Name: "tokyo", Client: env.SansanClient}},
		Mapping:  m,
		// 3. A filter: only cards exchanged in 2024 or later sync.
		CardFilter: func(c *sansan.BizCard) bool {
			return c.ExchangeDate != nil && c.ExchangeDate.Year >= 2024
		},
	})
	if err != nil {
		return err
	}
	rep, err := eng.SyncOnce(ctx)
	if err != nil {
		return err
	}
	fmt.Fprint(out, rep)
	for _, c := range env.HubSpot.Fake.Contacts()[:3] {
		p := c.Properties
		fmt.Fprintf(out, "contact %s: %s %s, exchanged %s, sales_region=%q, mobilephone=%q\n",
			c.ID, p["lastname"], p["firstname"], p["sansan_exchange_date"], p["sales_region"], p["mobilephone"])
	}
	return nil
}
