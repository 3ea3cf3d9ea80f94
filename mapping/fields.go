package mapping

import (
	"errors"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/cardbridge/sansanhubspot/sansan"
)

// cardField describes one card field a mapping's Source can name.
type cardField struct {
	name string
	kind ValueKind
	// get returns the field's value; "" means blank. An error means the
	// card holds a value that cannot be represented (e.g. an impossible
	// date); the field is then left out with a [CodeInvalidValue] problem.
	get func(c *sansan.BizCard) (string, error)
	// set writes a canonical, non-blank contact value into a registration
	// request; nil when POST /bizCards has no such field.
	set func(r *sansan.RegisterBizCardRequest, v string) error
	// target is the request's JSON field that set writes.
	target string
	// limit is the request field's length limit in UTF-16 code units (0:
	// none beyond MaxPropertyLength); over it the value is truncated with
	// a marker when truncate is true and left out otherwise.
	limit    int
	truncate bool
	// values lists every value a KindEnum field can take.
	values []string
}

// fieldNames returns the names a [Mapping] Source can use: the BizCard JSON
// names, plus "owner" ("name (email)"), "ownerId", "ownerName",
// "ownerEmail", "streetAddress" (street and building, or address) and
// "tagNames" (names of the public and shared tags, joined by "; ").
func fieldNames() []string {
	return []string{
		"id", "companyId", "personId", "exchangeDate", "registeredTime", "updatedTime",
		"owner", "ownerId", "ownerName", "ownerEmail",
		"lastName", "firstName", "lastNameReading", "firstNameReading",
		"departmentName", "title", "email", "mobile", "companyName", "countryCode",
		"postalCode", "address", "prefecture", "city", "street", "building", "streetAddress",
		"tel", "secondTel", "fax", "url", "memo", "entryStatus", "tags", "tagNames",
	}
}

// lookupField returns the descriptor of the named card field.
func lookupField(name string) (cardField, bool) {
	text := func(get func(c *sansan.BizCard) *string, set func(r *sansan.RegisterBizCardRequest) **string, target string) cardField {
		f := cardField{name: name, kind: KindText, target: target}
		f.get = func(c *sansan.BizCard) (string, error) { return deref(get(c)), nil }
		if set != nil {
			f.set = func(r *sansan.RegisterBizCardRequest, v string) error {
				*set(r) = &v
				return nil
			}
		}
		return f
	}
	plain := func(get func(c *sansan.BizCard) string) cardField {
		return cardField{name: name, kind: KindText, get: func(c *sansan.BizCard) (string, error) { return get(c), nil }}
	}
	switch name {
	case "id":
		return plain(func(c *sansan.BizCard) string { return c.ID }), true
	case "companyId":
		return plain(func(c *sansan.BizCard) string { return c.CompanyID }), true
	case "personId":
		return plain(func(c *sansan.BizCard) string { return c.PersonID }), true
	case "exchangeDate":
		return cardField{
			name: name, kind: KindDate, target: "exchangeDate",
			get: func(c *sansan.BizCard) (string, error) {
				if c.ExchangeDate == nil || c.ExchangeDate.IsZero() {
					return "", nil
				}
				return formatDate(*c.ExchangeDate)
			},
			set: func(r *sansan.RegisterBizCardRequest, v string) error {
				d, err := sansan.ParseDate(v)
				if err != nil {
					return err
				}
				r.ExchangeDate = &d
				return nil
			},
		}, true
	case "registeredTime":
		return cardField{name: name, kind: KindDateTime, get: func(c *sansan.BizCard) (string, error) {
			return formatDateTime(c.RegisteredTime), nil
		}}, true
	case "updatedTime":
		return cardField{name: name, kind: KindDateTime, get: func(c *sansan.BizCard) (string, error) {
			return formatDateTime(c.UpdatedTime), nil
		}}, true
	case "owner":
		return plain(ownerLabel), true
	case "ownerId":
		return plain(func(c *sansan.BizCard) string { return ownerOf(c).ID }), true
	case "ownerName":
		return plain(func(c *sansan.BizCard) string { return ownerOf(c).Name }), true
	case "ownerEmail":
		return plain(func(c *sansan.BizCard) string { return ownerOf(c).Email }), true
	case "lastName":
		f := text(func(c *sansan.BizCard) *string { return c.LastName },
			func(r *sansan.RegisterBizCardRequest) **string { return &r.LastName }, "lastName")
		f.limit = 250
		return f, true
	case "firstName":
		f := text(func(c *sansan.BizCard) *string { return c.FirstName },
			func(r *sansan.RegisterBizCardRequest) **string { return &r.FirstName }, "firstName")
		f.limit = 250
		return f, true
	case "lastNameReading":
		return text(func(c *sansan.BizCard) *string { return c.LastNameReading },
			func(r *sansan.RegisterBizCardRequest) **string { return &r.LastNameReading }, "lastNameReading"), true
	case "firstNameReading":
		return text(func(c *sansan.BizCard) *string { return c.FirstNameReading },
			func(r *sansan.RegisterBizCardRequest) **string { return &r.FirstNameReading }, "firstNameReading"), true
	case "departmentName":
		return text(func(c *sansan.BizCard) *string { return c.DepartmentName },
			func(r *sansan.RegisterBizCardRequest) **string { return &r.DepartmentName }, "departmentName"), true
	case "title":
		return text(func(c *sansan.BizCard) *string { return c.Title },
			func(r *sansan.RegisterBizCardRequest) **string { return &r.Title }, "title"), true
	case "email":
		f := text(func(c *sansan.BizCard) *string { return c.Email },
			func(r *sansan.RegisterBizCardRequest) **string { return &r.Email }, "email")
		f.kind = KindEmail
		return f, true
	case "mobile":
		return text(func(c *sansan.BizCard) *string { return c.Mobile },
			func(r *sansan.RegisterBizCardRequest) **string { return &r.Mobile }, "mobile"), true
	case "companyName":
		return text(func(c *sansan.BizCard) *string { return c.CompanyName },
			func(r *sansan.RegisterBizCardRequest) **string { return &r.CompanyName }, "companyName"), true
	case "countryCode":
		f := text(func(c *sansan.BizCard) *string { return c.CountryCode }, nil, "countryCode")
		f.set = setCountryCode
		return f, true
	case "postalCode":
		f := text(func(c *sansan.BizCard) *string { return c.PostalCode },
			func(r *sansan.RegisterBizCardRequest) **string { return &r.PostalCode }, "postalCode")
		f.limit = 10
		return f, true
	case "address":
		return text(func(c *sansan.BizCard) *string { return c.Address }, nil, ""), true
	case "prefecture":
		return text(func(c *sansan.BizCard) *string { return c.Prefecture },
			func(r *sansan.RegisterBizCardRequest) **string { return &r.Prefecture }, "prefecture"), true
	case "city":
		return text(func(c *sansan.BizCard) *string { return c.City },
			func(r *sansan.RegisterBizCardRequest) **string { return &r.City }, "city"), true
	case "street":
		return text(func(c *sansan.BizCard) *string { return c.Street },
			func(r *sansan.RegisterBizCardRequest) **string { return &r.Street }, "street"), true
	case "building":
		return text(func(c *sansan.BizCard) *string { return c.Building },
			func(r *sansan.RegisterBizCardRequest) **string { return &r.Building }, "building"), true
	case "streetAddress":
		f := text(nil, func(r *sansan.RegisterBizCardRequest) **string { return &r.Street }, "street")
		f.get = func(c *sansan.BizCard) (string, error) { return streetAddress(c), nil }
		return f, true
	case "tel":
		return text(func(c *sansan.BizCard) *string { return c.Tel },
			func(r *sansan.RegisterBizCardRequest) **string { return &r.Tel }, "tel"), true
	case "secondTel":
		return text(func(c *sansan.BizCard) *string { return c.SecondTel },
			func(r *sansan.RegisterBizCardRequest) **string { return &r.SecondTel }, "secondTel"), true
	case "fax":
		return text(func(c *sansan.BizCard) *string { return c.Fax },
			func(r *sansan.RegisterBizCardRequest) **string { return &r.Fax }, "fax"), true
	case "url":
		return text(func(c *sansan.BizCard) *string { return c.URL },
			func(r *sansan.RegisterBizCardRequest) **string { return &r.URL }, "url"), true
	case "memo":
		f := text(func(c *sansan.BizCard) *string { return c.Memo },
			func(r *sansan.RegisterBizCardRequest) **string { return &r.Memo }, "memo")
		f.limit, f.truncate = 2000, true
		return f, true
	case "entryStatus":
		return cardField{
			name: name, kind: KindEnum,
			get: func(c *sansan.BizCard) (string, error) { return string(c.EntryStatus), nil },
			values: []string{
				string(sansan.EntryStatusProcessing), string(sansan.EntryStatusCompleted), string(sansan.EntryStatusUnreadable),
			},
		}, true
	case "tags":
		return cardField{
			name: name, kind: KindMultiEnum, target: "tagIds",
			get: func(c *sansan.BizCard) (string, error) { return tagIDs(c.Tags), nil },
			set: setTagIDs,
		}, true
	case "tagNames":
		return plain(func(c *sansan.BizCard) string { return tagNames(c.Tags) }), true
	}
	return cardField{}, false
}

func deref(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

func ownerOf(c *sansan.BizCard) sansan.User {
	if c.Owner == nil {
		return sansan.User{}
	}
	return *c.Owner
}

// ownerLabel formats the card owner as "name (email)", or whichever of the
// two is present.
func ownerLabel(c *sansan.BizCard) string {
	o := ownerOf(c)
	name, email := trimBlank(o.Name), trimBlank(o.Email)
	switch {
	case name != "" && email != "":
		return name + " (" + email + ")"
	case name != "":
		return name
	}
	return email
}

// streetAddress joins street and building with a space; when both are
// blank it falls back to the one-line address.
func streetAddress(c *sansan.BizCard) string {
	street, building := trimBlank(deref(c.Street)), trimBlank(deref(c.Building))
	switch {
	case street != "" && building != "":
		return street + " " + building
	case street != "":
		return street
	case building != "":
		return building
	}
	return deref(c.Address)
}

// syncableTag reports whether a tag may be synced: only public and shared
// tags are, never private ones.
func syncableTag(t *sansan.Tag) bool {
	return t.Type == sansan.TagTypePublic || t.Type == sansan.TagTypeShared
}

// usableTagID reports whether id can be an enumeration option value: it is
// non-empty printable ASCII without spaces or ";" (Sansan ids are
// upper-case letters and digits).
func usableTagID(id string) bool {
	for i := 0; i < len(id); i++ {
		if c := id[i]; c <= ' ' || c >= 0x7f || c == ';' {
			return false
		}
	}
	return id != ""
}

// tagIDs returns the ids of the public and shared tags, sorted and
// de-duplicated, joined by ";". Ids that cannot be option values (see
// [usableTagID]) are skipped.
func tagIDs(tags []sansan.Tag) string {
	var buf [8]string
	ids := buf[:0]
	for i := range tags {
		if syncableTag(&tags[i]) && usableTagID(tags[i].ID) {
			ids = append(ids, tags[i].ID)
		}
	}
	switch len(ids) {
	case 0:
		return ""
	case 1:
		return ids[0]
	}
	slices.Sort(ids)
	return strings.Join(slices.Compact(ids), ";")
}

// tagNames returns the names of the public and shared tags, sorted and
// de-duplicated, joined by "; ".
func tagNames(tags []sansan.Tag) string {
	var names []string
	for i := range tags {
		if syncableTag(&tags[i]) {
			if name := trimBlank(tags[i].Name); name != "" {
				names = append(names, name)
			}
		}
	}
	slices.Sort(names)
	return strings.Join(slices.Compact(names), "; ")
}

// MaxRegisterTags is the most tags POST /bizCards accepts for one card.
const MaxRegisterTags = 15

func setTagIDs(r *sansan.RegisterBizCardRequest, v string) error {
	ids := strings.Split(v, ";")
	if len(ids) > MaxRegisterTags {
		r.TagIDs = ids[:MaxRegisterTags]
		return &valueError{code: CodeTooManyValues, kept: true,
			msg: strconv.Itoa(len(ids)) + " tags; only the first " + strconv.Itoa(MaxRegisterTags) + " are registered"}
	}
	r.TagIDs = ids
	return nil
}

// setCountryCode accepts an ISO 3166-1 alpha-2 code in any case, or AUTO.
func setCountryCode(r *sansan.RegisterBizCardRequest, v string) error {
	code := strings.ToUpper(v)
	if code != "AUTO" && (len(code) != 2 || code[0] < 'A' || code[0] > 'Z' || code[1] < 'A' || code[1] > 'Z') {
		return errors.New("not an ISO 3166-1 alpha-2 country code")
	}
	r.CountryCode = &code
	return nil
}

// valueError is a problem found while converting one value.
type valueError struct {
	code ProblemCode
	msg  string
	kept bool // a repaired value was still written
}

func (e *valueError) Error() string { return e.msg }

// formatDate formats a calendar date as "YYYY-MM-DD", or fails for an
// impossible date.
func formatDate(d sansan.Date) (string, error) {
	if d.Year < 1 || d.Year > 9999 || d.Month < time.January || d.Month > time.December ||
		d.Day < 1 || d.Day > daysIn(d.Year, d.Month) {
		return "", &valueError{code: CodeInvalidValue,
			msg: "impossible date " + strconv.Itoa(d.Year) + "-" + strconv.Itoa(int(d.Month)) + "-" + strconv.Itoa(d.Day)}
	}
	var b [10]byte
	y := d.Year
	b[0], b[1], b[2], b[3] = byte('0'+y/1000), byte('0'+y/100%10), byte('0'+y/10%10), byte('0'+y%10)
	b[4] = '-'
	b[5], b[6] = byte('0'+int(d.Month)/10), byte('0'+int(d.Month)%10)
	b[7] = '-'
	b[8], b[9] = byte('0'+d.Day/10), byte('0'+d.Day%10)
	return string(b[:]), nil
}

func daysIn(year int, month time.Month) int {
	switch month {
	case time.February:
		if year%4 == 0 && (year%100 != 0 || year%400 == 0) {
			return 29
		}
		return 28
	case time.April, time.June, time.September, time.November:
		return 30
	}
	return 31
}

// dateTimeLayout is how instants are written: RFC 3339 in UTC with
// milliseconds, HubSpot's own format.
const dateTimeLayout = "2006-01-02T15:04:05.000Z"

func formatDateTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(dateTimeLayout)
}
