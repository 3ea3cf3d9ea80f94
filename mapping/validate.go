package mapping

import (
	"strconv"
	"strings"

	"github.com/cardbridge/sansanhubspot/hubspot"
)

// Validate checks every enabled mapping against the live HubSpot contact
// property definitions in props (as listed by GET /crm/v3/properties/contacts)
// and against the other mappings, and returns a [*ValidationError] listing
// every problem, or nil. It reports:
//
//   - a property HubSpot does not have, or has archived ([CodeUnknownProperty];
//     [CodeMissingCustomProperty] when the mapping carries a Definition, so
//     the engine knows to create it, see [Set.CustomProperties]);
//   - a read-only property (modificationMetadata.readOnlyValue, or
//     calculated) that a mapping writes ([CodeReadOnly]);
//   - a property whose type cannot hold the mapping's kind of value
//     ([CodeTypeMismatch]): text into a number, bool, date or enumeration; a
//     date-time into a date; several values into a single-select (for a
//     mapping flowing only to Sansan, text can be read from any property);
//   - an enumeration without an option for a value the mapping can produce
//     ([CodeMissingOption]; checked for the Mapping's Values, which are known
//     for card fields with a fixed set of values such as entryStatus and may
//     be given for a From mapping; not for tags, whose options follow the
//     tags, see [TagOptions]);
//   - two mappings writing the same card field in a card registration
//     ([CodeDuplicate]).
//
// Malformed mappings (no property, unknown card field, both Source and From,
// a direction flowing to Sansan for a value that cannot be written there)
// are already refused by [New], [Set.Add] and [Set.Override]. Mappings with
// Direction None are only checked for the property's existence.
func (s *Set) Validate(props []hubspot.Property) error {
	byName := make(map[string]*hubspot.Property, len(props))
	for i := range props {
		p := &props[i]
		if prev, ok := byName[p.Name]; !ok || prev.Archived {
			byName[p.Name] = p
		}
	}
	var problems []FieldProblem
	targets := make(map[string]string)
	for i := range s.entries {
		e := &s.entries[i]
		m := &e.m
		if m.Disabled {
			continue
		}
		if m.Direction.FlowsToSansan() && m.Source != "" && e.field.target != "" {
			if other, ok := targets[e.field.target]; ok {
				problems = append(problems, e.problem(CodeDuplicate,
					"card field "+strconv.Quote(e.field.target)+" is also written by property "+strconv.Quote(other), false))
			} else {
				targets[e.field.target] = m.Property
			}
		}
		p, ok := byName[m.Property]
		if !ok || p.Archived {
			code, msg := CodeUnknownProperty, "HubSpot has no such contact property"
			if ok {
				msg = "the contact property is archived"
			}
			if m.Definition != nil {
				code, msg = CodeMissingCustomProperty, "custom property not created in HubSpot yet"
			}
			problems = append(problems, e.problem(code, msg, false))
			continue
		}
		if m.Direction == None {
			continue
		}
		if m.Direction.FlowsToHubSpot() && (p.ReadOnly() || p.Calculated) {
			problems = append(problems, e.problem(CodeReadOnly, "HubSpot does not allow writing this property", false))
		}
		if !m.Direction.FlowsToHubSpot() && m.Kind == KindText {
			continue // any property reads as text
		}
		if code, msg := checkType(m.Kind, p, m.Values); code != "" {
			problems = append(problems, e.problem(code, msg, false))
		}
	}
	if len(problems) > 0 {
		return &ValidationError{Problems: problems}
	}
	return nil
}

// checkType reports whether a property of p's type can hold values of kind;
// values lists every value a KindEnum source can produce, if known.
func checkType(kind ValueKind, p *hubspot.Property, values []string) (ProblemCode, string) {
	ok := false
	switch p.Type {
	case "string", "phone_number":
		ok = true // everything is text
	case "number":
		ok = kind == KindNumber
	case "bool":
		ok = kind == KindBool
	case "date":
		ok = kind == KindDate
	case "datetime":
		ok = kind == KindDateTime || kind == KindDate
	case "enumeration":
		switch kind {
		case KindEnum, KindMultiEnum:
			if kind == KindMultiEnum && p.FieldType != "checkbox" {
				return CodeTypeMismatch, "several values need a multiple-checkbox enumeration (fieldType checkbox), not fieldType " + strconv.Quote(p.FieldType)
			}
			var missing []string
			for _, v := range values {
				if _, found := p.Option(v); !found {
					missing = append(missing, strconv.Quote(v))
				}
			}
			if len(missing) > 0 {
				return CodeMissingOption, "enumeration has no option for " + strings.Join(missing, ", ")
			}
			ok = true
		case KindBool:
			ok = p.FieldType == "booleancheckbox"
		}
	}
	if ok {
		return "", ""
	}
	return CodeTypeMismatch, kind.String() + " value cannot be written to a property of type " +
		strconv.Quote(p.Type) + " (fieldType " + strconv.Quote(p.FieldType) + ")"
}
