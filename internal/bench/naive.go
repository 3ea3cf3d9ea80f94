package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/cardbridge/sansanhubspot/hubspot"
	"github.com/cardbridge/sansanhubspot/mapping"
	"github.com/cardbridge/sansanhubspot/sansan"
	"github.com/cardbridge/sansanhubspot/syncer"
)

// naiveSync is what a user writes with a plain client or a single-record
// SDK: list the cards, and for each card with a valid email search HubSpot
// by email, then update the contact found or create one. It is given every
// advantage the SDK has: the same mapping, the same proactive limiters
// (so no 429s), the same preflight (properties created first).
func naiveSync(ctx context.Context, hc *hubspot.Client, sc *sansan.Client) (contacts int, err error) {
	m := mapping.Default()
	// Preflight, as the engine does: the property group and custom
	// properties must exist before contacts carry them.
	tags, _, err := sc.Tags.List(ctx, &sansan.ListTagsOptions{Types: []sansan.TagType{sansan.TagTypePublic, sansan.TagTypeShared}, Range: sansan.RangeAll, ListOptions: sansan.ListOptions{Limit: sansan.MaxTagLimit}})
	if err != nil {
		return 0, err
	}
	group := m.PropertyGroup()
	if _, err := hc.Properties.EnsureGroup(ctx, &group); err != nil {
		return 0, err
	}
	var tagList []sansan.Tag
	for _, t := range tags {
		tagList = append(tagList, *t)
	}
	for _, p := range m.CustomProperties() {
		if p.Name == "sansan_tags" {
			p.Options = mapping.TagOptions(tagList)
		}
		req := &hubspot.PropertyCreateRequest{Name: p.Name, Label: p.Label, Type: p.Type, FieldType: p.FieldType, GroupName: p.GroupName,
			Description: p.Description, Options: p.Options, DisplayOrder: p.DisplayOrder, HasUniqueValue: p.HasUniqueValue, Hidden: p.Hidden, FormField: p.FormField}
		if _, _, err := hc.Properties.EnsureProperty(ctx, req); err != nil {
			return 0, err
		}
	}
	opts := &sansan.ListBizCardsOptions{
		UpdatedFrom:     time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC),
		UpdatedTo:       time.Now().Add(time.Second),
		CardListOptions: sansan.CardListOptions{Range: sansan.RangeAll, EntryStatus: []sansan.EntryStatus{sansan.EntryStatusCompleted}, IncludeTags: true, ListOptions: sansan.ListOptions{Limit: sansan.MaxLimit}},
	}
	for card, err := range sc.BizCards.ListIter(ctx, opts) {
		if err != nil {
			return contacts, err
		}
		res := m.CardToProperties(card)
		if res.Email.Status != mapping.EmailValid {
			continue
		}
		found, _, err := hc.Contacts.Search(ctx, &hubspot.SearchRequest{
			FilterGroups: []hubspot.FilterGroup{{Filters: []hubspot.Filter{{PropertyName: "email", Operator: hubspot.OperatorEQ, Value: res.Email.Normalized}}}},
			Limit:        1,
		})
		if err != nil {
			return contacts, err
		}
		if len(found.Results) > 0 {
			_, _, err = hc.Contacts.Update(ctx, found.Results[0].ID, res.Properties)
		} else {
			props := hubspot.PropertyValues{"email": res.Email.Normalized}
			for k, v := range res.Properties {
				props[k] = v
			}
			_, _, err = hc.Contacts.Create(ctx, props)
			var ce *hubspot.ConflictError
			if errors.As(err, &ce) {
				_, _, err = hc.Contacts.Update(ctx, ce.ExistingID, res.Properties)
			}
		}
		if err != nil {
			var hbe *hubspot.ErrorResponse
			if errors.As(err, &hbe) && hbe.StatusCode == 400 {
				continue // a rejected value: skip the card, as the engine fails it alone
			}
			return contacts, err
		}
		contacts++
	}
	return contacts, nil
}

type naiveResult struct {
	kind                string
	contacts            int
	hubspot, sansan     int
	search, writes      int
	tooMany             int64
	wall                time.Duration
	callsPerContact     float64
	contactsPerRealSec  float64
	hubspotCallsNonPref int
}

func runNaiveOrEngine(ctx context.Context, naive bool, n int, seed uint64, scale float64) (*naiveResult, error) {
	f, err := startFakes(scaledFakes(n, seed, tiers[0], scale, ""))
	if err != nil {
		return nil, err
	}
	defer f.close()
	hrec, srec := newRecorder(), newRecorder()
	hc, sc, err := clients(f, scaledLimits(tiers[0], scale), hrec, srec)
	if err != nil {
		return nil, err
	}
	r := &naiveResult{kind: "engine (batched)"}
	t0 := time.Now()
	if naive {
		r.kind = "naive (search + create/update per card)"
		r.contacts, err = naiveSync(ctx, hc, sc)
	} else {
		var eng *syncer.Engine
		eng, err = syncer.New(syncer.Config{HubSpot: hc, Accounts: []syncer.Account{{Name: "tokyo", Client: sc}}})
		if err == nil {
			var rep *syncer.Report
			rep, err = eng.SyncOnce(ctx)
			if rep != nil {
				r.contacts = rep.Created + rep.Updated
			}
		}
	}
	r.wall = time.Since(t0)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", r.kind, err)
	}
	s, err := f.stats(ctx)
	if err != nil {
		return nil, err
	}
	c := split(s)
	r.hubspot, r.sansan = c.HubSpotTotal, c.SansanTotal
	r.search = s.HubSpot["POST /crm/v3/objects/contacts/search"]
	r.writes = c.HubSpotWrite + s.HubSpot["POST /crm/v3/objects/contacts"] + s.HubSpot["PATCH /crm/v3/objects/contacts/{contactId}"]
	r.tooMany = hrec.tooMany.Load() + srec.tooMany.Load()
	r.hubspotCallsNonPref = c.HubSpotTotal - c.HubSpotProps
	r.callsPerContact = float64(r.hubspotCallsNonPref+c.SansanList) / float64(max(1, r.contacts))
	r.contactsPerRealSec = float64(r.contacts) / (r.wall.Seconds() * scale)
	return r, nil
}

func naiveSize(o options) int {
	if o.quick {
		return 300
	}
	return 600
}

func benchNaive(ctx context.Context, w io.Writer, o options) error {
	n := naiveSize(o)
	fmt.Fprintf(w, "## 5. The naive alternative, side by side\n\n")
	fmt.Fprintf(w, "Initial sync of %d cards under the same limits as section 2 (HubSpot 100/10 s, search 5/s, Sansan 5/s, all ×%g). "+
		"Naive = list cards, then per card with a valid email: search by email, then update or create (what a plain client or a "+
		"single-record SDK leads to); it gets the SDK's mapping, preflight and proactive limiters (search 4/s, the SDK default). "+
		"Calls exclude the constant property preflight; times are converted to real time (×%g).\n\n", n, o.scale, o.scale)
	fmt.Fprintf(w, "| sync | runs | contacts written | HubSpot calls | of which search | Sansan calls | calls / contact | contacts/s (real-time) | real-time duration | 429s |\n")
	fmt.Fprintf(w, "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n")
	var cpc, rate [2][]float64
	for k, naive := range []bool{false, true} {
		var rs []*naiveResult
		runs := o.runs
		if naive {
			runs = 1 // bound by the search limit: slow, and as steady as the limiter
		}
		for i := range runs {
			r, err := runNaiveOrEngine(ctx, naive, n, o.seed+uint64(i), o.scale)
			if err != nil {
				return err
			}
			fmt.Fprintf(os.Stderr, "bench: %s run %d: %d contacts, %d hubspot calls, %s\n", r.kind, i+1, r.contacts, r.hubspot, r.wall.Round(time.Millisecond))
			rs = append(rs, r)
		}
		cpc[k] = collect(rs, func(r *naiveResult) float64 { return r.callsPerContact })
		rate[k] = collect(rs, func(r *naiveResult) float64 { return r.contactsPerRealSec })
		fmt.Fprintf(w, "| %s | %d | %s | %s | %s | %s | %s | %s | %s | %s |\n", rs[0].kind, len(rs),
			mmm("%.0f", collect(rs, func(r *naiveResult) float64 { return float64(r.contacts) })),
			mmm("%.0f", collect(rs, func(r *naiveResult) float64 { return float64(r.hubspotCallsNonPref) })),
			mmm("%.0f", collect(rs, func(r *naiveResult) float64 { return float64(r.search) })),
			mmm("%.0f", collect(rs, func(r *naiveResult) float64 { return float64(r.sansan) })),
			mmm("%.4f", cpc[k]),
			mmm("%.0f", rate[k]),
			mmm("%.1f s", collect(rs, func(r *naiveResult) float64 { return r.wall.Seconds() * o.scale })),
			mmm("%.0f", collect(rs, func(r *naiveResult) float64 { return float64(r.tooMany) })),
		)
	}
	// Naive runs once; engine runs are min/median/max, so the ratio is
	// given against each.
	ratio := func(naive float64, engine []float64, inv bool) []float64 {
		out := make([]float64, len(engine))
		for i, e := range engine {
			out[i] = naive / e
			if inv {
				out[i] = e / naive
			}
		}
		return out
	}
	fmt.Fprintf(w, "\nRatio naive ÷ engine (against each engine run: min / median / max): calls per contact **%s×**, time per contact **%s×**.\n\n",
		mmm("%.0f", ratio(cpc[1][0], cpc[0], false)), mmm("%.0f", ratio(rate[1][0], rate[0], true)))
	return nil
}
