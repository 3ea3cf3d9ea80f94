package syncer

import (
	"fmt"

	"github.com/cardbridge/sansanhubspot/mapping"
)

// FlowsToHubSpot reports whether records flow from Sansan to HubSpot: d
// is SansanToHubSpot or TwoWay. It answers the question
// [mapping.Direction.FlowsToHubSpot] answers for one field.
func (d Direction) FlowsToHubSpot() bool { return d == SansanToHubSpot || d == TwoWay }

// FlowsToSansan reports whether records flow from HubSpot to Sansan: d is
// HubSpotToSansan or TwoWay. It answers the question
// [mapping.Direction.FlowsToSansan] answers for one field.
func (d Direction) FlowsToSansan() bool { return d == HubSpotToSansan || d == TwoWay }

// MappingDirection returns the field direction that flows the same way as
// d: [mapping.ToHubSpot] for SansanToHubSpot, [mapping.ToSansan] for
// HubSpotToSansan and [mapping.Both] for TwoWay. A value that is not one
// of the three directions returns [mapping.None].
func (d Direction) MappingDirection() mapping.Direction {
	switch d {
	case SansanToHubSpot:
		return mapping.ToHubSpot
	case HubSpotToSansan:
		return mapping.ToSansan
	case TwoWay:
		return mapping.Both
	}
	return mapping.None
}

// DirectionFromMapping returns the engine direction that flows the same way
// as the field direction m, the inverse of [Direction.MappingDirection].
// [mapping.None] moves no data and has no engine direction: it returns an
// error, as does a value that is not a mapping direction.
func DirectionFromMapping(m mapping.Direction) (Direction, error) {
	switch m {
	case mapping.ToHubSpot:
		return SansanToHubSpot, nil
	case mapping.ToSansan:
		return HubSpotToSansan, nil
	case mapping.Both:
		return TwoWay, nil
	}
	return 0, fmt.Errorf("syncer: mapping direction %s has no engine direction", m)
}
