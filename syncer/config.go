package syncer

import (
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/cardbridge/sansanhubspot/hubspot"
	"github.com/cardbridge/sansanhubspot/mapping"
	"github.com/cardbridge/sansanhubspot/sansan"
)

// Direction selects which way records flow through the whole engine. A
// mapped field's own [mapping.Direction] narrows it, never widens it: a
// field flows to HubSpot when both [Direction.FlowsToHubSpot] and the
// field's FlowsToHubSpot are true, and likewise to Sansan.
// [Direction.MappingDirection] and [DirectionFromMapping] convert between
// the two types.
type Direction int

// Directions. The zero value syncs Sansan cards into HubSpot contacts.
const (
	// SansanToHubSpot writes cards to contacts (mapping.ToHubSpot).
	SansanToHubSpot Direction = iota
	// HubSpotToSansan registers contacts as cards (mapping.ToSansan).
	HubSpotToSansan
	// TwoWay does both in every pass (mapping.Both).
	TwoWay
)

// String returns "sansan_to_hubspot", "hubspot_to_sansan" or "two_way".
func (d Direction) String() string {
	switch d {
	case SansanToHubSpot:
		return "sansan_to_hubspot"
	case HubSpotToSansan:
		return "hubspot_to_sansan"
	case TwoWay:
		return "two_way"
	}
	return fmt.Sprintf("Direction(%d)", int(d))
}

// ParseDirection parses a direction as String writes it ("two_way") or
// with hyphens ("two-way"), in any case; "" is SansanToHubSpot. The names
// of the equivalent [mapping.Direction] ("to_hubspot", "to_sansan",
// "both") are accepted too, so one vocabulary serves both in
// configuration files. Flags and config files use it through
// UnmarshalText.
func ParseDirection(s string) (Direction, error) {
	switch strings.ReplaceAll(strings.ToLower(strings.TrimSpace(s)), "-", "_") {
	case "sansan_to_hubspot", "to_hubspot", "":
		return SansanToHubSpot, nil
	case "hubspot_to_sansan", "to_sansan":
		return HubSpotToSansan, nil
	case "two_way", "twoway", "both":
		return TwoWay, nil
	}
	return 0, fmt.Errorf("syncer: unknown direction %q: want sansan-to-hubspot, hubspot-to-sansan or two-way", s)
}

// MarshalText implements encoding.TextMarshaler with the names of
// [Direction.String]; like [mapping.Direction.MarshalText], it fails for a
// value that is not one of the three directions.
func (d Direction) MarshalText() ([]byte, error) {
	if d < SansanToHubSpot || d > TwoWay {
		return nil, fmt.Errorf("syncer: invalid direction %d", int(d))
	}
	return []byte(d.String()), nil
}

// UnmarshalText implements encoding.TextUnmarshaler with ParseDirection.
func (d *Direction) UnmarshalText(b []byte) error {
	v, err := ParseDirection(string(b))
	if err != nil {
		return err
	}
	*d = v
	return nil
}

// EmailPolicy decides what happens to cards without a usable email.
type EmailPolicy int

// Email policies.
const (
	// RequireEmail syncs only cards with a valid email (the default, as in
	// HubSpot's own integration).
	RequireEmail EmailPolicy = iota
	// AllowMissingEmail also syncs cards without an email. Such a card gets
	// its own contact, found again only through its link (and the
	// sansan_person_id property after a crash), never by guessing. Cards
	// with an invalid email stay excluded.
	AllowMissingEmail
)

// Account is one Sansan API key feeding the HubSpot account.
type Account struct {
	// Name labels the account in reports and logs; unique per engine.
	// Records that refer to an account hold this name in a field called
	// Account: AccountReport.Account, Progress.Account, Failure.Account
	// and Link.Account.
	Name string
	// Client is the Sansan client for this key. Its key owner's visibility
	// bounds what syncs: use a Sansan administrator's key to see all cards.
	Client *sansan.Client
	// TagIDs are the public or shared tags to sync; empty syncs all cards.
	// At most 300.
	TagIDs []string
}

// MaxPageSize is the most cards Sansan serves on one listing page, and
// Config.PageSize's default.
const MaxPageSize = 300

// MaxWriteConcurrency bounds Config.WriteConcurrency and its automatic value.
const MaxWriteConcurrency = 16

// MaxTagIDs is the most tags one account may filter on.
const MaxTagIDs = 300

// Progress is passed to Config.Progress as a pass advances: the running
// counts of one account and direction, with the names and meaning of the
// [AccountReport] the pass's Report will hold.
type Progress struct {
	Direction Direction
	// Account is the Name of the Account ([Account.Name]) being read; in
	// HubSpot → Sansan, the account cards are registered with.
	Account string
	// Read counts records read so far in this pass and direction.
	Read int
	// Written counts records written so far.
	//
	// Deprecated: Written has no counterpart in AccountReport; use Created
	// and Updated. It is still filled: in Sansan → HubSpot with the records
	// whose writes have been saved, in HubSpot → Sansan with Created.
	Written int
	// Done is true on the last call of a direction for an account.
	Done bool
	// Created, Updated, Unchanged, Excluded and Failed count records so far
	// in this pass and direction, as AccountReport does; a dry run counts
	// what it would create and update.
	Created, Updated, Unchanged, Excluded, Failed int
}

// Config configures an Engine. HubSpot and at least one account are
// required; everything else has a documented default.
type Config struct {
	// HubSpot is the client of the HubSpot account.
	HubSpot *hubspot.Client
	// Accounts are the Sansan API keys feeding HubSpot.
	Accounts []Account
	// Store keeps links and checkpoints. nil uses a new MemoryStore,
	// which forgets them when the process ends, so every restart re-does
	// the initial sync (reading every card again); New logs a warning
	// then. Services use a durable store such as filestore or pgstore.
	Store Store
	// Locker, when set, is locked around every pass, so replicas sharing
	// Store never run passes concurrently (see Locker).
	Locker Locker
	// Direction selects the flow; the zero value is SansanToHubSpot.
	Direction Direction

	// Mapping is the field mapping; nil uses mapping.Default().
	Mapping *mapping.Set
	// CardFilter, when set, must return true for a card to sync (Sansan →
	// HubSpot). Cards it rejects are excluded as "filtered".
	CardFilter func(card *sansan.BizCard) bool
	// ContactFilter limits the contacts that flow to Sansan (HubSpot →
	// Sansan); see the type for how conditions are applied.
	ContactFilter ContactFilter
	// EmailPolicy decides what happens to cards without an email.
	EmailPolicy EmailPolicy
	// RegisterTagIDs are Sansan tag ids added to cards registered from
	// HubSpot contacts.
	RegisterTagIDs []string
	// StopSyncingFiltered, when true, stops updating a linked record once it
	// no longer matches the filters; by default a link keeps syncing.
	StopSyncingFiltered bool

	// PageSize is how many cards one Sansan listing page asks for: 1 to
	// 300, the default (0) being 300, the most Sansan serves. Smaller
	// pages cost more calls and change nothing else: the result of a pass
	// does not depend on how its cards were paged.
	PageSize int

	// MaxWindowCards bounds one account's listing window, since Sansan's
	// listings carry no total to bound them by: a pass reads at most the
	// pages these cards fill at PageSize, plus a quarter and 10 pages of
	// slack, of a window (all its parts together), and then stops with a
	// *PageLimitError, so a server that always answers "more pages" cannot
	// hold a pass forever. The default (0) is DefaultMaxWindowCards (10
	// million cards: 41,677 pages of 300).
	MaxWindowCards int

	// WriteConcurrency is how many HubSpot write batches may be in flight
	// at once. The default (0) adapts it to keep HubSpot's rate limit busy
	// through a round trip (limiter rate × observed latency, plus one, at
	// most MaxWriteConcurrency); 1 sends one batch at a time. Either way a
	// pass sends one batch at a time until the first answer comes back,
	// so a daily limit or a rejected token stops it at its first refused
	// request. The client's limiter still paces every send, and outcomes
	// are applied in send order, so the result of a pass does not depend
	// on it.
	WriteConcurrency int

	// ReadConcurrency is how many Sansan listing calls of one account (or
	// HubSpot searches) may be under way at once. The default (0) adapts it
	// to keep the client's rate busy through a page's round trip (rate ×
	// latency of the window's first page): 1 on a fast service, 2 at 300 ms
	// for Sansan's 5 requests per second. Above 1, a large window (an
	// initial sync, a long outage) is split by update time into parts
	// listed at once, each with its own checkpoint cursor; a pass that
	// resumes such a window lists its parts ReadConcurrency at a time (one
	// by default). 1 always lists one page after the other.
	ReadConcurrency int

	// Interval is the time between passes in Run (default 1 minute).
	Interval time.Duration
	// Overlap is how far before the checkpoint each incremental read starts,
	// to catch records whose timestamps land late (default 2 minutes).
	Overlap time.Duration
	// DryRun computes every pass's plan without writing to either service or
	// to the Store.
	DryRun bool
	// OnPlanned, when set, is called in a dry run for every contact write
	// the pass would make, with what it would send: the plan record by
	// record. Calls come one at a time, from the pass's goroutines.
	OnPlanned func(PlannedWrite)
	// Logger receives structured logs; nil discards them.
	Logger *slog.Logger
	// Progress, when set, is called as records are read and written.
	Progress func(Progress)
	// OnPass, when set, is called after every pass with its report (nil
	// only if the pass could not start) and error, e.g. to export metrics
	// from Run.
	OnPass func(*Report, error)
	// Now returns the current time (time.Now when nil); tests inject a clock.
	Now func() time.Time
}

// nilStoreWarning is what New logs when Config.Store is nil.
const nilStoreWarning = "syncer: Config.Store is nil: links and checkpoints are kept in memory, so every restart re-does the initial sync; use a durable store (filestore, pgstore)"

// ConfigError reports a configuration problem found by New or by a pass's
// preflight, before any record is written.
type ConfigError struct {
	Problems []string
}

// Error implements error.
func (e *ConfigError) Error() string {
	if len(e.Problems) == 1 {
		return "syncer: invalid config: " + e.Problems[0]
	}
	return fmt.Sprintf("syncer: invalid config: %d problems: %q", len(e.Problems), e.Problems)
}

// ErrConfig matches every *ConfigError with errors.Is.
var ErrConfig = errors.New("syncer: invalid config")

// Is makes errors.Is(err, ErrConfig) true.
func (e *ConfigError) Is(target error) bool { return target == ErrConfig }

func (c *Config) validate() error {
	var p []string
	if c.HubSpot == nil {
		p = append(p, "HubSpot client is nil")
	}
	if len(c.Accounts) == 0 {
		p = append(p, "at least one account is required")
	}
	seen := map[string]bool{}
	for i, a := range c.Accounts {
		switch {
		case a.Name == "":
			p = append(p, fmt.Sprintf("account %d has no name", i))
		case seen[a.Name]:
			p = append(p, fmt.Sprintf("account name %q is used twice", a.Name))
		}
		seen[a.Name] = true
		if a.Client == nil {
			p = append(p, fmt.Sprintf("account %q has no Sansan client", a.Name))
		}
		if len(a.TagIDs) > MaxTagIDs {
			p = append(p, fmt.Sprintf("account %q has %d tag ids; at most %d", a.Name, len(a.TagIDs), MaxTagIDs))
		}
		for _, t := range a.TagIDs {
			if t == "" {
				p = append(p, fmt.Sprintf("account %q has an empty tag id", a.Name))
				break
			}
		}
	}
	if c.Direction < SansanToHubSpot || c.Direction > TwoWay {
		p = append(p, fmt.Sprintf("unknown direction %d", int(c.Direction)))
	}
	if c.EmailPolicy < RequireEmail || c.EmailPolicy > AllowMissingEmail {
		p = append(p, fmt.Sprintf("unknown email policy %d", int(c.EmailPolicy)))
	}
	if c.MaxWindowCards < 0 {
		p = append(p, fmt.Sprintf("max window cards %d is negative", c.MaxWindowCards))
	}
	if c.PageSize < 0 || c.PageSize > MaxPageSize {
		p = append(p, fmt.Sprintf("page size %d is outside 1..%d (0 means %d)", c.PageSize, MaxPageSize, MaxPageSize))
	}
	if c.WriteConcurrency < 0 || c.WriteConcurrency > MaxWriteConcurrency {
		p = append(p, fmt.Sprintf("write concurrency %d is outside 0..%d", c.WriteConcurrency, MaxWriteConcurrency))
	}
	if c.ReadConcurrency < 0 || c.ReadConcurrency > maxSubWindows {
		p = append(p, fmt.Sprintf("read concurrency %d is outside 0..%d", c.ReadConcurrency, maxSubWindows))
	}
	if c.Interval < 0 || c.Overlap < 0 {
		p = append(p, "interval and overlap must not be negative")
	}
	if err := c.ContactFilter.validate(); err != nil {
		p = append(p, err.Error())
	}
	if len(p) > 0 {
		return &ConfigError{Problems: p}
	}
	return nil
}
