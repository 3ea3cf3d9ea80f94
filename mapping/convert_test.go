package mapping_test

import (
	"errors"
	"strings"
	"testing"
	"time"
	"unicode/utf16"

	"github.com/google/go-cmp/cmp"

	"github.com/cardbridge/sansanhubspot/hubspot"
	"github.com/cardbridge/sansanhubspot/mapping"
	"github.com/cardbridge/sansanhubspot/sansan"
)

var ptr = sansan.Ptr[string]

// fullCard returns a card with every field set, printed the way Japanese
// cards are: full-width e-mail and mobile number, ideographic spaces.
func fullCard() *sansan.BizCard {
	owner := &sansan.User{ID: "ito", Name: "伊藤花子", Email: "ito@example.com"}
	return &sansan.BizCard{
		ID:               "37171BA646FD16C8F0960DE7403AAAAA",
		CompanyID:        "DLED3O4OE0MA78DQLWO21DBGE5GAAAAA",
		PersonID:         "F11E1A1B94EE2B4AB3F01A30C17AAAAA",
		ExchangeDate:     &sansan.Date{Year: 2024, Month: time.April, Day: 1},
		RegisteredTime:   time.Date(2024, 4, 1, 11, 29, 39, 0, sansan.JST),
		UpdatedTime:      time.Date(2024, 4, 2, 8, 0, 0, 0, sansan.JST),
		Owner:            owner,
		LastName:         ptr("山田"),
		FirstName:        ptr("太郎"),
		LastNameReading:  ptr("ヤマダ"),
		FirstNameReading: ptr("タロウ"),
		DepartmentName:   ptr("営業本部　第一営業部"),
		Title:            ptr("部長"),
		Email:            ptr("ｔａｒｏ＠ｅｘａｍｐｌｅ．ｃｏ．ｊｐ"),
		Mobile:           ptr("０９０－１２３４－５６７８"),
		CompanyName:      ptr("株式会社　サンプル"),
		CountryCode:      ptr("JP"),
		PostalCode:       ptr("100-0001"),
		Address:          ptr("東京都千代田区千代田1-1 サンプルビル5F"),
		Prefecture:       ptr("東京都"),
		City:             ptr("千代田区"),
		Street:           ptr("千代田1-1"),
		Building:         ptr("サンプルビル5F"),
		Tel:              ptr("03-1234-5678"),
		SecondTel:        ptr("03-1234-5679"),
		Fax:              ptr("03-1234-5670"),
		URL:              ptr("https://example.co.jp"),
		Memo:             ptr("展示会で名刺交換"),
		EntryStatus:      sansan.EntryStatusCompleted,
		Tags: []sansan.Tag{
			{ID: "TAGPUBLIC0002", Name: "展示会2024", Type: sansan.TagTypePublic, Owner: owner},
			{ID: "TAGPRIVATE001", Name: "個人メモ", Type: sansan.TagTypePrivate, Owner: owner},
			{ID: "TAGSHARED0001", Name: "重要顧客", Type: sansan.TagTypeShared, Owner: owner},
		},
	}
}

// fullProperties is what the default set makes of fullCard.
func fullProperties() hubspot.PropertyValues {
	return hubspot.PropertyValues{
		"email":                     "taro@example.co.jp",
		"lastname":                  "山田",
		"firstname":                 "太郎",
		"company":                   "株式会社　サンプル",
		"jobtitle":                  "部長",
		"phone":                     "03-1234-5678",
		"mobilephone":               "０９０－１２３４－５６７８",
		"fax":                       "03-1234-5670",
		"website":                   "https://example.co.jp",
		"zip":                       "100-0001",
		"state":                     "東京都",
		"city":                      "千代田区",
		"address":                   "千代田1-1 サンプルビル5F",
		"country":                   "JP",
		"sansan_department":         "営業本部　第一営業部",
		"sansan_last_name_reading":  "ヤマダ",
		"sansan_first_name_reading": "タロウ",
		"sansan_exchange_date":      "2024-04-01",
		"sansan_card_id":            "37171BA646FD16C8F0960DE7403AAAAA",
		"sansan_person_id":          "F11E1A1B94EE2B4AB3F01A30C17AAAAA",
		"sansan_company_id":         "DLED3O4OE0MA78DQLWO21DBGE5GAAAAA",
		"sansan_owner":              "伊藤花子 (ito@example.com)",
		"sansan_tags":               "TAGPUBLIC0002;TAGSHARED0001",
	}
}

func with(card *sansan.BizCard, edit func(c *sansan.BizCard)) *sansan.BizCard {
	edit(card)
	return card
}

func withProps(edit func(p hubspot.PropertyValues)) hubspot.PropertyValues {
	p := fullProperties()
	edit(p)
	return p
}

func setWith(t *testing.T, edit func(s *mapping.Set) error) *mapping.Set {
	t.Helper()
	s := mapping.Default()
	if err := edit(s); err != nil {
		t.Fatalf("editing the set: %v", err)
	}
	return s
}

var validEmail = mapping.EmailResult{Normalized: "taro@example.co.jp", Status: mapping.EmailValid}

func TestCardToProperties(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		set  func(t *testing.T) *mapping.Set // nil: Default
		card *sansan.BizCard
		want mapping.Result
	}{
		{
			name: "full Japanese card",
			card: fullCard(),
			want: mapping.Result{Properties: fullProperties(), Email: validEmail},
		},
		{
			name: "nil card",
			want: mapping.Result{Properties: hubspot.PropertyValues{}},
		},
		{
			name: "empty card",
			card: &sansan.BizCard{},
			want: mapping.Result{Properties: hubspot.PropertyValues{}},
		},
		{
			name: "blank values are left out",
			card: with(fullCard(), func(c *sansan.BizCard) {
				c.LastName, c.FirstName, c.Tel, c.Fax = ptr(" "), ptr("\u3000"), ptr(""), nil
				c.ExchangeDate, c.Owner, c.Tags, c.Email = nil, nil, nil, ptr("\u3000")
			}),
			want: mapping.Result{
				Properties: withProps(func(p hubspot.PropertyValues) {
					for _, k := range []string{"lastname", "firstname", "phone", "fax", "sansan_exchange_date", "sansan_owner", "sansan_tags", "email"} {
						delete(p, k)
					}
				}),
			},
		},
		{
			name: "names keep inner full-width spaces and width; outer space is trimmed",
			card: with(fullCard(), func(c *sansan.BizCard) {
				c.LastName, c.FirstName = ptr("\u3000山田　太郎 "), ptr("ＴＡＲＯ")
				c.CompanyName = ptr("株式会社　ＩＴＯ")
			}),
			want: mapping.Result{
				Properties: withProps(func(p hubspot.PropertyValues) {
					p["lastname"], p["firstname"], p["company"] = "山田　太郎", "ＴＡＲＯ", "株式会社　ＩＴＯ"
				}),
				Email: validEmail,
			},
		},
		{
			name: "address falls back to the one-line address",
			card: with(fullCard(), func(c *sansan.BizCard) { c.Street, c.Building = nil, ptr(" ") }),
			want: mapping.Result{
				Properties: withProps(func(p hubspot.PropertyValues) {
					p["address"] = "東京都千代田区千代田1-1 サンプルビル5F"
				}),
				Email: validEmail,
			},
		},
		{
			name: "address from the building alone",
			card: with(fullCard(), func(c *sansan.BizCard) { c.Street = nil }),
			want: mapping.Result{
				Properties: withProps(func(p hubspot.PropertyValues) { p["address"] = "サンプルビル5F" }),
				Email:      validEmail,
			},
		},
		{
			name: "only public and shared tags, sorted and de-duplicated",
			card: with(fullCard(), func(c *sansan.BizCard) {
				c.Tags = append(c.Tags,
					sansan.Tag{ID: "TAGPUBLIC0001", Name: "a", Type: sansan.TagTypePublic},
					sansan.Tag{ID: "TAGSHARED0001", Name: "重要顧客", Type: sansan.TagTypeShared},
					sansan.Tag{ID: "BAD;ID", Name: "bad", Type: sansan.TagTypePublic},
					sansan.Tag{ID: "", Name: "no id", Type: sansan.TagTypePublic},
					sansan.Tag{ID: "TAGUNKNOWN", Name: "?", Type: "team"},
				)
			}),
			want: mapping.Result{
				Properties: withProps(func(p hubspot.PropertyValues) {
					p["sansan_tags"] = "TAGPUBLIC0001;TAGPUBLIC0002;TAGSHARED0001"
				}),
				Email: validEmail,
			},
		},
		{
			name: "private tags only",
			card: with(fullCard(), func(c *sansan.BizCard) { c.Tags = c.Tags[1:2] }),
			want: mapping.Result{
				Properties: withProps(func(p hubspot.PropertyValues) { delete(p, "sansan_tags") }),
				Email:      validEmail,
			},
		},
		{
			name: "invalid email is reported, never written, and the rest survives",
			card: with(fullCard(), func(c *sansan.BizCard) { c.Email = ptr("taro＠example.con") }),
			want: mapping.Result{
				Properties: withProps(func(p hubspot.PropertyValues) { delete(p, "email") }),
				Email:      mapping.EmailResult{Normalized: "taro@example.con", Status: mapping.EmailInvalid, Reason: `unknown top-level domain "con"`},
				Problems: []mapping.FieldProblem{{Property: "email", Field: "email", Code: mapping.CodeInvalidEmail,
					Message: `unknown top-level domain "con"`, Dropped: true}},
			},
		},
		{
			name: "impossible exchange date",
			card: with(fullCard(), func(c *sansan.BizCard) { c.ExchangeDate = &sansan.Date{Year: 2023, Month: time.February, Day: 29} }),
			want: mapping.Result{
				Properties: withProps(func(p hubspot.PropertyValues) { delete(p, "sansan_exchange_date") }),
				Email:      validEmail,
				Problems: []mapping.FieldProblem{{Property: "sansan_exchange_date", Field: "exchangeDate",
					Code: mapping.CodeInvalidValue, Message: "impossible date 2023-2-29", Dropped: true}},
			},
		},
		{
			name: "leap day",
			card: with(fullCard(), func(c *sansan.BizCard) { c.ExchangeDate = &sansan.Date{Year: 2024, Month: time.February, Day: 29} }),
			want: mapping.Result{
				Properties: withProps(func(p hubspot.PropertyValues) { p["sansan_exchange_date"] = "2024-02-29" }),
				Email:      validEmail,
			},
		},
		{
			name: "control characters and invalid UTF-8 are repaired and reported",
			card: with(fullCard(), func(c *sansan.BizCard) {
				c.Title = ptr("部長\x07\x1b")
				c.CompanyName = ptr("株式会社\xffサンプル")
				c.DepartmentName = ptr("営業部\u0085\r\n第一課\t")
			}),
			want: mapping.Result{
				Properties: withProps(func(p hubspot.PropertyValues) {
					p["jobtitle"], p["company"], p["sansan_department"] = "部長", "株式会社\uFFFDサンプル", "営業部\r\n第一課"
				}),
				Email: validEmail,
				Problems: []mapping.FieldProblem{
					{Property: "company", Field: "companyName", Code: mapping.CodeInvalidUTF8, Message: "invalid UTF-8 replaced with U+FFFD"},
					{Property: "jobtitle", Field: "title", Code: mapping.CodeControlCharacters, Message: "control characters removed"},
					{Property: "sansan_department", Field: "departmentName", Code: mapping.CodeControlCharacters, Message: "control characters removed"},
				},
			},
		},
		{
			name: "owner with name only",
			card: with(fullCard(), func(c *sansan.BizCard) { c.Owner = &sansan.User{ID: "ito", Name: "伊藤花子"} }),
			want: mapping.Result{
				Properties: withProps(func(p hubspot.PropertyValues) { p["sansan_owner"] = "伊藤花子" }),
				Email:      validEmail,
			},
		},
		{
			name: "owner with email only",
			card: with(fullCard(), func(c *sansan.BizCard) { c.Owner = &sansan.User{ID: "ito", Email: "ito@example.com"} }),
			want: mapping.Result{
				Properties: withProps(func(p hubspot.PropertyValues) { p["sansan_owner"] = "ito@example.com" }),
				Email:      validEmail,
			},
		},
		{
			name: "clear on blank writes empty strings",
			set: func(t *testing.T) *mapping.Set {
				return setWith(t, func(s *mapping.Set) error {
					for _, p := range []string{"fax", "email", "sansan_exchange_date"} {
						m, _ := s.Get(p)
						m.ClearOnBlank = true
						if err := s.Override(m); err != nil {
							return err
						}
					}
					return nil
				})
			},
			card: with(fullCard(), func(c *sansan.BizCard) { c.Fax, c.Email, c.ExchangeDate = ptr(" "), nil, nil }),
			want: mapping.Result{
				Properties: withProps(func(p hubspot.PropertyValues) { p["fax"], p["email"], p["sansan_exchange_date"] = "", "", "" }),
			},
		},
		{
			name: "only mappings flowing to HubSpot are written",
			set: func(t *testing.T) *mapping.Set {
				return setWith(t, func(s *mapping.Set) error {
					return errors.Join(
						s.Override(mapping.Mapping{Property: "phone", Source: "tel", Direction: mapping.ToSansan}),
						s.Override(mapping.Mapping{Property: "fax", Source: "fax", Direction: mapping.None}),
						s.Disable("website"),
					)
				})
			},
			card: fullCard(),
			want: mapping.Result{
				Properties: withProps(func(p hubspot.PropertyValues) { delete(p, "phone"); delete(p, "fax"); delete(p, "website") }),
				Email:      validEmail,
			},
		},
		{
			name: "custom mappings: functions, kinds and other card fields",
			set: func(t *testing.T) *mapping.Set {
				s, err := mapping.New(
					mapping.Mapping{Property: "full_name", From: func(c *sansan.BizCard) (string, bool) {
						if c.LastName == nil || c.FirstName == nil {
							return "", false
						}
						return *c.LastName + " " + *c.FirstName, true
					}},
					mapping.Mapping{Property: "no_value", From: func(*sansan.BizCard) (string, bool) { return "ignored", false }},
					mapping.Mapping{Property: "employees", Kind: mapping.KindNumber, From: func(*sansan.BizCard) (string, bool) { return "1,000", true }},
					mapping.Mapping{Property: "score", Kind: mapping.KindNumber, From: func(*sansan.BizCard) (string, bool) { return " -1.5e3 ", true }},
					mapping.Mapping{Property: "vip", Kind: mapping.KindBool, From: func(*sansan.BizCard) (string, bool) { return "TRUE", true }},
					mapping.Mapping{Property: "flag", Kind: mapping.KindBool, From: func(*sansan.BizCard) (string, bool) { return "yes", true }},
					mapping.Mapping{Property: "met_on", Kind: mapping.KindDate, From: func(*sansan.BizCard) (string, bool) { return "2024-04-01T00:30:00+09:00", true }},
					mapping.Mapping{Property: "bad_day", Kind: mapping.KindDate, From: func(*sansan.BizCard) (string, bool) { return "2024/04/01", true }},
					mapping.Mapping{Property: "seen_at", Kind: mapping.KindDateTime, From: func(*sansan.BizCard) (string, bool) { return "2024-04-01T09:00:00+09:00", true }},
					mapping.Mapping{Property: "roles", Kind: mapping.KindMultiEnum, From: func(*sansan.BizCard) (string, bool) { return "b; a;;b", true }},
					mapping.Mapping{Property: "owner_email", Source: "ownerEmail", Kind: mapping.KindEmail},
					mapping.Mapping{Property: "alt_email", Kind: mapping.KindEmail, From: func(*sansan.BizCard) (string, bool) { return "not-an-address", true }},
					mapping.Mapping{Property: "registered", Source: "registeredTime"},
					mapping.Mapping{Property: "updated", Source: "updatedTime"},
					mapping.Mapping{Property: "status", Source: "entryStatus"},
					mapping.Mapping{Property: "tag_names", Source: "tagNames"},
					mapping.Mapping{Property: "tel2", Source: "secondTel"},
				)
				if err != nil {
					t.Fatal(err)
				}
				return s
			},
			card: fullCard(),
			want: mapping.Result{
				Properties: hubspot.PropertyValues{
					"full_name":   "山田 太郎",
					"score":       "-1.5e3",
					"vip":         "true",
					"met_on":      "2024-04-01",
					"seen_at":     "2024-04-01T00:00:00.000Z",
					"roles":       "a;b",
					"owner_email": "ito@example.com",
					"registered":  "2024-04-01T02:29:39.000Z",
					"updated":     "2024-04-01T23:00:00.000Z",
					"status":      "completed",
					"tag_names":   "展示会2024; 重要顧客",
					"tel2":        "03-1234-5679",
				},
				Email: validEmail,
				Problems: []mapping.FieldProblem{
					{Property: "employees", Code: mapping.CodeInvalidValue, Message: "not a plain decimal number", Dropped: true},
					{Property: "flag", Code: mapping.CodeInvalidValue, Message: `not "true" or "false"`, Dropped: true},
					{Property: "bad_day", Code: mapping.CodeInvalidValue, Message: "not a date (YYYY-MM-DD)", Dropped: true},
					{Property: "alt_email", Code: mapping.CodeInvalidEmail, Message: "no @", Dropped: true},
				},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := mapping.Default()
			if tt.set != nil {
				s = tt.set(t)
			}
			got := s.CardToProperties(tt.card)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("CardToProperties mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestCardToPropertiesLimits(t *testing.T) {
	t.Parallel()
	memo := func(o mapping.Overflow) *mapping.Set {
		s := mapping.Default()
		if err := s.Add(mapping.Mapping{Property: "sansan_memo", Source: "memo", Overflow: o}); err != nil {
			t.Fatal(err)
		}
		return s
	}
	tests := []struct {
		name     string
		memo     string
		overflow mapping.Overflow
		wantLen  int // in UTF-16 code units; -1: left out
		problem  mapping.ProblemCode
	}{
		{"at the limit", strings.Repeat("あ", mapping.MaxPropertyLength), mapping.OverflowTruncate, mapping.MaxPropertyLength, ""},
		{"one over, truncated", strings.Repeat("あ", mapping.MaxPropertyLength+1), mapping.OverflowTruncate, mapping.MaxPropertyLength, mapping.CodeTruncated},
		{"emoji count twice", strings.Repeat("😀", mapping.MaxPropertyLength/2+1), mapping.OverflowTruncate, mapping.MaxPropertyLength, mapping.CodeTruncated},
		{"emoji never split", "a" + strings.Repeat("😀", mapping.MaxPropertyLength/2), mapping.OverflowTruncate, mapping.MaxPropertyLength - 1, mapping.CodeTruncated},
		{"emoji over the limit only in UTF-16", strings.Repeat("😀", mapping.MaxPropertyLength/2+1), mapping.OverflowReject, -1, mapping.CodeTooLong},
		{"ASCII well over", strings.Repeat("a", 3*mapping.MaxPropertyLength), mapping.OverflowTruncate, mapping.MaxPropertyLength, mapping.CodeTruncated},
		{"over, rejected", strings.Repeat("a", mapping.MaxPropertyLength+1), mapping.OverflowReject, -1, mapping.CodeTooLong},
		{"at the limit, reject policy", strings.Repeat("a", mapping.MaxPropertyLength), mapping.OverflowReject, mapping.MaxPropertyLength, ""},
		{"bytes over, characters within", strings.Repeat("あ", mapping.MaxPropertyLength/2), mapping.OverflowReject, mapping.MaxPropertyLength / 2, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			card := fullCard()
			card.Memo = &tt.memo
			res := memo(tt.overflow).CardToProperties(card)
			got, ok := res.Properties["sansan_memo"]
			switch {
			case tt.wantLen < 0 && ok:
				t.Errorf("memo written (%d bytes), want left out", len(got))
			case tt.wantLen >= 0 && !ok:
				t.Errorf("memo left out, want %d characters", tt.wantLen)
			case ok:
				if n := len(utf16.Encode([]rune(got))); n != tt.wantLen {
					t.Errorf("memo length = %d UTF-16 units, want %d", n, tt.wantLen)
				}
				if tt.problem == mapping.CodeTruncated && !strings.HasSuffix(got, mapping.TruncationMarker) {
					t.Errorf("truncated memo does not end with the marker: ...%q", got[len(got)-20:])
				}
			}
			var codes []mapping.ProblemCode
			for _, p := range res.Problems {
				codes = append(codes, p.Code)
			}
			var want []mapping.ProblemCode
			if tt.problem != "" {
				want = append(want, tt.problem)
			}
			if diff := cmp.Diff(want, codes); diff != "" {
				t.Errorf("problems mismatch (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(fullProperties(), withoutKey(res.Properties, "sansan_memo")); diff != "" {
				t.Errorf("other fields changed (-want +got):\n%s", diff)
			}
		})
	}
}

func withoutKey(p hubspot.PropertyValues, key string) hubspot.PropertyValues {
	out := make(hubspot.PropertyValues, len(p))
	for k, v := range p {
		if k != key {
			out[k] = v
		}
	}
	return out
}

// contactOf turns written property values into read ones, as HubSpot would
// return them.
func contactOf(p hubspot.PropertyValues) hubspot.Properties {
	out := make(hubspot.Properties, len(p))
	for k, v := range p {
		out[k] = &v
	}
	return out
}

func fullRequest() *sansan.RegisterBizCardRequest {
	return &sansan.RegisterBizCardRequest{
		ExchangeDate:     &sansan.Date{Year: 2024, Month: time.April, Day: 1},
		LastName:         ptr("山田"),
		FirstName:        ptr("太郎"),
		LastNameReading:  ptr("ヤマダ"),
		FirstNameReading: ptr("タロウ"),
		DepartmentName:   ptr("営業本部　第一営業部"),
		Title:            ptr("部長"),
		CompanyName:      ptr("株式会社　サンプル"),
		CountryCode:      ptr("JP"),
		PostalCode:       ptr("100-0001"),
		Prefecture:       ptr("東京都"),
		City:             ptr("千代田区"),
		Street:           ptr("千代田1-1 サンプルビル5F"),
		Email:            ptr("taro@example.co.jp"),
		Mobile:           ptr("０９０－１２３４－５６７８"),
		Tel:              ptr("03-1234-5678"),
		Fax:              ptr("03-1234-5670"),
		URL:              ptr("https://example.co.jp"),
	}
}

func withRequest(edit func(r *sansan.RegisterBizCardRequest)) *sansan.RegisterBizCardRequest {
	r := fullRequest()
	edit(r)
	return r
}

func TestPropertiesToCard(t *testing.T) {
	t.Parallel()
	tagsBoth := func(t *testing.T) *mapping.Set {
		return setWith(t, func(s *mapping.Set) error {
			return s.Override(mapping.Mapping{Property: "sansan_tags", Source: "tags", Direction: mapping.Both})
		})
	}
	tests := []struct {
		name         string
		set          func(t *testing.T) *mapping.Set
		props        hubspot.Properties
		want         *sansan.RegisterBizCardRequest
		wantProblems []mapping.FieldProblem
	}{
		{
			name:  "full contact",
			props: contactOf(fullProperties()),
			want:  fullRequest(),
		},
		{
			name: "HubSpot forms of values are read",
			props: contactOf(withProps(func(p hubspot.PropertyValues) {
				p["email"] = "  Taro@Example.CO.JP "
				p["sansan_exchange_date"] = "1711929600000" // 2024-04-01T00:00:00Z
				p["country"] = "jp"
				p["lastname"] = "\u3000山田\u3000"
			})),
			want: fullRequest(),
		},
		{
			name:  "date as a midnight-UTC timestamp",
			props: contactOf(withProps(func(p hubspot.PropertyValues) { p["sansan_exchange_date"] = "2024-04-01T00:00:00.000Z" })),
			want:  fullRequest(),
		},
		{
			name: "absent, null and blank properties are left out",
			props: func() hubspot.Properties {
				p := contactOf(fullProperties())
				delete(p, "fax")
				p["phone"] = nil
				blank := " "
				p["website"] = &blank
				return p
			}(),
			want: withRequest(func(r *sansan.RegisterBizCardRequest) { r.Fax, r.Tel, r.URL = nil, nil, nil }),
		},
		{
			name: "bad values are reported and the rest survives",
			props: contactOf(withProps(func(p hubspot.PropertyValues) {
				p["email"] = "taro@@example.com"
				p["country"] = "Japan"
				p["sansan_exchange_date"] = "April 1st"
				p["zip"] = "100-0001-0001"
				p["firstname"] = strings.Repeat("郎", 251)
				p["jobtitle"] = "部長\x00"
			})),
			want: withRequest(func(r *sansan.RegisterBizCardRequest) {
				r.Email, r.CountryCode, r.ExchangeDate, r.PostalCode, r.FirstName = nil, nil, nil, nil, nil
			}),
			wantProblems: []mapping.FieldProblem{
				{Property: "email", Field: "email", Code: mapping.CodeInvalidEmail, Message: "more than one @", Dropped: true},
				{Property: "firstname", Field: "firstName", Code: mapping.CodeTooLong, Message: "value longer than 250 characters left out", Dropped: true},
				{Property: "jobtitle", Field: "title", Code: mapping.CodeControlCharacters, Message: "control characters removed"},
				{Property: "zip", Field: "postalCode", Code: mapping.CodeTooLong, Message: "value longer than 10 characters left out", Dropped: true},
				{Property: "country", Field: "countryCode", Code: mapping.CodeInvalidValue, Message: "not an ISO 3166-1 alpha-2 country code", Dropped: true},
				{Property: "sansan_exchange_date", Field: "exchangeDate", Code: mapping.CodeInvalidValue, Message: "not a date (YYYY-MM-DD)", Dropped: true},
			},
		},
		{
			name:  "AUTO country code",
			props: contactOf(withProps(func(p hubspot.PropertyValues) { p["country"] = "auto" })),
			want:  withRequest(func(r *sansan.RegisterBizCardRequest) { r.CountryCode = ptr("AUTO") }),
		},
		{
			name: "no name and no company",
			props: contactOf(hubspot.PropertyValues{
				"email": "taro@example.co.jp", "phone": "03-1234-5678", "lastname": " ",
			}),
			wantProblems: []mapping.FieldProblem{{
				Code: mapping.CodeMissingRequired, Dropped: true,
				Message: "a card needs at least one of companyName, lastName and firstName",
			}},
		},
		{
			name:  "company alone is enough",
			props: contactOf(hubspot.PropertyValues{"company": "株式会社サンプル"}),
			want:  &sansan.RegisterBizCardRequest{CompanyName: ptr("株式会社サンプル")},
		},
		{
			name:  "to-HubSpot mappings are not read back",
			props: contactOf(hubspot.PropertyValues{"lastname": "山田", "sansan_card_id": "X", "sansan_tags": "T1;T2"}),
			want:  &sansan.RegisterBizCardRequest{LastName: ptr("山田")},
		},
		{
			name:  "tags when they flow both ways",
			set:   tagsBoth,
			props: contactOf(hubspot.PropertyValues{"lastname": "山田", "sansan_tags": "T2;T1; ;T2"}),
			want:  &sansan.RegisterBizCardRequest{LastName: ptr("山田"), TagIDs: []string{"T1", "T2"}},
		},
		{
			name: "at most 15 tags",
			set:  tagsBoth,
			props: contactOf(hubspot.PropertyValues{"lastname": "山田",
				"sansan_tags": "T01;T02;T03;T04;T05;T06;T07;T08;T09;T10;T11;T12;T13;T14;T15;T16"}),
			want: &sansan.RegisterBizCardRequest{LastName: ptr("山田"),
				TagIDs: strings.Split("T01;T02;T03;T04;T05;T06;T07;T08;T09;T10;T11;T12;T13;T14;T15", ";")},
			wantProblems: []mapping.FieldProblem{{Property: "sansan_tags", Field: "tags", Code: mapping.CodeTooManyValues,
				Message: "16 tags; only the first 15 are registered"}},
		},
		{
			name: "memo is truncated to 2000 characters",
			set: func(t *testing.T) *mapping.Set {
				return setWith(t, func(s *mapping.Set) error {
					return s.Add(mapping.Mapping{Property: "sansan_memo", Source: "memo", Direction: mapping.Both})
				})
			},
			props: contactOf(hubspot.PropertyValues{"lastname": "山田", "sansan_memo": strings.Repeat("メ", 2001)}),
			want: &sansan.RegisterBizCardRequest{LastName: ptr("山田"),
				Memo: ptr(strings.Repeat("メ", 2000-len([]rune(mapping.TruncationMarker))) + mapping.TruncationMarker)},
			wantProblems: []mapping.FieldProblem{{Property: "sansan_memo", Field: "memo", Code: mapping.CodeTruncated,
				Message: "value longer than 2000 characters truncated"}},
		},
		{
			name: "custom To function",
			set: func(t *testing.T) *mapping.Set {
				return setWith(t, func(s *mapping.Set) error {
					return errors.Join(
						s.Add(mapping.Mapping{
							Property: "hs_note", Direction: mapping.ToSansan,
							From: func(*sansan.BizCard) (string, bool) { return "", false },
							To: func(r *sansan.RegisterBizCardRequest, v string) error {
								r.Memo = &v
								return nil
							},
						}),
						s.Add(mapping.Mapping{
							Property: "hs_fail", Direction: mapping.Both,
							From: func(*sansan.BizCard) (string, bool) { return "", false },
							To:   func(*sansan.RegisterBizCardRequest, string) error { return errors.New("no room for it") },
						}),
					)
				})
			},
			props: contactOf(hubspot.PropertyValues{"lastname": "山田", "hs_note": " note ", "hs_fail": "x"}),
			want:  &sansan.RegisterBizCardRequest{LastName: ptr("山田"), Memo: ptr("note")},
			wantProblems: []mapping.FieldProblem{{Property: "hs_fail", Code: mapping.CodeInvalidValue,
				Message: "no room for it", Dropped: true}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := mapping.Default()
			if tt.set != nil {
				s = tt.set(t)
			}
			got, problems := s.PropertiesToCard(tt.props)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("request mismatch (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantProblems, problems); diff != "" {
				t.Errorf("problems mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestContactValues(t *testing.T) {
	t.Parallel()
	s := mapping.Default()
	want := map[string]string{}
	for _, m := range s.Mappings() {
		if m.Direction.FlowsToSansan() {
			want[m.Property] = fullProperties()[m.Property]
		}
	}
	t.Run("written values read back equal", func(t *testing.T) {
		t.Parallel()
		got := s.ContactValues(contactOf(s.CardToProperties(fullCard()).Properties))
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("ContactValues mismatch (-want +got):\n%s", diff)
		}
	})
	t.Run("HubSpot forms are canonicalized", func(t *testing.T) {
		t.Parallel()
		props := contactOf(withProps(func(p hubspot.PropertyValues) {
			p["email"] = "TARO@example.co.jp"
			p["sansan_exchange_date"] = "1711929600000"
			p["company"] = " 株式会社　サンプル\x00"
			p["sansan_card_id"] = "ignored: flows to HubSpot only"
		}))
		if diff := cmp.Diff(want, s.ContactValues(props)); diff != "" {
			t.Errorf("ContactValues mismatch (-want +got):\n%s", diff)
		}
	})
	t.Run("absent, null and unparsable", func(t *testing.T) {
		t.Parallel()
		bad := "taro@"
		day := "someday"
		got := s.ContactValues(hubspot.Properties{"phone": nil, "email": &bad, "sansan_exchange_date": &day})
		for prop := range want {
			wantV := ""
			switch prop {
			case "email":
				wantV = "taro@"
			case "sansan_exchange_date":
				wantV = "someday"
			}
			if got[prop] != wantV {
				t.Errorf("ContactValues()[%q] = %q, want %q", prop, got[prop], wantV)
			}
		}
		if len(got) != len(want) {
			t.Errorf("ContactValues has %d keys, want %d", len(got), len(want))
		}
	})
}
