package main

import (
	"os"
	"runtime"
)

// procsFollower keeps GOMAXPROCS at the number of open connections,
// between 1 and the value gosshd started with (decision 0038). An SSH
// connection is one sequential stream of packets, as in sshd's one
// process per connection; with more Ps than busy connections, Go's
// scheduler moves each wake-up from the network or a child's pipe to
// another thread, which cost a download from gosshd 13% of its rate
// on two cores shared with the client and the child.
type procsFollower struct {
	max, cur int
	set      func(int) int // runtime.GOMAXPROCS
}

// newProcsFollower returns nil when GOMAXPROCS is set in the
// environment (the user's choice stands) or is already 1.
func newProcsFollower() *procsFollower {
	if os.Getenv("GOMAXPROCS") != "" {
		return nil
	}
	n := runtime.GOMAXPROCS(0)
	if n <= 1 {
		return nil
	}
	f := &procsFollower{max: n, cur: n, set: runtime.GOMAXPROCS}
	f.conns(0)
	return f
}

// conns is server.Server.OnConnCount.
func (f *procsFollower) conns(open int) {
	want := min(f.max, max(1, open))
	if want != f.cur {
		f.set(want)
		f.cur = want
	}
}
