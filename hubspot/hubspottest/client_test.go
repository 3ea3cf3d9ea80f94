package hubspottest_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/time/rate"

	"github.com/cardbridge/sansanhubspot/hubspot"
	"github.com/cardbridge/sansanhubspot/hubspot/hubspottest"
)

// These tests drive the fake through the real client, so each side checks
// the other's reading of HubSpot's wire format.

func newClient(t *testing.T, s *hubspottest.Server, opts ...hubspot.Option) *hubspot.Client {
	t.Helper()
	c, err := hubspot.NewClient(hubspottest.DefaultToken, append([]hubspot.Option{hubspot.WithBaseURL(s.URL)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestClientContactLifecycle(t *testing.T) {
	t.Parallel()
	s := hubspottest.NewTestServer(t)
	c := newClient(t, s)
	ctx := t.Context()

	created, _, err := c.Contacts.Create(ctx, hubspot.PropertyValues{"email": "Kaz@Example.com", "firstname": "Kaz"})
	if err != nil {
		t.Fatal(err)
	}
	got, _, err := c.Contacts.GetByEmail(ctx, "kaz@example.com", nil)
	if err != nil {
		t.Fatal(err)
	}
	if got.ID != created.ID || !got.Properties.IsNull("lastname") || got.CreatedAt.IsZero() {
		t.Errorf("GetByEmail = %+v", got)
	}
	if _, _, err := c.Contacts.Update(ctx, created.ID, hubspot.PropertyValues{"lastname": "Ito"}); err != nil {
		t.Fatal(err)
	}
	if v, _ := s.Fake.Contact(created.ID); v.Properties["lastname"] != "Ito" {
		t.Errorf("lastname = %q", v.Properties["lastname"])
	}

	_, _, err = c.Contacts.Create(ctx, hubspot.PropertyValues{"email": "KAZ@example.com"})
	var ce *hubspot.ConflictError
	if !errors.As(err, &ce) || ce.ExistingID != created.ID || !errors.Is(err, hubspot.ErrConflict) {
		t.Errorf("duplicate create error = %v", err)
	}

	_, _, err = c.Contacts.Create(ctx, hubspot.PropertyValues{"email": "kaz@example.lcom"})
	var er *hubspot.ErrorResponse
	if !errors.As(err, &er) {
		t.Fatalf("invalid email error = %v", err)
	}
	perrs := er.PropertyErrors
	if len(perrs) != 1 || perrs[0].Code != "INVALID_EMAIL" || perrs[0].Name != "email" {
		t.Errorf("property errors = %+v", perrs)
	}

	if _, err := c.Contacts.Archive(ctx, created.ID); err != nil {
		t.Fatal(err)
	}
	if _, _, err := c.Contacts.Get(ctx, created.ID, nil); !errors.Is(err, hubspot.ErrNotFound) {
		t.Errorf("get archived = %v", err)
	}
}

// TestClientBatchUpsertAllOrNothing checks that an upsert by email with one
// refused input fails as a whole and writes nothing, that
// RefusedUpsertInputs names the bad input when the message does, and that
// the rest then goes through in one more call.
func TestClientBatchUpsertAllOrNothing(t *testing.T) {
	t.Parallel()
	s := hubspottest.NewTestServer(t)
	c := newClient(t, s)
	mustCreate(t, s.Fake, map[string]string{"email": "old@example.com"})
	s.Fake.FailBatchInputs(func(p map[string]string) bool { return p["jobtitle"] == "boom" })
	inputs := []hubspot.BatchUpsertInput{
		{ID: "OLD@example.com", Properties: hubspot.PropertyValues{"jobtitle": "ok"}},
		{ID: "new@example.com", Properties: hubspot.PropertyValues{"jobtitle": "ok"}},
		{ID: "bad@example.con", Properties: hubspot.PropertyValues{"jobtitle": "ok"}},
	}
	_, _, err := c.Contacts.BatchUpsert(t.Context(), inputs)
	if !errors.Is(err, hubspot.ErrValidation) {
		t.Fatalf("err = %v, want the whole batch refused", err)
	}
	if _, ok := s.Fake.ContactByEmail("new@example.com"); ok {
		t.Error("a refused batch wrote its good input")
	}
	refused := hubspot.RefusedUpsertInputs(err, inputs)
	if diff := cmp.Diff([]int{2}, refused); diff != "" {
		t.Fatalf("RefusedUpsertInputs (-want +got):\n%s", diff)
	}
	res, _, err := c.Contacts.BatchUpsert(t.Context(), inputs[:2])
	if err != nil || len(res.Failed()) != 0 {
		t.Fatalf("retry without the refused input: %v, %+v", err, res)
	}
	if n := s.Fake.Requests()["POST /crm/v3/objects/contacts/batch/upsert"]; n != 2 {
		t.Errorf("upsert requests = %d, want 2", n)
	}

	// An error that names no input (here an injected failure) leaves the
	// caller to find the input another way.
	boom := []hubspot.BatchUpsertInput{{ID: "x@example.com", Properties: hubspot.PropertyValues{"jobtitle": "boom"}}}
	_, _, err = c.Contacts.BatchUpsert(t.Context(), boom)
	if err == nil {
		t.Fatal("injected failure not reported")
	}
	if got := hubspot.RefusedUpsertInputs(err, boom); got != nil {
		t.Errorf("RefusedUpsertInputs = %v, want nil for an error naming no input", got)
	}
}

func TestClientRefuseEmails(t *testing.T) {
	t.Parallel()
	s := hubspottest.NewTestServer(t)
	c := newClient(t, s)
	s.Fake.RefuseEmails(func(email string) bool { return email == "picky@example.co.jp" })
	inputs := []hubspot.BatchUpsertInput{
		{ID: "fine@example.co.jp", Properties: hubspot.PropertyValues{"jobtitle": "a"}},
		{ID: "Picky@example.co.jp", Properties: hubspot.PropertyValues{"jobtitle": "b"}},
	}
	_, _, err := c.Contacts.BatchUpsert(t.Context(), inputs)
	if !errors.Is(err, hubspot.ErrValidation) {
		t.Fatalf("err = %v, want the batch refused for the picky address", err)
	}
	if diff := cmp.Diff([]int{1}, hubspot.RefusedUpsertInputs(err, inputs)); diff != "" {
		t.Errorf("RefusedUpsertInputs (-want +got):\n%s", diff)
	}
	if _, _, err := c.Contacts.Create(t.Context(), hubspot.PropertyValues{"email": "picky@example.co.jp"}); !errors.Is(err, hubspot.ErrValidation) {
		t.Errorf("create with a refused address: %v, want a validation error", err)
	}
	s.Fake.RefuseEmails(nil)
	if _, _, err := c.Contacts.BatchUpsert(t.Context(), inputs); err != nil {
		t.Errorf("after RefuseEmails(nil): %v", err)
	}
}

func TestClientSearchIterPastCap(t *testing.T) {
	t.Parallel()
	s := hubspottest.NewTestServer(t)
	// Lift the client's limiters: the walk takes 53 searches.
	c := newClient(t, s, hubspot.WithSearchRateLimit(rate.Inf, 1), hubspot.WithRateLimit(rate.Inf, 1))
	ids := make([]string, 10_450)
	for i := range ids {
		ids[i] = mustCreate(t, s.Fake, map[string]string{"email": fmt.Sprintf("cap%d@example.com", i)}).ID
	}
	stamp := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	if err := s.Fake.SetContactsModifiedAt(ids, stamp); err != nil {
		t.Fatal(err)
	}
	req := &hubspot.SearchRequest{FilterGroups: []hubspot.FilterGroup{{Filters: []hubspot.Filter{
		{PropertyName: "lastmodifieddate", Operator: hubspot.OperatorEQ, Value: strconv.FormatInt(stamp.UnixMilli(), 10)},
	}}}}
	var seen []string
	for ct, err := range c.Contacts.SearchIter(t.Context(), req) {
		if err != nil {
			t.Fatal(err)
		}
		seen = append(seen, ct.ID)
	}
	if diff := cmp.Diff(ids, seen); diff != "" {
		t.Errorf("walked %d of %d contacts; diff (-want +got):\n%.2000s", len(seen), len(ids), diff)
	}
}

func TestClientListIterAndProperties(t *testing.T) {
	t.Parallel()
	s := hubspottest.NewTestServer(t)
	c := newClient(t, s)
	var want []string
	for i := range 230 {
		want = append(want, mustCreate(t, s.Fake, map[string]string{"firstname": strconv.Itoa(i)}).ID)
	}
	var got []string
	for ct, err := range c.Contacts.ListIter(t.Context(), &hubspot.ListContactsOptions{Limit: 100}) {
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, ct.ID)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("ListIter (-want +got):\n%s", diff)
	}
	if n := s.Fake.Requests()["GET /crm/v3/objects/contacts"]; n != 3 {
		t.Errorf("list requests = %d, want 3", n)
	}

	props, _, err := c.Properties.List(t.Context(), nil)
	if err != nil {
		t.Fatal(err)
	}
	i := slices.IndexFunc(props, func(p *hubspot.Property) bool { return p.Name == "hs_object_id" })
	if i < 0 || !props[i].ReadOnly() {
		t.Errorf("hs_object_id read-only = %v", i >= 0 && props[i].ReadOnly())
	}
	if _, _, err := c.Properties.CreateGroup(t.Context(), &hubspot.PropertyGroup{Name: "sansan", Label: "Sansan"}); err != nil {
		t.Fatal(err)
	}
	p, _, err := c.Properties.Create(t.Context(), &hubspot.PropertyCreateRequest{Name: "sansan_person_id", Label: "Sansan person", Type: "string", FieldType: "text", GroupName: "sansan"})
	if err != nil || p.Name != "sansan_person_id" || p.ReadOnly() {
		t.Errorf("create property = %+v, %v", p, err)
	}
}

func TestClientRateLimits(t *testing.T) {
	t.Parallel()
	clk := newClock()
	s := hubspottest.NewTestServer(t, hubspottest.WithClock(clk.Now), hubspottest.WithRateLimit(2, 10*time.Second), hubspottest.WithDailyLimit(5))
	var mu sync.Mutex
	var slept []time.Duration
	c := newClient(t, s, hubspot.WithSleep(func(_ context.Context, d time.Duration) error {
		mu.Lock()
		slept = append(slept, d)
		mu.Unlock()
		clk.Advance(d) // waiting moves the fake's clock
		return nil
	}))
	ctx := t.Context()
	for i := range 3 {
		if _, _, err := c.Contacts.List(ctx, nil); err != nil {
			t.Fatalf("list %d: %v", i, err)
		}
	}
	mu.Lock()
	if len(slept) == 0 {
		t.Error("client never waited after TEN_SECONDLY_ROLLING")
	}
	mu.Unlock()
	if r := c.Rate(); r.Max != 2 {
		t.Errorf("client rate = %+v", r)
	}
	// 3 admitted + 1 rejected so far; 2 more admitted, then DAILY.
	for i := range 2 {
		clk.Advance(10 * time.Second)
		if _, _, err := c.Contacts.List(ctx, nil); err != nil {
			t.Fatalf("list %d: %v", i, err)
		}
	}
	clk.Advance(10 * time.Second)
	_, _, err := c.Contacts.List(ctx, nil)
	if !errors.Is(err, hubspot.ErrDailyLimit) {
		t.Errorf("over daily limit: %v", err)
	}
}

func TestClientVerifiesFakeWebhooks(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var events []hubspot.WebhookEvent
	h := &hubspot.WebhookHandler{ClientSecret: "app-secret", Handle: func(_ context.Context, evs []hubspot.WebhookEvent) error {
		mu.Lock()
		defer mu.Unlock()
		events = append(events, evs...)
		return nil
	}, URL: func(r *http.Request) string { return "http://" + r.Host + r.URL.RequestURI() }} // the receiver is plain http
	rcv := httptest.NewServer(h)
	t.Cleanup(rcv.Close)
	s := hubspottest.NewTestServer(t, hubspottest.WithWebhooks(hubspottest.WebhookConfig{TargetURL: rcv.URL + "/hubspot/webhooks?x=%40y", ClientSecret: "app-secret", AppID: 99}))
	c := newClient(t, s)
	ct, _, err := c.Contacts.Create(t.Context(), hubspot.PropertyValues{"email": "hook@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Fake.FlushWebhooks(t.Context()); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	var types []string
	for _, e := range events {
		if e.ContactID() != ct.ID {
			t.Errorf("event for %s", e.ContactID())
		}
		types = append(types, string(e.SubscriptionType))
	}
	if diff := cmp.Diff([]string{"contact.creation", "contact.propertyChange"}, types); diff != "" {
		t.Errorf("verified events (-want +got):\n%s", diff)
	}
	// A wrong secret is rejected by the client's verifier.
	em := hubspottest.NewWebhookEmitter(rcv.URL+"/hubspot/webhooks", "wrong", 99)
	if err := em.Send(t.Context(), []hubspottest.WebhookEvent{em.ContactDeletion(1)}); err == nil || !containsStatus(err, http.StatusUnauthorized) {
		t.Errorf("wrong secret delivery = %v", err)
	}
}

func containsStatus(err error, code int) bool {
	return err != nil && slices.Contains([]string{fmt.Sprint(code)}, lastWord(err.Error()))
}

func lastWord(s string) string {
	for i := len(s) - 1; i >= 0; i-- {
		if s[i] == ' ' {
			return s[i+1:]
		}
	}
	return s
}

// TestClientDatedAPIFamily drives the fake through both API families: a
// contact written through one is read through the other.
func TestClientDatedAPIFamily(t *testing.T) {
	t.Parallel()
	s := hubspottest.NewTestServer(t)
	v3 := newClient(t, s)
	dated := newClient(t, s, hubspot.WithAPIVersion("2026-03"))
	created, _, err := dated.Contacts.Create(t.Context(), hubspot.PropertyValues{"email": "dated@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	got, _, err := v3.Contacts.Get(t.Context(), created.ID, nil)
	if err != nil || got.ID != created.ID {
		t.Fatalf("v3 read of a dated write = %v, %v", got, err)
	}
	if _, _, err := dated.Properties.Get(t.Context(), "email"); err != nil {
		t.Errorf("dated properties read: %v", err)
	}
	reqs := s.Fake.Requests()
	if reqs["POST /crm/v3/objects/contacts"] != 1 || reqs["GET /crm/v3/objects/contacts/{contactId}"] != 1 {
		t.Errorf("requests = %v", reqs)
	}
}

// TestClientEnsureSensitiveProperty checks that a sensitive property reads
// as 404 without its dataSensitivity, as on HubSpot, and that
// EnsureProperty still finds it instead of failing on the 409 of a
// second create.
func TestClientEnsureSensitiveProperty(t *testing.T) {
	t.Parallel()
	s := hubspottest.NewTestServer(t)
	c := newClient(t, s)
	if err := s.Fake.AddProperty(hubspottest.Property{Name: "sansan_memo", Label: "Memo", Type: "string", FieldType: "textarea",
		GroupName: "contactinformation", DataSensitivity: hubspot.DataSensitive}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := c.Properties.Get(t.Context(), "sansan_memo"); !errors.Is(err, hubspot.ErrNotFound) {
		t.Errorf("plain read of a sensitive property = %v, want 404", err)
	}
	p, _, err := c.Properties.Get(t.Context(), "sansan_memo", hubspot.GetPropertyOptions{DataSensitivity: hubspot.DataSensitive})
	if err != nil || p.DataSensitivity != hubspot.DataSensitive {
		t.Fatalf("sensitive read = %+v, %v", p, err)
	}
	got, res, err := c.Properties.EnsureProperty(t.Context(), &hubspot.PropertyCreateRequest{
		Name: "sansan_memo", Label: "Memo", Type: "string", FieldType: "textarea", GroupName: "contactinformation",
	})
	if err != nil || res.Created || got.Name != "sansan_memo" {
		t.Errorf("EnsureProperty = %+v, %+v, %v", got, res, err)
	}
	got, res, err = c.Properties.EnsureProperty(t.Context(), &hubspot.PropertyCreateRequest{
		Name: "sansan_memo", Label: "Memo", Type: "string", FieldType: "textarea", GroupName: "contactinformation", DataSensitivity: hubspot.DataSensitive,
	})
	if err != nil || res.Created || got.Name != "sansan_memo" {
		t.Errorf("EnsureProperty with the sensitivity = %+v, %+v, %v", got, res, err)
	}
}

// TestClientSearchIterThroughEmptyPages checks, against a fake whose
// search pages start with entries it does not return, that SearchIter
// follows the cursor through the empty first page instead of stopping.
func TestClientSearchIterThroughEmptyPages(t *testing.T) {
	t.Parallel()
	s := hubspottest.NewTestServer(t, hubspottest.WithSearchPhantoms(3))
	c := newClient(t, s, hubspot.WithSearchRateLimit(rate.Inf, 0), hubspot.WithRateLimit(rate.Inf, 0))
	for i := range 5 {
		mustCreate(t, s.Fake, map[string]string{"email": fmt.Sprintf("p%d@example.com", i)})
	}
	first, _, err := c.Contacts.Search(t.Context(), &hubspot.SearchRequest{Limit: 2})
	if err != nil || len(first.Results) != 0 || first.After() == "" {
		t.Fatalf("first page = %+v, %v; want empty with a next cursor", first, err)
	}
	n := 0
	for _, err := range c.Contacts.SearchIter(t.Context(), &hubspot.SearchRequest{Limit: 2}) {
		if err != nil {
			t.Fatal(err)
		}
		n++
	}
	if n != 5 {
		t.Errorf("SearchIter returned %d contacts, want 5", n)
	}
}

func TestClientAccountDetails(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name string
		opts []hubspottest.Option
		want int64
	}{
		{"default portal", nil, hubspottest.DefaultPortalID},
		{"another portal", []hubspottest.Option{hubspottest.WithPortalID(42)}, 42},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := hubspottest.NewTestServer(t, tt.opts...)
			d, _, err := newClient(t, s).Account.Details(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			if d.PortalID != tt.want || d.TimeZone == "" {
				t.Errorf("details = %+v, want portal %d with a time zone", d, tt.want)
			}
		})
	}
}
