package sansantest_test

import (
	"errors"
	"testing"

	"github.com/cardbridge/sansanhubspot/sansan"
	"github.com/cardbridge/sansanhubspot/sansan/sansantest"
)

// TestRegisterVersion checks the fake's per-version registration against
// the client's per-endpoint versions, and CheckRegister on both.
func TestRegisterVersion(t *testing.T) {
	t.Parallel()
	srv := sansantest.NewTestServer(t, sansantest.WithRegisterVersion("v6.0"))
	admin := sansantest.DefaultUsers()[0]
	srv.Fake.AddUser(admin)
	key := admin.APIKey
	req := &sansan.RegisterBizCardRequest{CompanyName: sansan.Ptr("株式会社 ITO"), LastName: sansan.Ptr("伊藤")}

	old := newClient(t, srv, key)
	if _, err := old.BizCards.CheckRegister(t.Context()); !errors.Is(err, sansan.ErrUnsupportedVersion) {
		t.Errorf("CheckRegister on v3.2 = %v, want ErrUnsupportedVersion", err)
	}
	if _, _, err := old.BizCards.Register(t.Context(), req); !errors.Is(err, sansan.ErrUnsupportedVersion) {
		t.Errorf("Register on v3.2 = %v, want ErrUnsupportedVersion", err)
	}
	if _, _, err := old.Users.Me(t.Context()); err != nil {
		t.Errorf("Me on v3.2 = %v", err)
	}

	c := newClient(t, srv, key, sansan.WithEndpointVersion(sansan.EndpointRegisterBizCard, "v6.0"))
	if _, err := c.BizCards.CheckRegister(t.Context()); err != nil {
		t.Errorf("CheckRegister on v6.0 = %v", err)
	}
	card, _, err := c.BizCards.Register(t.Context(), req)
	if err != nil || card == nil || card.ID == "" {
		t.Fatalf("Register on v6.0 = %+v, %v", card, err)
	}
	if got, _, err := c.BizCards.Get(t.Context(), card.ID); err != nil || got.ID != card.ID {
		t.Errorf("Get of the registered card on v3.2 = %v, %v", got, err)
	}
}
