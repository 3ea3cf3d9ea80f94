package pgstore

import (
	"encoding/json"
	"fmt"
	"math"
	"time"

	"github.com/cardbridge/sansanhubspot/syncer"
)

func encodeLink(l *syncer.Link) (json.RawMessage, error) {
	b, err := json.Marshal(l)
	if err != nil {
		return nil, fmt.Errorf("pgstore: encode link of person %q: %w", l.PersonID, err)
	}
	return b, nil
}

func decodeLink(data []byte) (*syncer.Link, error) {
	var l syncer.Link
	if err := json.Unmarshal(data, &l); err != nil {
		return nil, fmt.Errorf("pgstore: decode link: %w", err)
	}
	return &l, nil
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
