package sansantest

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// ErrNotFound is returned by [Fake.UpdateCard], [Fake.DeleteCard] and
// [Fake.TagCard] for unknown ids.
var ErrNotFound = errors.New("sansantest: not found")

// DefaultVersion is the version path segment the fake serves by default.
const DefaultVersion = "v3.2"

// Option configures a [Fake].
type Option func(*config)

type config struct {
	clock        func() time.Time
	rateLimit    rate.Limit
	burst        int
	limited      bool
	latency      time.Duration
	version      string
	regVersion   *string // nil: registration on version
	tokenTTL     time.Duration
	postedStatus string
	maxSnapshots int
}

// WithClock sets the clock used for registeredTime/updatedTime of new and
// updated cards and for the rate limiter. The default is [time.Now].
func WithClock(now func() time.Time) Option {
	return func(c *config) {
		if now != nil {
			c.clock = now
		}
	}
}

// WithRateLimit makes the fake answer 429 (JSON error body, no Retry-After
// header, as the real service) once a key exceeds r requests per second with
// the given burst. Each API key has its own token bucket, measured on the
// fake's clock; requests without a valid key share one bucket.
func WithRateLimit(r float64, burst int) Option {
	return func(c *config) {
		c.rateLimit = rate.Limit(r)
		c.burst = burst
		c.limited = true
	}
}

// WithLatency delays every response by d (a real sleep that ends early when
// the request's context is cancelled).
func WithLatency(d time.Duration) Option {
	return func(c *config) { c.latency = d }
}

// WithVersion sets the version path segment served (default "v3.2"); requests
// outside "/{version}/" answer 404.
func WithVersion(v string) Option {
	return func(c *config) { c.version = strings.Trim(v, "/") }
}

// WithPageTokenTTL makes a nextPageToken expire d after its first page was
// served (by the fake's clock, see WithClock): a later request with it
// answers 400 "nextPageToken expired or unknown", as a real token of
// unknown lifetime may. By default tokens live until their last page is
// served or the snapshot is evicted.
func WithPageTokenTTL(d time.Duration) Option {
	return func(c *config) { c.tokenTTL = d }
}

// WithRegisterVersion serves card registration (POST /bizCards) under
// "/{v}/" only, as an API version that lacks an endpoint answers 404 on the
// real service: with WithRegisterVersion("v6.0") a POST to
// "/v3.2/bizCards" is a 404 and one to "/v6.0/bizCards" registers. By
// default registration is served under the main version. An empty v serves
// registration nowhere.
func WithRegisterVersion(v string) Option {
	return func(c *config) {
		v = strings.Trim(v, "/")
		c.regVersion = &v
	}
}

// WithPostedEntryStatus sets the entryStatus of cards created through
// POST /bizCards. The default is "completed": the card-data registration API
// sends structured data, so no digitization is needed.
func WithPostedEntryStatus(status string) Option {
	return func(c *config) { c.postedStatus = status }
}

// WithMaxSnapshots bounds how many paging snapshots are kept (default 256;
// all snapshots together also hold at most 4,000,000 card references); the
// oldest is evicted first and its nextPageToken then answers 400.
func WithMaxSnapshots(n int) Option {
	return func(c *config) {
		if n > 0 {
			c.maxSnapshots = n
		}
	}
}

// Fake is an in-memory Sansan Open API tenant. It implements [http.Handler]
// and is safe for concurrent use.
type Fake struct {
	cfg config

	mu       sync.RWMutex
	users    map[string]*User // by id
	keys     map[string]*User // by API key
	cards    map[string]*Card // by id; values are immutable versions
	persons  map[string][]string
	tags     map[string]*Tag
	tagOrder []string
	// byUpdated holds the current version of every card, sorted by
	// (UpdatedTime, ID); it is kept valid on every mutation.
	byUpdated []*Card
	rng       *rand.Rand

	pagesMu   sync.Mutex
	snapshots map[string]*snapshot
	snapOrder []string
	snapSeq   uint64
	snapItems int

	faultsMu sync.Mutex
	faults   []fault

	countMu sync.Mutex
	counts  map[string]int
	total   int

	limMu    sync.Mutex
	limiters map[string]*rate.Limiter

	// raws are cards served other than as themselves (guarded by mu).
	raws    map[string]*rawCard
	endless endless

	image []byte
}

// New returns an empty fake tenant.
func New(opts ...Option) *Fake {
	cfg := config{
		clock:        time.Now,
		version:      DefaultVersion,
		postedStatus: EntryStatusCompleted,
		maxSnapshots: 256,
	}
	for _, o := range opts {
		o(&cfg)
	}
	return &Fake{
		cfg:       cfg,
		users:     map[string]*User{},
		keys:      map[string]*User{},
		cards:     map[string]*Card{},
		persons:   map[string][]string{},
		tags:      map[string]*Tag{},
		rng:       rand.New(rand.NewPCG(0x5a45a4, 0x3e2)),
		snapshots: map[string]*snapshot{},
		counts:    map[string]int{},
		limiters:  map[string]*rate.Limiter{},
		raws:      map[string]*rawCard{},
		image:     cardJPEG,
	}
}

func (f *Fake) now() time.Time { return f.cfg.clock() }

// newHexID returns a fresh 32-character upper-case hex id. f.mu must be held.
func (f *Fake) newHexID() string {
	return fmt.Sprintf("%016X%016X", f.rng.Uint64(), f.rng.Uint64())
}

// AddUser adds or replaces a user of the tenant.
func (f *Fake) AddUser(u User) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if old, ok := f.users[u.ID]; ok {
		delete(f.keys, old.APIKey)
	}
	cp := u
	cp.CanSee = slices.Clone(u.CanSee)
	f.users[u.ID] = &cp
	if u.APIKey != "" {
		f.keys[u.APIKey] = &cp
	}
}

// User returns the user with the given id.
func (f *Fake) User(id string) (User, bool) {
	f.mu.RLock()
	defer f.mu.RUnlock()
	u, ok := f.users[id]
	if !ok {
		return User{}, false
	}
	return *u, true
}

// AddTag adds or replaces a tag and returns it with its id filled in.
func (f *Fake) AddTag(t Tag) Tag {
	f.mu.Lock()
	defer f.mu.Unlock()
	if t.ID == "" {
		t.ID = f.newHexID()
	}
	if _, ok := f.tags[t.ID]; !ok {
		f.tagOrder = append(f.tagOrder, t.ID)
	}
	cp := t
	f.tags[t.ID] = &cp
	return t
}

// Tags returns every tag in insertion order.
func (f *Fake) Tags() []Tag {
	f.mu.RLock()
	defer f.mu.RUnlock()
	out := make([]Tag, 0, len(f.tagOrder))
	for _, id := range f.tagOrder {
		out = append(out, *f.tags[id])
	}
	return out
}

// TagCard attaches a tag to a card. It does not change the card's
// updatedTime (use [Fake.UpdateCard] to bump it as well).
func (f *Fake) TagCard(cardID, tagID string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	c, ok := f.cards[cardID]
	if !ok {
		return fmt.Errorf("card %q: %w", cardID, ErrNotFound)
	}
	if _, ok := f.tags[tagID]; !ok {
		return fmt.Errorf("tag %q: %w", tagID, ErrNotFound)
	}
	if slices.Contains(c.TagIDs, tagID) {
		return nil
	}
	nc := c.clone()
	nc.TagIDs = append(nc.TagIDs, tagID)
	f.replaceLocked(c, nc)
	return nil
}

// normalize fills defaults of a card about to be stored. f.mu must be held.
func (f *Fake) normalize(c *Card, now time.Time) {
	if c.ID == "" {
		c.ID = f.newHexID()
	}
	if c.PersonID == "" {
		c.PersonID = f.newHexID()
	}
	if c.CompanyID == "" {
		c.CompanyID = f.newHexID()
	}
	if c.EntryStatus == "" {
		c.EntryStatus = EntryStatusCompleted
	}
	if c.RegisteredTime.IsZero() {
		c.RegisteredTime = now
	}
	if c.UpdatedTime.IsZero() {
		c.UpdatedTime = c.RegisteredTime
	}
	if c.CompletedTime.IsZero() && c.EntryStatus != EntryStatusProcessing {
		c.CompletedTime = c.RegisteredTime
	}
	c.RegisteredTime = c.RegisteredTime.In(JST)
	c.UpdatedTime = c.UpdatedTime.In(JST)
	c.TagIDs = slices.Clone(c.TagIDs)
}

// AddCard stores a card and returns it with defaults filled in: id, personId
// and companyId (32 upper-case hex) when empty, registeredTime and
// updatedTime from the clock when zero, entryStatus "completed" when empty.
// A card with an existing id replaces it.
func (f *Fake) AddCard(c Card) Card {
	f.mu.Lock()
	defer f.mu.Unlock()
	nc := c.clone()
	f.normalize(nc, f.now())
	f.putLocked(nc)
	return *nc.clone()
}

// addCards stores many cards, sorting the index once.
func (f *Fake) addCards(cs []Card) []Card {
	f.mu.Lock()
	defer f.mu.Unlock()
	now := f.now()
	out := make([]Card, len(cs))
	for i := range cs {
		nc := cs[i].clone()
		f.normalize(nc, now)
		if old, ok := f.cards[nc.ID]; ok {
			f.unlinkPerson(old)
		}
		f.cards[nc.ID] = nc
		f.persons[nc.PersonID] = append(f.persons[nc.PersonID], nc.ID)
		out[i] = *nc.clone()
	}
	// Rebuild the index once: O(N log N) per bulk load, not per card.
	f.byUpdated = f.byUpdated[:0]
	for _, c := range f.cards {
		f.byUpdated = append(f.byUpdated, c)
	}
	slices.SortFunc(f.byUpdated, cmpUpdated)
	return out
}

// UpdateCard applies fn to a copy of the card, bumps its updatedTime to the
// clock's now (later than before, even with a frozen clock) and stores it.
func (f *Fake) UpdateCard(id string, fn func(*Card)) (Card, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	old, ok := f.cards[id]
	if !ok {
		return Card{}, fmt.Errorf("card %q: %w", id, ErrNotFound)
	}
	nc := old.clone()
	if fn != nil {
		fn(nc)
	}
	nc.ID = id
	now := f.now().In(JST)
	if !now.After(old.UpdatedTime) {
		now = old.UpdatedTime.Add(time.Second)
	}
	nc.UpdatedTime = now
	if nc.EntryStatus == "" {
		nc.EntryStatus = EntryStatusCompleted
	}
	if nc.EntryStatus != EntryStatusProcessing && nc.CompletedTime.IsZero() {
		nc.CompletedTime = now
	}
	nc.TagIDs = slices.Clone(nc.TagIDs)
	f.replaceLocked(old, nc)
	return *nc.clone(), nil
}

// DeleteCard removes a card. Paging snapshots taken earlier still serve it.
func (f *Fake) DeleteCard(id string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	old, ok := f.cards[id]
	if !ok {
		return fmt.Errorf("card %q: %w", id, ErrNotFound)
	}
	f.removeLocked(old)
	return nil
}

// Card returns a copy of the card with the given id.
func (f *Fake) Card(id string) (Card, bool) {
	f.mu.RLock()
	defer f.mu.RUnlock()
	c, ok := f.cards[id]
	if !ok {
		return Card{}, false
	}
	return *c.clone(), true
}

// Cards returns copies of all cards ordered by (updatedTime, id).
func (f *Fake) Cards() []Card {
	f.mu.RLock()
	defer f.mu.RUnlock()
	out := make([]Card, len(f.byUpdated))
	for i, c := range f.byUpdated {
		out[i] = *c.clone()
	}
	return out
}

// putLocked inserts or replaces a card version. f.mu must be held.
func (f *Fake) putLocked(nc *Card) {
	if old, ok := f.cards[nc.ID]; ok {
		f.replaceLocked(old, nc)
		return
	}
	f.cards[nc.ID] = nc
	f.persons[nc.PersonID] = append(f.persons[nc.PersonID], nc.ID)
	f.insertIndex(nc)
}

// replaceLocked swaps old for nc (same id). f.mu must be held.
func (f *Fake) replaceLocked(old, nc *Card) {
	f.removeIndex(old)
	if old.PersonID != nc.PersonID {
		f.unlinkPerson(old)
		f.persons[nc.PersonID] = append(f.persons[nc.PersonID], nc.ID)
	}
	f.cards[nc.ID] = nc
	f.insertIndex(nc)
}

func (f *Fake) removeLocked(old *Card) {
	f.removeIndex(old)
	f.unlinkPerson(old)
	delete(f.cards, old.ID)
}

func (f *Fake) unlinkPerson(c *Card) {
	ids := slices.DeleteFunc(f.persons[c.PersonID], func(s string) bool { return s == c.ID })
	if len(ids) == 0 {
		delete(f.persons, c.PersonID)
	} else {
		f.persons[c.PersonID] = ids
	}
}

func cmpUpdated(a, b *Card) int {
	if c := a.UpdatedTime.Compare(b.UpdatedTime); c != 0 {
		return c
	}
	return strings.Compare(a.ID, b.ID)
}

func (f *Fake) insertIndex(c *Card) {
	i, _ := slices.BinarySearchFunc(f.byUpdated, c, cmpUpdated)
	f.byUpdated = slices.Insert(f.byUpdated, i, c)
}

func (f *Fake) removeIndex(c *Card) {
	if i, ok := slices.BinarySearchFunc(f.byUpdated, c, cmpUpdated); ok {
		f.byUpdated = slices.Delete(f.byUpdated, i, i+1)
	}
}

// headRankLess reports whether a ranks below b as the head (newest) card of
// a person: newest exchangeDate wins (null dates rank lowest), then newest
// registeredTime, then the larger id.
func headRankLess(a, b *Card) bool {
	ad, bd := "", ""
	if a.ExchangeDate != nil {
		ad = *a.ExchangeDate
	}
	if b.ExchangeDate != nil {
		bd = *b.ExchangeDate
	}
	if ad != bd {
		return ad < bd
	}
	if c := a.RegisteredTime.Compare(b.RegisteredTime); c != 0 {
		return c < 0
	}
	return a.ID < b.ID
}
