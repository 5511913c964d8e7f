//go:build unix

package forward

import "syscall"

// controlMode sets the mode of a Unix socket before it is bound: on
// Linux bind gives the file the socket inode's mode (less the umask),
// so the socket never exists with looser permissions than mode.
func controlMode(mode uint32) func(network, address string, rc syscall.RawConn) error {
	return func(_, _ string, rc syscall.RawConn) error {
		var err error
		if cerr := rc.Control(func(fd uintptr) { err = syscall.Fchmod(int(fd), mode) }); cerr != nil {
			return cerr
		}
		return err
	}
}
