package main

import "github.com/cardbridge/sansanhubspot/syncer"

// minimum is the least number of list and write calls a pass could have
// made: one Sansan list call per 300 cards read and one HubSpot batch write
// per 100 records sent, not counting the engine's constant preflight.
type minimum struct {
	cardsRead, recordsSent int
	lists, writes          int
}

func minimumCalls(rep *syncer.Report) minimum {
	var m minimum
	for _, a := range rep.Accounts {
		if a.Direction != syncer.SansanToHubSpot {
			continue
		}
		m.cardsRead += a.Read
		m.recordsSent += a.Created + a.Updated + a.Failed
		m.lists += max(1, ceilDiv(a.Read, 300))
	}
	m.writes = ceilDiv(m.recordsSent, 100)
	return m
}

func ceilDiv(a, b int) int { return (a + b - 1) / b }
