package hubspot_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/cardbridge/sansanhubspot/hubspot"
)

func TestParsePropertyErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		message string
		want    []hubspot.PropertyError
		wantOK  bool
	}{
		{
			name:    "invalid email",
			message: `Property values were not valid: [{"isValid":false,"message":"Email address example.lcom is invalid","error":"INVALID_EMAIL","name":"email"}]`,
			want:    []hubspot.PropertyError{{Name: "email", Code: "INVALID_EMAIL", Message: "Email address example.lcom is invalid"}},
			wantOK:  true,
		},
		{
			name:    "trailing text after the array",
			message: `Property values were not valid: [{"isValid":false,"message":"Property \"x\" does not exist","error":"PROPERTY_DOESNT_EXIST","name":"x"}] (see docs)`,
			want:    []hubspot.PropertyError{{Name: "x", Code: "PROPERTY_DOESNT_EXIST", Message: `Property "x" does not exist`}},
			wantOK:  true,
		},
		{name: "no prefix", message: "Contact already exists. Existing ID: 1"},
		{name: "broken json", message: `Property values were not valid: [{"isValid":`},
		{name: "empty array", message: `Property values were not valid: []`},
		{name: "not an array", message: `Property values were not valid: oops`},
	}
	for _, tt := range tests {
		got, ok := hubspot.ParsePropertyErrors(tt.message)
		if ok != tt.wantOK {
			t.Errorf("%s: ok = %v", tt.name, ok)
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tt.name, diff)
		}
	}
}

func TestParseExistingID(t *testing.T) {
	t.Parallel()
	tests := []struct {
		message, want string
		ok            bool
	}{
		{"Contact already exists. Existing ID: 37765128953", "37765128953", true},
		{"Existing ID:12", "12", true},
		{"Contact already exists.", "", false},
		{"Existing ID: abc", "", false},
	}
	for _, tt := range tests {
		got, ok := hubspot.ParseExistingID(tt.message)
		if got != tt.want || ok != tt.ok {
			t.Errorf("parseExistingID(%q) = %q, %v", tt.message, got, ok)
		}
	}
}

func TestErrorResponseSentinels(t *testing.T) {
	t.Parallel()
	tests := []struct {
		status   int
		category string
		policy   string
		is       []error
		isNot    []error
	}{
		{status: 401, is: []error{hubspot.ErrUnauthorized}, isNot: []error{hubspot.ErrNotFound}},
		{status: 403, category: "MISSING_SCOPES", is: []error{hubspot.ErrForbidden}},
		{status: 404, is: []error{hubspot.ErrNotFound}},
		{status: 409, is: []error{hubspot.ErrConflict}},
		{status: 400, category: "VALIDATION_ERROR", is: []error{hubspot.ErrBadRequest, hubspot.ErrValidation}},
		{status: 400, category: "INVALID_PARAMS", is: []error{hubspot.ErrBadRequest}, isNot: []error{hubspot.ErrValidation}},
		{status: 423, is: []error{hubspot.ErrLocked}},
		{status: 429, policy: "DAILY", is: []error{hubspot.ErrRateLimited, hubspot.ErrDailyLimit}},
		{status: 429, policy: "SECONDLY", is: []error{hubspot.ErrRateLimited}, isNot: []error{hubspot.ErrDailyLimit}},
		{status: 503, is: []error{hubspot.ErrServer}, isNot: []error{hubspot.ErrRateLimited}},
	}
	for _, tt := range tests {
		e := &hubspot.ErrorResponse{Method: "GET", URL: "https://x/y", StatusCode: tt.status, Category: tt.category, PolicyName: tt.policy, Message: "m"}
		for _, s := range tt.is {
			if !errors.Is(e, s) {
				t.Errorf("%d %s %s: not %v", tt.status, tt.category, tt.policy, s)
			}
		}
		for _, s := range tt.isNot {
			if errors.Is(e, s) {
				t.Errorf("%d %s %s: unexpectedly %v", tt.status, tt.category, tt.policy, s)
			}
		}
		if s := e.Error(); !strings.HasPrefix(s, "hubspot: GET https://x/y: ") || strings.HasSuffix(s, ".") {
			t.Errorf("Error() = %q", s)
		}
	}
}

func FuzzParsePropertyErrors(f *testing.F) {
	f.Add(`Property values were not valid: [{"isValid":false,"message":"Email address example.lcom is invalid","error":"INVALID_EMAIL","name":"email"}]`)
	f.Add(`Property values were not valid: [{"name":1}]`)
	f.Add(`Contact already exists. Existing ID: 37765128953`)
	f.Add(`Property values were not valid: [`)
	f.Fuzz(func(t *testing.T, message string) {
		errs, ok := hubspot.ParsePropertyErrors(message)
		if ok != (len(errs) > 0) {
			t.Fatalf("ok = %v with %d errors", ok, len(errs))
		}
		if ok && !strings.Contains(message, "Property values were not valid: ") {
			t.Fatalf("parsed errors from %q", message)
		}
		if id, ok := hubspot.ParseExistingID(message); ok {
			if id == "" || strings.Trim(id, "0123456789") != "" || !strings.Contains(message, id) {
				t.Fatalf("parseExistingID(%q) = %q", message, id)
			}
		}
	})
}

func TestBatchErrorDecoding(t *testing.T) {
	t.Parallel()
	tests := []struct {
		raw  string
		want hubspot.SubCategory
	}{
		{`{"message":"m","subCategory":"SOME_SUB"}`, "SOME_SUB"},
		{`{"message":"m","subCategory":{"a":1}}`, `{"a":1}`},
		{`{"message":"m","subCategory":null}`, ""},
	}
	for _, tt := range tests {
		var e hubspot.BatchError
		if err := json.Unmarshal([]byte(tt.raw), &e); err != nil {
			t.Fatal(err)
		}
		if e.SubCategory != tt.want {
			t.Errorf("%s: SubCategory = %q", tt.raw, e.SubCategory)
		}
	}
	pe := hubspot.PropertyError{Name: "email", Code: "INVALID_EMAIL", Message: "bad"}
	if got := pe.Error(); got != `property "email": INVALID_EMAIL: bad` {
		t.Errorf("PropertyError.Error() = %q", got)
	}
}
