package pgstore

import (
	"encoding/json"
	"fmt"
	"math"
	"time"

	"github.com/cardbridge/sansanhubspot/syncer"
)

// dbLink is the JSON form of a syncer.Link in the data column. It is
// separate from syncer.Link so that the stored format changes only on
// purpose. Times are RFC 3339 strings with nanoseconds.
type dbLink struct {
	PersonID         string            `json:"person_id"`
	Account          string            `json:"account,omitempty"`
	CardID           string            `json:"card_id,omitempty"`
	ContactID        string            `json:"contact_id,omitempty"`
	Email            string            `json:"email,omitempty"`
	RankExchangeDate string            `json:"rank_exchange_date,omitempty"`
	RankUpdatedTime  time.Time         `json:"rank_updated_time,omitzero"`
	RankCardID       string            `json:"rank_card_id,omitempty"`
	Values           map[string]string `json:"values,omitempty"`
	Remote           map[string]string `json:"remote,omitempty"`
	RemoteAt         time.Time         `json:"remote_at,omitzero"`
	State            string            `json:"state,omitempty"`
	Reason           string            `json:"reason,omitempty"`
	Message          string            `json:"message,omitempty"`
	Attempts         int               `json:"attempts,omitempty"`
	NextRetry        time.Time         `json:"next_retry,omitzero"`
	Origin           string            `json:"origin,omitempty"`
	UpdatedAt        time.Time         `json:"updated_at,omitzero"`
}

func encodeLink(l *syncer.Link) (json.RawMessage, error) {
	b, err := json.Marshal(dbLink{
		PersonID:         l.PersonID,
		Account:          l.Account,
		CardID:           l.CardID,
		ContactID:        l.ContactID,
		Email:            l.Email,
		RankExchangeDate: l.Rank.ExchangeDate,
		RankUpdatedTime:  l.Rank.UpdatedTime,
		RankCardID:       l.Rank.CardID,
		Values:           l.Values,
		Remote:           l.Remote,
		RemoteAt:         l.RemoteAt,
		State:            string(l.State),
		Reason:           l.Reason,
		Message:          l.Message,
		Attempts:         l.Attempts,
		NextRetry:        l.NextRetry,
		Origin:           l.Origin,
		UpdatedAt:        l.UpdatedAt,
	})
	if err != nil {
		return nil, fmt.Errorf("pgstore: encode link of person %q: %w", l.PersonID, err)
	}
	return b, nil
}

func decodeLink(data []byte) (*syncer.Link, error) {
	var d dbLink
	if err := json.Unmarshal(data, &d); err != nil {
		return nil, fmt.Errorf("pgstore: decode link: %w", err)
	}
	return &syncer.Link{
		PersonID:  d.PersonID,
		Account:   d.Account,
		CardID:    d.CardID,
		ContactID: d.ContactID,
		Email:     d.Email,
		Rank: syncer.Rank{
			ExchangeDate: d.RankExchangeDate,
			UpdatedTime:  d.RankUpdatedTime,
			CardID:       d.RankCardID,
		},
		Values:    d.Values,
		Remote:    d.Remote,
		RemoteAt:  d.RemoteAt,
		State:     syncer.LinkState(d.State),
		Reason:    d.Reason,
		Message:   d.Message,
		Attempts:  d.Attempts,
		NextRetry: d.NextRetry,
		Origin:    d.Origin,
		UpdatedAt: d.UpdatedAt,
	}, nil
}

// dbCheckpoint is the JSON form of a syncer.Checkpoint.
type dbCheckpoint struct {
	Since    time.Time `json:"since,omitzero"`
	Until    time.Time `json:"until,omitzero"`
	Cursor   string    `json:"cursor,omitempty"`
	Complete bool      `json:"complete,omitempty"`
}

// unixNanos returns t in Unix nanoseconds, clamped to the int64 range, so
// that retry times sort exactly in SQL. The zero time sorts first.
func unixNanos(t time.Time) int64 {
	switch {
	case t.Before(minNanos):
		return math.MinInt64
	case t.After(maxNanos):
		return math.MaxInt64
	}
	return t.UnixNano()
}

var (
	minNanos = time.Unix(0, math.MinInt64)
	maxNanos = time.Unix(0, math.MaxInt64)
)
