package hubspottest_test

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/cardbridge/sansanhubspot/hubspot/hubspottest"
)

// FuzzSearchRequest feeds arbitrary bodies to the search endpoint: the fake
// must answer 200 or 400 with a JSON body, never panic.
func FuzzSearchRequest(f *testing.F) {
	for _, seed := range []string{
		`{}`,
		`{"filterGroups":[{"filters":[{"propertyName":"email","operator":"EQ","value":"a@b.com"}]}],"sorts":[{"propertyName":"createdate","direction":"DESCENDING"}],"limit":200,"after":"9900"}`,
		`{"filterGroups":[{"filters":[{"propertyName":"createdate","operator":"BETWEEN","value":"0","highValue":"2026-01-01T00:00:00Z"}]}]}`,
		`{"filterGroups":[{"filters":[{"propertyName":"hs_object_id","operator":"IN","values":["1","x"]}]}]}`,
		`{"query":"ann","sorts":["createdate"]}`,
		`{"filterGroups":[{"filters":[{"propertyName":"email","operator":"CONTAINS_TOKEN","value":"*[@"}]}]}`,
	} {
		f.Add([]byte(seed))
	}
	fake := hubspottest.New()
	for _, p := range []map[string]string{{"email": "ann@example.com", "firstname": "Ann"}, {"lastname": "Lee", "lifecyclestage": "lead"}} {
		if _, err := fake.CreateContact(p); err != nil {
			f.Fatal(err)
		}
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		req := httptest.NewRequest(http.MethodPost, "/crm/v3/objects/contacts/search", bytes.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+hubspottest.DefaultToken)
		rec := httptest.NewRecorder()
		fake.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK && rec.Code != http.StatusBadRequest {
			t.Fatalf("status %d for %q: %s", rec.Code, body, rec.Body.Bytes())
		}
		if !bytes.HasPrefix(rec.Body.Bytes(), []byte("{")) {
			t.Fatalf("non-JSON body %q", rec.Body.Bytes())
		}
	})
}
