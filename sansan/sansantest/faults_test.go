package sansantest_test

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/cardbridge/sansanhubspot/sansan/sansantest"
	"github.com/google/go-cmp/cmp"
)

func TestRateLimit(t *testing.T) {
	t.Parallel()
	e := newEnv(t, sansantest.WithRateLimit(1, 2))
	got := []int{
		e.get(t, aliceKey, "me", "").status,
		e.get(t, aliceKey, "me", "").status,
	}
	r := e.get(t, aliceKey, "me", "")
	got = append(got, r.status)
	if diff := cmp.Diff([]int{200, 200, 429}, got); diff != "" {
		t.Fatalf("statuses (-want +got):\n%s", diff)
	}
	assertErrorBody(t, r, 429, "TooManyRequests")
	if v := r.header.Get("Retry-After"); v != "" {
		t.Errorf("Retry-After = %q, want no header", v)
	}
	for k := range r.header {
		if len(k) > 10 && (k[:11] == "X-Ratelimit" || k[:11] == "X-RateLimit") {
			t.Errorf("unexpected rate-limit header %s", k)
		}
	}
	// Buckets are per key.
	mustStatus(t, e.get(t, bobKey, "me", ""), http.StatusOK)
	// The clock is frozen, so no token refills until it advances.
	mustStatus(t, e.get(t, aliceKey, "me", ""), http.StatusTooManyRequests)
	e.clock.Advance(time.Second)
	mustStatus(t, e.get(t, aliceKey, "me", ""), http.StatusOK)
	mustStatus(t, e.get(t, aliceKey, "me", ""), http.StatusTooManyRequests)
	if got := e.fake.Requests()["GET /me"]; got != 7 {
		t.Errorf("GET /me count = %d, want 7 (429s count)", got)
	}
}

func TestFailNext(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.fake.FailNext(2, http.StatusServiceUnavailable)
	var got []int
	for range 3 {
		r := e.get(t, aliceKey, "me", "")
		got = append(got, r.status)
		if r.status == http.StatusServiceUnavailable {
			assertErrorBody(t, r, 503, "InjectedFault")
		}
	}
	if diff := cmp.Diff([]int{503, 503, 200}, got); diff != "" {
		t.Errorf("statuses (-want +got):\n%s", diff)
	}

	// An injected fault hits before authentication, like a gateway error.
	e.fake.FailNext(1, http.StatusTooManyRequests)
	r := e.get(t, "", "me", "")
	mustStatus(t, r, http.StatusTooManyRequests)
	if r.header.Get("Retry-After") != "" {
		t.Error("injected 429 has Retry-After")
	}
}

func TestFailNextOn(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.fake.FailNextOn(sansantest.EndpointListBizCards, 1, http.StatusInternalServerError)
	mustStatus(t, e.get(t, aliceKey, "me", ""), http.StatusOK)
	mustStatus(t, e.get(t, aliceKey, "bizCards/search", ""), http.StatusOK)
	mustStatus(t, e.get(t, aliceKey, "bizCards", wideWindow()), http.StatusInternalServerError)
	mustStatus(t, e.get(t, aliceKey, "bizCards", wideWindow()), http.StatusOK)

	e.fake.FailNextOn(sansantest.EndpointMe, 5, http.StatusBadGateway)
	e.fake.ClearFaults()
	mustStatus(t, e.get(t, aliceKey, "me", ""), http.StatusOK)
}

func TestDropNext(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.fake.DropNext(1)
	e.fake.DropNextOn(sansantest.EndpointGetPerson, 1)

	get := func(path string) (*http.Response, error) {
		req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, e.srv.URL+path, nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("X-Sansan-Api-Key", aliceKey)
		// A fresh transport: no retry on a reused idle connection muddies the count.
		client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
		return client.Do(req)
	}
	for _, path := range []string{"me", "persons/ABC"} {
		resp, err := get(path)
		if err == nil {
			resp.Body.Close()
			t.Fatalf("GET %s: got status %d, want a connection error", path, resp.StatusCode)
		}
		if !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) {
			t.Logf("GET %s: connection error %v", path, err)
		}
	}
	resp, err := get("me")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("after drops: status %d", resp.StatusCode)
	}
	if got := e.fake.Requests(); got["GET /me"] != 2 || got["GET /persons/{id}"] != 1 {
		t.Errorf("Requests = %v", got)
	}
}

func TestLatency(t *testing.T) {
	t.Parallel()
	e := newEnv(t, sansantest.WithLatency(5*time.Millisecond))
	mustStatus(t, e.get(t, aliceKey, "me", ""), http.StatusOK)
}

func TestConcurrentUse(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.fake.Seed(sansantest.GenerateOptions{Seed: 9, Cards: 600, Owners: []sansantest.User{{ID: "alice"}, {ID: "bob"}}})
	cards := e.fake.Cards()
	var wg sync.WaitGroup
	errs := make(chan error, 8*20)
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 20 {
				switch (w + i) % 4 {
				case 0:
					c := cards[(w*20+i)%len(cards)]
					if _, err := e.fake.UpdateCard(c.ID, func(c *sansantest.Card) { c.Memo = s("更新") }); err != nil {
						errs <- err
					}
				case 1:
					e.fake.AddCard(card("alice", "並行", "追加", time.Time{}))
				default:
					// No t.Fatal off the test goroutine: plain requests here.
					req, err := http.NewRequestWithContext(t.Context(), http.MethodGet,
						e.srv.URL+"bizCards?"+wideWindow("range", "all", "limit", "300"), nil)
					if err != nil {
						errs <- err
						continue
					}
					req.Header.Set("X-Sansan-Api-Key", adminKey)
					resp, err := http.DefaultClient.Do(req)
					if err != nil {
						errs <- err
						continue
					}
					_, _ = io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					if resp.StatusCode != http.StatusOK {
						errs <- fmt.Errorf("status %d", resp.StatusCode)
					}
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}
