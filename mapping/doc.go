// Package mapping converts Sansan business cards to HubSpot contact
// properties and back. It is pure: no I/O, no clock, no logging and no
// package state, so every function is deterministic and safe to call from
// many goroutines.
//
// A [Set] holds the mappings. [Default] returns the default set below;
// callers disable, override and add mappings (custom mappings take any card
// field, or any function of the card, to any HubSpot property), choose each
// field's [Direction] and conflict [Winner], and check the set against the
// live HubSpot property definitions with [Set.Validate] before a sync runs.
//
// # Default mapping
//
//	Sansan card field                      HubSpot contact property      Direction
//	-------------------------------------  ----------------------------  ---------
//	email (normalized, see NormalizeEmail) email                         both
//	lastName / firstName                   lastname / firstname          both
//	companyName                            company                       both
//	title                                  jobtitle                      both
//	tel / mobile / fax                     phone / mobilephone / fax     both
//	url                                    website                       both
//	postalCode                             zip                           both
//	prefecture                             state                         both
//	city                                   city                          both
//	street + " " + building, or address    address                       both
//	  when street and building are blank
//	countryCode                            country                       both
//	departmentName                         sansan_department             both
//	lastNameReading / firstNameReading     sansan_last_name_reading /    both
//	                                       sansan_first_name_reading
//	exchangeDate                           sansan_exchange_date (date,   both
//	                                       "YYYY-MM-DD", no time zone)
//	id / personId / companyId              sansan_card_id /              to HubSpot
//	                                       sansan_person_id /
//	                                       sansan_company_id
//	owner: "name (email)"                  sansan_owner                  to HubSpot
//	tags (public and shared only)          sansan_tags (multiple         to HubSpot
//	                                       checkbox; option value = tag
//	                                       id, label = tag name)
//
// The sansan_* properties are custom properties in the "sansan" group.
// [Set.CustomProperties] and [Set.PropertyGroup] give their definitions so
// the engine can create them before the first write, and [TagOptions]
// gives the sansan_tags options for the tags being synced.
//
// All default mappings let Sansan win conflicts ([WinnerSansan]) and never
// let a blank value clear the other side. Other card fields (secondTel,
// memo, address, street, building, registeredTime, updatedTime, ownerId,
// ownerName, ownerEmail, entryStatus, tagNames) are available to custom
// mappings; [Mapping] lists them all.
//
// # Custom mappings
//
// A custom mapping takes a card field by name, or computes its value with a
// function of the card, and may carry the definition of a new property:
//
//	s := mapping.Default()
//	_ = s.Disable("fax")
//	_ = s.Add(mapping.Mapping{
//		Property:   "sansan_memo",
//		Source:     "memo",
//		Definition: &hubspot.Property{Label: "Memo (Sansan)", Type: "string", FieldType: "textarea"},
//	})
//	_ = s.Add(mapping.Mapping{
//		Property: "hs_lead_status",
//		Kind:     mapping.KindEnum,
//		Values:   []string{"NEW"}, // Validate checks the option exists
//		From: func(c *sansan.BizCard) (string, bool) {
//			return "NEW", c.EntryStatus == sansan.EntryStatusCompleted
//		},
//	})
//	err := s.Validate(liveProperties) // before any sync runs
//
// Each mapping has a [Direction] (to HubSpot, to Sansan, both, none), a
// conflict [Winner], a [BlankPolicy] and an [Overflow] policy.
//
// # Conversions
//
// [Set.CardToProperties] returns a [Result]: the property values, the
// normalized e-mail address (the key contacts are matched and de-duplicated
// on) and a list of [FieldProblem]s. One bad field never loses the rest of
// the card: it is reported and the other fields are converted.
//
// [Set.PropertiesToCard] goes the other way, building the body of Sansan's
// card registration (POST /bizCards) from a contact, for the HubSpot to
// Sansan direction. [Set.ContactValues] gives the contact's current values
// of the fields that flow to Sansan in the same canonical form
// CardToProperties writes, for snapshots and conflict detection.
//
// # Normalization and limits
//
// E-mail addresses are trimmed, NFKC-folded (full-width
// "ｔａｒｏ＠ｅｘａｍｐｌｅ．ｃｏ．ｊｐ" becomes "taro@example.co.jp"),
// lower-cased and checked strictly enough that HubSpot accepts what passes;
// see [NormalizeEmail]. An invalid address is reported
// ([CodeInvalidEmail]) and never written.
//
// Display text (names, company, title, address, phone numbers) is written as
// printed: width and inner spacing are kept, so a full-width space inside a
// name stays, and 姓 and 名 are never split or joined. Only surrounding white
// space (including U+3000) is trimmed. [NormalizePhone] gives a separate
// matching form of phone and fax numbers.
//
// No value is ever sent raw. Every value is cleaned before it is written:
//
//   - invalid UTF-8 is replaced with U+FFFD ([CodeInvalidUTF8]);
//   - control characters other than tab, line feed and carriage return are
//     removed ([CodeControlCharacters]);
//   - values over HubSpot's limit of [MaxPropertyLength] characters are cut
//     on a character boundary and end with [TruncationMarker]
//     ([CodeTruncated]), or, for a mapping with [OverflowReject], left out
//     ([CodeTooLong]).
//
// These repairs are reported as problems with Dropped false: the repaired
// value is written. A blank value (nil, empty or white space only) is left
// out of the result unless the mapping's blank policy is
// [BlanksAlwaysClear]; whether a left-out value clears one written before
// is the sync engine's value rule (a blank clears the sync's own untouched
// values, never a person's), which [BlanksNeverClear] turns off.
//
// Dates are calendar dates: an exchange date of 2024-04-01 is sent as
// "2024-04-01", never converted through a time zone (midnight in Tokyo is
// the previous day in UTC).
//
// # Validation
//
// [Set.Validate] checks a set against the property definitions the caller
// fetched from HubSpot and returns a [*ValidationError] listing every
// problem: unknown or archived properties, custom properties not created
// yet, read-only properties, type mismatches and missing enumeration
// options. errors.Is(err, [CodeReadOnly]) and the other codes work on it.
package mapping
