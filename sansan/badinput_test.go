package sansan_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/cardbridge/sansanhubspot/sansan"
	"golang.org/x/time/rate"
)

// badServer answers every request with status and body.
func badServer(t *testing.T, status int, contentType, body string) *sansan.Client {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if contentType != "" {
			w.Header().Set("Content-Type", contentType)
		}
		w.WriteHeader(status)
		_, _ = w.Write([]byte(body))
	}))
	t.Cleanup(srv.Close)
	c, err := sansan.NewClient(strings.Repeat("k", 32), sansan.WithBaseURL(srv.URL+"/v3.2/"),
		sansan.WithRateLimit(rate.Inf, 0), sansan.WithSleep(func(ctx context.Context, _ time.Duration) error { return ctx.Err() }))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func listOpts() *sansan.ListBizCardsOptions {
	return &sansan.ListBizCardsOptions{UpdatedFrom: time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC), UpdatedTo: time.Date(2021, 1, 1, 0, 0, 0, 0, time.UTC)}
}

// TestBadInputFromSansan feeds the client hostile or broken answers: each
// one decodes into a usable card or fails with a clear, matchable error,
// never a panic.
func TestBadInputFromSansan(t *testing.T) {
	t.Parallel()
	nullCard := `{"id":"C1","personId":null,"companyId":null,"exchangeDate":null,"registeredTime":null,"updatedTime":null,` +
		`"owner":null,"lastName":null,"firstName":null,"lastNameReading":null,"firstNameReading":null,"departmentName":null,` +
		`"title":null,"email":null,"mobile":null,"companyName":null,"countryCode":null,"postalCode":null,"address":null,` +
		`"prefecture":null,"city":null,"street":null,"building":null,"tel":null,"secondTel":null,"fax":null,"url":null,` +
		`"memo":null,"entryStatus":null,"tags":null}`
	longMemo := strings.Repeat("メモ", 50000)
	tests := []struct {
		name   string
		status int
		ctype  string
		body   string
		// check inspects the decoded cards (success cases).
		check func(t *testing.T, cards []*sansan.BizCard)
		// wantErr is matched with errors.Is; wantText must appear in the
		// message. Both empty means success.
		wantErr  error
		wantText string
	}{
		{name: "null everywhere", status: 200, body: `{"data":[` + nullCard + `],"hasMore":null,"nextPageToken":null}`,
			check: func(t *testing.T, cards []*sansan.BizCard) {
				if len(cards) != 1 || cards[0].ID != "C1" || cards[0].Email != nil || cards[0].LastName != nil {
					t.Errorf("cards = %+v", cards)
				}
			}},
		{name: "null data", status: 200, body: `{"data":null,"hasMore":false}`,
			check: func(t *testing.T, cards []*sansan.BizCard) {
				if len(cards) != 0 {
					t.Errorf("cards = %+v", cards)
				}
			}},
		{name: "null card in array", status: 200, body: `{"data":[null,{"id":"C2"}],"hasMore":false}`,
			check: func(t *testing.T, cards []*sansan.BizCard) {
				for _, c := range cards {
					if c != nil && c.ID != "C2" {
						t.Errorf("unexpected card %+v", c)
					}
				}
			}},
		{name: "invalid UTF-8", status: 200, body: "{\"data\":[{\"id\":\"C3\",\"lastName\":\"\xff\xfe山田\",\"email\":\"a\xc3@example.com\"}],\"hasMore\":false}",
			check: func(t *testing.T, cards []*sansan.BizCard) {
				if len(cards) != 1 || !utf8.ValidString(sansan.Deref(cards[0].LastName)) || !utf8.ValidString(sansan.Deref(cards[0].Email)) {
					t.Errorf("invalid UTF-8 reached the caller: %q %q", sansan.Deref(cards[0].LastName), sansan.Deref(cards[0].Email))
				}
			}},
		{name: "control characters", status: 200, body: `{"data":[{"id":"C4","lastName":"山\u0000田\u001b[31m","title":"部長\r\n"}],"hasMore":false}`,
			check: func(t *testing.T, cards []*sansan.BizCard) {
				if len(cards) != 1 || sansan.Deref(cards[0].LastName) != "山\x00田\x1b[31m" {
					t.Errorf("the raw value should reach the caller as sent (mapping cleans it): %+v", cards)
				}
			}},
		{name: "100000-character memo", status: 200, body: `{"data":[{"id":"C5","memo":"` + longMemo + `"}],"hasMore":false}`,
			check: func(t *testing.T, cards []*sansan.BizCard) {
				if len(cards) != 1 || utf8.RuneCountInString(sansan.Deref(cards[0].Memo)) != 100000 {
					t.Errorf("memo not decoded whole")
				}
			}},
		{name: "wrong types", status: 200, body: `{"data":[{"id":12345,"lastName":["x"]}],"hasMore":"yes"}`, wantText: "decode response"},
		{name: "malformed JSON", status: 200, ctype: "application/json", body: `{"data":[{"id":"C6",`, wantText: "decode response"},
		{name: "HTML error page from a proxy", status: 502, ctype: "text/html", body: "<html><body><h1>502 Bad Gateway</h1></body></html>", wantText: "502"},
		{name: "HTML page with 200", status: 200, ctype: "text/html", body: "<!DOCTYPE html><html>maintenance</html>", wantText: "body starts \"<!DOCTYPE html>"},
		{name: "200 with empty body", status: 200, body: "", wantText: "empty response body"},
		{name: "200 with whitespace", status: 200, body: " \n", wantText: "empty response body"},
		{name: "error body not JSON", status: 400, ctype: "text/plain", body: "bad", wantErr: sansan.ErrBadRequest},
		{name: "error body with null codes", status: 404, body: `{"statusCode":null,"message":null,"error":null}`, wantErr: sansan.ErrNotFound},
		{name: "rate limited with junk body", status: 429, body: "\x00\x01", wantErr: sansan.ErrRateLimited},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := badServer(t, tt.status, tt.ctype, tt.body)
			cards, _, err := c.BizCards.List(t.Context(), listOpts())
			if tt.check != nil {
				if err != nil {
					t.Fatalf("List: %v", err)
				}
				tt.check(t, cards)
				return
			}
			if err == nil {
				t.Fatalf("List succeeded with %d cards, want an error", len(cards))
			}
			if tt.wantErr != nil && !errors.Is(err, tt.wantErr) {
				t.Errorf("error %v does not match %v", err, tt.wantErr)
			}
			if tt.wantText != "" && !strings.Contains(err.Error(), tt.wantText) {
				t.Errorf("error %q does not mention %q", err, tt.wantText)
			}
			if len(err.Error()) > 2000 {
				t.Errorf("error message is %d bytes; bodies must be capped in messages", len(err.Error()))
			}
		})
	}
}

// TestBadInputHugeErrorBody: a proxy answering megabytes of error page
// is read only up to the cap.
func TestBadInputHugeErrorBody(t *testing.T) {
	t.Parallel()
	c := badServer(t, 503, "text/html", strings.Repeat("<p>overloaded</p>", 1<<16))
	_, _, err := c.BizCards.List(t.Context(), listOpts())
	var er *sansan.ErrorResponse
	if !errors.As(err, &er) {
		t.Fatalf("err = %v, want *ErrorResponse", err)
	}
	if len(er.Body) > 64<<10 {
		t.Errorf("kept %d bytes of error body, want at most 64 KiB", len(er.Body))
	}
}
