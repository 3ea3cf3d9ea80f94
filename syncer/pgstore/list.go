package pgstore

import (
	"context"
	"strconv"
	"strings"

	"github.com/cardbridge/sansanhubspot/syncer"
)

// ListLinks implements [syncer.LinkLister] in one query. Filtering on one
// state, or one state and a reason, reads the sansanhubspot_links_state_idx
// index in PersonID order; other queries read the connection's links and
// sort those that match.
func (s *Store) ListLinks(ctx context.Context, q syncer.LinkQuery) ([]*syncer.Link, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	limit := q.Limit
	if limit <= 0 {
		limit = syncer.DefaultLinkQueryLimit
	}
	limit = min(limit, syncer.MaxLinkQueryLimit)
	// Only the filters in use appear in the statement, so that each
	// combination gets a plan that uses the index where it can.
	var where strings.Builder
	args := []any{s.conn, q.After, limit}
	cond := func(expr string, arg any) {
		args = append(args, arg)
		where.WriteString(" AND ")
		where.WriteString(strings.ReplaceAll(expr, "$?", "$"+strconv.Itoa(len(args))))
	}
	switch len(q.States) {
	case 0:
	case 1:
		cond("state = $?", string(q.States[0]))
	default:
		states := make([]string, len(q.States))
		for i, st := range q.States {
			states[i] = string(st)
		}
		cond("state IN (SELECT jsonb_array_elements_text($?::jsonb))", jsonArray(states))
	}
	if q.Account != "" {
		cond("account = $?", q.Account)
	}
	if q.Reason != "" {
		cond("reason = $?", q.Reason)
	}
	rows, err := s.db.QueryContext(ctx, `
		SELECT data FROM sansanhubspot_links
		WHERE connection = $1 AND person_id COLLATE "C" > $2`+where.String()+`
		ORDER BY person_id COLLATE "C"
		LIMIT $3`, args...)
	if err != nil {
		return nil, s.wrap(ctx, "list links", err)
	}
	var out []*syncer.Link
	if err := scanLinks(rows, func(_ string, l *syncer.Link) { out = append(out, l) }); err != nil {
		return nil, s.wrap(ctx, "list links", err)
	}
	return out, nil
}

// CountLinks implements [syncer.LinkLister] in one query over the
// connection's links.
func (s *Store) CountLinks(ctx context.Context) ([]syncer.LinkCount, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	rows, err := s.db.QueryContext(ctx, `
		SELECT account, state, reason, count(*) FROM sansanhubspot_links
		WHERE connection = $1
		GROUP BY account, state, reason
		ORDER BY account, state, reason`, s.conn)
	if err != nil {
		return nil, s.wrap(ctx, "count links", err)
	}
	defer rows.Close()
	out := []syncer.LinkCount{}
	for rows.Next() {
		var c syncer.LinkCount
		if err := rows.Scan(&c.Account, &c.State, &c.Reason, &c.N); err != nil {
			return nil, s.wrap(ctx, "count links", err)
		}
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, s.wrap(ctx, "count links", err)
	}
	return out, nil
}
