package apiclient_test

import (
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/jarcoal/httpmock"

	"github.com/cardbridge/sansanhubspot/internal/apiclient"
)

func BenchmarkPath(b *testing.B) {
	for b.Loop() {
		if _, err := apiclient.Path("bizCards/%s/tags/%s", "名刺 a/b", "x?y"); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkBackoff(b *testing.B) {
	p := apiclient.RetryPolicy{MaxAttempts: 5, Initial: 500 * time.Millisecond, Max: 5 * time.Second}
	for b.Loop() {
		_ = p.Backoff(4)
	}
}

// BenchmarkDo measures the per-call overhead of request building, auth,
// JSON encoding and decoding against an in-memory transport.
func BenchmarkDo(b *testing.B) {
	c, mt := newMockClient(b, apiclient.Config{UserAgent: "bench"})
	mt.RegisterResponder("POST", testBase+"notes", httpmock.NewStringResponder(200, `{"name":"n","tags":["a","b"],"extra":{"x":1}}`))
	call := apiclient.Call{Method: http.MethodPost, Path: "notes", Query: url.Values{"limit": {"10"}}, Body: note{Name: "n", Tags: []string{"a"}}}
	b.ReportAllocs()
	for b.Loop() {
		var out note
		call.Out = &out
		if _, err := c.Do(b.Context(), call); err != nil {
			b.Fatal(err)
		}
	}
}
