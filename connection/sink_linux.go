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
type sink struct {
	rc syscall.RawConn
	// The state of one tryWrite, kept here so that the function handed
	// to rc.Write is made once (in newSink) and a write allocates
	// nothing. Only the Run goroutine calls tryWrite.
	write func(fd uintptr) bool // s.writeFD
	p     []byte
	n     int
	err   error
}

// newSink returns w's sink, or nil when a write to w could wait for
// someone else: the Run goroutine must never block on a reader. A
// descriptor in non-blocking mode qualifies, and so do a regular file and
// /dev/null, whose writes never wait for a reader; a terminal, or a pipe
// in blocking mode, does not.
func newSink(w io.Writer) *sink {
	sc, ok := w.(syscall.Conn)
	if !ok {
		return nil
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return nil
	}
	usable := false
	if err := rc.Control(func(fd uintptr) {
		fl, _, e := syscall.Syscall(syscall.SYS_FCNTL, fd, syscall.F_GETFL, 0)
		if e == 0 && fl&syscall.O_NONBLOCK != 0 {
			usable = true
			return
		}
		var st syscall.Stat_t
		if syscall.Fstat(int(fd), &st) != nil {
			return
		}
		switch st.Mode & syscall.S_IFMT {
		case syscall.S_IFREG:
			usable = true
		case syscall.S_IFCHR:
			usable = st.Rdev == devNull
		}
	}); err != nil || !usable {
		return nil
	}
	s := &sink{rc: rc}
	s.write = s.writeFD
	return s
}

// devNull is the device number of /dev/null on Linux (major 1, minor 3).
const devNull = 1<<8 | 3

// tryWrite writes what of p the descriptor takes without blocking.
func (s *sink) tryWrite(p []byte) (int, error) {
	s.p, s.n, s.err = p, 0, nil
	werr := s.rc.Write(s.write)
	n, err := s.n, s.err
	s.p = nil
	if err == nil {
		err = werr
	}
	return n, err
}

// writeFD is tryWrite's one write(2) of s.p to fd, for rc.Write.
func (s *sink) writeFD(fd uintptr) bool {
	for {
		m, e := syscall.Write(int(fd), s.p)
		if e == syscall.EINTR {
			continue
		}
		s.n = max(m, 0)
		if e != nil && e != syscall.EAGAIN {
			s.err = e
		}
		return true
	}
}
