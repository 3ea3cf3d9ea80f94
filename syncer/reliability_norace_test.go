//go:build !race

package syncer_test

// raceEnabled is true under the race detector; see reliability_race_test.go.
const raceEnabled = false
