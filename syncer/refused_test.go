package syncer_test

import (
	"hash/fnv"
	"testing"

	"github.com/cardbridge/sansanhubspot/syncer"
)

// TestRefusedEmailsIsolatedInOneRetry: HubSpot refuses an upsert by email
// as a whole when one address is invalid to it ("Partial upserts are not
// supported when using email as the idProperty"). With 1 % of addresses
// refused (addresses that pass the SDK's own check), each refused batch
// costs one extra call — the refused inputs named by the error fail, the
// rest is sent again — not a bisection.
func TestRefusedEmailsIsolatedInOneRetry(t *testing.T) {
	t.Parallel()
	refused := func(email string) bool {
		h := fnv.New32a()
		h.Write([]byte(email))
		return h.Sum32()%100 == 0
	}
	base := newEnv(t, 1500, 71)
	base.syncOnce(base.engine(nil))
	baseWrites := base.writes()

	e := newEnv(t, 1500, 71)
	e.hs.Fake.RefuseEmails(refused)
	rep := e.syncOnce(e.engine(nil))
	want := e.expected()
	nRefused := 0
	for em := range want {
		if refused(em) {
			nRefused++
			delete(want, em)
		}
	}
	if nRefused == 0 {
		t.Fatal("the tenant has no refused address; pick another seed")
	}
	if got := rep.FailedByCategory[syncer.CategoryInvalidValue]; got != nRefused {
		t.Errorf("%d records failed as invalid values, want the %d refused addresses", got, nRefused)
	}
	e.checkState(want)
	extra := e.writes() - baseWrites
	if extra > nRefused {
		t.Errorf("%d extra write calls for %d refused addresses, want at most one per refused batch", extra, nRefused)
	}
	figures(t, "refused-emails", map[string]any{"contacts": len(want), "refused": nRefused, "writes": e.writes(),
		"writes_without_refusals": baseWrites, "extra_calls": extra})
}
