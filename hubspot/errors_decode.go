package hubspot

import (
	"bytes"
	"encoding/json"
	"strings"
)

// HubSpot's error docs say every field of an error body is optional, and
// its reference shows fields of other shapes than the schema (context as a
// string such as "{missingScopes=[a, b]}", subCategory as an object). The
// decoders below read each field on its own and never fail: a field of an
// unexpected shape becomes text (its raw JSON), and fields they do not know
// are kept raw in Extra, so one odd error can neither hide the others nor
// discard the results of the batch it came with.

// ErrorContext is the context of an error: names to lists of values, e.g.
// objectWriteTraceId or ids. A context sent in another shape is kept as
// well as it can be: a value that is not a list becomes a list of one, a
// non-string item its JSON text, and a context sent as a string is parsed
// from HubSpot's "{name=[a, b], other=c}" form (or kept whole under the
// key "" when it is not in that form).
type ErrorContext map[string][]string

// UnmarshalJSON decodes any JSON value as described on [ErrorContext]; it
// never fails.
func (c *ErrorContext) UnmarshalJSON(data []byte) error {
	*c = parseContext(data)
	return nil
}

func parseContext(data []byte) ErrorContext {
	data = bytes.TrimSpace(data)
	if len(data) == 0 || string(data) == "null" {
		return nil
	}
	var obj map[string]json.RawMessage
	if json.Unmarshal(data, &obj) == nil {
		out := make(ErrorContext, len(obj))
		for k, v := range obj {
			out[k] = textList(v)
		}
		return out
	}
	if s := rawText(data); s != "" {
		if m, ok := parseJavaMap(s); ok {
			return m
		}
		return ErrorContext{"": {s}}
	}
	return nil
}

// textList reads a JSON array as texts, any other value as a list of one.
func textList(v json.RawMessage) []string {
	var items []json.RawMessage
	if json.Unmarshal(v, &items) != nil {
		if s := rawText(v); s != "" {
			return []string{s}
		}
		return nil
	}
	out := make([]string, 0, len(items))
	for _, it := range items {
		out = append(out, rawText(it))
	}
	return out
}

// rawText is a JSON string's value, "" for null, and the compacted JSON
// text of any other value.
func rawText(v json.RawMessage) string {
	v = bytes.TrimSpace(v)
	if len(v) == 0 || string(v) == "null" {
		return ""
	}
	var s string
	if json.Unmarshal(v, &s) == nil {
		return s
	}
	var buf bytes.Buffer
	if json.Compact(&buf, v) == nil {
		return buf.String()
	}
	return string(v)
}

// parseJavaMap parses Java's Map.toString form, "{a=[x, y], b=z}", which
// HubSpot sends as the context of some errors.
func parseJavaMap(s string) (ErrorContext, bool) {
	s = strings.TrimSpace(s)
	if len(s) < 2 || s[0] != '{' || s[len(s)-1] != '}' {
		return nil, false
	}
	body := strings.TrimSpace(s[1 : len(s)-1])
	out := ErrorContext{}
	for body != "" {
		key, rest, ok := strings.Cut(body, "=")
		key = strings.TrimSpace(key)
		if !ok || key == "" || strings.ContainsAny(key, "[]{},") {
			return nil, false
		}
		rest = strings.TrimLeft(rest, " ")
		var val string
		if strings.HasPrefix(rest, "[") {
			end := strings.IndexByte(rest, ']')
			if end < 0 {
				return nil, false
			}
			val, rest = rest[1:end], rest[end+1:]
			var items []string
			for _, it := range strings.Split(val, ",") {
				if it = strings.TrimSpace(it); it != "" {
					items = append(items, it)
				}
			}
			out[key] = items
		} else {
			val, rest, _ = strings.Cut(rest, ",")
			out[key] = []string{strings.TrimSpace(val)}
			rest = "," + rest
		}
		rest = strings.TrimSpace(rest)
		if rest != "" && rest[0] != ',' {
			return nil, false
		}
		body = strings.TrimSpace(strings.TrimPrefix(rest, ","))
	}
	return out, true
}

// errorFields are the destinations of one error object's fields.
type errorFields struct {
	texts   map[string]*string
	sub     *SubCategory
	context *ErrorContext
	details *[]ErrorDetail
	links   *map[string]string
	extra   *map[string]json.RawMessage
}

// decode fills f from data, field by field. It reports false when data is
// not a JSON object (nothing is filled then).
func (f errorFields) decode(data []byte) bool {
	var obj map[string]json.RawMessage
	if json.Unmarshal(data, &obj) != nil || obj == nil {
		return false
	}
	for k, v := range obj {
		if p, ok := f.texts[k]; ok {
			*p = rawText(v)
			continue
		}
		switch {
		case k == "subCategory" && f.sub != nil:
			_ = f.sub.UnmarshalJSON(v)
		case k == "context" && f.context != nil:
			*f.context = parseContext(v)
		case k == "errors" && f.details != nil:
			*f.details = parseDetails(v)
		case k == "links" && f.links != nil:
			*f.links = parseLinks(v)
		case f.extra != nil:
			if *f.extra == nil {
				*f.extra = map[string]json.RawMessage{}
			}
			(*f.extra)[k] = append(json.RawMessage(nil), v...)
		}
	}
	return true
}

func parseDetails(v json.RawMessage) []ErrorDetail {
	var items []json.RawMessage
	if json.Unmarshal(v, &items) != nil {
		items = []json.RawMessage{v}
	}
	var out []ErrorDetail
	for _, it := range items {
		var d ErrorDetail
		_ = d.UnmarshalJSON(it)
		out = append(out, d)
	}
	return out
}

func parseLinks(v json.RawMessage) map[string]string {
	var obj map[string]json.RawMessage
	if json.Unmarshal(v, &obj) != nil {
		return nil
	}
	out := make(map[string]string, len(obj))
	for k, x := range obj {
		out[k] = rawText(x)
	}
	return out
}

// UnmarshalJSON decodes a batch error field by field (see the package's
// notes on error bodies); it never fails. A value that is not an object
// becomes the Message.
func (e *BatchError) UnmarshalJSON(data []byte) error {
	*e = BatchError{}
	ok := errorFields{
		texts:   map[string]*string{"status": &e.Status, "category": &e.Category, "message": &e.Message, "id": &e.ID},
		sub:     &e.SubCategory,
		context: &e.Context,
		details: &e.Errors,
		links:   &e.Links,
		extra:   &e.Extra,
	}.decode(data)
	if !ok {
		e.Message = rawText(data)
	}
	return nil
}

// UnmarshalJSON decodes an error detail field by field; it never fails.
func (d *ErrorDetail) UnmarshalJSON(data []byte) error {
	*d = ErrorDetail{}
	var sub SubCategory
	ok := errorFields{
		texts:   map[string]*string{"message": &d.Message, "in": &d.In, "code": &d.Code},
		sub:     &sub,
		context: &d.Context,
	}.decode(data)
	d.SubCategory = string(sub)
	if !ok {
		d.Message = rawText(data)
	}
	return nil
}

// decodeErrorResponse fills e's body fields from body, field by field.
func decodeErrorResponse(e *ErrorResponse, body []byte) {
	errorFields{
		texts: map[string]*string{
			"status": &e.Status, "message": &e.Message, "correlationId": &e.CorrelationID, "category": &e.Category,
			"errorType": &e.ErrorType, "policyName": &e.PolicyName, "groupName": &e.GroupName, "requestId": &e.RequestID,
		},
		sub:     &e.SubCategory,
		context: &e.Context,
		details: &e.Errors,
		links:   &e.Links,
		extra:   &e.Extra,
	}.decode(body)
}
