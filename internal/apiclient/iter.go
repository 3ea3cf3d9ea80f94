package apiclient

import (
	"context"
	"iter"
)

// PageFunc fetches the page at cursor ("" for the first page) and returns
// its items and the next cursor ("" when there is none).
type PageFunc[T any] func(ctx context.Context, cursor string) (items []T, next string, err error)

// Paginate returns a lazy iterator over every item of every page: no request
// is made until it is ranged over, iteration stops as soon as the consumer
// breaks, and an error is yielded once, after which iteration ends.
func Paginate[T any](ctx context.Context, fetch PageFunc[T]) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		cursor := ""
		for {
			items, next, err := fetch(ctx, cursor)
			if err != nil {
				var zero T
				yield(zero, err)
				return
			}
			for _, it := range items {
				if !yield(it, nil) {
					return
				}
			}
			if next == "" || next == cursor {
				return
			}
			cursor = next
		}
	}
}
