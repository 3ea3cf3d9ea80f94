package fleet_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/cardbridge/sansanhubspot/fleet"
	"github.com/cardbridge/sansanhubspot/hubspot"
	"github.com/cardbridge/sansanhubspot/mapping"
	"github.com/cardbridge/sansanhubspot/syncer"
)

func jsonMarshal(v any) ([]byte, error) { return json.Marshal(v) }

func TestSpecValidate(t *testing.T) {
	t.Parallel()
	ok := func() fleet.Spec { return fleet.Spec{PortalID: 1, Accounts: []fleet.AccountSpec{{Name: "a"}}} }
	tests := []struct {
		name    string
		mut     func(*fleet.Spec)
		wantErr string
	}{
		{name: "minimal", mut: func(*fleet.Spec) {}},
		{name: "no portal", mut: func(s *fleet.Spec) { s.PortalID = 0 }, wantErr: "portal id"},
		{name: "no account", mut: func(s *fleet.Spec) { s.Accounts = nil }, wantErr: "at least one account"},
		{name: "unnamed account", mut: func(s *fleet.Spec) { s.Accounts = []fleet.AccountSpec{{}} }, wantErr: "has no name"},
		{name: "duplicate account", mut: func(s *fleet.Spec) { s.Accounts = append(s.Accounts, fleet.AccountSpec{Name: "a"}) }, wantErr: "used twice"},
		{name: "bad direction", mut: func(s *fleet.Spec) { s.Direction = 7 }, wantErr: "unknown direction"},
		{name: "short interval", mut: func(s *fleet.Spec) { s.Interval = fleet.Duration(time.Millisecond) }, wantErr: "interval"},
		{name: "bad zone", mut: func(s *fleet.Spec) { s.TimeZone = "Mars/Olympus" }, wantErr: "time zone"},
		{name: "override without property", mut: func(s *fleet.Spec) { s.Mapping = []fleet.MappingOverride{{}} }, wantErr: "no property"},
		{name: "new mapping without source", mut: func(s *fleet.Spec) { s.Mapping = []fleet.MappingOverride{{Property: "x_custom"}} }, wantErr: "needs a source"},
		{name: "override source", mut: func(s *fleet.Spec) {
			s.Mapping = []fleet.MappingOverride{{Property: "jobtitle", Source: "departmentName"}}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := ok()
			tt.mut(&s)
			err := s.Validate()
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("Validate = %v, want nil", err)
				}
				return
			}
			if !errors.Is(err, fleet.ErrInvalidSpec) || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("Validate = %v, want ErrInvalidSpec with %q", err, tt.wantErr)
			}
		})
	}
}

func TestSpecJSONRoundTrip(t *testing.T) {
	t.Parallel()
	in := fleet.Spec{
		PortalID: 42, Direction: syncer.TwoWay,
		Accounts:          []fleet.AccountSpec{{Name: "tokyo", TagIDs: []string{"T"}, BaseURL: "http://127.0.0.1:1/v3.2/"}},
		Interval:          fleet.Duration(90 * time.Second),
		AllowMissingEmail: true,
		Mapping:           []fleet.MappingOverride{{Property: "jobtitle", Direction: mapping.Both, Winner: mapping.WinnerHubSpot}},
		CardFilter:        fleet.CardFilter{CompanyIDs: []string{"C1"}},
		ContactConditions: []hubspot.Filter{{PropertyName: "lifecyclestage", Operator: hubspot.OperatorEQ, Value: "lead"}},
		TimeZone:          "Asia/Tokyo",
	}
	b, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"direction":"two_way"`, `"interval":"1m30s"`} {
		if !strings.Contains(string(b), want) {
			t.Errorf("JSON %s lacks %s", b, want)
		}
	}
	var out fleet.Spec
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(in, out); diff != "" {
		t.Errorf("round trip (-want +got):\n%s", diff)
	}
}
