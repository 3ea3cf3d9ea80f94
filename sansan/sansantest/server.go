package sansantest

import (
	"fmt"
	"net"
	"net/http"
	"testing"
	"time"
)

// Server is a [Fake] listening on a loopback port, in the spirit of
// [net/http/httptest.Server].
type Server struct {
	// URL is the base URL including the version path and a trailing slash,
	// e.g. "http://127.0.0.1:54321/v3.2/". Pass it to sansan.WithBaseURL.
	URL string
	// Fake is the tenant behind the server; seed and inspect it directly.
	Fake *Fake

	srv *http.Server
	ln  net.Listener
}

// NewServer starts a fake on 127.0.0.1 with a random port.
func NewServer(opts ...Option) (*Server, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("sansantest: listen: %w", err)
	}
	f := New(opts...)
	s := &Server{
		Fake: f,
		URL:  "http://" + ln.Addr().String() + "/" + f.cfg.version + "/",
		srv:  &http.Server{Handler: f, ReadHeaderTimeout: 10 * time.Second},
		ln:   ln,
	}
	if f.cfg.version == "" {
		s.URL = "http://" + ln.Addr().String() + "/"
	}
	go func() { _ = s.srv.Serve(ln) }()
	return s, nil
}

// NewTestServer is like [NewServer] but fails tb on error and closes the
// server in tb.Cleanup.
func NewTestServer(tb testing.TB, opts ...Option) *Server {
	tb.Helper()
	s, err := NewServer(opts...)
	if err != nil {
		tb.Fatalf("sansantest: %v", err)
	}
	tb.Cleanup(s.Close)
	return s
}

// Close shuts the server down, closing idle and active connections.
func (s *Server) Close() {
	_ = s.srv.Close()
}
