package sansan

import (
	"context"
	"iter"
	"net/url"
	"slices"
)

// TagsService lists tags.
type TagsService service

// ListTagsOptions filters [TagsService.List]. All fields are optional.
type ListTagsOptions struct {
	// Types selects tag types, e.g. public and shared (the ones integrations
	// usually offer); empty means all types.
	Types []TagType
	// Range selects whose tags ([RangeMe] or [RangeAll]).
	Range Range
	// OwnerUserID selects the tags of one user.
	OwnerUserID string
	// TagName matches part of the tag name.
	TagName string

	// ListOptions is the page size, at most [MaxTagLimit], and the token
	// of the page to continue from.
	ListOptions
}

func (o *ListTagsOptions) clone() ListTagsOptions {
	if o == nil {
		return ListTagsOptions{}
	}
	c := *o
	c.Types = slices.Clone(o.Types)
	return c
}

func (o *ListTagsOptions) values() (url.Values, error) {
	q := url.Values{}
	if o == nil {
		return q, nil
	}
	addAll(q, "type", o.Types)
	setString(q, "range", o.Range)
	setString(q, "ownerUserId", o.OwnerUserID)
	setString(q, "tagName", o.TagName)
	if err := o.ListOptions.encode(q, MaxTagLimit); err != nil {
		return nil, err
	}
	return q, nil
}

// List returns one page of tags (opts may be nil).
//
// Sansan API docs: GET /tags
func (s *TagsService) List(ctx context.Context, opts *ListTagsOptions) ([]*Tag, *Response, error) {
	q, err := opts.values()
	if err != nil {
		return nil, nil, err
	}
	return getPage[Tag](ctx, s.client, "tags", q)
}

// ListIter returns an iterator over every tag of [TagsService.List], with
// the same rules as [BizCardsService.ListIter].
//
// Sansan API docs: GET /tags
func (s *TagsService) ListIter(ctx context.Context, opts *ListTagsOptions) iter.Seq2[*Tag, error] {
	base := opts.clone()
	return paginate(ctx, base.NextPageToken, func(ctx context.Context, token string) ([]*Tag, *Response, error) {
		o := base
		o.NextPageToken = token
		return s.List(ctx, &o)
	})
}
