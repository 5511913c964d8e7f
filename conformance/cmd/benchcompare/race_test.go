//go:build race

package main

// The race detector slows the child processes tenfold: the smoke test
// runs in the first, race-free pass of make test instead.
const raceEnabled = true
