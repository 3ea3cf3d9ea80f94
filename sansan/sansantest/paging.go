package sansantest

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// snapshot is the frozen, ordered result of one query. Card pointers refer
// to immutable card versions, so later updates do not change what the
// remaining pages serve.
type snapshot struct {
	id     string
	hash   string
	cards  []*Card
	tags   []*Tag
	stored bool
	// created is when the snapshot was stored (for WithPageTokenTTL).
	created time.Time
}

func (s *snapshot) len() int {
	if s.cards != nil {
		return len(s.cards)
	}
	return len(s.tags)
}

// queryHash binds a token to the endpoint, the caller and every query
// parameter except nextPageToken and limit.
func queryHash(endpoint, userID string, q url.Values) string {
	keys := make([]string, 0, len(q))
	for k := range q {
		if k != "nextPageToken" && k != "limit" {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	h := sha256.New()
	fmt.Fprintf(h, "%s\x00%s\x00", endpoint, userID)
	for _, k := range keys {
		for _, v := range q[k] {
			fmt.Fprintf(h, "%s=%s\x00", k, v)
		}
	}
	return hex.EncodeToString(h.Sum(nil))[:16]
}

func encodeToken(snapID string, offset int, hash string) string {
	return base64.RawURLEncoding.EncodeToString([]byte("s1:" + snapID + ":" + strconv.Itoa(offset) + ":" + hash))
}

func decodeToken(tok string) (snapID string, offset int, hash string, ok bool) {
	b, err := base64.RawURLEncoding.DecodeString(tok)
	if err != nil {
		return "", 0, "", false
	}
	parts := strings.Split(string(b), ":")
	if len(parts) != 4 || parts[0] != "s1" {
		return "", 0, "", false
	}
	offset, err = strconv.Atoi(parts[2])
	if err != nil || offset < 0 {
		return "", 0, "", false
	}
	return parts[1], offset, parts[3], true
}

// parseLimit validates the limit parameter (integer in [1, max]).
func parseLimit(q url.Values, def, maxLimit int) (int, error) {
	s := q.Get("limit")
	if s == "" {
		return def, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > maxLimit {
		return 0, fmt.Errorf("limit must be an integer between 1 and %d", maxLimit)
	}
	return n, nil
}

// page resolves the snapshot and window for a list request. On a first
// request build is called once; follow-up requests read the stored
// snapshot. It writes a 400 and returns ok=false on bad input.
func (f *Fake) page(w http.ResponseWriter, q url.Values, endpoint string, user *User, def, maxLimit int, build func() *snapshot) (s *snapshot, from, to int, next string, ok bool) {
	limit, err := parseLimit(q, def, maxLimit)
	if err != nil {
		badRequest(w, "%v", err)
		return nil, 0, 0, "", false
	}
	hash := queryHash(endpoint, user.ID, q)
	offset := 0
	if tok := q.Get("nextPageToken"); tok != "" {
		id, off, th, valid := decodeToken(tok)
		if !valid {
			badRequest(w, "invalid nextPageToken")
			return nil, 0, 0, "", false
		}
		f.pagesMu.Lock()
		s = f.snapshots[id]
		f.pagesMu.Unlock()
		switch {
		case s == nil || f.cfg.tokenTTL > 0 && f.now().Sub(s.created) > f.cfg.tokenTTL:
			if s != nil {
				f.dropSnapshot(s.id)
			}
			badRequest(w, "nextPageToken expired or unknown")
			return nil, 0, 0, "", false
		case th != hash || s.hash != hash:
			badRequest(w, "nextPageToken does not match the query parameters")
			return nil, 0, 0, "", false
		case off > s.len():
			badRequest(w, "invalid nextPageToken")
			return nil, 0, 0, "", false
		}
		offset = off
	} else {
		s = build()
		s.hash = hash
	}
	end := min(offset+limit, s.len())
	if end < s.len() {
		if !s.stored {
			f.storeSnapshot(s)
		}
		next = encodeToken(s.id, end, hash)
	} else if s.stored {
		f.dropSnapshot(s.id)
	}
	return s, offset, end, next, true
}

// maxSnapshotItems bounds the card pointers held by all snapshots together
// (8 MB per million), so abandoned listings of a large tenant cannot pile up.
const maxSnapshotItems = 4_000_000

func (f *Fake) storeSnapshot(s *snapshot) {
	f.pagesMu.Lock()
	defer f.pagesMu.Unlock()
	f.snapSeq++
	f.mu.Lock()
	s.id = strconv.FormatUint(f.snapSeq, 36) + f.newHexID()[:8]
	f.mu.Unlock()
	s.stored = true
	s.created = f.now()
	f.snapshots[s.id] = s
	f.snapOrder = append(f.snapOrder, s.id)
	f.snapItems += s.len()
	// Evict oldest first, never the snapshot just stored.
	for (len(f.snapshots) > f.cfg.maxSnapshots || f.snapItems > maxSnapshotItems) &&
		len(f.snapOrder) > 0 && f.snapOrder[0] != s.id {
		if old, ok := f.snapshots[f.snapOrder[0]]; ok {
			f.snapItems -= old.len()
			delete(f.snapshots, old.id)
		}
		f.snapOrder = f.snapOrder[1:]
	}
	if len(f.snapOrder) > 4*f.cfg.maxSnapshots {
		// Compact ids of snapshots already released.
		live := f.snapOrder[:0]
		for _, id := range f.snapOrder {
			if _, ok := f.snapshots[id]; ok {
				live = append(live, id)
			}
		}
		f.snapOrder = live
	}
}

func (f *Fake) dropSnapshot(id string) {
	f.pagesMu.Lock()
	defer f.pagesMu.Unlock()
	if s, ok := f.snapshots[id]; ok {
		f.snapItems -= s.len()
		delete(f.snapshots, id)
	}
}

// Snapshots returns how many paging snapshots are currently held (a
// snapshot is released when its last page is served or when evicted).
func (f *Fake) Snapshots() int {
	f.pagesMu.Lock()
	defer f.pagesMu.Unlock()
	return len(f.snapshots)
}
