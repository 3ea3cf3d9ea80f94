package hubspottest

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"testing"
	"time"
)

// Server is a [Fake] listening on a loopback port, like
// [net/http/httptest.Server].
type Server struct {
	// URL is the base URL with a trailing slash, e.g.
	// "http://127.0.0.1:38721/", ready for hubspot.WithBaseURL.
	URL string
	// Fake is the served fake, for helpers, fault injection and counters.
	Fake *Fake

	srv  *http.Server
	ln   net.Listener
	errc chan error
}

// NewServer starts a fake on 127.0.0.1 with a free port.
func NewServer(opts ...Option) (*Server, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("hubspottest: listen: %w", err)
	}
	f := New(opts...)
	s := &Server{
		URL:  "http://" + ln.Addr().String() + "/",
		Fake: f,
		srv:  &http.Server{Handler: f, ReadHeaderTimeout: 10 * time.Second},
		ln:   ln,
		errc: make(chan error, 1),
	}
	go func() { s.errc <- s.srv.Serve(ln) }()
	return s, nil
}

// NewTestServer starts a fake server and closes it when the test ends. It
// fails the test if the server cannot start.
func NewTestServer(tb testing.TB, opts ...Option) *Server {
	tb.Helper()
	s, err := NewServer(opts...)
	if err != nil {
		tb.Fatalf("hubspottest: %v", err)
	}
	tb.Cleanup(s.Close)
	return s
}

// Close shuts the server down, closing open connections, and stops webhook
// delivery.
func (s *Server) Close() {
	_ = s.srv.Close()
	if err := <-s.errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		s.Fake.logger.Error("hubspottest: server stopped", "error", err)
	}
	s.errc <- http.ErrServerClosed // make Close idempotent
	s.Fake.Close()
}
