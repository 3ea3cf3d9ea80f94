package syncer

import (
	"encoding/json"
	"time"
)

// linkJSON is the stable JSON form of a Link, shared by every durable
// store so that their formats change only on purpose, in one place. Times
// are RFC 3339 with nanoseconds; the rank is flattened.
type linkJSON struct {
	PersonID         string            `json:"person_id"`
	Account          string            `json:"account,omitempty"`
	CardID           string            `json:"card_id,omitempty"`
	ContactID        string            `json:"contact_id,omitempty"`
	Email            string            `json:"email,omitempty"`
	RankExchangeDate string            `json:"rank_exchange_date,omitempty"`
	RankUpdatedTime  time.Time         `json:"rank_updated_time,omitzero"`
	RankCardID       string            `json:"rank_card_id,omitempty"`
	Values           map[string]string `json:"values,omitempty"`
	ValuesHash       uint64            `json:"values_hash,omitempty"`
	Remote           map[string]string `json:"remote,omitempty"`
	RemoteAt         time.Time         `json:"remote_at,omitzero"`
	State            LinkState         `json:"state,omitempty"`
	Reason           string            `json:"reason,omitempty"`
	Message          string            `json:"message,omitempty"`
	Attempts         int               `json:"attempts,omitempty"`
	NextRetry        time.Time         `json:"next_retry,omitzero"`
	Origin           LinkOrigin        `json:"origin,omitempty"`
	UpdatedAt        time.Time         `json:"updated_at,omitzero"`
}

// MarshalJSON encodes l in the stable form durable stores persist.
func (l Link) MarshalJSON() ([]byte, error) {
	return json.Marshal(linkJSON{
		PersonID: l.PersonID, Account: l.Account, CardID: l.CardID, ContactID: l.ContactID, Email: l.Email,
		RankExchangeDate: l.Rank.ExchangeDate, RankUpdatedTime: l.Rank.UpdatedTime, RankCardID: l.Rank.CardID,
		Values: l.Values, ValuesHash: l.ValuesHash, Remote: l.Remote, RemoteAt: l.RemoteAt,
		State: l.State, Reason: l.Reason, Message: l.Message, Attempts: l.Attempts, NextRetry: l.NextRetry,
		Origin: l.Origin, UpdatedAt: l.UpdatedAt,
	})
}

// UnmarshalJSON decodes the form MarshalJSON writes.
func (l *Link) UnmarshalJSON(data []byte) error {
	var j linkJSON
	if err := json.Unmarshal(data, &j); err != nil {
		return err
	}
	*l = Link{
		PersonID: j.PersonID, Account: j.Account, CardID: j.CardID, ContactID: j.ContactID, Email: j.Email,
		Rank:   Rank{ExchangeDate: j.RankExchangeDate, UpdatedTime: j.RankUpdatedTime, CardID: j.RankCardID},
		Values: j.Values, ValuesHash: j.ValuesHash, Remote: j.Remote, RemoteAt: j.RemoteAt,
		State: j.State, Reason: j.Reason, Message: j.Message, Attempts: j.Attempts, NextRetry: j.NextRetry,
		Origin: j.Origin, UpdatedAt: j.UpdatedAt,
	}
	return nil
}
