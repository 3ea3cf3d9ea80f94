package mapping

import (
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/cardbridge/sansanhubspot/hubspot"
	"github.com/cardbridge/sansanhubspot/sansan"
)

// Direction says which way a mapped field flows. It narrows, and never
// widens, the sync engine's overall direction: a ToHubSpot field never flows
// to Sansan, even in a two-way sync. The engine's direction
// ([github.com/cardbridge/sansanhubspot/syncer.Direction]) has the same
// FlowsToHubSpot and FlowsToSansan methods, and converts to and from
// Direction (ToHubSpot, ToSansan and Both match its SansanToHubSpot,
// HubSpotToSansan and TwoWay).
type Direction int

// Directions. The zero value is ToHubSpot.
const (
	// ToHubSpot copies the card value to the contact property.
	ToHubSpot Direction = iota
	// ToSansan copies the contact property to the card (used when a card is
	// registered from a contact).
	ToSansan
	// Both flows either way; the mapping's [Winner] settles conflicts.
	Both
	// None keeps the mapping listed but moves no data; unlike a disabled
	// mapping it still names a property to read (see [Set.PropertyNames]).
	None
)

// directionName returns d's name, or "" for an invalid Direction.
func directionName(d Direction) string {
	switch d {
	case ToHubSpot:
		return "to_hubspot"
	case ToSansan:
		return "to_sansan"
	case Both:
		return "both"
	case None:
		return "none"
	}
	return ""
}

// String returns "to_hubspot", "to_sansan", "both" or "none".
func (d Direction) String() string {
	if name := directionName(d); name != "" {
		return name
	}
	return "Direction(" + strconv.Itoa(int(d)) + ")"
}

// MarshalText implements [encoding.TextMarshaler] with the names of
// [Direction.String], so directions read well in configuration files.
func (d Direction) MarshalText() ([]byte, error) {
	if !d.valid() {
		return nil, fmt.Errorf("mapping: invalid direction %d", int(d))
	}
	return []byte(directionName(d)), nil
}

// UnmarshalText implements [encoding.TextUnmarshaler]; it accepts the names
// of [Direction.String].
func (d *Direction) UnmarshalText(text []byte) error {
	for v := ToHubSpot; v <= None; v++ {
		if directionName(v) == string(text) {
			*d = v
			return nil
		}
	}
	return fmt.Errorf("mapping: unknown direction %q", text)
}

func (d Direction) valid() bool { return d >= ToHubSpot && d <= None }

// FlowsToHubSpot reports whether d is ToHubSpot or Both.
func (d Direction) FlowsToHubSpot() bool { return d == ToHubSpot || d == Both }

// FlowsToSansan reports whether d is ToSansan or Both.
func (d Direction) FlowsToSansan() bool { return d == ToSansan || d == Both }

// Winner says whose value a two-way field keeps when both sides changed it
// since the last sync (a true conflict). It never overrides [Direction];
// blanks follow the mapping's [BlankPolicy].
type Winner int

// Winners. The zero value is WinnerSansan.
const (
	// WinnerSansan keeps the card's value.
	WinnerSansan Winner = iota
	// WinnerHubSpot keeps the contact's value.
	WinnerHubSpot
	// WinnerNewest keeps the value of the side updated last (card
	// updatedTime against contact lastmodifieddate); a tie goes to Sansan.
	WinnerNewest
)

// winnerName returns w's name, or "" for an invalid Winner.
func winnerName(w Winner) string {
	switch w {
	case WinnerSansan:
		return "sansan"
	case WinnerHubSpot:
		return "hubspot"
	case WinnerNewest:
		return "newest"
	}
	return ""
}

// String returns "sansan", "hubspot" or "newest".
func (w Winner) String() string {
	if name := winnerName(w); name != "" {
		return name
	}
	return "Winner(" + strconv.Itoa(int(w)) + ")"
}

// MarshalText implements [encoding.TextMarshaler] with the names of
// [Winner.String].
func (w Winner) MarshalText() ([]byte, error) {
	if !w.valid() {
		return nil, fmt.Errorf("mapping: invalid winner %d", int(w))
	}
	return []byte(winnerName(w)), nil
}

// UnmarshalText implements [encoding.TextUnmarshaler]; it accepts the names
// of [Winner.String].
func (w *Winner) UnmarshalText(text []byte) error {
	for v := WinnerSansan; v <= WinnerNewest; v++ {
		if winnerName(v) == string(text) {
			*w = v
			return nil
		}
	}
	return fmt.Errorf("mapping: unknown winner %q", text)
}

func (w Winner) valid() bool { return w >= WinnerSansan && w <= WinnerNewest }

// SansanWins reports whether, in a conflict, the card's value wins over the
// contact's. The update times are only used by WinnerNewest, where the card
// wins unless the contact was updated strictly later.
func (w Winner) SansanWins(cardUpdated, contactUpdated time.Time) bool {
	switch w {
	case WinnerHubSpot:
		return false
	case WinnerNewest:
		return !contactUpdated.After(cardUpdated)
	}
	return true
}

// BlankPolicy says when a blank card value clears a contact property that
// holds a value. The sync engine applies it with the value it last wrote
// (base), the contact's current value (theirs) and the card's (ours).
type BlankPolicy int

// Blank policies. The zero value is BlanksClearOwn.
const (
	// BlanksClearOwn clears a value the sync itself wrote and nobody changed
	// since (theirs equals base), and never a value a person or another
	// tool set, nor one on a contact the sync adopted and never wrote.
	BlanksClearOwn BlankPolicy = iota
	// BlanksNeverClear never lets a blank card value clear the property:
	// the last non-blank value stays, as in HubSpot's own integration.
	BlanksNeverClear
	// BlanksAlwaysClear writes "" for a blank card value on every write,
	// whoever set the contact's value (what ClearOnBlank did).
	BlanksAlwaysClear
)

// String returns "clear_own", "never_clear" or "always_clear".
func (b BlankPolicy) String() string {
	switch b {
	case BlanksClearOwn:
		return "clear_own"
	case BlanksNeverClear:
		return "never_clear"
	case BlanksAlwaysClear:
		return "always_clear"
	}
	return "BlankPolicy(" + strconv.Itoa(int(b)) + ")"
}

func (b BlankPolicy) valid() bool { return b >= BlanksClearOwn && b <= BlanksAlwaysClear }

// BlankPolicy returns the mapping's effective blank policy: Blanks, or
// BlanksAlwaysClear when the older ClearOnBlank is set.
func (m *Mapping) BlankPolicy() BlankPolicy {
	if m.ClearOnBlank {
		return BlanksAlwaysClear
	}
	return m.Blanks
}

// Overflow says what happens to a value longer than the limit of the side it
// is written to ([MaxPropertyLength] on HubSpot).
type Overflow int

// Overflow policies. The zero value is OverflowTruncate.
const (
	// OverflowTruncate cuts the value on a character boundary and ends it
	// with [TruncationMarker]; a [CodeTruncated] problem is reported and the
	// shortened value is written.
	OverflowTruncate Overflow = iota
	// OverflowReject leaves the field out and reports [CodeTooLong].
	OverflowReject
)

// ValueKind is the kind of value a mapping carries. It decides how values are
// normalized and which HubSpot property types accept them (see [Set.Validate]).
type ValueKind int

// Value kinds. The zero value is KindText.
const (
	// KindText is free text, written as printed (after the clean-up described
	// in the package documentation). Any string property accepts it.
	KindText ValueKind = iota
	// KindEmail is an e-mail address, written in its [NormalizeEmail] form;
	// invalid addresses are never written.
	KindEmail
	// KindDate is a calendar date "YYYY-MM-DD", for HubSpot date (or
	// datetime, or string) properties. It is never shifted by a time zone.
	KindDate
	// KindDateTime is an instant, written as RFC 3339 UTC with milliseconds.
	KindDateTime
	// KindNumber is a decimal number (digits, at most one dot, optional sign
	// and exponent; no thousands separators).
	KindNumber
	// KindBool is "true" or "false".
	KindBool
	// KindEnum is one option value of an enumeration property.
	KindEnum
	// KindMultiEnum is a set of option values joined by ";", for a multiple
	// checkbox enumeration. Values are sorted and de-duplicated.
	KindMultiEnum
)

// String returns the kind's name, e.g. "text" or "multi_enum".
func (k ValueKind) String() string {
	switch k {
	case KindText:
		return "text"
	case KindEmail:
		return "email"
	case KindDate:
		return "date"
	case KindDateTime:
		return "datetime"
	case KindNumber:
		return "number"
	case KindBool:
		return "bool"
	case KindEnum:
		return "enum"
	case KindMultiEnum:
		return "multi_enum"
	}
	return "ValueKind(" + strconv.Itoa(int(k)) + ")"
}

func (k ValueKind) valid() bool { return k >= KindText && k <= KindMultiEnum }

// Mapping maps one card field (or a function of the card) to one HubSpot
// contact property. The Property names the mapping inside a [Set].
type Mapping struct {
	// Property is the HubSpot contact property's internal name, e.g.
	// "jobtitle". It is required and unique within a Set.
	Property string
	// Source is the card field the value comes from: a BizCard JSON name
	// (e.g. "title") or a derived field: "owner" ("name (email)"),
	// "ownerId", "ownerName", "ownerEmail", "streetAddress" (street and
	// building, or address) or "tagNames" (names of the public and shared
	// tags, joined by "; "). Exactly one of Source and From is set.
	Source string
	// From computes the value from the card; it returns false when the card
	// has no value (treated as blank). It must be pure and must not retain
	// the card. A card is never nil when From is called.
	From func(card *sansan.BizCard) (string, bool)
	// To writes a contact value into a card registration request, the
	// inverse of From. It is required for a From mapping whose Direction
	// flows to Sansan and ignored otherwise; a returned error is reported as
	// a [CodeInvalidValue] problem and the value is left out.
	To func(req *sansan.RegisterBizCardRequest, value string) error
	// Kind is the kind of value From returns (KindText when zero). With a
	// Source, the field's own kind is used and Kind is filled in when the
	// mapping is added to a Set.
	Kind ValueKind
	// Values lists, for a KindEnum or KindMultiEnum mapping, every value it
	// can produce, when known; [Set.Validate] then checks that the target
	// enumeration has an option for each. With a Source of fixed values
	// (entryStatus) they are filled in when the mapping is added to a Set.
	Values []string
	// Direction is which way the value flows.
	Direction Direction
	// Winner settles two-way conflicts.
	Winner Winner
	// Blanks says when a blank card value clears the contact property; the
	// zero value, [BlanksClearOwn], is the engine's three-way value rule.
	Blanks BlankPolicy
	// ClearOnBlank is the older spelling of Blanks: [BlanksAlwaysClear]: a
	// card field that is nil or blank writes "" (clearing the property),
	// and a blank contact property counts as a change to propagate. It is
	// kept for source compatibility and wins over Blanks when set.
	ClearOnBlank bool
	// Overflow says what happens to values over HubSpot's length limit.
	Overflow Overflow
	// Disabled keeps the mapping in the Set without using it.
	Disabled bool
	// Version names the revision of From's logic. The sync engine notices
	// a changed mapping by its fingerprint (see [Set.Fingerprints]) and
	// backfills the property into existing contacts, but it cannot compare
	// two functions: change Version when From starts computing different
	// values. Mappings with a Source need no Version.
	Version string
	// Definition, when set, is the HubSpot property this mapping needs, so
	// the engine can create it before the first write (see
	// [Set.CustomProperties]). Its Name is filled from Property and its
	// GroupName defaults to [GroupName].
	Definition *hubspot.Property
}

// entry is a Mapping with its card field resolved.
type entry struct {
	m     Mapping
	field cardField // zero when m.From is set
}

// Set is an ordered set of mappings, keyed by HubSpot property. Build one
// with [Default] or [New] and adjust it with [Set.Add], [Set.Override],
// [Set.Disable], [Set.Enable] and [Set.Remove].
//
// A Set is not safe for concurrent modification; once built, its read-only
// methods ([Set.CardToProperties], [Set.PropertiesToCard],
// [Set.ContactValues] and the listing methods) may be called from many
// goroutines.
type Set struct {
	entries []entry
}

// New returns a Set holding the given mappings, in order, or an error
// (a [*ValidationError]) when one of them is malformed or two share a
// property. New() with no arguments returns an empty Set.
func New(mappings ...Mapping) (*Set, error) {
	s := &Set{entries: make([]entry, 0, len(mappings))}
	var problems []FieldProblem
	for _, m := range mappings {
		if err := s.Add(m); err != nil {
			problems = append(problems, problemsOf(err)...)
		}
	}
	if len(problems) > 0 {
		return nil, &ValidationError{Problems: problems}
	}
	return s, nil
}

// Clone returns an independent copy of s.
func (s *Set) Clone() *Set {
	c := &Set{entries: make([]entry, len(s.entries))}
	for i, e := range s.entries {
		e.m = copyMapping(e.m)
		c.entries[i] = e
	}
	return c
}

// Mappings returns copies of all mappings in order, disabled ones included.
func (s *Set) Mappings() []Mapping {
	out := make([]Mapping, len(s.entries))
	for i, e := range s.entries {
		out[i] = copyMapping(e.m)
	}
	return out
}

// Get returns a copy of the mapping for property and true, or false when
// the Set has none.
func (s *Set) Get(property string) (Mapping, bool) {
	if i := s.index(property); i >= 0 {
		return copyMapping(s.entries[i].m), true
	}
	return Mapping{}, false
}

// Add appends a mapping. It returns a [*ValidationError] when the mapping is
// malformed (see [Set.Validate] for the checks) or its property is already
// mapped; use [Set.Override] to replace a mapping.
func (s *Set) Add(m Mapping) error {
	if s.index(m.Property) >= 0 {
		return &ValidationError{Problems: []FieldProblem{{
			Property: m.Property, Field: m.Source, Code: CodeDuplicate,
			Message: "property is already mapped; use Override to replace the mapping",
		}}}
	}
	e, err := compile(m)
	if err != nil {
		return err
	}
	s.entries = append(s.entries, e)
	return nil
}

// Override replaces the mapping for m.Property, keeping its position. It
// returns a [*ValidationError] when m is malformed or the property is not
// mapped yet (use [Set.Add]).
func (s *Set) Override(m Mapping) error {
	i := s.index(m.Property)
	if i < 0 {
		return &ValidationError{Problems: []FieldProblem{{
			Property: m.Property, Field: m.Source, Code: CodeUnknownProperty,
			Message: "property is not mapped; use Add to add a mapping",
		}}}
	}
	e, err := compile(m)
	if err != nil {
		return err
	}
	s.entries[i] = e
	return nil
}

// Remove deletes the mapping for property. It returns a [*ValidationError]
// when the property is not mapped.
func (s *Set) Remove(property string) error {
	i, err := s.mustIndex(property)
	if err != nil {
		return err
	}
	s.entries = slices.Delete(s.entries, i, i+1)
	return nil
}

// Disable turns off the mapping for property; it stays listed. It returns a
// [*ValidationError] when the property is not mapped.
func (s *Set) Disable(property string) error {
	i, err := s.mustIndex(property)
	if err != nil {
		return err
	}
	s.entries[i].m.Disabled = true
	return nil
}

// Enable turns a disabled mapping back on. It returns a [*ValidationError]
// when the property is not mapped.
func (s *Set) Enable(property string) error {
	i, err := s.mustIndex(property)
	if err != nil {
		return err
	}
	s.entries[i].m.Disabled = false
	return nil
}

// PropertyNames returns the HubSpot properties to request when reading
// contacts: "email" and the property of every enabled mapping, in mapping
// order, without duplicates.
func (s *Set) PropertyNames() []string {
	out := make([]string, 0, len(s.entries)+1)
	out = append(out, "email")
	for _, e := range s.entries {
		if !e.m.Disabled && !slices.Contains(out, e.m.Property) {
			out = append(out, e.m.Property)
		}
	}
	return out
}

func (s *Set) index(property string) int {
	for i := range s.entries {
		if s.entries[i].m.Property == property {
			return i
		}
	}
	return -1
}

func (s *Set) mustIndex(property string) (int, error) {
	i := s.index(property)
	if i < 0 {
		return -1, &ValidationError{Problems: []FieldProblem{{
			Property: property, Code: CodeUnknownProperty, Message: "property is not mapped",
		}}}
	}
	return i, nil
}

// compile checks a single mapping and resolves its card field. The checks
// are those of Validate that need no other mapping and no HubSpot data.
func compile(m Mapping) (entry, error) {
	m = copyMapping(m)
	var problems []FieldProblem
	bad := func(code ProblemCode, msg string) {
		problems = append(problems, FieldProblem{Property: m.Property, Field: m.Source, Code: code, Message: msg})
	}
	var f cardField
	switch {
	case m.Property == "":
		bad(CodeInvalidMapping, "property name is empty")
	case !plausiblePropertyName(m.Property):
		bad(CodeInvalidMapping, "property name must be printable ASCII without spaces or \";\"")
	}
	switch {
	case m.Source != "" && m.From != nil:
		bad(CodeInvalidMapping, "both Source and From are set")
	case m.Source == "" && m.From == nil:
		bad(CodeInvalidMapping, "neither Source nor From is set")
	case m.Source != "":
		var ok bool
		if f, ok = lookupField(m.Source); !ok {
			bad(CodeUnknownField, "unknown card field; see Mapping.Source")
		} else {
			m.Kind = f.kind
			if f.values != nil {
				m.Values = slices.Clone(f.values)
			}
		}
	}
	if !m.Kind.valid() {
		bad(CodeInvalidMapping, "invalid kind "+m.Kind.String())
	}
	if !m.Direction.valid() {
		bad(CodeInvalidMapping, "invalid direction "+m.Direction.String())
	}
	if !m.Winner.valid() {
		bad(CodeInvalidMapping, "invalid winner "+m.Winner.String())
	}
	if !m.Blanks.valid() {
		bad(CodeInvalidMapping, "invalid blank policy "+m.Blanks.String())
	}
	if m.Overflow != OverflowTruncate && m.Overflow != OverflowReject {
		bad(CodeInvalidMapping, "invalid overflow policy "+strconv.Itoa(int(m.Overflow)))
	}
	if m.Direction.FlowsToSansan() {
		switch {
		case m.From != nil && m.To == nil:
			bad(CodeNotReversible, "direction "+m.Direction.String()+" needs To for a From mapping")
		case m.Source != "" && f.name != "" && f.set == nil:
			bad(CodeNotReversible, "card field cannot be written to Sansan (POST /bizCards has no such field)")
		}
	}
	if d := m.Definition; d != nil {
		if d.Name == "" {
			d.Name = m.Property
		}
		if d.GroupName == "" {
			d.GroupName = GroupName
		}
		switch {
		case d.Name != m.Property:
			bad(CodeInvalidMapping, "definition name "+strconv.Quote(d.Name)+" differs from the property")
		case !validNewPropertyName(d.Name):
			bad(CodeInvalidMapping, "a property to create needs a name of lower-case letters, digits and underscores, starting with a letter")
		case d.Label == "" || d.Type == "" || d.FieldType == "":
			bad(CodeInvalidMapping, "definition needs a label, type and fieldType")
		default:
			if code, msg := checkType(m.Kind, d, m.Values); code != "" {
				bad(code, "definition: "+msg)
			}
		}
	}
	if len(problems) > 0 {
		return entry{}, &ValidationError{Problems: problems}
	}
	return entry{m: m, field: f}, nil
}

// plausiblePropertyName reports whether name can be a HubSpot property
// name; whether it exists is for [Set.Validate] to find out.
func plausiblePropertyName(name string) bool {
	for i := 0; i < len(name); i++ {
		if c := name[i]; c <= ' ' || c >= 0x7f || c == ';' {
			return false
		}
	}
	return name != ""
}

// validNewPropertyName reports whether name follows HubSpot's rule for the
// internal name of a new property.
func validNewPropertyName(name string) bool {
	if name == "" || name[0] < 'a' || name[0] > 'z' {
		return false
	}
	for i := 0; i < len(name); i++ {
		if c := name[i]; !isLowerAlnum(c) && c != '_' {
			return false
		}
	}
	return true
}

// copyMapping returns m with its Definition and Values deep-copied, so Sets
// never share mutable state.
func copyMapping(m Mapping) Mapping {
	m.Values = slices.Clone(m.Values)
	if m.Definition != nil {
		d := *m.Definition
		d.Options = slices.Clone(d.Options)
		m.Definition = &d
	}
	return m
}
