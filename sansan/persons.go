package sansan

import (
	"context"
	"net/http"

	"github.com/cardbridge/sansanhubspot/internal/apiclient"
)

// PersonsService reads persons: one individual across all of their cards.
type PersonsService service

// Get returns the person with the given id (a card's PersonID) and their
// head (latest) card; with [GetOptions.IncludeTags] the card's Tags are
// filled. At most one GetOptions is used.
//
// Sansan API docs: GET /persons/{id}
func (s *PersonsService) Get(ctx context.Context, id string, opts ...GetOptions) (*Person, *Response, error) {
	path, err := pathFor("persons/%s", id)
	if err != nil {
		return nil, nil, err
	}
	var out item[Person]
	resp, err := s.client.do(ctx, apiclient.Call{Method: http.MethodGet, Path: path, Query: getQuery(opts), Out: &out})
	if err != nil {
		return nil, resp, err
	}
	return &out.V, resp, nil
}
