package sansan

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"

	"github.com/cardbridge/sansanhubspot/internal/apiclient"
)

// PersonsService reads persons: one individual across all of their cards.
type PersonsService service

// Get returns the person with the given id (a card's PersonID) and their
// head (latest) card; with [GetOptions.IncludeTags] the card's Tags are
// filled. At most one GetOptions is used. A head card that does not decode
// is a [*CardDecodeError] ([ErrUndecodableCard]).
//
// Sansan API docs: GET /persons/{id}
func (s *PersonsService) Get(ctx context.Context, id string, opts ...GetOptions) (*Person, *Response, error) {
	path, err := pathFor("persons/%s", id)
	if err != nil {
		return nil, nil, err
	}
	var person Person
	out := &itemBody{decode: func(raw []byte) error {
		var p struct {
			ID          string          `json:"id"`
			HeadBizCard json.RawMessage `json:"headBizCard"`
		}
		if err := json.Unmarshal(raw, &p); err != nil {
			// A head card nested deeper than encoding/json allows: find
			// the members without it, and let the card say what is wrong.
			var se *json.SyntaxError
			if !errors.As(err, &se) {
				return err
			}
			sc, serr := scanEnvelope(bytes.NewReader(raw), "", scanLimits{elemCap: -1, memberCap: -1})
			if serr != nil {
				return err
			}
			if id, ok := sc.member("id"); ok && json.Unmarshal(id, &p.ID) != nil {
				return err
			}
			p.HeadBizCard, _ = sc.member("headBizCard")
		}
		person.ID = p.ID
		if len(p.HeadBizCard) == 0 || string(p.HeadBizCard) == "null" {
			return nil
		}
		return s.client.cardItem(&person.HeadBizCard).decode(p.HeadBizCard)
	}}
	resp, err := s.client.do(ctx, apiclient.Call{Method: http.MethodGet, Path: path, Query: getQuery(opts), Out: out})
	if err != nil {
		return nil, resp, singleCardError(err)
	}
	return &person, resp, nil
}
