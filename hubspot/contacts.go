package hubspot

import (
	"context"
	"fmt"
	"iter"
	"net/http"

	"github.com/cardbridge/sansanhubspot/internal/apiclient"
)

// ContactsService accesses HubSpot contacts.
//
// HubSpot API docs: https://developers.hubspot.com/docs/api/crm/contacts
type ContactsService service

// MaxListLimit is the largest page size List accepts.
const MaxListLimit = 100

// GetContactOptions selects what Get returns.
type GetContactOptions struct {
	// IDProperty names the unique property the id argument holds, e.g.
	// "email"; empty means the record ID.
	IDProperty string `url:"idProperty,omitempty"`
	// Properties selects the properties returned (HubSpot's defaults when empty).
	Properties []string `url:"properties,comma,omitempty"`
	// PropertiesWithHistory selects properties returned with their history.
	PropertiesWithHistory []string `url:"propertiesWithHistory,comma,omitempty"`
	// Associations selects associated object types to return.
	Associations []string `url:"associations,comma,omitempty"`
	// Archived selects archived records only.
	Archived bool `url:"archived,omitempty"`
}

// ListContactsOptions selects a page of contacts.
type ListContactsOptions struct {
	// Limit is the page size, at most MaxListLimit (HubSpot's default is 10).
	Limit int `url:"limit,omitempty"`
	// After is the cursor of the page (NextAfter of the previous page).
	After string `url:"after,omitempty"`
	// Properties selects the properties returned (HubSpot's defaults when empty).
	Properties []string `url:"properties,comma,omitempty"`
	// PropertiesWithHistory selects properties returned with their history.
	PropertiesWithHistory []string `url:"propertiesWithHistory,comma,omitempty"`
	// Associations selects associated object types to return.
	Associations []string `url:"associations,comma,omitempty"`
	// Archived lists archived contacts only.
	Archived bool `url:"archived,omitempty"`
}

// ContactList is one page of contacts.
type ContactList struct {
	// Results are the contacts of this page.
	Results []*Contact `json:"results"`
	// Paging points at the next page; nil on the last page.
	Paging *Paging `json:"paging,omitempty"`
}

// NextAfter returns the cursor of the next page, or "" on the last page.
func (l *ContactList) NextAfter() string {
	if l == nil || l.Paging == nil || l.Paging.Next == nil {
		return ""
	}
	return l.Paging.Next.After
}

type contactWrite struct {
	Properties   PropertyValues `json:"properties"`
	Associations []any          `json:"associations,omitempty"`
}

type contactCreate struct {
	Properties   PropertyValues `json:"properties"`
	Associations []any          `json:"associations"`
}

func contactPath(id string) (string, error) {
	esc, err := escapeID(id)
	if err != nil {
		return "", err
	}
	return contactsPath + "/" + esc, nil
}

// Get returns the contact with the given record ID, or with the given value
// of opts.IDProperty (e.g. an email address with IDProperty "email"). A
// missing contact is an error matching [ErrNotFound].
//
// HubSpot API docs: GET /crm/v3/objects/contacts/{contactId}
func (s *ContactsService) Get(ctx context.Context, id string, opts *GetContactOptions) (*Contact, *Response, error) {
	p, err := contactPath(id)
	if err != nil {
		return nil, nil, err
	}
	c := new(Contact)
	resp, err := s.client.do(ctx, apiclient.Call{Method: http.MethodGet, Path: p, Query: opts, Out: c})
	if err != nil {
		return nil, resp, err
	}
	return c, resp, nil
}

// GetByEmail returns the contact whose primary email is email. opts may be
// nil; its IDProperty is ignored.
//
// HubSpot API docs: GET /crm/v3/objects/contacts/{email}?idProperty=email
func (s *ContactsService) GetByEmail(ctx context.Context, email string, opts *GetContactOptions) (*Contact, *Response, error) {
	o := GetContactOptions{}
	if opts != nil {
		o = *opts
	}
	o.IDProperty = "email"
	return s.Get(ctx, email, &o)
}

// Create creates a contact. When the email is already taken the error is a
// [*ConflictError] carrying the existing contact's ID, so the caller can
// update that contact instead. Create is not retried on network errors or
// 5xx, because it is not idempotent.
//
// HubSpot API docs: POST /crm/v3/objects/contacts
func (s *ContactsService) Create(ctx context.Context, props PropertyValues) (*Contact, *Response, error) {
	if props == nil {
		props = PropertyValues{}
	}
	c := new(Contact)
	resp, err := s.client.do(ctx, apiclient.Call{
		Method: http.MethodPost, Path: contactsPath,
		Body: contactCreate{Properties: props, Associations: []any{}}, Out: c,
	})
	if err != nil {
		return nil, resp, err
	}
	return c, resp, nil
}

// Update writes props to the contact with the given record ID; an empty
// value clears that property.
//
// HubSpot API docs: PATCH /crm/v3/objects/contacts/{contactId}
func (s *ContactsService) Update(ctx context.Context, id string, props PropertyValues) (*Contact, *Response, error) {
	return s.update(ctx, id, "", props)
}

// UpdateByEmail writes props to the contact whose primary email is email.
//
// HubSpot API docs: PATCH /crm/v3/objects/contacts/{email}?idProperty=email
func (s *ContactsService) UpdateByEmail(ctx context.Context, email string, props PropertyValues) (*Contact, *Response, error) {
	return s.update(ctx, email, "email", props)
}

func (s *ContactsService) update(ctx context.Context, id, idProperty string, props PropertyValues) (*Contact, *Response, error) {
	p, err := contactPath(id)
	if err != nil {
		return nil, nil, err
	}
	if len(props) == 0 {
		return nil, nil, fmt.Errorf("%w: no properties to update", ErrInvalidInput)
	}
	var q any
	if idProperty != "" {
		q = struct {
			IDProperty string `url:"idProperty"`
		}{idProperty}
	}
	c := new(Contact)
	// Writing the same values twice has the same effect: safe to retry.
	resp, err := s.client.do(ctx, apiclient.Call{
		Method: http.MethodPatch, Path: p, Query: q,
		Body: contactWrite{Properties: props}, Out: c, Idempotent: &yes,
	})
	if err != nil {
		return nil, resp, err
	}
	return c, resp, nil
}

// Archive archives (soft-deletes) the contact with the given record ID; it
// can be restored for 90 days.
//
// HubSpot API docs: DELETE /crm/v3/objects/contacts/{contactId}
func (s *ContactsService) Archive(ctx context.Context, id string) (*Response, error) {
	p, err := contactPath(id)
	if err != nil {
		return nil, err
	}
	return s.client.do(ctx, apiclient.Call{Method: http.MethodDelete, Path: p})
}

// List returns one page of contacts. Pass the page's NextAfter as
// opts.After to get the next one.
//
// HubSpot API docs: GET /crm/v3/objects/contacts
func (s *ContactsService) List(ctx context.Context, opts *ListContactsOptions) (*ContactList, *Response, error) {
	if opts != nil && (opts.Limit < 0 || opts.Limit > MaxListLimit) {
		return nil, nil, fmt.Errorf("%w: list limit %d outside 0..%d", ErrInvalidInput, opts.Limit, MaxListLimit)
	}
	l := new(ContactList)
	resp, err := s.client.do(ctx, apiclient.Call{Method: http.MethodGet, Path: contactsPath, Query: opts, Out: l})
	if err != nil {
		return nil, resp, err
	}
	return l, resp, nil
}

// ListIter returns an iterator over every contact from opts.After on,
// fetching pages lazily (MaxListLimit per page when opts.Limit is 0). It
// yields one error and stops on failure, and fetches no further page once
// the loop breaks.
//
// HubSpot API docs: GET /crm/v3/objects/contacts
func (s *ContactsService) ListIter(ctx context.Context, opts *ListContactsOptions) iter.Seq2[*Contact, error] {
	o := ListContactsOptions{}
	if opts != nil {
		o = *opts
		o.Properties = append([]string(nil), opts.Properties...)
		o.PropertiesWithHistory = append([]string(nil), opts.PropertiesWithHistory...)
		o.Associations = append([]string(nil), opts.Associations...)
	}
	if o.Limit == 0 {
		o.Limit = MaxListLimit
	}
	first := o.After
	return apiclient.Paginate(ctx, func(ctx context.Context, cursor string) ([]*Contact, string, error) {
		page := o
		page.After = first
		if cursor != "" {
			page.After = cursor
		}
		l, _, err := s.List(ctx, &page)
		if err != nil {
			return nil, "", err
		}
		return l.Results, l.NextAfter(), nil
	})
}
