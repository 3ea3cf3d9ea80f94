//go:build race

package syncer_test

// raceEnabled is true under the race detector, which slows the engine
// about fivefold: the reliability tests then shrink their data sets and
// crash samples (the full sizes run without -race, and with
// SANSANHUBSPOT_SOAK=1).
const raceEnabled = true
