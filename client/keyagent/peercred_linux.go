package keyagent

import (
	"fmt"
	"net"
	"os"
	"syscall"
)

// PeerUID returns the effective uid of the process at the other end of a
// Unix-domain connection (SO_PEERCRED).
func PeerUID(c net.Conn) (int, error) {
	sc, ok := c.(syscall.Conn)
	if !ok {
		return -1, fmt.Errorf("%w: %T is not a socket", ErrPeer, c)
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return -1, err
	}
	var cred *syscall.Ucred
	var cerr error
	if err := rc.Control(func(fd uintptr) {
		cred, cerr = syscall.GetsockoptUcred(int(fd), syscall.SOL_SOCKET, syscall.SO_PEERCRED)
	}); err != nil {
		return -1, err
	}
	if cerr != nil {
		return -1, fmt.Errorf("keyagent: SO_PEERCRED: %w", cerr)
	}
	return int(cred.Uid), nil
}

// CheckPeerUID is ssh-agent's check of a client: its peer must be root
// or run as this process's real uid.
func CheckPeerUID(c net.Conn) error {
	uid, err := PeerUID(c)
	if err != nil {
		return err
	}
	if uid != 0 && uid != os.Getuid() {
		return fmt.Errorf("%w: peer uid %d is not %d", ErrPeer, uid, os.Getuid())
	}
	return nil
}
