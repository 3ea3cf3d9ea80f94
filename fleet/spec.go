package fleet

import (
	"fmt"
	"net/mail"
	"slices"
	"strings"
	"time"

	"github.com/cardbridge/sansanhubspot/hubspot"
	"github.com/cardbridge/sansanhubspot/mapping"
	"github.com/cardbridge/sansanhubspot/sansan"
	"github.com/cardbridge/sansanhubspot/syncer"
)

// Spec is a connection's configuration as data: everything an engine needs
// except credentials, which a [SecretSource] supplies at run time. It is
// stored as JSON in the registry, so it holds no functions.
type Spec struct {
	// PortalID is the HubSpot portal (account) id. One connection per
	// portal: the registry refuses a second one with [ErrPortalTaken].
	PortalID int64 `json:"portal_id"`
	// Direction is the flow; the zero value is syncer.SansanToHubSpot.
	Direction syncer.Direction `json:"direction"`
	// Accounts are the Sansan API keys feeding the portal, by name. The
	// keys themselves come from the SecretSource under the same names.
	Accounts []AccountSpec `json:"accounts"`
	// Interval is the time between the end of a pass and the start of the
	// next (syncer.DefaultInterval when zero).
	Interval Duration `json:"interval,omitzero"`
	// Overlap is the look-back of incremental reads (the engine's default
	// when zero).
	Overlap Duration `json:"overlap,omitzero"`
	// AllowMissingEmail syncs cards without an email
	// (syncer.AllowMissingEmail); by default they are excluded.
	AllowMissingEmail bool `json:"allow_missing_email,omitempty"`
	// RegisterTagIDs are Sansan tags added to cards registered from
	// HubSpot contacts.
	RegisterTagIDs []string `json:"register_tag_ids,omitempty"`
	// StopSyncingFiltered stops updating linked records that no longer
	// match the filters.
	StopSyncingFiltered bool `json:"stop_syncing_filtered,omitempty"`
	// Mapping lists overrides applied to mapping.Default().
	Mapping []MappingOverride `json:"mapping,omitempty"`
	// CardFilter limits the cards that flow to HubSpot.
	CardFilter CardFilter `json:"card_filter,omitzero"`
	// ContactConditions limit the contacts that flow to Sansan
	// (syncer.ContactFilter.Conditions).
	ContactConditions []hubspot.Filter `json:"contact_conditions,omitempty"`
	// TimeZone is the portal's IANA time zone (e.g. "Asia/Tokyo"):
	// HubSpot resets the daily API limit at midnight there, and a pass
	// stopped by the limit snoozes until then. Empty probes again after
	// RunOptions.DailyLimitPause.
	TimeZone string `json:"time_zone,omitempty"`
	// HubSpotBaseURL overrides the HubSpot API base URL (a sandbox or a
	// fake in tests); empty uses the client's default. The connection's
	// token is sent there, so only trusted operators may write specs.
	HubSpotBaseURL string `json:"hubspot_base_url,omitempty"`
}

// AccountSpec is one Sansan API key of a connection.
type AccountSpec struct {
	// Name labels the account and names its key in the connection's
	// Secrets. Unique within a connection.
	Name string `json:"name"`
	// TagIDs are the public or shared tags to sync; empty syncs all cards.
	TagIDs []string `json:"tag_ids,omitempty"`
	// BaseURL overrides the Sansan API base URL (tests, staging); empty
	// uses the client's default. The account's key is sent there.
	BaseURL string `json:"base_url,omitempty"`
}

// MappingOverride changes one mapping of mapping.Default(): it replaces
// (or adds) the mapping of Property, or disables it.
type MappingOverride struct {
	// Property is the HubSpot property the mapping writes.
	Property string `json:"property"`
	// Source is the card field (mapping.FieldNames); empty keeps the
	// default mapping's source.
	Source string `json:"source,omitempty"`
	// Direction is which way the value flows.
	Direction mapping.Direction `json:"direction"`
	// Winner settles two-way conflicts.
	Winner mapping.Winner `json:"winner"`
	// ClearOnBlank lets a blank value clear the other side.
	ClearOnBlank bool `json:"clear_on_blank,omitempty"`
	// Disabled turns the mapping off.
	Disabled bool `json:"disabled,omitempty"`
}

// CardFilter selects cards by data, so it can be stored. A card passes
// when it matches every non-empty condition.
type CardFilter struct {
	// CompanyIDs, when set, keeps only cards of these Sansan company ids.
	CompanyIDs []string `json:"company_ids,omitempty"`
	// ExcludeEmailDomains drops cards whose email is in one of these
	// domains (case-insensitive), e.g. the user's own company.
	ExcludeEmailDomains []string `json:"exclude_email_domains,omitempty"`
}

// IsZero reports whether the filter has no condition.
func (f CardFilter) IsZero() bool {
	return len(f.CompanyIDs) == 0 && len(f.ExcludeEmailDomains) == 0
}

// match evaluates the filter on a card.
func (f CardFilter) match(c *sansan.BizCard) bool {
	if len(f.CompanyIDs) > 0 && !slices.Contains(f.CompanyIDs, c.CompanyID) {
		return false
	}
	if len(f.ExcludeEmailDomains) > 0 && c.Email != nil {
		if a, err := mail.ParseAddress(*c.Email); err == nil {
			if at := strings.LastIndexByte(a.Address, '@'); at >= 0 {
				domain := a.Address[at+1:]
				for _, d := range f.ExcludeEmailDomains {
					if strings.EqualFold(domain, d) {
						return false
					}
				}
			}
		}
	}
	return true
}

// Duration is a time.Duration that reads and writes JSON as a Go duration
// string ("1m30s").
type Duration time.Duration

// MarshalText implements encoding.TextMarshaler.
func (d Duration) MarshalText() ([]byte, error) { return []byte(time.Duration(d).String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler.
func (d *Duration) UnmarshalText(b []byte) error {
	v, err := time.ParseDuration(string(b))
	if err != nil {
		return fmt.Errorf("fleet: duration: %w", err)
	}
	*d = Duration(v)
	return nil
}

// MinInterval is the shortest Interval a Spec may ask for.
const MinInterval = 100 * time.Millisecond

// Validate reports the spec's problems as an error matching
// [ErrInvalidSpec], or nil.
func (s *Spec) Validate() error {
	var p []string
	if s.PortalID <= 0 {
		p = append(p, "portal id must be positive")
	}
	if s.Direction < syncer.SansanToHubSpot || s.Direction > syncer.TwoWay {
		p = append(p, fmt.Sprintf("unknown direction %d", int(s.Direction)))
	}
	if len(s.Accounts) == 0 {
		p = append(p, "at least one account is required")
	}
	seen := map[string]bool{}
	for i, a := range s.Accounts {
		switch {
		case a.Name == "":
			p = append(p, fmt.Sprintf("account %d has no name", i))
		case seen[a.Name]:
			p = append(p, fmt.Sprintf("account name %q is used twice", a.Name))
		}
		seen[a.Name] = true
		if len(a.TagIDs) > syncer.MaxTagIDs {
			p = append(p, fmt.Sprintf("account %q has %d tag ids; at most %d", a.Name, len(a.TagIDs), syncer.MaxTagIDs))
		}
	}
	if s.Interval != 0 && time.Duration(s.Interval) < MinInterval {
		p = append(p, fmt.Sprintf("interval %v is below %v", time.Duration(s.Interval), MinInterval))
	}
	if s.TimeZone != "" {
		if _, err := time.LoadLocation(s.TimeZone); err != nil {
			p = append(p, fmt.Sprintf("unknown time zone %q", s.TimeZone))
		}
	}
	if s.Overlap < 0 {
		p = append(p, "overlap must not be negative")
	}
	if _, err := s.mappingSet(); err != nil {
		p = append(p, err.Error())
	}
	if len(p) > 0 {
		return fmt.Errorf("%w: %s", ErrInvalidSpec, strings.Join(p, "; "))
	}
	return nil
}

// interval returns the spec's interval with the engine's default.
func (s *Spec) interval() time.Duration {
	if s.Interval == 0 {
		return syncer.DefaultInterval
	}
	return time.Duration(s.Interval)
}

// mappingSet builds the mapping.Set the overrides describe.
func (s *Spec) mappingSet() (*mapping.Set, error) {
	set := mapping.Default()
	for _, o := range s.Mapping {
		if o.Property == "" {
			return nil, fmt.Errorf("mapping override has no property")
		}
		m, ok := set.Get(o.Property)
		if !ok {
			m = mapping.Mapping{Property: o.Property}
		}
		if o.Source != "" {
			m.Source, m.From, m.To, m.Kind, m.Values = o.Source, nil, nil, 0, nil
		}
		if m.Source == "" && m.From == nil {
			return nil, fmt.Errorf("mapping override of %q needs a source", o.Property)
		}
		m.Direction, m.Winner, m.ClearOnBlank, m.Disabled = o.Direction, o.Winner, o.ClearOnBlank, o.Disabled
		var err error
		if ok {
			err = set.Override(m)
		} else {
			err = set.Add(m)
		}
		if err != nil {
			return nil, fmt.Errorf("mapping override of %q: %w", o.Property, err)
		}
	}
	return set, nil
}
