package mapping_test

import (
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/cardbridge/sansanhubspot/hubspot"
	"github.com/cardbridge/sansanhubspot/mapping"
	"github.com/cardbridge/sansanhubspot/sansan"
)

// row is the part of a Mapping that the default table fixes.
type row struct {
	Property  string
	Source    string
	Kind      mapping.ValueKind
	Direction mapping.Direction
	Winner    mapping.Winner
	Custom    bool
}

func rows(ms []mapping.Mapping) []row {
	out := make([]row, len(ms))
	for i, m := range ms {
		out[i] = row{m.Property, m.Source, m.Kind, m.Direction, m.Winner, m.Definition != nil}
	}
	return out
}

func TestDefault(t *testing.T) {
	t.Parallel()
	both, toHS := mapping.Both, mapping.ToHubSpot
	text := mapping.KindText
	want := []row{
		{"email", "email", mapping.KindEmail, both, mapping.WinnerSansan, false},
		{"lastname", "lastName", text, both, mapping.WinnerSansan, false},
		{"firstname", "firstName", text, both, mapping.WinnerSansan, false},
		{"company", "companyName", text, both, mapping.WinnerSansan, false},
		{"jobtitle", "title", text, both, mapping.WinnerSansan, false},
		{"phone", "tel", text, both, mapping.WinnerSansan, false},
		{"mobilephone", "mobile", text, both, mapping.WinnerSansan, false},
		{"fax", "fax", text, both, mapping.WinnerSansan, false},
		{"website", "url", text, both, mapping.WinnerSansan, false},
		{"zip", "postalCode", text, both, mapping.WinnerSansan, false},
		{"state", "prefecture", text, both, mapping.WinnerSansan, false},
		{"city", "city", text, both, mapping.WinnerSansan, false},
		{"address", "streetAddress", text, both, mapping.WinnerSansan, false},
		{"country", "countryCode", text, both, mapping.WinnerSansan, false},
		{"sansan_department", "departmentName", text, both, mapping.WinnerSansan, true},
		{"sansan_last_name_reading", "lastNameReading", text, both, mapping.WinnerSansan, true},
		{"sansan_first_name_reading", "firstNameReading", text, both, mapping.WinnerSansan, true},
		{"sansan_exchange_date", "exchangeDate", mapping.KindDate, both, mapping.WinnerSansan, true},
		{"sansan_card_id", "id", text, toHS, mapping.WinnerSansan, true},
		{"sansan_person_id", "personId", text, toHS, mapping.WinnerSansan, true},
		{"sansan_company_id", "companyId", text, toHS, mapping.WinnerSansan, true},
		{"sansan_owner", "owner", text, toHS, mapping.WinnerSansan, true},
		{"sansan_tags", "tags", mapping.KindMultiEnum, toHS, mapping.WinnerSansan, true},
	}
	got := mapping.Default().Mappings()
	if diff := cmp.Diff(want, rows(got)); diff != "" {
		t.Errorf("default mappings mismatch (-want +got):\n%s", diff)
	}
	for _, m := range got {
		if m.ClearOnBlank || m.Disabled || m.Overflow != mapping.OverflowTruncate {
			t.Errorf("default mapping %q: ClearOnBlank=%v Disabled=%v Overflow=%v, want false/false/truncate",
				m.Property, m.ClearOnBlank, m.Disabled, m.Overflow)
		}
	}
}

func TestDefaultIsFresh(t *testing.T) {
	t.Parallel()
	a := mapping.Default()
	if err := a.Disable("fax"); err != nil {
		t.Fatal(err)
	}
	if err := a.Remove("phone"); err != nil {
		t.Fatal(err)
	}
	m, _ := a.Get("sansan_owner")
	m.Definition.Label = "changed"
	m.Definition.Options = append(m.Definition.Options, hubspot.PropertyOption{Value: "x"})
	a.Mappings()[0].Definition = &hubspot.Property{Name: "changed"}

	b := mapping.Default()
	if diff := cmp.Diff(rows(b.Mappings()), rows(mapping.Default().Mappings())); diff != "" {
		t.Fatalf("Default() differs between calls (-want +got):\n%s", diff)
	}
	for _, set := range []*mapping.Set{a, b} {
		m, ok := set.Get("sansan_owner")
		if !ok || m.Definition.Label != "Card owner (Sansan)" || len(m.Definition.Options) != 0 {
			t.Errorf("changing a returned mapping leaked into the set: %+v", m.Definition)
		}
	}
	if m, _ := b.Get("fax"); m.Disabled {
		t.Error("disabling fax in one default set disabled it in another")
	}
	if _, ok := b.Get("phone"); !ok {
		t.Error("removing phone from one default set removed it from another")
	}
	if err := a.Add(mapping.Mapping{Property: "card_status", Source: "entryStatus"}); err != nil {
		t.Fatal(err)
	}
	st, _ := a.Get("card_status")
	if diff := cmp.Diff([]string{"processing", "completed", "unreadable"}, st.Values); diff != "" || st.Kind != mapping.KindEnum {
		t.Errorf("entryStatus mapping: kind %v, values mismatch (-want +got):\n%s", st.Kind, diff)
	}
	st.Values[0] = "changed"
	if again, _ := a.Get("card_status"); again.Values[0] != "processing" {
		t.Error("changing returned Values leaked into the set")
	}
	c := a.Clone()
	if err := c.Enable("fax"); err != nil {
		t.Fatal(err)
	}
	if m, _ := a.Get("fax"); !m.Disabled {
		t.Error("enabling fax in a clone enabled it in the original")
	}
}

func TestSetEditing(t *testing.T) {
	t.Parallel()
	from := func(*sansan.BizCard) (string, bool) { return "x", true }
	to := func(*sansan.RegisterBizCardRequest, string) error { return nil }
	tests := []struct {
		name  string
		edit  func(s *mapping.Set) error
		codes []mapping.ProblemCode // nil: success
	}{
		{"add custom field", func(s *mapping.Set) error {
			return s.Add(mapping.Mapping{Property: "sansan_memo", Source: "memo"})
		}, nil},
		{"add custom function", func(s *mapping.Set) error {
			return s.Add(mapping.Mapping{Property: "hs_note", From: from})
		}, nil},
		{"add reversible function", func(s *mapping.Set) error {
			return s.Add(mapping.Mapping{Property: "hs_note", From: from, To: to, Direction: mapping.Both})
		}, nil},
		{"add duplicate", func(s *mapping.Set) error {
			return s.Add(mapping.Mapping{Property: "fax", Source: "secondTel"})
		}, []mapping.ProblemCode{mapping.CodeDuplicate}},
		{"add empty property", func(s *mapping.Set) error {
			return s.Add(mapping.Mapping{Source: "memo"})
		}, []mapping.ProblemCode{mapping.CodeInvalidMapping}},
		{"add property with space", func(s *mapping.Set) error {
			return s.Add(mapping.Mapping{Property: "my prop", Source: "memo"})
		}, []mapping.ProblemCode{mapping.CodeInvalidMapping}},
		{"add unknown field", func(s *mapping.Set) error {
			return s.Add(mapping.Mapping{Property: "x", Source: "nickname"})
		}, []mapping.ProblemCode{mapping.CodeUnknownField}},
		{"add both source and from", func(s *mapping.Set) error {
			return s.Add(mapping.Mapping{Property: "x", Source: "memo", From: from})
		}, []mapping.ProblemCode{mapping.CodeInvalidMapping}},
		{"add neither source nor from", func(s *mapping.Set) error {
			return s.Add(mapping.Mapping{Property: "x"})
		}, []mapping.ProblemCode{mapping.CodeInvalidMapping}},
		{"add from to Sansan without To", func(s *mapping.Set) error {
			return s.Add(mapping.Mapping{Property: "x", From: from, Direction: mapping.ToSansan})
		}, []mapping.ProblemCode{mapping.CodeNotReversible}},
		{"add id to Sansan", func(s *mapping.Set) error {
			return s.Add(mapping.Mapping{Property: "x", Source: "personId", Direction: mapping.Both})
		}, []mapping.ProblemCode{mapping.CodeNotReversible}},
		{"add bad enums", func(s *mapping.Set) error {
			return s.Add(mapping.Mapping{Property: "x", From: from, Kind: 99, Direction: 9, Winner: -1, Overflow: 5})
		}, []mapping.ProblemCode{mapping.CodeInvalidMapping, mapping.CodeInvalidMapping, mapping.CodeInvalidMapping, mapping.CodeInvalidMapping}},
		{"add definition with other name", func(s *mapping.Set) error {
			return s.Add(mapping.Mapping{Property: "x_memo", Source: "memo",
				Definition: &hubspot.Property{Name: "y_memo", Label: "Memo", Type: "string", FieldType: "textarea"}})
		}, []mapping.ProblemCode{mapping.CodeInvalidMapping}},
		{"add definition with upper-case name", func(s *mapping.Set) error {
			return s.Add(mapping.Mapping{Property: "X_Memo", Source: "memo",
				Definition: &hubspot.Property{Label: "Memo", Type: "string", FieldType: "textarea"}})
		}, []mapping.ProblemCode{mapping.CodeInvalidMapping}},
		{"add incomplete definition", func(s *mapping.Set) error {
			return s.Add(mapping.Mapping{Property: "x_memo", Source: "memo", Definition: &hubspot.Property{Label: "Memo"}})
		}, []mapping.ProblemCode{mapping.CodeInvalidMapping}},
		{"add definition of the wrong type", func(s *mapping.Set) error {
			return s.Add(mapping.Mapping{Property: "x_date", Source: "exchangeDate",
				Definition: &hubspot.Property{Label: "Date", Type: "number", FieldType: "number"}})
		}, []mapping.ProblemCode{mapping.CodeTypeMismatch}},
		{"override", func(s *mapping.Set) error {
			return s.Override(mapping.Mapping{Property: "phone", Source: "secondTel"})
		}, nil},
		{"override unknown", func(s *mapping.Set) error {
			return s.Override(mapping.Mapping{Property: "nope", Source: "memo"})
		}, []mapping.ProblemCode{mapping.CodeUnknownProperty}},
		{"override malformed", func(s *mapping.Set) error {
			return s.Override(mapping.Mapping{Property: "phone", Source: "nickname"})
		}, []mapping.ProblemCode{mapping.CodeUnknownField}},
		{"disable unknown", func(s *mapping.Set) error { return s.Disable("nope") }, []mapping.ProblemCode{mapping.CodeUnknownProperty}},
		{"enable unknown", func(s *mapping.Set) error { return s.Enable("nope") }, []mapping.ProblemCode{mapping.CodeUnknownProperty}},
		{"remove unknown", func(s *mapping.Set) error { return s.Remove("nope") }, []mapping.ProblemCode{mapping.CodeUnknownProperty}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := mapping.Default()
			before := rows(s.Mappings())
			err := tt.edit(s)
			if tt.codes == nil {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				return
			}
			var ve *mapping.ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("error %v (%T) is not a *ValidationError", err, err)
			}
			var codes []mapping.ProblemCode
			for _, p := range ve.Problems {
				codes = append(codes, p.Code)
			}
			if diff := cmp.Diff(tt.codes, codes); diff != "" {
				t.Errorf("problem codes mismatch (-want +got):\n%s\n%v", diff, err)
			}
			for _, c := range tt.codes {
				if !errors.Is(err, c) {
					t.Errorf("errors.Is(err, %v) = false", c)
				}
			}
			if diff := cmp.Diff(before, rows(s.Mappings())); diff != "" {
				t.Errorf("a failed edit changed the set (-want +got):\n%s", diff)
			}
		})
	}
}

func TestSetEditingEffects(t *testing.T) {
	t.Parallel()
	s := mapping.Default()
	if err := s.Override(mapping.Mapping{Property: "phone", Source: "secondTel", Winner: mapping.WinnerHubSpot}); err != nil {
		t.Fatal(err)
	}
	if err := s.Disable("fax"); err != nil {
		t.Fatal(err)
	}
	if err := s.Remove("website"); err != nil {
		t.Fatal(err)
	}
	if err := s.Add(mapping.Mapping{Property: "sansan_memo", Source: "memo"}); err != nil {
		t.Fatal(err)
	}
	ms := s.Mappings()
	if ms[5].Property != "phone" || ms[5].Source != "secondTel" || ms[5].Winner != mapping.WinnerHubSpot {
		t.Errorf("override did not replace phone in place: %+v", ms[5])
	}
	if !ms[7].Disabled || ms[7].Property != "fax" {
		t.Errorf("fax not disabled: %+v", ms[7])
	}
	if _, ok := s.Get("website"); ok {
		t.Error("website still mapped after Remove")
	}
	if last := ms[len(ms)-1]; last.Property != "sansan_memo" {
		t.Errorf("added mapping not last: %+v", last)
	}
	card := &sansan.BizCard{Tel: sansan.Ptr("03-1"), SecondTel: sansan.Ptr("03-2"), Fax: sansan.Ptr("03-3"),
		URL: sansan.Ptr("https://example.com"), Memo: sansan.Ptr("met at expo")}
	got := s.CardToProperties(card).Properties
	want := hubspot.PropertyValues{"phone": "03-2", "sansan_memo": "met at expo"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("CardToProperties after edits mismatch (-want +got):\n%s", diff)
	}
	names := s.PropertyNames()
	if names[0] != "email" {
		t.Errorf("PropertyNames()[0] = %q, want email", names[0])
	}
	for _, n := range names {
		if n == "fax" || n == "website" {
			t.Errorf("PropertyNames() lists %q", n)
		}
	}
}

func TestNew(t *testing.T) {
	t.Parallel()
	s, err := mapping.New()
	if err != nil || len(s.Mappings()) != 0 {
		t.Fatalf("New() = %v, %v; want an empty set", s.Mappings(), err)
	}
	if got := s.CardToProperties(&sansan.BizCard{Email: sansan.Ptr("a@example.com")}); len(got.Properties) != 0 || got.Email.Status != mapping.EmailValid {
		t.Errorf("empty set converted %+v", got)
	}
	_, err = mapping.New(
		mapping.Mapping{Property: "email", Source: "email"},
		mapping.Mapping{Property: "email", Source: "ownerEmail"},
		mapping.Mapping{Property: "x", Source: "nope"},
	)
	var ve *mapping.ValidationError
	if !errors.As(err, &ve) || len(ve.Problems) != 2 {
		t.Fatalf("New with two bad mappings: %v", err)
	}
	if !errors.Is(err, mapping.CodeDuplicate) || !errors.Is(err, mapping.CodeUnknownField) {
		t.Errorf("New error lacks a code: %v", err)
	}
	s, err = mapping.New(mapping.Mapping{Property: "email", Source: "email"})
	if err != nil || len(s.PropertyNames()) != 1 {
		t.Errorf("New(email) = %v, %v", s.PropertyNames(), err)
	}
}

func TestDirectionAndWinnerText(t *testing.T) {
	t.Parallel()
	type config struct {
		D mapping.Direction `json:"d"`
		W mapping.Winner    `json:"w"`
	}
	for _, tt := range []struct {
		cfg  config
		json string
	}{
		{config{mapping.ToHubSpot, mapping.WinnerSansan}, `{"d":"to_hubspot","w":"sansan"}`},
		{config{mapping.ToSansan, mapping.WinnerHubSpot}, `{"d":"to_sansan","w":"hubspot"}`},
		{config{mapping.Both, mapping.WinnerNewest}, `{"d":"both","w":"newest"}`},
		{config{mapping.None, mapping.WinnerSansan}, `{"d":"none","w":"sansan"}`},
	} {
		b, err := json.Marshal(tt.cfg)
		if err != nil {
			t.Fatal(err)
		}
		if string(b) != tt.json {
			t.Errorf("Marshal(%+v) = %s, want %s", tt.cfg, b, tt.json)
		}
		var back config
		if err := json.Unmarshal(b, &back); err != nil || back != tt.cfg {
			t.Errorf("Unmarshal(%s) = %+v, %v", b, back, err)
		}
	}
	var c config
	if err := json.Unmarshal([]byte(`{"d":"sideways"}`), &c); err == nil {
		t.Error("unknown direction accepted")
	}
	if err := json.Unmarshal([]byte(`{"w":"loudest"}`), &c); err == nil {
		t.Error("unknown winner accepted")
	}
	if _, err := json.Marshal(config{D: 7}); err == nil {
		t.Error("invalid direction marshalled")
	}
	if _, err := json.Marshal(config{W: 7}); err == nil {
		t.Error("invalid winner marshalled")
	}
	if got := mapping.Direction(7).String() + mapping.Winner(8).String() + mapping.ValueKind(9).String(); got != "Direction(7)Winner(8)ValueKind(9)" {
		t.Errorf("String of invalid values = %q", got)
	}
	flows := map[mapping.Direction][2]bool{
		mapping.ToHubSpot: {true, false}, mapping.ToSansan: {false, true},
		mapping.Both: {true, true}, mapping.None: {false, false},
	}
	for d, want := range flows {
		if got := [2]bool{d.FlowsToHubSpot(), d.FlowsToSansan()}; got != want {
			t.Errorf("%v flows (HubSpot, Sansan) = %v, want %v", d, got, want)
		}
	}
}

func TestWinnerSansanWins(t *testing.T) {
	t.Parallel()
	early := time.Date(2024, 4, 1, 9, 0, 0, 0, time.UTC)
	late := early.Add(time.Minute)
	tests := []struct {
		w              mapping.Winner
		card, contact  time.Time
		wantSansanWins bool
	}{
		{mapping.WinnerSansan, early, late, true},
		{mapping.WinnerHubSpot, late, early, false},
		{mapping.WinnerNewest, late, early, true},
		{mapping.WinnerNewest, early, late, false},
		{mapping.WinnerNewest, early, early, true},
		{mapping.WinnerNewest, early.In(sansan.JST), early, true},
	}
	for _, tt := range tests {
		if got := tt.w.SansanWins(tt.card, tt.contact); got != tt.wantSansanWins {
			t.Errorf("%v.SansanWins(%v, %v) = %v, want %v", tt.w, tt.card, tt.contact, got, tt.wantSansanWins)
		}
	}
}

func TestFieldNamesAllUsable(t *testing.T) {
	t.Parallel()
	s, _ := mapping.New()
	for _, name := range mapping.FieldNames() {
		if err := s.Add(mapping.Mapping{Property: "x_" + name, Source: name}); err != nil {
			t.Errorf("field %q: %v", name, err)
		}
	}
	card := fullCard()
	res := s.CardToProperties(card)
	if len(res.Problems) != 0 {
		t.Errorf("problems converting every field: %v", res.Problems)
	}
	for _, name := range mapping.FieldNames() {
		if _, ok := res.Properties["x_"+name]; !ok {
			t.Errorf("field %q gave no value for a full card", name)
		}
	}
}
