package sansan

import (
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/jarcoal/httpmock"
)

// TestEndpointVersions checks that the client-wide and per-endpoint API
// versions route each family to its version of the base URL.
func TestEndpointVersions(t *testing.T) {
	t.Parallel()
	const v31 = "https://api.example.test/proxy/v3.1/"
	const v60 = "https://api.example.test/proxy/v6.0/"
	tests := []struct {
		name         string
		opts         []Option
		wantMe       string
		wantRegister string
	}{
		{name: "defaults", wantMe: testBase + "me", wantRegister: testBase + "bizCards"},
		{name: "registration on v6.0", opts: []Option{WithEndpointVersion(EndpointRegisterBizCard, "v6.0")}, wantMe: testBase + "me", wantRegister: v60 + "bizCards"},
		{name: "all on v3.1", opts: []Option{WithAPIVersion("v3.1")}, wantMe: v31 + "me", wantRegister: v31 + "bizCards"},
		{name: "all on v3.1, registration on v6.0", opts: []Option{WithAPIVersion("v3.1"), WithEndpointVersion(EndpointRegisterBizCard, "v6.0")}, wantMe: v31 + "me", wantRegister: v60 + "bizCards"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, mt, _ := setup(t, tt.opts...)
			mt.RegisterResponder("GET", tt.wantMe, httpmock.NewStringResponder(200, `{"item":{"id":"u1"}}`))
			mt.RegisterResponder("POST", tt.wantRegister, httpmock.NewStringResponder(201, `{"item":{"id":"c1"}}`))
			if _, _, err := c.Users.Me(t.Context()); err != nil {
				t.Errorf("Me: %v", err)
			}
			if _, _, err := c.BizCards.Register(t.Context(), &RegisterBizCardRequest{CompanyName: Ptr("ITO")}); err != nil {
				t.Errorf("Register: %v", err)
			}
			wantV := tt.wantRegister[strings.Index(tt.wantRegister, "/v")+1 : strings.LastIndex(tt.wantRegister, "/")]
			if got := c.APIVersion(EndpointRegisterBizCard); got != wantV {
				t.Errorf("APIVersion(register) = %q, want %q", got, wantV)
			}
		})
	}
}

func TestEndpointVersionOptionErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		opts []Option
		want string
	}{
		{name: "bad version", opts: []Option{WithAPIVersion("3.2")}, want: `sansan: api version "3.2" must look like v3.2`},
		{name: "bad endpoint version", opts: []Option{WithEndpointVersion(EndpointTags, "latest")}, want: `sansan: api version "latest" must look like v3.2`},
		{name: "unknown endpoint", opts: []Option{WithEndpointVersion("contacts", "v6.0")}, want: `sansan: unknown endpoint "contacts"`},
		{name: "base without version", opts: []Option{WithBaseURL("https://gw.example.test/sansan/"), WithAPIVersion("v6.0")}, want: `sansan: base url "https://gw.example.test/sansan/" has no version segment to replace`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := NewClient(testKey, tt.opts...)
			if err == nil || err.Error() != tt.want {
				t.Errorf("NewClient error = %v, want %q", err, tt.want)
			}
		})
	}
}

// TestRegisterUnsupportedVersion checks that a 404 on registration is a
// typed, unretried ErrUnsupportedVersion, and CheckRegister's answers.
func TestRegisterUnsupportedVersion(t *testing.T) {
	t.Parallel()
	c, mt, sl := setup(t)
	mt.RegisterResponder("POST", testBase+"bizCards", httpmock.NewStringResponder(404, `{"statusCode":404,"message":"Not Found"}`))
	_, _, err := c.BizCards.Register(t.Context(), &RegisterBizCardRequest{CompanyName: Ptr("ITO")})
	var uv *UnsupportedVersionError
	if !errors.Is(err, ErrUnsupportedVersion) || !errors.Is(err, ErrNotFound) || !errors.As(err, &uv) || uv.Version != "v3.2" || uv.Endpoint != EndpointRegisterBizCard {
		t.Fatalf("err = %v, want an *UnsupportedVersionError for v3.2", err)
	}
	if n := mt.GetTotalCallCount(); n != 1 || len(sl.all()) != 0 {
		t.Errorf("%d calls, waits %v: a 404 must not be retried", n, sl.all())
	}
	if _, err := c.BizCards.CheckRegister(t.Context()); !errors.Is(err, ErrUnsupportedVersion) {
		t.Errorf("CheckRegister on 404 = %v", err)
	}

	tests := []struct {
		status int
		want   error
	}{
		{http.StatusBadRequest, nil},
		{http.StatusCreated, nil},
		{http.StatusNotFound, ErrUnsupportedVersion},
		{http.StatusUnauthorized, ErrUnauthorized},
	}
	for _, tt := range tests {
		c, mt, _ := setup(t)
		mt.RegisterResponder("POST", testBase+"bizCards", func(req *http.Request) (*http.Response, error) {
			if b, _ := io.ReadAll(req.Body); string(b) != "{}" {
				t.Errorf("probe body = %q, want {}", b)
			}
			return httpmock.NewStringResponse(tt.status, `{"message":"x"}`), nil
		})
		_, err := c.BizCards.CheckRegister(t.Context())
		if tt.want == nil && err != nil || tt.want != nil && !errors.Is(err, tt.want) {
			t.Errorf("CheckRegister on %d = %v, want %v", tt.status, err, tt.want)
		}
	}
}

// TestPageTokenRefused checks that a page request whose token the server
// refuses matches ErrPageTokenExpired, and that the same refusal without
// a token does not.
func TestPageTokenRefused(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		token       string
		status      int
		wantExpired bool
	}{
		{name: "400 with a token", token: "tok-1", status: 400, wantExpired: true},
		{name: "404 with a token", token: "tok-1", status: 404, wantExpired: true},
		{name: "400 without a token", status: 400},
		{name: "500 with a token", token: "tok-1", status: 500},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, mt, _ := setup(t, WithRetry(RetryPolicy{MaxAttempts: 1}))
			mt.RegisterResponder("GET", testBase+"tags", httpmock.NewStringResponder(tt.status, `{"message":"nextPageToken expired or unknown"}`))
			_, _, err := c.Tags.List(t.Context(), &ListTagsOptions{ListOptions: ListOptions{NextPageToken: tt.token}})
			if got := errors.Is(err, ErrPageTokenExpired); got != tt.wantExpired {
				t.Errorf("errors.Is(%v, ErrPageTokenExpired) = %v, want %v", err, got, tt.wantExpired)
			}
			var er *ErrorResponse
			if !errors.As(err, &er) || er.StatusCode != tt.status {
				t.Errorf("err = %v, want the *ErrorResponse reachable", err)
			}
			if tt.token != "" && strings.Contains(err.Error(), tt.token) {
				t.Errorf("error repeats the token: %v", err)
			}
		})
	}
}

// TestSingleReadOptions checks includeTags on card and person reads and
// side on the image call.
func TestSingleReadOptions(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		path      string
		wantQuery string
		body      []byte
		call      func(c *Client) error
	}{
		{name: "card without options", path: "bizCards/C1", body: fixture(t, "bizcard.json"),
			call: func(c *Client) error { _, _, err := c.BizCards.Get(t.Context(), "C1"); return err }},
		{name: "card with tags", path: "bizCards/C1", wantQuery: "includeTags=true", body: fixture(t, "bizcard.json"),
			call: func(c *Client) error {
				_, _, err := c.BizCards.Get(t.Context(), "C1", GetOptions{IncludeTags: true})
				return err
			}},
		{name: "person with tags", path: "persons/P1", wantQuery: "includeTags=true", body: fixture(t, "person.json"),
			call: func(c *Client) error {
				_, _, err := c.Persons.Get(t.Context(), "P1", GetOptions{IncludeTags: true})
				return err
			}},
		{name: "image back", path: "bizCards/C1/image", wantQuery: "side=back", body: fixture(t, "card.jpg"),
			call: func(c *Client) error {
				_, _, err := c.BizCards.Image(t.Context(), "C1", ImageOptions{Side: SideBack})
				return err
			}},
		{name: "image default", path: "bizCards/C1/image", body: fixture(t, "card.jpg"),
			call: func(c *Client) error { _, _, err := c.BizCards.Image(t.Context(), "C1"); return err }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, mt, _ := setup(t)
			r := reply(t, tt.wantQuery, 200, tt.body)
			mt.RegisterResponder("GET", testBase+tt.path, func(req *http.Request) (*http.Response, error) {
				resp, err := r(req)
				if strings.HasSuffix(tt.path, "/image") {
					resp.Header.Set("Content-Type", "image/jpeg")
				}
				return resp, err
			})
			if err := tt.call(c); err != nil {
				t.Fatal(err)
			}
		})
	}
	c, _, _ := setup(t)
	if _, _, err := c.BizCards.Image(t.Context(), "C1", ImageOptions{Side: "left"}); !errors.Is(err, ErrInvalidArgument) {
		t.Errorf("side left = %v, want ErrInvalidArgument", err)
	}
}

// FuzzParseErrorBody: any body parses without a panic, and retry_after is
// never negative nor above its cap.
func FuzzParseErrorBody(f *testing.F) {
	for _, s := range []string{
		`{"statusCode":429,"message":"Too Many Requests","retry_after":30}`,
		`{"retry_after":"1.5"}`, `{"retry_after":-1}`, `{"retry_after":1e309}`, `{"retry_after":null}`,
		`{"message":"m","error":[{"code":"A"},{"code":7}]}`, `{"error":"x"}`, `[]`, ``, `<html>`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		_, _, after := parseErrorBody(body)
		if after < 0 || after > maxBodyRetryAfter {
			t.Fatalf("retry_after of %q = %v", body, after)
		}
	})
}
