package sansan

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"
)

// JST is the fixed +09:00 zone in which Sansan reports times. Query times are
// converted to it before they are sent. It is a [time.FixedZone], so the
// package does not depend on the system's time zone database.
var JST = time.FixedZone("JST", 9*60*60)

// Ptr returns a pointer to a copy of v. It helps fill optional fields:
//
//	req := &sansan.RegisterBizCardRequest{LastName: sansan.Ptr("伊藤")}
func Ptr[T any](v T) *T { return &v }

// EntryStatus is the digitization state of a card.
type EntryStatus string

// Entry statuses of a card.
const (
	// EntryStatusProcessing means the card is still being digitized.
	EntryStatusProcessing EntryStatus = "processing"
	// EntryStatusCompleted means digitization finished; the fields are final.
	EntryStatusCompleted EntryStatus = "completed"
	// EntryStatusUnreadable means the card image could not be digitized.
	EntryStatusUnreadable EntryStatus = "unreadable"
)

// TagType is the visibility of a tag.
type TagType string

// Tag types.
const (
	// TagTypePrivate tags are visible to their owner only.
	TagTypePrivate TagType = "private"
	// TagTypePublic tags are visible to other users.
	TagTypePublic TagType = "public"
	// TagTypeShared tags can be used by other users too.
	TagTypeShared TagType = "shared"
)

// Range selects whose cards or tags a request covers.
type Range string

// Ranges.
const (
	// RangeMe covers only the API key owner's cards (the server's default).
	RangeMe Range = "me"
	// RangeAll covers every card the API key owner may see.
	RangeAll Range = "all"
)

// OrderBy is the sort key of a card listing.
type OrderBy string

// Sort keys.
const (
	// OrderByRegisteredAt sorts by registration time.
	OrderByRegisteredAt OrderBy = "registeredAt"
	// OrderByCompletedAt sorts by digitization completion time (GET /bizCards only).
	OrderByCompletedAt OrderBy = "completedAt"
	// OrderByUpdatedAt sorts by last update time.
	OrderByUpdatedAt OrderBy = "updatedAt"
)

// OrderDirection is the sort direction of a card listing.
type OrderDirection string

// Sort directions.
const (
	// OrderAsc sorts oldest first.
	OrderAsc OrderDirection = "asc"
	// OrderDesc sorts newest first.
	OrderDesc OrderDirection = "desc"
)

// User is a Sansan user: a card or tag owner, or the API key owner returned
// by [UsersService.Me].
type User struct {
	// ID is the user id, a short string such as "ito".
	ID string `json:"id"`
	// Name is the display name, e.g. "伊藤花子".
	Name string `json:"name"`
	// Email is the user's e-mail address (absent in some older versions).
	Email string `json:"email,omitempty"`
}

// Tag is a Sansan tag, as listed by [TagsService.List] or attached to a card.
type Tag struct {
	// ID is the tag id.
	ID string `json:"id"`
	// Name is the tag label.
	Name string `json:"name"`
	// Type is the tag's visibility.
	Type TagType `json:"type"`
	// Owner is the user who owns the tag, when reported.
	Owner *User `json:"owner,omitempty"`
}

// BizCard is one business card.
//
// Every text field is a *string: nil means the field was JSON null or absent,
// a pointer to "" means the server sent an empty string. RegisteredTime and
// UpdatedTime keep the offset sent by the server (+09:00); ExchangeDate is a
// civil date with no time zone. Unknown fields are ignored when decoding, and
// Raw keeps the card's JSON exactly as received, so fields added by future
// API versions stay reachable.
type BizCard struct {
	// ID is the card id (32 upper-case hex characters).
	ID string `json:"id"`
	// CompanyID is Sansan's id of the company printed on the card.
	CompanyID string `json:"companyId,omitempty"`
	// PersonID is shared by all cards of the same person.
	PersonID string `json:"personId,omitempty"`
	// ExchangeDate is the day the card was exchanged, or nil.
	ExchangeDate *Date `json:"exchangeDate"`
	// RegisteredTime is when the card was registered.
	RegisteredTime time.Time `json:"registeredTime,omitzero"`
	// UpdatedTime is when the card was last updated.
	UpdatedTime time.Time `json:"updatedTime,omitzero"`
	// Owner is the Sansan user who holds the card.
	Owner *User `json:"owner,omitempty"`

	// LastName is the family name as printed.
	LastName *string `json:"lastName"`
	// FirstName is the given name as printed.
	FirstName *string `json:"firstName"`
	// LastNameReading is the reading (kana) of the family name.
	LastNameReading *string `json:"lastNameReading"`
	// FirstNameReading is the reading (kana) of the given name.
	FirstNameReading *string `json:"firstNameReading"`
	// DepartmentName is the department (部署名).
	DepartmentName *string `json:"departmentName"`
	// Title is the job title (役職).
	Title *string `json:"title"`
	// Email is the e-mail address.
	Email *string `json:"email"`
	// Mobile is the mobile phone number.
	Mobile *string `json:"mobile"`
	// CompanyName is the company name as printed, e.g. "株式会社 ITO".
	CompanyName *string `json:"companyName"`
	// CountryCode is the ISO 3166-1 alpha-2 country code, e.g. "JP".
	CountryCode *string `json:"countryCode"`
	// PostalCode is the postal code, e.g. "1000001".
	PostalCode *string `json:"postalCode"`
	// Address is the whole address on one line.
	Address *string `json:"address"`
	// Prefecture is the prefecture part of the address.
	Prefecture *string `json:"prefecture"`
	// City is the city part of the address.
	City *string `json:"city"`
	// Street is the street part of the address.
	Street *string `json:"street"`
	// Building is the building part of the address.
	Building *string `json:"building"`
	// Tel is the main phone number.
	Tel *string `json:"tel"`
	// SecondTel is the second phone number (TEL2).
	SecondTel *string `json:"secondTel"`
	// Fax is the fax number.
	Fax *string `json:"fax"`
	// URL is the web site printed on the card.
	URL *string `json:"url"`
	// Memo is a free-text note.
	Memo *string `json:"memo"`

	// EntryStatus is the digitization state.
	EntryStatus EntryStatus `json:"entryStatus,omitempty"`
	// Tags are the card's tags; only filled when tags were requested.
	Tags []Tag `json:"tags,omitempty"`

	// Raw is the card's JSON as received. It is filled by UnmarshalJSON and
	// never marshalled.
	Raw json.RawMessage `json:"-"`
}

// UnmarshalJSON decodes a card, tolerating nulls and unknown fields, and
// keeps a copy of data in Raw. Times without an offset are read as JST.
func (c *BizCard) UnmarshalJSON(data []byte) error {
	if bytes.Equal(bytes.TrimSpace(data), []byte("null")) {
		return nil
	}
	return c.decode(data, append(json.RawMessage(nil), data...))
}

// decode decodes data into c and keeps raw (data, or a copy of it) in
// c.Raw. The list decoder hands each card's own bytes as both, so a card
// is checked and decoded by one json.Unmarshal and not copied again.
func (c *BizCard) decode(data, raw []byte) error {
	type plain BizCard
	aux := struct {
		*plain
		RegisteredTime wireTime `json:"registeredTime"`
		UpdatedTime    wireTime `json:"updatedTime"`
	}{plain: (*plain)(c)}
	*c = BizCard{}
	if err := json.Unmarshal(data, &aux); err != nil {
		return err
	}
	c.RegisteredTime = aux.RegisteredTime.Time
	c.UpdatedTime = aux.UpdatedTime.Time
	if c.ExchangeDate != nil && c.ExchangeDate.IsZero() {
		c.ExchangeDate = nil // "" is as good as null
	}
	c.Raw = raw
	return nil
}

// plainString returns the content of a JSON string without escapes or
// control characters (every timestamp and date Sansan sends) without
// the cost of a nested json.Unmarshal; ok is false for anything else,
// which the caller decodes the general way.
func plainString(data []byte) (string, bool) {
	if len(data) < 2 || data[0] != '"' || data[len(data)-1] != '"' {
		return "", false
	}
	in := data[1 : len(data)-1]
	for _, b := range in {
		if b == '"' || b == '\\' || b < 0x20 || b >= 0x80 {
			return "", false
		}
	}
	return string(in), true
}

// wireTime decodes a Sansan timestamp: RFC 3339 with an offset, or without
// one (read as JST); null and "" decode to the zero time.
type wireTime struct{ time.Time }

func (t *wireTime) UnmarshalJSON(data []byte) error {
	if string(data) == "null" {
		return nil
	}
	s, ok := plainString(data)
	if !ok {
		if err := json.Unmarshal(data, &s); err != nil {
			return fmt.Errorf("sansan: time must be a string: %w", err)
		}
	}
	if s == "" {
		return nil
	}
	if v, err := time.Parse(time.RFC3339Nano, s); err == nil {
		t.Time = v
		return nil
	}
	v, err := time.ParseInLocation("2006-01-02T15:04:05.999999999", s, JST)
	if err != nil {
		return fmt.Errorf("sansan: invalid time %q", s)
	}
	t.Time = v
	return nil
}

// Person is one individual, identified across all of their cards, with the
// head (latest) card. It is returned by [PersonsService.Get].
type Person struct {
	// ID is the person id (the PersonID of each of their cards).
	ID string `json:"id"`
	// HeadBizCard is the person's current card.
	HeadBizCard *BizCard `json:"headBizCard"`
}

// RegisterBizCardRequest is the body of POST /bizCards, which registers a
// card from structured data (名刺データ登録API; it does not consume the
// digitization quota). At least one of CompanyName, LastName and FirstName
// must be set. Nil fields are not sent.
//
// A card registered for a person who already has cards is merged with them
// by Sansan; the card with the newest ExchangeDate becomes the person's head
// card, so leave ExchangeDate nil to keep an existing card as the head.
type RegisterBizCardRequest struct {
	// ExchangeDate is the day the card was exchanged.
	ExchangeDate *Date `json:"exchangeDate,omitempty"`
	// LastName is the family name (at most 250 characters).
	LastName *string `json:"lastName,omitempty"`
	// FirstName is the given name (at most 250 characters).
	FirstName *string `json:"firstName,omitempty"`
	// LastNameReading is the reading (kana) of the family name.
	LastNameReading *string `json:"lastNameReading,omitempty"`
	// FirstNameReading is the reading (kana) of the given name.
	FirstNameReading *string `json:"firstNameReading,omitempty"`
	// DepartmentName is the department.
	DepartmentName *string `json:"departmentName,omitempty"`
	// Title is the job title.
	Title *string `json:"title,omitempty"`
	// CompanyName is the company name.
	CompanyName *string `json:"companyName,omitempty"`
	// CountryCode is an ISO 3166-1 alpha-2 code, or "AUTO".
	CountryCode *string `json:"countryCode,omitempty"`
	// PostalCode is the postal code (at most 10 characters).
	PostalCode *string `json:"postalCode,omitempty"`
	// Prefecture is the prefecture part of the address.
	Prefecture *string `json:"prefecture,omitempty"`
	// City is the city part of the address.
	City *string `json:"city,omitempty"`
	// Street is the street part of the address.
	Street *string `json:"street,omitempty"`
	// Building is the building part of the address.
	Building *string `json:"building,omitempty"`
	// Email is the e-mail address.
	Email *string `json:"email,omitempty"`
	// Mobile is the mobile phone number.
	Mobile *string `json:"mobile,omitempty"`
	// Tel is the main phone number.
	Tel *string `json:"tel,omitempty"`
	// SecondTel is the second phone number.
	SecondTel *string `json:"secondTel,omitempty"`
	// Fax is the fax number.
	Fax *string `json:"fax,omitempty"`
	// URL is the web site.
	URL *string `json:"url,omitempty"`
	// Memo is a free-text note (at most 2000 characters).
	Memo *string `json:"memo,omitempty"`
	// TagIDs are the ids of tags to attach (at most 15).
	TagIDs []string `json:"tagIds,omitempty"`
}

// Date is a civil date (year, month, day) with no time zone, such as a
// card's exchange date. Its JSON form is "YYYY-MM-DD"; the zero Date is
// JSON null.
type Date struct {
	Year  int
	Month time.Month
	Day   int
}

// ErrInvalidDate reports a string that is not a "YYYY-MM-DD" date.
var ErrInvalidDate = errors.New("sansan: invalid date")

// ParseDate parses a "YYYY-MM-DD" date. A full timestamp
// ("YYYY-MM-DDThh:mm:ss+09:00") is accepted too, and its date part is kept
// as written, without converting time zones.
func ParseDate(s string) (Date, error) {
	if len(s) > 10 && (s[10] == 'T' || s[10] == 't' || s[10] == ' ') {
		s = s[:10]
	}
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return Date{}, fmt.Errorf("%w %q", ErrInvalidDate, s)
	}
	return DateOf(t), nil
}

// DateOf returns the date of t in t's own location.
func DateOf(t time.Time) Date {
	y, m, d := t.Date()
	return Date{Year: y, Month: m, Day: d}
}

// String returns the date as "YYYY-MM-DD", or "" for the zero Date.
func (d Date) String() string {
	if d.IsZero() {
		return ""
	}
	return fmt.Sprintf("%04d-%02d-%02d", d.Year, int(d.Month), d.Day)
}

// IsZero reports whether d is the zero Date.
func (d Date) IsZero() bool { return d == Date{} }

// In returns midnight at the start of d in loc.
func (d Date) In(loc *time.Location) time.Time {
	return time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, loc)
}

// Compare returns -1, 0 or +1 as d is before, equal to or after o.
func (d Date) Compare(o Date) int {
	switch {
	case d.Year != o.Year:
		return cmpInt(d.Year, o.Year)
	case d.Month != o.Month:
		return cmpInt(int(d.Month), int(o.Month))
	default:
		return cmpInt(d.Day, o.Day)
	}
}

func cmpInt(a, b int) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// MarshalJSON encodes d as "YYYY-MM-DD", or null for the zero Date.
func (d Date) MarshalJSON() ([]byte, error) {
	if d.IsZero() {
		return []byte("null"), nil
	}
	return []byte(strconv.Quote(d.String())), nil
}

// UnmarshalJSON decodes "YYYY-MM-DD" (or a timestamp, see [ParseDate]);
// null and "" leave the zero Date.
func (d *Date) UnmarshalJSON(data []byte) error {
	if string(data) == "null" {
		*d = Date{}
		return nil
	}
	s, ok := plainString(data)
	if !ok {
		if err := json.Unmarshal(data, &s); err != nil {
			return fmt.Errorf("%w: not a string", ErrInvalidDate)
		}
	}
	if s == "" {
		*d = Date{}
		return nil
	}
	v, err := ParseDate(s)
	if err != nil {
		return err
	}
	*d = v
	return nil
}

// Deref returns *p, or the zero value of T when p is nil. It reads optional
// fields such as [BizCard.Email] where null and "" mean the same.
func Deref[T any](p *T) T {
	if p == nil {
		var zero T
		return zero
	}
	return *p
}
