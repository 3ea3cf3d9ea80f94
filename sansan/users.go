package sansan

import (
	"context"
	"net/http"

	"github.com/cardbridge/sansanhubspot/internal/apiclient"
)

// UsersService reads Sansan users.
type UsersService service

// Me returns the owner of the API key. It is the cheapest way to check that
// a key works: a bad key fails with an error matching [ErrUnauthorized].
//
// Sansan API docs: GET /me
func (s *UsersService) Me(ctx context.Context) (*User, *Response, error) {
	var out item[User]
	resp, err := s.client.do(ctx, apiclient.Call{Method: http.MethodGet, Path: "me", Out: &out})
	if err != nil {
		return nil, resp, err
	}
	return &out.V, resp, nil
}
