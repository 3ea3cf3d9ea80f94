package upserttest_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"golang.org/x/time/rate"

	"github.com/cardbridge/sansanhubspot/hubspot"
	"github.com/cardbridge/sansanhubspot/hubspot/hubspottest"
	"github.com/cardbridge/sansanhubspot/mapping"
)

const upsertKey = "POST /crm/v3/objects/contacts/batch/upsert"

// tenant returns n inputs, one in every 100 with an address HubSpot
// refuses (a typo of a top-level domain), spread over the batches.
func tenant(n int) []hubspot.BatchUpsertInput {
	in := make([]hubspot.BatchUpsertInput, n)
	for i := range in {
		email := fmt.Sprintf("person%04d@example.co.jp", i)
		if i%100 == 37 {
			email = fmt.Sprintf("person%04d@example.con", i)
		}
		in[i] = hubspot.BatchUpsertInput{ID: email, Properties: hubspot.PropertyValues{"firstname": "P"}}
	}
	return in
}

type strategy func(ctx context.Context, c *hubspot.Client, batch []hubspot.BatchUpsertInput) error

// bisect halves a refused batch until the refused inputs are alone.
func bisect(ctx context.Context, c *hubspot.Client, batch []hubspot.BatchUpsertInput) error {
	if len(batch) == 0 {
		return nil
	}
	_, _, err := c.Contacts.BatchUpsert(ctx, batch)
	if err == nil || !errors.Is(err, hubspot.ErrValidation) {
		return err
	}
	if len(batch) == 1 {
		return nil // the refused input, isolated
	}
	if err := bisect(ctx, c, batch[:len(batch)/2]); err != nil {
		return err
	}
	return bisect(ctx, c, batch[len(batch)/2:])
}

// isolate drops the inputs the refusal names and retries once, bisecting
// only when the error names nothing.
func isolate(ctx context.Context, c *hubspot.Client, batch []hubspot.BatchUpsertInput) error {
	_, _, err := c.Contacts.BatchUpsert(ctx, batch)
	if err == nil || !errors.Is(err, hubspot.ErrValidation) {
		return err
	}
	refused := hubspot.RefusedUpsertInputs(err, batch)
	if len(refused) == 0 {
		return bisect(ctx, c, batch)
	}
	skip := map[int]bool{}
	for _, i := range refused {
		skip[i] = true
	}
	var rest []hubspot.BatchUpsertInput
	for i, in := range batch {
		if !skip[i] {
			rest = append(rest, in)
		}
	}
	return isolate(ctx, c, rest)
}

// prevalidate drops the addresses mapping.NormalizeEmail finds invalid,
// then isolates whatever HubSpot still refuses.
func prevalidate(ctx context.Context, c *hubspot.Client, batch []hubspot.BatchUpsertInput) error {
	var ok []hubspot.BatchUpsertInput
	for _, in := range batch {
		if mapping.NormalizeEmail(in.ID).Status == mapping.EmailValid {
			ok = append(ok, in)
		}
	}
	if len(ok) == 0 {
		return nil
	}
	return isolate(ctx, c, ok)
}

// TestUpsertCallsWithRefusedEmails measures the calls of each strategy on
// 2,000 contacts with 1 % refused addresses (one in each batch of 100).
func TestUpsertCallsWithRefusedEmails(t *testing.T) {
	t.Parallel()
	const n = 2000
	tests := []struct {
		name     string
		run      strategy
		maxCalls int
	}{
		// 20 batches, each refused once, then halved down to the bad one.
		{name: "bisection", run: bisect, maxCalls: 20 * 16},
		// 20 refused batches, each resent once without the named input.
		{name: "isolate in one retry", run: isolate, maxCalls: 40},
		// Nothing refused: one call per batch of the 1,980 valid addresses.
		{name: "prevalidate", run: prevalidate, maxCalls: 20},
	}
	calls := map[string]int{}
	for _, tt := range tests {
		s := hubspottest.NewTestServer(t)
		c, err := hubspot.NewClient(hubspottest.DefaultToken, hubspot.WithBaseURL(s.URL),
			hubspot.WithRateLimit(rate.Inf, 0), hubspot.WithSearchRateLimit(rate.Inf, 0))
		if err != nil {
			t.Fatal(err)
		}
		in := tenant(n)
		for lo := 0; lo < n; lo += hubspot.MaxBatchSize {
			if err := tt.run(t.Context(), c, in[lo:min(lo+hubspot.MaxBatchSize, n)]); err != nil {
				t.Fatalf("%s: %v", tt.name, err)
			}
		}
		got := s.Fake.Requests()[upsertKey]
		calls[tt.name] = got
		if got > tt.maxCalls {
			t.Errorf("%s: %d calls, want at most %d", tt.name, got, tt.maxCalls)
		}
		if stored := len(s.Fake.Contacts()); stored != n-n/100 {
			t.Errorf("%s: %d contacts stored, want %d", tt.name, stored, n-n/100)
		}
	}
	t.Logf("upsert calls for %d contacts with 1%% refused emails: %v", n, calls)
	if !(calls["prevalidate"] < calls["isolate in one retry"] && calls["isolate in one retry"] < calls["bisection"]) {
		t.Errorf("calls = %v, want prevalidate < isolate < bisection", calls)
	}
}
