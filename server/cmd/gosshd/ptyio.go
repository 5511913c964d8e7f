package main

import (
	"os"
	"syscall"
	"unsafe"

	"github.com/creack/pty"
)

// pollable returns a non-blocking duplicate of f that Go's poller
// manages, so that a read deadline can end a pending Read: the pty master
// (pty.Open returns it in blocking mode, creack/pty calls Fd on it), and
// -i's standard input and output. Closing a blocking file does not
// interrupt a Read in progress: a background job that keeps the tty open
// would then hold the session until it exits. The caller closes both
// files.
func pollable(f *os.File) (*os.File, error) {
	fd, err := syscall.Dup(int(f.Fd()))
	if err != nil {
		return nil, err
	}
	syscall.CloseOnExec(fd)
	if err := syscall.SetNonblock(fd, true); err != nil {
		syscall.Close(fd)
		return nil, err
	}
	return os.NewFile(uintptr(fd), f.Name()), nil
}

// setWinsize sets the terminal size through SyscallConn, which, unlike
// pty.Setsize (it calls Fd), leaves f in non-blocking mode.
func setWinsize(f *os.File, ws *pty.Winsize) error {
	sc, err := f.SyscallConn()
	if err != nil {
		return err
	}
	var errno syscall.Errno
	if err := sc.Control(func(fd uintptr) {
		_, _, errno = syscall.Syscall(syscall.SYS_IOCTL, fd, syscall.TIOCSWINSZ, uintptr(unsafe.Pointer(ws)))
	}); err != nil {
		return err
	}
	if errno != 0 {
		return errno
	}
	return nil
}
