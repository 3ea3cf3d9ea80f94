package hubspottest_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/cardbridge/sansanhubspot/hubspot/hubspottest"
)

func TestConcurrentUse(t *testing.T) {
	t.Parallel()
	f := hubspottest.New()
	const workers, rounds = 6, 10
	var wg sync.WaitGroup
	errc := make(chan error, workers*rounds*3)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for r := range rounds {
				var in batch
				for i := range 20 {
					// Workers overlap on emails, so upserts race on the same records.
					in.Inputs = append(in.Inputs, input{ID: fmt.Sprintf("c%d@example.com", (w*7+r*20+i)%200), IDProperty: "email",
						Properties: map[string]string{"jobtitle": fmt.Sprint(w)}, ObjectWriteTraceID: fmt.Sprint(i)})
				}
				body, _ := json.Marshal(in)
				for _, rq := range []struct {
					path string
					body []byte
				}{
					{"/crm/v3/objects/contacts/batch/upsert", body},
					{"/crm/v3/objects/contacts/search", []byte(`{"limit":50,"sorts":[{"propertyName":"lastmodifieddate","direction":"DESCENDING"}]}`)},
				} {
					req := httptest.NewRequestWithContext(t.Context(), http.MethodPost, rq.path, bytes.NewReader(rq.body))
					req.Header.Set("Authorization", "Bearer "+hubspottest.DefaultToken)
					rec := httptest.NewRecorder()
					f.ServeHTTP(rec, req)
					if rec.Code != http.StatusOK {
						errc <- fmt.Errorf("%s: %d %s", rq.path, rec.Code, rec.Body.Bytes())
					}
				}
				if c, ok := f.ContactByEmail(fmt.Sprintf("c%d@example.com", w)); ok {
					if _, err := f.UpdateContact(c.ID, map[string]string{"city": fmt.Sprint(r)}); err != nil {
						errc <- err
					}
				}
			}
		}()
	}
	wg.Wait()
	close(errc)
	for err := range errc {
		t.Error(err)
	}
	seen := map[string]bool{}
	for _, c := range f.Contacts() {
		if seen[c.Properties["email"]] {
			t.Errorf("duplicate contact for %s", c.Properties["email"])
		}
		seen[c.Properties["email"]] = true
	}
	if n := f.TotalRequests(); n != workers*rounds*2 {
		t.Errorf("total requests = %d", n)
	}
}

func TestHelperErrors(t *testing.T) {
	t.Parallel()
	f := hubspottest.New()
	c := mustCreate(t, f, map[string]string{"email": "h@example.com"})
	tests := []struct {
		name string
		err  error
		want error
	}{
		{"update unknown", second(f.UpdateContact("999", map[string]string{"firstname": "x"})), hubspottest.ErrNotFound},
		{"archive unknown", f.ArchiveContact("999"), hubspottest.ErrNotFound},
		{"modified unknown", f.SetContactsModifiedAt([]string{c.ID, "999"}, c.CreatedAt), hubspottest.ErrNotFound},
		{"duplicate", second(f.CreateContact(map[string]string{"email": "H@example.com"})), hubspottest.ErrConflict},
		{"merge unknown", second(f.MergeContacts(c.ID, "999")), hubspottest.ErrNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if tt.err == nil {
				t.Fatal("no error")
			}
			if tt.want != nil && !errors.Is(tt.err, tt.want) {
				t.Errorf("error %v is not %v", tt.err, tt.want)
			}
		})
	}
	if _, err := f.CreateContact(map[string]string{"nope": "x"}); err == nil || err.Error() == "" {
		t.Errorf("undefined property error = %v", err)
	}
}

func second[T any](_ T, err error) error { return err }
