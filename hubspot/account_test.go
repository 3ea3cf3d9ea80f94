package hubspot_test

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/cardbridge/sansanhubspot/hubspot"
)

func TestAccountDetails(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		opts    []hubspot.Option
		path    string
		status  int
		body    string
		want    *hubspot.AccountDetails
		wantErr error
	}{
		{
			name: "v3", path: "account-info/v3/details", status: 200, body: readFixture(t, "account_details.json"),
			want: &hubspot.AccountDetails{
				PortalID: 2519445, AccountType: "STANDARD", TimeZone: "Asia/Tokyo", CompanyCurrency: "JPY",
				UIDomain: "app.hubspot.com", DataHostingLocation: "na1",
			},
		},
		{
			name: "dated family", opts: []hubspot.Option{hubspot.WithAPIVersion("2026-03")},
			path: "account-info/2026-03/details", status: 200, body: `{"portalId":7}`,
			want: &hubspot.AccountDetails{PortalID: 7},
		},
		{
			name: "rejected token", path: "account-info/v3/details", status: 401,
			body:    `{"status":"error","message":"The OAuth token used to make this call is invalid.","category":"INVALID_AUTHENTICATION"}`,
			wantErr: hubspot.ErrUnauthorized,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, tt.opts...)
			h.ok(tt.status, tt.body)
			got, _, err := h.client.Account.Details(t.Context())
			checkRequest(t, h.only(), "GET", tt.path, nil, "")
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("details (-want +got):\n%s", diff)
			}
		})
	}
}
