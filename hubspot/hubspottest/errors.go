package hubspottest

import (
	"crypto/rand"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
)

// apiError is an error answer in HubSpot's JSON shape (hubspot-api.md §7.1).
type apiError struct {
	Status        string              `json:"status"`
	Message       string              `json:"message"`
	CorrelationID string              `json:"correlationId"`
	Category      string              `json:"category"`
	SubCategory   string              `json:"subCategory,omitempty"`
	Context       map[string][]string `json:"context,omitempty"`
	Errors        []errorDetail       `json:"errors,omitempty"`
	Links         map[string]string   `json:"links,omitempty"`

	code int // HTTP status; not serialized
}

// errorDetail is one entry of an error's errors array.
type errorDetail struct {
	Message     string              `json:"message"`
	In          string              `json:"in,omitempty"`
	Code        string              `json:"code,omitempty"`
	SubCategory string              `json:"subCategory,omitempty"`
	Context     map[string][]string `json:"context,omitempty"`
}

// standardError is an entry of a batch response's errors array (StandardError).
type standardError struct {
	Status      string              `json:"status"`
	Category    string              `json:"category"`
	Message     string              `json:"message"`
	Context     map[string][]string `json:"context"`
	Errors      []errorDetail       `json:"errors"`
	Links       map[string]string   `json:"links"`
	SubCategory map[string]any      `json:"subCategory,omitempty"`
}

// rateLimitError is the body of a 429 (hubspot-api.md §6.3).
type rateLimitError struct {
	Status        string `json:"status"`
	Message       string `json:"message"`
	ErrorType     string `json:"errorType"`
	CorrelationID string `json:"correlationId"`
	PolicyName    string `json:"policyName"`
	RequestID     string `json:"requestId"`
}

// propertyError is one element of the JSON array embedded in a
// "Property values were not valid: [...]" message.
type propertyError struct {
	IsValid bool   `json:"isValid"`
	Message string `json:"message"`
	Error   string `json:"error"`
	Name    string `json:"name"`
}

// Error categories used by the fake.
const (
	catValidation = "VALIDATION_ERROR"
	catConflict   = "CONFLICT"
	catNotFound   = "OBJECT_NOT_FOUND"
	catInvalidAu  = "INVALID_AUTHENTICATION"
	catExists     = "OBJECT_ALREADY_EXISTS"
)

// Error implements error for helper failures.
func (e *apiError) Error() string {
	if e.Message == "" {
		return "hubspottest: " + strings.ToLower(e.Category)
	}
	return "hubspottest: " + strings.ToLower(e.Message[:1]) + e.Message[1:]
}

func newError(code int, category, format string, args ...any) *apiError {
	return &apiError{Status: "error", Message: fmt.Sprintf(format, args...), Category: category, code: code}
}

func validationError(format string, args ...any) *apiError {
	return newError(http.StatusBadRequest, catValidation, format, args...)
}

func notFoundError() *apiError {
	return newError(http.StatusNotFound, catNotFound, "resource not found")
}

func conflictError(existingID int64) *apiError {
	return newError(http.StatusConflict, catConflict, "Contact already exists. Existing ID: %d", existingID)
}

// invalidPropsError builds the 400 whose message embeds the per-property
// details as a JSON array (hubspot-api.md §7.3).
func invalidPropsError(details []propertyError) *apiError {
	b, _ := json.Marshal(details)
	e := validationError("Property values were not valid: %s", b)
	return e
}

// toStandard converts an error answer into a batch StandardError entry.
func (e *apiError) toStandard(ctx map[string][]string) standardError {
	if ctx == nil {
		ctx = map[string][]string{}
	}
	for k, v := range e.Context {
		ctx[k] = v
	}
	return standardError{
		Status:   "error",
		Category: e.Category,
		Message:  e.Message,
		Context:  ctx,
		Errors:   []errorDetail{},
		Links:    map[string]string{},
	}
}

// newCorrelationID returns a random version 4 UUID.
func newCorrelationID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// writeJSON writes v as the JSON body with the given status.
func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json;charset=utf-8")
	w.WriteHeader(code)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
}

// writeError writes e with a fresh correlation id.
func writeError(w http.ResponseWriter, e *apiError) {
	e.CorrelationID = w.Header().Get(headerCorrelationID)
	if e.CorrelationID == "" {
		e.CorrelationID = newCorrelationID()
	}
	writeJSON(w, e.code, e)
}

// categoryForStatus picks a plausible category for injected failures.
func categoryForStatus(code int) string {
	switch {
	case code == http.StatusBadRequest:
		return catValidation
	case code == http.StatusUnauthorized:
		return catInvalidAu
	case code == http.StatusForbidden:
		return "MISSING_SCOPES"
	case code == http.StatusNotFound:
		return catNotFound
	case code == http.StatusConflict:
		return catConflict
	case code == http.StatusLocked:
		return "LOCKED"
	case code >= 500:
		return "INTERNAL_ERROR"
	default:
		return strings.ToUpper(strings.ReplaceAll(http.StatusText(code), " ", "_"))
	}
}
