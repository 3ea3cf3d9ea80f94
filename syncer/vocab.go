package syncer

import "time"

// ExclusionReason says why a record is deliberately not synced. It is
// recorded in Link.Reason of an excluded link and counted in
// Report.ExcludedByReason.
type ExclusionReason string

// Exclusion reasons.
const (
	ReasonNoEmail        ExclusionReason = "no_email"        // the card has no email and the policy requires one
	ReasonInvalidEmail   ExclusionReason = "invalid_email"   // the email fails validation
	ReasonDuplicateEmail ExclusionReason = "duplicate_email" // another person with the same email wins
	ReasonFiltered       ExclusionReason = "filtered"        // a tag filter or predicate excluded it
	ReasonDigitizing     ExclusionReason = "digitizing"      // the card is still being digitized
	// ReasonReplaced marks a stand-in link (keyed by UndecodableKey) whose
	// card decodes again: the card syncs under its person's own link.
	ReasonReplaced ExclusionReason = "replaced"
)

// ExclusionReasons lists every ExclusionReason, for metrics and reports
// that want a row per reason.
var ExclusionReasons = []ExclusionReason{ReasonNoEmail, ReasonInvalidEmail, ReasonDuplicateEmail, ReasonFiltered, ReasonDigitizing, ReasonReplaced}

// FailureCategory classifies why a record failed. It is recorded in
// Link.Reason of a failing link and counted in Report.FailedByCategory.
type FailureCategory string

// Failure categories.
const (
	CategoryInvalidValue FailureCategory = "invalid_value" // HubSpot rejected a property value
	CategoryConflict     FailureCategory = "conflict"      // the email belongs to another contact
	CategoryNotFound     FailureCategory = "not_found"     // the linked record no longer exists
	CategoryRateLimited  FailureCategory = "rate_limited"  // retries ran out on rate limits
	CategoryMapping      FailureCategory = "mapping"       // the record could not be mapped
	CategoryUnconfirmed  FailureCategory = "unconfirmed"   // a write was sent, the pass stopped before its answer
	CategoryOther        FailureCategory = "other"         // anything else
	// CategoryUndecodable: Sansan served the card in a form the client
	// cannot decode (a field of the wrong type, JSON nested too deep, a
	// card larger than the client's response size cap). The card is
	// quarantined: its link fails with this category, keeping what was
	// synced before, and is re-read by id on retry until it decodes.
	CategoryUndecodable FailureCategory = "undecodable"
)

// FailureCategories lists every FailureCategory.
var FailureCategories = []FailureCategory{CategoryInvalidValue, CategoryConflict, CategoryNotFound, CategoryRateLimited, CategoryMapping, CategoryUnconfirmed, CategoryOther, CategoryUndecodable}

// LinkOrigin says which side created the pair a link ties together.
type LinkOrigin string

// Link origins.
const (
	// OriginSansan: the contact was made from a Sansan card.
	OriginSansan LinkOrigin = "sansan"
	// OriginHubSpot: the card was registered in Sansan from a contact.
	OriginHubSpot LinkOrigin = "hubspot"
)

// CheckpointPhase says where a stream stands between and during passes;
// see [Checkpoint.Phase].
type CheckpointPhase string

// Checkpoint phases.
const (
	// PhaseInitial: no pass has finished the stream yet; the next pass
	// reads everything (the initial sync).
	PhaseInitial CheckpointPhase = "initial"
	// PhaseInWindow: a pass stopped inside its window; the next pass
	// resumes that window at Cursor instead of starting a new one.
	PhaseInWindow CheckpointPhase = "in_window"
	// PhaseIncremental: the last pass finished; the next one reads what
	// changed since Since (minus the overlap).
	PhaseIncremental CheckpointPhase = "incremental"
)

// Phase returns the checkpoint's phase. A checkpoint with an Until is in a
// window whatever else it holds, so an interrupted initial sync resumes its
// window too.
func (c Checkpoint) Phase() CheckpointPhase {
	switch {
	case !c.Until.IsZero():
		return PhaseInWindow
	case c.Complete:
		return PhaseIncremental
	}
	return PhaseInitial
}

// Exclusion returns the reason of an excluded link, "" for other states.
func (l *Link) Exclusion() ExclusionReason {
	if l == nil || l.State != StateExcluded {
		return ""
	}
	return ExclusionReason(l.Reason)
}

// Failure returns the category of a failing link, "" for other states.
func (l *Link) Failure() FailureCategory {
	if l == nil || l.State != StateFailing {
		return ""
	}
	return FailureCategory(l.Reason)
}

// setInSync marks l written: no reason, no failure, no retry.
func (l *Link) setInSync() {
	l.State, l.Reason, l.Message, l.Attempts, l.NextRetry = StateInSync, "", "", 0, time.Time{}
}

// setExcluded marks l excluded for reason, with an optional message.
func (l *Link) setExcluded(reason ExclusionReason, msg string) {
	l.State, l.Reason, l.Message, l.Attempts, l.NextRetry = StateExcluded, string(reason), msg, 0, time.Time{}
}
