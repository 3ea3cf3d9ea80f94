package sansantest_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"

	"github.com/cardbridge/sansanhubspot/sansan/sansantest"
)

// BenchmarkListBizCards pages through a 100,000-card tenant at 300 cards per
// page (GET /bizCards, range=all, every card returned), calling the handler
// in-process so the figure is the fake's own cost (JSON encoding included).
func BenchmarkListBizCards(b *testing.B) {
	f := sansantest.New()
	f.Seed(sansantest.GenerateOptions{Seed: 1, Cards: 100_000})
	admin := sansantest.DefaultUsers()[0]
	base := url.Values{}
	base.Set("updatedFrom", "2000-01-01T00:00:00+09:00")
	base.Set("updatedTo", "2030-01-01T00:00:00+09:00")
	base.Set("range", "all")
	base.Set("includePastBizCards", "true")
	base.Add("entryStatus", "completed")
	base.Add("entryStatus", "processing")
	base.Add("entryStatus", "unreadable")
	base.Set("limit", "300")

	cards, pages := 0, 0
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		q := base.Encode()
		for {
			req := httptest.NewRequest(http.MethodGet, "/v3.2/bizCards?"+q, nil)
			req.Header.Set("X-Sansan-Api-Key", admin.APIKey)
			rec := httptest.NewRecorder()
			f.ServeHTTP(rec, req)
			if rec.Code != http.StatusOK {
				b.Fatalf("status %d: %s", rec.Code, rec.Body.String())
			}
			// Decode only the envelope's tail: the figure is the fake's cost,
			// not the client's JSON decoding.
			body := rec.Body.Bytes()
			cards += bytes.Count(body, []byte(`"registeredTime":`))
			pages++
			tok, more := nextToken(body)
			if !more {
				break
			}
			v := url.Values{}
			for k, vs := range base {
				v[k] = vs
			}
			v.Set("nextPageToken", tok)
			q = v.Encode()
		}
	}
	b.StopTimer()
	if cards != 100_000*(cards/100_000) || cards == 0 {
		b.Fatalf("served %d cards, want a multiple of 100000", cards)
	}
	sec := b.Elapsed().Seconds()
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(cards), "ns/card")
	b.ReportMetric(float64(pages)/sec, "pages/s")
}

// BenchmarkSeed measures generating and loading a 100,000-card tenant.
func BenchmarkSeed(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		f := sansantest.New()
		f.Seed(sansantest.GenerateOptions{Seed: 1, Cards: 100_000})
	}
}

// nextToken extracts hasMore and nextPageToken from the end of a list body.
func nextToken(body []byte) (string, bool) {
	i := bytes.LastIndex(body, []byte(`"hasMore":`))
	if i < 0 {
		return "", false
	}
	var tail struct {
		HasMore       bool   `json:"hasMore"`
		NextPageToken string `json:"nextPageToken"`
	}
	if err := json.Unmarshal(append([]byte("{"), body[i:]...), &tail); err != nil {
		return "", false
	}
	return tail.NextPageToken, tail.HasMore
}
