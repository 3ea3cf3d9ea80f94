package hubspottest

import (
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// wireObject is SimplePublicObject (and SimplePublicUpsertObject when New
// is set).
type wireObject struct {
	ID                 string             `json:"id"`
	Properties         map[string]*string `json:"properties"`
	CreatedAt          string             `json:"createdAt"`
	UpdatedAt          string             `json:"updatedAt"`
	Archived           bool               `json:"archived"`
	ArchivedAt         string             `json:"archivedAt,omitempty"`
	ObjectWriteTraceID string             `json:"objectWriteTraceId,omitempty"`
	New                *bool              `json:"new,omitempty"`
}

type wireNext struct {
	After string `json:"after"`
	Link  string `json:"link,omitempty"`
}

type wirePaging struct {
	Next *wireNext `json:"next,omitempty"`
}

type wireList struct {
	Results []wireObject `json:"results"`
	Paging  *wirePaging  `json:"paging,omitempty"`
}

type wireBatchResponse struct {
	Status      string          `json:"status"`
	Results     []wireObject    `json:"results"`
	NumErrors   int             `json:"numErrors,omitempty"`
	Errors      []standardError `json:"errors,omitempty"`
	RequestedAt string          `json:"requestedAt,omitempty"`
	StartedAt   string          `json:"startedAt"`
	CompletedAt string          `json:"completedAt"`
}

type wireInput struct {
	ID                 string            `json:"id"`
	IDProperty         string            `json:"idProperty"`
	Properties         map[string]string `json:"properties"`
	ObjectWriteTraceID string            `json:"objectWriteTraceId"`
}

type wireBatchInput struct {
	IDProperty string      `json:"idProperty"`
	Inputs     []wireInput `json:"inputs"`
	Properties []string    `json:"properties"`
}

type wireMergeInput struct {
	PrimaryObjectID string `json:"primaryObjectId"`
	ObjectIDToMerge string `json:"objectIdToMerge"`
}

// defaultReadProps are returned when a read names no properties
// (hubspot-api.md §2.7).
var defaultReadProps = []string{"createdate", "email", "firstname", "hs_object_id", "lastmodifieddate", "lastname"}

// maxBatch is the input limit of object batch endpoints.
const maxBatch = 100

// render converts c for a response. With names == nil every set property is
// returned; otherwise each named defined property is returned, null when
// unset. Callers hold f.mu (read).
func (f *Fake) render(c *contact, names []string) wireObject {
	o := wireObject{ID: c.idStr, CreatedAt: formatTime(c.createdAt), UpdatedAt: formatTime(c.updatedAt), Archived: c.archived}
	if c.archived {
		o.ArchivedAt = formatTime(c.archivedAt)
	}
	if names == nil {
		o.Properties = make(map[string]*string, len(c.props))
		for k, v := range c.props {
			o.Properties[k] = &v
		}
		return o
	}
	o.Properties = make(map[string]*string, len(names))
	for _, n := range names {
		if _, ok := f.props[n]; !ok {
			continue
		}
		if v, ok := c.props[n]; ok {
			o.Properties[n] = &v
		} else {
			o.Properties[n] = nil
		}
	}
	return o
}

// queryProps parses the properties query parameter (comma-separated and/or
// repeated); it returns the default set when absent.
func queryProps(q url.Values) []string {
	var out []string
	for _, v := range q["properties"] {
		for _, p := range strings.Split(v, ",") {
			if p = strings.TrimSpace(p); p != "" && !slices.Contains(out, p) {
				out = append(out, p)
			}
		}
	}
	if out == nil {
		return defaultReadProps
	}
	return out
}

func (f *Fake) handleList(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	limit := 10
	if s := q.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > 100 {
			writeError(w, validationError("limit must be an integer between 1 and 100, got %q", s))
			return
		}
		limit = n
	}
	var after int64
	if s := q.Get("after"); s != "" {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			writeError(w, validationError("Invalid paging cursor %q", s))
			return
		}
		after = n
	}
	archived := q.Get("archived") == "true"
	names := queryProps(q)

	f.mu.RLock()
	defer f.mu.RUnlock()
	out := wireList{Results: make([]wireObject, 0, limit)}
	i := sort.Search(len(f.ordered), func(i int) bool { return f.ordered[i].id >= after })
	for ; i < len(f.ordered); i++ {
		c := f.ordered[i]
		if c.archived != archived {
			continue
		}
		if len(out.Results) == limit {
			next := strconv.FormatInt(c.id, 10)
			link := *r.URL
			lq := link.Query()
			lq.Set("after", next)
			link.RawQuery = lq.Encode()
			link.Scheme, link.Host = "http", r.Host
			out.Paging = &wirePaging{Next: &wireNext{After: next, Link: link.String()}}
			break
		}
		out.Results = append(out.Results, f.render(c, names))
	}
	writeJSON(w, http.StatusOK, out)
}

type wireCreate struct {
	Properties map[string]string `json:"properties"`
}

func (f *Fake) handleCreate(w http.ResponseWriter, r *http.Request) {
	var in wireCreate
	if e := decodeBody(r, &in); e != nil {
		writeError(w, e)
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	norm, e := f.prepareWrite(in.Properties, nil, true)
	if e != nil {
		writeError(w, e)
		return
	}
	c := f.insert(norm, sourceAPI)
	writeJSON(w, http.StatusCreated, f.render(c, nil))
}

func (f *Fake) handleGet(w http.ResponseWriter, r *http.Request, id string) {
	q := r.URL.Query()
	f.mu.RLock()
	defer f.mu.RUnlock()
	c := f.lookup(id, q.Get("idProperty"), q.Get("archived") == "true")
	if c == nil {
		writeError(w, notFoundError())
		return
	}
	writeJSON(w, http.StatusOK, f.render(c, queryProps(q)))
}

func (f *Fake) handlePatch(w http.ResponseWriter, r *http.Request, id string) {
	var in wireCreate
	if e := decodeBody(r, &in); e != nil {
		writeError(w, e)
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	c := f.lookup(id, r.URL.Query().Get("idProperty"), false)
	if c == nil {
		writeError(w, notFoundError())
		return
	}
	norm, e := f.prepareWrite(in.Properties, c, true)
	if e != nil {
		writeError(w, e)
		return
	}
	f.modify(c, norm, sourceAPI)
	writeJSON(w, http.StatusOK, f.render(c, nil))
}

func (f *Fake) handleDelete(w http.ResponseWriter, _ *http.Request, id string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if c := f.lookup(id, "", false); c != nil {
		f.archive(c, sourceAPI)
	}
	w.WriteHeader(http.StatusNoContent)
}

func (f *Fake) handleMerge(w http.ResponseWriter, r *http.Request) {
	var in wireMergeInput
	if e := decodeBody(r, &in); e != nil {
		writeError(w, e)
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	c, e := f.mergeLocked(in.PrimaryObjectID, in.ObjectIDToMerge, sourceAPI)
	if e != nil {
		writeError(w, e)
		return
	}
	writeJSON(w, http.StatusOK, f.render(c, nil))
}

func (f *Fake) handleBatch(w http.ResponseWriter, r *http.Request, op string) {
	var in wireBatchInput
	if e := decodeBody(r, &in); e != nil {
		writeError(w, e)
		return
	}
	if len(in.Inputs) > maxBatch {
		writeError(w, validationError("Batch input size %d exceeds the maximum of %d inputs", len(in.Inputs), maxBatch))
		return
	}
	started := formatTime(f.now())
	resp := wireBatchResponse{Status: "COMPLETE", Results: []wireObject{}, StartedAt: started}
	finish := func(code int) {
		resp.CompletedAt = formatTime(f.now())
		if len(resp.Errors) > 0 {
			resp.NumErrors = len(resp.Errors)
			code = http.StatusMultiStatus
		}
		writeJSON(w, code, resp)
	}

	switch op {
	case "archive":
		f.mu.Lock()
		for _, x := range in.Inputs {
			if c := f.lookup(x.ID, "", false); c != nil {
				f.archive(c, sourceAPI)
			}
		}
		f.mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
		return
	case "read":
		if e := duplicateIDs(in.Inputs, in.IDProperty == "email"); e != nil {
			writeError(w, e)
			return
		}
		if in.IDProperty != "" && in.IDProperty != "email" && in.IDProperty != "hs_object_id" {
			writeError(w, validationError("Unable to perform read by non-unique 0-1 property %s", in.IDProperty))
			return
		}
		names := in.Properties
		if len(names) == 0 {
			names = defaultReadProps
		}
		archived := r.URL.Query().Get("archived") == "true"
		var missing []string
		f.mu.RLock()
		for _, x := range in.Inputs {
			if c := f.lookup(x.ID, in.IDProperty, archived); c != nil {
				resp.Results = append(resp.Results, f.render(c, names))
			} else {
				missing = append(missing, x.ID)
			}
		}
		f.mu.RUnlock()
		if missing != nil {
			resp.Errors = append(resp.Errors, notFoundBatchError(missing))
		}
		finish(http.StatusOK)
		return
	}

	// Write operations.
	traced := allTraced(in.Inputs)
	for _, x := range in.Inputs {
		if x.Properties == nil && op != "archive" {
			writeError(w, validationError("Invalid input JSON: properties is required"))
			return
		}
	}
	switch op {
	case "update":
		for _, x := range in.Inputs {
			if x.IDProperty != "" && x.IDProperty != "hs_object_id" {
				writeError(w, validationError("Unable to perform update/upsert by non-unique 0-1 property"))
				return
			}
		}
		if e := duplicateIDs(in.Inputs, false); e != nil {
			writeError(w, e)
			return
		}
	case "upsert":
		for _, x := range in.Inputs {
			if x.IDProperty != "email" {
				writeError(w, validationError("Unable to perform update/upsert by non-unique 0-1 property %s", x.IDProperty))
				return
			}
		}
		if e := duplicateIDs(in.Inputs, true); e != nil {
			writeError(w, e)
			return
		}
	}

	f.mu.Lock()
	defer f.mu.Unlock()
	// Validate everything first so that an untraced batch with a bad input
	// changes nothing.
	type planned struct {
		c    *contact // existing record, nil = create
		norm map[string]string
		err  *apiError
	}
	plan := make([]planned, len(in.Inputs))
	var missing []string
	pendingEmails := map[string]int{} // lower email -> input index claiming it
	var dupEmails []string
	for i, x := range in.Inputs {
		var c *contact
		switch op {
		case "update":
			c = f.lookup(x.ID, "", false)
			if c == nil {
				missing = append(missing, x.ID)
				plan[i].err = notFoundError() // reported in aggregate
				continue
			}
		case "upsert":
			if !f.acceptsEmail(x.ID) {
				plan[i].err = invalidPropsError([]propertyError{{Message: "Email address " + x.ID + " is invalid", Error: "INVALID_EMAIL", Name: "email"}})
				continue
			}
			c = f.lookup(x.ID, "email", false)
		}
		props := x.Properties
		if op == "upsert" && c == nil {
			if _, ok := props["email"]; !ok {
				props = cloneWith(props, "email", x.ID)
			}
		}
		norm, e := f.prepareWrite(props, c, true)
		if e == nil && f.inputFails(x.Properties) {
			e = invalidPropsError([]propertyError{{Message: "injected failure", Error: "INVALID_PROPERTY_VALUE", Name: firstKey(x.Properties)}})
		}
		if e == nil {
			if em := strings.ToLower(norm["email"]); em != "" && (c == nil || !strings.EqualFold(c.props["email"], em)) {
				if _, ok := pendingEmails[em]; ok {
					dupEmails = append(dupEmails, norm["email"])
				}
				pendingEmails[em] = i
			}
		}
		plan[i] = planned{c: c, norm: norm, err: e}
	}
	var firstErr *apiError
	for _, p := range plan {
		if p.err != nil && p.err.Category != catNotFound {
			firstErr = p.err
			break
		}
	}
	if firstErr == nil && dupEmails != nil && !traced {
		firstErr = validationError("Duplicate emails found in batch input: [%s]", strings.Join(dupEmails, ", "))
	}
	// Upsert by email is all or nothing: "Partial upserts are not
	// supported when using email as the idProperty for contacts" (HubSpot's
	// contacts guide), so one bad input fails the batch even with trace ids.
	if firstErr != nil && (!traced || op == "upsert" && !f.partialUpserts) {
		writeError(w, firstErr)
		return
	}
	code := http.StatusOK
	if op == "create" {
		code = http.StatusCreated
	}
	for i, p := range plan {
		x := in.Inputs[i]
		if p.err != nil {
			if p.err.Category == catNotFound {
				continue
			}
			resp.Errors = append(resp.Errors, p.err.toStandard(map[string][]string{"objectWriteTraceId": {x.ObjectWriteTraceID}}))
			continue
		}
		var obj wireObject
		switch {
		case p.c == nil:
			// Emails claimed earlier in this batch by a successful input conflict.
			if em := strings.ToLower(p.norm["email"]); em != "" {
				if other := f.byEmail[em]; other != nil {
					resp.Errors = append(resp.Errors, conflictError(other.id).toStandard(map[string][]string{"objectWriteTraceId": {x.ObjectWriteTraceID}}))
					continue
				}
			}
			c := f.insert(p.norm, sourceAPI)
			obj = f.render(c, nil)
			if op == "upsert" {
				obj.New = ptr(true)
			}
		default:
			if e := f.checkEmailFree(p.norm["email"], p.c); e != nil {
				resp.Errors = append(resp.Errors, e.toStandard(map[string][]string{"objectWriteTraceId": {x.ObjectWriteTraceID}}))
				continue
			}
			f.modify(p.c, p.norm, sourceAPI)
			obj = f.render(p.c, nil)
			if op == "upsert" {
				obj.New = ptr(false)
			}
		}
		obj.ObjectWriteTraceID = x.ObjectWriteTraceID
		resp.Results = append(resp.Results, obj)
	}
	if missing != nil {
		resp.Errors = append(resp.Errors, notFoundBatchError(missing))
	}
	finish(code)
}

func ptr[T any](v T) *T { return &v }

func cloneWith(m map[string]string, k, v string) map[string]string {
	out := make(map[string]string, len(m)+1)
	for a, b := range m {
		out[a] = b
	}
	out[k] = v
	return out
}

// allTraced reports whether every input carries a distinct
// objectWriteTraceId, which enables 207 partial success.
func allTraced(inputs []wireInput) bool {
	seen := make(map[string]bool, len(inputs))
	for _, x := range inputs {
		if x.ObjectWriteTraceID == "" || seen[x.ObjectWriteTraceID] {
			return false
		}
		seen[x.ObjectWriteTraceID] = true
	}
	return len(inputs) > 0
}

// duplicateIDs rejects batches naming the same id twice.
func duplicateIDs(inputs []wireInput, fold bool) *apiError {
	seen := make(map[string]bool, len(inputs))
	var dups []string
	for _, x := range inputs {
		k := x.ID
		if fold {
			k = strings.ToLower(k)
		}
		if seen[k] {
			dups = append(dups, x.ID)
		}
		seen[k] = true
	}
	if dups != nil {
		return validationError("Duplicate IDs found in batch input: [%s]. IDs must be unique", strings.Join(dups, ", "))
	}
	return nil
}

func notFoundBatchError(ids []string) standardError {
	e := newError(http.StatusNotFound, catNotFound, "Could not get some CONTACT objects, they may be deleted or not exist. Check that ids are valid.")
	return e.toStandard(map[string][]string{"ids": ids})
}
