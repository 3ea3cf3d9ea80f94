package hubspot_test

import (
	"errors"
	"net/url"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/cardbridge/sansanhubspot/hubspot"
)

func TestContactsGet(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.ok(200, readFixture(t, "contact.json"))
	c, _, err := h.client.Contacts.Get(t.Context(), "512", &hubspot.GetContactOptions{
		Properties: []string{"email", "firstname", "company"}, Associations: []string{"companies"},
	})
	if err != nil {
		t.Fatal(err)
	}
	checkRequest(t, h.only(), "GET", "crm/v3/objects/contacts/512",
		url.Values{"properties": {"email,firstname,company"}, "associations": {"companies"}}, "")
	want := &hubspot.Contact{
		ID: "512",
		Properties: hubspot.Properties{
			"email": sp("bcooper@biglytics.net"), "firstname": sp("Bryan"), "company": nil,
			"lastname": sp(""), "hs_object_id": sp("512"),
		},
		CreatedAt: time.Date(2019, 10, 30, 3, 30, 17, 883e6, time.UTC),
		UpdatedAt: time.Date(2019, 12, 7, 16, 50, 6, 678e6, time.UTC),
		Associations: map[string]*hubspot.AssociationPage{
			"companies": {Results: []hubspot.Association{{ID: "101", Type: "contact_to_company"}}},
		},
	}
	if diff := cmp.Diff(want, c); diff != "" {
		t.Errorf("contact mismatch (-want +got):\n%s", diff)
	}
	// Absent, null and "" stay distinguishable.
	tests := []struct {
		name            string
		wantV           string
		wantOK, wantHas bool
	}{
		{"firstname", "Bryan", true, true},
		{"lastname", "", true, true},
		{"company", "", false, true},
		{"phone", "", false, false},
	}
	for _, tt := range tests {
		v, ok := c.Properties.Get(tt.name)
		if v != tt.wantV || ok != tt.wantOK || c.Properties.Has(tt.name) != tt.wantHas {
			t.Errorf("%s: Get = %q, %v; Has = %v", tt.name, v, ok, c.Properties.Has(tt.name))
		}
	}
	if !c.Properties.IsNull("company") || c.Properties.IsNull("lastname") {
		t.Error("IsNull wrong")
	}
}

func TestContactsGetByEmailEscapes(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.ok(200, `{"id":"7","properties":{"email":"a+b@example.com"}}`)
	c, _, err := h.client.Contacts.GetByEmail(t.Context(), "a+b@example.com", &hubspot.GetContactOptions{Properties: []string{"email"}})
	if err != nil {
		t.Fatal(err)
	}
	checkRequest(t, h.only(), "GET", "crm/v3/objects/contacts/a%2Bb%40example.com",
		url.Values{"idProperty": {"email"}, "properties": {"email"}}, "")
	if c.ID != "7" {
		t.Errorf("ID = %q", c.ID)
	}
}

func TestContactsGetRejectsBadIDs(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	for _, id := range []string{"", ".", ".."} {
		if _, _, err := h.client.Contacts.Get(t.Context(), id, nil); !errors.Is(err, hubspot.ErrInvalidInput) {
			t.Errorf("Get(%q) err = %v, want ErrInvalidInput", id, err)
		}
	}
	// A slash cannot reach another endpoint.
	h.ok(404, `{"status":"error","message":"resource not found","category":"OBJECT_NOT_FOUND","correlationId":"c1"}`)
	_, resp, err := h.client.Contacts.Get(t.Context(), "1/batch", nil)
	if got := h.only().Path; got != "crm/v3/objects/contacts/1%2Fbatch" {
		t.Errorf("path = %q", got)
	}
	if !errors.Is(err, hubspot.ErrNotFound) {
		t.Fatalf("err = %v, want ErrNotFound", err)
	}
	var er *hubspot.ErrorResponse
	if !errors.As(err, &er) {
		t.Fatal("not an *ErrorResponse")
	}
	if er.StatusCode != 404 || er.Category != "OBJECT_NOT_FOUND" || er.CorrelationID != "c1" || er.Method != "GET" || resp.StatusCode != 404 {
		t.Errorf("ErrorResponse = %+v", er)
	}
}

func TestContactsCreate(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.ok(201, `{"id":"901","properties":{"email":"new@example.com","firstname":"New"},"createdAt":"2024-01-02T03:04:05.000Z","updatedAt":"2024-01-02T03:04:05.000Z","archived":false}`)
	c, resp, err := h.client.Contacts.Create(t.Context(), hubspot.PropertyValues{"email": "new@example.com", "firstname": "New", "phone": ""})
	if err != nil {
		t.Fatal(err)
	}
	checkRequest(t, h.only(), "POST", "crm/v3/objects/contacts", nil,
		`{"properties":{"email":"new@example.com","firstname":"New","phone":""},"associations":[]}`)
	if c.ID != "901" || resp.StatusCode != 201 {
		t.Errorf("got %+v, status %d", c, resp.StatusCode)
	}
}

func TestContactsCreateConflict(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.ok(409, readFixture(t, "conflict.json"))
	_, _, err := h.client.Contacts.Create(t.Context(), hubspot.PropertyValues{"email": "dup@example.com"})
	var ce *hubspot.ConflictError
	if !errors.As(err, &ce) {
		t.Fatalf("err = %v, want *ConflictError", err)
	}
	if ce.ExistingID != "37765128953" {
		t.Errorf("ExistingID = %q", ce.ExistingID)
	}
	if !errors.Is(err, hubspot.ErrConflict) {
		t.Error("not ErrConflict")
	}
	var er *hubspot.ErrorResponse
	if !errors.As(err, &er) || er.Category != "CONFLICT" {
		t.Errorf("ErrorResponse not reachable: %v", err)
	}
	if len(h.requests()) != 1 {
		t.Error("409 was retried")
	}
}

func TestContactsCreateInvalidEmail(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.ok(400, readFixture(t, "invalid_email.json"))
	_, _, err := h.client.Contacts.Create(t.Context(), hubspot.PropertyValues{"email": "x@example.lcom", "missing": "1"})
	if !errors.Is(err, hubspot.ErrValidation) || !errors.Is(err, hubspot.ErrBadRequest) {
		t.Fatalf("err = %v, want ErrValidation and ErrBadRequest", err)
	}
	var er *hubspot.ErrorResponse
	if !errors.As(err, &er) {
		t.Fatal("not an *ErrorResponse")
	}
	want := []hubspot.PropertyError{
		{Name: "email", Code: hubspot.PropertyErrorInvalidEmail, Message: "Email address x@example.lcom is invalid"},
		{Name: "missing", Code: hubspot.PropertyErrorDoesntExist, Message: `Property "missing" does not exist`, LocalizedErrorMessage: `Property "missing" does not exist`},
	}
	if diff := cmp.Diff(want, er.PropertyErrors); diff != "" {
		t.Errorf("PropertyErrors (-want +got):\n%s", diff)
	}
}

func TestContactsUpdate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		byEmail   bool
		id        string
		wantPath  string
		wantQuery url.Values
	}{
		{name: "by id", id: "512", wantPath: "crm/v3/objects/contacts/512"},
		{name: "by email", byEmail: true, id: "j@example.com", wantPath: "crm/v3/objects/contacts/j%40example.com", wantQuery: url.Values{"idProperty": {"email"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t)
			h.ok(200, `{"id":"512","properties":{"jobtitle":"CTO","phone":""}}`)
			props := hubspot.PropertyValues{"jobtitle": "CTO", "phone": ""}
			var c *hubspot.Contact
			var err error
			if tt.byEmail {
				c, _, err = h.client.Contacts.UpdateByEmail(t.Context(), tt.id, props)
			} else {
				c, _, err = h.client.Contacts.Update(t.Context(), tt.id, props)
			}
			if err != nil {
				t.Fatal(err)
			}
			checkRequest(t, h.only(), "PATCH", tt.wantPath, tt.wantQuery, `{"properties":{"jobtitle":"CTO","phone":""}}`)
			if v, _ := c.Properties.Get("jobtitle"); v != "CTO" {
				t.Errorf("jobtitle = %q", v)
			}
		})
	}
}

func TestContactsUpdateNeedsProperties(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	if _, _, err := h.client.Contacts.Update(t.Context(), "1", nil); !errors.Is(err, hubspot.ErrInvalidInput) {
		t.Errorf("err = %v", err)
	}
}

func TestContactsArchive(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.ok(204, "")
	resp, err := h.client.Contacts.Archive(t.Context(), "512")
	if err != nil {
		t.Fatal(err)
	}
	checkRequest(t, h.only(), "DELETE", "crm/v3/objects/contacts/512", nil, "")
	if resp.StatusCode != 204 {
		t.Errorf("status = %d", resp.StatusCode)
	}
}

func TestContactsList(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.ok(200, `{"results":[{"id":"1","properties":{"email":"a@x.io"}},{"id":"2","properties":{}}],"paging":{"next":{"after":"NTI1Cg%3D%3D","link":"?after=NTI1Cg%3D%3D"}}}`)
	l, _, err := h.client.Contacts.List(t.Context(), &hubspot.ListContactsOptions{Limit: 100, After: "abc", Properties: []string{"email", "lastname"}, Archived: true})
	if err != nil {
		t.Fatal(err)
	}
	checkRequest(t, h.only(), "GET", "crm/v3/objects/contacts",
		url.Values{"limit": {"100"}, "after": {"abc"}, "properties": {"email,lastname"}, "archived": {"true"}}, "")
	if len(l.Results) != 2 || l.NextAfter() != "NTI1Cg%3D%3D" {
		t.Errorf("list = %+v, next %q", l.Results, l.NextAfter())
	}
	if _, _, err := h.client.Contacts.List(t.Context(), &hubspot.ListContactsOptions{Limit: 101}); !errors.Is(err, hubspot.ErrInvalidInput) {
		t.Errorf("limit 101: err = %v", err)
	}
	if len(h.requests()) != 1 {
		t.Error("invalid limit was sent")
	}
}

func TestContactsListIter(t *testing.T) {
	t.Parallel()
	page := func(next string, ids ...string) reply {
		body := `{"results":[`
		for i, id := range ids {
			if i > 0 {
				body += ","
			}
			body += `{"id":"` + id + `","properties":{}}`
		}
		body += `]`
		if next != "" {
			body += `,"paging":{"next":{"after":"` + next + `"}}`
		}
		return reply{status: 200, body: body + `}`}
	}
	tests := []struct {
		name      string
		replies   []reply
		breakAt   int // stop after this many items; 0 = never
		wantIDs   []string
		wantAfter []string // after param per request
		wantErr   bool
	}{
		{
			name:      "three pages",
			replies:   []reply{page("p2", "1", "2"), page("p3", "3"), page("", "4")},
			wantIDs:   []string{"1", "2", "3", "4"},
			wantAfter: []string{"", "p2", "p3"},
		},
		{
			name:      "empty",
			replies:   []reply{page("")},
			wantAfter: []string{""},
		},
		{
			name:      "early break fetches no more pages",
			replies:   []reply{page("p2", "1", "2"), page("p3", "3", "4")},
			breakAt:   3,
			wantIDs:   []string{"1", "2", "3"},
			wantAfter: []string{"", "p2"},
		},
		{
			name:      "error on page two",
			replies:   []reply{page("p2", "1"), {status: 400, body: `{"message":"bad"}`}},
			wantIDs:   []string{"1"},
			wantAfter: []string{"", "p2"},
			wantErr:   true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t)
			h.queue(tt.replies...)
			var ids []string
			errs := 0
			for c, err := range h.client.Contacts.ListIter(t.Context(), &hubspot.ListContactsOptions{Properties: []string{"email"}}) {
				if err != nil {
					errs++
					continue
				}
				ids = append(ids, c.ID)
				if tt.breakAt > 0 && len(ids) == tt.breakAt {
					break
				}
			}
			if diff := cmp.Diff(tt.wantIDs, ids); diff != "" {
				t.Errorf("ids (-want +got):\n%s", diff)
			}
			if (errs == 1) != tt.wantErr || errs > 1 {
				t.Errorf("errors yielded = %d, wantErr %v", errs, tt.wantErr)
			}
			var afters []string
			for _, r := range h.requests() {
				afters = append(afters, r.Query.Get("after"))
				if r.Query.Get("limit") != "100" || r.Query.Get("properties") != "email" {
					t.Errorf("query = %v", r.Query)
				}
			}
			if diff := cmp.Diff(tt.wantAfter, afters); diff != "" {
				t.Errorf("after per request (-want +got):\n%s", diff)
			}
		})
	}
}

func TestListIterIsLazy(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	_ = h.client.Contacts.ListIter(t.Context(), nil)
	if len(h.requests()) != 0 {
		t.Error("ListIter sent a request before ranging")
	}
}
