//go:build race

package connection

// The race detector makes allocation counts meaningless.
const raceEnabled = true
