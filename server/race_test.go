//go:build race

package server_test

// The race detector makes the L3 soak several times slower.
const raceEnabled = true
