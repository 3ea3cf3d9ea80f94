package hubspot

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/cardbridge/sansanhubspot/internal/apiclient"
)

// PropertiesService manages contact property definitions and groups.
//
// HubSpot API docs: https://developers.hubspot.com/docs/api/crm/properties
type PropertiesService service

// ErrPropertyMismatch reports that EnsureProperty found an existing
// property whose type differs from the wanted one; it does not change it.
var ErrPropertyMismatch = errors.New("hubspot: existing property has a different type")

// ListPropertiesOptions selects the properties List returns.
type ListPropertiesOptions struct {
	// Archived lists archived properties only.
	Archived bool `url:"archived,omitempty"`
	// DataSensitivity is "non_sensitive" (HubSpot's default), "sensitive"
	// or "highly_sensitive".
	DataSensitivity string `url:"dataSensitivity,omitempty"`
	// Properties restricts the list to these names.
	Properties []string `url:"properties,comma,omitempty"`
}

// PropertyCreateRequest defines a new contact property. Name, Label, Type,
// FieldType and GroupName are required.
type PropertyCreateRequest struct {
	Name               string           `json:"name"`
	Label              string           `json:"label"`
	Type               string           `json:"type"`
	FieldType          string           `json:"fieldType"`
	GroupName          string           `json:"groupName"`
	Description        string           `json:"description,omitempty"`
	Options            []PropertyOption `json:"options,omitempty"`
	DisplayOrder       int              `json:"displayOrder,omitempty"`
	HasUniqueValue     bool             `json:"hasUniqueValue,omitempty"`
	Hidden             bool             `json:"hidden,omitempty"`
	FormField          bool             `json:"formField,omitempty"`
	CalculationFormula string           `json:"calculationFormula,omitempty"`
	ExternalOptions    bool             `json:"externalOptions,omitempty"`
	// DataSensitivity is "non_sensitive" (the default), "sensitive" or
	// "highly_sensitive".
	DataSensitivity string `json:"dataSensitivity,omitempty"`
	// ReferencedObjectType is "OWNER" for a property whose options are
	// HubSpot users (with ExternalOptions).
	ReferencedObjectType string `json:"referencedObjectType,omitempty"`
	// CurrencyPropertyName names the related currency property.
	CurrencyPropertyName string `json:"currencyPropertyName,omitempty"`
	// TextDisplayHint is how HubSpot's UI shows and validates a text
	// property, e.g. "email", "phone_number" or "multi_line".
	TextDisplayHint string `json:"textDisplayHint,omitempty"`
}

// Data sensitivities of properties. HubSpot answers a read of a sensitive
// property without the matching dataSensitivity parameter with 404.
const (
	DataNonSensitive    = "non_sensitive"
	DataSensitive       = "sensitive"
	DataHighlySensitive = "highly_sensitive"
)

// GetPropertyOptions are the options of [PropertiesService.Get].
type GetPropertyOptions struct {
	// DataSensitivity must match a sensitive property's, or HubSpot
	// answers 404; empty means HubSpot's default, non_sensitive.
	DataSensitivity string `url:"dataSensitivity,omitempty"`
}

// PropertyUpdateRequest changes a contact property; nil fields are left
// unchanged. Options, when set, replaces the whole option list.
type PropertyUpdateRequest struct {
	Label        *string          `json:"label,omitempty"`
	Description  *string          `json:"description,omitempty"`
	GroupName    *string          `json:"groupName,omitempty"`
	Type         *string          `json:"type,omitempty"`
	FieldType    *string          `json:"fieldType,omitempty"`
	Options      []PropertyOption `json:"options,omitempty"`
	DisplayOrder *int             `json:"displayOrder,omitempty"`
	Hidden       *bool            `json:"hidden,omitempty"`
	FormField    *bool            `json:"formField,omitempty"`
}

// PropertyGroupUpdateRequest changes a property group; nil fields are left
// unchanged.
type PropertyGroupUpdateRequest struct {
	Label        *string `json:"label,omitempty"`
	DisplayOrder *int    `json:"displayOrder,omitempty"`
}

// Ptr returns a pointer to v, for optional request fields.
func Ptr[T any](v T) *T { return &v }

func propertyPath(name string) (string, error) {
	esc, err := escapeID(name)
	if err != nil {
		return "", err
	}
	return propertiesPath + "/" + esc, nil
}

func groupPath(name string) (string, error) {
	esc, err := escapeID(name)
	if err != nil {
		return "", err
	}
	return propertiesPath + "/groups/" + esc, nil
}

type propertyList struct {
	Results []*Property `json:"results"`
}

type groupList struct {
	Results []*PropertyGroup `json:"results"`
}

// List returns the contact property definitions (the endpoint is not paged).
//
// HubSpot API docs: GET /crm/v3/properties/contacts
func (s *PropertiesService) List(ctx context.Context, opts *ListPropertiesOptions) ([]*Property, *Response, error) {
	var l propertyList
	resp, err := s.client.do(ctx, apiclient.Call{Method: http.MethodGet, Path: propertiesPath, Query: opts, Out: &l})
	if err != nil {
		return nil, resp, err
	}
	return l.Results, resp, nil
}

// Get returns the definition of the named contact property; a missing one
// is an error matching [ErrNotFound]. A sensitive property is only found
// with the matching [GetPropertyOptions.DataSensitivity] (at most one
// GetPropertyOptions is used).
//
// HubSpot API docs: GET /crm/v3/properties/contacts/{propertyName}
func (s *PropertiesService) Get(ctx context.Context, name string, opts ...GetPropertyOptions) (*Property, *Response, error) {
	p, err := propertyPath(name)
	if err != nil {
		return nil, nil, err
	}
	var q *GetPropertyOptions
	if len(opts) > 0 {
		q = &opts[0]
	}
	prop := new(Property)
	resp, err := s.client.do(ctx, apiclient.Call{Method: http.MethodGet, Path: p, Query: q, Out: prop})
	if err != nil {
		return nil, resp, err
	}
	return prop, resp, nil
}

// Create creates a contact property.
//
// HubSpot API docs: POST /crm/v3/properties/contacts
func (s *PropertiesService) Create(ctx context.Context, req *PropertyCreateRequest) (*Property, *Response, error) {
	if req == nil || req.Name == "" || req.Label == "" || req.Type == "" || req.FieldType == "" || req.GroupName == "" {
		return nil, nil, fmt.Errorf("%w: property create needs name, label, type, field type and group name", ErrInvalidInput)
	}
	prop := new(Property)
	resp, err := s.client.do(ctx, apiclient.Call{Method: http.MethodPost, Path: propertiesPath, Body: req, Out: prop})
	if err != nil {
		return nil, resp, err
	}
	return prop, resp, nil
}

// Update changes the named contact property.
//
// HubSpot API docs: PATCH /crm/v3/properties/contacts/{propertyName}
func (s *PropertiesService) Update(ctx context.Context, name string, req *PropertyUpdateRequest) (*Property, *Response, error) {
	p, err := propertyPath(name)
	if err != nil {
		return nil, nil, err
	}
	if req == nil {
		return nil, nil, fmt.Errorf("%w: nil property update", ErrInvalidInput)
	}
	prop := new(Property)
	resp, err := s.client.do(ctx, apiclient.Call{Method: http.MethodPatch, Path: p, Body: req, Out: prop, Idempotent: &yes})
	if err != nil {
		return nil, resp, err
	}
	return prop, resp, nil
}

// ListGroups returns the contact property groups.
//
// HubSpot API docs: GET /crm/v3/properties/contacts/groups
func (s *PropertiesService) ListGroups(ctx context.Context) ([]*PropertyGroup, *Response, error) {
	var l groupList
	resp, err := s.client.do(ctx, apiclient.Call{Method: http.MethodGet, Path: propertiesPath + "/groups", Out: &l})
	if err != nil {
		return nil, resp, err
	}
	return l.Results, resp, nil
}

// GetGroup returns the named property group; a missing one is an error
// matching [ErrNotFound].
//
// HubSpot API docs: GET /crm/v3/properties/contacts/groups/{groupName}
func (s *PropertiesService) GetGroup(ctx context.Context, name string) (*PropertyGroup, *Response, error) {
	p, err := groupPath(name)
	if err != nil {
		return nil, nil, err
	}
	g := new(PropertyGroup)
	resp, err := s.client.do(ctx, apiclient.Call{Method: http.MethodGet, Path: p, Out: g})
	if err != nil {
		return nil, resp, err
	}
	return g, resp, nil
}

// CreateGroup creates a property group; Name and Label are required.
//
// HubSpot API docs: POST /crm/v3/properties/contacts/groups
func (s *PropertiesService) CreateGroup(ctx context.Context, group *PropertyGroup) (*PropertyGroup, *Response, error) {
	if group == nil || group.Name == "" || group.Label == "" {
		return nil, nil, fmt.Errorf("%w: property group needs name and label", ErrInvalidInput)
	}
	body := struct {
		Name         string `json:"name"`
		Label        string `json:"label"`
		DisplayOrder int    `json:"displayOrder,omitempty"`
	}{group.Name, group.Label, group.DisplayOrder}
	g := new(PropertyGroup)
	resp, err := s.client.do(ctx, apiclient.Call{Method: http.MethodPost, Path: propertiesPath + "/groups", Body: body, Out: g})
	if err != nil {
		return nil, resp, err
	}
	return g, resp, nil
}

// UpdateGroup changes the named property group.
//
// HubSpot API docs: PATCH /crm/v3/properties/contacts/groups/{groupName}
func (s *PropertiesService) UpdateGroup(ctx context.Context, name string, req *PropertyGroupUpdateRequest) (*PropertyGroup, *Response, error) {
	p, err := groupPath(name)
	if err != nil {
		return nil, nil, err
	}
	if req == nil {
		return nil, nil, fmt.Errorf("%w: nil property group update", ErrInvalidInput)
	}
	g := new(PropertyGroup)
	resp, err := s.client.do(ctx, apiclient.Call{Method: http.MethodPatch, Path: p, Body: req, Out: g, Idempotent: &yes})
	if err != nil {
		return nil, resp, err
	}
	return g, resp, nil
}

// EnsureGroup creates the property group unless one with that name exists,
// and returns the group as HubSpot has it. It is idempotent; a concurrent
// creation (409) is resolved by reading the group again.
//
// HubSpot API docs: GET, then POST /crm/v3/properties/contacts/groups
func (s *PropertiesService) EnsureGroup(ctx context.Context, group *PropertyGroup) (*PropertyGroup, error) {
	if group == nil || group.Name == "" || group.Label == "" {
		return nil, fmt.Errorf("%w: property group needs name and label", ErrInvalidInput)
	}
	g, _, err := s.GetGroup(ctx, group.Name)
	if err == nil {
		return g, nil
	}
	if !errors.Is(err, ErrNotFound) {
		return nil, err
	}
	g, _, err = s.CreateGroup(ctx, group)
	if errors.Is(err, ErrConflict) {
		g, _, err = s.GetGroup(ctx, group.Name)
	}
	if err != nil {
		return nil, err
	}
	return g, nil
}

// EnsureResult says what EnsureProperty changed.
type EnsureResult struct {
	// Created reports that the property did not exist and was created.
	Created bool
	// AddedOptions lists the option values that were added.
	AddedOptions []string
}

// Changed reports whether EnsureProperty changed anything.
func (r EnsureResult) Changed() bool { return r.Created || len(r.AddedOptions) > 0 }

// EnsureProperty makes sure the contact property exists with at least the
// wanted options: it creates a missing property (its group must exist, see
// EnsureGroup), and adds wanted enumeration options the existing property
// lacks, matching options by Value and keeping every existing option and
// its label. It never removes options or changes other attributes, and
// reports [ErrPropertyMismatch] when the existing property's type differs.
// Calling it again with the same definition changes nothing.
//
// The property is read with want's DataSensitivity. HubSpot hides a
// sensitive property from reads without the matching dataSensitivity (404)
// and refuses to create it again (409), so after such a 409 the property
// is looked for under each sensitivity before giving up.
//
// HubSpot API docs: GET, then POST or PATCH /crm/v3/properties/contacts/{propertyName}
func (s *PropertiesService) EnsureProperty(ctx context.Context, want *PropertyCreateRequest) (*Property, EnsureResult, error) {
	var res EnsureResult
	if want == nil || want.Name == "" {
		return nil, res, fmt.Errorf("%w: property needs a name", ErrInvalidInput)
	}
	prop, _, err := s.Get(ctx, want.Name, GetPropertyOptions{DataSensitivity: want.DataSensitivity})
	if errors.Is(err, ErrNotFound) {
		prop, _, err = s.Create(ctx, want)
		if err == nil {
			res.Created = true
			return prop, res, nil
		}
		if !errors.Is(err, ErrConflict) {
			return nil, res, err
		}
		// It exists: created concurrently, or with another sensitivity.
		prop, err = s.findAnySensitivity(ctx, want.Name, want.DataSensitivity)
	}
	if err != nil {
		return nil, res, err
	}
	if want.Type != "" && prop.Type != want.Type {
		return prop, res, fmt.Errorf("%w: property %q is %q, want %q", ErrPropertyMismatch, want.Name, prop.Type, want.Type)
	}
	merged := append([]PropertyOption(nil), prop.Options...)
	next := 0
	for _, o := range merged {
		next = max(next, o.DisplayOrder+1)
	}
	for _, o := range want.Options {
		if _, ok := prop.Option(o.Value); ok || contains(res.AddedOptions, o.Value) {
			continue
		}
		if o.DisplayOrder == 0 {
			o.DisplayOrder = next
		}
		next = max(next, o.DisplayOrder+1)
		merged = append(merged, o)
		res.AddedOptions = append(res.AddedOptions, o.Value)
	}
	if len(res.AddedOptions) == 0 {
		return prop, res, nil
	}
	updated, _, err := s.Update(ctx, want.Name, &PropertyUpdateRequest{Options: merged})
	if err != nil {
		return prop, EnsureResult{}, err
	}
	return updated, res, nil
}

// findAnySensitivity reads the named property with first's sensitivity,
// then with the others, returning the first found.
func (s *PropertiesService) findAnySensitivity(ctx context.Context, name, first string) (*Property, error) {
	var lastErr error
	tried := map[string]bool{}
	for _, ds := range []string{first, DataSensitive, DataHighlySensitive, DataNonSensitive} {
		if tried[ds] {
			continue
		}
		tried[ds] = true
		prop, _, err := s.Get(ctx, name, GetPropertyOptions{DataSensitivity: ds})
		if err == nil {
			return prop, nil
		}
		if !errors.Is(err, ErrNotFound) {
			return nil, err
		}
		lastErr = err
	}
	return nil, lastErr
}
