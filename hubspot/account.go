package hubspot

import (
	"context"
	"net/http"

	"github.com/cardbridge/sansanhubspot/internal/apiclient"
)

// AccountService reads the details of the HubSpot account (portal) the
// client's token belongs to.
type AccountService service

// AccountDetails describes a HubSpot account. PortalID identifies it for
// good: a token of another portal has another PortalID, which is how the
// sync engine notices a store pointed at the wrong portal.
type AccountDetails struct {
	// PortalID is the account's id, often called the Hub ID.
	PortalID int64 `json:"portalId"`
	// AccountType is STANDARD, SANDBOX, DEVELOPER_TEST or APP_DEVELOPER.
	AccountType string `json:"accountType,omitempty"`
	// TimeZone is the account's time zone, e.g. "Asia/Tokyo".
	TimeZone string `json:"timeZone,omitempty"`
	// CompanyCurrency is the account's primary currency.
	CompanyCurrency string `json:"companyCurrency,omitempty"`
	// UIDomain is the domain of the account's web interface.
	UIDomain string `json:"uiDomain,omitempty"`
	// DataHostingLocation is where the account's data is hosted, e.g. "na1".
	DataHostingLocation string `json:"dataHostingLocation,omitempty"`
}

// accountDetailsPath is the v3 path; the date-versioned families spell it
// account-info/{version}/details.
const accountDetailsPath = "account-info/v3/details"

// Details returns the details of the token's account. It needs no scope
// beyond the token itself, so it doubles as a cheap credential check.
//
// HubSpot API docs: GET /account-info/v3/details
func (s *AccountService) Details(ctx context.Context) (*AccountDetails, *Response, error) {
	d := new(AccountDetails)
	resp, err := s.client.do(ctx, apiclient.Call{Method: http.MethodGet, Path: accountDetailsPath, Out: d})
	if err != nil {
		return nil, resp, err
	}
	return d, resp, nil
}
