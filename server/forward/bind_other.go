//go:build !unix

package forward

import "syscall"

// controlMode does nothing where sockets have no mode bits; the file
// is chmodded after bind.
func controlMode(uint32) func(network, address string, rc syscall.RawConn) error { return nil }
