//go:build race

package ed25519

// raceEnabled skips the allocation test: the race detector allocates.
const raceEnabled = true
