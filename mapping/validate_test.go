package mapping_test

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/cardbridge/sansanhubspot/hubspot"
	"github.com/cardbridge/sansanhubspot/mapping"
	"github.com/cardbridge/sansanhubspot/sansan"
)

// loadProperties reads a GET /crm/v3/properties/contacts response.
func loadProperties(t *testing.T, name string) []hubspot.Property {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	var resp struct {
		Results []hubspot.Property `json:"results"`
	}
	if err := json.Unmarshal(b, &resp); err != nil {
		t.Fatalf("decoding %s: %v", name, err)
	}
	return resp.Results
}

// liveProperties is a portal's contact properties after the custom
// properties were created.
func liveProperties(t *testing.T) []hubspot.Property {
	t.Helper()
	return append(loadProperties(t, "contact_properties.json"), loadProperties(t, "custom_properties.json")...)
}

func withValues(m mapping.Mapping, values ...string) mapping.Mapping {
	m.Values = values
	return m
}

type problemKey struct {
	Property string
	Code     mapping.ProblemCode
}

func TestValidate(t *testing.T) {
	t.Parallel()
	from := func(k mapping.ValueKind, prop string, d mapping.Direction) mapping.Mapping {
		return mapping.Mapping{Property: prop, Kind: k, Direction: d,
			From: func(*sansan.BizCard) (string, bool) { return "", false },
			To:   func(*sansan.RegisterBizCardRequest, string) error { return nil }}
	}
	custom := func(ms ...mapping.Mapping) func(t *testing.T) *mapping.Set {
		return func(t *testing.T) *mapping.Set {
			t.Helper()
			s, err := mapping.New(ms...)
			if err != nil {
				t.Fatal(err)
			}
			return s
		}
	}
	tests := []struct {
		name  string
		set   func(t *testing.T) *mapping.Set
		props func(t *testing.T) []hubspot.Property
		want  []problemKey
	}{
		{
			name:  "default set against a ready portal",
			set:   func(*testing.T) *mapping.Set { return mapping.Default() },
			props: liveProperties,
		},
		{
			name:  "custom properties not created yet",
			set:   func(*testing.T) *mapping.Set { return mapping.Default() },
			props: func(t *testing.T) []hubspot.Property { return loadProperties(t, "contact_properties.json") },
			want: []problemKey{
				{"sansan_department", mapping.CodeMissingCustomProperty},
				{"sansan_last_name_reading", mapping.CodeMissingCustomProperty},
				{"sansan_first_name_reading", mapping.CodeMissingCustomProperty},
				{"sansan_exchange_date", mapping.CodeMissingCustomProperty},
				{"sansan_card_id", mapping.CodeMissingCustomProperty},
				{"sansan_person_id", mapping.CodeMissingCustomProperty},
				{"sansan_company_id", mapping.CodeMissingCustomProperty},
				{"sansan_owner", mapping.CodeMissingCustomProperty},
				{"sansan_tags", mapping.CodeMissingCustomProperty},
			},
		},
		{
			name:  "no properties at all",
			set:   custom(mapping.Mapping{Property: "email", Source: "email"}),
			props: func(*testing.T) []hubspot.Property { return nil },
			want:  []problemKey{{"email", mapping.CodeUnknownProperty}},
		},
		{
			name: "unknown, archived, disabled and none",
			set: func(t *testing.T) *mapping.Set {
				s := custom(
					mapping.Mapping{Property: "nickname", Source: "title"},
					mapping.Mapping{Property: "old_notes", Source: "memo"},
					mapping.Mapping{Property: "ghost", Source: "memo", Disabled: true},
					mapping.Mapping{Property: "phantom", Source: "memo", Direction: mapping.None},
					mapping.Mapping{Property: "annualrevenue", Source: "memo", Direction: mapping.None},
				)(t)
				return s
			},
			props: liveProperties,
			want: []problemKey{
				{"nickname", mapping.CodeUnknownProperty},
				{"old_notes", mapping.CodeUnknownProperty},
				{"phantom", mapping.CodeUnknownProperty},
			},
		},
		{
			name: "read-only properties",
			set: custom(
				mapping.Mapping{Property: "hs_email_domain", Source: "email"},
				mapping.Mapping{Property: "lastmodifieddate", Source: "exchangeDate"},
				mapping.Mapping{Property: "createdate", Source: "exchangeDate", Direction: mapping.ToSansan},
			),
			props: liveProperties,
			want: []problemKey{
				{"hs_email_domain", mapping.CodeReadOnly},
				{"lastmodifieddate", mapping.CodeReadOnly},
			},
		},
		{
			name: "type mismatches",
			set: custom(
				mapping.Mapping{Property: "annualrevenue", Source: "title"},
				mapping.Mapping{Property: "hs_lead_status", Source: "title"},
				mapping.Mapping{Property: "first_met", Source: "registeredTime"},
				mapping.Mapping{Property: "lifecyclestage", Source: "tags"},
				from(mapping.KindText, "is_vip", mapping.ToHubSpot),
				from(mapping.KindNumber, "card_status", mapping.ToHubSpot),
			),
			props: liveProperties,
			want: []problemKey{
				{"annualrevenue", mapping.CodeTypeMismatch},
				{"hs_lead_status", mapping.CodeTypeMismatch},
				{"first_met", mapping.CodeTypeMismatch},
				{"lifecyclestage", mapping.CodeTypeMismatch},
				{"is_vip", mapping.CodeTypeMismatch},
				{"card_status", mapping.CodeTypeMismatch},
			},
		},
		{
			name: "matching types",
			set: custom(
				mapping.Mapping{Property: "first_met", Source: "exchangeDate"},
				mapping.Mapping{Property: "createdate", Source: "exchangeDate", Direction: mapping.ToSansan},
				mapping.Mapping{Property: "interests", Source: "tags"},
				mapping.Mapping{Property: "card_status_all", Source: "entryStatus"},
				mapping.Mapping{Property: "message", Source: "memo", Direction: mapping.Both},
				mapping.Mapping{Property: "hs_lead_status", Source: "title", Direction: mapping.ToSansan},
				mapping.Mapping{Property: "annualrevenue", Source: "departmentName", Direction: mapping.ToSansan},
				mapping.Mapping{Property: "phone", Source: "tel"},
				from(mapping.KindBool, "is_vip", mapping.Both),
				from(mapping.KindNumber, "hs_object_id", mapping.ToSansan),
				withValues(from(mapping.KindEnum, "lifecyclestage", mapping.ToHubSpot), "lead", "customer"),
				from(mapping.KindDateTime, "email", mapping.ToHubSpot),
			),
			props: liveProperties,
		},
		{
			name: "missing enumeration options",
			set: custom(
				mapping.Mapping{Property: "card_status", Source: "entryStatus"},
				mapping.Mapping{Property: "hs_lead_status", Source: "entryStatus"},
				withValues(from(mapping.KindEnum, "lifecyclestage", mapping.ToHubSpot), "lead", "partner"),
				withValues(from(mapping.KindMultiEnum, "interests", mapping.ToHubSpot), "a", "c"),
			),
			props: liveProperties,
			want: []problemKey{
				{"card_status", mapping.CodeMissingOption},
				{"hs_lead_status", mapping.CodeMissingOption},
				{"lifecyclestage", mapping.CodeMissingOption},
				{"interests", mapping.CodeMissingOption},
			},
		},
		{
			name: "two mappings write the same card field",
			set: func(t *testing.T) *mapping.Set {
				return setWith(t, func(s *mapping.Set) error {
					return s.Add(mapping.Mapping{Property: "message", Source: "street", Direction: mapping.Both})
				})
			},
			props: liveProperties,
			want:  []problemKey{{"message", mapping.CodeDuplicate}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := tt.set(t).Validate(tt.props(t))
			var got []problemKey
			if err != nil {
				var ve *mapping.ValidationError
				if !errors.As(err, &ve) {
					t.Fatalf("error %v (%T) is not a *ValidationError", err, err)
				}
				for _, p := range ve.Problems {
					got = append(got, problemKey{p.Property, p.Code})
					if p.Message == "" {
						t.Errorf("problem %+v has no message", p)
					}
				}
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("problems mismatch (-want +got):\n%s\nerror: %v", diff, err)
			}
		})
	}
}

func TestValidationErrorMessages(t *testing.T) {
	t.Parallel()
	s, err := mapping.New(
		mapping.Mapping{Property: "card_status", Source: "entryStatus"},
		mapping.Mapping{Property: "annualrevenue", Source: "title"},
	)
	if err != nil {
		t.Fatal(err)
	}
	err = s.Validate(liveProperties(t))
	const want = `mapping: 2 problems: property "card_status" (card field "entryStatus"): missing_option: ` +
		`enumeration has no option for "unreadable"; property "annualrevenue" (card field "title"): type_mismatch: ` +
		`text value cannot be written to a property of type "number" (fieldType "number")`
	if err == nil || err.Error() != want {
		t.Errorf("Validate error:\n got %v\nwant %s", err, want)
	}
	if !errors.Is(err, mapping.CodeMissingOption) || !errors.Is(err, mapping.CodeTypeMismatch) || errors.Is(err, mapping.CodeReadOnly) {
		t.Error("errors.Is does not find exactly the problem codes present")
	}
	var fp *mapping.FieldProblem
	if !errors.As(err, &fp) || fp.Property != "card_status" {
		t.Errorf("errors.As(*FieldProblem) = %+v", fp)
	}
	one := &mapping.ValidationError{Problems: []mapping.FieldProblem{{Field: "memo", Code: mapping.CodeTooLong}}}
	if got := one.Error(); got != `mapping: card field "memo": too_long` {
		t.Errorf("single problem error = %q", got)
	}
	if got := (&mapping.ValidationError{}).Error(); got != "mapping: invalid mapping set" {
		t.Errorf("empty ValidationError = %q", got)
	}
	if got := (&mapping.FieldProblem{Code: mapping.CodeMissingRequired, Message: "m"}).Error(); got != "mapping: missing_required: m" {
		t.Errorf("FieldProblem without names = %q", got)
	}
}
