package fleet

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/cardbridge/sansanhubspot/hubspot"
	"github.com/cardbridge/sansanhubspot/sansan"
	"github.com/cardbridge/sansanhubspot/syncer"
)

func TestCardFilterMatch(t *testing.T) {
	t.Parallel()
	email := func(s string) *string { return &s }
	tests := []struct {
		name   string
		filter CardFilter
		card   sansan.BizCard
		want   bool
	}{
		{name: "empty filter", card: sansan.BizCard{}, want: true},
		{name: "company kept", filter: CardFilter{CompanyIDs: []string{"C1"}}, card: sansan.BizCard{CompanyID: "C1"}, want: true},
		{name: "company dropped", filter: CardFilter{CompanyIDs: []string{"C1"}}, card: sansan.BizCard{CompanyID: "C2"}},
		{name: "domain dropped", filter: CardFilter{ExcludeEmailDomains: []string{"own.example"}}, card: sansan.BizCard{Email: email("a@OWN.example")}},
		{name: "other domain kept", filter: CardFilter{ExcludeEmailDomains: []string{"own.example"}}, card: sansan.BizCard{Email: email("a@client.example")}, want: true},
		{name: "no email kept", filter: CardFilter{ExcludeEmailDomains: []string{"own.example"}}, card: sansan.BizCard{}, want: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := tt.filter.match(&tt.card); got != tt.want {
				t.Errorf("match = %t, want %t", got, tt.want)
			}
		})
	}
}

func TestDailyLimitSnooze(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 12, 3, 14, 30, 0, 0, time.UTC) // 23:30 in Tokyo
	tests := []struct {
		zone string
		want time.Duration
	}{
		{zone: "Asia/Tokyo", want: 31 * time.Minute},
		{zone: "UTC", want: 9*time.Hour + 31*time.Minute},
		{zone: "", want: time.Hour},
	}
	for _, tt := range tests {
		t.Run(tt.zone, func(t *testing.T) {
			t.Parallel()
			if got := dailyLimitSnooze(tt.zone, now, time.Hour); got != tt.want {
				t.Errorf("dailyLimitSnooze = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestEngineCacheBounded(t *testing.T) {
	t.Parallel()
	var sizes []int
	c := newEngineCache(2, func(n int) { sizes = append(sizes, n) })
	c.put("a", 1, nil)
	c.put("b", 1, nil)
	if _, ok := c.get("a", 1); !ok { // a is now the most recent
		t.Fatal("a missing")
	}
	c.put("c", 1, nil) // evicts b
	if _, ok := c.get("b", 1); ok {
		t.Error("b survived eviction")
	}
	if _, ok := c.get("a", 2); ok {
		t.Error("a at a newer version was served from the cache")
	}
	if _, ok := c.get("a", 1); ok {
		t.Error("a stayed after a version miss")
	}
	if _, ok := c.get("c", 1); !ok {
		t.Error("c missing")
	}
	c.evict("c")
	if got := c.len(); got != 0 {
		t.Errorf("len = %d, want 0", got)
	}
	if sizes[len(sizes)-1] != 0 || sizes[2] != 2 {
		t.Errorf("reported sizes %v", sizes)
	}
}

func TestRelevantEvents(t *testing.T) {
	t.Parallel()
	evs := []hubspot.WebhookEvent{
		{EventID: 1, SubscriptionType: "contact.propertyChange"},
		{EventID: 2, SubscriptionType: "contact.merge"},
		{EventID: 3, SubscriptionType: "contact.deletion"},
		{EventID: 4, SubscriptionType: "contact.creation"},
	}
	ids := func(evs []hubspot.WebhookEvent) []int64 {
		var out []int64
		for _, e := range evs {
			out = append(out, e.EventID)
		}
		return out
	}
	tests := []struct {
		dir  syncer.Direction
		want []int64
	}{
		{dir: syncer.SansanToHubSpot, want: []int64{2, 3}},
		{dir: syncer.HubSpotToSansan, want: []int64{1, 2, 3, 4}},
		{dir: syncer.TwoWay, want: []int64{1, 2, 3, 4}},
	}
	for _, tt := range tests {
		t.Run(tt.dir.String(), func(t *testing.T) {
			t.Parallel()
			if diff := cmp.Diff(tt.want, ids(relevantEvents(tt.dir, evs))); diff != "" {
				t.Errorf("relevantEvents (-want +got):\n%s", diff)
			}
		})
	}
}
