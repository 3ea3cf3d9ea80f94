package mapping

import (
	"errors"
	"strconv"
	"strings"
)

// ProblemCode classifies a [FieldProblem]. It implements error, so
// errors.Is(err, mapping.CodeReadOnly) finds a problem of that code anywhere
// in a [*ValidationError].
type ProblemCode string

// Error returns the code itself.
func (c ProblemCode) Error() string { return string(c) }

// Problem codes reported while converting a card or a contact. Unless noted,
// the field concerned is left out of the output ([FieldProblem] Dropped is
// true) and every other field is still converted.
const (
	// CodeInvalidEmail: the e-mail address is present but invalid (see
	// [NormalizeEmail]); it is never written.
	CodeInvalidEmail ProblemCode = "invalid_email"
	// CodeInvalidUTF8: the value held invalid UTF-8, replaced with U+FFFD;
	// the repaired value is written.
	CodeInvalidUTF8 ProblemCode = "invalid_utf8"
	// CodeControlCharacters: control characters (other than tab, line feed
	// and carriage return) were removed; the rest is written.
	CodeControlCharacters ProblemCode = "control_characters"
	// CodeTruncated: the value was over the length limit and was cut, ending
	// with [TruncationMarker]; the shortened value is written.
	CodeTruncated ProblemCode = "truncated"
	// CodeTooLong: the value was over the length limit and the field's
	// policy is to leave it out ([OverflowReject], or a short Sansan field
	// such as postalCode).
	CodeTooLong ProblemCode = "too_long"
	// CodeInvalidValue: the value cannot be represented in the target
	// (an impossible date, a number with separators, a country that is not
	// an ISO code, or a To function's error).
	CodeInvalidValue ProblemCode = "invalid_value"
	// CodeTooManyValues: more tags than POST /bizCards accepts; the first
	// [MaxRegisterTags] are kept and written.
	CodeTooManyValues ProblemCode = "too_many_values"
	// CodeMissingRequired: a card registration has none of companyName,
	// lastName and firstName, so no request is made.
	CodeMissingRequired ProblemCode = "missing_required"
)

// Problem codes reported when building or validating a [Set].
const (
	// CodeInvalidMapping: the mapping itself is malformed (no property,
	// both or neither of Source and From, an out-of-range enum value, a bad
	// Definition).
	CodeInvalidMapping ProblemCode = "invalid_mapping"
	// CodeUnknownField: Source names no card field (see [Mapping].Source).
	CodeUnknownField ProblemCode = "unknown_field"
	// CodeNotReversible: the direction flows to Sansan but the value cannot
	// be written into a card registration.
	CodeNotReversible ProblemCode = "not_reversible"
	// CodeDuplicate: two mappings use the same property, or write the same
	// card field.
	CodeDuplicate ProblemCode = "duplicate"
	// CodeUnknownProperty: HubSpot has no such (unarchived) contact
	// property, or the Set has no mapping for it.
	CodeUnknownProperty ProblemCode = "unknown_property"
	// CodeMissingCustomProperty: the property is one the Set defines (see
	// [Set.CustomProperties]) and has not been created in HubSpot yet.
	CodeMissingCustomProperty ProblemCode = "missing_custom_property"
	// CodeReadOnly: the direction flows to HubSpot but HubSpot does not let
	// the property's value be written.
	CodeReadOnly ProblemCode = "read_only"
	// CodeTypeMismatch: the property's type cannot hold the mapping's kind
	// of value (e.g. text into a number or an enumeration).
	CodeTypeMismatch ProblemCode = "type_mismatch"
	// CodeMissingOption: an enumeration property lacks an option for a
	// value the mapping can produce.
	CodeMissingOption ProblemCode = "missing_option"
)

// FieldProblem is one problem with one field: a value that could not be
// converted as is, or a mapping that does not fit HubSpot. It implements
// error and unwraps to its Code.
type FieldProblem struct {
	// Property is the HubSpot property concerned, if any.
	Property string `json:"property,omitempty"`
	// Field is the card field concerned (a [Mapping].Source name), or "" for a
	// From mapping or a problem about the whole card.
	Field string `json:"field,omitempty"`
	// Code classifies the problem.
	Code ProblemCode `json:"code"`
	// Message explains the problem in lower-case words, without the value
	// itself (values may be personal data).
	Message string `json:"message"`
	// Dropped reports, for conversion problems, that the field was left out
	// of the output; false means a repaired value was written.
	Dropped bool `json:"dropped,omitempty"`
}

// Error formats the problem as "mapping: property "p" (card field "f"):
// code: message".
func (p *FieldProblem) Error() string {
	var b strings.Builder
	b.WriteString("mapping: ")
	switch {
	case p.Property != "" && p.Field != "":
		b.WriteString("property " + strconv.Quote(p.Property) + " (card field " + strconv.Quote(p.Field) + "): ")
	case p.Property != "":
		b.WriteString("property " + strconv.Quote(p.Property) + ": ")
	case p.Field != "":
		b.WriteString("card field " + strconv.Quote(p.Field) + ": ")
	}
	b.WriteString(string(p.Code))
	if p.Message != "" {
		b.WriteString(": " + p.Message)
	}
	return b.String()
}

// Unwrap returns the problem's Code.
func (p *FieldProblem) Unwrap() error { return p.Code }

// ValidationError lists every problem found in a [Set] or a mapping. Use
// errors.As to get it, or errors.Is with a [ProblemCode] to test for one
// kind of problem.
type ValidationError struct {
	// Problems are the problems in mapping order.
	Problems []FieldProblem
}

// Error summarizes the problems, e.g. "mapping: 2 problems: ...; ...".
func (e *ValidationError) Error() string {
	switch len(e.Problems) {
	case 0:
		return "mapping: invalid mapping set"
	case 1:
		return e.Problems[0].Error()
	}
	var b strings.Builder
	b.WriteString("mapping: " + strconv.Itoa(len(e.Problems)) + " problems: ")
	for i := range e.Problems {
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(strings.TrimPrefix(e.Problems[i].Error(), "mapping: "))
	}
	return b.String()
}

// Unwrap returns every problem as a [*FieldProblem].
func (e *ValidationError) Unwrap() []error {
	out := make([]error, len(e.Problems))
	for i := range e.Problems {
		out[i] = &e.Problems[i]
	}
	return out
}

// problemsOf returns the problems of a *ValidationError, or err as one
// invalid_mapping problem.
func problemsOf(err error) []FieldProblem {
	var ve *ValidationError
	if errors.As(err, &ve) {
		return ve.Problems
	}
	return []FieldProblem{{Code: CodeInvalidMapping, Message: err.Error()}}
}
