package mapping_test

import (
	"errors"
	"testing"

	"github.com/cardbridge/sansanhubspot/mapping"
	"github.com/cardbridge/sansanhubspot/sansan"
)

func TestBlankPolicy(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		m         mapping.Mapping
		want      mapping.BlankPolicy
		wantEmpty bool // CardToProperties writes "" for the blank title
	}{
		{name: "default clears the sync's own values", m: mapping.Mapping{Property: "jobtitle", Source: "title"}, want: mapping.BlanksClearOwn},
		{name: "never clear", m: mapping.Mapping{Property: "jobtitle", Source: "title", Blanks: mapping.BlanksNeverClear}, want: mapping.BlanksNeverClear},
		{name: "always clear", m: mapping.Mapping{Property: "jobtitle", Source: "title", Blanks: mapping.BlanksAlwaysClear}, want: mapping.BlanksAlwaysClear, wantEmpty: true},
		{name: "ClearOnBlank is always clear", m: mapping.Mapping{Property: "jobtitle", Source: "title", ClearOnBlank: true}, want: mapping.BlanksAlwaysClear, wantEmpty: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := tc.m.BlankPolicy(); got != tc.want {
				t.Errorf("BlankPolicy() = %v, want %v", got, tc.want)
			}
			s, err := mapping.New(tc.m)
			if err != nil {
				t.Fatal(err)
			}
			v, ok := s.CardToProperties(&sansan.BizCard{ID: "C1"}).Properties["jobtitle"]
			if ok != tc.wantEmpty || v != "" {
				t.Errorf("blank title: Properties[jobtitle] = %q (present %t), want present %t and empty", v, ok, tc.wantEmpty)
			}
		})
	}
}

func TestBlankPolicyInvalid(t *testing.T) {
	t.Parallel()
	_, err := mapping.New(mapping.Mapping{Property: "jobtitle", Source: "title", Blanks: mapping.BlankPolicy(9)})
	if !errors.Is(err, mapping.CodeInvalidMapping) {
		t.Errorf("New with an unknown blank policy: %v, want CodeInvalidMapping", err)
	}
}

func TestContactValueCanonical(t *testing.T) {
	t.Parallel()
	s := mapping.Default()
	if got := s.ContactValue("sansan_exchange_date", "2024-04-01T00:00:00.000Z"); got != "2024-04-01" {
		t.Errorf("ContactValue(date) = %q, want the canonical 2024-04-01", got)
	}
	if got := s.ContactValue("not_mapped", " raw "); got != " raw " {
		t.Errorf("ContactValue(unmapped) = %q, want the raw value", got)
	}
}
