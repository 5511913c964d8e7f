//go:build race

package packet_test

// The race detector makes allocation counts meaningless and slow.
const raceEnabled = true
