package syncer

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/cardbridge/sansanhubspot/hubspot"
)

// ContactFilter limits which HubSpot contacts flow to Sansan. A contact
// passes when it meets every condition and Match (if set) returns true.
//
// Conditions use HubSpot's search operators. They are sent with the
// incremental search when they fit in its filter group (HubSpot allows 6
// filters per group and the time window takes up to 3), so fewer contacts
// are read, and they are always evaluated again on the client, so contacts
// fetched by id (webhooks) are filtered the same way.
type ContactFilter struct {
	Conditions []hubspot.Filter
	Match      func(c *hubspot.Contact) bool
}

// maxSearchConditions is how many conditions ride along with the window
// filters in one HubSpot filter group.
const maxSearchConditions = 3

func (f ContactFilter) validate() error {
	for _, c := range f.Conditions {
		if c.PropertyName == "" {
			return fmt.Errorf("contact filter condition has no property")
		}
		switch c.Operator {
		case hubspot.OperatorEQ, hubspot.OperatorNEQ, hubspot.OperatorLT, hubspot.OperatorLTE, hubspot.OperatorGT,
			hubspot.OperatorGTE, hubspot.OperatorBetween, hubspot.OperatorIn, hubspot.OperatorNotIn,
			hubspot.OperatorHasProperty, hubspot.OperatorNotHasProperty, hubspot.OperatorContainsToken,
			hubspot.OperatorNotContainsToken:
		default:
			return fmt.Errorf("contact filter on %q: unknown operator %q", c.PropertyName, c.Operator)
		}
	}
	return nil
}

// searchFilters returns the conditions that can be sent to HubSpot.
func (f ContactFilter) searchFilters() []hubspot.Filter {
	if len(f.Conditions) > maxSearchConditions {
		return nil
	}
	return f.Conditions
}

// matches evaluates the filter on the client.
func (f ContactFilter) matches(c *hubspot.Contact) bool {
	for _, cond := range f.Conditions {
		if !evalFilter(cond, c.Properties) {
			return false
		}
	}
	return f.Match == nil || f.Match(c)
}

// evalFilter applies one search operator to a contact's properties the way
// HubSpot does: strings compare case-insensitively, numbers numerically.
func evalFilter(f hubspot.Filter, props hubspot.Properties) bool {
	v, ok := props.Get(f.PropertyName)
	ok = ok && v != ""
	switch f.Operator {
	case hubspot.OperatorHasProperty:
		return ok
	case hubspot.OperatorNotHasProperty:
		return !ok
	case hubspot.OperatorNEQ:
		return !ok || compare(v, f.Value) != 0
	case hubspot.OperatorNotIn:
		return !ok || !slices.ContainsFunc(f.Values, func(x string) bool { return compare(v, x) == 0 })
	case hubspot.OperatorNotContainsToken:
		return !ok || !containsToken(v, f.Value)
	}
	if !ok {
		return false
	}
	switch f.Operator {
	case hubspot.OperatorEQ:
		return compare(v, f.Value) == 0
	case hubspot.OperatorLT:
		return compare(v, f.Value) < 0
	case hubspot.OperatorLTE:
		return compare(v, f.Value) <= 0
	case hubspot.OperatorGT:
		return compare(v, f.Value) > 0
	case hubspot.OperatorGTE:
		return compare(v, f.Value) >= 0
	case hubspot.OperatorBetween:
		return compare(v, f.Value) >= 0 && compare(v, f.HighValue) <= 0
	case hubspot.OperatorIn:
		return slices.ContainsFunc(f.Values, func(x string) bool { return compare(v, x) == 0 })
	case hubspot.OperatorContainsToken:
		return containsToken(v, f.Value)
	}
	return false
}

// compare orders two property values: numerically when both are numbers,
// else as case-folded strings.
func compare(a, b string) int {
	fa, errA := strconv.ParseFloat(a, 64)
	fb, errB := strconv.ParseFloat(b, 64)
	if errA == nil && errB == nil {
		switch {
		case fa < fb:
			return -1
		case fa > fb:
			return 1
		}
		return 0
	}
	return strings.Compare(strings.ToLower(a), strings.ToLower(b))
}

// containsToken matches a whole token, with * as a wildcard, as HubSpot's
// CONTAINS_TOKEN does for multi-value (";"-separated) and text values.
func containsToken(v, token string) bool {
	token = strings.ToLower(token)
	for _, t := range strings.FieldsFunc(strings.ToLower(v), func(r rune) bool { return r == ';' || r == ' ' || r == ',' }) {
		if token == t || wildcard(token, t) {
			return true
		}
	}
	return false
}

func wildcard(pattern, s string) bool {
	if !strings.Contains(pattern, "*") {
		return false
	}
	parts := strings.Split(pattern, "*")
	if !strings.HasPrefix(s, parts[0]) {
		return false
	}
	s = s[len(parts[0]):]
	for i, p := range parts[1:] {
		if i == len(parts)-2 {
			return strings.HasSuffix(s, p)
		}
		idx := strings.Index(s, p)
		if idx < 0 {
			return false
		}
		s = s[idx+len(p):]
	}
	return true
}
