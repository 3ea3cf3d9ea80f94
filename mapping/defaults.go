package mapping

import "github.com/cardbridge/sansanhubspot/hubspot"

// Default returns a new Set with the default mappings of the package
// documentation's table. Each call returns a fresh Set that the caller may
// change freely.
//
// Every default mapping uses [WinnerSansan], [OverflowTruncate] and
// [BlanksClearOwn]. Fields that a card registration (POST /bizCards) can carry
// flow [Both] ways; the rest (ids, owner, tags) flow [ToHubSpot] only.
func Default() *Set {
	both := func(property, source string) Mapping {
		return Mapping{Property: property, Source: source, Direction: Both}
	}
	custom := func(m Mapping, label, description, typ, fieldType string) Mapping {
		m.Definition = &hubspot.Property{
			Name: m.Property, Label: label, Description: description,
			GroupName: GroupName, Type: typ, FieldType: fieldType,
		}
		return m
	}
	text := func(m Mapping, label, description string) Mapping {
		return custom(m, label, description, "string", "text")
	}
	toHubSpot := func(property, source string) Mapping {
		return Mapping{Property: property, Source: source, Direction: ToHubSpot}
	}
	s, err := New(
		both("email", "email"),
		both("lastname", "lastName"),
		both("firstname", "firstName"),
		both("company", "companyName"),
		both("jobtitle", "title"),
		both("phone", "tel"),
		both("mobilephone", "mobile"),
		both("fax", "fax"),
		both("website", "url"),
		both("zip", "postalCode"),
		both("state", "prefecture"),
		both("city", "city"),
		both("address", "streetAddress"),
		both("country", "countryCode"),
		text(both("sansan_department", "departmentName"),
			"Department (Sansan)", "Department name (部署名) printed on the Sansan business card."),
		text(both("sansan_last_name_reading", "lastNameReading"),
			"Last name reading (Sansan)", "Reading (kana) of the last name (姓) from the Sansan business card."),
		text(both("sansan_first_name_reading", "firstNameReading"),
			"First name reading (Sansan)", "Reading (kana) of the first name (名) from the Sansan business card."),
		custom(both("sansan_exchange_date", "exchangeDate"),
			"Card exchange date (Sansan)", "Day the Sansan business card was exchanged (名刺交換日).", "date", "date"),
		text(toHubSpot("sansan_card_id", "id"),
			"Sansan card ID", "ID of the Sansan business card this contact was synced from."),
		text(toHubSpot("sansan_person_id", "personId"),
			"Sansan person ID", "Sansan person ID, shared by all business cards of the same person."),
		text(toHubSpot("sansan_company_id", "companyId"),
			"Sansan company ID", "Sansan ID of the company printed on the business card."),
		text(toHubSpot("sansan_owner", "owner"),
			"Card owner (Sansan)", "Sansan user who holds the business card, as \"name (email)\"."),
		custom(toHubSpot("sansan_tags", "tags"),
			"Sansan tags", "Public and shared Sansan tags of the business card.", "enumeration", "checkbox"),
	)
	if err != nil {
		// The default table is fixed; the package tests prove it is valid.
		panic("mapping: invalid default mappings: " + err.Error())
	}
	return s
}
