package hubspot_test

import (
	"encoding/json"
	"testing"

	"github.com/cardbridge/sansanhubspot/hubspot"
)

func TestWebhookSubscriptionTypes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		wire string
		want hubspot.SubscriptionType
	}{
		{"contact.creation", hubspot.SubscriptionContactCreation},
		{"contact.deletion", hubspot.SubscriptionContactDeletion},
		{"contact.privacyDeletion", hubspot.SubscriptionContactPrivacyDeletion},
		{"contact.propertyChange", hubspot.SubscriptionContactPropertyChange},
		{"contact.merge", hubspot.SubscriptionContactMerge},
		{"contact.restore", hubspot.SubscriptionContactRestore},
		{"contact.associationChange", hubspot.SubscriptionContactAssociationChange},
		{"deal.creation", hubspot.SubscriptionType("deal.creation")}, // others pass through
	}
	for _, tc := range tests {
		var ev hubspot.WebhookEvent
		if err := json.Unmarshal([]byte(`{"subscriptionType":"`+tc.wire+`","objectId":1}`), &ev); err != nil {
			t.Fatal(err)
		}
		if ev.SubscriptionType != tc.want {
			t.Errorf("%s decoded as %q, want %q", tc.wire, ev.SubscriptionType, tc.want)
		}
	}
}
