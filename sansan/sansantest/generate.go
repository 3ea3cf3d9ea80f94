package sansantest

import (
	"crypto/sha256"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"time"
)

// GenerateOptions configures [Generate] and [Fake.Seed].
type GenerateOptions struct {
	// Seed makes the data set deterministic: the same options always yield
	// the same cards.
	Seed uint64
	// Cards is the number of cards to generate (default 100).
	Cards int
	// Owners are the users the cards are spread across (default [DefaultUsers]).
	Owners []User
	// Tags are the tags attached to some cards (default [DefaultTags] of Owners).
	Tags []Tag
	// From and To bound exchange dates and registered/updated times
	// (default 2018-01-01 to 2025-12-31 JST).
	From, To time.Time
}

func (o GenerateOptions) withDefaults() GenerateOptions {
	if o.Cards <= 0 {
		o.Cards = 100
	}
	if len(o.Owners) == 0 {
		o.Owners = DefaultUsers()
	}
	if o.Tags == nil {
		o.Tags = DefaultTags(o.Owners)
	}
	if o.From.IsZero() {
		o.From = time.Date(2018, 1, 1, 0, 0, 0, 0, JST)
	}
	if o.To.IsZero() || !o.To.After(o.From) {
		o.To = time.Date(2025, 12, 31, 23, 59, 59, 0, JST)
	}
	return o
}

// DefaultUsers returns the generator's default tenant users: an admin
// ("admin") and three members; "suzuki" may also see "takahashi"'s cards
// with range=all. Their API keys are 32 alphanumeric characters.
func DefaultUsers() []User {
	return []User{
		{ID: "admin", Name: "管理 太郎", Email: "admin@cardbridge.example", APIKey: key32("ADMIN"), Admin: true},
		{ID: "sato", Name: "佐藤 花子", Email: "sato@cardbridge.example", APIKey: key32("SATO")},
		{ID: "suzuki", Name: "鈴木 一郎", Email: "suzuki@cardbridge.example", APIKey: key32("SUZUKI"), CanSee: []string{"takahashi"}},
		{ID: "takahashi", Name: "高橋 健", Email: "takahashi@cardbridge.example", APIKey: key32("TAKAHASHI")},
	}
}

// key32 pads prefix with zeros to a 32-character alphanumeric API key.
func key32(prefix string) string {
	return prefix + strings.Repeat("0", 32-len(prefix)-3) + "KEY"
}

// DefaultTags returns the generator's default tags: three public, two shared
// (owned by the first owner) and one private "要フォロー" tag per owner.
// Ids are derived from name and owner, so they are stable.
func DefaultTags(owners []User) []Tag {
	if len(owners) == 0 {
		return nil
	}
	first := owners[0].ID
	tags := []Tag{
		{Name: "展示会2024", Type: TagTypePublic, OwnerID: first},
		{Name: "セミナー参加", Type: TagTypePublic, OwnerID: first},
		{Name: "HubSpot連携", Type: TagTypePublic, OwnerID: first},
		{Name: "重要顧客", Type: TagTypeShared, OwnerID: first},
		{Name: "パートナー", Type: TagTypeShared, OwnerID: first},
	}
	for _, o := range owners {
		tags = append(tags, Tag{Name: "要フォロー", Type: TagTypePrivate, OwnerID: o.ID})
	}
	for i := range tags {
		sum := sha256.Sum256([]byte(tags[i].Type + "/" + tags[i].OwnerID + "/" + tags[i].Name))
		tags[i].ID = fmt.Sprintf("%X", sum[:16])
	}
	return tags
}

// Seed generates cards with [Generate], adds the owners and tags they refer
// to (users and tags already present are kept) and stores the cards. It
// returns the stored cards.
func (f *Fake) Seed(opts GenerateOptions) []Card {
	opts = opts.withDefaults()
	for _, u := range opts.Owners {
		if _, ok := f.User(u.ID); !ok {
			f.AddUser(u)
		}
	}
	f.mu.RLock()
	var missing []Tag
	for _, t := range opts.Tags {
		if _, ok := f.tags[t.ID]; !ok {
			missing = append(missing, t)
		}
	}
	f.mu.RUnlock()
	for _, t := range missing {
		f.AddTag(t)
	}
	return f.addCards(Generate(opts))
}

type namePart struct{ kanji, kana, roma string }

var lastNames = []namePart{
	{"佐藤", "サトウ", "sato"}, {"鈴木", "スズキ", "suzuki"}, {"高橋", "タカハシ", "takahashi"},
	{"田中", "タナカ", "tanaka"}, {"伊藤", "イトウ", "ito"}, {"渡辺", "ワタナベ", "watanabe"},
	{"山本", "ヤマモト", "yamamoto"}, {"中村", "ナカムラ", "nakamura"}, {"小林", "コバヤシ", "kobayashi"},
	{"加藤", "カトウ", "kato"}, {"吉田", "ヨシダ", "yoshida"}, {"山田", "ヤマダ", "yamada"},
	{"佐々木", "ササキ", "sasaki"}, {"山口", "ヤマグチ", "yamaguchi"}, {"松本", "マツモト", "matsumoto"},
	{"井上", "イノウエ", "inoue"}, {"木村", "キムラ", "kimura"}, {"林", "ハヤシ", "hayashi"},
	{"斎藤", "サイトウ", "saito"}, {"清水", "シミズ", "shimizu"}, {"山崎", "ヤマザキ", "yamazaki"},
	{"森", "モリ", "mori"}, {"池田", "イケダ", "ikeda"}, {"橋本", "ハシモト", "hashimoto"},
	{"阿部", "アベ", "abe"}, {"石川", "イシカワ", "ishikawa"}, {"前田", "マエダ", "maeda"},
	{"藤田", "フジタ", "fujita"}, {"岡田", "オカダ", "okada"}, {"長谷川", "ハセガワ", "hasegawa"},
}

var firstNames = []namePart{
	{"太郎", "タロウ", "taro"}, {"花子", "ハナコ", "hanako"}, {"一郎", "イチロウ", "ichiro"},
	{"健", "ケン", "ken"}, {"翔太", "ショウタ", "shota"}, {"陽菜", "ヒナ", "hina"},
	{"大輔", "ダイスケ", "daisuke"}, {"美咲", "ミサキ", "misaki"}, {"拓也", "タクヤ", "takuya"},
	{"由美", "ユミ", "yumi"}, {"直樹", "ナオキ", "naoki"}, {"愛", "アイ", "ai"},
	{"誠", "マコト", "makoto"}, {"恵", "メグミ", "megumi"}, {"浩二", "コウジ", "koji"},
	{"裕子", "ユウコ", "yuko"}, {"隆", "タカシ", "takashi"}, {"真由美", "マユミ", "mayumi"},
	{"大樹", "ダイキ", "daiki"}, {"さくら", "サクラ", "sakura"}, {"亮", "リョウ", "ryo"},
	{"彩", "アヤ", "aya"}, {"和也", "カズヤ", "kazuya"}, {"千尋", "チヒロ", "chihiro"},
}

var companyStems = []namePart{
	{"山田商事", "", "yamada-shoji"}, {"東都システム", "", "toto-system"}, {"さくら製作所", "", "sakura-ss"},
	{"日本データ工業", "", "nihon-data"}, {"未来テクノロジーズ", "", "mirai-tech"}, {"大和物産", "", "yamato-bussan"},
	{"青空ソリューションズ", "", "aozora-sol"}, {"北斗電機", "", "hokuto-denki"}, {"ITO", "", "ito"},
	{"富士クラウド", "", "fuji-cloud"}, {"港区エンジニアリング", "", "minato-eng"}, {"関西フーズ", "", "kansai-foods"},
	{"グローバルリンク", "", "globallink"}, {"中央建設", "", "chuo-kensetsu"}, {"みどり銀行", "", "midori-bank"},
	{"ABCコンサルティング", "", "abc-consulting"}, {"サンライズ出版", "", "sunrise-pub"}, {"光通信機器", "", "hikari-tsushin"},
	{"九州ロジスティクス", "", "kyushu-logi"}, {"アルファ医療", "", "alpha-iryo"},
}

type place struct {
	pref, city, area, postal string // area: phone area-code format key
	streets                  []string
}

var places = []place{
	{"東京都", "千代田区", "03", "100", []string{"丸の内1-1-1", "大手町2-3-4", "神田小川町3-10"}},
	{"東京都", "港区", "03", "105", []string{"芝公園4-2-8", "六本木6-10-1", "赤坂3-1-6"}},
	{"東京都", "台東区", "03", "110", []string{"池之端1-1", "上野2-5-3"}},
	{"大阪府", "大阪市北区", "06", "530", []string{"梅田1-13-1", "中之島3-2-4"}},
	{"神奈川県", "横浜市西区", "045", "220", []string{"みなとみらい2-2-1", "高島2-19-12"}},
	{"愛知県", "名古屋市中村区", "052", "450", []string{"名駅1-1-4", "名駅3-28-12"}},
	{"福岡県", "福岡市博多区", "092", "812", []string{"博多駅前2-1-1", "祇園町4-2"}},
	{"北海道", "札幌市中央区", "011", "060", []string{"北五条西2-5", "大通西4-1"}},
}

var buildings = []string{"丸の内ビル 5F", "第一生命ビル 12階", "ミッドタウン・タワー 20F", "グランフロント北館 8F", "ビル 101", "さくらビル3階"}

var departments = []string{"営業部", "情報システム部", "経営企画室", "人事部", "マーケティング本部", "開発部 第二課", "総務部", "海外事業部"}

var titles = []string{"部長", "課長", "主任", "代表取締役社長", "取締役", "マネージャー", "係長", "Senior Engineer"}

var memos = []string{"セミナーで名刺交換", "展示会ブースにて", "紹介: 山田様より", "要見積もり送付", "オンライン商談"}

type genCompany struct {
	id, name, domain string
	loc              place
	street, building string
}

// Generate returns opts.Cards realistic Japanese business cards,
// deterministic for opts (see the package documentation for the quirks and
// their proportions). It does not touch any Fake; see [Fake.Seed].
func Generate(opts GenerateOptions) []Card {
	opts = opts.withDefaults()
	rng := rand.New(rand.NewPCG(opts.Seed, opts.Seed^0x9E3779B97F4A7C15))
	hexID := func() string { return fmt.Sprintf("%016X%016X", rng.Uint64(), rng.Uint64()) }
	pick := func(n int) int { return rng.IntN(n) }
	chance := func(p float64) bool { return rng.Float64() < p }

	nCompanies := max(5, opts.Cards/8)
	companies := make([]genCompany, nCompanies)
	for i := range companies {
		stem := companyStems[i%len(companyStems)]
		name, domain := stem.kanji, stem.roma
		if i >= len(companyStems) {
			name = fmt.Sprintf("%s%d", stem.kanji, i/len(companyStems)+1)
			domain = fmt.Sprintf("%s%d", stem.roma, i/len(companyStems)+1)
		}
		loc := places[pick(len(places))]
		companies[i] = genCompany{
			id: hexID(), name: name, domain: domain + ".co.jp", loc: loc,
			street: loc.streets[pick(len(loc.streets))], building: buildings[pick(len(buildings))],
		}
	}
	legalForm := func(c *genCompany) string {
		// Legal form as prefix or suffix, with varying spacing.
		forms := []string{"株式会社", "株式会社", "株式会社", "有限会社", "合同会社", ""}
		form := forms[pick(len(forms))]
		if form == "" {
			return c.name
		}
		sep := []string{"", "", " ", "　"}[pick(4)]
		if chance(0.5) {
			return form + sep + c.name
		}
		return c.name + sep + form
	}
	phone := func(area string) string {
		switch area {
		case "03", "06":
			return fmt.Sprintf("%s-%04d-%04d", area, 1000+pick(9000), pick(10000))
		}
		return fmt.Sprintf("%s-%03d-%04d", area, 100+pick(900), pick(10000))
	}
	span := opts.To.Sub(opts.From)
	randTime := func(lo time.Time, within time.Duration) time.Time {
		if within <= 0 {
			return lo
		}
		t := lo.Add(time.Duration(rng.Int64N(int64(within)))).Truncate(time.Second)
		if t.After(opts.To) {
			t = opts.To
		}
		return t.In(JST)
	}

	cards := make([]Card, 0, opts.Cards)
	for len(cards) < opts.Cards {
		ln, fn := lastNames[pick(len(lastNames))], firstNames[pick(len(firstNames))]
		personID := hexID()
		n := 1
		if r := rng.Float64(); r < 0.10 {
			n = 3
		} else if r < 0.30 {
			n = 2
		}
		n = min(n, opts.Cards-len(cards))
		cur := &companies[pick(len(companies))]
		owner := opts.Owners[pick(len(opts.Owners))].ID
		// Exchange dates: oldest card first, newest last.
		dates := make([]time.Time, n)
		for i := range dates {
			dates[i] = randTime(opts.From, span)
		}
		sortTimes(dates)
		for i := range n {
			comp := cur
			if i < n-1 && chance(0.3) {
				// Older card from a previous employer.
				comp = &companies[pick(len(companies))]
			}
			if chance(0.5) {
				owner = opts.Owners[pick(len(opts.Owners))].ID
			}
			cards = append(cards, genCard(rng, opts, cardSeed{
				id: hexID(), personID: personID, last: ln, first: fn, comp: comp, owner: owner,
				exchanged: dates[i], legal: legalForm(comp), tel: phone(comp.loc.area),
			}, phone, randTime))
		}
	}
	return cards
}

type cardSeed struct {
	id, personID string
	last, first  namePart
	comp         *genCompany
	owner        string
	exchanged    time.Time
	legal, tel   string
}

func sortTimes(ts []time.Time) {
	for i := 1; i < len(ts); i++ {
		for j := i; j > 0 && ts[j].Before(ts[j-1]); j-- {
			ts[j], ts[j-1] = ts[j-1], ts[j]
		}
	}
}

// toFullWidth converts ASCII letters, digits and common symbols to their
// full-width forms (ｔａｒｏ＠ｅｘａｍｐｌｅ．ｃｏ．ｊｐ).
func toFullWidth(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r > 0x20 && r < 0x7F {
			r += 0xFEE0
		}
		b.WriteRune(r)
	}
	return b.String()
}

func genCard(rng *rand.Rand, opts GenerateOptions, s cardSeed, phone func(string) string,
	randTime func(time.Time, time.Duration) time.Time) Card {
	pick := func(n int) int { return rng.IntN(n) }
	chance := func(p float64) bool { return rng.Float64() < p }
	str := func(v string) *string { return &v }

	exDate := s.exchanged.In(JST)
	registered := randTime(exDate.Add(time.Duration(8+pick(10))*time.Hour), time.Duration(pick(7)+1)*24*time.Hour)
	updated := registered
	switch r := rng.Float64(); {
	case r < 0.30:
		updated = randTime(registered, 365*24*time.Hour)
	case r < 0.40:
		updated = randTime(registered, 30*time.Minute)
	}
	c := Card{
		ID: s.id, PersonID: s.personID, CompanyID: s.comp.id, OwnerID: s.owner,
		RegisteredTime: registered, UpdatedTime: updated, CompletedTime: registered,
		EntryStatus: EntryStatusCompleted,
		CountryCode: str("JP"),
	}
	if !chance(0.03) {
		c.ExchangeDate = str(exDate.Format(dateLayout))
	}
	switch r := rng.Float64(); {
	case r < 0.04:
		c.EntryStatus = EntryStatusProcessing
		c.CompletedTime = time.Time{}
	case r < 0.05:
		c.EntryStatus = EntryStatusUnreadable
	}
	if c.EntryStatus != EntryStatusCompleted {
		// Not digitized: only the bookkeeping fields are known.
		c.CountryCode = nil
		return c
	}

	c.LastName, c.FirstName = str(s.last.kanji), str(s.first.kanji)
	c.LastNameReading, c.FirstNameReading = str(s.last.kana), str(s.first.kana)
	c.CompanyName = str(s.legal)
	c.DepartmentName = str(departments[pick(len(departments))])
	if !chance(0.15) {
		c.Title = str(titles[pick(len(titles))])
	}
	loc := s.comp.loc
	c.Prefecture, c.City, c.Street = str(loc.pref), str(loc.city), str(s.comp.street)
	if !chance(0.2) {
		c.Building = str(s.comp.building)
	}
	c.PostalCode = str(fmt.Sprintf("%s%04d", loc.postal, pick(10000)))
	if addr := joinAddress(c.Prefecture, c.City, c.Street, c.Building); addr != "" {
		c.Address = &addr
	}

	// E-mail quirks.
	local := s.first.roma + "." + s.last.roma
	email := local + "@" + s.comp.domain
	switch r := rng.Float64(); {
	case r < 0.08:
		c.Email = nil
	case r < 0.13:
		c.Email = str(toFullWidth(email))
	case r < 0.18:
		c.Email = str([]string{" " + email, email + " ", "  " + email + "　"}[pick(3)])
	case r < 0.21:
		c.Email = str([]string{"a@b", local + "@@" + s.comp.domain, local + "@" + s.comp.domain + "@example.jp", local + "@localhost"}[pick(4)])
	case r < 0.25:
		c.Email = str("info@" + s.comp.domain) // shared by different persons
	case r < 0.28:
		c.Email = str(strings.ToUpper(email[:1]) + email[1:])
	default:
		c.Email = str(email)
	}

	// Phone quirks.
	switch r := rng.Float64(); {
	case r < 0.10:
		c.Tel = nil
	case r < 0.18:
		c.Tel = str(fmt.Sprintf("0120-%03d-%03d", pick(1000), pick(1000)))
	case r < 0.20:
		c.Tel = str(toFullWidth(s.tel))
	default:
		c.Tel = str(s.tel)
	}
	if chance(0.6) {
		c.Mobile = str(fmt.Sprintf("0%d0-%04d-%04d", []int{7, 8, 9}[pick(3)], pick(10000), pick(10000)))
	}
	if chance(0.4) {
		c.Fax = str(phone(loc.area))
	}
	if chance(0.1) {
		c.SecondTel = str(phone(loc.area))
	}
	if chance(0.8) {
		c.URL = str("https://www." + s.comp.domain + "/")
	}
	if chance(0.2) {
		c.Memo = str(memos[pick(len(memos))])
	}

	// Tags: about 30% of cards carry one or two visible tags.
	if len(opts.Tags) > 0 && chance(0.3) {
		for range 1 + pick(2) {
			t := opts.Tags[pick(len(opts.Tags))]
			if t.Type == TagTypePrivate && t.OwnerID != s.owner {
				continue
			}
			if !slices.Contains(c.TagIDs, t.ID) {
				c.TagIDs = append(c.TagIDs, t.ID)
			}
		}
	}
	return c
}
