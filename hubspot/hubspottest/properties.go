package hubspottest

import (
	"encoding/json"
	"net/http"
	"regexp"
	"slices"
	"time"
)

// Property is a contact property definition with the JSON names of HubSpot's
// Property schema (hubspot-api.md §4.2).
type Property struct {
	Name            string           `json:"name"`
	Label           string           `json:"label"`
	Type            string           `json:"type"`
	FieldType       string           `json:"fieldType"`
	GroupName       string           `json:"groupName"`
	Description     string           `json:"description"`
	Options         []PropertyOption `json:"options"`
	DisplayOrder    int              `json:"displayOrder"`
	Hidden          bool             `json:"hidden"`
	FormField       bool             `json:"formField"`
	HasUniqueValue  bool             `json:"hasUniqueValue"`
	HubspotDefined  bool             `json:"hubspotDefined,omitempty"`
	Calculated      bool             `json:"calculated"`
	ExternalOptions bool             `json:"externalOptions"`
	Archived        bool             `json:"archived"`
	// DataSensitivity is "non_sensitive" when empty; a sensitive property
	// is only read (and listed) with the matching dataSensitivity
	// parameter, as on HubSpot.
	DataSensitivity      string                `json:"dataSensitivity,omitempty"`
	CreatedAt            string                `json:"createdAt,omitempty"`
	UpdatedAt            string                `json:"updatedAt,omitempty"`
	ModificationMetadata *ModificationMetadata `json:"modificationMetadata,omitempty"`
}

// PropertyOption is one allowed value of an enumeration property.
type PropertyOption struct {
	Label        string `json:"label"`
	Value        string `json:"value"`
	Description  string `json:"description,omitempty"`
	DisplayOrder int    `json:"displayOrder"`
	Hidden       bool   `json:"hidden"`
}

// ModificationMetadata tells whether a property's value or definition can be
// changed; ReadOnlyValue properties reject writes.
type ModificationMetadata struct {
	Archivable         bool `json:"archivable"`
	ReadOnlyDefinition bool `json:"readOnlyDefinition"`
	ReadOnlyOptions    bool `json:"readOnlyOptions"`
	ReadOnlyValue      bool `json:"readOnlyValue"`
}

// PropertyGroup is a property group with the JSON names of HubSpot's
// PropertyGroup schema.
type PropertyGroup struct {
	Name         string `json:"name"`
	Label        string `json:"label"`
	DisplayOrder int    `json:"displayOrder"`
	Archived     bool   `json:"archived"`
}

// readOnly reports whether writes to the property's value are rejected.
func (p *Property) readOnly() bool {
	return p.ModificationMetadata != nil && p.ModificationMetadata.ReadOnlyValue
}

func defaultGroups() []PropertyGroup {
	return []PropertyGroup{
		{Name: "contactinformation", Label: "Contact information", DisplayOrder: -1},
		{Name: "emailinformation", Label: "Email information", DisplayOrder: -1},
		{Name: "analyticsinformation", Label: "Web analytics history", DisplayOrder: -1},
		{Name: "contact_activity", Label: "Contact activity", DisplayOrder: -1},
		{Name: "conversioninformation", Label: "Conversion information", DisplayOrder: -1},
		{Name: "sales_properties", Label: "Sales properties", DisplayOrder: -1},
		{Name: "deal_information", Label: "Deal information", DisplayOrder: -1},
		{Name: "facebook_ads_properties", Label: "Facebook Ads properties", DisplayOrder: -1},
	}
}

func opts(values ...string) []PropertyOption {
	o := make([]PropertyOption, 0, len(values)/2)
	for i := 0; i+1 < len(values); i += 2 {
		o = append(o, PropertyOption{Label: values[i+1], Value: values[i], DisplayOrder: i / 2})
	}
	return o
}

// defaultProperties returns a realistic subset of HubSpot's default contact
// properties (hubspot-api.md §4.4).
func defaultProperties(created string) []Property {
	str := func(name, label, field string) Property {
		return Property{Name: name, Label: label, Type: "string", FieldType: field, GroupName: "contactinformation", FormField: true}
	}
	ro := func(p Property) Property {
		p.FormField = false
		p.ModificationMetadata = &ModificationMetadata{ReadOnlyDefinition: true, ReadOnlyValue: true}
		return p
	}
	ps := []Property{
		str("email", "Email", "text"),
		str("firstname", "First Name", "text"),
		str("lastname", "Last Name", "text"),
		str("company", "Company Name", "text"),
		str("jobtitle", "Job Title", "text"),
		str("phone", "Phone Number", "phonenumber"),
		str("mobilephone", "Mobile Phone Number", "phonenumber"),
		str("fax", "Fax Number", "text"),
		str("website", "Website URL", "text"),
		str("address", "Street Address", "text"),
		str("city", "City", "text"),
		str("state", "State/Region", "text"),
		str("zip", "Postal Code", "text"),
		str("country", "Country/Region", "text"),
		str("salutation", "Salutation", "text"),
		str("industry", "Industry", "text"),
		str("annualrevenue", "Annual Revenue", "text"),
		str("twitterhandle", "Twitter Username", "text"),
		str("message", "Message", "textarea"),
		str("hs_whatsapp_phone_number", "WhatsApp Phone Number", "phonenumber"),
		{Name: "hs_additional_emails", Label: "Additional email addresses", Type: "enumeration", FieldType: "checkbox", GroupName: "contactinformation", ExternalOptions: true,
			ModificationMetadata: &ModificationMetadata{ReadOnlyDefinition: true}},
		{Name: "lifecyclestage", Label: "Lifecycle Stage", Type: "enumeration", FieldType: "radio", GroupName: "contactinformation", FormField: true,
			Options: opts("subscriber", "Subscriber", "lead", "Lead", "marketingqualifiedlead", "Marketing Qualified Lead",
				"salesqualifiedlead", "Sales Qualified Lead", "opportunity", "Opportunity", "customer", "Customer",
				"evangelist", "Evangelist", "other", "Other")},
		{Name: "hs_lead_status", Label: "Lead Status", Type: "enumeration", FieldType: "radio", GroupName: "sales_properties", FormField: true,
			Options: opts("NEW", "New", "OPEN", "Open", "IN_PROGRESS", "In Progress", "OPEN_DEAL", "Open Deal",
				"UNQUALIFIED", "Unqualified", "ATTEMPTED_TO_CONTACT", "Attempted to Contact", "CONNECTED", "Connected", "BAD_TIMING", "Bad Timing")},
		{Name: "hs_language", Label: "Preferred language", Type: "enumeration", FieldType: "select", GroupName: "contactinformation", FormField: true,
			Options: opts("en", "English", "ja", "Japanese", "de", "German", "fr", "French", "es", "Spanish", "zh-cn", "Chinese - Simplified")},
		{Name: "numemployees", Label: "Number of Employees", Type: "enumeration", FieldType: "select", GroupName: "contactinformation", FormField: true,
			Options: opts("1-5", "1-5", "5-25", "5-25", "25-50", "25-50", "50-100", "50-100", "100-500", "100-500", "500-1000", "500-1000", "1000+", "1000+")},
		{Name: "hubspot_owner_id", Label: "Contact owner", Type: "enumeration", FieldType: "select", GroupName: "sales_properties", ExternalOptions: true},
		{Name: "hs_persona", Label: "Persona", Type: "enumeration", FieldType: "radio", GroupName: "contactinformation", Options: []PropertyOption{}},
		{Name: "date_of_birth", Label: "Date of birth", Type: "string", FieldType: "text", GroupName: "contactinformation", FormField: true},
		ro(Property{Name: "hs_object_id", Label: "Record ID", Type: "number", FieldType: "number", GroupName: "contactinformation"}),
		ro(Property{Name: "createdate", Label: "Create Date", Type: "datetime", FieldType: "date", GroupName: "contactinformation"}),
		ro(Property{Name: "lastmodifieddate", Label: "Last Modified Date", Type: "datetime", FieldType: "date", GroupName: "contactinformation"}),
		ro(Property{Name: "hs_createdate", Label: "Object create date/time", Type: "datetime", FieldType: "date", GroupName: "contactinformation"}),
		ro(Property{Name: "hs_lastmodifieddate", Label: "Object last modified date/time", Type: "datetime", FieldType: "date", GroupName: "contactinformation"}),
		ro(Property{Name: "hs_email_domain", Label: "Email Domain", Type: "string", FieldType: "text", GroupName: "contactinformation", Calculated: true}),
		ro(Property{Name: "hs_merged_object_ids", Label: "Merged Contact IDs", Type: "enumeration", FieldType: "checkbox", GroupName: "contactinformation"}),
		ro(Property{Name: "hs_email_optout", Label: "Unsubscribed from all email", Type: "bool", FieldType: "booleancheckbox", GroupName: "emailinformation",
			Options: opts("true", "True", "false", "False")}),
		ro(Property{Name: "notes_last_updated", Label: "Last Activity Date", Type: "datetime", FieldType: "date", GroupName: "contact_activity"}),
		ro(Property{Name: "hs_is_unworked", Label: "Contact unworked", Type: "bool", FieldType: "booleancheckbox", GroupName: "sales_properties",
			Options: opts("true", "True", "false", "False")}),
	}
	for i := range ps {
		p := &ps[i]
		p.HubspotDefined = true
		p.DisplayOrder = -1
		p.CreatedAt, p.UpdatedAt = created, created
		if p.Options == nil {
			p.Options = []PropertyOption{}
		}
		if p.ModificationMetadata == nil {
			p.ModificationMetadata = &ModificationMetadata{ReadOnlyDefinition: true}
		}
	}
	return ps
}

var propertyNameRE = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)

var validFieldTypes = map[string][]string{
	"string":       {"text", "textarea", "html", "file", "phonenumber", "calculation_equation"},
	"number":       {"number", "calculation_equation"},
	"bool":         {"booleancheckbox", "calculation_equation"},
	"enumeration":  {"select", "radio", "checkbox", "booleancheckbox", "calculation_equation"},
	"date":         {"date"},
	"datetime":     {"date"},
	"phone_number": {"phonenumber", "text"},
}

// AddProperty defines a custom contact property without an API call. It
// fails if the name is taken or the definition is invalid.
func (f *Fake) AddProperty(p Property) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if e := f.addPropertyLocked(&p); e != nil {
		return e
	}
	return nil
}

func (f *Fake) addPropertyLocked(p *Property) *apiError {
	if p.Name == "" || p.Label == "" || p.Type == "" || p.FieldType == "" || p.GroupName == "" {
		return validationError("name, label, type, fieldType and groupName are required")
	}
	if !propertyNameRE.MatchString(p.Name) {
		return validationError("Property name %q is invalid: use lower-case letters, digits and underscores", p.Name)
	}
	if _, ok := f.props[p.Name]; ok {
		return newError(http.StatusConflict, catExists, "Property named '%s' already exists.", p.Name)
	}
	fts, ok := validFieldTypes[p.Type]
	if !ok {
		return validationError("Invalid property type %q", p.Type)
	}
	if !slices.Contains(fts, p.FieldType) {
		return validationError("Field type %q is not valid for property type %q", p.FieldType, p.Type)
	}
	if !f.hasGroup(p.GroupName) {
		return validationError("Property group %s does not exist", p.GroupName)
	}
	if p.Type == "enumeration" && len(p.Options) == 0 && !p.ExternalOptions {
		return validationError("Enumeration property %s must have options", p.Name)
	}
	if p.Options == nil {
		p.Options = []PropertyOption{}
	}
	now := formatTime(f.now())
	p.CreatedAt, p.UpdatedAt = now, now
	p.HubspotDefined = false
	if p.ModificationMetadata == nil {
		p.ModificationMetadata = &ModificationMetadata{Archivable: true}
	}
	cp := *p
	f.props[p.Name] = &cp
	f.propOrder = append(f.propOrder, p.Name)
	return nil
}

func (f *Fake) hasGroup(name string) bool {
	return f.groupIndex(name) >= 0
}

// groupIndex returns the index of the active group name, or -1.
func (f *Fake) groupIndex(name string) int {
	return slices.IndexFunc(f.groups, func(g PropertyGroup) bool { return g.Name == name && !g.Archived })
}

func groupNotFound(name string) *apiError {
	return newError(http.StatusNotFound, catNotFound, "Unable to find property group with name '%s' for object type 0-1", name)
}

func (f *Fake) handleGetGroup(w http.ResponseWriter, _ *http.Request, name string) {
	f.mu.RLock()
	i := f.groupIndex(name)
	var g PropertyGroup
	if i >= 0 {
		g = f.groups[i]
	}
	f.mu.RUnlock()
	if i < 0 {
		writeError(w, groupNotFound(name))
		return
	}
	writeJSON(w, http.StatusOK, g)
}

func (f *Fake) handleUpdateGroup(w http.ResponseWriter, r *http.Request, name string) {
	var u struct {
		Label        *string `json:"label"`
		DisplayOrder *int    `json:"displayOrder"`
	}
	if e := decodeBody(r, &u); e != nil {
		writeError(w, e)
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	i := f.groupIndex(name)
	if i < 0 {
		writeError(w, groupNotFound(name))
		return
	}
	if u.Label != nil {
		f.groups[i].Label = *u.Label
	}
	if u.DisplayOrder != nil {
		f.groups[i].DisplayOrder = *u.DisplayOrder
	}
	writeJSON(w, http.StatusOK, f.groups[i])
}

// handleDeleteGroup archives a group (204, also when it is missing).
func (f *Fake) handleDeleteGroup(w http.ResponseWriter, _ *http.Request, name string) {
	f.mu.Lock()
	if i := f.groupIndex(name); i >= 0 {
		f.groups = slices.Delete(f.groups, i, i+1)
	}
	f.mu.Unlock()
	w.WriteHeader(http.StatusNoContent)
}

// handleDeleteProperty archives a custom property; HubSpot-defined ones
// cannot be archived.
func (f *Fake) handleDeleteProperty(w http.ResponseWriter, _ *http.Request, name string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	p, ok := f.props[name]
	if !ok || p.Archived {
		writeError(w, newError(http.StatusNotFound, catNotFound, "Unable to find property with name '%s' for object type 0-1", name))
		return
	}
	if p.ModificationMetadata != nil && !p.ModificationMetadata.Archivable {
		writeError(w, validationError("Property %s cannot be archived", name))
		return
	}
	p.Archived = true
	p.UpdatedAt = formatTime(f.now())
	w.WriteHeader(http.StatusNoContent)
}

// Properties returns the current contact property definitions.
func (f *Fake) Properties() []Property {
	f.mu.RLock()
	defer f.mu.RUnlock()
	out := make([]Property, 0, len(f.propOrder))
	for _, n := range f.propOrder {
		out = append(out, *f.props[n])
	}
	return out
}

type propertyList struct {
	Results []Property `json:"results"`
}

type groupList struct {
	Results []PropertyGroup `json:"results"`
}

// sensitivityOf is a property's (or a request's) data sensitivity, with
// HubSpot's default.
func sensitivityOf(s string) string {
	if s == "" {
		return "non_sensitive"
	}
	return s
}

func (f *Fake) handleListProperties(w http.ResponseWriter, r *http.Request) {
	archived := r.URL.Query().Get("archived") == "true"
	ds := sensitivityOf(r.URL.Query().Get("dataSensitivity"))
	f.mu.RLock()
	out := propertyList{Results: []Property{}}
	for _, n := range f.propOrder {
		if p := f.props[n]; p.Archived == archived && sensitivityOf(p.DataSensitivity) == ds {
			out.Results = append(out.Results, *p)
		}
	}
	f.mu.RUnlock()
	writeJSON(w, http.StatusOK, out)
}

func (f *Fake) handleGetProperty(w http.ResponseWriter, r *http.Request, name string) {
	f.mu.RLock()
	p, ok := f.props[name]
	ok = ok && p.Archived == (r.URL.Query().Get("archived") == "true") &&
		sensitivityOf(p.DataSensitivity) == sensitivityOf(r.URL.Query().Get("dataSensitivity"))
	var cp Property
	if ok {
		cp = *p
	}
	f.mu.RUnlock()
	if !ok {
		writeError(w, newError(http.StatusNotFound, catNotFound, "Unable to find property with name '%s' for object type 0-1", name))
		return
	}
	writeJSON(w, http.StatusOK, cp)
}

func (f *Fake) handleCreateProperty(w http.ResponseWriter, r *http.Request) {
	var p Property
	if e := decodeBody(r, &p); e != nil {
		writeError(w, e)
		return
	}
	f.mu.Lock()
	e := f.addPropertyLocked(&p)
	var out Property
	if e == nil {
		out = *f.props[p.Name]
	}
	f.mu.Unlock()
	if e != nil {
		writeError(w, e)
		return
	}
	writeJSON(w, http.StatusCreated, out)
}

// propertyUpdate mirrors PropertyUpdate: every field optional.
type propertyUpdate struct {
	Label        *string          `json:"label"`
	Type         *string          `json:"type"`
	FieldType    *string          `json:"fieldType"`
	GroupName    *string          `json:"groupName"`
	Description  *string          `json:"description"`
	Options      []PropertyOption `json:"options"`
	DisplayOrder *int             `json:"displayOrder"`
	Hidden       *bool            `json:"hidden"`
	FormField    *bool            `json:"formField"`
}

func (f *Fake) handleUpdateProperty(w http.ResponseWriter, r *http.Request, name string) {
	var u propertyUpdate
	if e := decodeBody(r, &u); e != nil {
		writeError(w, e)
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	p, ok := f.props[name]
	if !ok {
		writeError(w, newError(http.StatusNotFound, catNotFound, "Unable to find property with name '%s' for object type 0-1", name))
		return
	}
	if p.ModificationMetadata != nil && p.ModificationMetadata.ReadOnlyDefinition && (u.Type != nil || u.FieldType != nil || u.Options != nil) {
		writeError(w, validationError("Property %s has a read-only definition", name))
		return
	}
	np := *p
	set := func(dst *string, src *string) {
		if src != nil {
			*dst = *src
		}
	}
	set(&np.Label, u.Label)
	set(&np.Type, u.Type)
	set(&np.FieldType, u.FieldType)
	set(&np.GroupName, u.GroupName)
	set(&np.Description, u.Description)
	if u.Options != nil {
		np.Options = u.Options
	}
	if u.DisplayOrder != nil {
		np.DisplayOrder = *u.DisplayOrder
	}
	if u.Hidden != nil {
		np.Hidden = *u.Hidden
	}
	if u.FormField != nil {
		np.FormField = *u.FormField
	}
	if fts, ok := validFieldTypes[np.Type]; !ok || !slices.Contains(fts, np.FieldType) {
		writeError(w, validationError("Field type %q is not valid for property type %q", np.FieldType, np.Type))
		return
	}
	if !f.hasGroup(np.GroupName) {
		writeError(w, validationError("Property group %s does not exist", np.GroupName))
		return
	}
	np.UpdatedAt = formatTime(f.now())
	*p = np
	writeJSON(w, http.StatusOK, np)
}

func (f *Fake) handleListGroups(w http.ResponseWriter, _ *http.Request) {
	f.mu.RLock()
	out := groupList{Results: slices.Clone(f.groups)}
	f.mu.RUnlock()
	writeJSON(w, http.StatusOK, out)
}

func (f *Fake) handleCreateGroup(w http.ResponseWriter, r *http.Request) {
	var g PropertyGroup
	if e := decodeBody(r, &g); e != nil {
		writeError(w, e)
		return
	}
	if g.Name == "" || g.Label == "" {
		writeError(w, validationError("name and label are required"))
		return
	}
	if !propertyNameRE.MatchString(g.Name) {
		writeError(w, validationError("Property group name %q is invalid", g.Name))
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.hasGroup(g.Name) {
		writeError(w, newError(http.StatusConflict, catExists, "Property group named '%s' already exists.", g.Name))
		return
	}
	g.Archived = false
	f.groups = append(f.groups, g)
	writeJSON(w, http.StatusCreated, g)
}

// decodeBody decodes a JSON request body, mapping syntax errors to 400.
func decodeBody(r *http.Request, v any) *apiError {
	dec := json.NewDecoder(r.Body)
	if err := dec.Decode(v); err != nil {
		return validationError("Invalid input JSON: %s", err.Error())
	}
	return nil
}

// timeLayout is how HubSpot renders instants: ISO 8601, UTC, milliseconds.
const timeLayout = "2006-01-02T15:04:05.000Z"

func formatTime(t time.Time) string { return t.UTC().Format(timeLayout) }
