package hubspot

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strings"
)

// Sentinel errors matched with errors.Is against errors returned by this
// package. An [*ErrorResponse] matches the sentinel of its status code (and,
// for 400, of its category); a [*BatchError] matches the sentinel of its
// category.
var (
	// ErrUnauthorized matches 401 responses (invalid or expired token).
	ErrUnauthorized = errors.New("hubspot: unauthorized")
	// ErrForbidden matches 403 responses (e.g. MISSING_SCOPES).
	ErrForbidden = errors.New("hubspot: forbidden")
	// ErrNotFound matches 404 responses and OBJECT_NOT_FOUND batch errors.
	ErrNotFound = errors.New("hubspot: not found")
	// ErrConflict matches 409 responses and CONFLICT batch errors.
	ErrConflict = errors.New("hubspot: conflict")
	// ErrRateLimited matches every 429 response, including daily ones.
	ErrRateLimited = errors.New("hubspot: rate limited")
	// ErrDailyLimit matches a 429 whose policy is DAILY: the account's
	// daily allowance is spent and retrying before it resets (midnight in
	// the account's time zone) is pointless.
	ErrDailyLimit = errors.New("hubspot: daily api limit reached")
	// ErrBadRequest matches 400 responses.
	ErrBadRequest = errors.New("hubspot: bad request")
	// ErrValidation matches VALIDATION_ERROR responses and batch errors,
	// and any error carrying per-property errors.
	ErrValidation = errors.New("hubspot: validation error")
	// ErrLocked matches 423 responses that outlasted the retries.
	ErrLocked = errors.New("hubspot: locked")
	// ErrServer matches 5xx responses.
	ErrServer = errors.New("hubspot: server error")
	// ErrMissingResult matches a [BatchError] the client synthesized for an
	// input HubSpot returned neither a result nor an error for.
	ErrMissingResult = errors.New("hubspot: no result for batch input")
	// ErrBatchTooLarge reports more than [MaxBatchSize] batch inputs.
	ErrBatchTooLarge = errors.New("hubspot: too many batch inputs")
	// ErrInvalidInput reports a request the client refused to send.
	ErrInvalidInput = errors.New("hubspot: invalid input")
	// ErrSearchCapReached reports that a search iterator hit HubSpot's
	// 10,000-result window with a sort it cannot narrow by.
	ErrSearchCapReached = errors.New("hubspot: search result window exhausted")
)

// Error categories HubSpot sends, plus CategoryMissingResult for inputs
// HubSpot silently dropped from a batch response.
const (
	CategoryValidation     = "VALIDATION_ERROR"
	CategoryObjectNotFound = "OBJECT_NOT_FOUND"
	CategoryConflict       = "CONFLICT"
	CategoryRateLimits     = "RATE_LIMITS"
	CategoryMissingScopes  = "MISSING_SCOPES"
	CategoryExpiredAuth    = "EXPIRED_AUTHENTICATION"
	CategoryInvalidAuth    = "INVALID_AUTHENTICATION"
	CategoryMissingResult  = "MISSING_RESULT"
)

// Rate-limit policy names HubSpot sends in 429 bodies.
const (
	PolicyDaily              = "DAILY"
	PolicyTenSecondlyRolling = "TEN_SECONDLY_ROLLING"
	PolicySecondly           = "SECONDLY"
)

// ErrorResponse is a non-2xx response from HubSpot. Every body field is
// optional; Body keeps the raw (capped) body when it does not decode.
//
// ErrorResponse matches, through errors.Is, [ErrUnauthorized] (401),
// [ErrForbidden] (403), [ErrNotFound] (404), [ErrConflict] (409),
// [ErrBadRequest] (400), [ErrLocked] (423), [ErrRateLimited] (429),
// [ErrDailyLimit] (429 with policy DAILY), [ErrServer] (5xx) and
// [ErrValidation] (category VALIDATION_ERROR or parsed property errors).
type ErrorResponse struct {
	// Method and URL identify the request; URL never carries credentials.
	Method, URL string
	// StatusCode is the HTTP status.
	StatusCode int
	// Header holds the response headers.
	Header http.Header `json:"-"`

	Status        string            `json:"status,omitempty"`
	Message       string            `json:"message,omitempty"`
	CorrelationID string            `json:"correlationId,omitempty"`
	Category      string            `json:"category,omitempty"`
	SubCategory   SubCategory       `json:"subCategory,omitempty"`
	Context       ErrorContext      `json:"context,omitempty"`
	Errors        []ErrorDetail     `json:"errors,omitempty"`
	Links         map[string]string `json:"links,omitempty"`
	// Extra keeps the raw JSON of body fields this package does not know.
	Extra map[string]json.RawMessage `json:"-"`

	// ErrorType, PolicyName, GroupName and RequestID come with 429s.
	ErrorType  string `json:"errorType,omitempty"`
	PolicyName string `json:"policyName,omitempty"`
	GroupName  string `json:"groupName,omitempty"`
	RequestID  string `json:"requestId,omitempty"`

	// PropertyErrors holds the per-property errors parsed from a
	// "Property values were not valid: [...]" message.
	PropertyErrors []PropertyError `json:"-"`
	// Body is the raw response body, capped.
	Body []byte `json:"-"`
}

// Error implements error. It names the method, URL, status, category and
// message, never credentials.
func (e *ErrorResponse) Error() string {
	var b strings.Builder
	b.WriteString("hubspot: ")
	fmt.Fprintf(&b, "%s %s: %d", e.Method, e.URL, e.StatusCode)
	if e.Category != "" {
		b.WriteString(" " + e.Category)
	}
	if e.PolicyName != "" {
		b.WriteString(" (policy " + e.PolicyName + ")")
	}
	if e.Message != "" {
		b.WriteString(": " + e.Message)
	}
	return b.String()
}

// Unwrap returns the sentinels e matches.
func (e *ErrorResponse) Unwrap() []error {
	var errs []error
	switch s := e.StatusCode; {
	case s == http.StatusUnauthorized:
		errs = append(errs, ErrUnauthorized)
	case s == http.StatusForbidden:
		errs = append(errs, ErrForbidden)
	case s == http.StatusNotFound:
		errs = append(errs, ErrNotFound)
	case s == http.StatusConflict:
		errs = append(errs, ErrConflict)
	case s == http.StatusBadRequest:
		errs = append(errs, ErrBadRequest)
	case s == http.StatusLocked:
		errs = append(errs, ErrLocked)
	case s == http.StatusTooManyRequests:
		errs = append(errs, ErrRateLimited)
		if e.IsDailyLimit() {
			errs = append(errs, ErrDailyLimit)
		}
	case s >= 500:
		errs = append(errs, ErrServer)
	}
	if e.Category == CategoryValidation || len(e.PropertyErrors) > 0 {
		errs = append(errs, ErrValidation)
	}
	return errs
}

// IsDailyLimit reports whether e is a 429 for the DAILY policy.
func (e *ErrorResponse) IsDailyLimit() bool {
	return e.StatusCode == http.StatusTooManyRequests &&
		(strings.EqualFold(e.PolicyName, PolicyDaily) ||
			e.PolicyName == "" && strings.Contains(strings.ToLower(e.Message), "daily limit"))
}

// ConflictError is a 409 response whose message names the existing record
// ("Contact already exists. Existing ID: 123"), so callers can fall back to
// an update. It wraps the [*ErrorResponse].
type ConflictError struct {
	// ExistingID is the ID of the contact that already exists.
	ExistingID string
	// Response is the underlying error response.
	Response *ErrorResponse
}

// Error implements error.
func (e *ConflictError) Error() string {
	return fmt.Sprintf("%v (existing id %s)", e.Response, e.ExistingID)
}

// Unwrap returns the underlying *ErrorResponse.
func (e *ConflictError) Unwrap() error { return e.Response }

// Error implements error.
func (e *BatchError) Error() string {
	var b strings.Builder
	b.WriteString("hubspot: batch input")
	if e.Category != "" {
		b.WriteString(" " + e.Category)
	}
	if e.Message != "" {
		b.WriteString(": " + e.Message)
	}
	return b.String()
}

// Is matches the sentinel of e's category.
func (e *BatchError) Is(target error) bool {
	switch target {
	case ErrNotFound:
		return e.Category == CategoryObjectNotFound
	case ErrConflict:
		return e.Category == CategoryConflict
	case ErrValidation:
		return e.Category == CategoryValidation || len(e.PropertyErrors) > 0
	case ErrMissingResult:
		return e.Category == CategoryMissingResult
	}
	return false
}

// parse fills the fields derived from the message.
func (e *BatchError) parse() {
	e.PropertyErrors, _ = parsePropertyErrors(e.Message)
	e.ExistingID, _ = parseExistingID(e.Message)
}

const invalidPropertiesPrefix = "Property values were not valid: "

// parsePropertyErrors extracts the per-property errors HubSpot embeds as a
// JSON array in messages such as
//
//	Property values were not valid: [{"isValid":false,"message":"Email address x is invalid","error":"INVALID_EMAIL","name":"email"}]
//
// It reports false when message carries no such array or it does not decode.
func parsePropertyErrors(message string) ([]PropertyError, bool) {
	i := strings.Index(message, invalidPropertiesPrefix)
	if i < 0 {
		return nil, false
	}
	rest := strings.TrimSpace(message[i+len(invalidPropertiesPrefix):])
	if !strings.HasPrefix(rest, "[") {
		return nil, false
	}
	dec := json.NewDecoder(strings.NewReader(rest))
	var errs []PropertyError
	if err := dec.Decode(&errs); err != nil || len(errs) == 0 {
		return nil, false
	}
	return errs, true
}

var existingIDRe = regexp.MustCompile(`Existing ID: ?(\d+)`)

// parseExistingID extracts N from a conflict message containing
// "Existing ID: N", reporting false when there is none.
func parseExistingID(message string) (string, bool) {
	m := existingIDRe.FindStringSubmatch(message)
	if m == nil {
		return "", false
	}
	return m[1], true
}

// newErrorResponse decodes a non-2xx response body leniently.
func newErrorResponse(method, url string, resp *http.Response, body []byte) *ErrorResponse {
	e := &ErrorResponse{}
	// Field by field, so one field of an odd shape loses nothing else; a
	// body that is not a JSON object (an HTML page from a proxy) leaves the
	// fields empty, and Body still holds it.
	decodeErrorResponse(e, body)
	e.Method, e.URL = method, url
	e.StatusCode = resp.StatusCode
	e.Header = resp.Header.Clone()
	e.Body = body
	if e.CorrelationID == "" {
		e.CorrelationID = resp.Header.Get("X-HubSpot-Correlation-Id")
	}
	e.PropertyErrors, _ = parsePropertyErrors(e.Message)
	return e
}
