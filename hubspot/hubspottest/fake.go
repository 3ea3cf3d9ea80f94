package hubspottest

import (
	"log/slog"
	"maps"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
)

// DefaultToken is the bearer token a [Fake] accepts when [WithToken] is not
// given.
const DefaultToken = "hubspottest-token"

// Fake is an in-memory HubSpot CRM v3 contacts and properties API. It
// implements [http.Handler] and is safe for concurrent use. Create it with
// [New], or with [NewServer] / [NewTestServer] to get a listening server.
type Fake struct {
	clock    func() time.Time
	tokens   map[string]bool
	lag      time.Duration
	phantoms int // see WithSearchPhantoms
	logger   *slog.Logger
	firstID  int64
	portalID int64
	webhooks *WebhookConfig

	// mu guards the CRM state below.
	mu        sync.RWMutex
	nextID    int64
	contacts  map[int64]*contact
	ordered   []*contact // by id ascending, archived included, merged removed
	byEmail   map[string]*contact
	merged    map[int64]int64 // merged-away id -> surviving id
	props     map[string]*Property
	propOrder []string
	groups    []PropertyGroup
	gen       uint64 // bumped on every contact write

	cacheMu sync.Mutex
	cache   map[string]searchCacheEntry

	// rlMu guards limits.
	rlMu   sync.Mutex
	limits limiter

	// faultMu guards the fault injection and counter state.
	faultMu     sync.Mutex
	failNext    []int // statuses of the next failing requests
	dropNext    int
	failInput   func(props map[string]string) bool
	refuseEmail func(email string) bool
	counts      map[string]int
	total       int

	hooks *webhookQueue // nil unless WithWebhooks

	// partialUpserts answers traced email upserts 207 per input (unlike
	// HubSpot); see WithPartialEmailUpserts.
	partialUpserts bool
}

// WithPartialEmailUpserts makes a batch upsert by email whose inputs all
// carry objectWriteTraceIds answer 207 with per-input errors, as this fake
// did before it followed HubSpot. HubSpot does not: "Partial upserts are
// not supported when using email as the idProperty for contacts", and by
// default the fake fails the whole batch. Use it only for tests of code
// that has not yet learned to isolate a refused input.
func WithPartialEmailUpserts() Option {
	return func(f *Fake) { f.partialUpserts = true }
}

// Option configures a [Fake].
type Option func(*Fake)

// WithToken sets the bearer tokens the fake accepts (default [DefaultToken]).
// Requests without one of them get 401 with a HubSpot error body.
func WithToken(tokens ...string) Option {
	return func(f *Fake) {
		f.tokens = make(map[string]bool, len(tokens))
		for _, t := range tokens {
			f.tokens[t] = true
		}
	}
}

// WithClock sets the clock used for timestamps, rate limits and webhook
// times (default time.Now).
func WithClock(now func() time.Time) Option {
	return func(f *Fake) { f.clock = now }
}

// WithRateLimit turns on the burst limit: at most max requests in any rolling
// window. Non-search responses then carry the X-HubSpot-RateLimit-Max,
// -Remaining and -Interval-Milliseconds headers, and requests over the limit
// get 429 with policyName TEN_SECONDLY_ROLLING. Off by default.
func WithRateLimit(max int, window time.Duration) Option {
	return func(f *Fake) {
		if max > 0 && window > 0 {
			f.limits.burst = &rollingWindow{max: max, window: window}
		}
	}
}

// WithSearchRateLimit limits search requests to perSecond in any rolling
// second, separately from [WithRateLimit]; over the limit they get 429 with
// policyName SECONDLY. Search responses never carry rate headers. Off by
// default.
func WithSearchRateLimit(perSecond int) Option {
	return func(f *Fake) {
		if perSecond > 0 {
			f.limits.search = &rollingWindow{max: perSecond, window: time.Second}
		}
	}
}

// WithDailyLimit limits the number of admitted requests (search included)
// per UTC day of the fake's clock; beyond it requests get 429 with
// policyName DAILY. Non-search responses then also carry the
// X-HubSpot-RateLimit-Daily and -Daily-Remaining headers. Off by default.
func WithDailyLimit(n int) Option {
	return func(f *Fake) { f.limits.daily = max(n, 0) }
}

// WithSearchIndexLag makes search eventually consistent: a contact written
// less than d ago (by the fake's clock) is matched and returned as it was
// before that write, and a contact created less than d ago is not found at
// all. Off (zero) by default.
func WithSearchIndexLag(d time.Duration) Option {
	return func(f *Fake) { f.lag = max(d, 0) }
}

// WithSearchPhantoms makes every search result list start with n entries
// that are counted and take offsets but are not returned, like index
// entries of records that no longer match: HubSpot has been reported to
// answer short and even empty search pages that still carry
// paging.next.after. With n at least the page size, the first page of every
// search is empty but has a next cursor. Off (zero) by default.
func WithSearchPhantoms(n int) Option {
	return func(f *Fake) { f.phantoms = max(n, 0) }
}

// WithLogger sets a logger for webhook delivery diagnostics (default: discard).
func WithLogger(l *slog.Logger) Option {
	return func(f *Fake) {
		if l != nil {
			f.logger = l
		}
	}
}

// WithFirstID sets the id of the first contact created (default 1). Real
// record ids exceed 32 bits; a large start catches int32 assumptions.
func WithFirstID(id int64) Option {
	return func(f *Fake) {
		if id > 0 {
			f.firstID = id
		}
	}
}

// DefaultPortalID is the portal id a fake reports unless WithPortalID says
// otherwise.
const DefaultPortalID = 20261203

// WithPortalID sets the portal id GET /account-info/v3/details reports, so
// a test can stand for two different portals.
func WithPortalID(id int64) Option {
	return func(f *Fake) {
		if id > 0 {
			f.portalID = id
		}
	}
}

// New returns an empty fake with HubSpot's default contact properties and
// property groups.
func New(opts ...Option) *Fake {
	f := &Fake{
		clock:    time.Now,
		tokens:   map[string]bool{DefaultToken: true},
		logger:   slog.New(slog.DiscardHandler),
		firstID:  1,
		portalID: DefaultPortalID,
		contacts: map[int64]*contact{},
		byEmail:  map[string]*contact{},
		merged:   map[int64]int64{},
		props:    map[string]*Property{},
		groups:   defaultGroups(),
		cache:    map[string]searchCacheEntry{},
		counts:   map[string]int{},
	}
	for _, o := range opts {
		o(f)
	}
	f.nextID = f.firstID
	created := formatTime(f.now())
	for _, p := range defaultProperties(created) {
		cp := p
		f.props[p.Name] = &cp
		f.propOrder = append(f.propOrder, p.Name)
	}
	if f.webhooks != nil {
		f.hooks = newWebhookQueue(f, *f.webhooks)
	}
	return f
}

// Close stops background webhook delivery, if any. Events still queued are
// dropped; call [Fake.FlushWebhooks] first to deliver them.
func (f *Fake) Close() {
	if f.hooks != nil {
		f.hooks.close()
	}
}

// now returns the clock's time truncated to milliseconds, HubSpot's
// timestamp resolution.
func (f *Fake) now() time.Time { return f.clock().UTC().Truncate(time.Millisecond) }

// FailNext makes the next n requests fail with status (a HubSpot error
// body; for 429 a TEN_SECONDLY_ROLLING rate-limit body). Failures queue up
// behind earlier FailNext calls.
func (f *Fake) FailNext(n, status int) {
	f.faultMu.Lock()
	defer f.faultMu.Unlock()
	for range n {
		f.failNext = append(f.failNext, status)
	}
}

// DropNext makes the next n requests end without a response: the connection
// is hijacked and closed (or the handler aborts when it can't be hijacked).
func (f *Fake) DropNext(n int) {
	f.faultMu.Lock()
	defer f.faultMu.Unlock()
	f.dropNext += n
}

// FailBatchInputs makes every batch create/update/upsert input whose
// requested properties satisfy fn fail with a VALIDATION_ERROR, as a real
// invalid value would: with objectWriteTraceIds on every input a create or
// update answers 207 with per-input errors, otherwise (and for an upsert by
// email, unless WithPartialEmailUpserts) the whole batch fails.
// Passing nil turns it off.
func (f *Fake) FailBatchInputs(fn func(props map[string]string) bool) {
	f.faultMu.Lock()
	defer f.faultMu.Unlock()
	f.failInput = fn
}

// RefuseEmails makes the fake's email validation also refuse every address
// for which fn returns true, with HubSpot's "Email address … is invalid"
// error: the real service refuses some addresses that pass a client-side
// check (a domain it does not accept, say). Passing nil turns it off.
func (f *Fake) RefuseEmails(fn func(email string) bool) {
	f.faultMu.Lock()
	defer f.faultMu.Unlock()
	f.refuseEmail = fn
}

// acceptsEmail reports whether the fake takes s as an email address.
func (f *Fake) acceptsEmail(s string) bool {
	if !validEmail(s) {
		return false
	}
	f.faultMu.Lock()
	fn := f.refuseEmail
	f.faultMu.Unlock()
	return fn == nil || !fn(strings.ToLower(s))
}

func (f *Fake) inputFails(props map[string]string) bool {
	f.faultMu.Lock()
	fn := f.failInput
	f.faultMu.Unlock()
	return fn != nil && fn(props)
}

// Requests returns how many requests were received per endpoint template,
// e.g. "POST /crm/v3/objects/contacts/batch/upsert" or
// "GET /crm/v3/objects/contacts/{contactId}". Every request counts,
// including rejected, failed and rate-limited ones; unknown paths count
// under "METHOD unknown".
func (f *Fake) Requests() map[string]int {
	f.faultMu.Lock()
	defer f.faultMu.Unlock()
	return maps.Clone(f.counts)
}

// TotalRequests returns the number of requests received.
func (f *Fake) TotalRequests() int {
	f.faultMu.Lock()
	defer f.faultMu.Unlock()
	return f.total
}

// ResetCounters zeroes the request counters.
func (f *Fake) ResetCounters() {
	f.faultMu.Lock()
	defer f.faultMu.Unlock()
	f.counts = map[string]int{}
	f.total = 0
}

// route is a matched endpoint.
type route struct {
	template string
	search   bool
	serve    func(w http.ResponseWriter, r *http.Request)
}

const (
	objectsPrefix    = "crm/v3/objects/contacts"
	propertiesPrefix = "crm/v3/properties/contacts"
)

// pathAliases map other spellings of the contact paths (object type id
// 0-1, the date-versioned 2026-03 family) to the v3 paths.
var pathAliases = map[string]string{
	"crm/v3/objects/0-1":              objectsPrefix,
	"crm/v3/properties/0-1":           propertiesPrefix,
	"crm/objects/2026-03/contacts":    objectsPrefix,
	"crm/objects/2026-03/0-1":         objectsPrefix,
	"crm/properties/2026-03/contacts": propertiesPrefix,
	"crm/properties/2026-03/0-1":      propertiesPrefix,
}

// match finds the endpoint for a request; it returns nil for unknown paths
// or methods.
func (f *Fake) match(r *http.Request) *route {
	p := strings.Trim(r.URL.EscapedPath(), "/")
	for alias, canonical := range pathAliases {
		if rest, ok := strings.CutPrefix(p, alias); ok && (rest == "" || rest[0] == '/') {
			p = canonical + rest
			break
		}
	}
	m := r.Method
	rt := func(tmpl string, fn func(http.ResponseWriter, *http.Request)) *route {
		return &route{template: m + " /" + tmpl, serve: fn}
	}
	switch {
	case p == objectsPrefix:
		switch m {
		case http.MethodGet:
			return rt(objectsPrefix, f.handleList)
		case http.MethodPost:
			return rt(objectsPrefix, f.handleCreate)
		}
	case strings.HasPrefix(p, objectsPrefix+"/"):
		rest := p[len(objectsPrefix)+1:]
		switch {
		case m == http.MethodPost && rest == "search":
			r := rt(objectsPrefix+"/search", f.handleSearch)
			r.search = true
			return r
		case m == http.MethodPost && rest == "merge":
			return rt(objectsPrefix+"/merge", f.handleMerge)
		case m == http.MethodPost && strings.HasPrefix(rest, "batch/"):
			op := rest[len("batch/"):]
			switch op {
			case "read", "create", "update", "upsert", "archive":
				return rt(objectsPrefix+"/batch/"+op, func(w http.ResponseWriter, r *http.Request) { f.handleBatch(w, r, op) })
			}
		case !strings.Contains(rest, "/"):
			id, err := url.PathUnescape(rest)
			if err != nil {
				return nil
			}
			tmpl := objectsPrefix + "/{contactId}"
			switch m {
			case http.MethodGet:
				return rt(tmpl, func(w http.ResponseWriter, r *http.Request) { f.handleGet(w, r, id) })
			case http.MethodPatch:
				return rt(tmpl, func(w http.ResponseWriter, r *http.Request) { f.handlePatch(w, r, id) })
			case http.MethodDelete:
				return rt(tmpl, func(w http.ResponseWriter, r *http.Request) { f.handleDelete(w, r, id) })
			}
		}
	case p == "account-info/v3/details" || p == "account-info/2026-03/details":
		if m == http.MethodGet {
			return rt("account-info/v3/details", f.handleAccountDetails)
		}
	case p == propertiesPrefix:
		switch m {
		case http.MethodGet:
			return rt(propertiesPrefix, f.handleListProperties)
		case http.MethodPost:
			return rt(propertiesPrefix, f.handleCreateProperty)
		}
	case p == propertiesPrefix+"/groups":
		switch m {
		case http.MethodGet:
			return rt(propertiesPrefix+"/groups", f.handleListGroups)
		case http.MethodPost:
			return rt(propertiesPrefix+"/groups", f.handleCreateGroup)
		}
	case strings.HasPrefix(p, propertiesPrefix+"/groups/"):
		name, err := url.PathUnescape(p[len(propertiesPrefix+"/groups/"):])
		if err != nil || strings.Contains(name, "/") {
			return nil
		}
		tmpl := propertiesPrefix + "/groups/{groupName}"
		switch m {
		case http.MethodGet:
			return rt(tmpl, func(w http.ResponseWriter, r *http.Request) { f.handleGetGroup(w, r, name) })
		case http.MethodPatch:
			return rt(tmpl, func(w http.ResponseWriter, r *http.Request) { f.handleUpdateGroup(w, r, name) })
		case http.MethodDelete:
			return rt(tmpl, func(w http.ResponseWriter, r *http.Request) { f.handleDeleteGroup(w, r, name) })
		}
	case strings.HasPrefix(p, propertiesPrefix+"/"):
		name := p[len(propertiesPrefix)+1:]
		if strings.Contains(name, "/") {
			return nil
		}
		tmpl := propertiesPrefix + "/{propertyName}"
		switch m {
		case http.MethodGet:
			return rt(tmpl, func(w http.ResponseWriter, r *http.Request) { f.handleGetProperty(w, r, name) })
		case http.MethodPatch:
			return rt(tmpl, func(w http.ResponseWriter, r *http.Request) { f.handleUpdateProperty(w, r, name) })
		case http.MethodDelete:
			return rt(tmpl, func(w http.ResponseWriter, r *http.Request) { f.handleDeleteProperty(w, r, name) })
		}
	}
	return nil
}

// ServeHTTP implements [http.Handler]: counting, fault injection, auth, rate
// limits, then the endpoint.
func (f *Fake) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rt := f.match(r)
	key := r.Method + " unknown"
	if rt != nil {
		key = rt.template
	}
	f.faultMu.Lock()
	f.counts[key]++
	f.total++
	drop := f.dropNext > 0
	if drop {
		f.dropNext--
	}
	fail := 0
	if !drop && len(f.failNext) > 0 {
		fail = f.failNext[0]
		f.failNext = f.failNext[1:]
	}
	f.faultMu.Unlock()

	if drop {
		dropConnection(w)
		return
	}
	corr := newCorrelationID()
	w.Header().Set(headerCorrelationID, corr)
	if fail != 0 {
		if fail == http.StatusTooManyRequests {
			writeJSON(w, fail, rateLimitBody(PolicyTenSecondlyRolling, corr))
			return
		}
		writeError(w, newError(fail, categoryForStatus(fail), "injected failure: %s", http.StatusText(fail)))
		return
	}
	if e := f.authenticate(r); e != nil {
		writeError(w, e)
		return
	}
	if policy := f.admitRequest(w.Header(), rt != nil && rt.search, f.clock()); policy != "" {
		writeJSON(w, http.StatusTooManyRequests, rateLimitBody(policy, corr))
		return
	}
	if rt == nil {
		writeError(w, notFoundError())
		return
	}
	rt.serve(w, r)
}

func (f *Fake) authenticate(r *http.Request) *apiError {
	h := r.Header.Get("Authorization")
	if h == "" {
		return newError(http.StatusUnauthorized, catInvalidAu,
			"Authentication credentials not found. This API supports OAuth 2.0 authentication and you can find more details at https://developers.hubspot.com/docs/methods/auth/oauth-overview")
	}
	tok, ok := strings.CutPrefix(h, "Bearer ")
	if !ok || !f.tokens[tok] {
		return newError(http.StatusUnauthorized, catInvalidAu, "The OAuth token used to make this call is invalid.")
	}
	return nil
}

// dropConnection closes the client connection without answering.
func dropConnection(w http.ResponseWriter) {
	if hj, ok := w.(http.Hijacker); ok {
		if conn, _, err := hj.Hijack(); err == nil {
			_ = conn.Close()
			return
		}
	}
	panic(http.ErrAbortHandler)
}

// handleAccountDetails serves GET /account-info/v3/details.
func (f *Fake) handleAccountDetails(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{
		"portalId":              f.portalID,
		"accountType":           "STANDARD",
		"timeZone":              "Asia/Tokyo",
		"companyCurrency":       "JPY",
		"additionalCurrencies":  []string{},
		"utcOffset":             "+09:00",
		"utcOffsetMilliseconds": 32400000,
		"uiDomain":              "app.hubspot.com",
		"dataHostingLocation":   "na1",
	})
}
