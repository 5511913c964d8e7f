//go:build !race

package hostkey_test

const h4SamplesRace = 10000

const raceEnabled = false
