package syncer

import (
	"context"
	"errors"
	"maps"
	"time"
)

// ErrNotFound is returned by Store lookups that find nothing.
var ErrNotFound = errors.New("syncer: not found")

// LinkState is the sync state of one Sansan person.
type LinkState string

// Link states.
const (
	// StateInSync means the contact holds the person's mapped values.
	StateInSync LinkState = "in_sync"
	// StateExcluded means the person is deliberately not synced; Reason says why.
	StateExcluded LinkState = "excluded"
	// StateFailing means the last write failed; Reason holds the error category
	// and NextRetry when the engine tries again.
	StateFailing LinkState = "failing"
)

// Link ties one Sansan person to one HubSpot contact and remembers what was
// last synced, so unchanged records cost no API call, echoes of the engine's
// own writes are recognised, and health can be reported.
//
// Links are keyed by PersonID: all cards of a person share it, and the same
// person seen through two accounts of one tenant is one link.
type Link struct {
	// PersonID is the Sansan person id (the key).
	PersonID string
	// Account is the name of the account the person was last read through.
	Account string
	// CardID is the person's head card when last synced.
	CardID string
	// ContactID is the HubSpot contact id; empty until a contact is written.
	ContactID string
	// Email is the normalized email, the dedup key; empty when the card has
	// none, except on an excluded link still holding a contact, where it is
	// the email that contact has (the next winner of it takes it over).
	Email string
	// Rank orders persons sharing an email: the greatest rank owns the contact.
	Rank Rank
	// Values are the mapped property values last written to (or read from)
	// HubSpot, by property name: the base of the value rule. A property
	// with a value here is the sync's own while HubSpot still holds that
	// value, so a blank card value may clear it; a property absent here
	// was never written by the sync (or was taken over by a person) and a
	// blank never clears it.
	Values map[string]string
	// ValuesHash is a hash of Values the engine keeps beside them, so an
	// unchanged card costs one comparison instead of a per-property diff;
	// 0 means unknown (the engine then compares the values). Stores keep it
	// like any other field.
	ValuesHash uint64
	// Remote holds HubSpot-side values, by property, that changed since
	// Values was synced and were not applied to Sansan (two-way sync);
	// RemoteAt is the contact's last modification when they were seen.
	Remote   map[string]string
	RemoteAt time.Time
	// State, Reason and Message describe the current sync state. Reason
	// holds an ExclusionReason for excluded links and a FailureCategory
	// for failing ones; Link.Exclusion and Link.Failure return it typed.
	State   LinkState
	Reason  string
	Message string
	// Attempts counts consecutive failures; NextRetry is when a failing link
	// is tried again.
	Attempts  int
	NextRetry time.Time
	// Origin says which side created the pair: OriginSansan when the
	// contact was made from a card, OriginHubSpot when the card was
	// registered from a contact.
	Origin LinkOrigin
	// UpdatedAt is when the link was last written.
	UpdatedAt time.Time
}

// hashValues returns an order-independent hash of a property map in which
// "" and absent are the same; 0 is never returned, so it can mean unknown.
// It must stay stable across processes and releases: stores keep it.
func hashValues(m map[string]string) uint64 {
	var sum uint64
	for k, v := range m {
		if v == "" {
			continue
		}
		h := hashString(hashString(0x9e3779b97f4a7c15, k), v)
		sum += h ^ (h >> 31)
	}
	if sum == 0 {
		sum = 1
	}
	return sum
}

// hashString folds s into h eight bytes at a time (a multiply-xorshift
// mix, as in splitmix64), with its length, so "ab"+"c" and "a"+"bc" differ.
func hashString(h uint64, s string) uint64 {
	const m = 0xbf58476d1ce4e5b9
	h ^= uint64(len(s)) * 0x94d049bb133111eb
	for len(s) >= 8 {
		w := uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24 |
			uint64(s[4])<<32 | uint64(s[5])<<40 | uint64(s[6])<<48 | uint64(s[7])<<56
		h = (h ^ w) * m
		h ^= h >> 29
		s = s[8:]
	}
	var w uint64
	for i := 0; i < len(s); i++ {
		w |= uint64(s[i]) << (8 * i)
	}
	h = (h ^ w) * m
	return h ^ h>>32
}

// setValues sets the link's values and their hash together.
func (l *Link) setValues(v map[string]string) {
	l.Values = v
	l.ValuesHash = 0
	if v != nil {
		l.ValuesHash = hashValues(v)
	}
}

// Rank orders cards that share an email. A greater rank wins: newest
// exchange date, then newest update time, then greatest card id, so the
// choice is the same on every pass and on every machine.
type Rank struct {
	ExchangeDate string    // YYYY-MM-DD or ""
	UpdatedTime  time.Time // card update time
	CardID       string
}

// Less reports whether r ranks below o.
func (r Rank) Less(o Rank) bool {
	if r.ExchangeDate != o.ExchangeDate {
		return r.ExchangeDate < o.ExchangeDate
	}
	if !r.UpdatedTime.Equal(o.UpdatedTime) {
		return r.UpdatedTime.Before(o.UpdatedTime)
	}
	return r.CardID < o.CardID
}

// Clone returns a deep copy of l.
func (l *Link) Clone() *Link {
	if l == nil {
		return nil
	}
	c := *l
	c.Values = maps.Clone(l.Values)
	c.Remote = maps.Clone(l.Remote)
	return &c
}

// Checkpoint records how far a stream has been read. Since is where the next
// pass starts (minus the overlap). While a pass is in progress, Until is its
// upper bound and Cursor the position inside it, so an interrupted pass
// resumes where it stopped instead of starting over.
type Checkpoint struct {
	Since  time.Time
	Until  time.Time
	Cursor string
	// Complete is true once at least one pass has finished: the initial sync
	// is done.
	Complete bool
}

// LinkStore keeps links. Implementations must be safe for concurrent use;
// all methods take a context first and return ctx.Err() promptly once it is
// done. Values passed in and returned are copies: the caller may modify
// them freely.
type LinkStore interface {
	// LinksByPerson returns the links of the given persons, keyed by person
	// id; persons without a link are absent from the map.
	LinksByPerson(ctx context.Context, personIDs []string) (map[string]*Link, error)
	// LinksByEmail returns every link whose Email is one of emails, keyed by
	// email; emails without links are absent, and the empty email matches
	// nothing.
	LinksByEmail(ctx context.Context, emails []string) (map[string][]*Link, error)
	// LinkByContact returns the link that holds contactID, or ErrNotFound;
	// when several links hold it, the one written last. The empty contact
	// id matches nothing.
	LinkByContact(ctx context.Context, contactID string) (*Link, error)
	// LinksByContact is LinkByContact for many contacts in one call: the
	// link holding each contact id, keyed by contact id (the one written
	// last when several hold it); ids without a link, and the empty id,
	// are absent from the map.
	LinksByContact(ctx context.Context, contactIDs []string) (map[string]*Link, error)
	// PutLinks creates or replaces links by PersonID, atomically as a batch:
	// after an error none or all of them are stored. Within a batch the last
	// link of a person wins; nil links and links without a PersonID are
	// skipped. Times round-trip to the nanosecond; nil and empty maps are
	// equivalent.
	PutLinks(ctx context.Context, links []*Link) error
	// LinksToRetry returns up to limit links (all when limit <= 0) in
	// StateFailing whose NextRetry is not after now, earliest NextRetry
	// first, ties broken by PersonID.
	LinksToRetry(ctx context.Context, now time.Time, limit int) ([]*Link, error)
}

// linkByContact is LinkByContact in terms of LinksByContact.
func linkByContact(ctx context.Context, s interface {
	LinksByContact(context.Context, []string) (map[string]*Link, error)
}, contactID string) (*Link, error) {
	ls, err := s.LinksByContact(ctx, []string{contactID})
	if err != nil {
		return nil, err
	}
	if l, ok := ls[contactID]; ok {
		return l, nil
	}
	return nil, ErrNotFound
}

// CheckpointStore keeps checkpoints, one per stream (an account's cards,
// HubSpot's contacts). It has the same concurrency and context contract as
// LinkStore.
type CheckpointStore interface {
	// Checkpoint returns the checkpoint of a stream, or ErrNotFound.
	Checkpoint(ctx context.Context, stream string) (Checkpoint, error)
	// PutCheckpoint stores the checkpoint of a stream.
	PutCheckpoint(ctx context.Context, stream string, cp Checkpoint) error
}

// Store persists links and checkpoints: a LinkStore and a CheckpointStore
// in one, so that a durable implementation can keep both in one database.
//
// Run [github.com/cardbridge/sansanhubspot/syncer/storetest.Run] against any
// implementation to check these contracts.
type Store interface {
	LinkStore
	CheckpointStore
}
