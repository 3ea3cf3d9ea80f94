package syncer_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/cardbridge/sansanhubspot/syncer"
	"github.com/google/go-cmp/cmp"
)

func TestLinkJSONRoundTrip(t *testing.T) {
	t.Parallel()
	jst := time.FixedZone("JST", 9*3600)
	want := syncer.Link{
		PersonID: "P1", Account: "tokyo", CardID: "C1", ContactID: "42", Email: "a@example.co.jp",
		Rank:   syncer.Rank{ExchangeDate: "2024-04-01", UpdatedTime: time.Date(2024, 4, 2, 9, 0, 0, 123456789, jst), CardID: "C1"},
		Values: map[string]string{"lastname": "山田"}, Remote: map[string]string{"jobtitle": "部長"},
		RemoteAt: time.Date(2024, 5, 1, 0, 0, 0, 1, time.UTC), State: syncer.StateFailing, Reason: string(syncer.CategoryConflict),
		Message: "email taken", Attempts: 3, NextRetry: time.Date(2024, 5, 2, 0, 0, 0, 0, time.UTC),
		Origin: "sansan", UpdatedAt: time.Date(2024, 5, 1, 1, 0, 0, 0, time.UTC),
	}
	b, err := json.Marshal(want)
	if err != nil {
		t.Fatal(err)
	}
	var got syncer.Link
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(want, got, cmp.Comparer(func(a, b time.Time) bool { return a.Equal(b) })); d != "" {
		t.Errorf("round trip (-want +got):\n%s\njson: %s", d, b)
	}
	// The stored form is flat and uses snake_case names: durable stores
	// depend on it.
	var flat map[string]any
	if err := json.Unmarshal(b, &flat); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"person_id", "contact_id", "rank_exchange_date", "rank_updated_time", "next_retry"} {
		if _, ok := flat[k]; !ok {
			t.Errorf("stored form lacks %q: %s", k, b)
		}
	}
}
