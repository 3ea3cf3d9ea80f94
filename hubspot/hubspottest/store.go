package hubspottest

import (
	"errors"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/cardbridge/sansanhubspot/internal/emaildomain"
)

// Contact is a snapshot of a stored contact. Properties holds only set
// (non-empty) values, including the maintained hs_object_id, createdate and
// lastmodifieddate.
type Contact struct {
	ID         string
	Properties map[string]string
	CreatedAt  time.Time
	UpdatedAt  time.Time
	Archived   bool
	ArchivedAt time.Time
}

// contact is the stored record.
type contact struct {
	id         int64
	idStr      string
	props      map[string]string
	createdAt  time.Time
	updatedAt  time.Time
	archived   bool
	archivedAt time.Time

	// Search index lag (WithSearchIndexLag): until visibleAt, search sees prev.
	visibleAt time.Time
	prev      *contact
}

func (c *contact) snapshot() Contact {
	return Contact{
		ID: c.idStr, Properties: maps.Clone(c.props),
		CreatedAt: c.createdAt, UpdatedAt: c.updatedAt,
		Archived: c.archived, ArchivedAt: c.archivedAt,
	}
}

// indexCopy is the frozen copy search keeps while a write is "not indexed".
func (c *contact) indexCopy() *contact {
	cp := *c
	cp.props = maps.Clone(c.props)
	cp.prev = nil
	return &cp
}

// ErrNotFound is returned by helpers for unknown contact ids.
var ErrNotFound = errors.New("hubspottest: contact not found")

// ErrConflict is wrapped by helper errors for a duplicate email.
var ErrConflict = errors.New("hubspottest: contact already exists")

// changeSource tells who made a change (for webhook changeSource).
type changeSource int

const (
	sourceAPI changeSource = iota // integration (API) write
	sourceUI                      // helper edit, reported as CRM_UI
)

// propChange is one changed property value.
type propChange struct {
	name, value string
}

// maxValueLen is HubSpot's limit for string property values.
const maxValueLen = 65536

// validEmail approximates HubSpot's unpublished email validation: one @, a
// dot-atom local part, a dotted host name and a registrable name under an
// ICANN public suffix (so typos such as .con and reserved names such as
// .test are refused, as HubSpot refuses them).
func validEmail(s string) bool {
	local, domain, ok := strings.Cut(s, "@")
	if !ok || local == "" || len(local) > 64 || strings.Contains(domain, "@") {
		return false
	}
	if local[0] == '.' || local[len(local)-1] == '.' || strings.Contains(local, "..") {
		return false
	}
	for i := 0; i < len(local); i++ {
		c := local[i]
		if !isAlnum(c) && !strings.ContainsRune(".!#$%&'*+/=?^_`{|}~-", rune(c)) {
			return false
		}
	}
	labels := strings.Split(domain, ".")
	if len(labels) < 2 {
		return false
	}
	for _, l := range labels {
		if l == "" || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
			return false
		}
		for i := 0; i < len(l); i++ {
			if !isAlnum(l[i]) && l[i] != '-' {
				return false
			}
		}
	}
	// As HubSpot: the domain must be a registrable name under a real
	// (ICANN) public suffix.
	return emaildomain.Check(strings.ToLower(domain)) == ""
}

func isAlnum(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

// parseInstant parses a datetime value: epoch milliseconds or ISO 8601.
func parseInstant(s string) (time.Time, bool) {
	if ms, err := strconv.ParseInt(s, 10, 64); err == nil {
		return time.UnixMilli(ms).UTC(), true
	}
	for _, l := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.000Z0700", "2006-01-02T15:04:05Z0700", time.DateOnly} {
		if t, err := time.Parse(l, s); err == nil {
			return t.UTC(), true
		}
	}
	return time.Time{}, false
}

// parseDate parses a date value: YYYY-MM-DD or epoch ms at midnight UTC.
func parseDate(s string) (time.Time, bool) {
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t, true
	}
	if ms, err := strconv.ParseInt(s, 10, 64); err == nil {
		t := time.UnixMilli(ms).UTC()
		if t.Equal(t.Truncate(24 * time.Hour)) {
			return t, true
		}
	}
	return time.Time{}, false
}

// validateProps checks a write's property values against the definitions
// and returns the normalized values, or the per-property errors. Callers
// hold f.mu. api=false (helpers) allows the maintained datetime properties.
func (f *Fake) validateProps(in map[string]string, api bool) (map[string]string, []propertyError) {
	var errs []propertyError
	out := make(map[string]string, len(in))
	names := slices.Sorted(maps.Keys(in))
	for _, name := range names {
		v := in[name]
		def, ok := f.props[name]
		if !ok || def.Archived {
			errs = append(errs, propertyError{Message: fmt.Sprintf("Property %q does not exist", name), Error: "PROPERTY_DOESNT_EXIST", Name: name})
			continue
		}
		if def.readOnly() && (api || name == "hs_object_id" || (name != "createdate" && name != "lastmodifieddate")) {
			errs = append(errs, propertyError{Message: fmt.Sprintf("%q is a read only property; its value cannot be set.", name), Error: "READ_ONLY_VALUE", Name: name})
			continue
		}
		if v == "" {
			out[name] = ""
			continue
		}
		if utf8.RuneCountInString(v) > maxValueLen {
			errs = append(errs, propertyError{Message: fmt.Sprintf("Property %q has a value of %d characters; the maximum is %d", name, utf8.RuneCountInString(v), maxValueLen), Error: "VALUE_TOO_LONG", Name: name})
			continue
		}
		if name == "email" {
			if !f.acceptsEmail(v) {
				errs = append(errs, propertyError{Message: fmt.Sprintf("Email address %s is invalid", v), Error: "INVALID_EMAIL", Name: name})
				continue
			}
		}
		switch def.Type {
		case "enumeration":
			if def.ExternalOptions && len(def.Options) == 0 {
				break
			}
			vals := []string{v}
			if def.FieldType == "checkbox" {
				vals = strings.Split(strings.TrimPrefix(v, ";"), ";")
			}
			for _, x := range vals {
				if !slices.ContainsFunc(def.Options, func(o PropertyOption) bool { return o.Value == x }) {
					allowed := make([]string, len(def.Options))
					for i, o := range def.Options {
						allowed[i] = o.Value
					}
					errs = append(errs, propertyError{Message: fmt.Sprintf("%s was not one of the allowed options: [%s]", x, strings.Join(allowed, ", ")), Error: "INVALID_OPTION", Name: name})
					break
				}
			}
		case "number":
			if _, err := strconv.ParseFloat(v, 64); err != nil {
				errs = append(errs, propertyError{Message: fmt.Sprintf("%s was not a valid number.", v), Error: "INVALID_NUMBER", Name: name})
				continue
			}
		case "bool":
			if v != "true" && v != "false" {
				errs = append(errs, propertyError{Message: fmt.Sprintf("%s was not a valid boolean.", v), Error: "INVALID_BOOLEAN", Name: name})
				continue
			}
		case "datetime":
			t, ok := parseInstant(v)
			if !ok {
				errs = append(errs, propertyError{Message: fmt.Sprintf("%s was not a valid datetime.", v), Error: "INVALID_DATETIME", Name: name})
				continue
			}
			v = formatTime(t)
		case "date":
			t, ok := parseDate(v)
			if !ok {
				errs = append(errs, propertyError{Message: fmt.Sprintf("%s is not a valid date: use YYYY-MM-DD or epoch milliseconds at midnight UTC.", v), Error: "INVALID_DATE", Name: name})
				continue
			}
			v = t.Format(time.DateOnly)
		}
		out[name] = v
	}
	if len(errs) > 0 {
		for i := range errs {
			errs[i].IsValid = false
		}
		return nil, errs
	}
	return out, nil
}

// checkEmailFree returns a 409 when email belongs to a contact other than self.
func (f *Fake) checkEmailFree(email string, self *contact) *apiError {
	if email == "" {
		return nil
	}
	if c, ok := f.byEmail[strings.ToLower(email)]; ok && c != self {
		return conflictError(c.id)
	}
	return nil
}

// prepareWrite validates props for a create (c == nil) or an update of c.
// Callers hold f.mu.
func (f *Fake) prepareWrite(props map[string]string, c *contact, api bool) (map[string]string, *apiError) {
	norm, perrs := f.validateProps(props, api)
	if perrs != nil {
		return nil, invalidPropsError(perrs)
	}
	if e, ok := norm["email"]; ok {
		if err := f.checkEmailFree(e, c); err != nil {
			return nil, err
		}
	}
	return norm, nil
}

func firstKey(m map[string]string) string {
	if len(m) == 0 {
		return ""
	}
	return slices.Min(slices.Collect(maps.Keys(m)))
}

// insert creates a contact from validated props. Callers hold f.mu.
func (f *Fake) insert(norm map[string]string, src changeSource) *contact {
	now := f.now()
	id := f.nextID
	f.nextID++
	c := &contact{id: id, idStr: strconv.FormatInt(id, 10), props: make(map[string]string, len(norm)+4), createdAt: now, updatedAt: now}
	var changes []propChange
	for _, k := range slices.Sorted(maps.Keys(norm)) {
		if v := norm[k]; v != "" {
			c.props[k] = v
			changes = append(changes, propChange{k, v})
		}
	}
	if v, ok := norm["createdate"]; ok && v != "" {
		c.createdAt, _ = parseInstant(v)
	}
	if v, ok := norm["lastmodifieddate"]; ok && v != "" {
		c.updatedAt, _ = parseInstant(v)
	}
	f.stamp(c)
	f.contacts[id] = c
	f.ordered = append(f.ordered, c)
	if e := c.props["email"]; e != "" {
		f.byEmail[strings.ToLower(e)] = c
	}
	if f.lag > 0 {
		c.visibleAt = now.Add(f.lag)
	}
	f.gen++
	f.emitCreate(c, changes, src)
	return c
}

// stamp refreshes the maintained properties from the record fields.
func (f *Fake) stamp(c *contact) {
	c.props["hs_object_id"] = c.idStr
	c.props["createdate"] = formatTime(c.createdAt)
	c.props["hs_createdate"] = c.props["createdate"]
	c.props["lastmodifieddate"] = formatTime(c.updatedAt)
	c.props["hs_lastmodifieddate"] = c.props["lastmodifieddate"]
	if e := c.props["email"]; e != "" {
		if _, d, ok := strings.Cut(e, "@"); ok {
			c.props["hs_email_domain"] = strings.ToLower(d)
		}
	} else {
		delete(c.props, "hs_email_domain")
	}
}

// modify applies validated props to c and bumps lastmodifieddate when a
// value changed. Callers hold f.mu.
func (f *Fake) modify(c *contact, norm map[string]string, src changeSource) {
	if f.lag > 0 && !f.now().Before(c.visibleAt) {
		c.prev = c.indexCopy()
	}
	var changes []propChange
	oldEmail := c.props["email"]
	explicitMod := ""
	createChanged := false
	for _, k := range slices.Sorted(maps.Keys(norm)) {
		v := norm[k]
		if k == "lastmodifieddate" {
			explicitMod = v
			continue
		}
		if k == "createdate" {
			if t, ok := parseInstant(v); ok && !t.Equal(c.createdAt) {
				c.createdAt = t
				createChanged = true
			}
			continue
		}
		if def := f.props[k]; def != nil && def.FieldType == "checkbox" && strings.HasPrefix(v, ";") {
			v = appendOptions(c.props[k], v)
		}
		if c.props[k] == v {
			continue
		}
		if v == "" {
			delete(c.props, k)
		} else {
			c.props[k] = v
		}
		changes = append(changes, propChange{k, v})
	}
	if newEmail := c.props["email"]; !strings.EqualFold(newEmail, oldEmail) || newEmail != oldEmail {
		if oldEmail != "" && f.byEmail[strings.ToLower(oldEmail)] == c {
			delete(f.byEmail, strings.ToLower(oldEmail))
		}
		if newEmail != "" {
			f.byEmail[strings.ToLower(newEmail)] = c
		}
	}
	if len(changes) == 0 && explicitMod == "" {
		if createChanged {
			f.stamp(c)
			f.gen++
		}
		return
	}
	if explicitMod != "" {
		c.updatedAt, _ = parseInstant(explicitMod)
	} else {
		c.updatedAt = f.now()
	}
	f.stamp(c)
	if f.lag > 0 {
		c.visibleAt = f.now().Add(f.lag)
	}
	f.gen++
	f.emitChanges(c, changes, src)
}

// appendOptions implements the ";a;b" append form of multi-checkbox writes.
func appendOptions(old, add string) string {
	var vals []string
	if old != "" {
		vals = strings.Split(old, ";")
	}
	for _, v := range strings.Split(strings.TrimPrefix(add, ";"), ";") {
		if v != "" && !slices.Contains(vals, v) {
			vals = append(vals, v)
		}
	}
	return strings.Join(vals, ";")
}

// archive soft-deletes c. Callers hold f.mu.
func (f *Fake) archive(c *contact, src changeSource) {
	if c.archived {
		return
	}
	if f.lag > 0 && !f.now().Before(c.visibleAt) {
		c.prev = c.indexCopy()
		c.visibleAt = f.now().Add(f.lag)
	}
	c.archived = true
	c.archivedAt = f.now()
	if e := c.props["email"]; e != "" && f.byEmail[strings.ToLower(e)] == c {
		delete(f.byEmail, strings.ToLower(e))
	}
	f.gen++
	f.emitDeletion(c, src)
}

// lookup resolves a record id (following merges) or, with idProperty
// "email", an email. Archived contacts are returned only when archived is
// true, and then only archived ones. Callers hold f.mu.
func (f *Fake) lookup(id, idProperty string, archived bool) *contact {
	var c *contact
	switch idProperty {
	case "", "hs_object_id":
		n, err := strconv.ParseInt(id, 10, 64)
		if err != nil {
			return nil
		}
		if to, ok := f.merged[n]; ok {
			n = to
		}
		c = f.contacts[n]
	case "email":
		if archived {
			for _, x := range f.ordered {
				if x.archived && strings.EqualFold(x.props["email"], id) {
					c = x
				}
			}
		} else {
			c = f.byEmail[strings.ToLower(id)]
		}
	default:
		return nil
	}
	if c == nil || c.archived != archived {
		return nil
	}
	return c
}

// CreateContact stores a new contact without an API call (and without
// counting one). Properties are validated as by the API, except that
// createdate and lastmodifieddate may be set; a duplicate email wraps
// [ErrConflict]. Automatic webhooks report the change as CRM_UI.
func (f *Fake) CreateContact(props map[string]string) (Contact, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	norm, e := f.prepareWrite(props, nil, false)
	if e != nil {
		return Contact{}, helperError(e)
	}
	return f.insert(norm, sourceUI).snapshot(), nil
}

// UpdateContact changes properties of a contact without an API call, as a
// CRM user would; lastmodifieddate is bumped when a value changes (or set
// to the given lastmodifieddate).
func (f *Fake) UpdateContact(id string, props map[string]string) (Contact, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	c := f.lookup(id, "", false)
	if c == nil {
		return Contact{}, fmt.Errorf("update %s: %w", id, ErrNotFound)
	}
	norm, e := f.prepareWrite(props, c, false)
	if e != nil {
		return Contact{}, helperError(e)
	}
	f.modify(c, norm, sourceUI)
	return c.snapshot(), nil
}

// ArchiveContact archives a contact without an API call.
func (f *Fake) ArchiveContact(id string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	c := f.lookup(id, "", false)
	if c == nil {
		return fmt.Errorf("archive %s: %w", id, ErrNotFound)
	}
	f.archive(c, sourceUI)
	return nil
}

func helperError(e *apiError) error {
	if e.code == http.StatusConflict {
		return fmt.Errorf("%w: %s", ErrConflict, e.Message)
	}
	return e
}

// Contact returns the contact with the record id (following merges),
// archived or not.
func (f *Fake) Contact(id string) (Contact, bool) {
	f.mu.RLock()
	defer f.mu.RUnlock()
	c := f.lookup(id, "", false)
	if c == nil {
		c = f.lookup(id, "", true)
	}
	if c == nil {
		return Contact{}, false
	}
	return c.snapshot(), true
}

// ContactByEmail returns the active contact whose email matches,
// case-insensitively.
func (f *Fake) ContactByEmail(email string) (Contact, bool) {
	f.mu.RLock()
	defer f.mu.RUnlock()
	c := f.byEmail[strings.ToLower(email)]
	if c == nil {
		return Contact{}, false
	}
	return c.snapshot(), true
}

// Contacts returns all stored contacts, archived included, by id.
func (f *Fake) Contacts() []Contact {
	f.mu.RLock()
	defer f.mu.RUnlock()
	out := make([]Contact, len(f.ordered))
	for i, c := range f.ordered {
		out[i] = c.snapshot()
	}
	return out
}

// NumContacts returns the number of active (not archived) contacts.
func (f *Fake) NumContacts() int {
	f.mu.RLock()
	defer f.mu.RUnlock()
	n := 0
	for _, c := range f.ordered {
		if !c.archived {
			n++
		}
	}
	return n
}

// SetContactsModifiedAt sets lastmodifieddate/updatedAt of the given
// contacts to t (truncated to ms), e.g. to reproduce a bulk job that stamps
// many records identically. No webhooks are emitted.
func (f *Fake) SetContactsModifiedAt(ids []string, t time.Time) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	t = t.UTC().Truncate(time.Millisecond)
	for _, id := range ids {
		c := f.lookup(id, "", false)
		if c == nil {
			return fmt.Errorf("set modified %s: %w", id, ErrNotFound)
		}
		c.updatedAt = t
		f.stamp(c)
	}
	f.gen++
	return nil
}

// MergeContacts merges secondaryID into primaryID as HubSpot does: the
// primary keeps its values and gains those it lacks, the secondary's email
// is added to hs_additional_emails, hs_merged_object_ids records the
// secondary, and the secondary id thereafter resolves to the primary. It
// returns the merged primary.
func (f *Fake) MergeContacts(primaryID, secondaryID string) (Contact, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	c, e := f.mergeLocked(primaryID, secondaryID, sourceUI)
	if e != nil {
		if e.code == http.StatusNotFound {
			return Contact{}, fmt.Errorf("merge %s into %s: %w", secondaryID, primaryID, ErrNotFound)
		}
		return Contact{}, e
	}
	return c.snapshot(), nil
}

func (f *Fake) mergeLocked(primaryID, secondaryID string, src changeSource) (*contact, *apiError) {
	p := f.lookup(primaryID, "", false)
	s := f.lookup(secondaryID, "", false)
	if p == nil || s == nil {
		return nil, notFoundError()
	}
	if p == s {
		return nil, validationError("Cannot merge a contact with itself")
	}
	if f.lag > 0 && !f.now().Before(p.visibleAt) {
		p.prev = p.indexCopy()
	}
	moved := 0
	var changes []propChange
	for k, v := range s.props {
		if def := f.props[k]; def != nil && def.readOnly() {
			continue
		}
		if k == "email" || k == "hs_additional_emails" {
			continue
		}
		if p.props[k] == "" {
			p.props[k] = v
			moved++
			changes = append(changes, propChange{k, v})
		}
	}
	extra := p.props["hs_additional_emails"]
	for _, e := range []string{s.props["email"], s.props["hs_additional_emails"]} {
		if e != "" {
			extra = appendOptions(extra, ";"+e)
		}
	}
	if extra != "" {
		p.props["hs_additional_emails"] = extra
	}
	p.props["hs_merged_object_ids"] = appendOptions(p.props["hs_merged_object_ids"], ";"+s.idStr)
	if e := s.props["email"]; e != "" && f.byEmail[strings.ToLower(e)] == s {
		delete(f.byEmail, strings.ToLower(e))
	}
	delete(f.contacts, s.id)
	i := sort.Search(len(f.ordered), func(i int) bool { return f.ordered[i].id >= s.id })
	f.ordered = slices.Delete(f.ordered, i, i+1)
	f.merged[s.id] = p.id
	for from, to := range f.merged {
		if to == s.id {
			f.merged[from] = p.id
		}
	}
	p.updatedAt = f.now()
	f.stamp(p)
	if f.lag > 0 {
		p.visibleAt = f.now().Add(f.lag)
	}
	f.gen++
	f.emitMerge(p, s, moved, changes, src)
	return p, nil
}
