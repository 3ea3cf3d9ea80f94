package hubspot

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Properties holds contact property values as read from HubSpot. Values are
// strings on the wire; a nil value is a property HubSpot returned as null,
// and a missing key is a property it did not return, so absent, null and ""
// stay distinguishable.
type Properties map[string]*string

// Get returns the value of the named property and true, or "" and false when
// the property is absent or null.
func (p Properties) Get(name string) (string, bool) {
	v, ok := p[name]
	if !ok || v == nil {
		return "", false
	}
	return *v, true
}

// Has reports whether the property is present in p, even with a null value.
func (p Properties) Has(name string) bool {
	_, ok := p[name]
	return ok
}

// IsNull reports whether the property is present with a null value.
func (p Properties) IsNull(name string) bool {
	v, ok := p[name]
	return ok && v == nil
}

// PropertyValues holds contact property values to write to HubSpot. An empty
// string clears the property on HubSpot; leave a key out to leave that
// property untouched.
type PropertyValues map[string]string

// Contact is a HubSpot contact record (SimplePublicObject on the wire).
type Contact struct {
	// ID is the record ID, a numeric string that can exceed 32 bits.
	ID string `json:"id"`
	// Properties holds the requested property values.
	Properties Properties `json:"properties"`
	// PropertiesWithHistory holds value histories when they were requested.
	PropertiesWithHistory map[string][]PropertyHistoryValue `json:"propertiesWithHistory,omitempty"`
	// CreatedAt is when the record was created.
	CreatedAt time.Time `json:"createdAt"`
	// UpdatedAt is when the record was last modified.
	UpdatedAt time.Time `json:"updatedAt"`
	// Archived reports whether the record is archived (soft-deleted).
	Archived bool `json:"archived"`
	// ArchivedAt is when the record was archived, zero when it is not.
	ArchivedAt time.Time `json:"archivedAt,omitzero"`
	// ObjectWriteTraceID echoes the trace ID of the batch input that wrote
	// the record, when HubSpot returns it.
	ObjectWriteTraceID string `json:"objectWriteTraceId,omitempty"`
	// URL is the record's URL in HubSpot, when returned.
	URL string `json:"url,omitempty"`
	// Associations holds associated records by object type, when requested.
	Associations map[string]*AssociationPage `json:"associations,omitempty"`
	// Warnings are HubSpot's warnings about the write that returned the
	// record (the specs' warnings), when sent.
	Warnings []ObjectWarning `json:"warnings,omitempty"`
}

// ObjectWarning is one warning HubSpot attaches to a returned record
// (PublicObjectWarning on the wire). It decodes tolerantly: a context value
// that is not a string is kept as its JSON text.
type ObjectWarning struct {
	Category string            `json:"category"`
	Message  string            `json:"message"`
	Context  map[string]string `json:"context,omitempty"`
}

// UnmarshalJSON decodes a warning field by field; it never fails.
func (w *ObjectWarning) UnmarshalJSON(data []byte) error {
	*w = ObjectWarning{}
	var obj map[string]json.RawMessage
	if json.Unmarshal(data, &obj) != nil {
		w.Message = rawText(data)
		return nil
	}
	w.Category, w.Message = rawText(obj["category"]), rawText(obj["message"])
	w.Context = parseLinks(obj["context"])
	return nil
}

// PropertyHistoryValue is one historical value of a property.
type PropertyHistoryValue struct {
	Value           string    `json:"value"`
	Timestamp       time.Time `json:"timestamp"`
	SourceType      string    `json:"sourceType,omitempty"`
	SourceID        string    `json:"sourceId,omitempty"`
	SourceLabel     string    `json:"sourceLabel,omitempty"`
	UpdatedByUserID int64     `json:"updatedByUserId,omitempty"`
}

// AssociationPage lists records associated with a contact.
type AssociationPage struct {
	Results []Association `json:"results"`
	Paging  *Paging       `json:"paging,omitempty"`
}

// Association is one associated record.
type Association struct {
	ID   string `json:"id"`
	Type string `json:"type"`
}

// Paging is the paging block of list responses.
type Paging struct {
	Next *NextPage `json:"next,omitempty"`
}

// NextPage points at the next page of a list or search.
type NextPage struct {
	// After is the cursor to send as the after parameter.
	After string `json:"after"`
	// Link is a URL of the next page, when HubSpot provides one.
	Link string `json:"link,omitempty"`
}

// Property is the definition of a contact property.
//
// On the wire the modification flags are nested in a modificationMetadata
// object; Property flattens them into ReadOnlyValue, ReadOnlyDefinition,
// ReadOnlyOptions and Archivable, and its JSON methods nest them again.
type Property struct {
	Name                 string           `json:"name"`
	Label                string           `json:"label"`
	Description          string           `json:"description"`
	GroupName            string           `json:"groupName"`
	Type                 string           `json:"type"`
	FieldType            string           `json:"fieldType"`
	Options              []PropertyOption `json:"options"`
	DisplayOrder         int              `json:"displayOrder,omitempty"`
	Calculated           bool             `json:"calculated,omitempty"`
	CalculationFormula   string           `json:"calculationFormula,omitempty"`
	ExternalOptions      bool             `json:"externalOptions,omitempty"`
	HasUniqueValue       bool             `json:"hasUniqueValue,omitempty"`
	Hidden               bool             `json:"hidden,omitempty"`
	FormField            bool             `json:"formField,omitempty"`
	HubSpotDefined       bool             `json:"hubspotDefined,omitempty"`
	ReferencedObjectType string           `json:"referencedObjectType,omitempty"`
	DataSensitivity      string           `json:"dataSensitivity,omitempty"`
	CurrencyPropertyName string           `json:"currencyPropertyName,omitempty"`
	TextDisplayHint      string           `json:"textDisplayHint,omitempty"`
	// SensitiveData and SensitiveDataCategories describe a sensitive
	// property (e.g. the "HIPAA" category).
	SensitiveData           bool      `json:"sensitiveData,omitempty"`
	SensitiveDataCategories []string  `json:"sensitiveDataCategories,omitempty"`
	ShowCurrencySymbol      bool      `json:"showCurrencySymbol,omitempty"`
	NumberDisplayHint       string    `json:"numberDisplayHint,omitempty"`
	Archived                bool      `json:"archived,omitempty"`
	ArchivedAt              time.Time `json:"archivedAt,omitzero"`
	CreatedAt               time.Time `json:"createdAt,omitzero"`
	UpdatedAt               time.Time `json:"updatedAt,omitzero"`
	CreatedUserID           string    `json:"createdUserId,omitempty"`
	UpdatedUserID           string    `json:"updatedUserId,omitempty"`

	// ReadOnlyValue reports that the property's value cannot be written
	// (modificationMetadata.readOnlyValue).
	ReadOnlyValue bool `json:"-"`
	// ReadOnlyDefinition reports that the definition cannot be changed
	// (modificationMetadata.readOnlyDefinition).
	ReadOnlyDefinition bool `json:"-"`
	// ReadOnlyOptions reports that the options cannot be changed
	// (modificationMetadata.readOnlyOptions).
	ReadOnlyOptions bool `json:"-"`
	// Archivable reports that the property can be archived
	// (modificationMetadata.archivable).
	Archivable bool `json:"-"`
}

// ReadOnly reports whether the property's value cannot be written through
// the API (modificationMetadata.readOnlyValue).
func (p *Property) ReadOnly() bool { return p != nil && p.ReadOnlyValue }

// Option returns the option with the given value and true, or false when
// there is none.
func (p *Property) Option(value string) (PropertyOption, bool) {
	for _, o := range p.Options {
		if o.Value == value {
			return o, true
		}
	}
	return PropertyOption{}, false
}

// modificationMetadata is Property's nested wire form of its flags.
type modificationMetadata struct {
	Archivable         bool `json:"archivable"`
	ReadOnlyDefinition bool `json:"readOnlyDefinition"`
	ReadOnlyOptions    bool `json:"readOnlyOptions"`
	ReadOnlyValue      bool `json:"readOnlyValue"`
}

type propertyAlias Property

type propertyWire struct {
	propertyAlias
	ModificationMetadata *modificationMetadata `json:"modificationMetadata,omitempty"`
}

// UnmarshalJSON decodes a Property, flattening modificationMetadata.
func (p *Property) UnmarshalJSON(data []byte) error {
	var w propertyWire
	if err := json.Unmarshal(data, &w); err != nil {
		return err
	}
	*p = Property(w.propertyAlias)
	if m := w.ModificationMetadata; m != nil {
		p.Archivable = m.Archivable
		p.ReadOnlyDefinition = m.ReadOnlyDefinition
		p.ReadOnlyOptions = m.ReadOnlyOptions
		p.ReadOnlyValue = m.ReadOnlyValue
	}
	return nil
}

// MarshalJSON encodes a Property in HubSpot's wire form, nesting the
// modification flags in modificationMetadata.
func (p Property) MarshalJSON() ([]byte, error) {
	w := propertyWire{
		propertyAlias: propertyAlias(p),
		ModificationMetadata: &modificationMetadata{
			Archivable:         p.Archivable,
			ReadOnlyDefinition: p.ReadOnlyDefinition,
			ReadOnlyOptions:    p.ReadOnlyOptions,
			ReadOnlyValue:      p.ReadOnlyValue,
		},
	}
	if w.Options == nil {
		w.Options = []PropertyOption{}
	}
	return json.Marshal(w)
}

// PropertyOption is one option of an enumeration property. Value, not
// Label, is what is written to and read from records.
type PropertyOption struct {
	Label        string `json:"label"`
	Value        string `json:"value"`
	DisplayOrder int    `json:"displayOrder"`
	Hidden       bool   `json:"hidden"`
	Description  string `json:"description,omitempty"`
}

// PropertyGroup is a group of contact properties.
type PropertyGroup struct {
	Name         string `json:"name"`
	Label        string `json:"label"`
	DisplayOrder int    `json:"displayOrder"`
	Archived     bool   `json:"archived,omitempty"`
}

// MaxBatchSize is the most inputs HubSpot accepts in one batch request.
// Batch methods reject larger inputs with [ErrBatchTooLarge] rather than
// splitting them, so one method call is always one API call.
const MaxBatchSize = 100

// BatchCreateInput is one contact to create in [ContactsService.BatchCreate].
type BatchCreateInput struct {
	// Properties holds the new contact's values; include "email" to avoid
	// duplicates.
	Properties PropertyValues `json:"properties"`
	// ObjectWriteTraceID identifies the input in results and errors. It is
	// generated when empty and must be unique within a batch.
	ObjectWriteTraceID string `json:"objectWriteTraceId,omitempty"`
}

// BatchUpdateInput is one contact to update by record ID in
// [ContactsService.BatchUpdate].
type BatchUpdateInput struct {
	// ID is the contact's record ID.
	ID string `json:"id"`
	// Properties holds the values to write; "" clears a property.
	Properties PropertyValues `json:"properties"`
	// ObjectWriteTraceID identifies the input in errors. It is generated
	// when empty and must be unique within a batch.
	ObjectWriteTraceID string `json:"objectWriteTraceId,omitempty"`
}

// BatchUpsertInput is one contact to create or update in
// [ContactsService.BatchUpsert].
type BatchUpsertInput struct {
	// ID is the value of IDProperty that identifies the contact: the email
	// address when IDProperty is "email".
	ID string `json:"id"`
	// IDProperty names the unique property ID holds; "" means "email".
	IDProperty string `json:"idProperty,omitempty"`
	// Properties holds the values to write; "" clears a property.
	Properties PropertyValues `json:"properties"`
	// ObjectWriteTraceID identifies the input in results and errors. It is
	// generated when empty and must be unique within a batch.
	ObjectWriteTraceID string `json:"objectWriteTraceId,omitempty"`
}

// BatchResult is the outcome of a batch read, create, update or upsert.
//
// Results and Errors are HubSpot's response as sent (a 207 response carries
// both). Outcomes has exactly one entry per input, in input order, each
// holding either the contact that input produced or the error that input
// caused; results are matched to inputs by key (record ID, email, the
// idProperty value, or objectWriteTraceId), never by position.
type BatchResult struct {
	// Status is HubSpot's batch status, normally "COMPLETE".
	Status string
	// Results are the contacts returned, in HubSpot's order.
	Results []*Contact
	// Errors are the errors returned, in HubSpot's order.
	Errors []*BatchError
	// NumErrors is HubSpot's count of errors (numErrors), 0 when absent.
	NumErrors int
	// Links are HubSpot's links about the batch, when sent.
	Links map[string]string
	// RequestedAt, StartedAt and CompletedAt are HubSpot's timestamps.
	RequestedAt, StartedAt, CompletedAt time.Time
	// Outcomes has one entry per input, in input order.
	Outcomes []*BatchOutcome
}

// Outcome returns the outcome of the input with the given key (see
// [BatchOutcome.Key]); email keys match case-insensitively.
func (r *BatchResult) Outcome(key string) (*BatchOutcome, bool) {
	if r == nil {
		return nil, false
	}
	for _, o := range r.Outcomes {
		if o.Key == key {
			return o, true
		}
	}
	for _, o := range r.Outcomes {
		if strings.EqualFold(o.Key, key) {
			return o, true
		}
	}
	return nil, false
}

// Failed returns the outcomes that carry an error, in input order.
func (r *BatchResult) Failed() []*BatchOutcome {
	if r == nil {
		return nil
	}
	var out []*BatchOutcome
	for _, o := range r.Outcomes {
		if o.Err != nil {
			out = append(out, o)
		}
	}
	return out
}

// BatchOutcome is what one batch input produced: a contact or an error.
type BatchOutcome struct {
	// Index is the input's position in the request.
	Index int
	// Key identifies the input: the record ID for update and read by ID,
	// the email (or idProperty value) for upsert and read by email, and the
	// objectWriteTraceId for create.
	Key string
	// TraceID is the input's objectWriteTraceId (empty for reads).
	TraceID string
	// Contact is the resulting contact, nil when Err is set.
	Contact *Contact
	// New reports, for upserts, that the contact was created rather than
	// updated.
	New bool
	// Err is the error HubSpot reported for this input, or one with
	// category [CategoryMissingResult] when HubSpot returned neither a
	// result nor an error for it. It is nil on success.
	Err *BatchError
}

// BatchError is one entry of a batch response's errors array
// (StandardError on the wire). It implements error and matches the package
// sentinels through errors.Is: OBJECT_NOT_FOUND is [ErrNotFound], CONFLICT
// is [ErrConflict], VALIDATION_ERROR is [ErrValidation].
type BatchError struct {
	Status      string            `json:"status,omitempty"`
	Category    string            `json:"category,omitempty"`
	SubCategory SubCategory       `json:"subCategory,omitempty"`
	Message     string            `json:"message"`
	Context     ErrorContext      `json:"context,omitempty"`
	Errors      []ErrorDetail     `json:"errors,omitempty"`
	Links       map[string]string `json:"links,omitempty"`
	ID          string            `json:"id,omitempty"`

	// Extra keeps the raw JSON of fields this package does not know.
	Extra map[string]json.RawMessage `json:"-"`

	// PropertyErrors holds the per-property errors parsed from a
	// "Property values were not valid: [...]" message.
	PropertyErrors []PropertyError `json:"-"`
	// ExistingID is the existing contact's ID parsed from a CONFLICT
	// message ("Existing ID: N"), or "".
	ExistingID string `json:"-"`
}

// SubCategory is an error sub-category. HubSpot sends it as a string in
// some responses and as an object in others; objects are kept as their raw
// JSON text.
type SubCategory string

// UnmarshalJSON accepts a string, null or any JSON value.
func (s *SubCategory) UnmarshalJSON(data []byte) error {
	var str string
	if err := json.Unmarshal(data, &str); err == nil {
		*s = SubCategory(str)
		return nil
	}
	if string(data) == "null" {
		*s = ""
		return nil
	}
	*s = SubCategory(data)
	return nil
}

// ErrorDetail is one entry of an error's errors array.
type ErrorDetail struct {
	Message     string       `json:"message"`
	In          string       `json:"in,omitempty"`
	Code        string       `json:"code,omitempty"`
	SubCategory string       `json:"subCategory,omitempty"`
	Context     ErrorContext `json:"context,omitempty"`
}

// PropertyError is one invalid property value reported by HubSpot, parsed
// from the JSON array HubSpot embeds in a "Property values were not valid"
// message.
type PropertyError struct {
	// Name is the property's internal name.
	Name string `json:"name"`
	// Code is HubSpot's error code, e.g. [PropertyErrorInvalidEmail].
	Code string `json:"error"`
	// Message is HubSpot's explanation.
	Message string `json:"message"`
	// IsValid is HubSpot's isValid flag (false for errors).
	IsValid bool `json:"isValid"`
	// LocalizedErrorMessage is HubSpot's localized message, when sent.
	LocalizedErrorMessage string `json:"localizedErrorMessage,omitempty"`
}

// Error implements error.
func (e PropertyError) Error() string {
	return fmt.Sprintf("property %q: %s: %s", e.Name, e.Code, e.Message)
}

// Property error codes HubSpot is known to send in PropertyError.Code.
const (
	PropertyErrorInvalidEmail       = "INVALID_EMAIL"
	PropertyErrorDoesntExist        = "PROPERTY_DOESNT_EXIST"
	PropertyErrorInvalidOption      = "INVALID_OPTION"
	PropertyErrorReadOnly           = "READ_ONLY_VALUE"
	PropertyErrorInvalidInteger     = "INVALID_INTEGER"
	PropertyErrorInvalidDate        = "INVALID_DATE"
	PropertyErrorInvalidLong        = "INVALID_LONG"
	PropertyErrorInvalidDecimal     = "INVALID_DECIMAL"
	PropertyErrorInvalidBoolean     = "INVALID_BOOLEAN"
	PropertyErrorInvalidDateTime    = "INVALID_DATETIME"
	PropertyErrorValueTooLong       = "VALUE_TOO_LONG"
	PropertyErrorInvalidPhoneNumber = "INVALID_PHONE_NUMBER"
)

// Operator is a search filter operator.
type Operator string

// Search filter operators.
const (
	OperatorEQ               Operator = "EQ"
	OperatorNEQ              Operator = "NEQ"
	OperatorLT               Operator = "LT"
	OperatorLTE              Operator = "LTE"
	OperatorGT               Operator = "GT"
	OperatorGTE              Operator = "GTE"
	OperatorBetween          Operator = "BETWEEN"
	OperatorIn               Operator = "IN"
	OperatorNotIn            Operator = "NOT_IN"
	OperatorHasProperty      Operator = "HAS_PROPERTY"
	OperatorNotHasProperty   Operator = "NOT_HAS_PROPERTY"
	OperatorContainsToken    Operator = "CONTAINS_TOKEN"
	OperatorNotContainsToken Operator = "NOT_CONTAINS_TOKEN"
)

// SortDirection is a search sort direction.
type SortDirection string

// Sort directions.
const (
	Ascending  SortDirection = "ASCENDING"
	Descending SortDirection = "DESCENDING"
)

// Filter is one search condition. Values are strings on the wire; dates
// and datetimes are compared as epoch milliseconds (see [FormatDateTimeMillis]).
type Filter struct {
	PropertyName string   `json:"propertyName"`
	Operator     Operator `json:"operator"`
	// Value is the operand of comparison and token operators, and the low
	// bound of BETWEEN.
	Value string `json:"value,omitempty"`
	// HighValue is the high bound of BETWEEN.
	HighValue string `json:"highValue,omitempty"`
	// Values is the operand of IN and NOT_IN (lower-case for string
	// properties).
	Values []string `json:"values,omitempty"`
}

// FilterGroup is a set of filters that must all match (AND). A search's
// groups are alternatives (OR).
type FilterGroup struct {
	Filters []Filter `json:"filters"`
}

// Sort orders search results. HubSpot applies only one sort.
type Sort struct {
	PropertyName string        `json:"propertyName"`
	Direction    SortDirection `json:"direction"`
}

// SearchRequest is the body of a contact search. Empty fields are omitted
// from the request.
type SearchRequest struct {
	FilterGroups []FilterGroup `json:"filterGroups,omitempty"`
	Sorts        []Sort        `json:"sorts,omitempty"`
	// Query is free text matched against the default searchable properties.
	Query string `json:"query,omitempty"`
	// Properties selects the properties returned.
	Properties []string `json:"properties,omitempty"`
	// Limit is the page size, at most [MaxSearchLimit] (HubSpot's default is 10).
	Limit int `json:"limit,omitempty"`
	// After is the integer offset of the page, as returned in the previous
	// page's [SearchResult.After].
	After string `json:"after,omitempty"`
}

// SearchResult is one page of search results.
type SearchResult struct {
	// Total is the number of matching records.
	Total int `json:"total"`
	// Results are the matching contacts of this page.
	Results []*Contact `json:"results"`
	// Paging points at the next page; nil on the last page.
	Paging *Paging `json:"paging,omitempty"`
}

// After returns the offset of the next page, or "" on the last page.
func (r *SearchResult) After() string {
	if r == nil || r.Paging == nil || r.Paging.Next == nil {
		return ""
	}
	return r.Paging.Next.After
}

// WebhookEvent is one event of a webhook delivery.
type WebhookEvent struct {
	EventID        int64 `json:"eventId"`
	SubscriptionID int64 `json:"subscriptionId"`
	PortalID       int64 `json:"portalId"`
	AppID          int64 `json:"appId"`
	// OccurredAt is when the change happened (epoch milliseconds on the wire).
	OccurredAt time.Time `json:"-"`
	// SubscriptionType is what happened, e.g. SubscriptionContactPropertyChange.
	SubscriptionType SubscriptionType `json:"subscriptionType"`
	// AttemptNumber counts HubSpot's delivery attempts, starting at 0.
	AttemptNumber int `json:"attemptNumber"`
	// ObjectID is the record ID (a number here, a string in the REST API).
	ObjectID int64 `json:"objectId"`
	// ObjectTypeID is set by generic object.* subscriptions ("0-1" for contacts).
	ObjectTypeID string `json:"objectTypeId,omitempty"`
	// PropertyName and PropertyValue describe a propertyChange; the value
	// is "REDACTED" for sensitive properties.
	PropertyName  string `json:"propertyName,omitempty"`
	PropertyValue string `json:"propertyValue,omitempty"`
	// IsSensitive marks a sensitive property change.
	IsSensitive bool `json:"isSensitive,omitempty"`
	// ChangeSource is e.g. "CRM_UI", "API", "IMPORT", "INTEGRATION".
	ChangeSource string `json:"changeSource,omitempty"`
	// SourceID identifies the source, e.g. "userId:123".
	SourceID string `json:"sourceId,omitempty"`
	// ChangeFlag is "NEW" on creation events.
	ChangeFlag string `json:"changeFlag,omitempty"`
	// PrimaryObjectID, MergedObjectIDs, NewObjectID and
	// NumberOfPropertiesMoved describe a merge.
	PrimaryObjectID         int64   `json:"primaryObjectId,omitempty"`
	MergedObjectIDs         []int64 `json:"mergedObjectIds,omitempty"`
	NewObjectID             int64   `json:"newObjectId,omitempty"`
	NumberOfPropertiesMoved int     `json:"numberOfPropertiesMoved,omitempty"`
	// AssociationType, FromObjectID, ToObjectID, AssociationRemoved and
	// IsPrimaryAssociation describe an associationChange.
	AssociationType      string `json:"associationType,omitempty"`
	FromObjectID         int64  `json:"fromObjectId,omitempty"`
	ToObjectID           int64  `json:"toObjectId,omitempty"`
	AssociationRemoved   bool   `json:"associationRemoved,omitempty"`
	IsPrimaryAssociation bool   `json:"isPrimaryAssociation,omitempty"`
}

// ContactID returns ObjectID as the string record ID the REST API uses.
func (e *WebhookEvent) ContactID() string { return strconv.FormatInt(e.ObjectID, 10) }

// SubscriptionType names a webhook subscription: what happened to the
// object. The contact types HubSpot sends are listed below; others pass
// through as they come.
type SubscriptionType string

// Contact webhook subscription types.
const (
	SubscriptionContactCreation          SubscriptionType = "contact.creation"
	SubscriptionContactDeletion          SubscriptionType = "contact.deletion"
	SubscriptionContactPrivacyDeletion   SubscriptionType = "contact.privacyDeletion"
	SubscriptionContactPropertyChange    SubscriptionType = "contact.propertyChange"
	SubscriptionContactMerge             SubscriptionType = "contact.merge"
	SubscriptionContactRestore           SubscriptionType = "contact.restore"
	SubscriptionContactAssociationChange SubscriptionType = "contact.associationChange"
)
