package main

import (
	"runtime"
	"testing"
)

func TestProcsFor(t *testing.T) {
	t.Setenv("GOMAXPROCS", "") // as if unset
	max := runtime.GOMAXPROCS(0)
	for _, c := range []struct {
		jump string
		want int
	}{{"", 1}, {"none", 1}, {"a", min(2, max)}, {"a,b@c:22,d", min(4, max)}} {
		if got := procsFor(1 + proxyJumpHops(c.jump)); got != c.want {
			t.Errorf("ProxyJump %q: GOMAXPROCS %d, want %d", c.jump, got, c.want)
		}
	}
	t.Setenv("GOMAXPROCS", "3")
	if got := procsFor(1); got != 0 {
		t.Errorf("with GOMAXPROCS set: %d, want 0 (left alone)", got)
	}
}
