package sansantest

import (
	"net/http"
	"strconv"

	"github.com/cardbridge/sansanhubspot/internal/jsonstr"
)

// The list endpoints serve up to 300 cards per page; encoding/json's
// reflection dominated their cost, so cards are appended by hand here. The
// output is semantically identical to json.Marshal of [wireCard]
// (TestAppendCardMatchesEncodingJSON and FuzzAppendString check it).

// appendField appends `"key":"value"` (or null when v is nil), preceded by a comma.
func appendField(b []byte, key string, v *string) []byte {
	b = append(b, ',', '"')
	b = append(b, key...)
	b = append(b, '"', ':')
	if v == nil {
		return append(b, "null"...)
	}
	return jsonstr.Append(b, *v, false)
}

func appendOwner(b []byte, o wireOwner) []byte {
	b = append(b, `{"id":`...)
	b = jsonstr.Append(b, o.ID, false)
	b = append(b, `,"name":`...)
	b = jsonstr.Append(b, o.Name, false)
	b = append(b, `,"email":`...)
	b = jsonstr.Append(b, o.Email, false)
	return append(b, '}')
}

func (f *Fake) appendTag(b []byte, t *Tag) []byte {
	b = append(b, `{"id":`...)
	b = jsonstr.Append(b, t.ID, false)
	b = append(b, `,"name":`...)
	b = jsonstr.Append(b, t.Name, false)
	b = append(b, `,"type":`...)
	b = jsonstr.Append(b, t.Type, false)
	b = append(b, `,"owner":`...)
	b = appendOwner(b, f.owner(t.OwnerID))
	return append(b, '}')
}

// appendCard appends the wire form of c, as [Fake.toWire] would render it,
// or as SetRawField or SetRawCard asked. f.mu must be held.
func (f *Fake) appendCard(b []byte, u *User, c *Card, includeTags bool) []byte {
	if len(f.raws) > 0 {
		if rc := f.raws[c.ID]; rc != nil {
			return f.appendRaw(b, u, c, includeTags, rc)
		}
	}
	return f.appendCardJSON(b, u, c, includeTags)
}

// appendCardJSON appends the card's own wire form. f.mu must be held.
func (f *Fake) appendCardJSON(b []byte, u *User, c *Card, includeTags bool) []byte {
	b = append(b, `{"id":`...)
	b = jsonstr.Append(b, c.ID, false)
	b = append(b, `,"companyId":`...)
	b = jsonstr.Append(b, c.CompanyID, false)
	b = append(b, `,"personId":`...)
	b = jsonstr.Append(b, c.PersonID, false)
	b = appendField(b, "exchangeDate", c.ExchangeDate)
	b = append(b, `,"registeredTime":"`...)
	b = c.RegisteredTime.In(JST).AppendFormat(b, wireTimeLayout)
	b = append(b, `","updatedTime":"`...)
	b = c.UpdatedTime.In(JST).AppendFormat(b, wireTimeLayout)
	b = append(b, `","owner":`...)
	b = appendOwner(b, f.owner(c.OwnerID))
	b = appendField(b, "lastName", c.LastName)
	b = appendField(b, "firstName", c.FirstName)
	b = appendField(b, "lastNameReading", c.LastNameReading)
	b = appendField(b, "firstNameReading", c.FirstNameReading)
	b = appendField(b, "departmentName", c.DepartmentName)
	b = appendField(b, "title", c.Title)
	b = appendField(b, "email", c.Email)
	b = appendField(b, "mobile", c.Mobile)
	b = appendField(b, "companyName", c.CompanyName)
	b = appendField(b, "countryCode", c.CountryCode)
	b = appendField(b, "postalCode", c.PostalCode)
	b = appendField(b, "address", c.Address)
	b = appendField(b, "prefecture", c.Prefecture)
	b = appendField(b, "city", c.City)
	b = appendField(b, "street", c.Street)
	b = appendField(b, "building", c.Building)
	b = appendField(b, "tel", c.Tel)
	b = appendField(b, "secondTel", c.SecondTel)
	b = appendField(b, "fax", c.Fax)
	b = appendField(b, "url", c.URL)
	b = appendField(b, "memo", c.Memo)
	b = append(b, `,"entryStatus":`...)
	b = jsonstr.Append(b, c.EntryStatus, false)
	if includeTags {
		b = append(b, `,"tags":[`...)
		for i, t := range f.cardTags(u, c) {
			if i > 0 {
				b = append(b, ',')
			}
			b = f.appendTag(b, t)
		}
		b = append(b, ']')
	}
	return append(b, '}')
}

// writeCards renders one page of cards: {"data":[…],"hasMore":…,"nextPageToken":…}.
func (f *Fake) writeCards(w http.ResponseWriter, u *User, cs []*Card, next string, includeTags bool) {
	b := make([]byte, 0, 64+len(cs)*1200)
	b = append(b, `{"data":[`...)
	f.mu.RLock()
	for i, c := range cs {
		if i > 0 {
			b = append(b, ',')
		}
		b = f.appendCard(b, u, c, includeTags)
	}
	f.mu.RUnlock()
	b = append(b, `],"hasMore":`...)
	b = strconv.AppendBool(b, next != "")
	if next != "" {
		b = append(b, `,"nextPageToken":`...)
		b = jsonstr.Append(b, next, false)
	}
	b = append(b, "}\n"...)
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(b)
}
