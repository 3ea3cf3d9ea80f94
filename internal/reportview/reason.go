package reportview

import (
	"context"
	"errors"
	"strconv"
	"strings"

	"github.com/cardbridge/sansanhubspot/hubspot"
	"github.com/cardbridge/sansanhubspot/sansan"
	"github.com/cardbridge/sansanhubspot/syncer"
	"github.com/cardbridge/sansanhubspot/syncer/filestore"
)

// Reason says in one line what an error that stopped a sync means for the
// person running it, and what to do about it.
func Reason(err error) string {
	var msg string
	switch {
	case errors.Is(err, syncer.ErrStoreMismatch):
		msg = err.Error() + " (a store belongs to the portal and Sansan users it first synced)"
	case errors.Is(err, sansan.ErrInvalidAPIKey):
		msg = "not a valid Sansan API key (copy it again from Sansan's admin screen): " + err.Error()
	case errors.Is(err, sansan.ErrUnauthorized):
		msg = "Sansan rejected the API key (401): check that SANSAN_API_KEY is current and not revoked"
	case errors.Is(err, hubspot.ErrUnauthorized):
		msg = "HubSpot rejected the access token (401): check the private app's token in HUBSPOT_ACCESS_TOKEN"
	case errors.Is(err, hubspot.ErrForbidden):
		msg = "HubSpot refused access (403): the private app needs the crm.objects.contacts and crm.schemas.contacts scopes: " + err.Error()
	case errors.Is(err, hubspot.ErrDailyLimit):
		msg = "HubSpot's daily API limit is used up; syncing can resume after midnight in the portal's time zone"
	case errors.Is(err, filestore.ErrLocked):
		msg = err.Error() + " (stop the process using the store first)"
	case errors.Is(err, syncer.ErrConfig):
		msg = "misconfiguration: " + err.Error()
	case errors.Is(err, context.Canceled):
		msg = "interrupted"
	default:
		msg = err.Error()
	}
	return strings.Join(strings.Fields(msg), " ")
}

// Title names a pass in a table's column: a plan, an initial sync or a
// pass.
func Title(rep *syncer.Report) string {
	switch {
	case rep.DryRun:
		return "plan (dry run)"
	case rep.Initial:
		return "initial sync"
	}
	return "pass"
}

// ParseRow returns the numbers of the row of a Table whose label is
// label, and false when there is none. Tests read tables with it.
func ParseRow(out, label string) ([]int, bool) {
	n := len(strings.Fields(label))
lines:
	for line := range strings.Lines(out) {
		f := strings.Fields(line)
		if len(f) <= n || strings.Join(f[:n], " ") != label {
			continue
		}
		var nums []int
		for _, s := range f[n:] {
			v, err := strconv.Atoi(s)
			if err != nil {
				continue lines
			}
			nums = append(nums, v)
		}
		return nums, true
	}
	return nil, false
}
