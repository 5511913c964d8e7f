//go:build race

package kex_test

// The race detector makes the large transfer too slow.
const raceEnabled = true
