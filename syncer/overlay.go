package syncer

import (
	"context"
	"errors"
	"time"
)

// overlayStore lets a dry run behave like a real pass without writing: it
// reads through to the engine's store and keeps every write in memory,
// where later reads of the same pass see it.
type overlayStore struct {
	base Store
	over *MemoryStore
}

func newOverlayStore(base Store) *overlayStore {
	return &overlayStore{base: base, over: NewMemoryStore()}
}

func (o *overlayStore) LinksByPerson(ctx context.Context, ids []string) (map[string]*Link, error) {
	out, err := o.base.LinksByPerson(ctx, ids)
	if err != nil {
		return nil, err
	}
	over, err := o.over.LinksByPerson(ctx, ids)
	if err != nil {
		return nil, err
	}
	for k, v := range over {
		out[k] = v
	}
	return out, nil
}

func (o *overlayStore) LinksByEmail(ctx context.Context, emails []string) (map[string][]*Link, error) {
	base, err := o.base.LinksByEmail(ctx, emails)
	if err != nil {
		return nil, err
	}
	over, err := o.over.LinksByEmail(ctx, emails)
	if err != nil {
		return nil, err
	}
	out := map[string][]*Link{}
	for e, ls := range base {
		for _, l := range ls {
			// A link rewritten in the overlay is judged by its new version.
			if shadow, _ := o.over.LinksByPerson(ctx, []string{l.PersonID}); len(shadow) == 0 {
				out[e] = append(out[e], l)
			}
		}
	}
	for e, ls := range over {
		out[e] = append(out[e], ls...)
	}
	return out, nil
}

func (o *overlayStore) LinkByContact(ctx context.Context, id string) (*Link, error) {
	l, err := o.over.LinkByContact(ctx, id)
	if errors.Is(err, ErrNotFound) {
		return o.base.LinkByContact(ctx, id)
	}
	return l, err
}

func (o *overlayStore) LinksByContact(ctx context.Context, ids []string) (map[string]*Link, error) {
	out, err := o.base.LinksByContact(ctx, ids)
	if err != nil {
		return nil, err
	}
	over, err := o.over.LinksByContact(ctx, ids)
	if err != nil {
		return nil, err
	}
	for k, v := range over {
		out[k] = v
	}
	return out, nil
}

func (o *overlayStore) PutLinks(ctx context.Context, links []*Link) error {
	return o.over.PutLinks(ctx, links)
}

func (o *overlayStore) LinksToRetry(ctx context.Context, now time.Time, limit int) ([]*Link, error) {
	return o.base.LinksToRetry(ctx, now, limit)
}

func (o *overlayStore) Checkpoint(ctx context.Context, stream string) (Checkpoint, error) {
	cp, err := o.over.Checkpoint(ctx, stream)
	if errors.Is(err, ErrNotFound) {
		return o.base.Checkpoint(ctx, stream)
	}
	return cp, err
}

func (o *overlayStore) PutCheckpoint(ctx context.Context, stream string, cp Checkpoint) error {
	return o.over.PutCheckpoint(ctx, stream, cp)
}
