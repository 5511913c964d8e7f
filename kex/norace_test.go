//go:build !race

package kex_test

const raceEnabled = false
