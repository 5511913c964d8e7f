//go:build !unix

package packet

import (
	"errors"
	"net"
	"sync"
	"syscall"
)

var readPool = sync.Pool{New: func() any { return new([initialReadBuffer]byte) }}

// rawConn is nil here: idle reads use the buffer as any Read does.
func rawConn(net.Conn) syscall.RawConn { return nil }

func (c *Conn) readIdle() error { return errors.ErrUnsupported }
