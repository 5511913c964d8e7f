//go:build race

package server_test

// The race detector makes the L3 soak (docs/security.md#l3) several times slower.
const raceEnabled = true
