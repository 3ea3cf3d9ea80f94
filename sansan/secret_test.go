package sansan

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/jarcoal/httpmock"
)

// lockedBuffer is a bytes.Buffer safe for concurrent log writes.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestKeyNeverLeaks makes every kind of call fail, including failures whose
// raw messages contain the key (a transport or server echoing the header),
// and checks that neither the error strings nor any log line reveal it.
func TestKeyNeverLeaks(t *testing.T) {
	t.Parallel()
	echo := func(req *http.Request) string {
		return fmt.Sprintf("%s=%s", HeaderAPIKey, req.Header.Get(HeaderAPIKey))
	}
	tests := []struct {
		name      string
		responder httpmock.Responder
		call      func(ctx context.Context, c *Client) error
		unwrapsTo error
	}{
		{
			name:      "401",
			responder: httpmock.NewBytesResponder(401, fixture(t, "error_401.json")),
			unwrapsTo: ErrUnauthorized,
		},
		{
			name: "401 echoing the key",
			responder: func(req *http.Request) (*http.Response, error) {
				return httpmock.NewStringResponse(401, fmt.Sprintf(`{"message":"invalid key %s","error":[{"code":"%s"}]}`, req.Header.Get(HeaderAPIKey), echo(req))), nil
			},
			unwrapsTo: ErrUnauthorized,
		},
		{
			name:      "500 through all retries",
			responder: httpmock.NewStringResponder(500, `{"message":"internal"}`),
		},
		{
			name: "transport error echoing the header",
			responder: func(req *http.Request) (*http.Response, error) {
				return nil, fmt.Errorf("proxy refused request with %s", echo(req))
			},
		},
		{
			name: "200 html echoing the key",
			responder: func(req *http.Request) (*http.Response, error) {
				return httpmock.NewStringResponse(200, "<html>"+echo(req)+"</html>"), nil
			},
		},
		{
			name: "redirect to another host",
			responder: func(*http.Request) (*http.Response, error) {
				r := httpmock.NewStringResponse(302, "")
				r.Header.Set("Location", "https://elsewhere.example.net/")
				return r, nil
			},
		},
		{
			name:      "cancelled context",
			responder: httpmock.NewStringResponder(429, ``),
			call: func(ctx context.Context, c *Client) error {
				ctx, cancel := context.WithCancel(ctx)
				cancel()
				_, _, err := c.Users.Me(ctx)
				return err
			},
			unwrapsTo: context.Canceled,
		},
		{
			name: "image echoing the key as json",
			responder: func(req *http.Request) (*http.Response, error) {
				r := httpmock.NewStringResponse(200, `{"key":"`+req.Header.Get(HeaderAPIKey)+`"}`)
				r.Header.Set("Content-Type", "application/json")
				return r, nil
			},
			call: func(ctx context.Context, c *Client) error {
				_, _, err := c.BizCards.Image(ctx, "X")
				return err
			},
		},
		{
			name: "register rejected",
			responder: func(req *http.Request) (*http.Response, error) {
				return httpmock.NewStringResponse(400, `{"message":"`+echo(req)+`"}`), nil
			},
			call: func(ctx context.Context, c *Client) error {
				_, _, err := c.BizCards.Register(ctx, &RegisterBizCardRequest{LastName: Ptr("伊藤")})
				return err
			},
			unwrapsTo: ErrBadRequest,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var logs lockedBuffer
			logger := slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug})).With("component", "sansan")
			c, mt, _ := setup(t, WithLogger(logger), WithAppID("App1"))
			mt.RegisterResponder("GET", `=~.`, tt.responder)
			mt.RegisterResponder("POST", `=~.`, tt.responder)
			call := tt.call
			if call == nil {
				call = func(ctx context.Context, c *Client) error {
					_, _, err := c.Users.Me(ctx)
					return err
				}
			}
			err := call(t.Context(), c)
			if err == nil {
				t.Fatal("call succeeded; the scenario must fail")
			}
			if strings.Contains(err.Error(), testKey) {
				t.Errorf("error reveals the key: %v", err)
			}
			var er *ErrorResponse
			if errors.As(err, &er) && (bytes.Contains(er.Body, []byte(testKey)) || strings.Contains(er.Message, testKey) || strings.Contains(strings.Join(er.Codes, ","), testKey)) {
				t.Errorf("ErrorResponse fields reveal the key: %+v", er)
			}
			if er != nil && er.Response != nil && er.Response.Request != nil && er.Response.Request.Header.Get(HeaderAPIKey) != "" {
				t.Errorf("ErrorResponse.Response.Request carries the key header")
			}
			if tt.unwrapsTo != nil && !errors.Is(err, tt.unwrapsTo) {
				t.Errorf("err = %v, want errors.Is %v", err, tt.unwrapsTo)
			}
			out := logs.String()
			if strings.Contains(out, testKey) {
				t.Errorf("logs reveal the key:\n%s", out)
			}
			if tt.name != "cancelled context" && !strings.Contains(out, `"level":"DEBUG"`) {
				t.Errorf("no debug log line was written, so the check above proved nothing:\n%s", out)
			}
		})
	}
}

// TestResponseRequestScrubbed checks that the request reachable from a
// successful Response no longer carries the key.
func TestResponseRequestScrubbed(t *testing.T) {
	t.Parallel()
	c, mt, _ := setup(t)
	mt.RegisterResponder("GET", testBase+"me", reply(t, "", 200, fixture(t, "me.json")))
	_, resp, err := c.Users.Me(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if resp.Request == nil {
		t.Fatal("response has no request")
	}
	if got := resp.Request.Header.Get(HeaderAPIKey); got != "" {
		t.Errorf("resp.Request carries %s=%q", HeaderAPIKey, got)
	}
	if got := resp.Request.URL.Path; got != "/proxy/v3.2/me" {
		t.Errorf("resp.Request.URL.Path = %q", got)
	}
}
