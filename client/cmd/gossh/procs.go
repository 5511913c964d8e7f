package main

import (
	"os"
	"runtime"
	"strings"
)

// procsFor is the GOMAXPROCS gossh runs with for conns SSH connections
// (the destination and each ProxyJump hop): one P per connection, at
// most what the runtime chose, as ssh runs one thread for all of them
// (decision 0038). 0 means leave it: GOMAXPROCS is set in the
// environment.
func procsFor(conns int) int {
	if os.Getenv("GOMAXPROCS") != "" {
		return 0
	}
	return min(runtime.GOMAXPROCS(0), max(1, conns))
}

// proxyJumpHops counts the hosts of a ProxyJump value.
func proxyJumpHops(j string) int {
	if j == "" || j == "none" {
		return 0
	}
	return 1 + strings.Count(j, ",")
}
