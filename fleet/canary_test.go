package fleet_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/cardbridge/sansanhubspot/fleet"
	"github.com/cardbridge/sansanhubspot/fleet/internal/fakefleet"
	"github.com/cardbridge/sansanhubspot/hubspot/hubspottest"
	"github.com/cardbridge/sansanhubspot/sansan/sansantest"
	"github.com/cardbridge/sansanhubspot/syncer"
)

// Canary credentials of the fleet: any of them in anything an operator can
// see (logs, errors, the API's answers, metrics, job args and errors in
// River's tables, the registry's rows) is a leak. The same idea as
// internal/securitytest in the core module, extended to the fleet.
const (
	fleetCanaryToken    = "pat-na1-CANARY-fleet-token-4c1d"
	fleetCanaryRejected = "pat-na1-CANARY-rejected-token-9a7e"
	fleetCanaryKey      = "CANARYfleetSansanKey0123456789QZ"
	fleetCanarySecret   = "CANARY-fleet-webhook-secret-2b8f"
)

var fleetCanaries = []string{fleetCanaryToken, fleetCanaryRejected, fleetCanaryKey, fleetCanarySecret}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func TestFleetNeverLeaksSecrets(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	var logs lockedBuffer
	log := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug - 4, AddSource: true}))
	reg := prometheus.NewRegistry()
	metrics, err := fleet.NewMetrics(reg, fleet.MetricsOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var src fleet.SecretSource
	f, pool := newFleet(t, func(c *fleet.Config) { c.Logger, c.Metrics, src = log, metrics, c.Secrets })
	reg.MustRegister(f.Collector())
	var seen []string
	see := func(v any) {
		seen = append(seen, fmt.Sprintf("%v", v), fmt.Sprintf("%+v", v), fmt.Sprintf("%#v", v))
		if b, err := json.Marshal(v); err == nil {
			seen = append(seen, string(b))
		}
	}

	// A working connection whose credentials are canaries.
	good := startTenant(t, 8100, fakefleet.Options{Cards: 10, Seed: 8, HubSpot: []hubspottest.Option{hubspottest.WithToken(fleetCanaryToken)}})
	good.Sansan.AddUser(sansantest.User{ID: "canary", Name: "Canary", Email: "canary@cardbridge.example", APIKey: fleetCanaryKey, Admin: true})
	goodSec := fleet.Secrets{HubSpotToken: fleetCanaryToken, SansanKeys: map[string]string{"main": fleetCanaryKey}}
	see(goodSec)
	gc, err := f.Add(ctx, good.Spec(200*time.Millisecond, syncer.TwoWay), &goodSec)
	if err != nil {
		t.Fatal(err)
	}
	// A connection whose token HubSpot rejects.
	bad := startTenant(t, 8101, fakefleet.Options{Cards: 5, Seed: 9})
	badSec := bad.Secrets()
	badSec.HubSpotToken = fleetCanaryRejected
	bc, err := f.Add(ctx, bad.Spec(200*time.Millisecond, syncer.SansanToHubSpot), &badSec)
	if err != nil {
		t.Fatal(err)
	}
	// Refused operations echo nothing either.
	_, err = f.Add(ctx, good.Spec(time.Second, syncer.TwoWay), &goodSec)
	see(err)

	opts := unlimited()
	opts.Workers = 2
	runFleet(t, f, opts)

	// Webhooks: one with a wrong signature, one good.
	hook := serveWebhooks(t, f, fleetCanarySecret)
	for _, secret := range []string{"wrong-" + fleetCanarySecret, fleetCanarySecret} {
		em := hubspottest.NewWebhookEmitter(hook, secret, 1)
		em.PortalID = good.PortalID
		see(em.Send(ctx, []hubspottest.WebhookEvent{em.ContactCreation(1)}))
	}
	eventually(t, 60*time.Second, func() error {
		g, err := f.Get(ctx, gc.ID)
		if err != nil {
			return err
		}
		if g.Status.Passes < 2 {
			return fmt.Errorf("%d passes", g.Status.Passes)
		}
		b, err := f.Get(ctx, bc.ID)
		if err != nil {
			return err
		}
		if b.State != fleet.StateNeedsAttention {
			return fmt.Errorf("rejected connection is %s", b.State)
		}
		return nil
	})
	all, err := f.List(ctx, fleet.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range all {
		see(c)
	}
	opened, err := src.Secrets(ctx, gc.ID)
	if err != nil {
		t.Fatal(err)
	}
	see(opened)
	see(src)

	// Metrics.
	rec := httptest.NewRecorder()
	promhttp.HandlerFor(reg, promhttp.HandlerOpts{}).ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	seen = append(seen, rec.Body.String())
	if !strings.Contains(rec.Body.String(), `sansanhubspot_fleet_passes_total{connection="`+gc.ID+`",result="ok"}`) {
		t.Errorf("metrics lack the good connection's passes:\n%s", rec.Body.String())
	}

	// Everything the fleet wrote to PostgreSQL, secrets' ciphertext aside.
	for _, table := range []string{"sansanhubspot_fleet_connections", "sansanhubspot_fleet_events", "river_job"} {
		rows, err := pool.Query(ctx, "SELECT row_to_json(t)::text FROM "+pgx.Identifier{f.Schema(), table}.Sanitize()+" t")
		if err != nil {
			t.Fatal(err)
		}
		dump, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			t.Fatal(err)
		}
		if len(dump) == 0 && table != "sansanhubspot_fleet_events" {
			t.Errorf("table %s is empty: the scan would prove nothing", table)
		}
		seen = append(seen, dump...)
	}
	seen = append(seen, logs.String())
	if !strings.Contains(logs.String(), "needs attention") {
		t.Error("the logs never mention the rejected connection: the scan would prove little")
	}
	for _, s := range seen {
		for _, c := range fleetCanaries {
			if i := strings.Index(s, c); i >= 0 {
				t.Errorf("secret leaked: ...%s...", s[max(0, i-200):min(len(s), i+len(c)+40)])
			}
		}
	}
}
