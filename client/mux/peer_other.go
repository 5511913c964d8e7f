//go:build !linux

package mux

import (
	"errors"
	"net"
)

// peerUID is not implemented here: without the peer's uid the master
// refuses every connection.
func peerUID(c *net.UnixConn) (int, error) {
	return -1, errors.ErrUnsupported
}
