package mapping_test

import (
	"testing"
	"unicode/utf8"

	"github.com/cardbridge/sansanhubspot/hubspot"
	"github.com/cardbridge/sansanhubspot/mapping"
)

// FuzzPropertiesToCard builds card registrations from arbitrary contact
// values: never a panic, valid UTF-8 in every field Sansan receives, and
// Sansan's length limits respected.
func FuzzPropertiesToCard(f *testing.F) {
	f.Add("山田", "太郎", "a@example.jp", "株式会社ハブ", "2024-01-02", "メモ")
	f.Add("\xff", "\x00", "ａ＠ｂ．ｃｏｍ", "", "1430438400000", "")
	f.Add("", "", "two@@example.jp", "\u3000", "not a date", "\u202e")
	set := mapping.Default()
	f.Fuzz(func(t *testing.T, last, first, email, company, date, memo string) {
		props := hubspot.Properties{"lastname": &last, "firstname": &first, "email": &email, "company": &company,
			"sansan_exchange_date": &date, "notes": &memo}
		req, _ := set.PropertiesToCard(props)
		if req == nil {
			return
		}
		for name, p := range map[string]*string{"lastName": req.LastName, "firstName": req.FirstName, "email": req.Email, "companyName": req.CompanyName, "memo": req.Memo} {
			if p == nil {
				continue
			}
			if !utf8.ValidString(*p) {
				t.Fatalf("%s not UTF-8: %q", name, *p)
			}
			if (name == "lastName" || name == "firstName") && utf8.RuneCountInString(*p) > 250 {
				t.Fatalf("%s over 250 characters", name)
			}
		}
		if req.Email != nil && mapping.NormalizeEmail(*req.Email).Status != mapping.EmailValid {
			t.Fatalf("invalid email %q sent to Sansan", *req.Email)
		}
	})
}
