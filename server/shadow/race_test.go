//go:build race

package shadow

// raceEnabled: the race detector slows the KDF loops about tenfold, so
// the costliest vectors run only without it.
const raceEnabled = true
