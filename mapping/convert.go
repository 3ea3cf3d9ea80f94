package mapping

import (
	"errors"
	"strconv"

	"github.com/cardbridge/sansanhubspot/hubspot"
	"github.com/cardbridge/sansanhubspot/sansan"
)

// Result is the outcome of [Set.CardToProperties].
type Result struct {
	// Properties are the card's values. A blank card value is left out
	// unless its mapping's blank policy is [BlanksAlwaysClear], in which
	// case it is "" (which clears the property); whether a left-out value
	// clears a value written before is the engine's value rule.
	Properties hubspot.PropertyValues `json:"properties"`
	// Email is the card's e-mail address, normalized. It is filled even when
	// no mapping writes it, because it is the key contacts are matched on.
	Email EmailResult `json:"email"`
	// Problems lists every field that could not be converted as is, in
	// mapping order; nil when there are none. A problem never stops the
	// other fields from being converted.
	Problems []FieldProblem `json:"problems,omitempty"`
}

// CardToProperties converts a card into contact property values with every
// enabled mapping whose direction flows to HubSpot. It never fails as a
// whole: a field that cannot be converted is reported in Problems and the
// rest of the card is still converted. A nil card gives empty Properties and
// a missing e-mail address.
func (s *Set) CardToProperties(card *sansan.BizCard) Result {
	var r Result
	if card == nil {
		r.Properties = hubspot.PropertyValues{}
		return r
	}
	r.Email = NormalizeEmail(deref(card.Email))
	r.Properties = make(hubspot.PropertyValues, len(s.entries))
	for i := range s.entries {
		e := &s.entries[i]
		if !e.m.Disabled && e.m.Direction.FlowsToHubSpot() {
			e.toHubSpot(card, &r)
		}
	}
	return r
}

func (e *entry) toHubSpot(card *sansan.BizCard, r *Result) {
	m := &e.m
	var raw string
	if m.From != nil {
		v, ok := m.From(card)
		if ok {
			raw = v
		}
	} else {
		v, err := e.field.get(card)
		if err != nil {
			r.Problems = append(r.Problems, e.problem(CodeInvalidValue, err.Error(), true))
			return
		}
		raw = v
	}
	if m.Kind == KindEmail {
		er := r.Email
		if m.Source != "email" {
			er = NormalizeEmail(raw)
		}
		switch er.Status {
		case EmailValid:
			r.Properties[m.Property] = er.Normalized
		case EmailInvalid:
			r.Problems = append(r.Problems, e.problem(CodeInvalidEmail, er.Reason, true))
		default:
			if m.BlankPolicy() == BlanksAlwaysClear {
				r.Properties[m.Property] = ""
			}
		}
		return
	}
	v, issues, verr := canonical(m.Kind, raw, MaxPropertyLength, m.Overflow)
	if issues != 0 {
		r.Problems = e.appendIssues(r.Problems, issues, MaxPropertyLength)
	}
	switch {
	case verr != nil:
		r.Problems = append(r.Problems, e.problem(verr.code, verr.msg, !verr.kept))
	case v != "":
		r.Properties[m.Property] = v
	case m.BlankPolicy() == BlanksAlwaysClear && issues&issueTooLong == 0:
		r.Properties[m.Property] = ""
	}
}

// PropertiesToCard builds the body of a Sansan card registration
// (POST /bizCards) from contact properties, with every enabled mapping whose
// direction flows to Sansan. Blank and absent properties are left out. Values
// are cleaned like card values, e-mail addresses are normalized (invalid ones
// are left out), dates are read from "YYYY-MM-DD", timestamps or epoch
// milliseconds, and Sansan's own limits apply: lastName and firstName at most
// 250 characters and postalCode at most 10 (longer values are left out),
// memo at most 2000 (truncated with [TruncationMarker]), at most
// [MaxRegisterTags] tag ids, and countryCode an ISO 3166-1 alpha-2 code or
// "AUTO".
//
// When the result has none of companyName, lastName and firstName, which
// Sansan requires, the request is nil and a [CodeMissingRequired] problem
// is reported.
func (s *Set) PropertiesToCard(props hubspot.Properties) (*sansan.RegisterBizCardRequest, []FieldProblem) {
	req := &sansan.RegisterBizCardRequest{}
	var problems []FieldProblem
	for i := range s.entries {
		e := &s.entries[i]
		if e.m.Disabled || !e.m.Direction.FlowsToSansan() {
			continue
		}
		raw, ok := props.Get(e.m.Property)
		if !ok {
			continue
		}
		problems = e.toSansan(raw, req, problems)
	}
	if req.CompanyName == nil && req.LastName == nil && req.FirstName == nil {
		problems = append(problems, FieldProblem{
			Code:    CodeMissingRequired,
			Message: "a card needs at least one of companyName, lastName and firstName",
			Dropped: true,
		})
		return nil, problems
	}
	return req, problems
}

func (e *entry) toSansan(raw string, req *sansan.RegisterBizCardRequest, problems []FieldProblem) []FieldProblem {
	m := &e.m
	var v string
	if m.Kind == KindEmail {
		er := NormalizeEmail(raw)
		switch er.Status {
		case EmailMissing:
			return problems
		case EmailInvalid:
			return append(problems, e.problem(CodeInvalidEmail, er.Reason, true))
		}
		v = er.Normalized
	} else {
		limit, overflow := MaxPropertyLength, m.Overflow
		if m.From == nil && e.field.limit > 0 {
			limit, overflow = e.field.limit, OverflowReject
			if e.field.truncate {
				overflow = OverflowTruncate
			}
		}
		var issues textIssues
		var verr *valueError
		v, issues, verr = canonical(m.Kind, raw, limit, overflow)
		if issues != 0 {
			problems = e.appendIssues(problems, issues, limit)
		}
		if verr != nil {
			return append(problems, e.problem(verr.code, verr.msg, !verr.kept))
		}
		if v == "" {
			return problems
		}
	}
	var err error
	if m.From != nil {
		err = m.To(req, v)
	} else {
		err = e.field.set(req, v)
	}
	if err != nil {
		var verr *valueError
		if errors.As(err, &verr) {
			return append(problems, e.problem(verr.code, verr.msg, !verr.kept))
		}
		return append(problems, e.problem(CodeInvalidValue, err.Error(), true))
	}
	return problems
}

// ContactValues returns, for every enabled mapping whose direction flows to
// Sansan, the contact's current value of its property in canonical form:
// cleaned like card values, e-mail addresses normalized, dates as
// "YYYY-MM-DD", date-times as RFC 3339 UTC with milliseconds, multiple
// values sorted. Absent, null and blank properties give "". Values that do
// not parse as their kind are returned cleaned but otherwise as they are,
// so a change is still seen.
//
// The canonical form is the one [Set.CardToProperties] writes, so a
// property written from a card and read back compares equal: the engine
// can keep these values as its snapshot and detect which side changed.
func (s *Set) ContactValues(props hubspot.Properties) map[string]string {
	out := make(map[string]string, len(s.entries))
	for i := range s.entries {
		e := &s.entries[i]
		if e.m.Disabled || !e.m.Direction.FlowsToSansan() {
			continue
		}
		raw, _ := props.Get(e.m.Property)
		out[e.m.Property] = e.contactValue(raw)
	}
	return out
}

// ContactValue returns a contact's raw value of property in the canonical
// form [Set.CardToProperties] writes, for any enabled mapping whatever its
// direction, so a value read back from HubSpot compares equal to the one
// written. It returns raw unchanged for a property the Set does not map.
func (s *Set) ContactValue(property, raw string) string {
	i := s.index(property)
	if i < 0 {
		return raw
	}
	return s.entries[i].contactValue(raw)
}

func (e *entry) contactValue(raw string) string {
	if e.m.Kind == KindEmail {
		return NormalizeEmail(raw).Normalized
	}
	v, _, verr := canonical(e.m.Kind, raw, MaxPropertyLength, e.m.Overflow)
	if verr != nil {
		v, _ = cleanText(raw, MaxPropertyLength, OverflowTruncate)
	}
	return v
}

func (e *entry) problem(code ProblemCode, msg string, dropped bool) FieldProblem {
	return FieldProblem{Property: e.m.Property, Field: e.m.Source, Code: code, Message: msg, Dropped: dropped}
}

// appendIssues reports the repairs cleanText made.
func (e *entry) appendIssues(problems []FieldProblem, issues textIssues, limit int) []FieldProblem {
	if issues&issueInvalidUTF8 != 0 {
		problems = append(problems, e.problem(CodeInvalidUTF8, "invalid UTF-8 replaced with U+FFFD", false))
	}
	if issues&issueControl != 0 {
		problems = append(problems, e.problem(CodeControlCharacters, "control characters removed", false))
	}
	if issues&issueTruncated != 0 {
		problems = append(problems, e.problem(CodeTruncated,
			"value longer than "+strconv.Itoa(limit)+" characters truncated", false))
	}
	if issues&issueTooLong != 0 {
		problems = append(problems, e.problem(CodeTooLong,
			"value longer than "+strconv.Itoa(limit)+" characters left out", true))
	}
	return problems
}
