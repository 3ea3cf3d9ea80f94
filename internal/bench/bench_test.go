package main

import (
	"math"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestMMM(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		xs   []float64
		want string
	}{
		{"empty", nil, "–"},
		{"one", []float64{3}, "3"},
		{"odd", []float64{5, 1, 3}, "1 / 3 / 5"},
		{"even median is the mean of the middle two", []float64{4, 1, 2, 10}, "1 / 3 / 10"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := mmm("%.0f", tt.xs); got != tt.want {
				t.Errorf("mmm(%v) = %q, want %q", tt.xs, got, tt.want)
			}
		})
	}
}

func TestMMMDoesNotReorderInput(t *testing.T) {
	t.Parallel()
	xs := []float64{3, 1, 2}
	_ = mmm("%.0f", xs)
	if diff := cmp.Diff([]float64{3, 1, 2}, xs); diff != "" {
		t.Errorf("input changed (-want +got):\n%s", diff)
	}
}

func TestSteadyRate(t *testing.T) {
	t.Parallel()
	t0 := time.Unix(0, 0)
	every := func(n int, d time.Duration) []event {
		ev := make([]event, n)
		for i := range ev {
			ev[i] = event{at: t0.Add(time.Duration(i) * d)}
		}
		return ev
	}
	// A burst at the start, then one event every 100 ms: the steady rate
	// ignores the burst.
	burst := append(every(5, 0), every(100, 100*time.Millisecond)...)
	tests := []struct {
		name string
		ev   []event
		want float64
	}{
		{"none", nil, 0},
		{"one", every(1, time.Second), 0},
		{"few: whole span", every(5, 250*time.Millisecond), 4},
		{"regular", every(100, 50*time.Millisecond), 20},
		{"burst then regular", burst, 10},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := steadyRate(tt.ev); math.Abs(got-tt.want) > 0.01*tt.want+1e-9 {
				t.Errorf("steadyRate = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestSplit(t *testing.T) {
	t.Parallel()
	s := stats{
		Sansan: map[string]int{"GET /bizCards": 24, "GET /tags": 1},
		HubSpot: map[string]int{
			"POST /crm/v3/objects/contacts/batch/upsert":  62,
			"POST /crm/v3/objects/contacts/batch/update":  1,
			"POST /crm/v3/objects/contacts/batch/read":    2,
			"POST /crm/v3/objects/contacts/batch/archive": 1,
			"POST /crm/v3/objects/contacts/search":        3,
			"GET /crm/v3/properties/contacts":             2,
			"POST /crm/v3/properties/contacts/groups":     1,
		},
	}
	got := split(s)
	got.SansanByEndpoint, got.HubSpotByEP = nil, nil
	want := callCounts{
		SansanList: 24, SansanOther: 1, SansanTotal: 25,
		HubSpotWrite: 63, HubSpotProps: 3, HubSpotOther: 6, HubSpotTotal: 72,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("split (-want +got):\n%s", diff)
	}
}

func TestCeilDiv(t *testing.T) {
	t.Parallel()
	tests := []struct{ a, b, want int }{
		{0, 100, 0}, {1, 100, 1}, {100, 100, 1}, {101, 100, 2}, {60868, 100, 609}, {68941, 300, 230},
	}
	for _, tt := range tests {
		if got := ceilDiv(tt.a, tt.b); got != tt.want {
			t.Errorf("ceilDiv(%d, %d) = %d, want %d", tt.a, tt.b, got, tt.want)
		}
	}
}

func TestScaledLimitsStayUnderTheFakes(t *testing.T) {
	t.Parallel()
	// A token bucket of rate r and burst b admits at most b + r·W requests
	// in a window W: the clients must fit the fakes' windows at any scale.
	for _, scale := range []float64{1, 2, 4, 20} {
		for _, tr := range tiers {
			lim := scaledLimits(tr, scale)
			fc := scaledFakes(0, 1, tr, scale, "")
			admitted := float64(lim.hubspotBurst) + float64(lim.hubspot)*fc.HubSpotWindow.Seconds()
			if admitted > float64(fc.HubSpotMax)+1e-9 {
				t.Errorf("scale %g tier %d: client admits %.2f per window, fake allows %d", scale, tr.max, admitted, fc.HubSpotMax)
			}
			if search := float64(lim.searchBurst) + float64(lim.search); search > float64(fc.SearchPerSec)+1e-9 {
				t.Errorf("scale %g: client admits %.2f searches per second, fake allows %d", scale, search, fc.SearchPerSec)
			}
			if float64(lim.sansan) > fc.SansanRate+1e-9 {
				t.Errorf("scale %g: client Sansan rate %.2f over the fake's %.2f", scale, float64(lim.sansan), fc.SansanRate)
			}
		}
	}
}
