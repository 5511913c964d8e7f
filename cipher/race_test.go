//go:build race

package cipher_test

// The race detector makes allocation counts meaningless and slow.
const raceEnabled = true
