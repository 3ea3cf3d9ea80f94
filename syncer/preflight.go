package syncer

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/cardbridge/sansanhubspot/hubspot"
	"github.com/cardbridge/sansanhubspot/mapping"
	"github.com/cardbridge/sansanhubspot/sansan"
)

// runPreflight checks what New could not (tags exist and are public or
// shared, the mapping fits HubSpot's live properties) and makes sure the
// sansan property group, custom properties and tag options exist, once per
// engine, before the first write. It runs again on the next pass if it
// fails.
func (e *Engine) runPreflight(ctx context.Context) error {
	e.mu.Lock()
	done := e.preflight
	e.mu.Unlock()
	if done {
		return nil
	}
	var problems []string
	var tags []*sansan.Tag
	for _, a := range e.cfg.Accounts {
		visible := map[string]*sansan.Tag{}
		opts := &sansan.ListTagsOptions{Types: []sansan.TagType{sansan.TagTypePublic, sansan.TagTypeShared}, Range: sansan.RangeAll}
		for t, err := range a.Client.Tags.ListIter(ctx, opts) {
			if err != nil {
				return wrapf(err, "syncer: preflight: list tags of account %q", a.Name)
			}
			visible[t.ID] = t
			tags = append(tags, t)
		}
		for _, id := range a.TagIDs {
			if _, ok := visible[id]; !ok {
				problems = append(problems, fmt.Sprintf("account %q: tag %q is not a public or shared tag the key can see", a.Name, id))
			}
		}
	}
	if e.cfg.Direction == HubSpotToSansan || e.cfg.Direction == TwoWay {
		// Registration's endpoint version is unproven (see package
		// sansan): find out once, before any card is written.
		acct := e.registerAccount()
		if _, err := acct.Client.BizCards.CheckRegister(ctx); errors.Is(err, sansan.ErrUnsupportedVersion) {
			ep := sansan.EndpointRegisterBizCard
			problems = append(problems, fmt.Sprintf("account %q: card registration (POST /bizCards) is not offered by API version %s, which HubSpot → Sansan needs; "+
				"try sansan.WithEndpointVersion(sansan.EndpointRegisterBizCard, \"v6.0\")", acct.Name, acct.Client.APIVersion(ep)))
		} else if err != nil {
			return wrapf(err, "syncer: preflight: check card registration of account %q", acct.Name)
		}
	}
	if e.cfg.EmailPolicy == AllowMissingEmail && !e.writes(propPersonID) {
		problems = append(problems, "AllowMissingEmail needs the "+propPersonID+" mapping, which finds email-less contacts again after a crash")
	}
	if len(problems) > 0 {
		return &ConfigError{Problems: problems}
	}

	props := e.cfg.HubSpot.Properties
	live, _, err := props.List(ctx, nil)
	if err != nil {
		return wrapf(err, "syncer: preflight: list hubspot properties")
	}
	var deferred []hubspot.Property // created later, judged as if present
	if !e.cfg.DryRun {
		// Only what the listing shows missing is ensured: probing each
		// property by name would answer 404 for every new one, and error
		// answers count against HubSpot's 5 % guideline.
		changed := false
		custom := e.mapping.CustomProperties()
		for _, p := range custom {
			if p.Name == propTags {
				p.Options = mapping.TagOptions(deref(tags))
			}
			if hasProperty(live, p) {
				continue
			}
			if p.Name == propTags && len(p.Options) == 0 {
				// HubSpot refuses an enumeration without options; with no
				// public or shared tag yet, ensureTagOptions creates it
				// when the first tagged card is written.
				deferred = append(deferred, p)
				continue
			}
			if !changed {
				if err := e.ensureGroup(ctx); err != nil {
					return err
				}
			}
			changed = true
			if !slices.ContainsFunc(live, func(l *hubspot.Property) bool { return l != nil && l.Name == p.Name }) {
				// Missing: create it; a concurrent creation (409) falls
				// through to EnsureProperty.
				_, _, err := props.Create(ctx, createRequest(p))
				if err == nil {
					continue
				}
				if !errors.Is(err, hubspot.ErrConflict) {
					return wrapf(err, "syncer: preflight: create property %q", p.Name)
				}
			}
			if _, _, err := props.EnsureProperty(ctx, createRequest(p)); err != nil {
				return wrapf(err, "syncer: preflight: ensure property %q", p.Name)
			}
		}
		if changed {
			if live, _, err = props.List(ctx, nil); err != nil {
				return wrapf(err, "syncer: preflight: list hubspot properties")
			}
		}
	}
	defs := deref(live)
	for _, p := range deferred {
		if !slices.ContainsFunc(defs, func(d hubspot.Property) bool { return d.Name == p.Name }) {
			defs = append(defs, p)
		}
	}
	if e.cfg.DryRun {
		// A dry run creates nothing: judge the mapping as if the custom
		// properties it would create already existed.
		for _, c := range e.mapping.CustomProperties() {
			if !slices.ContainsFunc(defs, func(d hubspot.Property) bool { return d.Name == c.Name }) {
				defs = append(defs, c)
			}
		}
	}
	if err := e.mapping.Validate(defs); err != nil {
		return &ConfigError{Problems: []string{err.Error()}}
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	e.preflight = true
	for _, p := range live {
		if p.Name == propTags {
			for _, o := range p.Options {
				e.tagOpts[o.Value] = true
			}
		}
	}
	for _, t := range tags {
		if !e.cfg.DryRun {
			e.tagOpts[t.ID] = true
		}
	}
	return nil
}

// ensureGroup creates the mapping's property group unless the group list
// has it (listing first avoids a 404 probe).
func (e *Engine) ensureGroup(ctx context.Context) error {
	group := e.mapping.PropertyGroup()
	groups, _, err := e.cfg.HubSpot.Properties.ListGroups(ctx)
	if err != nil {
		return wrapf(err, "syncer: preflight: list property groups")
	}
	if slices.ContainsFunc(groups, func(g *hubspot.PropertyGroup) bool { return g != nil && g.Name == group.Name }) {
		return nil
	}
	if _, _, err := e.cfg.HubSpot.Properties.CreateGroup(ctx, &group); err == nil {
		return nil
	} else if !errors.Is(err, hubspot.ErrConflict) {
		return wrapf(err, "syncer: preflight: create property group")
	}
	if _, err := e.cfg.HubSpot.Properties.EnsureGroup(ctx, &group); err != nil {
		return wrapf(err, "syncer: preflight: ensure property group")
	}
	return nil
}

// hasProperty reports whether live holds want with its type and every
// option it needs, so ensuring it would change nothing.
func hasProperty(live []*hubspot.Property, want hubspot.Property) bool {
	for _, p := range live {
		if p == nil || p.Name != want.Name {
			continue
		}
		if p.Type != want.Type {
			return false // EnsureProperty reports the mismatch
		}
		for _, o := range want.Options {
			if !slices.ContainsFunc(p.Options, func(x hubspot.PropertyOption) bool { return x.Value == o.Value }) {
				return false
			}
		}
		return true
	}
	return false
}

func deref[T any](in []*T) []T {
	out := make([]T, 0, len(in))
	for _, v := range in {
		if v != nil {
			out = append(out, *v)
		}
	}
	return out
}

// ensureTagOptions adds sansan_tags options for public or shared tags that
// appeared since the preflight, before records carrying them are written:
// HubSpot rejects an enumeration value that is not an option.
func (p *pass) ensureTagOptions(ctx context.Context, acct *Account, recs []*record) error {
	e := p.e
	if !e.writes(propTags) {
		return nil
	}
	var missing []sansan.Tag
	e.mu.Lock()
	for _, r := range recs {
		for _, t := range r.card.Tags {
			if (t.Type == sansan.TagTypePublic || t.Type == sansan.TagTypeShared) && !e.tagOpts[t.ID] &&
				!slices.ContainsFunc(missing, func(m sansan.Tag) bool { return m.ID == t.ID }) {
				missing = append(missing, t)
			}
		}
	}
	e.mu.Unlock()
	if len(missing) == 0 {
		return nil
	}
	def, ok := e.customProperty(propTags)
	if !ok {
		return nil
	}
	def.Options = mapping.TagOptions(missing)
	recorded, err := p.sink.ensureProperty(ctx, createRequest(def))
	if err != nil {
		return wrapf(err, "syncer: add tag options for account %q", acct.Name)
	}
	if recorded {
		return nil // a dry run: the options stay missing for the next record too
	}
	e.mu.Lock()
	for _, t := range missing {
		e.tagOpts[t.ID] = true
	}
	e.mu.Unlock()
	return nil
}

// Custom properties the engine relies on.
const (
	propPersonID = "sansan_person_id"
	propTags     = "sansan_tags"
)

// writes reports whether the mapping writes property to HubSpot.
func (e *Engine) writes(property string) bool {
	m, ok := e.mapping.Get(property)
	return ok && !m.Disabled && m.Direction.FlowsToHubSpot()
}

func (e *Engine) customProperty(name string) (hubspot.Property, bool) {
	for _, p := range e.mapping.CustomProperties() {
		if p.Name == name {
			return p, true
		}
	}
	return hubspot.Property{}, false
}

func createRequest(p hubspot.Property) *hubspot.PropertyCreateRequest {
	return &hubspot.PropertyCreateRequest{
		Name: p.Name, Label: p.Label, Type: p.Type, FieldType: p.FieldType, GroupName: p.GroupName,
		Description: p.Description, Options: p.Options, DisplayOrder: p.DisplayOrder,
		HasUniqueValue: p.HasUniqueValue, Hidden: p.Hidden, FormField: p.FormField,
	}
}
