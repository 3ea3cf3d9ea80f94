package apiclient_test

import (
	"context"
	"errors"
	"net/http"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/jarcoal/httpmock"

	"github.com/cardbridge/sansanhubspot/internal/apiclient"
)

func TestContextWithSendCheck(t *testing.T) {
	t.Parallel()
	refuse := errors.New("refused")
	tests := []struct {
		name     string
		results  []error // what the checks return, outer first
		wantSent int
		wantErr  error
		wantRan  []string
	}{
		{name: "no check", wantSent: 1},
		{name: "passing check", results: []error{nil}, wantSent: 1, wantRan: []string{"0 POST /v1/things"}},
		{name: "refusing check sends nothing", results: []error{refuse}, wantErr: refuse, wantRan: []string{"0 POST /v1/things"}},
		{name: "checks run outer first", results: []error{nil, nil}, wantSent: 1, wantRan: []string{"0 POST /v1/things", "1 POST /v1/things"}},
		{name: "outer refusal stops inner", results: []error{refuse, nil}, wantErr: refuse, wantRan: []string{"0 POST /v1/things"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, mt := newMockClient(t, apiclient.Config{})
			sent := 0
			mt.RegisterResponder("POST", "https://api.example.test/v1/things", func(*http.Request) (*http.Response, error) {
				sent++
				return httpmock.NewStringResponse(200, `{}`), nil
			})
			var ran []string
			ctx := t.Context()
			for i, res := range tt.results {
				ctx = apiclient.ContextWithSendCheck(ctx, func(_ context.Context, method, path string) error {
					ran = append(ran, string(rune('0'+i))+" "+method+" "+path)
					return res
				})
			}
			_, err := c.Do(ctx, apiclient.Call{Method: http.MethodPost, Path: "things", Body: map[string]int{}})
			if !errors.Is(err, tt.wantErr) || (tt.wantErr == nil && err != nil) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			if sent != tt.wantSent {
				t.Errorf("sent %d requests, want %d", sent, tt.wantSent)
			}
			if diff := cmp.Diff(tt.wantRan, ran); diff != "" {
				t.Errorf("checks run (-want +got):\n%s", diff)
			}
		})
	}
}
