package fleet_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/jackc/pgx/v5"
	"golang.org/x/time/rate"

	"github.com/cardbridge/sansanhubspot/fleet"
	"github.com/cardbridge/sansanhubspot/fleet/internal/fakefleet"
	"github.com/cardbridge/sansanhubspot/hubspot"
	"github.com/cardbridge/sansanhubspot/hubspot/hubspottest"
	"github.com/cardbridge/sansanhubspot/sansan"
	"github.com/cardbridge/sansanhubspot/sansan/sansantest"
	"github.com/cardbridge/sansanhubspot/syncer"
)

func startTenant(t *testing.T, portal int64, o fakefleet.Options) *fakefleet.Tenant {
	t.Helper()
	tn, err := fakefleet.Start(portal, o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(tn.Close)
	return tn
}

func unlimited() fleet.RunOptions {
	return fleet.RunOptions{
		HTTPClient:        &http.Client{Transport: fakefleet.PassHeader(nil), Timeout: 30 * time.Second},
		FetchPollInterval: 50 * time.Millisecond,
		HubSpotOptions: func(*fleet.Connection) []hubspot.Option {
			return []hubspot.Option{hubspot.WithRateLimit(rate.Inf, 0), hubspot.WithSearchRateLimit(rate.Inf, 0)}
		},
		SansanOptions: func(*fleet.Connection, string) []sansan.Option {
			return []sansan.Option{sansan.WithRateLimit(rate.Inf, 0)}
		},
	}
}

// runFleet runs a replica until the test ends.
func runFleet(t *testing.T, f *fleet.Fleet, opts fleet.RunOptions) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- fleet.Run(ctx, f, opts) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	})
}

func converged(ctx context.Context, tn *fakefleet.Tenant) error {
	want, err := tn.Expected(ctx)
	if err != nil {
		return err
	}
	if diff := cmp.Diff(want, fakefleet.Contacts(tn.HubSpot)); diff != "" {
		return fmt.Errorf("portal %d contacts (-want +got):\n%s", tn.PortalID, diff)
	}
	return nil
}

// TestRunSyncsAndReschedules runs one replica over two connections: both
// reach the expected contacts, a card edit arrives with a later pass, and
// passes never overlap.
func TestRunSyncsAndReschedules(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	f, _ := newFleet(t)
	var tenants []*fakefleet.Tenant
	for i := range 2 {
		tn := startTenant(t, int64(7100+i), fakefleet.Options{Cards: 40, Seed: uint64(i + 1)})
		sec := tn.Secrets()
		if _, err := f.Add(ctx, tn.Spec(200*time.Millisecond, syncer.SansanToHubSpot), &sec); err != nil {
			t.Fatal(err)
		}
		tenants = append(tenants, tn)
	}
	opts := unlimited()
	opts.Workers = 2
	runFleet(t, f, opts)
	for _, tn := range tenants {
		eventually(t, 60*time.Second, func() error { return converged(ctx, tn) })
	}
	// Edit a card with an email; a later pass carries it over.
	tn := tenants[0]
	var edited sansantest.Card
	for _, c := range tn.Cards {
		if c.Email != nil && *c.Email != "" {
			edited = c
			break
		}
	}
	if _, err := tn.Sansan.UpdateCard(edited.ID, func(c *sansantest.Card) { c.Title = ptr("Chief Fleet Officer") }); err != nil {
		t.Fatal(err)
	}
	eventually(t, 60*time.Second, func() error {
		if err := converged(ctx, tn); err != nil {
			return err
		}
		got := fakefleet.Contacts(tn.HubSpot)
		for _, p := range got {
			if p["jobtitle"] == "Chief Fleet Officer" {
				return nil
			}
		}
		return errors.New("edited title not synced yet")
	})
	for _, tn := range tenants {
		if err := tn.Passes.Overlaps(); err != nil {
			t.Errorf("portal %d: %v", tn.PortalID, err)
		}
		if tn.Passes.Count() < 2 {
			t.Errorf("portal %d saw %d passes, want several (rescheduling after Interval)", tn.PortalID, tn.Passes.Count())
		}
	}
	cs, err := f.List(ctx, fleet.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cs {
		if c.State != fleet.StateActive || c.Status.Passes == 0 || c.Status.LastReport == nil || c.Status.LastError != "" {
			t.Errorf("connection %s: state %s, status %+v", c.ID, c.State, c.Status)
		}
	}
}

// TestRunUnauthorizedNeedsAttention: a rejected token stops the
// connection's scheduling with a reason; Update with good secrets brings it
// back.
func TestRunUnauthorizedNeedsAttention(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	f, _ := newFleet(t)
	tn := startTenant(t, 7200, fakefleet.Options{Cards: 10, Seed: 3})
	bad := tn.Secrets()
	bad.HubSpotToken = "pat-na1-wrong"
	c, err := f.Add(ctx, tn.Spec(200*time.Millisecond, syncer.SansanToHubSpot), &bad)
	if err != nil {
		t.Fatal(err)
	}
	opts := unlimited()
	opts.Workers = 2
	runFleet(t, f, opts)
	eventually(t, 60*time.Second, func() error {
		got, err := f.Get(ctx, c.ID)
		if err != nil {
			return err
		}
		if got.State != fleet.StateNeedsAttention {
			return fmt.Errorf("state %s", got.State)
		}
		if diff := cmp.Diff("HubSpot rejected the access token", got.Reason); diff != "" {
			return fmt.Errorf("reason (-want +got):\n%s", diff)
		}
		if got.Status.JobState != "" {
			return fmt.Errorf("still scheduled: %s", got.Status.JobState)
		}
		return nil
	})
	requests := tn.HubSpot.TotalRequests()
	time.Sleep(time.Second) // passes would run every 200 ms if still scheduled
	if got := tn.HubSpot.TotalRequests(); got != requests {
		t.Errorf("requests after needs-attention: %d, want %d (no retry storm)", got, requests)
	}
	good := tn.Secrets()
	if _, err := f.Update(ctx, c.ID, c.Spec, &good); err != nil {
		t.Fatal(err)
	}
	eventually(t, 60*time.Second, func() error { return converged(ctx, tn) })
}

// TestRunDailyLimitSnoozes: HubSpot's daily limit snoozes the pass job
// instead of retrying it.
func TestRunDailyLimitSnoozes(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	f, _ := newFleet(t)
	tn := startTenant(t, 7300, fakefleet.Options{Cards: 10, Seed: 4, HubSpot: []hubspottest.Option{hubspottest.WithDailyLimit(3)}})
	sec := tn.Secrets()
	spec := tn.Spec(200*time.Millisecond, syncer.SansanToHubSpot)
	spec.TimeZone = "Asia/Tokyo"
	c, err := f.Add(ctx, spec, &sec)
	if err != nil {
		t.Fatal(err)
	}
	opts := unlimited()
	opts.Workers = 1
	runFleet(t, f, opts)
	eventually(t, 60*time.Second, func() error {
		got, err := f.Get(ctx, c.ID)
		if err != nil {
			return err
		}
		if got.State != fleet.StateActive || got.Status.JobState != "scheduled" || time.Until(got.Status.NextRun) < time.Minute {
			return fmt.Errorf("state %s, job %s, next run in %v", got.State, got.Status.JobState, time.Until(got.Status.NextRun))
		}
		if got.Status.LastError == "" {
			return errors.New("no error recorded")
		}
		return nil
	})
}

// TestWebhookReachesConnection: events delivered to the handler start the
// right connection's pass at once (its interval is an hour).
func TestWebhookReachesConnection(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	f, _ := newFleet(t)
	const secret = "webhook-client-secret"
	srvURL := serveWebhooks(t, f, secret)
	var tenants []*fakefleet.Tenant
	for i := range 2 {
		tn := startTenant(t, int64(7400+i), fakefleet.Options{Cards: 10, Seed: uint64(10 + i)})
		sec := tn.Secrets()
		if _, err := f.Add(ctx, tn.Spec(time.Hour, syncer.TwoWay), &sec); err != nil {
			t.Fatal(err)
		}
		tenants = append(tenants, tn)
	}
	opts := unlimited()
	opts.Workers = 2
	runFleet(t, f, opts)
	for _, tn := range tenants {
		eventually(t, 60*time.Second, func() error {
			if tn.Passes.Count() == 0 {
				return errors.New("no initial pass yet")
			}
			return nil
		})
	}
	// A contact typed into portal 7401's HubSpot, announced by webhook,
	// becomes a card in its Sansan tenant (and only there).
	tn := tenants[1]
	c, err := tn.HubSpot.CreateContact(map[string]string{"email": "webhook.person@example.jp", "firstname": "Web", "lastname": "Hook"})
	if err != nil {
		t.Fatal(err)
	}
	em := hubspottest.NewWebhookEmitter(srvURL, secret, 1)
	em.PortalID = tn.PortalID
	var id int64
	fmt.Sscan(c.ID, &id)
	if err := em.Send(ctx, []hubspottest.WebhookEvent{em.ContactCreation(id)}); err != nil {
		t.Fatal(err)
	}
	eventually(t, 60*time.Second, func() error {
		for _, card := range tn.Sansan.Cards() {
			if card.Email != nil && *card.Email == "webhook.person@example.jp" {
				return nil
			}
		}
		return errors.New("card not registered yet")
	})
	for _, card := range tenants[0].Sansan.Cards() {
		if card.Email != nil && *card.Email == "webhook.person@example.jp" {
			t.Errorf("the other tenant got the card")
		}
	}
}

func ptr[T any](v T) *T { return &v }

// TestRunTransientErrorsRetry: a pass that fails on server errors is
// retried by River and the connection converges, with the failure counted.
func TestRunTransientErrorsRetry(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	f, _ := newFleet(t)
	tn := startTenant(t, 7500, fakefleet.Options{Cards: 10, Seed: 5})
	tn.HubSpot.FailNext(1, http.StatusServiceUnavailable)
	sec := tn.Secrets()
	c, err := f.Add(ctx, tn.Spec(time.Minute, syncer.SansanToHubSpot), &sec)
	if err != nil {
		t.Fatal(err)
	}
	opts := unlimited()
	opts.Workers = 1
	noRetry := opts.HubSpotOptions
	opts.HubSpotOptions = func(c *fleet.Connection) []hubspot.Option {
		return append(noRetry(c), hubspot.WithRetry(hubspot.RetryPolicy{MaxAttempts: 1}))
	}
	runFleet(t, f, opts)
	eventually(t, 60*time.Second, func() error { return converged(ctx, tn) })
	eventually(t, 10*time.Second, func() error {
		got, err := f.Get(ctx, c.ID)
		if err != nil {
			return err
		}
		if got.State != fleet.StateActive || got.Status.Failures == 0 || got.Status.LastError != "" || got.Status.ConsecutiveFailures != 0 {
			return fmt.Errorf("state %s, status %+v", got.State, got.Status)
		}
		return nil
	})
}

// TestAcceptEventsRoutesByPortal: events are stored for their portal's
// active connection only, with one notify job per connection however many
// deliveries arrive.
func TestAcceptEventsRoutesByPortal(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	f, pool := newFleet(t)
	active, err := f.Add(ctx, specFor(601), nil)
	if err != nil {
		t.Fatal(err)
	}
	paused, err := f.Add(ctx, specFor(602), nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Pause(ctx, paused.ID); err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		evs := []hubspot.WebhookEvent{
			{EventID: int64(10 + i), PortalID: 601, SubscriptionType: "contact.creation", ObjectID: 1},
			{EventID: int64(20 + i), PortalID: 602, SubscriptionType: "contact.creation", ObjectID: 2},
			{EventID: int64(30 + i), PortalID: 999, SubscriptionType: "contact.creation", ObjectID: 3},
		}
		if err := f.AcceptEvents(ctx, evs); err != nil {
			t.Fatal(err)
		}
	}
	rows, err := pool.Query(ctx, "SELECT connection_id, (event->>'eventId')::bigint FROM "+pgxIdent(f.Schema(), "sansanhubspot_fleet_events")+" ORDER BY id")
	if err != nil {
		t.Fatal(err)
	}
	type stored struct {
		Conn  string
		Event int64
	}
	got, err := pgx.CollectRows(rows, pgx.RowToStructByPos[stored])
	if err != nil {
		t.Fatal(err)
	}
	want := []stored{{active.ID, 10}, {active.ID, 11}, {active.ID, 12}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("stored events (-want +got):\n%s", diff)
	}
	var notify int
	if err := pool.QueryRow(ctx, "SELECT count(*) FROM "+pgxIdent(f.Schema(), "river_job")+" WHERE kind = $1", fleet.KindNotify).Scan(&notify); err != nil {
		t.Fatal(err)
	}
	if notify != 1 {
		t.Errorf("%d notify jobs, want 1", notify)
	}
}
