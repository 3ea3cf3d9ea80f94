package hubspot

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/cardbridge/sansanhubspot/internal/apiclient"
)

// BatchReadOptions selects what BatchRead returns.
type BatchReadOptions struct {
	// IDProperty names the unique property the ids hold, e.g. "email";
	// empty means record IDs. Results are matched to inputs through this
	// property, so it is added to Properties when missing (HubSpot's
	// default properties already include email).
	IDProperty string
	// Properties selects the properties returned (HubSpot's defaults when empty).
	Properties []string
	// PropertiesWithHistory selects properties returned with their history.
	PropertiesWithHistory []string
	// Archived reads archived contacts only.
	Archived bool
}

// batchKey describes how one input is recognised in a batch response.
type batchKey struct {
	key       string // BatchOutcome.Key
	trace     string // objectWriteTraceId, "" for reads
	id        string // record ID, when known
	propName  string // property whose value identifies the input
	propValue string
}

type batchResultWire struct {
	Contact
	New bool `json:"new"`
}

type batchResponseWire struct {
	Status      string             `json:"status"`
	Results     []*batchResultWire `json:"results"`
	NumErrors   int                `json:"numErrors"`
	Errors      []*BatchError      `json:"errors"`
	Links       map[string]string  `json:"links"`
	RequestedAt time.Time          `json:"requestedAt"`
	StartedAt   time.Time          `json:"startedAt"`
	CompletedAt time.Time          `json:"completedAt"`
}

type idInput struct {
	ID string `json:"id"`
}

type batchReadBody struct {
	IDProperty            string    `json:"idProperty,omitempty"`
	Inputs                []idInput `json:"inputs"`
	Properties            []string  `json:"properties"`
	PropertiesWithHistory []string  `json:"propertiesWithHistory"`
}

type batchCreateInputWire struct {
	Properties         PropertyValues `json:"properties"`
	Associations       []any          `json:"associations"`
	ObjectWriteTraceID string         `json:"objectWriteTraceId"`
}

type batchInputsBody[T any] struct {
	Inputs []T `json:"inputs"`
}

func checkBatchSize(n int) error {
	if n == 0 {
		return fmt.Errorf("%w: empty batch", ErrInvalidInput)
	}
	if n > MaxBatchSize {
		return fmt.Errorf("%w: %d inputs, at most %d per call", ErrBatchTooLarge, n, MaxBatchSize)
	}
	return nil
}

// traceIDs returns a unique objectWriteTraceId per input, keeping the
// caller's where given and rejecting duplicates.
func traceIDs(given []string) ([]string, error) {
	var rnd [6]byte
	if _, err := rand.Read(rnd[:]); err != nil {
		return nil, fmt.Errorf("hubspot: trace id: %w", err)
	}
	prefix := "sh-" + hex.EncodeToString(rnd[:]) + "-"
	seen := make(map[string]bool, len(given))
	for _, g := range given {
		if g != "" {
			if seen[g] {
				return nil, fmt.Errorf("%w: duplicate objectWriteTraceId %q", ErrInvalidInput, g)
			}
			seen[g] = true
		}
	}
	out := make([]string, len(given))
	for i, g := range given {
		if g == "" {
			g = prefix + strconv.Itoa(i)
			for seen[g] {
				g += "x"
			}
			seen[g] = true
		}
		out[i] = g
	}
	return out, nil
}

// checkUniqueKeys rejects two write inputs for the same record: HubSpot's
// behaviour is undocumented and results could not be mapped back.
func checkUniqueKeys(keys []batchKey, fold bool) error {
	seen := make(map[string]int, len(keys))
	for i, k := range keys {
		kk := k.key
		if fold {
			kk = strings.ToLower(kk)
		}
		if j, ok := seen[kk]; ok {
			return fmt.Errorf("%w: inputs %d and %d both target %q", ErrInvalidInput, j, i, k.key)
		}
		seen[kk] = i
	}
	return nil
}

// BatchRead returns the contacts with the given record IDs, or with the
// given values of opts.IDProperty (e.g. emails). Missing contacts come back
// as outcomes whose Err matches [ErrNotFound]; that is not an error of the
// call. At most [MaxBatchSize] ids.
//
// HubSpot API docs: POST /crm/v3/objects/contacts/batch/read
func (s *ContactsService) BatchRead(ctx context.Context, ids []string, opts *BatchReadOptions) (*BatchResult, *Response, error) {
	if err := checkBatchSize(len(ids)); err != nil {
		return nil, nil, err
	}
	o := BatchReadOptions{}
	if opts != nil {
		o = *opts
	}
	body := batchReadBody{
		IDProperty:            o.IDProperty,
		Inputs:                make([]idInput, len(ids)),
		Properties:            append([]string{}, o.Properties...),
		PropertiesWithHistory: append([]string{}, o.PropertiesWithHistory...),
	}
	keys := make([]batchKey, len(ids))
	for i, id := range ids {
		if id == "" {
			return nil, nil, fmt.Errorf("%w: empty id at input %d", ErrInvalidInput, i)
		}
		body.Inputs[i] = idInput{ID: id}
		keys[i] = batchKey{key: id}
		if o.IDProperty == "" {
			keys[i].id = id
		} else {
			keys[i].propName, keys[i].propValue = o.IDProperty, id
		}
	}
	if o.IDProperty != "" && !contains(body.Properties, o.IDProperty) &&
		(len(body.Properties) > 0 || o.IDProperty != "email") {
		body.Properties = append(body.Properties, o.IDProperty)
	}
	var q any
	if o.Archived {
		q = struct {
			Archived bool `url:"archived"`
		}{true}
	}
	return s.batch(ctx, "batch/read", q, body, keys)
}

// BatchCreate creates contacts. Every input gets a unique
// objectWriteTraceId (generated when empty), which makes HubSpot report
// per-input failures (207) instead of failing the whole batch; each
// outcome's Key is that trace ID. A duplicate email fails only its input,
// with an Err matching [ErrConflict] and ExistingID set. Not retried on
// network errors or 5xx. At most [MaxBatchSize] inputs.
//
// HubSpot API docs: POST /crm/v3/objects/contacts/batch/create
func (s *ContactsService) BatchCreate(ctx context.Context, inputs []BatchCreateInput) (*BatchResult, *Response, error) {
	if err := checkBatchSize(len(inputs)); err != nil {
		return nil, nil, err
	}
	given := make([]string, len(inputs))
	for i, in := range inputs {
		given[i] = in.ObjectWriteTraceID
	}
	traces, err := traceIDs(given)
	if err != nil {
		return nil, nil, err
	}
	body := batchInputsBody[batchCreateInputWire]{Inputs: make([]batchCreateInputWire, len(inputs))}
	keys := make([]batchKey, len(inputs))
	for i, in := range inputs {
		props := in.Properties
		if props == nil {
			props = PropertyValues{}
		}
		body.Inputs[i] = batchCreateInputWire{Properties: props, Associations: []any{}, ObjectWriteTraceID: traces[i]}
		keys[i] = batchKey{key: traces[i], trace: traces[i]}
		if email := props["email"]; email != "" {
			keys[i].propName, keys[i].propValue = "email", email
		}
	}
	return s.batch(ctx, "batch/create", nil, body, keys)
}

// BatchUpdate writes properties to contacts identified by record ID (use
// BatchUpsert when you only have emails). Each outcome's Key is the record
// ID; an unknown ID yields an Err matching [ErrNotFound]. Inputs must target
// distinct IDs. At most [MaxBatchSize] inputs.
//
// HubSpot API docs: POST /crm/v3/objects/contacts/batch/update
func (s *ContactsService) BatchUpdate(ctx context.Context, inputs []BatchUpdateInput) (*BatchResult, *Response, error) {
	traces, err := writeTraces(len(inputs), func(i int) (string, string) { return inputs[i].ID, inputs[i].ObjectWriteTraceID })
	if err != nil {
		return nil, nil, err
	}
	body := batchInputsBody[BatchUpdateInput]{Inputs: make([]BatchUpdateInput, len(inputs))}
	keys := make([]batchKey, len(inputs))
	for i, in := range inputs {
		in.ObjectWriteTraceID = traces[i]
		if in.Properties == nil {
			in.Properties = PropertyValues{}
		}
		body.Inputs[i] = in
		keys[i] = batchKey{key: in.ID, trace: traces[i], id: in.ID}
	}
	if err := checkUniqueKeys(keys, false); err != nil {
		return nil, nil, err
	}
	return s.batch(ctx, "batch/update", nil, body, keys)
}

// BatchUpsert creates or updates contacts identified by a unique property,
// the email by default (an empty IDProperty means "email"). Each outcome's
// Key is the input's ID (the email), and New reports whether the contact
// was created. Inputs must target distinct IDs (emails compare
// case-insensitively). At most [MaxBatchSize] inputs.
//
// An upsert by email is all or nothing: HubSpot's contacts guide says
// "Partial upserts are not supported when using email as the idProperty
// for contacts", so one input HubSpot refuses (an email it finds invalid,
// say) fails the whole call with an [*ErrorResponse] and nothing is
// written; there are no per-input results to read then. Check addresses
// before sending (mapping.NormalizeEmail applies HubSpot's rules) and, when
// a batch is still refused, [RefusedUpsertInputs] names the inputs the
// error points at, so they can be dropped and the rest sent again in one
// more call.
//
// HubSpot API docs: POST /crm/v3/objects/contacts/batch/upsert
func (s *ContactsService) BatchUpsert(ctx context.Context, inputs []BatchUpsertInput) (*BatchResult, *Response, error) {
	traces, err := writeTraces(len(inputs), func(i int) (string, string) { return inputs[i].ID, inputs[i].ObjectWriteTraceID })
	if err != nil {
		return nil, nil, err
	}
	body := batchInputsBody[BatchUpsertInput]{Inputs: make([]BatchUpsertInput, len(inputs))}
	keys := make([]batchKey, len(inputs))
	fold := true
	for i, in := range inputs {
		in.ObjectWriteTraceID = traces[i]
		if in.IDProperty == "" {
			in.IDProperty = "email"
		}
		if in.IDProperty != "email" {
			fold = false
		}
		if in.Properties == nil {
			in.Properties = PropertyValues{}
		}
		body.Inputs[i] = in
		keys[i] = batchKey{key: in.ID, trace: traces[i], propName: in.IDProperty, propValue: in.ID}
		if in.IDProperty == "hs_object_id" {
			keys[i].id = in.ID
		}
	}
	if err := checkUniqueKeys(keys, fold); err != nil {
		return nil, nil, err
	}
	return s.batch(ctx, "batch/upsert", nil, body, keys)
}

// RefusedUpsertInputs returns the positions in inputs of the inputs that
// err, the error of a refused [ContactsService.BatchUpsert] of inputs,
// names: by objectWriteTraceId or id in the error's context, or by an email
// (an input's ID, or its "email" property) that appears as a word in the
// error's message, its per-property errors or its details, as in HubSpot's
// "Email address bad@example.con is invalid". It returns nil when err is
// not a refused request or names no input; the caller then has to find the
// bad input another way (by halves, say).
func RefusedUpsertInputs(err error, inputs []BatchUpsertInput) []int {
	var er *ErrorResponse
	if !errors.As(err, &er) || er.StatusCode < 400 || er.StatusCode >= 500 || er.StatusCode == http.StatusTooManyRequests {
		return nil
	}
	words := map[string]bool{}
	addWords := func(text string) {
		for _, w := range strings.FieldsFunc(text, func(r rune) bool {
			return unicode.IsSpace(r) || strings.ContainsRune("\"'`,;()[]{}<>", r)
		}) {
			words[strings.ToLower(strings.TrimRight(w, ".:"))] = true
		}
	}
	addWords(er.Message)
	for _, pe := range er.PropertyErrors {
		addWords(pe.Message)
	}
	for _, d := range er.Errors {
		addWords(d.Message)
	}
	named := map[string]bool{}
	for _, vs := range er.Context {
		for _, v := range vs {
			named[strings.ToLower(v)] = true
		}
	}
	for _, d := range er.Errors {
		for _, vs := range d.Context {
			for _, v := range vs {
				named[strings.ToLower(v)] = true
			}
		}
	}
	var out []int
	for i, in := range inputs {
		id := strings.ToLower(in.ID)
		email := strings.ToLower(in.Properties["email"])
		switch {
		case in.ObjectWriteTraceID != "" && named[strings.ToLower(in.ObjectWriteTraceID)],
			id != "" && (named[id] || words[id]),
			email != "" && (named[email] || words[email]):
			out = append(out, i)
		}
	}
	return out
}

// BatchArchive archives the contacts with the given record IDs. HubSpot
// answers 204 even for unknown IDs. At most [MaxBatchSize] ids.
//
// HubSpot API docs: POST /crm/v3/objects/contacts/batch/archive
func (s *ContactsService) BatchArchive(ctx context.Context, ids []string) (*Response, error) {
	if err := checkBatchSize(len(ids)); err != nil {
		return nil, err
	}
	body := batchInputsBody[idInput]{Inputs: make([]idInput, len(ids))}
	for i, id := range ids {
		if id == "" {
			return nil, fmt.Errorf("%w: empty id at input %d", ErrInvalidInput, i)
		}
		body.Inputs[i] = idInput{ID: id}
	}
	return s.client.do(ctx, apiclient.Call{
		Method: http.MethodPost, Path: contactsPath + "/batch/archive", Body: body, Idempotent: &yes,
	})
}

func (s *ContactsService) batch(ctx context.Context, op string, q, body any, keys []batchKey) (*BatchResult, *Response, error) {
	// Reads, updates and upserts can be replayed safely; creates cannot.
	idem := op != "batch/create"
	var w batchResponseWire
	resp, err := s.client.do(ctx, apiclient.Call{
		Method: http.MethodPost, Path: contactsPath + "/" + op, Query: q,
		Body: body, Out: &w, Idempotent: &idem,
	})
	if err != nil {
		return nil, resp, err
	}
	s.client.redactBatchErrors(w.Errors)
	return matchBatch(&w, keys), resp, nil
}

// matchBatch builds one outcome per input from a batch response, matching
// results by objectWriteTraceId, record ID or identifying property, and
// errors by context.objectWriteTraceId or context.ids. An error wins over a
// result for the same input; an input with neither gets a MISSING_RESULT
// error.
func matchBatch(w *batchResponseWire, keys []batchKey) *BatchResult {
	r := &BatchResult{
		Status: w.Status, Errors: w.Errors, NumErrors: w.NumErrors, Links: w.Links,
		RequestedAt: w.RequestedAt, StartedAt: w.StartedAt, CompletedAt: w.CompletedAt,
		Results:  make([]*Contact, 0, len(w.Results)),
		Outcomes: make([]*BatchOutcome, len(keys)),
	}
	byTrace := map[string][]int{}
	byID := map[string][]int{}
	byProp := map[string][]int{} // propName + "\x00" + lower(value)
	byKey := map[string][]int{}  // lower(key)
	for i, k := range keys {
		r.Outcomes[i] = &BatchOutcome{Index: i, Key: k.key, TraceID: k.trace}
		if k.trace != "" {
			byTrace[k.trace] = append(byTrace[k.trace], i)
		}
		if k.id != "" {
			byID[k.id] = append(byID[k.id], i)
		}
		if k.propName != "" {
			pk := k.propName + "\x00" + strings.ToLower(k.propValue)
			byProp[pk] = append(byProp[pk], i)
		}
		lk := strings.ToLower(k.key)
		byKey[lk] = append(byKey[lk], i)
	}
	propNames := map[string]bool{}
	for _, k := range keys {
		if k.propName != "" {
			propNames[k.propName] = true
		}
	}
	for _, res := range w.Results {
		if res == nil {
			continue
		}
		c := res.Contact
		r.Results = append(r.Results, &c)
		var idx []int
		if c.ObjectWriteTraceID != "" {
			idx = byTrace[c.ObjectWriteTraceID]
		}
		if len(idx) == 0 && c.ID != "" {
			idx = byID[c.ID]
		}
		if len(idx) == 0 {
			for name := range propNames {
				if v, ok := c.Properties.Get(name); ok && v != "" {
					if idx = byProp[name+"\x00"+strings.ToLower(v)]; len(idx) > 0 {
						break
					}
				}
			}
		}
		for _, i := range idx {
			o := r.Outcomes[i]
			if o.Contact == nil {
				o.Contact, o.New = &c, res.New
			}
		}
	}
	var unattributed []*BatchError
	for _, e := range w.Errors {
		if e == nil {
			continue
		}
		e.parse()
		hit := false
		for _, t := range e.Context["objectWriteTraceId"] {
			for _, i := range byTrace[t] {
				r.Outcomes[i].Err, hit = e, true
			}
		}
		if !hit {
			for _, id := range e.Context["ids"] {
				idx := byKey[strings.ToLower(id)]
				if len(idx) == 0 {
					idx = byID[id]
				}
				for _, i := range idx {
					r.Outcomes[i].Err, hit = e, true
				}
			}
		}
		if !hit {
			unattributed = append(unattributed, e)
		}
	}
	for _, o := range r.Outcomes {
		if o.Err != nil {
			o.Contact, o.New = nil, false
			continue
		}
		if o.Contact == nil {
			msg := "hubspot returned neither a result nor an error for this input"
			if len(unattributed) > 0 {
				msg += "; unattributed batch error: " + unattributed[0].Message
			}
			o.Err = &BatchError{Status: "error", Category: CategoryMissingResult, Message: msg}
		}
	}
	return r
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// writeTraces checks the batch size and that every input of an update or
// upsert names its record, and returns the inputs' trace ids (given or
// generated, see traceIDs). at returns input i's id and given trace id.
func writeTraces(n int, at func(i int) (id, trace string)) ([]string, error) {
	if err := checkBatchSize(n); err != nil {
		return nil, err
	}
	given := make([]string, n)
	for i := range n {
		id, trace := at(i)
		if id == "" {
			return nil, fmt.Errorf("%w: empty id at input %d", ErrInvalidInput, i)
		}
		given[i] = trace
	}
	return traceIDs(given)
}
