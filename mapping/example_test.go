package mapping_test

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/cardbridge/sansanhubspot/hubspot"
	"github.com/cardbridge/sansanhubspot/mapping"
	"github.com/cardbridge/sansanhubspot/sansan"
)

func printProperties(p hubspot.PropertyValues) {
	for _, k := range slices.Sorted(maps.Keys(p)) {
		fmt.Printf("%s: %s\n", k, p[k])
	}
}

// The default mappings turn a card into contact properties.
func Example() {
	card := &sansan.BizCard{
		ID:           "37171BA646FD16C8F0960DE7403AAAAA",
		PersonID:     "F11E1A1B94EE2B4AB3F01A30C17AAAAA",
		ExchangeDate: &sansan.Date{Year: 2024, Month: time.April, Day: 1},
		Owner:        &sansan.User{ID: "ito", Name: "伊藤花子", Email: "ito@example.com"},
		LastName:     sansan.Ptr("山田"),
		FirstName:    sansan.Ptr("太郎"),
		Email:        sansan.Ptr("ｔａｒｏ＠ｅｘａｍｐｌｅ．ｃｏ．ｊｐ"),
		CompanyName:  sansan.Ptr("株式会社サンプル"),
		Tags: []sansan.Tag{
			{ID: "T1", Name: "展示会2024", Type: sansan.TagTypePublic},
			{ID: "T2", Name: "個人メモ", Type: sansan.TagTypePrivate},
		},
	}
	res := mapping.Default().CardToProperties(card)
	fmt.Println("match on:", res.Email.Normalized, res.Email.Status)
	printProperties(res.Properties)
	// Output:
	// match on: taro@example.co.jp valid
	// company: 株式会社サンプル
	// email: taro@example.co.jp
	// firstname: 太郎
	// lastname: 山田
	// sansan_card_id: 37171BA646FD16C8F0960DE7403AAAAA
	// sansan_exchange_date: 2024-04-01
	// sansan_owner: 伊藤花子 (ito@example.com)
	// sansan_person_id: F11E1A1B94EE2B4AB3F01A30C17AAAAA
	// sansan_tags: T1
}

// Custom mappings: turn a default off, send a card field to a new custom
// property, and compute a value with a function of the card.
func Example_customMapping() {
	s := mapping.Default()
	if err := s.Disable("fax"); err != nil {
		fmt.Println(err)
	}
	// The memo goes to a new property, which the engine creates from the
	// Definition (see Set.CustomProperties) before the first write.
	if err := s.Add(mapping.Mapping{
		Property: "sansan_memo",
		Source:   "memo",
		Definition: &hubspot.Property{
			Label: "Memo (Sansan)", Type: "string", FieldType: "textarea",
		},
	}); err != nil {
		fmt.Println(err)
	}
	// A function of the card, into an existing HubSpot property.
	if err := s.Add(mapping.Mapping{
		Property: "hs_lead_status",
		Kind:     mapping.KindEnum,
		Values:   []string{"NEW"}, // Validate checks the option exists
		From: func(c *sansan.BizCard) (string, bool) {
			if c.EntryStatus != sansan.EntryStatusCompleted {
				return "", false
			}
			return "NEW", true
		},
	}); err != nil {
		fmt.Println(err)
	}
	// Phone numbers: HubSpot's value wins conflicts on this one field.
	phone, _ := s.Get("phone")
	phone.Winner = mapping.WinnerHubSpot
	if err := s.Override(phone); err != nil {
		fmt.Println(err)
	}

	card := &sansan.BizCard{
		LastName:    sansan.Ptr("山田"),
		Tel:         sansan.Ptr("03-1234-5678"),
		Fax:         sansan.Ptr("03-1234-5670"),
		Memo:        sansan.Ptr("展示会で名刺交換"),
		EntryStatus: sansan.EntryStatusCompleted,
	}
	printProperties(s.CardToProperties(card).Properties)
	for _, p := range s.CustomProperties() {
		if p.Name == "sansan_memo" {
			fmt.Println("create:", p.Name, p.Type, p.FieldType, "in group", p.GroupName)
		}
	}
	// Output:
	// hs_lead_status: NEW
	// lastname: 山田
	// phone: 03-1234-5678
	// sansan_memo: 展示会で名刺交換
	// create: sansan_memo string textarea in group sansan
}

func ExampleNormalizeEmail() {
	for _, in := range []string{"ｔａｒｏ＠ｅｘａｍｐｌｅ．ｃｏ．ｊｐ", " Hanako@Example.com ", "taro@example.con", ""} {
		r := mapping.NormalizeEmail(in)
		if r.Status == mapping.EmailInvalid {
			fmt.Printf("%q %v: %s\n", r.Normalized, r.Status, r.Reason)
			continue
		}
		fmt.Printf("%q %v\n", r.Normalized, r.Status)
	}
	// Output:
	// "taro@example.co.jp" valid
	// "hanako@example.com" valid
	// "taro@example.con" invalid: unknown top-level domain "con"
	// "" missing
}

func ExampleNormalizePhone() {
	fmt.Println(mapping.NormalizePhone("（０３）１２３４ー５６７８"))
	fmt.Println(mapping.NormalizePhone("+81 3 1234 5678"))
	// Output:
	// 03-1234-5678
	// +81-3-1234-5678
}

func ExampleSet_Validate() {
	s := mapping.Default()
	if err := s.Add(mapping.Mapping{Property: "annualrevenue", Source: "title"}); err != nil {
		fmt.Println(err)
	}
	live := []hubspot.Property{
		{Name: "email", Type: "string", FieldType: "text"},
		{Name: "annualrevenue", Type: "number", FieldType: "number"},
	}
	for _, m := range s.Mappings() {
		if m.Property != "email" && m.Property != "annualrevenue" {
			_ = s.Disable(m.Property)
		}
	}
	err := s.Validate(live)
	var ve *mapping.ValidationError
	if errors.As(err, &ve) {
		for _, p := range ve.Problems {
			fmt.Println(p.Property, p.Code)
		}
	}
	fmt.Println(errors.Is(err, mapping.CodeTypeMismatch))
	// Output:
	// annualrevenue type_mismatch
	// true
}

func ExampleSet_PropertiesToCard() {
	contact := hubspot.Properties{
		"email":                sansan.Ptr("Hanako@Example.com"),
		"lastname":             sansan.Ptr("佐藤"),
		"firstname":            sansan.Ptr("花子"),
		"company":              sansan.Ptr("株式会社サンプル"),
		"sansan_exchange_date": sansan.Ptr("2024-04-01"),
		"phone":                nil,
	}
	req, problems := mapping.Default().PropertiesToCard(contact)
	fmt.Println(*req.LastName, *req.FirstName, *req.CompanyName, *req.Email, req.ExchangeDate, req.Tel == nil, len(problems))
	// Output:
	// 佐藤 花子 株式会社サンプル hanako@example.com 2024-04-01 true 0
}
