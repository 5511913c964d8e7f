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
	if c.rawRead == nil {
		c.rawRead = c.rawReadOnce // one method value per Conn, not one closure per read
	}
	if err := c.raw.Read(c.rawRead); err != nil {
		return err
	}
	m, rerr := c.rawN, c.rawErr
	c.rawErr = nil
	switch {
	case rerr != nil:
		return os.NewSyscallError("read", rerr)
	case m == 0:
		return io.EOF
	}
	c.rend = m
	return nil
}

// rawReadOnce is readIdle's syscall.RawConn.Read callback: one read(2)
// into the buffer, which goes back to the pool if there is nothing to
// read (false: wait for readability and call again).
func (c *Conn) rawReadOnce(fd uintptr) bool {
	if c.rbuf == nil {
		c.rbuf = readPool.Get().(*[initialReadBuffer]byte)[:]
	}
	for {
		c.rawN, c.rawErr = syscall.Read(int(fd), c.rbuf)
		if c.rawErr != syscall.EINTR {
			break
		}
	}
	if c.rawErr == syscall.EAGAIN {
		readPool.Put((*[initialReadBuffer]byte)(c.rbuf))
		c.rbuf = nil
		return false
	}
	return true
}
