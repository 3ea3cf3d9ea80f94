package sansantest_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/cardbridge/sansanhubspot/sansan/sansantest"
)

const (
	adminKey = "ADMINKEYADMINKEYADMINKEYADMINKEY"
	aliceKey = "ALICEKEYALICEKEYALICEKEYALICEKEY"
	bobKey   = "BOBKEY00BOBKEY00BOBKEY00BOBKEY00"
)

var jst = sansantest.JST

// testClock is a manually advanced clock safe for concurrent use.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *testClock {
	return &testClock{t: time.Date(2025, 6, 1, 12, 0, 0, 0, jst)}
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *testClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// env is a fake tenant with three users: admin (Admin), alice, and bob, who
// may also see alice's cards with range=all.
type env struct {
	srv   *sansantest.Server
	fake  *sansantest.Fake
	clock *testClock
}

func newEnv(t *testing.T, opts ...sansantest.Option) *env {
	t.Helper()
	clock := newClock()
	opts = append([]sansantest.Option{sansantest.WithClock(clock.Now)}, opts...)
	srv := sansantest.NewTestServer(t, opts...)
	f := srv.Fake
	f.AddUser(sansantest.User{ID: "admin", Name: "管理 太郎", Email: "admin@example.com", APIKey: adminKey, Admin: true})
	f.AddUser(sansantest.User{ID: "alice", Name: "伊藤 花子", Email: "ito@example.com", APIKey: aliceKey})
	f.AddUser(sansantest.User{ID: "bob", Name: "佐藤 次郎", Email: "bob@example.com", APIKey: bobKey, CanSee: []string{"alice"}})
	return &env{srv: srv, fake: f, clock: clock}
}

type response struct {
	status int
	header http.Header
	body   []byte
}

// get sends GET base+path+"?"+rawQuery with the given key ("" = no header).
func (e *env) get(t *testing.T, key, path, rawQuery string) response {
	t.Helper()
	return e.do(t, http.MethodGet, key, path, rawQuery, "", nil)
}

func (e *env) do(t *testing.T, method, key, path, rawQuery, contentType string, body io.Reader) response {
	t.Helper()
	u := e.srv.URL + path
	if rawQuery != "" {
		u += "?" + rawQuery
	}
	req, err := http.NewRequestWithContext(t.Context(), method, u, body)
	if err != nil {
		t.Fatal(err)
	}
	if key != "" {
		req.Header.Set("X-Sansan-Api-Key", key)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, u, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return response{status: resp.StatusCode, header: resp.Header, body: b}
}

// window returns a query covering [from, to] with the given extra pairs,
// encoded by url.Values (so "+" becomes %2B).
func window(from, to time.Time, kv ...string) string {
	q := url.Values{}
	q.Set("updatedFrom", from.Format(time.RFC3339))
	q.Set("updatedTo", to.Format(time.RFC3339))
	for i := 0; i+1 < len(kv); i += 2 {
		q.Add(kv[i], kv[i+1])
	}
	return q.Encode()
}

// wideWindow covers every time the tests use.
func wideWindow(kv ...string) string {
	return window(time.Date(2000, 1, 1, 0, 0, 0, 0, jst), time.Date(2030, 1, 1, 0, 0, 0, 0, jst), kv...)
}

type listPage struct {
	Data          []map[string]any `json:"data"`
	HasMore       bool             `json:"hasMore"`
	NextPageToken *string          `json:"nextPageToken"`
}

func decode[T any](t *testing.T, r response) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(r.body, &v); err != nil {
		t.Fatalf("decoding %q: %v", r.body, err)
	}
	return v
}

func mustStatus(t *testing.T, r response, want int) {
	t.Helper()
	if r.status != want {
		t.Fatalf("status = %d, want %d; body %s", r.status, want, r.body)
	}
}

// ids returns the "id" of every item.
func ids(items []map[string]any) []string {
	out := make([]string, len(items))
	for i, it := range items {
		out[i], _ = it["id"].(string)
	}
	return out
}

// listAll pages through a list endpoint and returns every item.
func (e *env) listAll(t *testing.T, key, path, rawQuery string) []map[string]any {
	t.Helper()
	var all []map[string]any
	q := rawQuery
	for range 10000 {
		r := e.get(t, key, path, q)
		mustStatus(t, r, http.StatusOK)
		p := decode[listPage](t, r)
		all = append(all, p.Data...)
		if !p.HasMore {
			return all
		}
		v, _ := url.ParseQuery(rawQuery)
		v.Set("nextPageToken", *p.NextPageToken)
		q = v.Encode()
	}
	t.Fatal("paging did not end")
	return nil
}

func s(v string) *string { return &v }

// card builds a completed card owned by owner.
func card(owner, last, first string, updated time.Time) sansantest.Card {
	return sansantest.Card{
		OwnerID: owner, LastName: s(last), FirstName: s(first),
		RegisteredTime: updated, UpdatedTime: updated,
	}
}
