package main

import (
	"slices"
	"testing"
)

// TestProcsFollower: GOMAXPROCS follows the open connections between 1
// and the starting value, and is set only when it changes.
func TestProcsFollower(t *testing.T) {
	var calls []int
	f := &procsFollower{max: 4, cur: 4, set: func(n int) int { calls = append(calls, n); return 0 }}
	for _, open := range []int{0, 1, 2, 2, 3, 4, 5, 9, 4, 3, 1, 0} {
		f.conns(open)
	}
	if want := []int{1, 2, 3, 4, 3, 1}; !slices.Equal(calls, want) {
		t.Errorf("GOMAXPROCS set to %v, want %v", calls, want)
	}
	t.Setenv("GOMAXPROCS", "2")
	if newProcsFollower() != nil {
		t.Error("GOMAXPROCS in the environment: gosshd should leave it")
	}
}
