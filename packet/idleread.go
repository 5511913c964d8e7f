//go:build unix

package packet

import (
	"io"
	"net"
	"os"
	"sync"
	"syscall"
)

// readPool holds the initial-size read buffers that idle Conns hand
// back while they wait for input, so that a connection with nothing to
// read holds no read buffer: 4 KiB less for each idle connection a
// server keeps (issue 9's idle-connection benchmark).
var readPool = sync.Pool{New: func() any { return new([initialReadBuffer]byte) }}

// rawConn returns nc's syscall.RawConn when nc is a plain TCP or Unix
// connection. Wrappers are left alone even when they embed one, since
// reading the descriptor directly would bypass their Read.
func rawConn(nc net.Conn) syscall.RawConn {
	var sc syscall.Conn
	switch c := nc.(type) {
	case *net.TCPConn:
		sc = c
	case *net.UnixConn:
		sc = c
	default:
		return nil
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return nil
	}
	return rc
}

// readIdle reads into an empty buffer of at most the initial size. While
// the descriptor has nothing to read the buffer goes back to readPool,
// and the goroutine waits for readability holding none; deadlines and
// Close end the wait as they end a Read.
func (c *Conn) readIdle() error {
	var m int
	var rerr error
	err := c.raw.Read(func(fd uintptr) bool {
		if c.rbuf == nil {
			c.rbuf = readPool.Get().(*[initialReadBuffer]byte)[:]
		}
		for {
			m, rerr = syscall.Read(int(fd), c.rbuf)
			if rerr != syscall.EINTR {
				break
			}
		}
		if rerr == syscall.EAGAIN {
			readPool.Put((*[initialReadBuffer]byte)(c.rbuf))
			c.rbuf = nil
			return false
		}
		return true
	})
	if err != nil {
		return err
	}
	switch {
	case rerr != nil:
		return os.NewSyscallError("read", rerr)
	case m == 0:
		return io.EOF
	}
	c.rend = m
	return nil
}
