package sansantest

import (
	"time"
)

// JST is the fixed +09:00 zone in which the fake formats every timestamp.
// It is a [time.FixedZone], so the fake does not depend on tzdata.
var JST = time.FixedZone("JST", 9*60*60)

// Entry statuses of a card (digitization state).
const (
	EntryStatusProcessing = "processing"
	EntryStatusCompleted  = "completed"
	EntryStatusUnreadable = "unreadable"
)

// Tag types.
const (
	TagTypePrivate = "private"
	TagTypePublic  = "public"
	TagTypeShared  = "shared"
)

// wireTimeLayout renders times as on the wire: RFC 3339 with a numeric offset,
// which is always +09:00 because times are converted to [JST] first.
const wireTimeLayout = "2006-01-02T15:04:05-07:00"

// dateLayout is the layout of plain dates such as exchangeDate.
const dateLayout = "2006-01-02"

// User is a Sansan user of the fake tenant. Each user owns cards and tags and
// authenticates with its APIKey.
type User struct {
	// ID is the Sansan user id, a short string such as "ito".
	ID string
	// Name is the display name, e.g. "伊藤花子".
	Name string
	// Email is the user's e-mail address.
	Email string
	// APIKey is the value the user sends in X-Sansan-Api-Key.
	APIKey string
	// Admin users see every card of the tenant with range=all.
	Admin bool
	// CanSee lists the owner ids whose cards a non-admin user also sees with
	// range=all (the fake's simple model of cards shared with a user).
	CanSee []string
}

// Tag is a Sansan tag. Tags are attached to cards with [Fake.TagCard].
type Tag struct {
	// ID is the tag id (32 characters); filled by [Fake.AddTag] if empty.
	ID string
	// Name is the tag label, e.g. "展示会2024".
	Name string
	// Type is one of "private", "public" or "shared".
	Type string
	// OwnerID is the id of the user who owns the tag.
	OwnerID string
}

// Card is one business card as stored by the fake. Every field of the wire
// BizCard object exists here; nullable text fields are *string and are
// rendered as JSON null when nil.
type Card struct {
	// ID is the card id, 32 upper-case hex characters.
	ID string
	// PersonID is shared by every card of the same person.
	PersonID string
	// CompanyID identifies the company printed on the card.
	CompanyID string
	// ExchangeDate is a plain date "YYYY-MM-DD" or nil.
	ExchangeDate *string
	// RegisteredTime is when the card was registered.
	RegisteredTime time.Time
	// UpdatedTime is the last update; bizCards?updatedFrom=…&updatedTo=… filters on it.
	UpdatedTime time.Time
	// CompletedTime is when digitization completed (zero while processing).
	// It is not on the wire; it only drives orderBy=completedAt.
	CompletedTime time.Time
	// OwnerID is the id of the user holding the card.
	OwnerID string

	// LastName through Memo mirror the wire fields of the same lower
	// camel-case name (lastName … memo); nil is rendered as JSON null.
	LastName         *string
	FirstName        *string
	LastNameReading  *string
	FirstNameReading *string
	DepartmentName   *string
	Title            *string
	Email            *string
	Mobile           *string
	CompanyName      *string
	CountryCode      *string
	PostalCode       *string
	Address          *string
	Prefecture       *string
	City             *string
	Street           *string
	Building         *string
	Tel              *string
	SecondTel        *string
	Fax              *string
	URL              *string
	Memo             *string

	// EntryStatus is "processing", "completed" or "unreadable"; empty means completed.
	EntryStatus string
	// TagIDs are the ids of the tags attached to the card.
	TagIDs []string
}

// clone returns a deep copy of c (string pointers are shared; they are
// never written through).
func (c *Card) clone() *Card {
	cp := *c
	cp.TagIDs = append([]string(nil), c.TagIDs...)
	return &cp
}

// Ptr returns a pointer to v. It is handy for the nullable fields of [Card].
func Ptr[T any](v T) *T { return &v }

// wireOwner is the owner object of cards and tags.
type wireOwner struct {
	ID    string `json:"id"`
	Name  string `json:"name"`
	Email string `json:"email"`
}

// wireTag is the Tag object on the wire.
type wireTag struct {
	ID    string    `json:"id"`
	Name  string    `json:"name"`
	Type  string    `json:"type"`
	Owner wireOwner `json:"owner"`
}

// wireCard is the BizCard object on the wire. The fake deliberately does not
// share these structs with the sansan client package.
type wireCard struct {
	ID               string     `json:"id"`
	CompanyID        string     `json:"companyId"`
	PersonID         string     `json:"personId"`
	ExchangeDate     *string    `json:"exchangeDate"`
	RegisteredTime   string     `json:"registeredTime"`
	UpdatedTime      string     `json:"updatedTime"`
	Owner            wireOwner  `json:"owner"`
	LastName         *string    `json:"lastName"`
	FirstName        *string    `json:"firstName"`
	LastNameReading  *string    `json:"lastNameReading"`
	FirstNameReading *string    `json:"firstNameReading"`
	DepartmentName   *string    `json:"departmentName"`
	Title            *string    `json:"title"`
	Email            *string    `json:"email"`
	Mobile           *string    `json:"mobile"`
	CompanyName      *string    `json:"companyName"`
	CountryCode      *string    `json:"countryCode"`
	PostalCode       *string    `json:"postalCode"`
	Address          *string    `json:"address"`
	Prefecture       *string    `json:"prefecture"`
	City             *string    `json:"city"`
	Street           *string    `json:"street"`
	Building         *string    `json:"building"`
	Tel              *string    `json:"tel"`
	SecondTel        *string    `json:"secondTel"`
	Fax              *string    `json:"fax"`
	URL              *string    `json:"url"`
	Memo             *string    `json:"memo"`
	EntryStatus      string     `json:"entryStatus"`
	Tags             *[]wireTag `json:"tags,omitempty"`
}

// wireList is the envelope of every list endpoint.
type wireList[T any] struct {
	Data          []T    `json:"data"`
	HasMore       bool   `json:"hasMore"`
	NextPageToken string `json:"nextPageToken,omitempty"`
}

// wireItem is the envelope of single-object responses.
type wireItem[T any] struct {
	Item T `json:"item"`
}

// wirePerson is the person object of GET /persons/{id}.
type wirePerson struct {
	ID          string   `json:"id"`
	HeadBizCard wireCard `json:"headBizCard"`
}

// wireUser is the user object of GET /me.
type wireUser struct {
	ID    string `json:"id"`
	Name  string `json:"name"`
	Email string `json:"email"`
}

// wireError is the documented error body.
type wireError struct {
	StatusCode int               `json:"statusCode"`
	Message    string            `json:"message"`
	Error      []wireErrorDetail `json:"error"`
}

// wireErrorDetail is one entry of the error array.
type wireErrorDetail struct {
	Code    string `json:"code"`
	Message string `json:"message,omitempty"`
}

// wireNewCard is the request body of POST /bizCards.
type wireNewCard struct {
	ExchangeDate     *string  `json:"exchangeDate"`
	LastName         *string  `json:"lastName"`
	FirstName        *string  `json:"firstName"`
	LastNameReading  *string  `json:"lastNameReading"`
	FirstNameReading *string  `json:"firstNameReading"`
	DepartmentName   *string  `json:"departmentName"`
	Title            *string  `json:"title"`
	CompanyName      *string  `json:"companyName"`
	CountryCode      *string  `json:"countryCode"`
	PostalCode       *string  `json:"postalCode"`
	Prefecture       *string  `json:"prefecture"`
	City             *string  `json:"city"`
	Street           *string  `json:"street"`
	Building         *string  `json:"building"`
	Email            *string  `json:"email"`
	Mobile           *string  `json:"mobile"`
	Tel              *string  `json:"tel"`
	SecondTel        *string  `json:"secondTel"`
	Fax              *string  `json:"fax"`
	URL              *string  `json:"url"`
	Memo             *string  `json:"memo"`
	TagIDs           []string `json:"tagIds"`
}

// formatTime renders t as on the wire (RFC 3339, +09:00).
func formatTime(t time.Time) string { return t.In(JST).Format(wireTimeLayout) }
