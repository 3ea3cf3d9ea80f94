package fleet

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net/http"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/cardbridge/sansanhubspot/hubspot"
)

// WebhookOptions configures Fleet.WebhookHandler.
type WebhookOptions struct {
	// ClientSecret is the HubSpot app's client secret (required): one app
	// delivers the events of every portal that installed it.
	ClientSecret string
	// URL returns the URL HubSpot signed (hubspot.WebhookURL when nil),
	// for proxies that rewrite the host or path.
	URL func(r *http.Request) string
	// MaxBodyBytes caps the body (hubspot.DefaultMaxWebhookBody when 0).
	MaxBodyBytes int64
	// Now returns the current time for the timestamp check (time.Now when
	// nil).
	Now func() time.Time
}

// WebhookHandler returns the HTTP handler for HubSpot webhook deliveries.
// Mount it on every replica: it verifies the v3 signature, maps each
// event's portal id to its connection, stores the events in the registry
// and enqueues one notify job per connection (coalesced: a pending notify
// job absorbs later deliveries). The notify job starts the connection's
// pass at once on whichever replica River picks, and that pass applies the
// events through Engine.Notify before syncing. Events of unknown portals
// and of paused connections are dropped (an incremental pass reads those
// changes anyway).
func (f *Fleet) WebhookHandler(opts WebhookOptions) http.Handler {
	return verifiedWebhook(opts, f.log, f.AcceptEvents)
}

// verifiedWebhook wraps the SDK's signature-checking webhook handler; it
// is the fleet's only dependency on the hubspot package's webhook
// verification API.
func verifiedWebhook(opts WebhookOptions, log *slog.Logger, handle func(context.Context, []hubspot.WebhookEvent) error) http.Handler {
	return &hubspot.WebhookHandler{
		ClientSecret: opts.ClientSecret,
		Handle:       handle,
		MaxBodyBytes: opts.MaxBodyBytes,
		Now:          opts.Now,
		URL:          opts.URL,
		Logger:       log,
	}
}

// AcceptEvents stores verified webhook events for their connections and
// enqueues the notify jobs; WebhookHandler calls it, and a service that
// verifies deliveries itself can too. It fails only on database errors
// (the handler then answers 500 and HubSpot delivers again).
func (f *Fleet) AcceptEvents(ctx context.Context, events []hubspot.WebhookEvent) error {
	byPortal := map[int64][]hubspot.WebhookEvent{}
	for _, ev := range events {
		byPortal[ev.PortalID] = append(byPortal[ev.PortalID], ev)
	}
	for _, portal := range slices.Sorted(maps.Keys(byPortal)) {
		evs := byPortal[portal]
		var id string
		var state State
		err := f.pool.QueryRow(ctx, `SELECT id, state FROM `+f.tConns+` WHERE portal_id = $1`, portal).Scan(&id, &state)
		if errors.Is(err, pgx.ErrNoRows) {
			f.metrics.webhook("unknown_portal", len(evs))
			f.log.WarnContext(ctx, "webhook events for a portal without a connection", "portal", portal, "events", len(evs))
			continue
		}
		if err != nil {
			return fmt.Errorf("fleet: webhook: look up portal: %w", err)
		}
		if state != StateActive {
			f.metrics.webhook("inactive", len(evs))
			continue
		}
		b, err := json.Marshal(evs)
		if err != nil {
			return fmt.Errorf("fleet: webhook: encode events: %w", err)
		}
		err = f.inTx(ctx, func(tx pgx.Tx) error {
			if _, err := tx.Exec(ctx, `INSERT INTO `+f.tEvents+` (connection_id, event)
SELECT $1, e FROM jsonb_array_elements($2::jsonb) AS e`, id, b); err != nil {
				return err
			}
			_, err := f.river.InsertTx(ctx, tx, NotifyArgs{ConnectionID: id}, nil)
			return err
		})
		if err != nil {
			return fmt.Errorf("fleet: webhook: queue events: %w", err)
		}
		f.metrics.webhook("queued", len(evs))
	}
	return nil
}

// pendingEvents returns up to limit stored events of a connection, oldest
// first, and the id of the last one (0 when none).
func (f *Fleet) pendingEvents(ctx context.Context, id string, limit int) ([]hubspot.WebhookEvent, int64, error) {
	rows, err := f.pool.Query(ctx, `SELECT id, event FROM `+f.tEvents+` WHERE connection_id = $1 ORDER BY id LIMIT $2`, id, limit)
	if err != nil {
		return nil, 0, fmt.Errorf("fleet: read webhook events: %w", err)
	}
	defer rows.Close()
	var (
		out  []hubspot.WebhookEvent
		last int64
	)
	for rows.Next() {
		var raw []byte
		if err := rows.Scan(&last, &raw); err != nil {
			return nil, 0, fmt.Errorf("fleet: read webhook events: %w", err)
		}
		var ev hubspot.WebhookEvent
		if err := json.Unmarshal(raw, &ev); err != nil {
			continue // stored by an incompatible version: the pass's incremental read covers it
		}
		out = append(out, ev)
	}
	if err := rows.Err(); err != nil {
		return nil, 0, fmt.Errorf("fleet: read webhook events: %w", err)
	}
	return out, last, nil
}

// hasEvents reports whether webhook events wait for a connection.
func (f *Fleet) hasEvents(ctx context.Context, id string) (bool, error) {
	var ok bool
	err := f.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM `+f.tEvents+` WHERE connection_id = $1)`, id).Scan(&ok)
	if err != nil {
		return false, fmt.Errorf("fleet: check webhook events: %w", err)
	}
	return ok, nil
}
