package hubspottest_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/cardbridge/sansanhubspot/hubspot/hubspottest"
)

const benchContacts = 100_000

// cpuMeter reports process CPU time per operation ("cpu-ns/op"), which
// stays meaningful on a loaded machine where wall time does not.
type cpuMeter struct{ start time.Duration }

func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func startCPU() cpuMeter { return cpuMeter{start: cpuTime()} }

func (m cpuMeter) report(b *testing.B) {
	if b.N > 0 {
		b.ReportMetric(float64(cpuTime()-m.start)/float64(b.N), "cpu-ns/op")
	}
}

// seeded returns a fake holding n contacts.
func seeded(b *testing.B, n int) *hubspottest.Fake {
	b.Helper()
	f := hubspottest.New()
	for i := range n {
		mustCreate(b, f, map[string]string{
			"email": fmt.Sprintf("user%d@example.com", i), "firstname": "F" + strconv.Itoa(i), "lastname": "L", "company": "Acme",
		})
	}
	return f
}

// serve runs one in-process request against f and checks the status.
func serve(b *testing.B, f *hubspottest.Fake, method, path string, body []byte, want int) *httptest.ResponseRecorder {
	req := httptest.NewRequestWithContext(b.Context(), method, path, bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+hubspottest.DefaultToken)
	rec := httptest.NewRecorder()
	f.ServeHTTP(rec, req)
	if rec.Code != want {
		b.Fatalf("status %d, want %d: %s", rec.Code, want, rec.Body.Bytes())
	}
	return rec
}

// BenchmarkBatchUpsert100 upserts 100 existing contacts by email per
// operation against a store of 100,000.
func BenchmarkBatchUpsert100(b *testing.B) {
	f := seeded(b, benchContacts)
	bodies := make([][]byte, 2)
	for v := range bodies {
		var in batch
		for i := range 100 {
			in.Inputs = append(in.Inputs, input{ID: fmt.Sprintf("USER%d@example.com", i*997), IDProperty: "email",
				Properties: map[string]string{"jobtitle": fmt.Sprintf("title-%d", v)}, ObjectWriteTraceID: strconv.Itoa(i)})
		}
		bodies[v], _ = json.Marshal(in)
	}
	b.ReportAllocs()
	i := 0
	m := startCPU()
	for b.Loop() {
		serve(b, f, http.MethodPost, "/crm/v3/objects/contacts/batch/upsert", bodies[i%2], http.StatusOK)
		i++
	}
	m.report(b)
}

// BenchmarkSearchPage100k measures one 200-result search page over 100,000
// contacts: "walk" changes the hs_object_id tie-breaker every call (no cache
// reuse), "paged" follows after offsets of one query (cached matches), and
// "sortedByModified" sorts all matches by lastmodifieddate.
func BenchmarkSearchPage100k(b *testing.B) {
	f := seeded(b, benchContacts)
	mk := func(req searchReq) []byte {
		body, _ := json.Marshal(req)
		return body
	}
	b.Run("walk", func(b *testing.B) {
		b.ReportAllocs()
		m := startCPU()
		defer m.report(b)
		last := 0
		for b.Loop() {
			body := mk(searchReq{Limit: 200, Sorts: []sortSpec{{"hs_object_id", "ASCENDING"}}, FilterGroups: []group{{Filters: []filter{
				{PropertyName: "lastmodifieddate", Operator: "GTE", Value: "0"},
				{PropertyName: "hs_object_id", Operator: "GT", Value: strconv.Itoa(last)},
			}}}})
			serve(b, f, http.MethodPost, "/crm/v3/objects/contacts/search", body, http.StatusOK)
			last = (last + 200) % (benchContacts - 200)
		}
	})
	b.Run("walk-from-start", func(b *testing.B) {
		b.ReportAllocs()
		m := startCPU()
		defer m.report(b)
		body := mk(searchReq{Limit: 200, FilterGroups: []group{{Filters: []filter{{PropertyName: "company", Operator: "EQ", Value: "acme"}}}}})
		for b.Loop() {
			// A write between searches invalidates the cache each time.
			if _, err := f.UpdateContact("1", map[string]string{"jobtitle": strconv.Itoa(b.N)}); err != nil {
				b.Fatal(err)
			}
			serve(b, f, http.MethodPost, "/crm/v3/objects/contacts/search", body, http.StatusOK)
		}
	})
	b.Run("paged", func(b *testing.B) {
		b.ReportAllocs()
		m := startCPU()
		defer m.report(b)
		after := 0
		for b.Loop() {
			body := mk(searchReq{Limit: 200, After: strconv.Itoa(after), FilterGroups: []group{{Filters: []filter{{PropertyName: "email", Operator: "HAS_PROPERTY"}}}}})
			serve(b, f, http.MethodPost, "/crm/v3/objects/contacts/search", body, http.StatusOK)
			after = (after + 200) % 9800
		}
	})
	b.Run("sortedByModified", func(b *testing.B) {
		b.ReportAllocs()
		m := startCPU()
		defer m.report(b)
		n := 0
		for b.Loop() {
			n++
			body := mk(searchReq{Limit: 200, Sorts: []sortSpec{{"lastmodifieddate", "DESCENDING"}}, FilterGroups: []group{{Filters: []filter{
				{PropertyName: "lastmodifieddate", Operator: "GTE", Value: strconv.Itoa(n)},
			}}}})
			serve(b, f, http.MethodPost, "/crm/v3/objects/contacts/search", body, http.StatusOK)
		}
	})
}
