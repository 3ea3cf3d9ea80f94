package main

import (
	"context"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/cardbridge/sansanhubspot/fakes"
	"github.com/cardbridge/sansanhubspot/internal/progress"
	"github.com/cardbridge/sansanhubspot/internal/reportview"
	"github.com/cardbridge/sansanhubspot/mapping"
	"github.com/cardbridge/sansanhubspot/sansan/sansantest"
	"github.com/cardbridge/sansanhubspot/syncer"
)

// newContact is the contact a HubSpot user creates in step 4.
var newContact = map[string]string{
	"email":     "hanako.yamada@sakura-boeki.co.jp",
	"firstname": "花子",
	"lastname":  "山田",
	"company":   "さくら貿易株式会社",
	"jobtitle":  "海外営業部 部長",
	"phone":     "03-5555-0142",
}

// runDemo tells the offline story against in-process fakes.
func runDemo(ctx context.Context, o options, out io.Writer) error {
	began := time.Now()
	fmt.Fprintln(out, "sansanhubspot quickstart: offline demo")
	fmt.Fprintln(out, "No SANSAN_API_KEY or HUBSPOT_ACCESS_TOKEN is set, so this runs against the SDK's built-in fakes")
	fmt.Fprintln(out, "(sansantest and hubspottest, started in this process on 127.0.0.1). Nothing leaves this machine.")
	fmt.Fprintln(out)

	env, err := fakes.Start(fakes.Options{Cards: o.cards, Seed: o.seed})
	if err != nil {
		return err
	}
	defer env.Close()
	ssFake, hsFake := env.Sansan.Fake, env.HubSpot.Fake
	picks, err := pickCards(env.Cards)
	if err != nil {
		return err
	}
	completed := 0
	for _, c := range env.Cards {
		if c.EntryStatus == sansantest.EntryStatusCompleted {
			completed++
		}
	}
	fmt.Fprintf(out, "Sansan tenant: %d business cards (%d digitized) owned by %d users, %d tags.\n",
		len(env.Cards), completed, len(env.Users), len(ssFake.Tags()))
	fmt.Fprintln(out, "  Quirks as in real data: missing, full-width, padded, mistyped and shared (info@) addresses,")
	fmt.Fprintln(out, "  several cards per person, cards still being digitized.")
	// A few contacts already exist in HubSpot with the same addresses as
	// cards: the sync adopts them instead of creating duplicates.
	for _, c := range picks.existing {
		if _, err := hsFake.CreateContact(map[string]string{"email": *c.Email, "lifecyclestage": "lead"}); err != nil {
			return fmt.Errorf("seed hubspot: %w", err)
		}
	}
	fmt.Fprintf(out, "HubSpot portal: %d contacts already there with the same e-mail as a card (they get adopted, not duplicated).\n",
		hsFake.NumContacts())
	// HubSpot refuses some values the SDK cannot predict; the fake is told to
	// refuse one card's address so the report shows what a failure looks like.
	rejected := *picks.rejected.Email
	hsFake.FailBatchInputs(func(p map[string]string) bool { return strings.EqualFold(p["email"], rejected) })
	fmt.Fprintf(out, "To show a failure, the HubSpot fake rejects the address %s (as HubSpot does for values it refuses).\n\n", rejected)

	hub := env.HubSpotClient
	// One engine syncs both ways (the demo's dry run has its own, which
	// writes nothing).
	newEngine := func(dry bool, store syncer.Store, p *progress.Line) (*syncer.Engine, error) {
		ss, err := env.NewSansanClient()
		if err != nil {
			return nil, err
		}
		cfg := syncer.Config{
			HubSpot:   hub,
			Accounts:  []syncer.Account{{Name: "tokyo", Client: ss}},
			Store:     store,
			Direction: syncer.TwoWay,
			DryRun:    dry,
		}
		if p != nil {
			cfg.Progress = p.Update
		}
		return syncer.New(cfg)
	}
	store := syncer.NewMemoryStore()
	bar := progress.New(out, false)
	bar.Indent = "    "
	var cols []reportview.Column
	pass := func(title string, eng *syncer.Engine) (*syncer.Report, error) {
		rep, err := eng.SyncOnce(ctx)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", title, err)
		}
		cols = append(cols, reportview.Column{Title: title, Counts: reportview.Of(rep)})
		return rep, nil
	}

	// 1. Dry run.
	fmt.Fprintln(out, "1. Dry run: the plan for the initial two-way sync, written nowhere (Config.DryRun)")
	eng, err := newEngine(true, store, nil)
	if err != nil {
		return err
	}
	rep, err := pass("dry run", eng)
	if err != nil {
		return err
	}
	listed := 0
	for _, a := range rep.Accounts {
		if a.Direction == syncer.SansanToHubSpot {
			listed += a.Read
		}
	}
	bar.SetTotal(listed)
	fmt.Fprintf(out, "    %d cards listed (each person's current card, digitized; past cards are not listed).\n", listed)
	fmt.Fprintf(out, "    would create %d contacts, update %d existing ones, leave %d unchanged; exclude %d cards:\n",
		rep.Created, rep.Updated, rep.Unchanged, rep.Excluded)
	reportview.Reasons(out, "    ", rep, 3)
	fmt.Fprintf(out, "    afterwards HubSpot still holds %d contacts and the store %d links: nothing was written.\n\n",
		hsFake.NumContacts(), store.Len())

	// 2. Initial sync.
	fmt.Fprintln(out, "2. Initial sync, both ways (Direction: syncer.TwoWay; SyncOnce here, Engine.Run repeats it every Interval)")
	eng, err = newEngine(false, store, bar)
	if err != nil {
		return err
	}
	ssFake.ResetCounters()
	hsFake.ResetCounters()
	initial, err := pass("initial", eng)
	if err != nil {
		return err
	}
	ssReq, hsReq := ssFake.Requests(), hsFake.Requests()
	fmt.Fprintf(out, "    created %d, updated %d, excluded %d, failed %d; HubSpot now holds %d contacts.\n",
		initial.Created, initial.Updated, initial.Excluded, initial.Failed, hsFake.NumContacts())
	reportview.Reasons(out, "    ", initial, 3)
	fmt.Fprintln(out)

	// 3. Edits in Sansan, then an incremental pass.
	fmt.Fprintln(out, "3. Edits in Sansan, then an incremental pass")
	edited, err := ssFake.UpdateCard(picks.edited.ID, func(c *sansantest.Card) { c.Title = sansantest.Ptr("取締役 営業本部長") })
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "    %s %s (%s) is promoted: title → %s\n", deref(edited.LastName), deref(edited.FirstName), deref(edited.CompanyName), deref(edited.Title))
	fixedEmail := "contact+" + rejected
	if _, err := ssFake.UpdateCard(picks.rejected.ID, func(c *sansantest.Card) { c.Email = &fixedEmail }); err != nil {
		return err
	}
	fmt.Fprintf(out, "    the rejected card's address is corrected in Sansan: %s\n", fixedEmail)
	incr, err := pass("incremental", eng)
	if err != nil {
		return err
	}
	c, _ := hsFake.ContactByEmail(mapping.NormalizeEmail(deref(edited.Email)).Normalized)
	fmt.Fprintf(out, "    created %d, updated %d, failed %d, with %d Sansan and %d HubSpot calls; HubSpot jobtitle is now %q.\n\n",
		incr.Created, incr.Updated, incr.Failed, incr.APICalls["sansan"], incr.APICalls["hubspot"], c.Properties["jobtitle"])

	// 4. A contact created in HubSpot becomes a Sansan card.
	fmt.Fprintln(out, "4. Two-way: a contact created in HubSpot flows back to Sansan")
	created, err := hsFake.CreateContact(newContact)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "    a HubSpot user creates contact %s: %s %s <%s>\n", created.ID, newContact["lastname"], newContact["firstname"], newContact["email"])
	two, err := pass("from HubSpot", eng)
	if err != nil {
		return err
	}
	card, ok := cardByEmail(ssFake.Cards(), newContact["email"])
	if !ok {
		return fmt.Errorf("two-way: no Sansan card was registered for %s", newContact["email"])
	}
	fmt.Fprintf(out, "    registered in Sansan (POST /bizCards) as card %s: %s %s, %s, %s\n", card.ID, deref(card.LastName), deref(card.FirstName), deref(card.CompanyName), deref(card.Title))
	if n := len(two.SansanChangesNotApplied); n > 0 {
		fmt.Fprintf(out, "    %d contacts hold HubSpot-side values the Sansan API cannot apply to existing cards (reported, not faked).\n", n)
	}
	quiet, err := pass("quiet", eng)
	if err != nil {
		return err
	}
	if quiet.Created+quiet.Updated == 0 {
		fmt.Fprintf(out, "    a further pass finds nothing to do: it only reads (%d Sansan, %d HubSpot calls).\n\n",
			quiet.APICalls["sansan"], quiet.APICalls["hubspot"])
	} else {
		// The registered card was stamped after the previous pass's window
		// ended, so this pass is the one that writes its ids to the contact.
		fmt.Fprintf(out, "    a further pass writes the new card's Sansan ids to its contact (%d updated) and nothing else.\n\n", quiet.Updated)
	}

	// 5. The report.
	fmt.Fprintln(out, "5. Report (records per pass)")
	reportview.Table(out, cols)
	fmt.Fprintln(out)
	writeMinimum(out, initial, ssReq, hsReq)
	fmt.Fprintf(out, "\nTotal elapsed: %s (fakes started, %d cards seeded, five passes).\n\n", time.Since(began).Round(10*time.Millisecond), len(env.Cards))

	fmt.Fprintln(out, "This ran against built-in fakes. To point it at real accounts:")
	fmt.Fprintln(out, "    export SANSAN_API_KEY=...        # a Sansan admin's API key (it sees what its user sees)")
	fmt.Fprintln(out, "    export HUBSPOT_ACCESS_TOKEN=...  # a private app token with the crm.objects.contacts scopes")
	fmt.Fprintln(out, "    go run ./examples/quickstart                            # dry run: the plan, nothing written")
	fmt.Fprintln(out, "    go run ./examples/quickstart -apply -once -store ./sync # one pass, links kept in ./sync")
	return nil
}

// writeMinimum compares the initial sync's calls with the least possible,
// broken down by endpoint with the fakes' request counters.
func writeMinimum(out io.Writer, rep *syncer.Report, ssReq, hsReq map[string]int) {
	m := minimumCalls(rep)
	isWrite := func(k string) bool {
		return strings.HasPrefix(k, "POST /crm/v3/objects/contacts/batch/") && !strings.HasSuffix(k, "/read")
	}
	lists, writes := ssReq[sansantest.EndpointListBizCards], 0
	var other []string
	for _, k := range slices.Sorted(maps.Keys(ssReq)) {
		if k != sansantest.EndpointListBizCards && ssReq[k] > 0 {
			other = append(other, fmt.Sprintf("Sansan %s ×%d", k, ssReq[k]))
		}
	}
	for _, k := range slices.Sorted(maps.Keys(hsReq)) {
		switch {
		case isWrite(k):
			writes += hsReq[k]
		case hsReq[k] > 0:
			other = append(other, fmt.Sprintf("HubSpot %s ×%d", k, hsReq[k]))
		}
	}
	used := total(ssReq) + total(hsReq)
	fmt.Fprintln(out, "API calls of the initial sync against the theoretical minimum")
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "    \tused\tminimum\t\n")
	fmt.Fprintf(tw, "    Sansan card listings\t%d\t%d\t%d cards, 300 per page\n", lists, m.lists, m.cardsRead)
	fmt.Fprintf(tw, "    HubSpot batch writes\t%d\t%d\t%d records, 100 per batch\n", writes, m.writes, m.recordsSent)
	fmt.Fprintf(tw, "    preflight and reads\t%d\t-\tconstant setup, and lookups the two-way sync needs\n", used-lists-writes)
	fmt.Fprintf(tw, "    total\t%d\t%d\t+ preflight\n", used, m.lists+m.writes)
	tw.Flush()
	for chunk := range slices.Chunk(other, 3) {
		fmt.Fprintf(out, "      %s\n", strings.Join(chunk, ", "))
	}
}

func total(m map[string]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}

// demoPicks are the cards the story edits.
type demoPicks struct {
	existing []sansantest.Card // their addresses already exist in HubSpot
	edited   sansantest.Card   // promoted in step 3
	rejected sansantest.Card   // refused by HubSpot until corrected
}

// pickCards chooses, deterministically, cards whose person has a single
// card with a valid address no other card shares, so each plays its part
// without duplicate-email rules getting in the way.
func pickCards(cards []sansantest.Card) (demoPicks, error) {
	byEmail, byPerson := map[string]int{}, map[string]int{}
	for _, c := range cards {
		byPerson[c.PersonID]++
		if e := mapping.NormalizeEmail(deref(c.Email)); e.Status == mapping.EmailValid {
			byEmail[e.Normalized]++
		}
	}
	var ok []sansantest.Card
	for _, c := range cards {
		e := mapping.NormalizeEmail(deref(c.Email))
		if c.EntryStatus == sansantest.EntryStatusCompleted && e.Status == mapping.EmailValid &&
			e.Normalized == deref(c.Email) && byEmail[e.Normalized] == 1 && byPerson[c.PersonID] == 1 &&
			c.LastName != nil && c.CompanyName != nil {
			ok = append(ok, c)
		}
	}
	if len(ok) < 7 {
		return demoPicks{}, fmt.Errorf("the tenant is too small for the demo: use -cards 100 or more")
	}
	return demoPicks{existing: ok[:5], edited: ok[5], rejected: ok[6]}, nil
}

func cardByEmail(cards []sansantest.Card, email string) (sansantest.Card, bool) {
	for _, c := range cards {
		if strings.EqualFold(deref(c.Email), email) {
			return c, true
		}
	}
	return sansantest.Card{}, false
}

func deref(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}
