package connection

import (
	"io"
	"syscall"
)

// A sink is the non-blocking file descriptor a WriteTo writes to (a pipe
// or socket in non-blocking mode, as os.Pipe and package net make them).
// While WriteTo waits with nothing buffered, the Run goroutine writes
// arriving data straight from the packet into it, as far as the
// descriptor takes it without blocking: no copy into the channel's
// buffer, and no hand-off to the WriteTo goroutine. What does not fit is
// buffered as usual and written by WriteTo.
type sink struct{ rc syscall.RawConn }

// newSink returns w's sink, or nil when w is not a file descriptor in
// non-blocking mode: a blocking write would stop the Run goroutine.
func newSink(w io.Writer) *sink {
	sc, ok := w.(syscall.Conn)
	if !ok {
		return nil
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return nil
	}
	nonblocking := false
	if err := rc.Control(func(fd uintptr) {
		fl, _, e := syscall.Syscall(syscall.SYS_FCNTL, fd, syscall.F_GETFL, 0)
		nonblocking = e == 0 && fl&syscall.O_NONBLOCK != 0
	}); err != nil || !nonblocking {
		return nil
	}
	return &sink{rc: rc}
}

// tryWrite writes what of p the descriptor takes without blocking.
func (s *sink) tryWrite(p []byte) (n int, err error) {
	werr := s.rc.Write(func(fd uintptr) bool {
		for {
			m, e := syscall.Write(int(fd), p)
			if e == syscall.EINTR {
				continue
			}
			n = max(m, 0)
			if e != nil && e != syscall.EAGAIN {
				err = e
			}
			return true
		}
	})
	if err == nil {
		err = werr
	}
	return n, err
}
